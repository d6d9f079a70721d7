import { PbxsimError, TargetsError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import type { TargetSettings } from "../core/vendor.js";
import { isMap, isScalar } from "yaml";
import { readYamlFile } from "../core/yaml-file.js";
import { findVendor, VENDORS } from "../vendors/registry.js";
import type { VendorTargets } from "./plan.js";
import { redactUrl } from "../core/redact.js";

/**
 * A targets file holds what each vendor's admin would configure, one top-level section per
 * vendor id. Enreach's section mirrors its own endpoint configuration:
 *
 *   enreach:
 *     Webhook: { Endpoint: https://crm.example/hooks/enreach, InsecureSSL: false, Secret: s3cret }
 *     Subscriptions:
 *       - { EventType: QueueCallInComing, AllEntities: true }
 */
export function loadTargetsFile(file: string): VendorTargets {
  const { doc, data, lineOf } = readYamlFile(file, "--targets", "TARGETS");
  /** The line of the deepest node of `path` the file has. */
  const lineAt = (path: readonly (string | number)[]): number | undefined => {
    // a whole section: the line of its name
    if (path.length === 1 && isMap(doc.contents)) {
      const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === path[0]);
      if (isScalar(pair?.key) && pair.key.range) return lineOf(pair.key.range[0]);
    }
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) return lineOf(node.range[0]);
    }
    return undefined;
  };
  try {
    return readTargets(file, data);
  } catch (e) {
    if (!(e instanceof TargetsError)) throw e;
    const line = lineAt(e.path);
    if (!line || !e.message.startsWith(`${file}: `)) throw e;
    throw new TargetsError(`${file}:${line}: ${e.message.slice(file.length + 2)}`, e.path);
  }
}

function readTargets(file: string, data: unknown): VendorTargets {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new PbxsimError(
      "TARGETS",
      `${file}: a targets file is a mapping with one section per vendor (${VENDORS.map((v) => v.id).join(", ")}).`,
    );
  }
  const byVendor = new Map<string, TargetSettings[]>();
  for (const [id, section] of Object.entries(data as Record<string, unknown>)) {
    const vendor = findVendor(id);
    if (!vendor) {
      const ids = VENDORS.map((v) => v.id);
      throw new TargetsError(
        `${file}: "${id}" is not a vendor${didYouMean(closest(id, ids, 1), true)}; the sections are named after vendors: ${ids.join(", ")}.`,
        [id],
      );
    }
    const targets = vendor.parseTargets(section, file);
    for (const t of targets) {
      try {
        checkUrl(t.url, `${file}: ${id}`);
      } catch (e) {
        throw e instanceof PbxsimError ? new TargetsError(e.message, [id]) : e;
      }
    }
    byVendor.set(vendor.id, targets);
  }
  return { byVendor };
}

/** Validates a target URL; the message names where it came from. */
export function checkUrl(url: string, where: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PbxsimError(
      "USAGE",
      `${where}: "${url}" is not a URL; write it in full, e.g. https://127.0.0.1:8443/enreach`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new PbxsimError(
      "USAGE",
      `${where}: "${redactUrl(url)}" uses ${u.protocol}; webhooks go over http:// or https://`,
    );
  }
  return u;
}

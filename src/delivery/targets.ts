import { PbxsimError } from "../core/errors.js";
import type { TargetSettings } from "../core/vendor.js";
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
  const { data } = readYamlFile(file, "--targets", "TARGETS");
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
      throw new PbxsimError(
        "TARGETS",
        `${file}: "${id}" is not a vendor; the sections are named after vendors: ${VENDORS.map((v) => v.id).join(", ")}.`,
      );
    }
    const targets = vendor.parseTargets(section, file);
    for (const t of targets) checkUrl(t.url, `${file}: ${id}`);
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

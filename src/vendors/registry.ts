import { PbxsimError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import type { Vendor } from "../core/vendor.js";
import { threeCx } from "./3cx/index.js";
import { acefone } from "./acefone/index.js";
import { enreach } from "./enreach/index.js";
import { voipbin } from "./voipbin/index.js";
import { webitel } from "./webitel/index.js";

/** Every vendor pbxsim simulates, by id. */
export const VENDORS: readonly Vendor[] = [enreach, voipbin, threeCx, acefone, webitel];

export function findVendor(id: string): Vendor | undefined {
  return VENDORS.find((v) => v.id === id.toLowerCase());
}

export function getVendor(id: string): Vendor {
  const v = findVendor(id);
  if (!v) {
    throw new PbxsimError(
      "VENDOR",
      `unknown vendor "${id}". ${didYouMean(
        closest(
          id,
          VENDORS.map((x) => x.id),
          1,
        ),
      )}The vendors are: ${VENDORS.map((x) => x.id).join(", ")}.`,
    );
  }
  return v;
}

export function resolveProfile(vendor: Vendor, profile: string | undefined): string {
  if (profile === undefined) return vendor.defaultProfile;
  if (!vendor.profiles.includes(profile)) {
    throw new PbxsimError(
      "USAGE",
      `--profile ${profile} is not a profile of ${vendor.id}${didYouMean(closest(profile, vendor.profiles, 1), true)}; its profiles are: ${vendor.profiles.join(", ")}.`,
    );
  }
  return profile;
}

/**
 * `--profile` for a run that may span vendors: comma-separated entries, each `vendor=profile`
 * (that vendor) or a bare profile name (every vendor of the run that has it). The chooser gives
 * each vendor its profile, or undefined where the flag says nothing of it (the scenario's or the
 * vendor's default then applies).
 */
export function profileChooser(
  spec: string | undefined,
  inRun: readonly Vendor[],
): (vendor: Vendor) => string | undefined {
  if (spec === undefined) return () => undefined;
  const byVendor = new Map<string, string>();
  const bare: string[] = [];
  for (const entry of spec.split(",").map((x) => x.trim())) {
    if (!entry) continue;
    const eq = entry.indexOf("=");
    if (eq < 0) {
      bare.push(entry);
      continue;
    }
    const id = entry.slice(0, eq).trim();
    const vendor = findVendor(id);
    if (!vendor)
      throw new PbxsimError(
        "USAGE",
        `--profile ${entry}: "${id}" is not a vendor; the vendors are: ${VENDORS.map((v) => v.id).join(", ")}.`,
      );
    byVendor.set(vendor.id, resolveProfile(vendor, entry.slice(eq + 1).trim()));
  }
  const vendors = [...new Set(inRun)];
  for (const p of bare) {
    if (vendors.some((v) => v.profiles.includes(p))) continue;
    // one vendor: the plain message; a mix: every vendor's profiles, and how to name one
    if (vendors.length === 1) resolveProfile(vendors[0]!, p);
    throw new PbxsimError(
      "USAGE",
      `--profile ${p}: no vendor of this run has that profile (${vendors.map((v) => `${v.id}: ${v.profiles.join(", ")}`).join("; ")}). Name the vendor in a mix, e.g. --profile voipbin=current,3cx=form.`,
    );
  }
  return (vendor) => byVendor.get(vendor.id) ?? bare.find((p) => vendor.profiles.includes(p));
}

import { PbxsimError } from "../core/errors.js";
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
      `unknown vendor "${id}". The vendors are: ${VENDORS.map((x) => x.id).join(", ")}.`,
    );
  }
  return v;
}

export function resolveProfile(vendor: Vendor, profile: string | undefined): string {
  if (profile === undefined) return vendor.defaultProfile;
  if (!vendor.profiles.includes(profile)) {
    throw new PbxsimError(
      "USAGE",
      `--profile ${profile} is not a profile of ${vendor.id}; its profiles are: ${vendor.profiles.join(", ")}.`,
    );
  }
  return profile;
}

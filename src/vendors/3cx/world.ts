import type { Directory, DirectoryAgent, PhoneNumber } from "../../core/model.js";
import type { RegionSpec } from "../../core/vendor.js";

/**
 * The 3CX PBX pbxsim plays: an IVR (800), three queues (820, 804, 830) and their extensions, as
 * in the add-on's examples. Keys are the extension/queue numbers themselves.
 */
export const IVR_NUMBER = "800";

/** Per profile: the demo region of the add-on's examples. */
export const PROFILE_REGION = {
  "k2m-json": { timeZone: "Europe/Istanbul", did: "", fqdn: "pbx.example.com.tr" },
  form: { timeZone: "Europe/Prague", did: "DID-420222000320", fqdn: "pbx.example.cz" },
} as const;

const NAMES: [string, string, string][] = [
  ["101", "Jana", "Novakova"],
  ["102", "Petr", "Svoboda"],
  ["103", "Lucie", "Dvorakova"],
  ["104", "Tomas", "Cerny"],
  ["117", "Mehmet", "Yilmaz"],
  ["202", "Ayse", "Kaya"],
  ["204", "Emre", "Demir"],
  ["205", "Zeynep", "Sahin"],
  ["210", "Can", "Ozturk"],
];

let cached: Directory | undefined;

export function threeCxDirectory(): Directory {
  if (cached) return cached;
  const agents: DirectoryAgent[] = NAMES.map(([ext, firstName, lastName]) => ({
    key: ext,
    firstName,
    lastName,
    email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}@example.com`,
    extension: ext,
    number: { e164: ext, national: ext },
  }));
  const q = (key: string, name: string) => ({ key, name, number: { e164: key, national: key } });
  cached = {
    queues: [q("820", "Support"), q("804", "Sales"), q("830", "Billing")],
    agents,
    members: {
      "820": ["202", "117", "204", "205"],
      "804": ["102", "103", "104", "101"],
      "830": ["210", "117", "205"],
    },
    callLists: [],
  };
  return cached;
}

function turkish(prefix: string, rest: string): PhoneNumber {
  return { e164: `+90${prefix}${rest}`, national: `0${prefix}${rest}` };
}

function czech(digits: string): PhoneNumber {
  return { e164: `+420${digits}`, national: digits };
}

export const threeCxRegion: RegionSpec = {
  callerNumber(rng, profile) {
    if (profile === "form") return czech(`${rng.pick(["60", "72", "73", "77", "79"])}${rng.digits(7)}`);
    return turkish(rng.pick(["532", "533", "542", "555", "505"]), rng.digits(7));
  },
  remoteNumber(rng, profile) {
    if (profile === "form") return czech(`${rng.pick(["2", "5"])}${rng.digits(8)}`);
    return rng.bool(0.6)
      ? turkish(rng.pick(["532", "544", "555"]), rng.digits(7))
      : turkish(rng.pick(["212", "216", "312"]), rng.digits(7));
  },
};

/** The number as the trunk delivers it: national with 0 (Turkey), international without + (Czech). */
export function trunkNumber(n: PhoneNumber, profile: string): string {
  if (profile !== "form") return n.national;
  return n.e164.startsWith("+") ? n.e164.slice(1) : n.e164;
}

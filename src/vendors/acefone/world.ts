import type { Directory, DirectoryAgent, PhoneNumber } from "../../core/model.js";
import type { RegionSpec } from "../../core/vendor.js";

/**
 * The Acefone account pbxsim plays: an Indian business with one DID, an IVR, two departments
 * (queues) and their agents. Ids are the portal's numeric ids.
 */
export const DID_NUMBER = "918069010148";
export const IVR = { id: 4518, name: "Main IVR" };
export const AUTO_ATTENDANT = { id: 912, name: "Business Hours" };

const AGENTS: [string, string, string][] = [
  ["100421", "Priya", "Sharma"],
  ["100422", "Rahul", "Verma"],
  ["100423", "Ananya", "Iyer"],
  ["100424", "Vikram", "Nair"],
  ["100425", "Sneha", "Kulkarni"],
  ["100426", "Arjun", "Mehta"],
];

export const CIRCLES = [
  { operator: "Airtel", circle: "Mumbai" },
  { operator: "Jio", circle: "Delhi" },
  { operator: "Vodafone Idea", circle: "Karnataka" },
  { operator: "Jio", circle: "Maharashtra" },
  { operator: "Airtel", circle: "Tamil Nadu" },
  { operator: "BSNL", circle: "Kerala" },
];

let cached: Directory | undefined;

export function acefoneDirectory(): Directory {
  if (cached) return cached;
  const agents: DirectoryAgent[] = AGENTS.map(([id, firstName, lastName], i) => ({
    key: id,
    firstName,
    lastName,
    email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}@example.in`,
    extension: `Extension-06021418103${40 + i}`,
    number: { e164: `+9183830814${String(40 + i)}`, national: `83830814${40 + i}` },
  }));
  const ids = agents.map((a) => a.key);
  const dept = (key: string, name: string) => ({
    key,
    name,
    number: { e164: `+${DID_NUMBER}`, national: DID_NUMBER },
  });
  cached = {
    queues: [dept("2513", "Sales"), dept("2514", "Support")],
    agents,
    members: { "2513": ids.slice(0, 3), "2514": ids.slice(2, 6) },
    callLists: [],
  };
  return cached;
}

const MOBILE_FIRST_DIGITS = ["9", "8", "7", "6"] as const;

function indianMobile(rng: { pick<T>(a: readonly T[]): T; digits(n: number): string }): PhoneNumber {
  const n = `${rng.pick(MOBILE_FIRST_DIGITS)}${rng.digits(9)}`;
  return { e164: `+91${n}`, national: n };
}

export const acefoneRegion: RegionSpec = {
  callerNumber: (rng) => indianMobile(rng),
  remoteNumber: (rng) => indianMobile(rng),
};

import type { Directory, DirectoryAgent } from "../../core/model.js";
import type { RegionSpec } from "../../core/vendor.js";

/**
 * The Webitel domain pbxsim plays: queues with numeric ids and agents with numeric agent and
 * user ids and short extensions. Members are Ukrainian numbers stored without `+`.
 */
const AGENTS: [string, string, string, string][] = [
  // agent id, user id, first, last
  ["57", "210", "Olena", "Kovalenko"],
  ["58", "211", "Andrii", "Shevchenko"],
  ["59", "212", "Iryna", "Bondarenko"],
  ["60", "213", "Taras", "Melnyk"],
  ["61", "214", "Oksana", "Tkachenko"],
  ["62", "215", "Dmytro", "Kravchenko"],
];

let cached: Directory | undefined;

export function webitelDirectory(): Directory {
  if (cached) return cached;
  const agents: DirectoryAgent[] = AGENTS.map(([id, , firstName, lastName], i) => ({
    key: id,
    firstName,
    lastName,
    email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}@example.ua`,
    extension: String(1001 + i),
    number: { e164: `+38044200${String(10 + i)}`, national: `044200${10 + i}` },
  }));
  const ids = agents.map((a) => a.key);
  const q = (key: string, name: string) => ({
    key,
    name,
    number: { e164: "+380442000000", national: "0442000000" },
  });
  cached = {
    queues: [q("12", "Inbound support"), q("15", "Sales dialer"), q("18", "Callbacks")],
    agents,
    members: { "12": ids.slice(0, 4), "15": ids.slice(2, 6), "18": ids.slice(0, 3) },
    callLists: [],
  };
  return cached;
}

/** The user id behind an agent id. */
export function userIdOf(agentId: string): string {
  return AGENTS.find((a) => a[0] === agentId)?.[1] ?? "0";
}

export const webitelRegion: RegionSpec = {
  callerNumber(rng) {
    const n = `${rng.pick(["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"])}${rng.digits(7)}`;
    return { e164: `+380${n}`, national: `0${n}` };
  },
  remoteNumber(rng) {
    const n = `${rng.pick(["50", "67", "73", "93", "97"])}${rng.digits(7)}`;
    return { e164: `+380${n}`, national: `0${n}` };
  },
};

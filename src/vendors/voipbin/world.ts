import type { Directory, DirectoryAgent, PhoneNumber } from "../../core/model.js";
import { nameUuid } from "../../core/random.js";
import type { RegionSpec } from "../../core/vendor.js";

/**
 * The VoIPBIN customer pbxsim plays: two queues, six agents and one inbound number, with stable
 * UUIDs. Numbers use the reserved +1 555 range.
 */
export const CUSTOMER_ID = nameUuid("voipbin", "customer");
export const INBOUND_NUMBER: PhoneNumber = { e164: "+15551230000", national: "5551230000" };
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
export const START_ACTION_ID = "00000000-0000-0000-0000-000000000001";
export const FINISH_ACTION_ID = "00000000-0000-0000-0000-000000000002";

const AGENTS: [string, string][] = [
  ["Olivia", "Bennett"],
  ["Liam", "Carter"],
  ["Sofia", "Reyes"],
  ["Noah", "Kim"],
  ["Emma", "Walsh"],
  ["Lucas", "Moreau"],
];

let cached: Directory | undefined;

export function voipbinDirectory(): Directory {
  if (cached) return cached;
  const agents: DirectoryAgent[] = AGENTS.map(([firstName, lastName], i) => ({
    key: nameUuid("voipbin/agent", `${firstName} ${lastName}`),
    firstName,
    lastName,
    email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}@example.com`,
    extension: `agent${i + 1}`,
    number: { e164: `+1555987${String(6540 + i).padStart(4, "0")}`, national: `555987${6540 + i}` },
  }));
  const queues = [
    { key: nameUuid("voipbin/queue", "support"), name: "support", number: INBOUND_NUMBER },
    {
      key: nameUuid("voipbin/queue", "sales"),
      name: "sales",
      number: { e164: "+15551230001", national: "5551230001" },
    },
  ];
  const ids = agents.map((a) => a.key);
  cached = {
    queues,
    agents,
    members: { [queues[0]!.key]: ids.slice(0, 4), [queues[1]!.key]: ids.slice(3, 6) },
    callLists: [],
  };
  return cached;
}

export const voipbinRegion: RegionSpec = {
  callerNumber(rng) {
    const d = `555${rng.digits(7)}`;
    return { e164: `+1${d}`, national: d };
  },
  remoteNumber(rng) {
    const d = `555${rng.digits(7)}`;
    return { e164: `+1${d}`, national: d };
  },
};

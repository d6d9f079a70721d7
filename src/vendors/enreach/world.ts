// the Finnish locale alone (with its English and base fallbacks), not every locale Faker has
import { faker } from "@faker-js/faker/locale/fi";
import type { Directory, DirectoryAgent, PhoneNumber } from "../../core/model.js";
import { nameUuid } from "../../core/random.js";
import type { RegionSpec } from "../../core/vendor.js";

/**
 * The Enreach tenant pbxsim plays: one Finnish organization with three service queues, a
 * callback list and a team of agents. Generated from a fixed seed, so its GUIDs are the same in
 * every run and can be used in subscriptions (EntityId).
 */
export const ORGANIZATION_ID = nameUuid("enreach", "organization");
export const ENREACH_DOMAIN = "customer.fi";

function fiNumber(prefix: string, rest: string): PhoneNumber {
  return { e164: `+358${prefix}${rest}`, national: `0${prefix}${rest}` };
}

function ascii(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z]/g, "");
}

let cached: Directory | undefined;

export function enreachDirectory(): Directory {
  if (cached) return cached;
  faker.seed(358);
  const agents: DirectoryAgent[] = [];
  const used = new Set<string>();
  while (agents.length < 10) {
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const email = `${ascii(firstName)}.${ascii(lastName)}@${ENREACH_DOMAIN}`;
    if (used.has(email)) continue;
    used.add(email);
    const n = agents.length + 1;
    agents.push({
      key: nameUuid("enreach/user", email),
      firstName,
      lastName,
      email,
      extension: String(200 + n),
      number: fiNumber("50", `${faker.string.numeric(7)}`),
    });
  }
  const queues = [
    { name: "Asiakaspalvelu", number: fiNumber("10", "1231234") },
    { name: "Myynti", number: fiNumber("10", "1231200") },
    { name: "Tekninen tuki", number: fiNumber("10", "1231300") },
  ].map((q) => ({ key: nameUuid("enreach/queue", q.name), ...q }));
  const ids = agents.map((a) => a.key);
  cached = {
    queues,
    agents,
    members: {
      [queues[0]!.key]: ids.slice(0, 6),
      [queues[1]!.key]: ids.slice(4, 8),
      [queues[2]!.key]: ids.slice(6, 10),
    },
    callLists: [{ key: nameUuid("enreach/calllist", "Takaisinsoitot"), name: "Takaisinsoitot" }],
  };
  return cached;
}

export const enreachRegion: RegionSpec = {
  callerNumber(rng) {
    return fiNumber(rng.pick(["40", "41", "44", "45", "50"]), rng.digits(7));
  },
  remoteNumber(rng) {
    return rng.bool(0.7)
      ? fiNumber(rng.pick(["40", "44", "50"]), rng.digits(7))
      : fiNumber(rng.pick(["9", "2", "3"]), rng.digits(7));
  },
};

import { readFileSync } from "node:fs";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { HangupCause, SimulatedCall } from "../src/core/model.js";
import { Rng } from "../src/core/random.js";
import { hmacSha256Hex, verifySignature } from "../src/core/signing.js";
import { isSuccess } from "../src/core/vendor.js";
import { dryRunLine, type Plan, type PlannedRequest, planRun } from "../src/delivery/plan.js";
import { nextHop } from "../src/delivery/redirect.js";
import { deliverPlan, runScenarios } from "../src/delivery/run.js";
import { createReceiver } from "../src/receiver/app.js";
import { serve } from "../src/receiver/serve.js";
import { parseScenarioText, resolveScenarios, type Scenario } from "../src/scenario/load.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { SIGNATURE_HEADER, voipbin } from "../src/vendors/voipbin/index.js";
import { canTransition, hangupBy, hangupReason } from "../src/vendors/voipbin/project.js";
import { startServer, type TestServer } from "./helpers/servers.js";
import { memoize } from "./helpers/memo.js";

/**
 * VoIPBIN (the vendor's documented behaviour): the five built-in scenarios follow the sequences V1..V4 and V6 in both API
 * generations (legacy, the documented one, and current, the 2026 code), the call status machine and the
 * hangup tables hold for every call, every body has its generation's format, the transport signs, retries
 * and judges answers as each generation does, and the built-in receiver accepts the traffic.
 */

const PROFILES = ["legacy", "current"] as const;
type Profile = (typeof PROFILES)[number];
type Status = Parameters<typeof canTransition>[0];

const TARGET = "http://127.0.0.1:9/hook";
const SECRET = "k3y";
const START = Date.UTC(2026, 0, 5, 7);
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const CALLS = 3;
const ZERO = "00000000-0000-0000-0000-000000000000";
const START_ID = "00000000-0000-0000-0000-000000000001";
const FINISH_ID = "00000000-0000-0000-0000-000000000002";
const SENTINEL = "9999-01-01 00:00:00.000000";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEGACY_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const LEGACY_EXEC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9}$/;
/** Go's time.Time JSON: RFC 3339, fraction with its trailing zeros trimmed (none at all when zero), Z. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$/;
const E164 = /^\+\d{8,15}$/;

const scenarios = resolveScenarios(["voipbin/*"], findVendor);
const SCENARIO_IDS = [
  "voipbin/activeflow-progression",
  "voipbin/outbound-answered",
  "voipbin/outbound-unanswered",
  "voipbin/queue-abandoned",
  "voipbin/queue-answered",
];

/** The event names of each generation (the vendor's documented behaviour). */
const LEGACY_EVENTS = [
  "call_created",
  "call_updated",
  "call_ringing",
  "call_answered",
  "call_hungup",
  "activeflow_created",
  "activeflow_updated",
  "activeflow_deleted",
  "queuecall_created",
  "queuecall_entering",
  "queuecall_kicking",
  "queuecall_serviced",
  "queuecall_done",
  "queuecall_abandoned",
  "agent_status_updated",
];
const CURRENT_EVENTS = [
  "call_created",
  "call_updated",
  "call_ringing",
  "call_progressing",
  "call_terminating",
  "call_canceling",
  "call_hangup",
  "activeflow_created",
  "activeflow_updated",
  "queuecall_created",
  "queuecall_waiting",
  "queuecall_connecting",
  "queuecall_serviced",
  "queuecall_done",
  "queuecall_abandoned",
  "agent_status_updated",
  "groupcall_created",
  "groupcall_progressing",
  "groupcall_hangup",
];
/** Sent by the current code, but not by any of these scenarios (outgoing calls are created already dialing). */
const CURRENT_OPTIONAL = ["call_dialing"];
const EVENTS: Record<Profile, string[]> = { legacy: LEGACY_EVENTS, current: CURRENT_EVENTS };

/** The keys of the legacy document's examples, in the document's order. */
const DOC_KEYS: Record<string, string[]> = {
  call: [
    "id",
    "flow_id",
    "type",
    "master_call_id",
    "chained_call_ids",
    "recording_id",
    "recording_ids",
    "source",
    "destination",
    "status",
    "action",
    "direction",
    "hangup_by",
    "hangup_reason",
    "tm_create",
    "tm_update",
    "tm_progressing",
    "tm_ringing",
    "tm_hangup",
  ],
  activeflow: [
    "id",
    "flow_id",
    "customer_id",
    "reference_type",
    "reference_id",
    "current_action",
    "forward_action_id",
    "actions",
    "tm_create",
    "tm_update",
    "tm_delete",
  ],
  queuecall: [
    "id",
    "reference_type",
    "reference_id",
    "status",
    "service_agent_id",
    "tm_create",
    "tm_service",
    "tm_update",
    "tm_delete",
  ],
  agent: [
    "id",
    "username",
    "name",
    "detail",
    "ring_method",
    "status",
    "permission",
    "tag_ids",
    "addresses",
    "tm_create",
    "tm_update",
    "tm_delete",
  ],
};
const DOC_ADDRESS_KEYS = ["type", "target", "target_name", "name", "detail"];
/** option only when the action has one; tm_execute only on a call's action once it ran. */
const DOC_ACTION_KEYS = ["id", "next_id", "type", "option", "tm_execute"];

// ---------------------------------------------------------------------------------------------------------
// Planning and a per-call view of the traffic

interface Address {
  type?: string;
  target?: string;
  target_name?: string;
  name?: string;
  detail?: string;
}
interface Action {
  id: string;
  next_id: string;
  type: string;
  option?: Record<string, unknown>;
  tm_execute?: string | null;
}
interface Data {
  [key: string]: unknown;
  id: string;
  status?: string;
  action?: Action;
  current_action?: Action;
  actions?: Action[];
  executed_actions?: Action[];
  master_call_id?: string;
  chained_call_ids?: string[];
  reference_id?: string;
  activeflow_id?: string;
  direction?: "incoming" | "outgoing";
  hangup_by?: string;
  hangup_reason?: string;
  source?: Address;
  destination?: Address;
  service_agent_id?: string;
  duration_waiting?: number;
  duration_service?: number;
  groupcall_id?: string;
  tm_create?: string | null;
  tm_update?: string | null;
  tm_delete?: string | null;
  tm_service?: string | null;
}
interface Envelope {
  type: string;
  data: Data;
}

type Role = "caller" | "agent" | "af" | "qc" | "ag" | "gc";
interface Ev {
  req: PlannedRequest;
  name: string;
  at: number;
  data: Data;
  role: Role;
}
interface CallView {
  call: SimulatedCall;
  profile: Profile;
  seed: number;
  callerId: string;
  events: Ev[];
}

function plan(
  profile: Profile,
  seed: number,
  extra: { method?: string; reorderMs?: number; url?: string; secret?: string | null } = {},
  list: Scenario[] = scenarios,
  calls = CALLS,
): Plan {
  return planRun({
    scenarios: list,
    targets: {
      byVendor: new Map(),
      fallback: {
        url: extra.url ?? TARGET,
        secret: extra.secret === null ? undefined : (extra.secret ?? SECRET),
      },
    },
    seed,
    start: START,
    calls,
    profile,
    method: extra.method,
    reorderMs: extra.reorderMs,
  });
}

const RESOURCE_ROLE: Record<string, Role> = {
  activeflow: "af",
  queuecall: "qc",
  agent: "ag",
  groupcall: "gc",
};

function callsOf(p: Plan, profile: Profile, seed: number): CallView[] {
  return p.calls.map((call) => {
    const reqs = p.requests.filter((r) => r.call === call.key).sort((a, b) => a.seq - b.seq);
    const bodies = reqs.map((r) => JSON.parse(r.body) as Envelope);
    const created = bodies.find((b) => b.type === "call_created" && b.data.master_call_id === ZERO);
    expect(created, `${call.scenario}: no call_created of the caller`).toBeDefined();
    const callerId = created!.data.id;
    const events = reqs.map((req, i): Ev => {
      const b = bodies[i]!;
      const resource = b.type.split("_")[0]!;
      const role: Role =
        resource === "call" ? (b.data.id === callerId ? "caller" : "agent") : RESOURCE_ROLE[resource]!;
      return { req, name: req.event, at: req.at, data: b.data, role };
    });
    return { call, profile, seed, callerId, events };
  });
}

const plansOf = memoize((profile: Profile): Plan[] => SEEDS.map((seed) => plan(profile, seed)));
const callsOfProfile = memoize((profile: Profile): CallView[] =>
  plansOf(profile).flatMap((p, i) => callsOf(p, profile, SEEDS[i]!)),
);
function everyCall(profile: Profile, scenario?: string): CallView[] {
  const calls = callsOfProfile(profile);
  return scenario === undefined ? calls : calls.filter((c) => c.call.scenario === scenario);
}
function where(c: CallView): string {
  return `${c.profile} seed ${c.seed} call ${c.call.key} (${c.call.scenario})`;
}

/** Epoch microseconds of a time in either generation's format. */
function micros(t: string): number {
  let m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{6})(\d{3})?$/.exec(t);
  if (m) return Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number(m[3]);
  m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(t);
  if (m) return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
  throw new Error(`not a VoIPBIN time: ${t}`);
}
/** A time that carries a value: not the legacy sentinel, not null, not left out. */
function isSet(t: unknown): t is string {
  return typeof t === "string" && t !== SENTINEL;
}

/** Every value of a body with its path. */
function walk(v: unknown, path: string, out: [string, unknown][] = []): [string, unknown][] {
  out.push([path, v]);
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The sequences V1..V4 and V6, derived from the simulation's facts

/** `name role detail`: call status, activeflow cursor (start/finish/type, `ended`), queuecall/agent status. */
function sig(e: Ev): string {
  const d = e.data;
  if (e.role === "af") {
    const a = d.current_action!;
    const cursor = a.id === START_ID ? "start" : a.id === FINISH_ID ? "finish" : a.type;
    return `${e.name} af ${cursor}${d.status === "ended" ? " ended" : ""}`;
  }
  // the legacy kicking event repeats the previous status (the document's example even shows `entering`)
  if (e.name === "queuecall_kicking") return `${e.name} qc`;
  return `${e.name} ${e.role} ${d.status}`;
}

function expectedStory(c: CallView): string[] {
  const legacy = c.profile === "legacy";
  const outbound = c.call.direction === "outbound";
  const out: string[] = [];
  let st = (outbound ? "dialing" : "ringing") as Status;
  let cursor = "start";
  let queue = "";
  let connected = false;
  let ended = false;
  const legacyNames: Partial<Record<Status, string>> = {
    ringing: "call_ringing",
    progressing: "call_answered",
    hangup: "call_hungup",
  };
  const statusEvents = (who: string, s: Status) =>
    legacy ? (legacyNames[s] ? [`${legacyNames[s]} ${who} ${s}`] : []) : [`call_${s} ${who} ${s}`];
  const callerTo = (s: Status) => {
    st = s;
    out.push(...statusEvents("caller", s));
  };
  const move = (type: string) => {
    cursor = type;
    out.push(`activeflow_updated af ${type}`, `call_updated caller ${st}`);
  };
  // legacy: the final call_updated, then call_hungup; current: call_hangup
  const hungUp = (who: string) =>
    legacy ? [`call_updated ${who} hangup`, `call_hungup ${who} hangup`] : [`call_hangup ${who} hangup`];
  // our side hangs up: current shows terminating (or canceling) first
  const localHangup = (who: string, via: Status) => {
    if (!legacy) out.push(`call_${via} ${who} ${via}`);
    out.push(...hungUp(who));
  };
  const endFlow = () => {
    if (ended) return;
    ended = true;
    out.push(legacy ? `activeflow_deleted af ${cursor}` : `activeflow_updated af ${cursor} ended`);
  };

  out.push(
    ...(legacy
      ? [`call_created caller ${st}`, "activeflow_created af start"]
      : ["activeflow_created af start", `call_created caller ${st}`]),
  );
  for (const f of c.call.facts) {
    switch (f.kind) {
      case "remote-ringing":
        callerTo("ringing");
        break;
      case "remote-answer":
        callerTo("progressing");
        break;
      case "action":
        move(f.type);
        if (f.type === "answer" && st !== "progressing") callerTo("progressing");
        break;
      case "enqueue":
        move("queue_join");
        queue = legacy ? "wait" : "initiating";
        out.push(`queuecall_created qc ${queue}`);
        if (!legacy) {
          // the queue pushes its wait flow: fetch_flow, then an empty action that halts the cursor
          move("fetch_flow");
          move("empty");
          queue = "waiting";
          out.push("queuecall_waiting qc waiting");
        }
        break;
      case "offer":
        if (legacy) {
          out.push(
            "agent_status_updated ag ringing",
            "call_created agent dialing",
            `call_updated caller ${st}`,
            "queuecall_entering qc entering",
          );
          queue = "entering";
        } else {
          out.push(
            "groupcall_created gc progressing",
            "call_created agent dialing",
            `call_updated caller ${st}`,
            "agent_status_updated ag ringing",
            "queuecall_connecting qc connecting",
          );
          queue = "connecting";
        }
        out.push("call_ringing agent ringing");
        break;
      case "miss":
        out.push(...hungUp("agent"));
        if (!legacy) out.push("groupcall_hangup gc hangup");
        out.push("agent_status_updated ag available");
        if (!legacy) {
          queue = "waiting";
          out.push("queuecall_waiting qc waiting");
        }
        break;
      case "answer":
        connected = true;
        if (legacy) {
          out.push(
            "call_answered agent progressing",
            "queuecall_serviced qc service",
            "agent_status_updated ag busy",
          );
          move("confbridge_join");
        } else {
          move("confbridge_join");
          out.push(
            "queuecall_serviced qc service",
            "call_progressing agent progressing",
            "groupcall_progressing gc progressing",
            "agent_status_updated ag busy",
          );
        }
        queue = "service";
        break;
      case "overflow":
        if (legacy) out.push("queuecall_kicking qc");
        out.push("queuecall_abandoned qc abandoned");
        queue = "abandoned";
        break;
      case "hangup": {
        if (queue === "service") {
          out.push("queuecall_done qc done");
          queue = "done";
        }
        const dialTimeout = f.by === "system" && f.cause === "timeout" && st !== "progressing";
        if (f.by === "agent" && connected) {
          out.push(...hungUp("agent"));
          if (!legacy) out.push("groupcall_hangup gc hangup");
          localHangup("caller", "terminating");
        } else if (f.by === "caller" || dialTimeout) {
          out.push(...hungUp("caller"));
          if (connected) {
            localHangup("agent", "terminating");
            if (!legacy) out.push("groupcall_hangup gc hangup");
          }
        } else {
          // our side: the flow hangs up (current: the flow ends first), or the originator cancels
          if (f.by === "system" && !legacy) {
            if (cursor !== "hangup") move("finish");
            endFlow();
          }
          localHangup("caller", st === "progressing" || !outbound ? "terminating" : "canceling");
        }
        if (queue && queue !== "done" && queue !== "abandoned") out.push("queuecall_abandoned qc abandoned");
        endFlow();
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** `hangup_by hangup_reason` of the caller and the agent leg, straight from the facts (§1b tables). */
function expectedEnds(c: CallView): Partial<Record<"caller" | "agent", string>> {
  const facts = c.call.facts;
  const h = facts.find((f) => f.kind === "hangup");
  if (h?.kind !== "hangup") throw new Error(`${where(c)}: no hangup`);
  const answered = facts.some(
    (f) => f.kind === "remote-answer" || (f.kind === "action" && f.type === "answer"),
  );
  const agentAnswered = facts.some((f) => f.kind === "answer");
  const missed = facts.some((f) => f.kind === "miss");
  const out: Partial<Record<"caller" | "agent", string>> = {};
  if (h.by === "caller") out.caller = `remote ${answered ? "normal" : h.cause}`;
  else if (h.by === "system") out.caller = answered ? "local normal" : "remote dialout";
  // the agent hangs up a connected call, or the originator cancels an unanswered one
  else out.caller = answered ? "local normal" : "local cancel";
  if (missed) out.agent = "remote noanswer";
  else if (agentAnswered) out.agent = h.by === "agent" ? "remote normal" : "local normal";
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe("built-in VoIPBIN scenarios", () => {
  it("are all there", () => {
    expect(scenarios.map((s) => s.id)).toEqual(SCENARIO_IDS);
  });

  it("simulate the same calls in both generations (the facts do not depend on the profile)", () => {
    for (const i of SEEDS.keys()) {
      const [legacy, current] = PROFILES.map((p) => plansOf(p)[i]!.calls);
      // (the start of a later call follows the previous call's last event, which differs between them)
      expect(legacy!.map((c) => [c.scenario, c.facts, c.summary])).toEqual(
        current!.map((c) => [c.scenario, c.facts, c.summary]),
      );
    }
  });
});

describe("event names per generation", () => {
  it.each(PROFILES)(
    "%s, 20 seeds: every event is one of the generation's, and all of them occur",
    (profile) => {
      const seen = new Set(everyCall(profile).flatMap((c) => c.events.map((e) => e.name)));
      const allowed = [...EVENTS[profile], ...(profile === "current" ? CURRENT_OPTIONAL : [])];
      expect([...seen].filter((n) => !allowed.includes(n))).toEqual([]);
      expect(EVENTS[profile].filter((n) => !seen.has(n))).toEqual([]);
    },
  );

  it("no event of one generation appears in the other", () => {
    const legacyOnly = LEGACY_EVENTS.filter((n) => !CURRENT_EVENTS.includes(n));
    const currentOnly = [...CURRENT_EVENTS, ...CURRENT_OPTIONAL].filter((n) => !LEGACY_EVENTS.includes(n));
    expect(legacyOnly).toEqual(
      expect.arrayContaining(["call_answered", "call_hungup", "activeflow_deleted", "queuecall_entering"]),
    );
    const names = (p: Profile) => new Set(everyCall(p).flatMap((c) => c.events.map((e) => e.name)));
    expect(currentOnly.filter((n) => names("legacy").has(n))).toEqual([]);
    expect(legacyOnly.filter((n) => names("current").has(n))).toEqual([]);
    // the vendor's catalogue says the same: one entry per generation that sends the event
    for (const e of voipbin.events) {
      const gen = e.profiles![0] as Profile;
      expect(e.profiles).toHaveLength(1);
      expect([...EVENTS[gen], ...(gen === "current" ? CURRENT_OPTIONAL : [])], `${gen} ${e.name}`).toContain(
        e.name,
      );
    }
  });

  it("current: no activeflow_deleted on hang-up; the flow ends with status ended", () => {
    for (const c of everyCall("current")) {
      const af = c.events.filter((e) => e.role === "af");
      expect(af.map((e) => e.name)).not.toContain("activeflow_deleted");
      expect(af.at(-1)!.data.status, where(c)).toBe("ended");
      expect(
        af.slice(0, -1).every((e) => e.data.status === "running"),
        where(c),
      ).toBe(true);
    }
  });
});

/** How a call's events differ from the sequence its facts call for; nothing when they follow it. */
function storyMismatch(c: CallView): string[] {
  let got = c.events.map(sig);
  let want = expectedStory(c);
  if (c.profile === "legacy" && c.call.direction === "outbound") {
    // the legacy activeflow of an outbound call is created about a second in, racing the ringing
    got = got.filter((s) => s !== "activeflow_created af start");
    want = want.filter((s) => s !== "activeflow_created af start");
  }
  return JSON.stringify(got) === JSON.stringify(want)
    ? []
    : [`${where(c)}:\n  got  ${got.join(" | ")}\n  want ${want.join(" | ")}`];
}

/** A built-in scenario with its time taken out: no waits, no `after:`, no talk or action durations. */
function withoutTime(s: Scenario): Scenario {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => !(x && typeof x === "object" && "wait" in x)).map(strip);
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== "after")
          .map(([k, x]) => [k, k === "talk" || k === "duration" ? "0s" : strip(x)]),
      );
    return v;
  };
  const doc = parse(readFileSync(s.file, "utf8")) as { name: string; steps: unknown };
  const text = stringify({ ...doc, name: `${doc.name}-no-time`, steps: strip(doc.steps) });
  return parseScenarioText(text, s.file, findVendor);
}

describe.each(PROFILES)(
  "%s, 20 seeds: the sequences V1..V4 and V6 (the vendor's documented behaviour)",
  (profile) => {
    it.each(SCENARIO_IDS)("%s follows its sequence", (id) => {
      const calls = everyCall(profile, id);
      expect(calls).toHaveLength(SEEDS.length * CALLS);
      expect(calls.flatMap(storyMismatch)).toEqual([]);
    });

    it("holds with no time between the steps: the call waits for VoIPBIN's own delays", () => {
      // an answer at the instant of its offer comes after the leg's ringing (900 ms after it is
      // dialled), a hang-up after the queuecall's creation, the flow's work after its activeflow's
      const list = scenarios.map(withoutTime);
      const calls = SEEDS.flatMap((seed) => callsOf(plan(profile, seed, {}, list), profile, seed));
      expect(calls).toHaveLength(SEEDS.length * CALLS * SCENARIO_IDS.length);
      expect(calls.flatMap(storyMismatch)).toEqual([]);
    });

    it("creates the activeflow and the call in the generation's order, linked to each other", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        const names = c.events.map((e) => `${e.name} ${e.role}`);
        const created = c.events.find((e) => e.name === "activeflow_created")!;
        const call = c.events.find((e) => e.role === "caller")!;
        const firstUpdate = names.indexOf("activeflow_updated af");
        if (profile === "current") {
          // the call manager creates the activeflow first, with the id the call is about to get
          if (names[0] !== "activeflow_created af" || names[1] !== "call_created caller")
            bad.push(`${where(c)}: starts ${names.slice(0, 2).join(", ")}`);
          for (const e of c.events.filter((x) => x.role === "caller"))
            if (e.data.activeflow_id !== created.data.id) bad.push(`${where(c)}: ${e.name} activeflow_id`);
        } else {
          const i = names.indexOf("activeflow_created af");
          const gap = created.at - call.at;
          if (names[0] !== "call_created caller") bad.push(`${where(c)}: starts ${names[0]}`);
          if (firstUpdate >= 0 && i > firstUpdate)
            bad.push(`${where(c)}: activeflow_created after an update`);
          if (gap <= 0 || gap > 1_100) bad.push(`${where(c)}: activeflow_created ${gap} ms after the call`);
        }
        for (const e of c.events.filter((x) => x.role === "af")) {
          if (e.data.id !== created.data.id) bad.push(`${where(c)}: ${e.name} of another activeflow`);
          if (e.data.reference_type !== "call" || e.data.reference_id !== c.callerId)
            bad.push(`${where(c)}: ${e.name} references ${e.data.reference_type} ${e.data.reference_id}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('starts at the reserved start action (…0001, type "") on the activeflow and the call', () => {
      for (const c of everyCall(profile)) {
        const af = c.events.find((e) => e.name === "activeflow_created")!.data;
        const call = c.events.find((e) => e.name === "call_created" && e.role === "caller")!.data;
        expect(af.current_action, where(c)).toMatchObject({ id: START_ID, next_id: ZERO, type: "" });
        expect(call.action, where(c)).toMatchObject({ id: START_ID, next_id: ZERO, type: "" });
        if (profile === "legacy") expect(af.current_action).not.toHaveProperty("tm_execute");
        else expect(af.current_action!.tm_execute).toBeNull();
      }
    });

    it("sends one activeflow_updated per action the cursor reaches, each followed by the call's call_updated", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        let previous: Action | undefined;
        c.events.forEach((e, i) => {
          if (e.role !== "af") return;
          const cur = e.data.current_action!;
          const moved = e.name === "activeflow_updated" && e.data.status !== "ended";
          if (e.name === "activeflow_created") {
            previous = cur;
            return;
          }
          if (moved) {
            if (previous && cur.id === previous.id) bad.push(`${where(c)}: an update that does not move`);
            const next = c.events[i + 1];
            const a = next?.data.action;
            const same =
              next?.name === "call_updated" &&
              next.role === "caller" &&
              a?.id === cur.id &&
              a.type === cur.type &&
              JSON.stringify(a.option) === JSON.stringify(cur.option) &&
              (profile === "legacy" || a.tm_execute === cur.tm_execute);
            if (!same) bad.push(`${where(c)}: ${cur.type} followed by ${next?.name} ${a?.type}`);
          } else if (cur.id !== previous?.id) bad.push(`${where(c)}: ${e.name} moved the cursor`);
          previous = cur;
        });
      }
      expect(bad).toEqual([]);
    });

    it("moves the cursor through the scenario's flow with stable ids", () => {
      const bad: string[] = [];
      for (const id of SCENARIO_IDS) {
        const flow = scenarios.find((s) => s.id === id)!.flow!;
        const idsByRef = new Map<string, string>();
        for (const c of everyCall(profile, id)) {
          const refs = c.call.facts.flatMap((f) => (f.kind === "action" ? [f.ref!] : []));
          const cursor = c.events
            .filter((e) => e.name === "activeflow_updated" && e.data.status !== "ended")
            .map((e) => e.data.current_action!);
          const fromFlow = cursor.filter(
            (a) => flow.some((x) => x.type === a.type) && a.type !== "queue_join",
          );
          if (fromFlow.length !== refs.length) bad.push(`${where(c)}: ${fromFlow.length} flow actions run`);
          fromFlow.forEach((a, i) => {
            const ref = refs[i]!;
            const entry = flow.find((x) => x.ref === ref)!;
            if (a.type !== entry.type || JSON.stringify(a.option) !== JSON.stringify(entry.option))
              bad.push(`${where(c)}: ${ref} ran as ${a.type}`);
            if (!UUID.test(a.id) || a.id === START_ID || a.id === FINISH_ID)
              bad.push(`${where(c)}: id ${a.id}`);
            if ((idsByRef.get(ref) ?? a.id) !== a.id) bad.push(`${where(c)}: ${ref} changed its id`);
            idsByRef.set(ref, a.id);
          });
          if (profile === "legacy") {
            // the activeflow carries the whole flow, unchanged on every event
            for (const e of c.events.filter((x) => x.role === "af")) {
              const actions = e.data.actions!;
              const shape = actions.map((a) => ({ type: a.type, option: a.option }));
              if (
                JSON.stringify(shape) !==
                JSON.stringify(flow.map((a) => ({ type: a.type, option: a.option })))
              )
                bad.push(`${where(c)}: ${e.name} actions differ from the flow`);
              actions.forEach((a, i) => {
                const ref = flow[i]!.ref!;
                if ((idsByRef.get(ref) ?? a.id) !== a.id) bad.push(`${where(c)}: actions[${i}] id`);
                idsByRef.set(ref, a.id);
                if ("tm_execute" in a || a.next_id !== ZERO) bad.push(`${where(c)}: actions[${i}] keys`);
              });
            }
          }
        }
        const ids = [...idsByRef.values()];
        if (new Set(ids).size !== ids.length) bad.push(`${id}: two refs share an id`);
      }
      expect(bad).toEqual([]);
    });

    if (profile === "current") {
      it("grows executed_actions by the previous action on every move", () => {
        const bad: string[] = [];
        for (const c of everyCall(profile)) {
          let prev: Data | undefined;
          for (const e of c.events.filter((x) => x.role === "af")) {
            const d = e.data;
            const executed = d.executed_actions ?? [];
            if (prev) {
              const before = prev.executed_actions ?? [];
              const last = prev.current_action!;
              const moved = d.current_action!.id !== last.id;
              const want = moved && last.id !== START_ID ? [...before, last] : before;
              if (JSON.stringify(executed) !== JSON.stringify(want))
                bad.push(`${where(c)}: ${e.name} executed ${executed.map((a) => a.type).join(",")}`);
            } else if (executed.length !== 0) bad.push(`${where(c)}: created with executed actions`);
            if (executed.some((a) => !isSet(a.tm_execute)))
              bad.push(`${where(c)}: an executed action never ran`);
            prev = d;
          }
        }
        expect(bad).toEqual([]);
      });
    }
  },
);

describe("the reserved finish action and flows that run out", () => {
  const runsOut = parseScenarioText(
    [
      "vendor: voipbin",
      "name: runs-out",
      "description: The flow answers and plays a greeting, then runs out of actions; VoIPBIN hangs up.",
      "call: { direction: inbound, queue: support }",
      "flow:",
      "  - { ref: answer, type: answer }",
      "  - { ref: hello, type: talk, option: { text: Hello, gender: female, language: en-US } }",
      "steps:",
      "  - arrive: {}",
      "  - action: { ref: answer, after: 1s }",
      "  - action: { ref: hello, after: 200ms, duration: 3s }",
      "  - hangup: { by: system }",
    ].join("\n"),
    "x.yaml",
    findVendor,
  );

  it("current: finish (…0002), ended, then call_terminating and call_hangup by local (V1 6b)", () => {
    for (const seed of SEEDS.slice(0, 5)) {
      const [c] = callsOf(plan("current", seed, {}, [runsOut], 1), "current", seed);
      expect(c!.events.map(sig)).toEqual(expectedStory(c!));
      expect(c!.events.slice(-5).map(sig)).toEqual([
        "activeflow_updated af finish",
        "call_updated caller progressing",
        "activeflow_updated af finish ended",
        "call_terminating caller terminating",
        "call_hangup caller hangup",
      ]);
      const finish = c!.events.find((e) => e.data.current_action?.id === FINISH_ID)!.data;
      expect(finish.executed_actions!.map((a) => a.type)).toEqual(["answer", "talk"]);
      expect(c!.events.at(-1)!.data).toMatchObject({ hangup_by: "local", hangup_reason: "normal" });
    }
  });

  it("an action that names no entry of the flow is refused with the one it likely meant", () => {
    const story = (flow: string[], action: string) =>
      parseScenarioText(
        [
          "vendor: voipbin",
          "name: typo",
          "call: { direction: inbound }",
          ...flow,
          "steps:",
          "  - arrive: {}",
          action,
          "  - hangup: { by: caller }",
        ].join("\n"),
        "typo.yaml",
        findVendor,
      );
    const refused = (flow: string[], action: string) => () =>
      plan("current", 1, {}, [story(flow, action)], 1);
    const flow = ["flow:", "  - { ref: answer, type: answer }", "  - { ref: bye, type: hangup }"];
    expect(refused(flow, "  - action: { ref: answr }")).toThrow(
      /typo\.yaml:\d+: action ref "answr" is not in the scenario's flow \(did you mean answer\?\); its refs are answer, bye/,
    );
    expect(refused(flow, "  - action: { type: hangpu }")).toThrow(
      /action type "hangpu" is not in the scenario's flow \(did you mean hangup\?\)/,
    );
    expect(refused([], "  - action: { ref: answer }")).toThrow(
      /action ref "answer" names an entry of the scenario's flow:, and this file has none/,
    );
  });

  it("legacy: the call is hung up by local, then the activeflow is deleted", () => {
    const [c] = callsOf(plan("legacy", 3, {}, [runsOut], 1), "legacy", 3);
    expect(c!.events.map(sig)).toEqual(expectedStory(c!));
    expect(c!.events.find((e) => e.name === "call_hungup")!.data).toMatchObject({
      hangup_by: "local",
      hangup_reason: "normal",
    });
  });
});

describe.each(PROFILES)("%s, 20 seeds: queue calls (V2, V3)", (profile) => {
  const legacy = profile === "legacy";
  const queueCalls = () => [
    ...everyCall(profile, "voipbin/queue-answered"),
    ...everyCall(profile, "voipbin/queue-abandoned"),
  ];

  it("moves the queuecall through the generation's statuses, with the offered agent and its times", () => {
    const bad: string[] = [];
    for (const c of queueCalls()) {
      const q = c.events.filter((e) => e.role === "qc");
      const statuses = q.filter((e) => e.name !== "queuecall_kicking").map((e) => e.data.status);
      const offered = c.call.facts.flatMap((f) => (f.kind === "offer" ? [f.agent] : []));
      const answered = c.call.facts.some((f) => f.kind === "answer");
      const missed = c.call.facts.some((f) => f.kind === "miss");
      const kicked = c.call.facts.some((f) => f.kind === "overflow");
      const want = legacy
        ? answered
          ? ["wait", "entering", "service", "done"]
          : missed
            ? ["wait", "entering", "abandoned"]
            : ["wait", "abandoned"]
        : answered
          ? ["initiating", "waiting", "connecting", "service", "done"]
          : missed
            ? ["initiating", "waiting", "connecting", "waiting", "abandoned"]
            : ["initiating", "waiting", "abandoned"];
      if (JSON.stringify(statuses) !== JSON.stringify(want)) bad.push(`${where(c)}: ${statuses.join(" → ")}`);
      if (legacy && kicked !== q.some((e) => e.name === "queuecall_kicking"))
        bad.push(`${where(c)}: kicking without a wait timeout, or the reverse`);
      const ids = new Set(q.map((e) => e.data.id));
      if (ids.size !== 1) bad.push(`${where(c)}: ${ids.size} queuecalls`);
      const tmCreate = q[0]!.data.tm_create;
      for (const e of q) {
        const d = e.data;
        if (d.reference_type !== "call" || d.reference_id !== c.callerId) bad.push(`${where(c)}: reference`);
        if (d.tm_create !== tmCreate) bad.push(`${where(c)}: ${e.name} tm_create changed`);
        // zero until an agent is found (entering / connecting), that agent from then on
        const found = q.findIndex((x) => ["queuecall_entering", "queuecall_connecting"].includes(x.name));
        const agent = found < 0 || q.indexOf(e) < found ? ZERO : offered[0];
        if (d.service_agent_id !== agent)
          bad.push(`${where(c)}: ${e.name} service agent ${d.service_agent_id}`);
        if (legacy) {
          if (["entering", "service", "done"].includes(d.status!) && !isSet(d.tm_service))
            bad.push(`${where(c)}: ${e.name} without tm_service`);
          if (d.status === "done" ? d.tm_delete !== d.tm_update || !isSet(d.tm_delete) : false)
            bad.push(`${where(c)}: queuecall_done tm_delete is not its completion time`);
          if (!["done", "abandoned"].includes(d.status!) && isSet(d.tm_delete))
            bad.push(`${where(c)}: ${e.name} with tm_delete`);
        } else {
          if (d.tm_delete !== null) bad.push(`${where(c)}: ${e.name} tm_delete ${d.tm_delete}`);
          const created = micros(tmCreate!);
          const ms = (t: string | null | undefined) => Math.round((micros(t!) - created) / 1000);
          if (d.status === "service") {
            if (!isSet(d.tm_service) || Math.abs(d.duration_waiting! - ms(d.tm_service)) > 1)
              bad.push(`${where(c)}: serviced duration_waiting ${d.duration_waiting}`);
          } else if (d.status === "done") {
            // the code counts duration_service from tm_create, so it includes the wait
            if (
              Math.abs(d.duration_service! - ms(d.tm_update)) > 1 ||
              d.duration_service! < d.duration_waiting!
            )
              bad.push(`${where(c)}: done duration_service ${d.duration_service}`);
          } else if (d.status === "abandoned") {
            // zero durations are left out (omitempty)
            if (Math.abs(d.duration_waiting! - ms(d.tm_update)) > 1 || "duration_service" in d)
              bad.push(`${where(c)}: abandoned durations ${d.duration_waiting}/${d.duration_service}`);
          } else if ("duration_waiting" in d || "duration_service" in d || d.tm_service !== null)
            bad.push(`${where(c)}: ${e.name} durations before service`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("creates the agent's leg under the caller (master_call_id, chained_call_ids)", () => {
    const bad: string[] = [];
    const dir = voipbin.directory();
    for (const c of queueCalls()) {
      const offered = c.call.facts.flatMap((f) => (f.kind === "offer" ? [f.agent] : []));
      const legs = c.events.filter((e) => e.role === "agent");
      const legIds = [...new Set(legs.map((e) => e.data.id))];
      if (legIds.length !== offered.length) bad.push(`${where(c)}: ${legIds.length} agent legs`);
      if (legIds.length === 0) continue;
      const agent = dir.agents.find((a) => a.key === offered[0])!;
      for (const e of legs) {
        const d = e.data;
        if (d.master_call_id !== c.callerId || d.direction !== "outgoing")
          bad.push(`${where(c)}: ${e.name} leg`);
        const want = legacy
          ? { type: "tel", target: agent.number.e164, target_name: "", name: "", detail: "" }
          : { type: "agent", target: agent.key, target_name: `${agent.firstName} ${agent.lastName}` };
        if (JSON.stringify(d.destination) !== JSON.stringify(want))
          bad.push(`${where(c)}: destination ${JSON.stringify(d.destination)}`);
      }
      const createdAt = c.events.findIndex((e) => e.role === "agent");
      c.events.forEach((e, i) => {
        if (e.role !== "caller") return;
        const chained = e.data.chained_call_ids ?? [];
        if (i < createdAt && chained.length > 0) bad.push(`${where(c)}: chained before the leg exists`);
        if (i > createdAt && !chained.includes(legIds[0]!)) bad.push(`${where(c)}: ${e.name} lacks the leg`);
      });
      const next = c.events.slice(createdAt + 1).find((e) => e.role === "caller");
      if (next?.name !== "call_updated") bad.push(`${where(c)}: no call_updated for the chained call`);
    }
    expect(bad).toEqual([]);
  });

  it("agent_status_updated: ringing, then busy for good once answered; available after a missed ring", () => {
    const bad: string[] = [];
    for (const c of queueCalls()) {
      const offered = c.call.facts.flatMap((f) => (f.kind === "offer" ? [f.agent] : []));
      const answered = c.call.facts.some((f) => f.kind === "answer");
      const missed = c.call.facts.some((f) => f.kind === "miss");
      const ag = c.events.filter((e) => e.role === "ag");
      const got = ag.map((e) => `${e.data.id === offered[0] ? "offered" : e.data.id} ${e.data.status}`);
      const want = answered
        ? ["offered ringing", "offered busy"]
        : missed
          ? ["offered ringing", "offered available"]
          : [];
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${where(c)}: ${got.join(", ")}`);
    }
    expect(bad).toEqual([]);
  });

  it("forwards the caller to the confbridge (confbridge_join) only after the agent answers", () => {
    const bad: string[] = [];
    for (const c of everyCall(profile, "voipbin/queue-answered")) {
      const answer = c.call.facts.find((f) => f.kind === "answer")!;
      const i = c.events.findIndex((e) => e.data.current_action?.type === "confbridge_join");
      const join = c.events[i]!;
      if (join.at < c.call.start - START + answer.at)
        bad.push(`${where(c)}: confbridge_join before the answer`);
      const agentAnswered = c.events.findIndex((e) => e.role === "agent" && e.data.status === "progressing");
      const serviced = c.events.findIndex((e) => e.name === "queuecall_serviced");
      if (legacy ? i < agentAnswered : i > serviced) bad.push(`${where(c)}: confbridge_join out of order`);
      if (!UUID.test(String(join.data.current_action!.option?.confbridge_id)))
        bad.push(`${where(c)}: no confbridge_id`);
      if (!legacy && join.data.forward_action_id !== join.data.current_action!.id)
        bad.push(`${where(c)}: the queue's forward is not reported`);
      if (
        c.events.filter((e) => e.role === "af").some((e) => e !== join && e.data.forward_action_id !== ZERO)
      )
        bad.push(`${where(c)}: forward_action_id not cleared`);
    }
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The call status machine and the hangup tables (§1b)

/** CalculateHangupBy: hangup_by from the last status before hangup. */
const HANGUP_BY: [Status, "remote" | "local"][] = [
  ["dialing", "remote"],
  ["ringing", "remote"],
  ["progressing", "remote"],
  ["hangup", "remote"],
  ["terminating", "local"],
  ["canceling", "local"],
];
const ALL_CAUSES: HangupCause[] = ["normal", "busy", "noanswer", "rejected", "cancel", "failed", "timeout"];
/**
 * CalculateHangupReason in simulator causes: noanswer = NoAnswer, busy = UserBusy, rejected = CallRejected,
 * normal = NormalClearing (or AnsweredElsewhere), timeout = CallDurationTimeout once answered and our own
 * dialling timeout (Unknown) before; cancel and failed are "anything else".
 */
const REASON_TABLE: {
  direction: "incoming" | "outgoing";
  last: Status[];
  map: Partial<Record<HangupCause, string>>;
  otherwise: string;
}[] = [
  {
    direction: "incoming",
    last: ["dialing", "ringing"],
    map: { noanswer: "noanswer", busy: "busy" },
    otherwise: "normal",
  },
  { direction: "incoming", last: ["progressing"], map: { timeout: "timeout" }, otherwise: "normal" },
  {
    direction: "outgoing",
    last: ["dialing", "ringing"],
    map: { noanswer: "noanswer", rejected: "noanswer", busy: "busy", normal: "normal", timeout: "dialout" },
    otherwise: "failed",
  },
  { direction: "outgoing", last: ["progressing"], map: { timeout: "timeout" }, otherwise: "normal" },
  { direction: "outgoing", last: ["terminating"], map: {}, otherwise: "normal" },
  { direction: "outgoing", last: ["canceling"], map: {}, otherwise: "cancel" },
];

describe("the hangup tables", () => {
  it.each(HANGUP_BY)("hangupBy(%s) is %s", (last, by) => {
    expect(hangupBy(last)).toBe(by);
  });

  const rows = REASON_TABLE.flatMap((r) =>
    r.last.flatMap((last) =>
      ALL_CAUSES.map((cause) => [r.direction, last, cause, r.map[cause] ?? r.otherwise] as const),
    ),
  );
  it.each(rows)("hangupReason(%s, %s, %s) is %s", (direction, last, cause, reason) => {
    expect(hangupReason(direction, last, cause)).toBe(reason);
  });

  it("allows exactly the documented status transitions", () => {
    const legal: Record<Status, Status[]> = {
      dialing: ["ringing", "progressing", "terminating", "canceling", "hangup"],
      ringing: ["progressing", "terminating", "canceling", "hangup"],
      progressing: ["terminating", "hangup"],
      terminating: ["hangup"],
      canceling: ["hangup"],
      hangup: [],
    };
    const all = Object.keys(legal) as Status[];
    for (const from of all)
      for (const to of all) expect(canTransition(from, to), `${from}→${to}`).toBe(legal[from].includes(to));
  });
});

describe.each(PROFILES)("%s, 20 seeds: every call's statuses and hangup", (profile) => {
  /** Each call leg's events, by role. */
  const legsOf = (c: CallView) =>
    (["caller", "agent"] as const)
      .map((role) => ({ role, events: c.events.filter((e) => e.role === role) }))
      .filter((l) => l.events.length > 0);

  it("only takes legal transitions, from the documented initial status to hangup", () => {
    const bad: string[] = [];
    for (const c of everyCall(profile)) {
      for (const { role, events } of legsOf(c)) {
        const statuses = events.map((e) => e.data.status as Status);
        const initial = role === "agent" || c.call.direction === "outbound" ? "dialing" : "ringing";
        if (statuses[0] !== initial) bad.push(`${where(c)} ${role}: starts ${statuses[0]}`);
        if (statuses.at(-1) !== "hangup") bad.push(`${where(c)} ${role}: ends ${statuses.at(-1)}`);
        for (let i = 1; i < statuses.length; i++) {
          const [a, b] = [statuses[i - 1]!, statuses[i]!];
          if (a !== b && !canTransition(a, b)) bad.push(`${where(c)} ${role}: ${a} → ${b}`);
        }
        for (const e of events) {
          const hungUp = e.data.status === "hangup";
          const marks = profile === "legacy" ? e.data.hangup_by !== "" : "hangup_by" in e.data;
          if (hungUp !== marks) bad.push(`${where(c)} ${role}: ${e.name} hangup_by ${e.data.hangup_by}`);
        }
        // current: every status change is announced by the event named after the new status
        if (profile === "current")
          events.forEach((e, i) => {
            const changed = i > 0 && e.data.status !== events[i - 1]!.data.status;
            if (changed && e.name !== `call_${e.data.status}`)
              bad.push(`${where(c)} ${role}: ${e.name} changed it`);
            if (!["call_created", "call_updated"].includes(e.name) && e.name !== `call_${e.data.status}`)
              bad.push(`${where(c)} ${role}: ${e.name} with status ${e.data.status}`);
          });
        else
          events.forEach((e) => {
            const want = { call_ringing: "ringing", call_answered: "progressing", call_hungup: "hangup" }[
              e.name as "call_ringing"
            ];
            if (want && e.data.status !== want) bad.push(`${where(c)} ${role}: ${e.name} ${e.data.status}`);
          });
      }
    }
    expect(bad).toEqual([]);
  });

  it("sets hangup_by and hangup_reason from the facts (caller, flow, cancel, dial timeout, missed agent)", () => {
    const bad: string[] = [];
    for (const c of everyCall(profile)) {
      const want = expectedEnds(c);
      for (const { role, events } of legsOf(c)) {
        const d = events.at(-1)!.data;
        const got = `${d.hangup_by} ${d.hangup_reason}`;
        if (got !== want[role]) bad.push(`${where(c)} ${role}: ${got}, want ${want[role]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("outbound-unanswered covers noanswer, busy, dialout and cancel", () => {
    const got = new Set(
      everyCall(profile, "voipbin/outbound-unanswered").map((c) => {
        const d = c.events.filter((e) => e.role === "caller").at(-1)!.data;
        return `${d.hangup_by} ${d.hangup_reason}`;
      }),
    );
    expect([...got].sort()).toEqual(["local cancel", "remote busy", "remote dialout", "remote noanswer"]);
  });

  it("follows the §1b tables for the last status before hangup and the direction", () => {
    const bad: string[] = [];
    // the legacy events do not show terminating/canceling: compare with the current generation's call
    const current = new Map(everyCall("current").map((c) => [`${c.seed}/${c.call.key}`, c]));
    for (const c of everyCall(profile)) {
      const h = c.call.facts.find((f) => f.kind === "hangup");
      for (const { role, events } of legsOf(c)) {
        const d = events.at(-1)!.data;
        if (profile === "current") {
          const last = [...events].reverse().find((e) => e.data.status !== "hangup")!.data.status as Status;
          const missed = role === "agent" && c.call.facts.some((f) => f.kind === "miss");
          const cause: HangupCause =
            role === "agent" ? (missed ? "noanswer" : "normal") : h?.kind === "hangup" ? h.cause : "normal";
          const by = hangupBy(last);
          const reason = hangupReason(d.direction!, last, cause);
          if (d.hangup_by !== by || d.hangup_reason !== reason)
            bad.push(
              `${where(c)} ${role}: after ${last}: ${d.hangup_by} ${d.hangup_reason}, want ${by} ${reason}`,
            );
        } else {
          const twin = current.get(`${c.seed}/${c.call.key}`)!;
          const t = twin.events.filter((e) => e.role === role).at(-1)!.data;
          if (d.hangup_by !== t.hangup_by || d.hangup_reason !== t.hangup_reason)
            bad.push(
              `${where(c)} ${role}: ${d.hangup_by} ${d.hangup_reason} vs current ${t.hangup_by} ${t.hangup_reason}`,
            );
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Formats (§1b, §1d)

describe.each(PROFILES)("%s, 20 seeds: every body", (profile) => {
  const all = () => everyCall(profile).flatMap((c) => c.events.map((e) => ({ c, e })));

  it('is compact {"type","data"} JSON, type first, and parses against its schema', () => {
    const bad: string[] = [];
    for (const { c, e } of all()) {
      const body = e.req.body;
      const parsed = JSON.parse(body) as Envelope;
      if (JSON.stringify(parsed) !== body) bad.push(`${where(c)}: ${e.name} is not compact`);
      if (JSON.stringify(Object.keys(parsed)) !== '["type","data"]' || parsed.type !== e.name)
        bad.push(`${where(c)}: ${e.name} envelope ${Object.keys(parsed)}`);
      const v = voipbin.validate(parsed, e.req.headers);
      if (!v.ok || v.event !== e.name) bad.push(`${where(c)}: ${e.name}: ${v.issues.join("; ")}`);
    }
    expect(bad).toEqual([]);
  });

  it("uses ids and addresses as VoIPBIN does (UUIDs, tel E.164 with +)", () => {
    const bad: string[] = [];
    for (const { c, e } of all()) {
      for (const [path, v] of walk(e.data, "")) {
        if ((/(^|\.)id$|_id$/.test(path) || /_ids\[\d+\]$/.test(path)) && !UUID.test(String(v)))
          bad.push(`${where(c)}: ${e.name} ${path} ${v}`);
        if (/(source|destination|addresses\[\d+\])$/.test(path)) {
          const a = v as Address;
          if (a.type === "tel" && !E164.test(a.target ?? ""))
            bad.push(`${where(c)}: ${e.name} ${path} ${a.target}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("keeps times on the virtual clock: the caller's tm_create at the call start, tm_update at the event", () => {
    const bad: string[] = [];
    for (const c of everyCall(profile)) {
      const created = c.events.find((e) => e.role === "caller")!.data.tm_create!;
      if (Math.abs(micros(created) / 1000 - c.call.start) > 1_000)
        bad.push(`${where(c)}: tm_create ${created}`);
      const lastUpdate = new Map<string, number>();
      for (const e of c.events) {
        const t = e.data.tm_update;
        if (!isSet(t)) continue;
        const us = micros(t);
        if (Math.abs(us / 1000 - (START + e.at)) > 1_000) bad.push(`${where(c)}: ${e.name} tm_update ${t}`);
        const key = `${e.role}/${e.data.id}`;
        if (us < (lastUpdate.get(key) ?? 0)) bad.push(`${where(c)}: ${e.name} tm_update goes back`);
        lastUpdate.set(key, us);
      }
    }
    expect(bad).toEqual([]);
  });

  if (profile === "legacy") {
    it("legacy: every key of the document's examples, always present, in the document's order", () => {
      const bad: string[] = [];
      for (const { c, e } of all()) {
        const resource = e.name.split("_")[0]!;
        const keys = Object.keys(e.data);
        if (JSON.stringify(keys) !== JSON.stringify(DOC_KEYS[resource]))
          bad.push(`${where(c)}: ${e.name} keys ${keys.join(",")}`);
        const actions = [e.data.action, e.data.current_action, ...(e.data.actions ?? [])].filter(
          (a): a is Action => a !== undefined,
        );
        for (const a of actions) {
          const want = DOC_ACTION_KEYS.filter(
            (k) =>
              k in a &&
              (k !== "option" || a.option !== undefined) &&
              (k !== "tm_execute" || a === e.data.action),
          );
          if (
            JSON.stringify(Object.keys(a)) !== JSON.stringify(want) ||
            !["id", "next_id", "type"].every((k) => k in a)
          )
            bad.push(`${where(c)}: ${e.name} action keys ${Object.keys(a)}`);
        }
        const addresses = [e.data.source, e.data.destination, ...((e.data.addresses as Address[]) ?? [])];
        for (const a of addresses.filter((x): x is Address => x !== undefined))
          if (JSON.stringify(Object.keys(a)) !== JSON.stringify(DOC_ADDRESS_KEYS))
            bad.push(`${where(c)}: ${e.name} address keys ${Object.keys(a)}`);
      }
      expect(bad).toEqual([]);
    });

    it("legacy: YYYY-MM-DD HH:MM:SS.ffffff times, the 9999 sentinel while unset, tm_execute with 9 digits once run", () => {
      const bad: string[] = [];
      for (const { c, e } of all()) {
        const d = e.data;
        for (const [path, v] of walk(d, "")) {
          if (!/(^|\.)tm_\w+$/.test(path)) continue;
          const exec = path.endsWith("tm_execute");
          if (typeof v !== "string" || !(exec ? LEGACY_EXEC_TIME : LEGACY_TIME).test(v))
            bad.push(`${where(c)}: ${e.name} ${path} ${v}`);
          if (exec && v === SENTINEL) bad.push(`${where(c)}: ${e.name} ${path} sentinel`);
        }
        if (d.action) {
          const ran = d.action.id !== START_ID;
          if (ran !== "tm_execute" in d.action)
            bad.push(`${where(c)}: ${e.name} tm_execute ${d.action.tm_execute}`);
        }
        if (e.role === "caller" || e.role === "agent") {
          const unset = (k: string) => d[k] === SENTINEL;
          if (unset("tm_hangup") !== (d.status !== "hangup")) bad.push(`${where(c)}: ${e.name} tm_hangup`);
          if (e.name === "call_created" && !unset("tm_update"))
            bad.push(`${where(c)}: call_created tm_update`);
          if (["progressing"].includes(d.status!) && unset("tm_progressing"))
            bad.push(`${where(c)}: ${e.name} tm_progressing`);
          if (e.role === "caller" && c.call.direction === "inbound" && !unset("tm_ringing"))
            bad.push(`${where(c)}: an incoming call with tm_ringing`);
        }
        if (e.role === "af" && (d.tm_delete !== SENTINEL || !isSet(d.tm_create) || !isSet(d.tm_update)))
          bad.push(`${where(c)}: ${e.name} times`);
        if (e.name === "activeflow_created" && d.tm_update !== d.tm_create)
          bad.push(`${where(c)}: activeflow_created tm_update`);
        if (e.name === "queuecall_created" && [d.tm_service, d.tm_update, d.tm_delete].some(isSet))
          bad.push(`${where(c)}: queuecall_created times`);
        if (e.role === "ag" && d.tm_delete !== SENTINEL) bad.push(`${where(c)}: agent tm_delete`);
      }
      expect(bad).toEqual([]);
    });
  } else {
    it("current: RFC 3339 times; unset call/agent times left out; activeflow/queuecall/tm_execute null", () => {
      const bad: string[] = [];
      for (const { c, e } of all()) {
        const d = e.data;
        for (const [path, v] of walk(d, "")) {
          if (!/(^|\.)tm_\w+$/.test(path)) continue;
          if (v !== null && (typeof v !== "string" || !RFC3339.test(v)))
            bad.push(`${where(c)}: ${e.name} ${path} ${v}`);
          if (
            v === null &&
            (e.role === "caller" || e.role === "agent" || e.role === "ag" || e.role === "gc")
          ) {
            if (!/action\.tm_execute$/.test(path)) bad.push(`${where(c)}: ${e.name} ${path} null`);
          }
        }
        const nullable =
          e.role === "af"
            ? ["tm_create", "tm_update", "tm_delete"]
            : e.role === "qc"
              ? ["tm_create", "tm_service", "tm_update", "tm_delete"]
              : [];
        for (const k of nullable) if (!(k in d)) bad.push(`${where(c)}: ${e.name} without ${k}`);
        const actions = [d.action, d.current_action, ...(d.executed_actions ?? [])].filter(
          (a): a is Action => a !== undefined,
        );
        for (const a of actions) {
          if (!("tm_execute" in a)) bad.push(`${where(c)}: ${e.name} action without tm_execute`);
          if ((a.tm_execute === null) !== (a.id === START_ID))
            bad.push(`${where(c)}: ${e.name} tm_execute ${a.tm_execute}`);
        }
        if (e.role === "caller" || e.role === "agent") {
          if ("tm_hangup" in d !== (d.status === "hangup")) bad.push(`${where(c)}: ${e.name} tm_hangup`);
          if (
            e.name === "call_created" &&
            JSON.stringify(Object.keys(d).filter((k) => k.startsWith("tm_"))) !== '["tm_create"]'
          )
            bad.push(`${where(c)}: call_created times`);
          if (d.status === "progressing" && !("tm_progressing" in d))
            bad.push(`${where(c)}: ${e.name} tm_progressing`);
        }
        if (e.name === "activeflow_created" && (d.tm_update !== null || d.tm_delete !== null))
          bad.push(`${where(c)}: activeflow_created times`);
      }
      expect(bad).toEqual([]);
    });

    it("current: empty strings and lists left out, zero UUIDs kept, groupcall_id always zero on calls", () => {
      const bad: string[] = [];
      for (const { c, e } of all()) {
        const d = e.data;
        for (const [path, v] of walk(d, "")) {
          // an action's type is never left out (the start action's is ""); executed_actions: see below
          if (v === "" && !/(^|\.)(action|current_action|executed_actions\[\d+\])\.type$/.test(path))
            bad.push(`${where(c)}: ${e.name} ${path} ""`);
          if (Array.isArray(v) && v.length === 0 && path !== "executed_actions")
            bad.push(`${where(c)}: ${e.name} ${path} []`);
        }
        if (e.role === "caller" || e.role === "agent") {
          if (d.groupcall_id !== ZERO) bad.push(`${where(c)}: ${e.name} groupcall_id ${d.groupcall_id}`);
          for (const k of ["recording_id", "master_call_id", "owner_id", "activeflow_id", "flow_id"])
            if (!UUID.test(String(d[k]))) bad.push(`${where(c)}: ${e.name} ${k} missing`);
          if (e.role === "caller" && (d.master_call_id !== ZERO || d.owner_id !== ZERO))
            bad.push(`${where(c)}: caller master/owner`);
          if (
            e.role === "agent" &&
            (d.owner_type !== "agent" || d.activeflow_id !== ZERO || d.flow_id !== ZERO)
          )
            bad.push(`${where(c)}: agent leg owner/flow`);
        }
        if (e.role === "af")
          for (const k of ["reference_activeflow_id", "on_complete_flow_id", "forward_action_id"])
            if (!UUID.test(String(d[k]))) bad.push(`${where(c)}: ${e.name} ${k} missing`);
        if (e.role === "qc" && !UUID.test(String(d.service_agent_id)))
          bad.push(`${where(c)}: service_agent_id`);
      }
      expect(bad).toEqual([]);
    });
  }
});

it("current: an activeflow with no executed action leaves executed_actions out (omitempty)", () => {
  const empties = everyCall("current").flatMap((c) =>
    c.events.filter(
      (e) =>
        e.role === "af" && Array.isArray(e.data.executed_actions) && e.data.executed_actions.length === 0,
    ),
  );
  expect([...new Set(empties.map((e) => e.name))]).toEqual([]);
});

it("current: the receiver accepts an activeflow_created without executed_actions", () => {
  const e = everyCall("current")[0]!.events.find((x) => x.name === "activeflow_created")!;
  const { executed_actions: _dropped, ...data } = e.data;
  expect(voipbin.validate({ type: "activeflow_created", data }, {})).toMatchObject({ ok: true, issues: [] });
});

it("legacy: queuecall_entering has tm_service equal to tm_update, as in the document", () => {
  const bad = everyCall("legacy").flatMap((c) =>
    c.events
      .filter((e) => e.name === "queuecall_entering" && e.data.tm_service !== e.data.tm_update)
      .map((e) => `${where(c)}: ${e.data.tm_service} vs ${e.data.tm_update}`),
  );
  expect(bad).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------------
// A caller who hangs up while the agent's leg still rings

describe("the caller hangs up while the agent's leg rings", () => {
  const ringing = parseScenarioText(
    [
      "vendor: voipbin",
      "name: caller-leaves-while-agent-rings",
      "description: The caller waits in the queue, an agent's leg rings, and the caller hangs up before the answer.",
      "call: { direction: inbound, queue: support }",
      "flow:",
      "  - { ref: answer, type: answer }",
      "  - { ref: queue, type: queue_join }",
      "steps:",
      "  - arrive: {}",
      "  - action: { ref: answer, after: 1s }",
      "  - enqueue: { after: 500ms }",
      "  - offer: { after: 5s }",
      "  - hangup: { by: caller, after: 3s }",
    ].join("\n"),
    "x.yaml",
    findVendor,
  );
  const view = (profile: Profile) => callsOf(plan(profile, 4, {}, [ringing], 1), profile, 4)[0]!;

  it.each(PROFILES)(
    "%s: the ringing leg is cancelled (canceling → hangup, local, cancel); all events valid",
    (profile) => {
      const c = view(profile);
      const leg = c.events.filter((e) => e.role === "agent");
      const statuses = leg.map((e) => e.data.status as Status);
      for (let i = 1; i < statuses.length; i++)
        if (statuses[i] !== statuses[i - 1]) expect(canTransition(statuses[i - 1]!, statuses[i]!)).toBe(true);
      expect(leg.at(-1)!.data).toMatchObject({
        status: "hangup",
        hangup_by: "local",
        hangup_reason: "cancel",
      });
      if (profile === "current") expect(leg.map((e) => e.name)).toContain("call_canceling");
      expect(c.events.filter((e) => e.role === "qc").at(-1)!.data.status).toBe("abandoned");
      for (const e of c.events) expect(voipbin.validate(JSON.parse(e.req.body), {}).ok, e.name).toBe(true);
    },
  );

  it("current: the agent's groupcall ends with groupcall_hangup", () => {
    const names = view("current").events.map((e) => e.name);
    expect(names).toContain("groupcall_created");
    expect(names).toContain("groupcall_hangup");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Transport (§1a)

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(...args: Parameters<typeof startServer>) {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
const outboundOnly = scenarios.filter((s) => s.id === "voipbin/outbound-unanswered");

describe("VoIPBIN transport", () => {
  it("current signs every body (x-voipbin-signature: sha256=<hex HMAC-SHA256>); legacy sends no signature; both name Go's client", () => {
    for (const profile of PROFILES) {
      for (const r of plansOf(profile)[0]!.requests) {
        expect(r.headers["content-type"]).toBe("application/json");
        // the webhook manager sets no User-Agent, so Go's client sends its own
        expect(r.headers["user-agent"]).toBe("Go-http-client/1.1");
        if (profile === "current") {
          expect(Object.keys(r.headers).sort()).toEqual(["content-type", "user-agent", SIGNATURE_HEADER]);
          expect(r.headers[SIGNATURE_HEADER]).toBe(`sha256=${hmacSha256Hex(SECRET, r.body)}`);
          expect(r.headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
          expect(verifySignature("sha256=", SECRET, r.body, r.headers[SIGNATURE_HEADER])).toBe(true);
          expect(verifySignature("sha256=", "other", r.body, r.headers[SIGNATURE_HEADER])).toBe(false);
        } else expect(Object.keys(r.headers)).toEqual(["content-type", "user-agent"]);
      }
    }
  });

  it("sends the JSON body with the customer's method: POST by default, or GET, PUT, DELETE", () => {
    for (const profile of PROFILES) {
      const bodies = plan(profile, 2, {}, scenarios, 1).requests.map((r) => r.body);
      expect(plansOf(profile)[0]!.requests.every((r) => r.method === "POST")).toBe(true);
      for (const method of ["GET", "PUT", "DELETE", "POST"]) {
        const p = plan(profile, 2, { method }, scenarios, 1);
        expect(p.requests.every((r) => r.method === method && r.body.startsWith('{"type":"'))).toBe(true);
        expect(p.requests.map((r) => r.body)).toEqual(bodies);
      }
    }
    expect(() => plan("current", 2, { method: "PATCH" }, outboundOnly, 1)).toThrow(/PATCH/);
  });

  it("declares the generations' delivery rules", () => {
    const current = voipbin.transport("current");
    expect(current.retrySchedule).toEqual([1000, 1000]);
    expect(current.timeoutMs).toBe(30_000);
    expect(current.auth).toEqual({ kind: "hmac-sha256", header: SIGNATURE_HEADER, prefix: "sha256=" });
    expect([200, 302, 404, 499].every((s) => isSuccess(current.success, s))).toBe(true);
    expect([500, 502, 503].some((s) => isSuccess(current.success, s))).toBe(false);
    const legacy = voipbin.transport("legacy");
    expect(legacy.retrySchedule).toEqual([]);
    expect(legacy.auth).toEqual({ kind: "none" });
    expect([200, 404, 500, 503].every((s) => isSuccess(legacy.success, s))).toBe(true);
  });

  it.each(["GET", "PUT", "DELETE", "POST"])(
    "%s: the receiver gets exactly the planned requests, body included",
    async (method) => {
      const s = await server((_req, res) => res.writeHead(200).end());
      const r = await runScenarios({
        scenarios: ["voipbin/*"],
        url: `${s.url}/hook`,
        token: SECRET,
        seed: 5,
        calls: 1,
        speed: "max",
        profile: "current",
        method,
      });
      expect(r.summary.failed).toBe(0);
      const sent = s.requests.map(
        (q) => `${q.method} ${q.url} ${q.headers["content-type"]} ${q.headers[SIGNATURE_HEADER]} ${q.body}`,
      );
      const planned = r.plan.requests.map(
        (p) => `${p.method} /hook application/json sha256=${hmacSha256Hex(SECRET, p.body)} ${p.body}`,
      );
      expect(sent.sort()).toEqual(planned.sort());
    },
  );

  it("current retries a 5xx: three attempts in all, then failed", async () => {
    const s = await server((_req, res) => res.writeHead(503).end());
    const r = await runScenarios({
      scenarios: outboundOnly,
      url: s.url,
      token: SECRET,
      seed: 6,
      calls: 1,
      speed: "max",
      profile: "current",
      retrySchedule: [5, 5],
    });
    const n = r.plan.requests.length;
    expect(r.summary).toMatchObject({ delivered: 0, failed: n, attempts: 3 * n, retried: 2 * n });
    expect(r.results.every((x) => x.attempts.map((a) => a.status).join() === "503,503,503")).toBe(true);
    expect(s.requests).toHaveLength(3 * n);
  });

  it("current retries a 500 once it is answered 200 on the next attempt, 1 s apart on the vendor's schedule", async () => {
    const seen = new Map<string, number>();
    const s = await server((req, res) => {
      const n = (seen.get(req.body) ?? 0) + 1;
      seen.set(req.body, n);
      res.writeHead(n === 1 ? 500 : 200).end();
    });
    const p = plan("current", 6, { url: s.url }, outboundOnly, 1);
    const one = { ...p, requests: [p.requests[0]!] };
    // the vendor's own schedule (1 s), played 100 times faster
    const r = await deliverPlan(one, { speed: 100 });
    const attempts = r.results[0]!.attempts;
    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
    expect(attempts[1]!.startedAt - attempts[0]!.startedAt).toBeGreaterThanOrEqual(9);
    expect(r.summary).toMatchObject({ delivered: 1, retried: 1 });
  });

  it("follows redirects as Go's client does: 301-303 as GET without a body, 307/308 as sent, capped per generation", async () => {
    const s = await server((req, res) => {
      if (req.url === "/hook") return res.writeHead(301, { location: "/hook/" }).end();
      if (req.url === "/temp")
        return res.writeHead(307, { location: "http://127.0.0.1:" + new URL(s.url).port + "/hook/" }).end();
      if (req.url?.startsWith("/loop")) return res.writeHead(302, { location: "/loop" }).end();
      if (req.url === "/broken") return res.writeHead(503, { location: "/hook/" }).end();
      res.writeHead(req.method === "POST" ? 200 : 405).end();
    });
    const p = plan("current", 6, { url: s.url }, outboundOnly, 1);
    const at = (path: string) => ({ ...p, requests: [{ ...p.requests[0]!, url: `${s.url}${path}` }] });
    const sent = p.requests[0]!;

    // a trailing-slash redirect: the vendor follows it with GET, no body, its headers and a Referer
    const moved = await deliverPlan(at("/hook"), { speed: "max" });
    const a = moved.results[0]!.attempts[0]!;
    expect(a).toMatchObject({
      status: 405,
      ok: true,
      redirects: [{ status: 301, method: "GET", to: `${s.url}/hook/` }],
    });
    const [first, hop] = s.requests.splice(0);
    expect(first).toMatchObject({ method: "POST", url: "/hook", body: sent.body });
    expect(hop).toMatchObject({ method: "GET", url: "/hook/", body: "" });
    expect(hop!.headers).toMatchObject({
      "content-type": "application/json",
      [SIGNATURE_HEADER]: sent.headers[SIGNATURE_HEADER],
      referer: `${s.url}/hook`,
    });

    // a 307 keeps the method and the body
    const temp = await deliverPlan(at("/temp"), { speed: "max" });
    expect(temp.results[0]!.attempts[0]).toMatchObject({
      status: 200,
      redirects: [{ status: 307, method: "POST" }],
    });
    expect(s.requests.splice(0).map((r) => [r.method, r.url, r.body === sent.body])).toEqual([
      ["POST", "/temp", true],
      ["POST", "/hook/", true],
    ]);

    // current caps the chain at three requests, then it is a transport error, retried
    const loop = await deliverPlan(at("/loop"), { speed: "max", retrySchedule: [1] });
    expect(loop.results[0]!.attempts.map((x) => x.error)).toEqual([
      `stopped after 2 redirects (the last a 302 to ${s.url}/loop)`,
      `stopped after 2 redirects (the last a 302 to ${s.url}/loop)`,
    ]);
    expect(s.requests.splice(0)).toHaveLength(6);
    // legacy, Go's default policy: ten requests
    const legacy = plan("legacy", 6, { url: s.url }, outboundOnly, 1);
    const old = await deliverPlan(
      { ...legacy, requests: [{ ...legacy.requests[0]!, url: `${s.url}/loop` }] },
      { speed: "max" },
    );
    expect(old.results[0]!.attempts[0]!.error).toMatch(/^stopped after 9 redirects/);
    expect(s.requests.splice(0)).toHaveLength(10);

    // a Location on a status that is not a redirect is not followed
    const broken = await deliverPlan(at("/broken"), { speed: "max", retrySchedule: [] });
    expect(broken.results[0]!.attempts[0]).toMatchObject({ status: 503, ok: false });
    expect(broken.results[0]!.attempts[0]!.redirects).toBeUndefined();
    expect(s.requests.splice(0)).toHaveLength(1);
  });

  it.each([400, 404, 409])("current counts a %i as delivered at the first attempt", async (status) => {
    const s = await server((_req, res) => res.writeHead(status).end());
    const r = await runScenarios({
      scenarios: outboundOnly,
      url: s.url,
      token: SECRET,
      seed: 6,
      calls: 1,
      speed: "max",
      profile: "current",
      retrySchedule: [5, 5],
    });
    expect(r.summary).toMatchObject({ delivered: r.plan.requests.length, failed: 0, retried: 0 });
    expect(s.requests).toHaveLength(r.plan.requests.length);
  });

  it("legacy counts a 500 as delivered, with one attempt", async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    const r = await runScenarios({ scenarios: outboundOnly, url: s.url, seed: 6, calls: 1, speed: "max" });
    expect(r.plan.requests[0]!.profile).toBe("legacy");
    expect(r.summary).toMatchObject({ delivered: r.plan.requests.length, failed: 0, retried: 0 });
    expect(r.results.every((x) => x.attempts.length === 1 && x.attempts[0]!.status === 500)).toBe(true);
  });

  it("a refused connection: current retries it (three attempts), legacy tries once", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const url = s.url;
    await s.close();
    servers = [];
    for (const profile of PROFILES) {
      const r = await runScenarios({
        scenarios: outboundOnly,
        url,
        token: SECRET,
        seed: 6,
        calls: 1,
        speed: "max",
        profile,
        retrySchedule: profile === "current" ? [5, 5] : undefined,
      });
      expect(r.summary.failed).toBe(r.plan.requests.length);
      const attempts = profile === "current" ? 3 : 1;
      expect(r.results.every((x) => x.attempts.length === attempts)).toBe(true);
      expect(r.results[0]!.attempts[0]!.error).toMatch(/connection refused/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Reordering, determinism and the target notice

describe("nextHop (Go's client on a redirect)", () => {
  const first = {
    url: new URL("http://hooks.example.com:8080/voipbin"),
    headers: { authorization: "Bearer t", cookie: "a=1", "x-voipbin-signature": "sha256=ab" },
  };
  const hop = (location: string, status = 307) =>
    nextHop(first, { url: first.url, method: "POST", body: "{}" }, status, location, 0, 2);
  it("sends Authorization and cookies on only to the same host name (any port) or a subdomain", () => {
    for (const to of [
      "http://hooks.example.com:9090/x",
      "https://hooks.example.com/x",
      "http://a.hooks.example.com/x",
    ]) {
      const h = hop(to);
      expect(typeof h === "object" && h.headers, to).toMatchObject({
        authorization: "Bearer t",
        cookie: "a=1",
      });
    }
    for (const to of ["http://example.com/x", "http://evilhooks.example.com/x", "http://10.0.0.1/x"]) {
      const h = hop(to);
      expect(typeof h === "object" && h.headers, to).toEqual({
        "x-voipbin-signature": "sha256=ab",
        referer: "http://hooks.example.com:8080/voipbin",
      });
    }
  });
  it("turns a 301, 302 or 303 into a GET without a body, keeps a 307's method and body, and stops at the cap", () => {
    expect(hop("/y", 302)).toMatchObject({ method: "GET", body: "" });
    expect(hop("/y", 307)).toMatchObject({ method: "POST", body: "{}" });
    expect(nextHop(first, { url: first.url, method: "POST", body: "{}" }, 302, "/y", 2, 2)).toBe(
      "stopped after 2 redirects (the last a 302 to http://hooks.example.com:8080/y)",
    );
  });
});

describe("reorderMs", () => {
  it.each(PROFILES)("%s: swaps some neighbouring events of a call, deterministically per seed", (profile) => {
    let swapped = 0;
    SEEDS.slice(0, 10).forEach((seed, i) => {
      const straight = plansOf(profile)[i]!;
      const jittered = plan(profile, seed, { reorderMs: 50 });
      if (i < 3)
        expect(jittered.requests.map(dryRunLine)).toEqual(
          plan(profile, seed, { reorderMs: 50 }).requests.map(dryRunLine),
        );
      // the same requests, only shifted by less than 50 ms
      const due = new Map(straight.requests.map((r) => [r.body, r.at]));
      expect(due.size).toBe(straight.requests.length);
      expect(jittered.requests.map((r) => r.body).sort()).toEqual([...due.keys()].sort());
      for (const r of jittered.requests) {
        const shift = r.at - due.get(r.body)!;
        expect(shift >= 0 && shift < 50, `${r.event} shifted ${shift}`).toBe(true);
      }
      for (const call of straight.calls) {
        const a = straight.requests.filter((r) => r.call === call.key).map((r) => r.body);
        const b = jittered.requests.filter((r) => r.call === call.key).map((r) => r.body);
        for (let k = 1; k < a.length; k++) if (b.indexOf(a[k]!) < b.indexOf(a[k - 1]!)) swapped++;
      }
    });
    expect(swapped).toBeGreaterThan(0);
  });

  it.each(PROFILES)("%s: without it, each call's events come in projection order", (profile) => {
    for (const seed of SEEDS.slice(0, 5)) {
      const p = plan(profile, seed);
      const dir = voipbin.directory();
      for (const call of p.calls) {
        const rng = new Rng(seed).fork(`call/${call.key}`).fork("ids");
        const projected = voipbin.project(call, { rng, directory: dir, profile });
        const sent = p.requests.filter((r) => r.call === call.key);
        expect(sent.map((r) => r.body)).toEqual(projected.map((e) => JSON.stringify(e.payload)));
        expect(sent.map((r) => r.at - sent[0]!.at)).toEqual(projected.map((e) => e.at - projected[0]!.at));
      }
    }
  });
});

describe("determinism", () => {
  it.each(PROFILES)("%s: the same seed gives byte-identical requests", (profile) => {
    for (const seed of [1, 13]) {
      const a = plan(profile, seed).requests.map(dryRunLine);
      expect(plan(profile, seed).requests.map(dryRunLine)).toEqual(a);
      expect(plan(profile, seed + 100).requests.map(dryRunLine)).not.toEqual(a);
    }
  });
});

describe("the target notice", () => {
  it("says real VoIPBIN refuses a private or loopback URL, and says nothing for a public host", () => {
    const local = plan("current", 1);
    expect(local.notices).toHaveLength(1);
    expect(local.notices[0]).toMatch(
      /^voipbin: http:\/\/127\.0\.0\.1:9\/hook: real VoIPBIN refuses private and loopback/,
    );
    for (const profile of PROFILES)
      expect(plan(profile, 1, { url: "https://hooks.example.com/voipbin", secret: null }).notices).toEqual(
        [],
      );
    expect(plan("current", 1, { url: "http://10.1.2.3/hook" }).notices).toHaveLength(1);
  });

  it("says the legacy generation signs nothing when it is given a secret, and current signs with it", () => {
    const url = "https://hooks.example.com/voipbin";
    const legacy = plan("legacy", 1, { url });
    expect(legacy.notices).toEqual([
      "voipbin legacy signs nothing, so its secret is not sent; --profile current signs each body with it (X-VoIPBIN-Signature).",
    ]);
    expect(legacy.requests.filter((r) => Object.keys(r.headers).some((h) => /signature/i.test(h)))).toEqual(
      [],
    );
    expect(plan("current", 1, { url }).notices).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The receiver

/** The first planned request of each event of a profile. */
function samples(profile: Profile): PlannedRequest[] {
  const byEvent = new Map<string, PlannedRequest>();
  for (const p of plansOf(profile))
    for (const r of p.requests) if (!byEvent.has(r.event)) byEvent.set(r.event, r);
  return [...byEvent.values()];
}
function post(app: Parameters<typeof request>[0], path: string, r: PlannedRequest, headers = r.headers) {
  return request(app).post(path).set(headers).send(r.body);
}

describe("the receiver and VoIPBIN deliveries", () => {
  it.each(["/voipbin", "/"])("current, signed, posted to %s: auth ok, valid, 200", async (path) => {
    const rx = createReceiver({ vendors: VENDORS, secret: SECRET });
    for (const r of samples("current")) {
      const res = await post(rx.app, path, r);
      expect(res.status, `${r.event}: ${res.text}`).toBe(200);
      expect(rx.records.at(-1)).toMatchObject({
        vendor: "voipbin",
        event: r.event,
        auth: "ok",
        valid: true,
        issues: [],
      });
    }
  });

  it.each(["/voipbin", "/"])(
    "legacy, unsigned, posted to %s without a secret configured: valid, 200",
    async (path) => {
      const rx = createReceiver({ vendors: VENDORS });
      for (const r of samples("legacy")) {
        const res = await post(rx.app, path, r);
        expect(res.status, `${r.event}: ${res.text}`).toBe(200);
        expect(rx.records.at(-1)).toMatchObject({
          vendor: "voipbin",
          event: r.event,
          auth: "not-checked",
          valid: true,
        });
      }
    },
  );

  it("answers 401 to a wrong secret, a missing signature or a tampered body", async () => {
    const r = samples("current")[0]!;
    const wrong = createReceiver({ vendors: VENDORS, secret: "not-the-secret" });
    expect((await post(wrong.app, "/voipbin", r)).status).toBe(401);
    expect(wrong.records[0]).toMatchObject({ auth: "bad", vendor: "voipbin" });
    const rx = createReceiver({ vendors: VENDORS, secret: SECRET });
    expect((await post(rx.app, "/voipbin", r, { "content-type": "application/json" })).status).toBe(401);
    expect(rx.records[0]).toMatchObject({ auth: "missing" });
    const tampered = await request(rx.app)
      .post("/voipbin")
      .set(r.headers)
      .send(r.body.replace('"type":"', '"type": "'));
    expect(tampered.status).toBe(401);
    expect(rx.records[1]).toMatchObject({ auth: "bad" });
    // the legacy generation never signs: its traffic is not held to the signature
    expect((await post(rx.app, "/voipbin", samples("legacy")[0]!)).status).toBe(200);
    expect(rx.records[rx.records.length - 1]).toMatchObject({ auth: "not-checked" });
  });

  it("detects VoIPBIN by its signature header or its {type,data} body, and no other vendor claims it", () => {
    for (const profile of PROFILES)
      for (const r of samples(profile)) {
        const body = JSON.parse(r.body) as unknown;
        expect(voipbin.detect(r.headers, body), r.event).toBe(true);
        expect(voipbin.detect({}, body), r.event).toBe(true);
        for (const v of VENDORS.filter((x) => x.id !== "voipbin"))
          expect(v.detect(r.headers, body), `${v.id} ${r.event}`).toBe(false);
      }
    expect(voipbin.detect({ [SIGNATURE_HEADER]: "sha256=00" }, "x")).toBe(true);
    expect(voipbin.detect({}, { type: "nonsense", data: {} })).toBe(false);
    expect(voipbin.detect({}, { EventType: "QueueCallInComing" })).toBe(false);
  });

  it("a legacy event with an RFC 3339 time fails with an issue naming the field", async () => {
    for (const name of ["call_hungup", "call_updated", "activeflow_updated", "queuecall_created"]) {
      const body = JSON.parse(samples("legacy").find((r) => r.event === name)!.body) as Envelope;
      body.data.tm_create = "2026-01-05T07:00:00.123456Z";
      const v = voipbin.validate(body, {});
      expect(v.ok, name).toBe(false);
      expect(v.issues.join("\n"), name).toMatch(/data\.tm_create/);
    }
    const rx = createReceiver({ vendors: VENDORS });
    const body = JSON.parse(samples("legacy").find((r) => r.event === "call_answered")!.body) as Envelope;
    body.data.tm_update = "2026-01-05T07:00:01Z";
    const res = await request(rx.app)
      .post("/voipbin")
      .set("content-type", "application/json")
      .send(JSON.stringify(body));
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/data\.tm_update/);
  });

  it("a current-only event with a legacy-format time fails with an issue naming the field", () => {
    for (const name of ["call_progressing", "call_hangup", "queuecall_waiting"]) {
      const body = JSON.parse(samples("current").find((r) => r.event === name)!.body) as Envelope;
      body.data.tm_create = "2026-01-05 07:00:00.123456";
      const v = voipbin.validate(body, {});
      expect(v.ok, name).toBe(false);
      expect(v.issues.join("\n"), name).toMatch(/data\.tm_create/);
    }
  });

  it("a current call_updated with one legacy-format time fails with an issue naming that field", () => {
    const body = JSON.parse(samples("current").find((r) => r.event === "call_updated")!.body) as Envelope;
    body.data.tm_create = "2026-01-05 07:00:00.123456";
    const v = voipbin.validate(body, {});
    expect(v.ok).toBe(false);
    expect(v.issues.join("\n")).toMatch(/data\.tm_create/);
  });

  it.each(PROFILES)("live: %s, every voipbin scenario into serve(), every record valid", async (profile) => {
    const rx = await serve({
      vendors: VENDORS,
      port: 0,
      ...(profile === "current" ? { secret: SECRET } : {}),
    });
    try {
      for (const [path, method] of [
        ["/voipbin", "POST"],
        ["/", "GET"],
      ] as const) {
        rx.reset();
        const r = await runScenarios({
          scenarios: ["voipbin/*"],
          url: `${rx.url}${path}`,
          token: SECRET,
          seed: 14,
          calls: 1,
          speed: "max",
          profile,
          method,
        });
        expect(r.summary.failed).toBe(0);
        expect(rx.records).toHaveLength(r.plan.requests.length);
        const bad = rx.records.filter(
          (x) =>
            !x.valid ||
            x.status !== 200 ||
            x.vendor !== "voipbin" ||
            x.duplicate ||
            x.method !== method ||
            x.auth !== (profile === "current" ? "ok" : "not-checked"),
        );
        expect(bad).toEqual([]);
        expect(rx.records.map((x) => x.event).sort()).toEqual(r.plan.requests.map((p) => p.event).sort());
        // every record but the agent's own status names its call (the caller's id)
        const calls = rx.records.filter((x) => x.event !== "agent_status_updated").map((x) => x.callId);
        expect(calls.every((id) => id !== undefined && UUID.test(id))).toBe(true);
        expect(new Set(calls).size).toBe(r.plan.calls.length);
      }
    } finally {
      await rx.close();
    }
  });
});

describe("VoIPBIN samples for pbxsim send", () => {
  const sample = (profile: string, name: string) =>
    voipbin.sample(name, { rng: new Rng(1), directory: voipbin.directory(), profile }, START);
  const cases = voipbin.events
    .map((e) => [e.profiles![0]!, e.name] as const)
    .filter(([, name]) => name !== "call_dialing");
  it.each(cases)("%s %s validates", (profile, name) => {
    expect(voipbin.validate(sample(profile, name).payload, {})).toMatchObject({
      ok: true,
      event: name,
      issues: [],
    });
  });

  it("current call_dialing, listed in the catalogue, can be sampled", () => {
    expect(voipbin.events.some((e) => e.name === "call_dialing" && e.profiles?.includes("current"))).toBe(
      true,
    );
    expect(voipbin.validate(sample("current", "call_dialing").payload, {})).toMatchObject({ ok: true });
  });
});

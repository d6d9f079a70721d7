import { describe, expect, it } from "vitest";
import { ScenarioError } from "../src/core/errors.js";
import type { SimulatedCall } from "../src/core/model.js";
import { dryRunLine, type Plan, type PlannedRequest, planRun } from "../src/delivery/plan.js";
import { parseScenarioText, resolveScenarios, type Scenario } from "../src/scenario/load.js";
import { type EnreachEventName, enreachEvents } from "../src/vendors/enreach/schemas.js";
import { findVendor } from "../src/vendors/registry.js";

/**
 * The built-in Enreach scenarios, end to end through the planner: every request is a valid Enreach webhook
 * (the vendor's documented behaviour, §5b, §5d), every call follows its sequence (§5c E1..E6), and the events of one call agree
 * with each other and with the simulated call.
 */

type Body = Record<string, unknown>;

const SECRET = "s3cret";
const START = Date.UTC(2026, 0, 5, 7);
const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);
const CALLS = 3;
const DOTNET_MAX = "9999-12-31T23:59:59.9999999";
const STATUS_EVENTS = new Set(["QueueStatus", "UserStatus"]);

const scenarios = resolveScenarios(["enreach/*"], findVendor);
const byId = new Map(scenarios.map((s) => [s.id, s]));

function plan(scenario: Scenario, seed: number, calls = CALLS, start = START): Plan {
  return planRun({
    scenarios: [scenario],
    targets: { byVendor: new Map(), fallback: { url: "https://127.0.0.1/enreach", secret: SECRET } },
    seed,
    start,
    calls,
  });
}

const planCache = new Map<string, Plan[]>();
function plansOf(id: string): Plan[] {
  let plans = planCache.get(id);
  if (!plans) {
    const scenario = byId.get(id);
    if (!scenario) throw new Error(`no built-in scenario ${id}`);
    plans = SEEDS.map((seed) => plan(scenario, seed));
    planCache.set(id, plans);
  }
  return plans;
}

interface CallView {
  call: SimulatedCall;
  requests: PlannedRequest[];
  bodies: Body[];
  /** Event names in send order. */
  names: string[];
}

function callsOf(p: Plan): CallView[] {
  return p.calls.map((call) => {
    const requests = p.requests.filter((r) => r.call === call.key).sort((a, b) => a.seq - b.seq);
    return {
      call,
      requests,
      bodies: requests.map((r) => JSON.parse(r.body) as Body),
      names: requests.map((r) => r.event),
    };
  });
}

const callCache = new Map<string, CallView[]>();
function everyCall(id: string): CallView[] {
  let calls = callCache.get(id);
  if (!calls) {
    calls = plansOf(id).flatMap(callsOf);
    callCache.set(id, calls);
  }
  return calls;
}

/** Event names without the status events, which come wherever counters change. */
function story(c: CallView): string[] {
  return c.names.filter((n) => !STATUS_EVENTS.has(n));
}

function only(c: CallView, name: string): Body[] {
  return c.bodies.filter((b) => b.EventType === name);
}

function one(c: CallView, name: string): Body {
  const found = only(c, name);
  expect(found, `${name} in ${c.names.join(", ")}`).toHaveLength(1);
  return found[0]!;
}

/** Milliseconds since the epoch of a .NET DateTime without offset (UTC); sub-millisecond ticks dropped. */
function ms(dotNet: unknown): number {
  expect(typeof dotNet).toBe("string");
  const [main, frac = ""] = (dotNet as string).split(".");
  return Date.parse(`${main}Z`) + Number(frac.padEnd(3, "0").slice(0, 3));
}

/** A sortable form of a .NET DateTime: the fraction padded to all seven tick digits. */
function ticks(dotNet: unknown): string {
  const [main, frac = ""] = String(dotNet).split(".");
  return `${main}.${frac.padEnd(7, "0")}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ANY_CASE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOTNET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?$/;
const FINNISH_E164 = /^\+358\d{5,12}$/;
const EMAIL = /^[a-z0-9._-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const NUMBER_FIELDS = ["CallerNumber", "TargetNumber", "QueueNumber", "UserNumber", "ContactNumber"];
const USER_NAME_FIELDS = ["Username", "UserName", "SupervisorUserName", "TargetUserName"];
const DATETIME_FIELDS = [
  "Timestamp",
  "StartTime",
  "EndTime",
  "WrapUpEnd",
  "CreationTime",
  "Modified",
  "DueDate",
  "ExpiryDate",
  "NotBefore",
  "LastAttemptTimestamp",
];

/** Every string anywhere in a body, with its key. */
function strings(value: unknown, key = ""): [string, string][] {
  if (typeof value === "string") return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, key));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, k));
  return [];
}

const ids = scenarios.map((s) => s.id);

describe("built-in Enreach scenarios", () => {
  it("are all there", () => {
    expect(ids).toEqual([
      "enreach/availability-change",
      "enreach/callback-lifecycle",
      "enreach/outbound-answered",
      "enreach/outbound-unanswered",
      "enreach/queue-answered",
      "enreach/queue-missed",
      "enreach/queue-overflow-callback",
      "enreach/queue-transfer",
      "enreach/user-direct-answered",
      "enreach/user-direct-unanswered",
    ]);
  });
});

describe.each(ids)("%s, 25 seeds: every request is a valid Enreach webhook", (id) => {
  // Checks collect what is wrong and assert once, to keep thousands of bodies fast.
  it("parses against its event's strict schema, with matching headers", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      expect(c.requests.length).toBeGreaterThan(0);
      c.requests.forEach((r, i) => {
        const body = c.bodies[i]!;
        const def = enreachEvents[r.event as EnreachEventName];
        if (!def) {
          bad.push(`unknown event ${r.event}`);
          return;
        }
        const parsed = def.schema.safeParse(body);
        if (!parsed.success) bad.push(`${r.event}: ${parsed.error.message}`);
        if (r.method !== "POST") bad.push(`${r.event}: method ${r.method}`);
        if (r.headers["x-benemen-event"] !== body.EventType || r.event !== body.EventType)
          bad.push(
            `${r.event}: X-Benemen-Event ${r.headers["x-benemen-event"]} vs EventType ${body.EventType}`,
          );
        if (r.headers["content-type"] !== "application/json; charset=utf-8")
          bad.push(`${r.event}: content-type ${r.headers["content-type"]}`);
        if (r.headers["x-benemen-token"] !== SECRET)
          bad.push(`${r.event}: token ${r.headers["x-benemen-token"]}`);
        if (body.EntityType !== def.entityType) bad.push(`${r.event}: EntityType ${body.EntityType}`);
        if (body.RootEntityType !== "Organization")
          bad.push(`${r.event}: RootEntityType ${body.RootEntityType}`);
      });
    }
    expect(bad).toEqual([]);
  });

  it("sends compact JSON bodies", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      for (const r of c.requests) if (r.body !== JSON.stringify(JSON.parse(r.body))) bad.push(r.body);
    }
    expect(bad).toEqual([]);
  });

  it("writes DateTimes in .NET round-trip form without Z", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      c.requests.forEach((r, i) => {
        const body = c.bodies[i]!;
        if (!DOTNET.test(String(body.Timestamp))) bad.push(`${r.event}: Timestamp ${body.Timestamp}`);
        for (const [k, v] of strings(body)) {
          if (!DATETIME_FIELDS.includes(k)) continue;
          if (v.endsWith("Z") || (v !== DOTNET_MAX && !DOTNET.test(v))) bad.push(`${r.event}: ${k} ${v}`);
        }
      });
      const ats = c.requests.map((r) => r.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
    }
    expect(bad).toEqual([]);
  });

  it("writes GUIDs in lowercase", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      for (const body of c.bodies) {
        for (const [k, v] of strings(body)) if (ANY_CASE_GUID.test(v) && !GUID.test(v)) bad.push(`${k} ${v}`);
        if (!GUID.test(String(body.Id))) bad.push(`Id ${body.Id}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("uses Finnish E.164 numbers and e-mail user names", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      for (const body of c.bodies) {
        for (const f of NUMBER_FIELDS)
          if (f in body && !FINNISH_E164.test(String(body[f]))) bad.push(`${f} ${body[f]}`);
        for (const f of USER_NAME_FIELDS)
          if (f in body && !EMAIL.test(String(body[f]))) bad.push(`${f} ${body[f]}`);
        if (typeof body.Target === "string" && body.Target.startsWith("+") && !FINNISH_E164.test(body.Target))
          bad.push(`Target ${body.Target}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

/**
 * A request is due when its event happened, so each Timestamp is the request's `at` (to the millisecond), and
 * within one call the Timestamps keep the send order down to the tick.
 */
describe.each(ids)("%s, 25 seeds: Timestamps", (id) => {
  it("each Timestamp is the request's send time, to the millisecond", () => {
    const bad: string[] = [];
    for (const c of everyCall(id)) {
      c.requests.forEach((r, i) => {
        const ts = c.bodies[i]!.Timestamp;
        if (ms(ts) !== START + r.at) bad.push(`${r.event}: Timestamp ${ts} vs at ${r.at}`);
      });
    }
    expect(bad).toEqual([]);
  });

  it("Timestamps are non-decreasing in send order within a call", () => {
    for (const c of everyCall(id)) {
      const t = c.bodies.map((b) => ticks(b.Timestamp));
      expect(t).toEqual([...t].sort());
    }
  });
});

describe("tick order, minimal reproduction", () => {
  it("two events in the same millisecond keep their send order in Timestamp", () => {
    const s = parseScenarioText(
      [
        "vendor: enreach",
        "name: same-instant",
        "description: a miss and the next offer at the same instant",
        "steps:",
        "  - arrive: {}",
        "  - enqueue: {}",
        "  - repeat:",
        "      times: 3",
        "      steps:",
        "        - offer: {}",
        "        - wait: 10s",
        "        - miss: {}",
        "  - hangup: { by: caller }",
      ].join("\n"),
      "fixtures/same-instant.yaml",
      findVendor,
    );
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const c of callsOf(plan(s, seed, 1))) {
        const t = c.bodies.map((b) => ticks(b.Timestamp));
        expect(t).toEqual([...t].sort());
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Sequences (the vendor's documented behaviour)
// ---------------------------------------------------------------------------------------------------------------

function statusAfter(c: CallView, index: number, name: string, match: (b: Body) => boolean): Body {
  const found = c.bodies.slice(index + 1).find((b) => b.EventType === name && match(b));
  expect(found, `${name} after ${c.names[index]}`).toBeDefined();
  return found!;
}

function indexOf(c: CallView, name: string, from = 0): number {
  const i = c.names.indexOf(name, from);
  expect(i, `${name} in ${c.names.join(", ")}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe("E1 queue-answered", () => {
  it("runs Coming → Arrived → Allocated → Connected → WrapUpEnabled → Disconnected → WrapUpStarted → WrapUpTerminated", () => {
    for (const c of everyCall("enreach/queue-answered")) {
      expect(story(c)).toEqual([
        "QueueCallInComing",
        "QueueCallInArrived",
        "QueueCallInUserAllocated",
        "QueueCallInUserConnected",
        "UserWrapUpEnabled",
        "QueueCallInDisconnected",
        "UserWrapUpStarted",
        "UserWrapUpTerminated",
      ]);
      const allocated = one(c, "QueueCallInUserAllocated");
      const connected = one(c, "QueueCallInUserConnected");
      const agent = allocated.UserId;
      expect(connected.UserId).toBe(agent);
      expect(connected.AgentLegId).toMatch(GUID);
      expect(connected.AgentLegId).not.toBe(connected.LegId);
      expect(one(c, "QueueCallInDisconnected").Reason).toBe("remote");
      for (const n of ["UserWrapUpEnabled", "UserWrapUpStarted", "UserWrapUpTerminated"]) {
        expect(one(c, n).UserId).toBe(agent);
        expect(one(c, n).LegId).toBe(connected.AgentLegId);
      }
      expect(one(c, "UserWrapUpEnabled").MaxWrapUpDurationSec).toBe(60);
      expect(["manual", "timer"]).toContain(one(c, "UserWrapUpTerminated").Reason);
    }
  });

  it("reports QueueStatus and UserStatus where they change", () => {
    for (const c of everyCall("enreach/queue-answered")) {
      const agent = one(c, "QueueCallInUserAllocated").UserId;
      const arrived = statusAfter(c, indexOf(c, "QueueCallInArrived"), "QueueStatus", () => true);
      expect(arrived.NbrOfQueuingRequesters).toBe(1);
      const talking = statusAfter(
        c,
        indexOf(c, "QueueCallInUserAllocated"),
        "UserStatus",
        (b) => b.UserId === agent,
      );
      expect(talking.Talking).toBe(true);
      const connected = statusAfter(c, indexOf(c, "QueueCallInUserConnected"), "QueueStatus", () => true);
      expect(connected.NbrOfConnected).toBe(1);
      expect(connected.NbrOfQueuingRequesters).toBe(0);
      const done = statusAfter(c, indexOf(c, "QueueCallInDisconnected"), "QueueStatus", () => true);
      expect(done.NbrOfRequesters).toBe(0);
      const inWrapUp = statusAfter(
        c,
        indexOf(c, "QueueCallInDisconnected"),
        "UserStatus",
        (b) => b.UserId === agent,
      );
      expect(inWrapUp.Talking).toBe(false);
      expect(inWrapUp.CanBeAllocatedTo).toBe(false);
      expect(inWrapUp.WrapUpEnd).toMatch(DOTNET);
      const free = statusAfter(
        c,
        indexOf(c, "UserWrapUpTerminated"),
        "UserStatus",
        (b) => b.UserId === agent,
      );
      expect(free.CanBeAllocatedTo).toBe(true);
      expect(free.WrapUpEnd).toBeNull();
      expect(c.names.at(-1)).toBe("UserStatus");
    }
  });
});

describe("E2 queue-missed", () => {
  it("offers to two or three different agents in turn, then the caller hangs up", () => {
    for (const c of everyCall("enreach/queue-missed")) {
      const s = story(c);
      expect(s.slice(0, 2)).toEqual(["QueueCallInComing", "QueueCallInArrived"]);
      const middle = s.slice(2, -1);
      expect(middle.length % 2).toBe(0);
      const pairs = middle.length / 2;
      expect(pairs).toBeGreaterThanOrEqual(2);
      expect(pairs).toBeLessThanOrEqual(3);
      for (let k = 0; k < pairs; k++) {
        expect(middle.slice(2 * k, 2 * k + 2)).toEqual([
          "QueueCallInUserAllocated",
          "QueueCallInUserCancelled",
        ]);
      }
      const allocated = only(c, "QueueCallInUserAllocated");
      const cancelled = only(c, "QueueCallInUserCancelled");
      expect(cancelled.map((b) => b.UserId)).toEqual(allocated.map((b) => b.UserId));
      expect(new Set(allocated.map((b) => b.UserId)).size).toBe(pairs);
      for (const b of cancelled) expect(["remote", "local"]).toContain(b.Reason);
      expect(s.at(-1)).toBe("QueueCallInDisconnected");
      expect(one(c, "QueueCallInDisconnected").Reason).toBe("remote");
      expect(c.names).not.toContain("QueueCallInUserConnected");
      expect(c.call.summary.talkMs).toBe(0);
    }
  });
});

describe("E2 queue-overflow-callback", () => {
  it("overflows to a new callback item (TypeId 2) for this call, then disconnects", () => {
    for (const c of everyCall("enreach/queue-overflow-callback")) {
      // CallbackListStatus follows on its own 15-s clock, before or after the disconnect
      const s = story(c).filter((n) => n !== "CallbackListStatus");
      const tail = s.slice(s.indexOf("QueueCallInOverflow"));
      expect(tail).toEqual(["QueueCallInOverflow", "CallbackChanged", "QueueCallInDisconnected"]);
      expect(s.slice(0, 2)).toEqual(["QueueCallInComing", "QueueCallInArrived"]);
      const middle = s.slice(2, s.indexOf("QueueCallInOverflow"));
      expect([2, 4]).toContain(middle.length);
      for (let k = 0; k < middle.length; k += 2) {
        expect(middle.slice(k, k + 2)).toEqual(["QueueCallInUserAllocated", "QueueCallInUserCancelled"]);
      }
      expect(c.names.indexOf("CallbackListStatus")).toBeGreaterThan(c.names.indexOf("CallbackChanged"));
      const cb = one(c, "CallbackChanged");
      const incoming = one(c, "QueueCallInComing");
      expect(cb.TypeId).toBe(2);
      expect(cb.CallId).toBe(incoming.CallId);
      expect(cb.ChannelIn).toBe(incoming.QueueName);
      expect(cb.CallbackAttempts).toEqual([]);
      expect(cb.AssignedUserId).toBeNull();
      expect(cb.LastModifiedUserId).toBeNull();
      expect(cb.CreationTime).toBe(cb.Modified);
      expect(cb.ContactNumber).toBe(incoming.CallerNumber);
      expect(one(c, "QueueCallInOverflow").OverflowApplet).toBe("CallbackRequest");
    }
  });

  it("follows with CallbackListStatus at a later Timestamp, within 15 s", () => {
    for (const c of everyCall("enreach/queue-overflow-callback")) {
      const changed = ms(one(c, "CallbackChanged").Timestamp);
      const status = one(c, "CallbackListStatus");
      expect(ms(status.Timestamp)).toBeGreaterThan(changed);
      expect(ms(status.Timestamp) - changed).toBeLessThanOrEqual(15_000);
      expect(status.TotalOpenRequests).toBe(1);
    }
  });

  // the status is evaluated on the 15-s grid: a change just after a boundary is still reported within 15 s
  it("reports a change that lands just after a 15-s boundary within 15 s", () => {
    const s = parseScenarioText(
      [
        "vendor: enreach",
        "name: instant-overflow",
        "description: the queue overflows to a callback at once",
        "steps:",
        "  - arrive: {}",
        "  - enqueue: {}",
        "  - overflow: { to: callback }",
        "  - hangup: { by: system, after: 2s }",
      ].join("\n"),
      "fixtures/instant-overflow.yaml",
      findVendor,
    );
    // START is on a 15-s boundary; the item is created 120 ms after the overflow, i.e. 120 ms after the boundary
    const [c] = callsOf(plan(s, 1, 1));
    const changed = ms(one(c!, "CallbackChanged").Timestamp);
    const status = ms(one(c!, "CallbackListStatus").Timestamp);
    expect(status - changed).toBeLessThanOrEqual(15_000);
  });
});

describe("E6 callback-lifecycle", () => {
  it("keeps one CallBackId across CallbackChanged events, each with a new Id", () => {
    for (const c of everyCall("enreach/callback-lifecycle")) {
      const changes = only(c, "CallbackChanged");
      expect(changes).toHaveLength(6);
      expect(new Set(changes.map((b) => b.CallBackId)).size).toBe(1);
      expect(changes[0]!.CallBackId).toMatch(GUID);
      expect(new Set(changes.map((b) => b.Id)).size).toBe(changes.length);
      expect(new Set(changes.map((b) => b.CreationTime)).size).toBe(1);
      const modified = changes.map((b) => ticks(b.Modified));
      expect(modified).toEqual([...modified].sort());
      expect(new Set(changes.map((b) => b.TypeId))).toEqual(new Set([1]));
    }
  });

  it("starts as a fresh request; assignment, attempts and reschedule update it", () => {
    for (const c of everyCall("enreach/callback-lifecycle")) {
      const changes = only(c, "CallbackChanged");
      const first = changes[0]!;
      expect(first.CreationTime).toBe(first.Modified);
      expect(first.AssignedUserId).toBeNull();
      expect(first.LastModifiedUserId).toBeNull();
      expect(first.LastAttemptTimestamp).toBeNull();
      expect(first.CallbackRelatedItems).toEqual([]);
      const agent = c.call.summary.agents[0];
      expect(changes[1]!.AssignedUserId).toBe(agent);
      expect(changes[1]!.LastModifiedUserId).toBe(agent);
      // LastAttempt* follow the attempts as they are made: create, assign, attempt 1, reschedule, attempt 2, close
      expect(changes.map((b) => b.LastAttemptNote)).toEqual([
        null,
        null,
        "No answer, trying later",
        "No answer, trying later",
        "Customer reached",
        "Customer reached",
      ]);
      expect(changes.map((b) => b.LastAttemptTypeId)).toEqual([null, null, 2, 2, 1, 1]);
      expect(changes.map((b) => b.LastAttemptUserId)).toEqual([null, null, agent, agent, agent, agent]);
      expect(changes[2]!.LastAttemptTimestamp).toBe(changes[2]!.Modified);
      expect(changes[4]!.LastAttemptTimestamp).toBe(changes[4]!.Modified);
      // the final body lists both attempts
      const attempts = changes.at(-1)!.CallbackAttempts as Body[];
      expect(attempts.map((a) => a.Note)).toEqual(["No answer, trying later", "Customer reached"]);
      expect(new Set(attempts.map((a) => a.Id)).size).toBe(2);
      for (const a of attempts) expect(a.UserId).toBe(agent);
      // the reschedule moves NotBefore and DueDate
      const rescheduled = changes[3]!;
      expect(rescheduled.NotBefore).not.toBeNull();
      expect(ms(rescheduled.NotBefore) - ms(rescheduled.Modified)).toBeGreaterThanOrEqual(3_599_000);
      expect(ms(rescheduled.NotBefore) - ms(rescheduled.Modified)).toBeLessThanOrEqual(3_600_000);
      expect(rescheduled.DueDate).not.toBe(changes[2]!.DueDate);
    }
  });

  // each body is a snapshot: attempts made later never show in an earlier CallbackChanged
  it("each CallbackChanged lists only the attempts made so far", () => {
    for (const c of everyCall("enreach/callback-lifecycle")) {
      const changes = only(c, "CallbackChanged");
      expect(changes.map((b) => (b.CallbackAttempts as unknown[]).length)).toEqual([0, 0, 1, 1, 2, 2]);
    }
  });

  it("LastAttempt* mirror the newest attempt of the same body", () => {
    for (const c of everyCall("enreach/callback-lifecycle")) {
      let previous: unknown[] = [];
      for (const b of only(c, "CallbackChanged")) {
        const attempts = b.CallbackAttempts as Body[];
        expect(attempts.slice(0, previous.length)).toEqual(previous);
        expect(attempts.length - previous.length).toBeLessThanOrEqual(1);
        previous = attempts;
        const last = attempts.at(-1);
        expect(b.LastAttemptTimestamp).toBe(last?.Timestamp ?? null);
        expect(b.LastAttemptTypeId).toBe(last?.CallbackAttemptTypeId ?? null);
        expect(b.LastAttemptUserId).toBe(last?.UserId ?? null);
        expect(b.LastAttemptNote).toBe(last?.Note ?? null);
      }
    }
  });

  it("ends with a closed related item, and the callback call itself produces UserCallOut* events", () => {
    for (const c of everyCall("enreach/callback-lifecycle")) {
      const changes = only(c, "CallbackChanged");
      for (const b of changes.slice(0, -1)) {
        expect((b.CallbackRelatedItems as Body[]).some((i) => i.IsClosed === true)).toBe(false);
      }
      const last = changes.at(-1)!;
      const items = last.CallbackRelatedItems as Body[];
      expect(items.length).toBeGreaterThan(0);
      expect(items.some((i) => i.IsClosed === true)).toBe(true);
      expect(story(c).filter((n) => n.startsWith("UserCallOut"))).toEqual([
        "UserCallOutGoing",
        "UserCallOutConnected",
        "UserCallOutDisconnected",
      ]);
      const goingAt = indexOf(c, "UserCallOutGoing");
      // the call happens between the reschedule and the successful attempt
      expect(c.names.slice(0, goingAt).filter((n) => n === "CallbackChanged")).toHaveLength(4);
      expect(one(c, "UserCallOutGoing").TargetNumber).toBe(changes[0]!.ContactNumber);
    }
  });
});

describe("E3 queue-transfer", () => {
  it("runs TransferStarted (with TechType) → TransferConnected and hands the call to the second agent", () => {
    for (const c of everyCall("enreach/queue-transfer")) {
      expect(story(c)).toEqual([
        "QueueCallInComing",
        "QueueCallInArrived",
        "QueueCallInUserAllocated",
        "QueueCallInUserConnected",
        "QueueCallInTransferStarted",
        "QueueCallInTransferConnected",
        "QueueCallInDisconnected",
      ]);
      const started = one(c, "QueueCallInTransferStarted");
      expect(started).toHaveProperty("TechType");
      expect(started).not.toHaveProperty("TechSource");
      const first = one(c, "QueueCallInUserConnected").UserId;
      const second = c.call.summary.agents[1];
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      expect(started.TransferSource).toBe(first);
      expect(started.TransferTarget).toBe(second);
      expect(one(c, "QueueCallInTransferConnected").ConnectedTarget).toBe(second);
      const at = indexOf(c, "QueueCallInTransferConnected");
      expect(statusAfter(c, at, "UserStatus", (b) => b.UserId === second).Talking).toBe(true);
      expect(statusAfter(c, at, "UserStatus", (b) => b.UserId === first).Talking).toBe(false);
      const end = indexOf(c, "QueueCallInDisconnected");
      expect(statusAfter(c, end, "UserStatus", (b) => b.UserId === second).Talking).toBe(false);
    }
  });
});

describe("E4 direct user calls", () => {
  it("user-direct-answered runs Coming → Arrived → Allocated → Connected → Disconnected", () => {
    for (const c of everyCall("enreach/user-direct-answered")) {
      expect(story(c)).toEqual([
        "UserCallInComing",
        "UserCallInArrived",
        "UserCallInUserAllocated",
        "UserCallInUserConnected",
        "UserCallInDisconnected",
      ]);
      const user = one(c, "UserCallInComing").UserId;
      for (const b of c.bodies) expect(b.UserId).toBe(user);
      expect(one(c, "UserCallInComing").TargetNumber).toBe(one(c, "UserCallInUserAllocated").UserNumber);
      expect(one(c, "UserCallInDisconnected").Reason).toBe("local");
    }
  });

  it("user-direct-unanswered is cancelled, then overflows with Reason NoAnswer", () => {
    for (const c of everyCall("enreach/user-direct-unanswered")) {
      expect(story(c)).toEqual([
        "UserCallInComing",
        "UserCallInArrived",
        "UserCallInUserAllocated",
        "UserCallInUserCancelled",
        "UserCallInUserOverflow",
        "UserCallInDisconnected",
      ]);
      expect(one(c, "UserCallInUserOverflow").Reason).toBe("NoAnswer");
      expect(c.names).not.toContain("UserCallInUserConnected");
      expect(one(c, "UserCallInDisconnected").Reason).toBe("remote");
    }
  });
});

describe("E5 outbound calls", () => {
  it("outbound-answered runs Going → Connected → Disconnected", () => {
    for (const c of everyCall("enreach/outbound-answered")) {
      expect(story(c)).toEqual(["UserCallOutGoing", "UserCallOutConnected", "UserCallOutDisconnected"]);
      expect(one(c, "UserCallOutDisconnected").Reason).toBe("local");
      const user = one(c, "UserCallOutGoing");
      expect(
        statusAfter(c, indexOf(c, "UserCallOutGoing"), "UserStatus", (b) => b.UserId === user.UserId).Talking,
      ).toBe(true);
    }
  });

  it("outbound-unanswered runs Going → Disconnected, never Connected", () => {
    const reasons = new Set<unknown>();
    for (const c of everyCall("enreach/outbound-unanswered")) {
      expect(story(c)).toEqual(["UserCallOutGoing", "UserCallOutDisconnected"]);
      const d = one(c, "UserCallOutDisconnected");
      reasons.add(d.TechReason);
      expect(["480", "486", "487"]).toContain(d.TechReason);
    }
    // 75 calls cover every branch
    expect(reasons.size).toBe(3);
  });
});

describe("availability-change", () => {
  const scenario = byId.get("enreach/availability-change")!;
  const steps = scenario.steps.filter((s) => s.type === "availability");

  it("reports the states in the scenario's order, each followed by UserStatus", () => {
    for (const c of everyCall("enreach/availability-change")) {
      const avail = only(c, "UserAvailability");
      expect(avail.map((b) => b.Availability)).toEqual(steps.map((s) => s.state));
      expect(new Set(avail.map((b) => b.UserId)).size).toBe(1);
      c.names.forEach((n, i) => {
        if (n !== "UserAvailability") return;
        const next = c.bodies[i + 1]!;
        expect(next.EventType).toBe("UserStatus");
        expect(next.UserId).toBe(c.bodies[i]!.UserId);
        expect(next.Available).toBe(c.bodies[i]!.Availability === "Available");
      });
      expect(c.names.filter((n) => n === "UserStatus")).toHaveLength(avail.length);
    }
  });

  it("gives EndTime DateTime.MaxValue when open-ended, else StartTime plus the step's duration", () => {
    for (const c of everyCall("enreach/availability-change")) {
      only(c, "UserAvailability").forEach((b, i) => {
        const step = steps[i]!;
        expect(b.StartTime).toMatch(DOTNET);
        expect(ms(b.StartTime)).toBe(Math.floor(ms(b.Timestamp)));
        if (!step.for) expect(b.EndTime).toBe(DOTNET_MAX);
        else {
          expect(step.for.kind).toBe("fixed");
          expect(ms(b.EndTime) - ms(b.StartTime)).toBe(
            step.for.kind === "fixed" ? step.for.value : Number.NaN,
          );
        }
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Consistency within a call
// ---------------------------------------------------------------------------------------------------------------

const CALL_SCENARIOS = ids.filter((id) => id !== "enreach/availability-change");
const CONNECTED = ["QueueCallInUserConnected", "UserCallInUserConnected", "UserCallOutConnected"];
const DISCONNECTED = ["QueueCallInDisconnected", "UserCallInDisconnected", "UserCallOutDisconnected"];

describe.each(CALL_SCENARIOS)("%s, 25 seeds: consistency", (id) => {
  it("shares CallId, LegId, CallerNumber and TargetNumber across the call's events", () => {
    for (const c of everyCall(id)) {
      const callEvents = c.bodies.filter((b) => "CallerNumber" in b);
      expect(callEvents.length).toBeGreaterThan(0);
      const first = callEvents[0]!;
      for (const b of callEvents) {
        expect(b.CallId).toBe(first.CallId);
        expect(b.LegId).toBe(first.LegId);
        expect(b.CallerNumber).toBe(first.CallerNumber);
        expect(b.TargetNumber).toBe(first.TargetNumber);
      }
      expect(first.CallerNumber).toBe(c.call.caller.e164);
      expect(first.TargetNumber).toBe(c.call.dialled.e164);
      // wrap-up events and an overflow's callback item point at the same call
      for (const b of c.bodies) {
        if (b.EventType === "CallbackChanged" && b.TypeId !== 2) continue;
        if ("CallId" in b) expect(b.CallId, String(b.EventType)).toBe(first.CallId);
      }
    }
  });

  it("implies the simulated talk time between connect and disconnect (within 1 s)", () => {
    for (const c of everyCall(id)) {
      const connected = c.bodies.filter((b) => CONNECTED.includes(String(b.EventType)));
      const disconnected = c.bodies.filter((b) => DISCONNECTED.includes(String(b.EventType)));
      if (connected.length === 0) {
        expect(c.call.summary.talkMs).toBe(0);
        continue;
      }
      expect(disconnected).toHaveLength(1);
      let span = ms(disconnected[0]!.Timestamp) - ms(connected[0]!.Timestamp);
      // the consultation of an attended transfer is hold time, not talk time
      const started = c.bodies.find((b) => b.EventType === "QueueCallInTransferStarted");
      const done = c.bodies.find((b) => b.EventType === "QueueCallInTransferConnected");
      if (started && done) span -= ms(done.Timestamp) - ms(started.Timestamp);
      expect(Math.abs(span - c.call.summary.talkMs)).toBeLessThanOrEqual(1000);
    }
  });

  it("reports wrap-up ElapsedTimeSec equal to the Started → Terminated gap (within 1 s)", () => {
    for (const c of everyCall(id)) {
      const started = only(c, "UserWrapUpStarted");
      const ended = only(c, "UserWrapUpTerminated");
      expect(ended).toHaveLength(started.length);
      started.forEach((s, i) => {
        const e = ended[i]!;
        const gap = ms(e.Timestamp) - ms(s.Timestamp);
        expect(gap).toBeGreaterThanOrEqual(0);
        expect(Math.abs(gap - Number(e.ElapsedTimeSec) * 1000)).toBeLessThanOrEqual(1000);
        expect(Number(e.ElapsedTimeSec)).toBeLessThanOrEqual(Number(s.MaxWrapUpDurationSec));
        if (e.ElapsedTimeSec === s.MaxWrapUpDurationSec) expect(e.Reason).toBe("timer");
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------------------------

describe("determinism", () => {
  const lines = (seed: number) => planAll(seed).requests.map(dryRunLine);
  const planAll = (seed: number) =>
    planRun({
      scenarios,
      targets: { byVendor: new Map(), fallback: { url: "https://127.0.0.1/enreach", secret: SECRET } },
      seed,
      start: START,
      calls: 2,
    });

  it("gives byte-identical requests for the same seed", () => {
    expect(lines(7)).toEqual(lines(7));
  });

  it("gives different requests for different seeds", () => {
    expect(lines(7)).not.toEqual(lines(8));
  });

  it("simulates the same calls for the same seed", () => {
    const alone = plan(byId.get("enreach/queue-answered")!, 11, 1);
    const again = plan(byId.get("enreach/queue-answered")!, 11, 1);
    expect(alone.requests.map(dryRunLine)).toEqual(again.requests.map(dryRunLine));
    expect(alone.calls).toEqual(again.calls);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Loader errors
// ---------------------------------------------------------------------------------------------------------------

const FILE = "fixtures/bad-scenario.yaml";
const HEAD = ["vendor: enreach", "name: broken", "description: a broken scenario", "steps:"];

/** Loads a scenario and, when it loads, plans one call of it (which runs the story). */
function loadAndRun(lines: string[]): ScenarioError {
  try {
    const s = parseScenarioText(lines.join("\n"), FILE, findVendor);
    plan(s, 1, 1);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

function expectAt(e: ScenarioError, line: number, text: RegExp): void {
  expect(e.file).toBe(FILE);
  expect(e.line).toBe(line);
  expect(e.message.startsWith(`${FILE}:${line}: `), e.message).toBe(true);
  expect(e.message).toMatch(text);
  expect(e.code).toBe("SCENARIO");
}

describe("loader errors", () => {
  it("YAML syntax error (tab indentation)", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "\t- hangup: { by: caller }"]);
    expectAt(e, 6, /YAML syntax error/);
  });

  it("YAML syntax error (duplicate key)", () => {
    const e = loadAndRun([
      "vendor: enreach",
      "name: a",
      "name: b",
      "description: d",
      "steps:",
      "  - arrive: {}",
    ]);
    expectAt(e, 3, /YAML syntax error.*unique/);
  });

  it("unknown step name", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", "  - teleport: {}"]);
    expectAt(e, 7, /unknown step "teleport".*offer/);
  });

  it("bad duration", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - wait: 5 parsecs", "  - hangup: { by: caller }"]);
    expectAt(e, 6, /steps\[1\]\.wait/);
  });

  it("bad duration in `after`", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue:", "      after: 5 parsecs"]);
    expectAt(e, 7, /steps\[1\]\.enqueue\.after/);
  });

  it("bad duration explains what a duration is", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - wait: 5 parsecs"]);
    expect(e.message).toMatch(/"5 parsecs" is not a duration/);
  });

  it("uniform with min > max", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", "  - wait: { uniform: [10s, 2s] }"]);
    expectAt(e, 7, /steps\[2\]\.wait/);
  });

  it("uniform with min > max says which bound is wrong", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - wait: { uniform: [10s, 2s] }"]);
    expect(e.message).toMatch(/first bound/);
  });

  it("unknown vendor", () => {
    const e = loadAndRun(["name: t", "description: d", "vendor: nobody", "steps:", "  - arrive: {}"]);
    expectAt(e, 3, /unknown vendor "nobody"/);
  });

  it("unknown key in a step", () => {
    const e = loadAndRun([
      ...HEAD,
      "  - arrive: {}",
      "  - enqueue: {}",
      "  - offer: { agent: 1, colour: red }",
    ]);
    expectAt(e, 7, /steps\[2\]\.offer.*colour/);
  });

  it("a typo gets the name it most likely meant", () => {
    const steps = ["  - arrive: {}", "  - offer: {}", "  - anwser: {}"];
    expectAt(
      loadAndRun([...HEAD, ...steps]),
      7,
      /unknown step "anwser" \(did you mean answer\?\); the steps are/,
    );
    // `bye:` for `by:` leaves `by` missing too; the typo is what is reported
    const key = ["  - arrive: {}", "  - hangup: { bye: caller }"];
    expectAt(
      loadAndRun([...HEAD, ...key]),
      6,
      /steps\[1\]\.hangup: unknown key\(s\) "bye" \(did you mean by\?\); hangup takes: by, cause, after/,
    );
    const value = ["  - arrive: {}", "  - hangup: { by: caler }"];
    expectAt(
      loadAndRun([...HEAD, ...value]),
      6,
      /hangup\.by: "caler" is not one of caller, agent, system \(did you mean caller\?\)/,
    );
    const top = [
      "vendor: enreach",
      "name: broken",
      "description: d",
      "cal: { queue: any }",
      "steps:",
      "  - arrive: {}",
    ];
    expectAt(
      loadAndRun(top),
      1,
      /\(top level\): unknown key\(s\) "cal" \(did you mean call\?\); the keys here are: vendor, name/,
    );
  });

  it("a value of the wrong kind is not called missing", () => {
    const head = (call: string) => [
      "vendor: enreach",
      "name: broken",
      "description: d",
      call,
      ...HEAD.slice(3),
      "  - arrive: {}",
    ];
    expectAt(
      loadAndRun(head("call: { queue: [1] }")),
      4,
      /call\.queue: Invalid input: expected string, received array/,
    );
    expectAt(
      loadAndRun(head("call: { queue: }")),
      4,
      /call\.queue: has no value; expected string, received null/,
    );
    expectAt(
      loadAndRun(["vendor: enreach", "description: d", "steps:", "  - arrive: {}"]),
      1,
      /name: is required/,
    );
  });

  it("a value none of a field's kinds says what the field takes", () => {
    const steps = (...lines: string[]) =>
      loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", ...lines]);
    expectAt(
      steps("  - offer: next"),
      7,
      /steps\[2\]\.offer: takes a mapping of its keys \(agent, after\), not "next"; write it offer: \{ agent: next \}/,
    );
    expectAt(steps("  - hangup: caller"), 7, /write it hangup: \{ by: caller \}/);
    expectAt(
      steps("  - offer: { agent: first }"),
      7,
      /offer\.agent: is "first"; an agent is a number from 1 to 50 .*, next or current/,
    );
    expectAt(
      steps("  - offer: {}", "  - answer: {}", "  - transfer: { mode: blind, to: outside }"),
      9,
      /transfer\.to: is "outside"; a transfer goes to an agent .* or to external/,
    );
    expectAt(
      steps("  - callback: { action: create, type: 4 }"),
      7,
      /callback\.type: is 4; a callback type is 1, 2 or 3/,
    );
    expectAt(
      steps("  - callback: { action: attempt, result: [{ weight: 1, value: maybe }] }"),
      7,
      /callback\.result: \[0\]\.value: "maybe" is not one of success, noanswer, busy, failed/,
    );
    expectAt(
      steps("  - repeat: { times: 1.5, steps: [{ offer: {} }, { miss: {} }] }"),
      7,
      /repeat\.times: is 1\.5; times is a whole number from 0 to 100, or a range \[min, max\]/,
    );
    expectAt(
      steps("  - repeat: { times: [4, 2], steps: [{ offer: {} }, { miss: {} }] }"),
      7,
      /repeat\.times: a range \[min, max\]: the first bound must not exceed the second/,
    );
    expectAt(
      steps("  - repeat: { times: 101, steps: [{ offer: {} }, { miss: {} }] }"),
      7,
      /repeat\.times: is 101; it must be at most 100/,
    );
    expectAt(
      steps("  - branch: [{ weight: 0, steps: [{ hangup: { by: caller } }] }]"),
      7,
      /branch\[0\]\.weight: is 0; it must be more than 0/,
    );
    expectAt(
      steps("  - wait: { unifrom: [1s, 2s] }"),
      7,
      /wait: is not a valid value here; a timing is a duration/,
    );
    // a timing of a known kind says what is wrong inside it
    expectAt(
      steps("  - wait: { lognormal: { median: 3m, sigma: 9 } }"),
      7,
      /wait: lognormal\.sigma: is 9; it must be at most 5/,
    );
    expectAt(steps("  - wait: { lognormal: { median: 3m } }"), 7, /wait: lognormal\.sigma: is required/);
    expectAt(steps("  - branch: []"), 7, /steps\[2\]\.branch: is empty; list at least one entry/);
  });

  it("a file of one's own needs no description", () => {
    const s = parseScenarioText(
      [
        "vendor: enreach",
        "name: mine",
        "steps:",
        "  - arrive: { target: queue }",
        "  - hangup: { by: caller }",
      ].join("\n"),
      FILE,
      findVendor,
    );
    expect(s.description).toBe("");
    expect(plan(s, 1, 1).requests.length).toBeGreaterThan(0);
  });

  it("answer with no prior offer", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", "  - wait: 5s", "  - answer: {}"]);
    expectAt(e, 8, /answer needs a ringing agent.*offer/);
  });

  it("answer by an agent who missed the call, or was never offered it", () => {
    const missed = ["  - arrive: {}", "  - offer: {}", "  - miss: {}", "  - answer: {}"];
    expectAt(loadAndRun([...HEAD, ...missed]), 8, /answer needs a ringing agent/);
    const other = ["  - arrive: {}", "  - offer: {}", "  - answer: { agent: 2 }"];
    expectAt(loadAndRun([...HEAD, ...other]), 7, /agent 2's phone does not ring/);
    // in a ring group, a miss leaves the others ringing, and an answer takes one of them
    const group = [
      "  - arrive: {}",
      "  - offer: {}",
      "  - offer: {}",
      "  - miss: {}",
      "  - answer: {}",
      "  - miss: {}",
    ];
    expectAt(loadAndRun([...HEAD, ...group]), 10, /miss needs a ringing agent/);
  });

  it("a step before the call begins, or a call that begins twice", () => {
    expectAt(
      loadAndRun([...HEAD, "  - hangup: { by: caller }", "  - arrive: {}"]),
      5,
      /needs a call: begin the story with arrive/,
    );
    expectAt(loadAndRun([...HEAD, "  - arrive: {}", "  - arrive: {}"]), 6, /the call has begun already/);
    expectAt(
      loadAndRun([...HEAD, "  - dial: {}"]),
      5,
      /dial begins an outbound call, but call.direction is inbound/,
    );
  });

  it("ringing or connect in an inbound call, or twice", () => {
    expectAt(loadAndRun([...HEAD, "  - arrive: {}", "  - connect: {}"]), 6, /connect is the called party's/);
    const out = HEAD.slice(0, 3).concat(["call: { direction: outbound }", "steps:"]);
    expectAt(
      loadAndRun([...out, "  - dial: {}", "  - ringing: {}", "  - ringing: {}"]),
      8,
      /ringing comes once/,
    );
    expectAt(
      loadAndRun([...out, "  - dial: {}", "  - connect: {}", "  - connect: {}"]),
      8,
      /connect comes once/,
    );
    expectAt(
      loadAndRun([...out, "  - dial: {}", "  - connect: {}", "  - ringing: {}"]),
      8,
      /ringing comes before connect: the called party has answered already/,
    );
    expectAt(
      loadAndRun([...out, "  - arrive: {}"]),
      6,
      /arrive begins an inbound call, but call.direction is outbound/,
    );
  });

  it("talk before any answer", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", "  - offer: {}", "  - talk: 30s"]);
    expectAt(e, 8, /talk needs a connected call/);
  });

  it("repeat beyond the schema maximum", () => {
    const e = loadAndRun([
      ...HEAD,
      "  - arrive: {}",
      "  - repeat:",
      "      times: 1000",
      "      steps:",
      "        - wait: 1s",
    ]);
    expectAt(e, 7, /steps\[1\]\.repeat\.times.*100/);
  });

  it("a step the vendor cannot express: record", () => {
    const e = loadAndRun([...HEAD, "  - arrive: {}", "  - enqueue: {}", "  - record: {}"]);
    expectAt(e, 7, /step "record" cannot be expressed by Enreach/);
  });

  it("a step the vendor cannot express: disposition", () => {
    const e = loadAndRun([
      ...HEAD,
      "  - arrive: {}",
      "  - offer: {}",
      "  - answer: {}",
      "  - disposition: { value: { value: sale } }",
    ]);
    expectAt(e, 8, /step "disposition" cannot be expressed by Enreach/);
  });

  it("an unexpressible step nested in a branch", () => {
    const e = loadAndRun([
      ...HEAD,
      "  - arrive: {}",
      "  - branch:",
      "      - weight: 1",
      "        steps:",
      "          - record: {}",
    ]);
    expectAt(e, 9, /step "record" cannot be expressed/);
  });

  it("a story that never ends", () => {
    const e = loadAndRun([
      ...HEAD,
      "  - arrive: {}",
      "  - enqueue: {}",
      "  - repeat:",
      "      times: 100",
      "      steps:",
      "        - repeat:",
      "            times: 100",
      "            steps:",
      "              - offer: { agent: 1 }",
      "              - miss: {}",
    ]);
    expect(e.message).toMatch(/story never ends/);
    expect(e.file).toBe(FILE);
    // the step inside the inner repeat that crossed the cap
    expect([13, 14]).toContain(e.line);
    expect(e.message.startsWith(`${FILE}:${e.line}: `)).toBe(true);
  });
});

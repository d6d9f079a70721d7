import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PbxsimError } from "../src/core/errors.js";
import type { Fact, SimulatedCall } from "../src/core/model.js";
import { Rng } from "../src/core/random.js";
import type { VendorEvent } from "../src/core/vendor.js";
import {
  dryRunLine,
  type Plan,
  type PlannedRequest,
  planRun,
  type VendorTargets,
} from "../src/delivery/plan.js";
import { runScenarios } from "../src/delivery/run.js";
import { loadTargetsFile } from "../src/delivery/targets.js";
import { createReceiver } from "../src/receiver/app.js";
import { serve } from "../src/receiver/serve.js";
import { parseScenarioText, resolveScenarios, type Scenario } from "../src/scenario/load.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { buildRequest, substitute, webitel, WebitelDefaultBodySchema } from "../src/vendors/webitel/index.js";
import {
  CAUSE_SIP,
  CC_RESULTS,
  HOOKS,
  hooksOf,
  QUEUE_TYPES,
  type QueueTypeName,
  queueTypeOf,
} from "../src/vendors/webitel/project.js";
import { startServer, type TestServer } from "./helpers/servers.js";

/**
 * Webitel (the vendor's documented behaviour): a queue hook starts a flow schema whose httpRequest step makes the request.
 * The ten built-in scenarios follow the sequences W1..W8 with the hooks each queue type raises; every
 * variable is a non-empty string consistent with the simulated call; the default step is POST JSON with
 * sorted keys, 1 s, no retries, any status; a targets file shapes each schema's own request; the built-in
 * receiver checks default bodies and lets custom templates through unchecked.
 */

type Vars = Record<string, string>;
type Body = Record<string, unknown>;

const BASE = "http://127.0.0.1:9/flow";
const START = Date.UTC(2026, 0, 5, 7);
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const CALLS = 3;

const scenarios = resolveScenarios(["webitel/*"], findVendor);
const SCENARIO_IDS = [
  "webitel/chat-queue",
  "webitel/dialer-disposition",
  "webitel/inbound-queue-abandoned",
  "webitel/inbound-queue-answered",
  "webitel/inbound-queue-missed-then-answered",
  "webitel/offline-queue",
  "webitel/predictive-dialer",
  "webitel/preview-dialer",
  "webitel/progressive-dialer",
  "webitel/task-queue",
];

/** The domain's agents: agent id → full name, short extension and user id. */
const AGENTS: Record<string, { name: string; extension: string; userId: string }> = {
  "57": { name: "Olena Kovalenko", extension: "1001", userId: "210" },
  "58": { name: "Andrii Shevchenko", extension: "1002", userId: "211" },
  "59": { name: "Iryna Bondarenko", extension: "1003", userId: "212" },
  "60": { name: "Taras Melnyk", extension: "1004", userId: "213" },
  "61": { name: "Oksana Tkachenko", extension: "1005", userId: "214" },
  "62": { name: "Dmytro Kravchenko", extension: "1006", userId: "215" },
};

/** FreeSWITCH hangup cause names (the vendor's documented behaviour). */
const FS_CAUSES = new Set([
  "NORMAL_CLEARING",
  "USER_BUSY",
  "NO_ANSWER",
  "NO_USER_RESPONSE",
  "CALL_REJECTED",
  "ORIGINATOR_CANCEL",
  "UNALLOCATED_NUMBER",
  "NORMAL_TEMPORARY_FAILURE",
  "RECOVERY_ON_TIMER_EXPIRE",
  "LOSE_RACE",
  "MANAGER_REQUEST",
  "BLIND_TRANSFER",
  "ATTENDED_TRANSFER",
  "ALLOTTED_TIMEOUT",
  "MEDIA_TIMEOUT",
  "PICKED_OFF",
  "USER_NOT_REGISTERED",
  "PROGRESS_TIMEOUT",
  "GATEWAY_DOWN",
  "INVALID_NUMBER_FORMAT",
]);
/** The cause ↔ SIP answer pairs of the hangup-cause table. */
const DOC_SIP: Record<string, number> = {
  USER_BUSY: 486,
  NO_USER_RESPONSE: 408,
  NO_ANSWER: 480,
  CALL_REJECTED: 603,
  UNALLOCATED_NUMBER: 404,
  ORIGINATOR_CANCEL: 487,
  NORMAL_TEMPORARY_FAILURE: 503,
  RECOVERY_ON_TIMER_EXPIRE: 504,
};
/** The dispositions of webitel/dialer-disposition and the cc_result each becomes. */
const DISPOSITIONS: Record<string, string> = {
  Sale: "sale",
  "Not interested": "not_interested",
  "Call back later": "call_back_later",
  "Wrong number": "wrong_number",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EPOCH_MS = /^\d{13}$/;
const NUMERIC = /^\d+$/;
const ALWAYS = [
  "state",
  "channel",
  "destination",
  "attempt_id",
  "timestamp",
  "joined_at",
  "queue_id",
  "crm_contact_id",
];
const AGENT_KEYS = ["agent_id", "agent_name", "agent_extension", "user_id"];
const CALL_ONLY = [
  "member_channel_id",
  "agent_channel_id",
  "call_duration",
  "call_bill_sec",
  "call_voice_sec",
  "call_cause",
  "call_sip_code",
  "amd_result",
];
/** Values that belong to the member and the attempt, the same on every hook of it. */
const PER_ATTEMPT = [
  "attempt_id",
  "member_id",
  "member_name",
  "crm_contact_id",
  "destination",
  "joined_at",
  "queue_id",
  "channel",
  "member_channel_id",
  "bucket_id",
  "cc_attempt_seq",
  "use_processing",
];

const fallback = (url = BASE): VendorTargets => ({ byVendor: new Map(), fallback: { url } });

function plan(
  seed: number,
  extra: { reorderMs?: number; targets?: VendorTargets; calls?: number; list?: Scenario[] } = {},
): Plan {
  return planRun({
    scenarios: extra.list ?? scenarios,
    targets: extra.targets ?? fallback(),
    seed,
    start: START,
    calls: extra.calls ?? CALLS,
    reorderMs: extra.reorderMs,
  });
}

function scenario(name: string, call: string, steps: string[]): Scenario {
  return parseScenarioText(
    [
      "vendor: webitel",
      `name: ${name}`,
      "description: A test call.",
      `call: ${call}`,
      "steps:",
      ...steps.map((s) => `  - ${s}`),
    ].join("\n"),
    `${name}.yaml`,
    findVendor,
  );
}

/** One hook as delivered: the request, its variables, and its time relative to the call's start. */
interface Hook {
  req: PlannedRequest;
  name: string;
  raw: Body;
  v: Vars;
  rel: number;
}

interface CallView {
  call: SimulatedCall;
  type: QueueTypeName;
  hooks: Hook[];
}

function callsOf(p: Plan): CallView[] {
  return p.calls.map((call) => ({
    call,
    type: queueTypeOf(call),
    hooks: p.requests
      .filter((r) => r.call === call.key)
      .sort((a, b) => a.seq - b.seq)
      .map((req) => {
        const raw = JSON.parse(req.body) as Body;
        const v = raw as Vars;
        return { req, name: req.event, raw, v, rel: Number(v.timestamp) - call.start };
      }),
  }));
}

let planCache: Plan[] | undefined;
const plans = () => (planCache ??= SEEDS.map((seed) => plan(seed)));
let callCache: CallView[] | undefined;
function everyCall(id?: string): CallView[] {
  callCache ??= plans().flatMap(callsOf);
  return id === undefined ? callCache : callCache.filter((c) => c.call.scenario === id);
}

function factsOf<K extends Fact["kind"]>(call: SimulatedCall, kind: K): Extract<Fact, { kind: K }>[] {
  return call.facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);
}

const agentFirst = (t: QueueTypeName) => t === "preview" || t === "offline";
const isCall = (c: CallView) => c.call.channel !== "chat" && c.call.channel !== "task";
const sec = (ms: number) => String(Math.floor(ms / 1000));
const where = (c: CallView, h?: Hook) =>
  `${c.call.scenario} call ${c.call.key}${h ? ` ${h.name}@${h.rel}` : ""}`;

/**
 * The moments of a call that its variables depend on: the bridge (the customer answered the agent-first
 * dialers' call, or the agent answered), the member leg's answer, and the end of the call (the hangup, or
 * the dialer dropping an answering machine).
 */
function moments(c: CallView) {
  const ra = factsOf(c.call, "remote-answer")[0];
  const answer = factsOf(c.call, "answer")[0];
  const hangup = factsOf(c.call, "hangup")[0];
  const first = agentFirst(c.type);
  const bridge = first ? ra?.at : answer?.at;
  const answeredAt = first ? ra?.at : Math.min(ra?.at ?? Infinity, answer?.at ?? Infinity);
  const leaving = c.hooks.find((h) => h.name === "leaving");
  const end = hangup?.at ?? (ra?.amd === "MACHINE" ? leaving?.rel : undefined);
  return {
    ra,
    bridge,
    answered: answeredAt === Infinity ? undefined : answeredAt,
    end,
    dialStart: c.call.facts[0]?.at ?? 0,
  };
}

/** `hook [agent] [cc_result call_cause]`: the shape of a sequence. */
function sig(h: Hook): string {
  const parts = [h.name];
  if (h.v.agent_id) parts.push(h.v.agent_id);
  if (h.name === "leaving") parts.push(h.v.cc_result ?? "?", h.v.call_cause ?? "-");
  return parts.join(" ");
}
const leave = (agent: string | undefined, result: string, cause: string) =>
  ["leaving", agent, result, cause].filter((x) => x !== undefined).join(" ");

/** The sequence W1..W8 a call must produce, from its facts; also names the branch the call took. */
function expectedStory(c: CallView): { branch: string; story: string[] } {
  const { call } = c;
  const offers = factsOf(call, "offer").map((f) => f.agent);
  const misses = factsOf(call, "miss").map((f) => f.agent);
  const answers = factsOf(call, "answer").map((f) => f.agent);
  const ra = factsOf(call, "remote-answer")[0];
  const wrap = factsOf(call, "wrapup-start").length > 0;
  const proc = (a: string) => (wrap ? [`processing ${a}`] : []);
  switch (call.scenario) {
    case "webitel/inbound-queue-answered": {
      // W1
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      const a = offers[0]!;
      return {
        branch: wrap ? "processing" : "no processing",
        story: [
          "joined",
          `offering ${a}`,
          `bridged ${a}`,
          ...proc(a),
          leave(a, "success", "NORMAL_CLEARING"),
        ],
      };
    }
    case "webitel/inbound-queue-missed-then-answered": {
      // W2
      expect(offers).toHaveLength(2);
      const [a, b] = offers as [string, string];
      expect(a).not.toBe(b);
      expect(misses).toEqual([a]);
      expect(answers).toEqual([b]);
      return {
        branch: "missed then answered",
        story: [
          "joined",
          `offering ${a}`,
          `missed ${a}`,
          `offering ${b}`,
          `bridged ${b}`,
          leave(b, "success", "NORMAL_CLEARING"),
        ],
      };
    }
    case "webitel/inbound-queue-abandoned": {
      // W3
      expect(answers).toEqual([]);
      expect(misses).toEqual(offers);
      return {
        branch: `${offers.length} offers`,
        story: [
          "joined",
          ...offers.flatMap((a) => [`offering ${a}`, `missed ${a}`]),
          leave(offers[offers.length - 1], "abandoned", "ORIGINATOR_CANCEL"),
        ],
      };
    }
    case "webitel/chat-queue":
    case "webitel/task-queue": {
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      const a = offers[0]!;
      return {
        branch: call.channel!,
        story: ["joined", `offering ${a}`, `bridged ${a}`, leave(a, "success", "-")],
      };
    }
    case "webitel/preview-dialer": {
      // W4
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      const a = offers[0]!;
      if (!ra)
        return {
          branch: "customer did not answer",
          story: [`offering ${a}`, `active ${a}`, leave(a, "abandoned", "NO_ANSWER")],
        };
      return {
        branch: "customer answered",
        story: [
          `offering ${a}`,
          `active ${a}`,
          `bridged ${a}`,
          ...proc(a),
          leave(a, "success", "NORMAL_CLEARING"),
        ],
      };
    }
    case "webitel/offline-queue": {
      // W7
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      expect(ra).toBeDefined();
      const a = offers[0]!;
      return {
        branch: "answered",
        story: [
          `offering ${a}`,
          `active ${a}`,
          `bridged ${a}`,
          ...proc(a),
          leave(a, "success", "NORMAL_CLEARING"),
        ],
      };
    }
    case "webitel/progressive-dialer": {
      // W5
      if (!ra) {
        expect(offers).toEqual([]);
        return { branch: "no answer", story: [leave(undefined, "cancel", "NO_ANSWER")] };
      }
      if (ra.amd === "MACHINE") {
        expect(offers).toEqual([]);
        return { branch: "machine", story: [leave(undefined, "cancel", "NORMAL_CLEARING")] };
      }
      expect(ra.amd).toBe("HUMAN");
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      const a = offers[0]!;
      return {
        branch: "person",
        story: [`offering ${a}`, `bridged ${a}`, leave(a, "success", "NORMAL_CLEARING")],
      };
    }
    case "webitel/predictive-dialer": {
      // W6
      expect(offers.length).toBeGreaterThanOrEqual(1);
      expect(offers.length).toBeLessThanOrEqual(3);
      expect(new Set(offers).size).toBe(offers.length);
      const b = offers[offers.length - 1]!;
      expect(misses).toEqual(offers.slice(0, -1));
      expect(answers).toEqual([b]);
      return {
        branch: `${misses.length} missed`,
        story: [
          ...misses.flatMap((a) => [`offering ${a}`, `missed ${a}`]),
          `offering ${b}`,
          `bridged ${b}`,
          leave(b, "success", "NORMAL_CLEARING"),
        ],
      };
    }
    case "webitel/dialer-disposition": {
      // W8
      expect(offers).toHaveLength(1);
      expect(answers).toEqual(offers);
      const a = offers[0]!;
      const d = factsOf(call, "disposition");
      expect(d).toHaveLength(1);
      const result = DISPOSITIONS[d[0]!.value];
      expect(result, d[0]!.value).toBeDefined();
      return {
        branch: result!,
        story: [`offering ${a}`, `bridged ${a}`, `processing ${a}`, leave(a, result!, "NORMAL_CLEARING")],
      };
    }
    default:
      throw new Error(`unexpected scenario ${call.scenario}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios and queue types

describe("built-in Webitel scenarios", () => {
  it("are all there", () => {
    expect(scenarios.map((s) => s.id)).toEqual(SCENARIO_IDS);
  });

  it("run in the queue type each one names", () => {
    const want: Record<string, QueueTypeName> = {
      "webitel/chat-queue": "inbound chat",
      "webitel/dialer-disposition": "progressive",
      "webitel/inbound-queue-abandoned": "inbound",
      "webitel/inbound-queue-answered": "inbound",
      "webitel/inbound-queue-missed-then-answered": "inbound",
      "webitel/offline-queue": "offline",
      "webitel/predictive-dialer": "predictive",
      "webitel/preview-dialer": "preview",
      "webitel/progressive-dialer": "progressive",
      "webitel/task-queue": "task",
    };
    const queue: Record<QueueTypeName, string | undefined> = {
      inbound: "12",
      "inbound chat": "12",
      task: "12",
      preview: "15",
      progressive: "15",
      predictive: "15",
      offline: "18",
      ivr: undefined,
      outbound_task: undefined,
      im: undefined,
      outbound_call: undefined,
    };
    for (const c of everyCall()) {
      expect(c.type, c.call.scenario).toBe(want[c.call.scenario]);
      expect(c.call.queue, c.call.scenario).toBe(queue[c.type]);
    }
  });

  it("tag every projected hook with the queue's type id and queue id", () => {
    for (const c of everyCall().slice(0, 60)) {
      const events = webitel.project(c.call, {
        rng: new Rng(`${c.call.key}`),
        directory: webitel.directory(),
        profile: "default",
      });
      expect(events.length).toBeGreaterThan(0);
      for (const e of events)
        expect(e.meta, c.call.scenario).toEqual({
          queueType: String(QUEUE_TYPES[c.type]),
          queueId: c.call.queue,
        });
    }
  });

  it("together raise every hook and take every branch (20 seeds × 3 calls)", () => {
    const seen = new Set(everyCall().flatMap((c) => c.hooks.map((h) => h.name)));
    expect([...seen].sort()).toEqual([...HOOKS].sort());
    const branches = new Set(everyCall().map((c) => `${c.call.scenario}: ${expectedStory(c).branch}`));
    for (const b of [
      "webitel/inbound-queue-answered: processing",
      "webitel/inbound-queue-answered: no processing",
      "webitel/inbound-queue-abandoned: 0 offers",
      "webitel/inbound-queue-abandoned: 1 offers",
      "webitel/preview-dialer: customer answered",
      "webitel/preview-dialer: customer did not answer",
      "webitel/progressive-dialer: person",
      "webitel/progressive-dialer: machine",
      "webitel/progressive-dialer: no answer",
      "webitel/predictive-dialer: 0 missed",
      "webitel/predictive-dialer: 1 missed",
      "webitel/predictive-dialer: 2 missed",
      "webitel/chat-queue: chat",
      "webitel/task-queue: task",
    ])
      expect(branches, b).toContain(b);
    const results = new Set(everyCall("webitel/dialer-disposition").map((c) => expectedStory(c).branch));
    expect(results.size).toBeGreaterThanOrEqual(3);
  });
});

describe("hooks per queue type (the vendor's documented behaviour)", () => {
  const noJoined: QueueTypeName[] = ["offline", "preview", "progressive", "predictive"];
  it.each(Object.keys(QUEUE_TYPES) as QueueTypeName[])("%s raises the hooks call_center raises", (type) => {
    const hooks = hooksOf(type);
    expect(hooks).toContain("leaving");
    expect(hooks.includes("joined"), "joined").toBe(!noJoined.includes(type));
    expect(hooks.includes("active"), "active").toBe(type === "offline" || type === "preview");
    expect(hooks).not.toContain("answered");
    if (type === "ivr" || type === "outbound_task") expect([...hooks].sort()).toEqual(["joined", "leaving"]);
    else for (const h of ["offering", "bridged", "missed", "processing"]) expect(hooks).toContain(h);
  });

  it("maps calls to queue types by channel, then by dialer", () => {
    const base = everyCall("webitel/inbound-queue-answered")[0]!.call;
    const of = (patch: Partial<SimulatedCall>) => queueTypeOf({ ...base, ...patch });
    expect(of({ channel: "chat" })).toBe("inbound chat");
    expect(of({ channel: "task", origin: "preview" })).toBe("task");
    expect(of({ origin: "pbx" })).toBe("inbound");
    for (const o of ["preview", "progressive", "predictive", "offline"] as const)
      expect(of({ origin: o, direction: "outbound" })).toBe(o);
    expect(of({ origin: "click-to-call", direction: "outbound" })).toBe("outbound_call");
  });

  it("sends only the hooks of the queue's type: Joined for inbound, chat and task; Answered (active) for offline and preview", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const names = c.hooks.map((h) => h.name);
      const allowed = hooksOf(c.type);
      for (const n of names) if (!allowed.includes(n as never)) bad.push(`${where(c)}: ${n} in ${c.type}`);
      const joined = names.includes("joined");
      if (joined !== ["inbound", "inbound chat", "task"].includes(c.type))
        bad.push(`${where(c)}: joined ${joined}`);
      if (names.includes("active") && !agentFirst(c.type)) bad.push(`${where(c)}: active in ${c.type}`);
      if (agentFirst(c.type) && !names.includes("active")) bad.push(`${where(c)}: no active in ${c.type}`);
    }
    expect(bad).toEqual([]);
  });

  it("ends every attempt with exactly one Leaving, last in time and in delivery order", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const leaving = c.hooks.filter((h) => h.name === "leaving");
      if (leaving.length !== 1) bad.push(`${where(c)}: ${leaving.length} leaving`);
      if (c.hooks[c.hooks.length - 1]?.name !== "leaving")
        bad.push(`${where(c)}: last is ${c.hooks.at(-1)?.name}`);
      const times = c.hooks.map((h) => h.rel);
      if (JSON.stringify(times) !== JSON.stringify([...times].sort((a, b) => a - b)))
        bad.push(`${where(c)}: hooks out of time order`);
    }
    expect(bad).toEqual([]);
  });

  it('sends Processing only with post-processing on, once, after the call; use_processing is "true" then and absent otherwise', () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const on = factsOf(c.call, "wrapup-start").length > 0;
      const { bridge, end } = moments(c);
      const processing = c.hooks.filter((h) => h.name === "processing");
      const want = on && bridge !== undefined ? 1 : 0;
      if (processing.length !== want) bad.push(`${where(c)}: ${processing.length} processing`);
      for (const p of processing)
        if (end === undefined || p.rel < end) bad.push(`${where(c)}: processing before the end`);
      for (const h of c.hooks) {
        if (on && h.v.use_processing !== "true")
          bad.push(`${where(c, h)}: use_processing ${h.v.use_processing}`);
        if (!on && "use_processing" in h.v) bad.push(`${where(c, h)}: use_processing without processing`);
      }
    }
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Sequences

describe("20 seeds × 3 calls: the sequences W1..W8 (the vendor's documented behaviour)", () => {
  it.each(SCENARIO_IDS)("%s follows its sequence, agents and result from the simulated call", (id) => {
    const calls = everyCall(id);
    expect(calls).toHaveLength(SEEDS.length * CALLS);
    const bad: string[] = [];
    for (const c of calls) {
      const got = c.hooks.map(sig);
      const want = expectedStory(c).story;
      if (JSON.stringify(got) !== JSON.stringify(want))
        bad.push(`${where(c)}:\n  got  ${got.join(" | ")}\n  want ${want.join(" | ")}`);
    }
    expect(bad).toEqual([]);
  });

  it("W2, W6: each offering reaches a new agent on a new agent leg; Missed names the leg that rang", () => {
    const bad: string[] = [];
    for (const id of [
      "webitel/inbound-queue-missed-then-answered",
      "webitel/predictive-dialer",
      "webitel/inbound-queue-abandoned",
    ]) {
      for (const c of everyCall(id)) {
        const offering = c.hooks.filter((h) => h.name === "offering");
        const legs = offering.map((h) => h.v.agent_channel_id);
        if (new Set(legs).size !== legs.length) bad.push(`${where(c)}: agent legs ${legs}`);
        if (new Set(offering.map((h) => h.v.agent_id)).size !== offering.length)
          bad.push(`${where(c)}: agent reused`);
        c.hooks.forEach((h, i) => {
          if (h.name !== "missed" && h.name !== "bridged") return;
          const prev = c.hooks[i - 1];
          if (prev?.name !== "offering") bad.push(`${where(c, h)}: not after an offering`);
          else if (prev.v.agent_channel_id !== h.v.agent_channel_id || prev.v.agent_id !== h.v.agent_id)
            bad.push(`${where(c, h)}: another agent or leg than offered`);
        });
        const member = new Set(c.hooks.map((h) => h.v.member_channel_id));
        if (member.size !== 1 || legs.some((l) => member.has(l!)))
          bad.push(`${where(c)}: member leg ${[...member]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("W3: an abandoned caller leaves with abandoned, ORIGINATOR_CANCEL 487 and member_stop_cause abandoned", () => {
    for (const c of everyCall("webitel/inbound-queue-abandoned")) {
      const l = c.hooks.at(-1)!;
      expect(l.v).toMatchObject({
        state: "leaving",
        cc_result: "abandoned",
        call_cause: "ORIGINATOR_CANCEL",
        call_sip_code: "487",
        member_stop_cause: "abandoned",
      });
      expect(l.v.bridged_at).toBeUndefined();
      expect(l.v.call_voice_sec).toBeUndefined();
      expect(l.v.call_bill_sec).toBe("0");
    }
  });

  it("W4: in the preview dialer agent_channel_id and member_channel_id are the same leg", () => {
    const bad: string[] = [];
    for (const c of everyCall("webitel/preview-dialer"))
      for (const h of c.hooks)
        if (h.v.agent_channel_id !== h.v.member_channel_id || !h.v.agent_channel_id)
          bad.push(`${where(c, h)}: ${h.v.agent_channel_id} / ${h.v.member_channel_id}`);
    expect(bad).toEqual([]);
  });

  it("W4: a customer who does not answer leaves the attempt abandoned with NO_ANSWER 480 and no bridge", () => {
    const noAnswer = everyCall("webitel/preview-dialer").filter(
      (c) => factsOf(c.call, "remote-answer").length === 0,
    );
    expect(noAnswer.length).toBeGreaterThan(0);
    for (const c of noAnswer) {
      const l = c.hooks.at(-1)!;
      expect(l.v).toMatchObject({ cc_result: "abandoned", call_cause: "NO_ANSWER", call_sip_code: "480" });
      expect(c.hooks.some((h) => "bridged_at" in h.v || "call_voice_sec" in h.v)).toBe(false);
    }
  });

  it("W5: a machine makes the attempt leave at once with amd_result MACHINE and no agent; a person is offered with HUMAN", () => {
    const bad: string[] = [];
    for (const c of everyCall("webitel/progressive-dialer")) {
      const ra = factsOf(c.call, "remote-answer")[0];
      if (ra?.amd === "MACHINE") {
        const [l] = c.hooks;
        if (c.hooks.length !== 1 || !l) {
          bad.push(`${where(c)}: ${c.hooks.length} hooks`);
          continue;
        }
        if (l.rel <= ra.at || l.rel - ra.at > 2_000)
          bad.push(`${where(c)}: left ${l.rel - ra.at} ms after the answer`);
        if (l.v.amd_result !== "MACHINE") bad.push(`${where(c)}: amd_result ${l.v.amd_result}`);
        if (AGENT_KEYS.some((k) => k in l.v) || "agent_channel_id" in l.v) bad.push(`${where(c)}: an agent`);
      } else if (ra) {
        for (const h of c.hooks)
          if (h.v.amd_result !== "HUMAN") bad.push(`${where(c, h)}: amd ${h.v.amd_result}`);
      } else {
        for (const h of c.hooks) if ("amd_result" in h.v) bad.push(`${where(c, h)}: amd without an answer`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("W8: the disposition arrives as a custom cc_result on the Leaving after Processing", () => {
    for (const c of everyCall("webitel/dialer-disposition")) {
      const [p, l] = c.hooks.slice(-2) as [Hook, Hook];
      expect(p.name).toBe("processing");
      expect(p.v.cc_result).toBe("processing");
      expect(l.name).toBe("leaving");
      expect(Object.values(DISPOSITIONS)).toContain(l.v.cc_result);
      expect(CC_RESULTS as readonly string[]).not.toContain(l.v.cc_result);
      expect(l.rel).toBeGreaterThan(p.rel);
      expect(l.rel).toBe(factsOf(c.call, "disposition")[0]!.at);
    }
  });

  it("chat and task queues: their channel, no call variables, chat_transferred only for chats", () => {
    const bad: string[] = [];
    for (const id of ["webitel/chat-queue", "webitel/task-queue"]) {
      for (const c of everyCall(id)) {
        const channel = c.call.channel!;
        for (const h of c.hooks) {
          if (h.v.channel !== channel) bad.push(`${where(c, h)}: channel ${h.v.channel}`);
          for (const k of CALL_ONLY) if (k in h.v) bad.push(`${where(c, h)}: ${k}`);
          const want = channel === "chat" ? "false" : undefined;
          if (h.v.chat_transferred !== want)
            bad.push(`${where(c, h)}: chat_transferred ${h.v.chat_transferred}`);
          if (/^\+?\d+$/.test(h.v.destination ?? ""))
            bad.push(`${where(c, h)}: a phone number as destination`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("W9: a transfer inside the queue continues the attempt with the new agent and ends with cc_result transfer", () => {
    const s = scenario("transfer", "{ direction: inbound, queue: Inbound support }", [
      "arrive: {}",
      "enqueue: { after: 500ms }",
      "offer: { after: 5s }",
      "answer: { after: 3s }",
      "talk: 30s",
      "transfer: { mode: blind, to: next, consult: 2s, outcome: connected }",
      "talk: 30s",
      "hangup: { by: caller }",
    ]);
    for (const c of callsOf(plan(1, { list: [s] }))) {
      const a = factsOf(c.call, "offer")[0]!.agent;
      const b = factsOf(c.call, "transfer-end")[0]!.to.agent!;
      expect(c.hooks.map(sig)).toEqual([
        "joined",
        `offering ${a}`,
        `bridged ${a}`,
        leave(b, "transfer", "NORMAL_CLEARING"),
      ]);
      const [, offering, , leaving] = c.hooks as [Hook, Hook, Hook, Hook];
      expect(leaving.v.agent_channel_id).toMatch(UUID);
      expect(leaving.v.agent_channel_id).not.toBe(offering.v.agent_channel_id);
      expect(leaving.v.agent_name).toBe(AGENTS[b]!.name);
    }
  });

  it("Leaving stays last when the wrap-up is shorter than 200 ms", () => {
    const s = scenario("short-wrapup", "{ direction: inbound, queue: Inbound support }", [
      "arrive: {}",
      "enqueue: { after: 10ms }",
      "offer: { after: 1s }",
      "answer: { after: 1s }",
      "talk: 5s",
      "hangup: { by: caller }",
      "wrapup: { duration: 100ms, max: 60, end: manual }",
    ]);
    for (const c of callsOf(plan(1, { list: [s], calls: 1 })))
      expect(c.hooks.map((h) => h.name)).toEqual(["joined", "offering", "bridged", "processing", "leaving"]);
  });

  it("an inbound call that hangs up before it joins a queue fires no hook: Leaving needs an attempt", () => {
    const early = scenario("early", "{ direction: inbound, queue: Inbound support }", [
      "arrive: {}",
      "wait: 2s",
      "hangup: { by: caller }",
    ]);
    expect(plan(1, { list: [early], calls: 3 }).requests).toEqual([]);
    const joined = scenario("joined", "{ direction: inbound, queue: Inbound support }", [
      "arrive: {}",
      "enqueue: { after: 10ms }",
      "wait: 2s",
      "hangup: { by: caller }",
    ]);
    for (const c of callsOf(plan(1, { list: [joined], calls: 3 })))
      expect(c.hooks.map((h) => h.name)).toEqual(["joined", "leaving"]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Variables

describe("20 seeds × 3 calls: the hook variables (the vendor's documented behaviour, §2d)", () => {
  it('are a flat object of non-empty strings: an empty variable is absent, never ""', () => {
    const bad: string[] = [];
    for (const c of everyCall())
      for (const h of c.hooks)
        for (const [k, v] of Object.entries(h.raw))
          if (typeof v !== "string" || v === "") bad.push(`${where(c, h)}: ${k}=${JSON.stringify(v)}`);
    expect(bad).toEqual([]);
  });

  it("always carry state (= the hook), channel, destination, attempt_id, timestamp, joined_at, queue_id and the member's variables", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      for (const h of c.hooks) {
        for (const k of ALWAYS) if (!(k in h.v)) bad.push(`${where(c, h)}: no ${k}`);
        if (h.v.state !== h.name) bad.push(`${where(c, h)}: state ${h.v.state}`);
        if (h.v.channel !== (c.call.channel ?? "call")) bad.push(`${where(c, h)}: channel ${h.v.channel}`);
        if (h.v.queue_id !== c.call.queue) bad.push(`${where(c, h)}: queue_id ${h.v.queue_id}`);
        for (const k of ["attempt_id", "queue_id", "crm_contact_id", "member_id", "cc_attempt_seq"])
          if (!NUMERIC.test(h.v[k] ?? "")) bad.push(`${where(c, h)}: ${k} ${h.v[k]}`);
        for (const k of ["timestamp", "joined_at"])
          if (!EPOCH_MS.test(h.v[k] ?? "")) bad.push(`${where(c, h)}: ${k} ${h.v[k]}`);
        if (isCall(c) && !UUID.test(h.v.member_channel_id ?? ""))
          bad.push(`${where(c, h)}: member_channel_id`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("keep one attempt_id per attempt on every hook of it, a different one for every call of a run", () => {
    const bad: string[] = [];
    for (const p of plans()) {
      const ids = new Set<string>();
      for (const c of callsOf(p)) {
        for (const k of PER_ATTEMPT) {
          const values = new Set(c.hooks.map((h) => h.v[k]));
          if (values.size !== 1) bad.push(`${where(c)}: ${k} ${[...values]}`);
        }
        ids.add(c.hooks[0]!.v.attempt_id!);
      }
      if (ids.size !== p.calls.length) bad.push(`${ids.size} attempt ids for ${p.calls.length} calls`);
    }
    expect(bad).toEqual([]);
  });

  it("stamp each hook with its due time; joined_at is when the member was created, never after a hook", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const joinedAt = Number(c.hooks[0]!.v.joined_at);
      for (const h of c.hooks) {
        if (Number(h.v.timestamp) !== START + h.req.at)
          bad.push(`${where(c, h)}: timestamp vs due ${h.req.at}`);
        if (Number(h.v.timestamp) < joinedAt) bad.push(`${where(c, h)}: joined_at after the hook`);
      }
      const dialer = ["preview", "progressive", "predictive", "offline"].includes(c.type);
      // dialer members were imported before the campaign called them; inbound members join on the call
      if (dialer ? joinedAt >= c.call.start : joinedAt < c.call.start)
        bad.push(`${where(c)}: joined_at ${joinedAt}`);
    }
    expect(bad).toEqual([]);
  });

  it("carry the agent (id, name, extension, user id, and the agent leg for calls) once one is offered", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const offers = factsOf(c.call, "offer");
      for (const h of c.hooks) {
        const last = offers.filter((o) => o.at <= h.rel).at(-1);
        if (!last) {
          for (const k of [...AGENT_KEYS, "agent_channel_id"])
            if (k in h.v) bad.push(`${where(c, h)}: ${k} before an offer`);
          continue;
        }
        const a = AGENTS[last.agent]!;
        const got = [h.v.agent_id, h.v.agent_name, h.v.agent_extension, h.v.user_id];
        const want = [last.agent, a.name, a.extension, a.userId];
        if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${where(c, h)}: ${got} vs ${want}`);
        if (isCall(c) && !UUID.test(h.v.agent_channel_id ?? ""))
          bad.push(`${where(c, h)}: agent_channel_id ${h.v.agent_channel_id}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("set bridged_at from the first bridge on, to the bridge's time", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const { bridge } = moments(c);
      for (const h of c.hooks) {
        const want = bridge !== undefined && bridge <= h.rel ? String(c.call.start + bridge) : undefined;
        if (h.v.bridged_at !== want) bad.push(`${where(c, h)}: bridged_at ${h.v.bridged_at}, want ${want}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("give call_duration, call_bill_sec and call_voice_sec in whole seconds of the simulated call (voice only after a bridge)", () => {
    const bad: string[] = [];
    let checked = 0;
    for (const c of everyCall().filter(isCall)) {
      const { bridge, answered, end, dialStart } = moments(c);
      for (const h of c.hooks) {
        const stop = end !== undefined && end < h.rel ? end : h.rel;
        const want = {
          call_duration: sec(stop - dialStart),
          call_bill_sec: answered !== undefined && answered <= h.rel ? sec(stop - answered) : "0",
          call_voice_sec: bridge !== undefined && bridge <= h.rel ? sec(stop - bridge) : undefined,
        };
        const got = {
          call_duration: h.v.call_duration,
          call_bill_sec: h.v.call_bill_sec,
          call_voice_sec: h.v.call_voice_sec,
        };
        if (JSON.stringify(got) !== JSON.stringify(want))
          bad.push(`${where(c, h)}: ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
        const [d, b, v] = [
          Number(h.v.call_duration),
          Number(h.v.call_bill_sec),
          Number(h.v.call_voice_sec ?? 0),
        ];
        if (!(d >= b && b >= v)) bad.push(`${where(c, h)}: duration ${d} < bill ${b} < voice ${v}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(bad).toEqual([]);
  });

  it("send call_cause only once the call ended, a FreeSWITCH cause with call_sip_code per CAUSE_SIP (none for NORMAL_CLEARING)", () => {
    const bad: string[] = [];
    for (const c of everyCall().filter(isCall)) {
      const { end } = moments(c);
      for (const h of c.hooks) {
        const ended = end !== undefined && h.rel >= end;
        const cause = h.v.call_cause;
        if (ended !== (cause !== undefined)) bad.push(`${where(c, h)}: call_cause ${cause}, ended ${ended}`);
        if (cause === undefined) {
          if ("call_sip_code" in h.v) bad.push(`${where(c, h)}: a SIP code without a cause`);
          continue;
        }
        if (!FS_CAUSES.has(cause)) bad.push(`${where(c, h)}: cause ${cause}`);
        const sip = CAUSE_SIP[cause];
        if (h.v.call_sip_code !== (sip === undefined ? undefined : String(sip)))
          bad.push(`${where(c, h)}: ${cause} with ${h.v.call_sip_code}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("CAUSE_SIP agrees with the hangup-cause table and names only FreeSWITCH causes", () => {
    for (const [cause, code] of Object.entries(CAUSE_SIP)) {
      expect(FS_CAUSES.has(cause), cause).toBe(true);
      expect(code, cause).toBe(DOC_SIP[cause]);
    }
    expect(CAUSE_SIP.NORMAL_CLEARING).toBeUndefined();
  });

  it("send cc_result on Processing (processing) and on every Leaving: one of the 13 results or the agent's disposition", () => {
    expect(CC_RESULTS).toHaveLength(13);
    const bad: string[] = [];
    for (const c of everyCall()) {
      for (const h of c.hooks) {
        const r = h.v.cc_result;
        if (h.name === "processing") {
          if (r !== "processing") bad.push(`${where(c, h)}: ${r}`);
        } else if (h.name === "leaving") {
          const custom =
            c.call.scenario === "webitel/dialer-disposition" && Object.values(DISPOSITIONS).includes(r!);
          if (!(CC_RESULTS as readonly string[]).includes(r!) && !custom) bad.push(`${where(c, h)}: ${r}`);
        } else if (r !== undefined) bad.push(`${where(c, h)}: cc_result on ${h.name}`);
        if ("member_stop_cause" in h.v !== (h.name === "leaving"))
          bad.push(`${where(c, h)}: member_stop_cause`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("write the member's number as Ukrainian digits without +, the customer's for dialers, the caller's for inbound", () => {
    const bad: string[] = [];
    for (const c of everyCall().filter(isCall)) {
      const party = c.call.direction === "outbound" ? c.call.dialled : c.call.caller;
      for (const h of c.hooks) {
        if (!/^380\d{9}$/.test(h.v.destination ?? ""))
          bad.push(`${where(c, h)}: destination ${h.v.destination}`);
        if (h.v.destination !== party.e164.replace(/^\+/, ""))
          bad.push(`${where(c, h)}: ${h.v.destination} vs ${party.e164}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("carry amd_result from the dialer's answering-machine detection on, and only then", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      const ra = factsOf(c.call, "remote-answer")[0];
      for (const h of c.hooks) {
        const want = ra?.amd !== undefined && ra.at <= h.rel ? ra.amd : undefined;
        if (h.v.amd_result !== want) bad.push(`${where(c, h)}: amd_result ${h.v.amd_result}, want ${want}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("parse against the default body schema and validate as the hook they are", () => {
    const bad: string[] = [];
    for (const c of everyCall()) {
      for (const h of c.hooks) {
        const r = WebitelDefaultBodySchema.safeParse(h.raw);
        if (!r.success) bad.push(`${where(c, h)}: ${r.error.message}`);
        const v = webitel.validate(h.raw, {});
        if (!v.ok || v.event !== h.name || v.issues.length) bad.push(`${where(c, h)}: ${JSON.stringify(v)}`);
        if (webitel.callIdOf?.(h.raw) !== h.v.attempt_id) bad.push(`${where(c, h)}: call id`);
      }
    }
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Delivery

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

const dir = mkdtempSync(join(tmpdir(), "pbxsim-webitel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function targetsFile(yaml: string): VendorTargets {
  const file = join(dir, `targets-${fileNo++}.yaml`);
  writeFileSync(file, yaml);
  return loadTargetsFile(file);
}

/** The default variables of every hook of a plan, by call, hook and due time. */
function varsByHook(p: Plan): Map<string, Vars> {
  return new Map(p.requests.map((r) => [`${r.call}|${r.event}|${r.at}`, JSON.parse(r.body) as Vars]));
}
const keyOf = (r: PlannedRequest) => `${r.call}|${r.event}|${r.at}`;
/** Keys in Go's map order: sorted byte-wise. */
/** Go's net/http names itself when the flow's httpRequest sets no User-Agent. */
const GO_UA = "Go-http-client/1.1";
const sortedKeys = (o: object) => [...Object.keys(o)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("the httpRequest step by default (the vendor's documented behaviour)", () => {
  it("is a POST of application/json to the URL untouched, the variables as compact JSON with sorted keys", () => {
    for (const p of plans().slice(0, 5)) {
      for (const r of p.requests) {
        expect(r.vendor).toBe("webitel");
        expect(r.method).toBe("POST");
        expect(r.url).toBe(BASE);
        expect(r.headers).toEqual({ "content-type": "application/json", "user-agent": GO_UA });
        const body = JSON.parse(r.body) as Body;
        expect(Object.keys(body)).toEqual(sortedKeys(body));
        expect(r.body).toBe(JSON.stringify(body));
        expect(r.insecure).toBe(false);
        expect(r.transport).toMatchObject({ timeoutMs: 1_000, retrySchedule: [], success: { kind: "any" } });
      }
    }
  });

  it("counts any answer as delivered at the first attempt (a 500 too), and the receiver gets exactly the planned requests", async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    const r = await runScenarios({ scenarios: ["webitel/*"], url: `${s.url}/flow`, seed: 11, speed: "max" });
    const n = r.plan.requests.length;
    expect(n).toBeGreaterThan(30);
    expect(r.summary.delivered).toBe(n);
    expect(r.summary.failed).toBe(0);
    expect(r.summary.retried).toBe(0);
    expect(r.results.every((x) => x.attempts.length === 1 && x.attempts[0]!.status === 500)).toBe(true);
    expect(s.requests).toHaveLength(n);
    for (const q of s.requests) {
      expect(q.method).toBe("POST");
      expect(q.url).toBe("/flow");
      expect(q.headers["content-type"]).toBe("application/json");
    }
    expect(s.requests.map((q) => q.body).sort()).toEqual(r.plan.requests.map((p) => p.body).sort());
  });

  it("fails a refused connection after one attempt: no retries", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const url = s.url;
    await s.close();
    servers = [];
    const r = await runScenarios({ scenarios: ["webitel/progressive-dialer"], url, seed: 13, speed: "max" });
    expect(r.summary.failed).toBe(r.plan.requests.length);
    expect(r.results.every((x) => x.attempts.length === 1)).toBe(true);
    expect(r.results[0]!.attempts[0]!.error).toMatch(/connection refused/);
  });
});

const STEPS = `webitel:
  - name: crm on leaving
    hooks: [leaving]
    queues: [12]
    url: "http://127.0.0.1:9/crm/\${state}/\${attempt_id}?queue=\${queue_id}&x=\${no_such_var}"
    method: PUT
    headers:
      X-Static: fixed
    data:
      id: "\${attempt_id}"
      result: "\${cc_result}"
      agent: "\${agent_name}"
      missing: "\${no_such_var}"
      count: 3
      flag: true
    timeout: 3000
  - name: form
    hooks: [joined, offering]
    url: http://127.0.0.1:9/form
    content_type: application/x-www-form-urlencoded
    data:
      who: "\${agent_name}"
      state: "\${state}"
      dest: "\${destination}"
  - name: text
    hooks: [bridged]
    queues: ["15"]
    url: "http://127.0.0.1:9/text/\${channel}"
    content_type: text/plain
    data: "attempt \${attempt_id} bridged with \${agent_extension} at \${bridged_at}\${nope}"
  - name: callbacks
    queues: [18]
    url: http://127.0.0.1:9/all
`;

describe("the httpRequest step from a targets file", () => {
  it("substitutes the URL, marshals a data map, encodes forms and string templates, filters by hook and queue", () => {
    const targets = targetsFile(STEPS);
    for (const seed of [1, 2]) {
      const p = plan(seed, { targets });
      const defaults = plan(seed);
      const vars = varsByHook(defaults);
      const want = { crm: 0, form: 0, text: 0, all: 0 };
      for (const r of defaults.requests) {
        const v = JSON.parse(r.body) as Vars;
        if (r.event === "leaving" && v.queue_id === "12") want.crm++;
        if (r.event === "joined" || r.event === "offering") want.form++;
        if (r.event === "bridged" && v.queue_id === "15") want.text++;
        if (v.queue_id === "18") want.all++;
      }
      const got = { crm: 0, form: 0, text: 0, all: 0 };
      for (const r of p.requests) {
        const v = vars.get(keyOf(r))!;
        expect(v, keyOf(r)).toBeDefined();
        const path = new URL(r.url).pathname;
        if (path.startsWith("/crm/")) {
          got.crm++;
          expect([r.event, v.queue_id]).toEqual(["leaving", "12"]);
          expect(r.url).toBe(`http://127.0.0.1:9/crm/leaving/${v.attempt_id}?queue=12&x=`);
          expect(r.method).toBe("PUT");
          expect(r.headers["content-type"]).toBe("application/json");
          expect(r.headers["x-static"]).toBe("fixed");
          expect(r.body).toBe(
            JSON.stringify({
              agent: v.agent_name ?? "",
              count: 3,
              flag: true,
              id: v.attempt_id,
              missing: "",
              result: v.cc_result,
            }),
          );
          expect(r.transport.timeoutMs).toBe(3_000);
        } else if (path === "/form") {
          got.form++;
          expect(["joined", "offering"]).toContain(r.event);
          expect(r.method).toBe("POST");
          expect(r.headers["content-type"]).toBe("application/x-www-form-urlencoded");
          const form = new URLSearchParams(r.body);
          expect([...form.keys()]).toEqual(["dest", "state", "who"]);
          expect(Object.fromEntries(form)).toEqual({
            dest: v.destination,
            state: r.event,
            who: v.agent_name ?? "",
          });
          expect(r.transport.timeoutMs).toBe(1_000);
        } else if (path.startsWith("/text/")) {
          got.text++;
          expect([r.event, v.queue_id]).toEqual(["bridged", "15"]);
          expect(r.url).toBe("http://127.0.0.1:9/text/call");
          expect(r.headers["content-type"]).toBe("text/plain");
          expect(r.body).toBe(`attempt ${v.attempt_id} bridged with ${v.agent_extension} at ${v.bridged_at}`);
        } else {
          got.all++;
          expect(path).toBe("/all");
          expect(v.queue_id).toBe("18");
          expect(r.method).toBe("POST");
          expect(r.headers).toEqual({ "content-type": "application/json", "user-agent": GO_UA });
          expect(r.body).toBe(defaults.requests.find((d) => keyOf(d) === keyOf(r))!.body);
        }
      }
      expect(got).toEqual(want);
      expect(Object.values(got).every((n) => n > 0)).toBe(true);
    }
  });

  it("sends the step's method, path, headers and body on the wire", async () => {
    const s = await server((_req, res) => res.writeHead(204).end());
    const targets = targetsFile(STEPS.replaceAll("http://127.0.0.1:9", s.url));
    const r = await runScenarios({ scenarios: ["webitel/*"], targets, seed: 4, speed: "max" });
    expect(r.summary.failed).toBe(0);
    expect(s.requests).toHaveLength(r.plan.requests.length);
    const line = (m: string, url: string, ct: unknown, body: string) => `${m} ${url} ${String(ct)} ${body}`;
    const sent = s.requests.map((q) => line(q.method, q.url, q.headers["content-type"], q.body));
    const planned = r.plan.requests.map((p) =>
      line(p.method, p.url.slice(s.url.length), p.headers["content-type"], p.body),
    );
    expect(sent.sort()).toEqual(planned.sort());
    expect(s.requests.filter((q) => q.method === "PUT").every((q) => q.headers["x-static"] === "fixed")).toBe(
      true,
    );
  });

  it("substitutes ${var} in the step's headers", () => {
    const targets = targetsFile(`webitel:
  - url: http://127.0.0.1:9/h
    hooks: [leaving]
    headers:
      Authorization: "Bearer \${crm_contact_id}"
      X-Hook: "\${state}"
`);
    const p = plan(1, { targets });
    expect(p.requests.length).toBeGreaterThan(0);
    for (const r of p.requests) {
      const v = JSON.parse(r.body) as Vars;
      expect(r.headers.authorization).toBe(`Bearer ${v.crm_contact_id}`);
      expect(r.headers["x-hook"]).toBe("leaving");
    }
  });

  it("encodes the data as the step's own Content-Type header says", () => {
    const targets = targetsFile(`webitel:
  - url: http://127.0.0.1:9/h
    hooks: [joined]
    headers:
      Content-Type: application/x-www-form-urlencoded
    data:
      state: "\${state}"
`);
    const p = plan(1, { targets });
    expect(p.requests.length).toBeGreaterThan(0);
    for (const r of p.requests) {
      expect(r.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(r.body).toBe("state=joined");
    }
  });

  it("marshals nested maps of a data template with sorted keys, as Go does", () => {
    const targets = targetsFile(`webitel:
  - url: http://127.0.0.1:9/h
    hooks: [leaving]
    data:
      z: "\${state}"
      meta: { b: "2", a: "1" }
`);
    const p = plan(1, { targets });
    expect(p.requests.length).toBeGreaterThan(0);
    for (const r of p.requests) expect(r.body).toBe('{"meta":{"a":"1","b":"2"},"z":"leaving"}');
  });

  // the two slow network tests run side by side, each with its own server
  it.concurrent(
    "gives up after the default 1 s on a slow receiver, but waits with timeout: 3000",
    async ({ expect, onTestFinished }) => {
      const s = await startServer((_req, res) => {
        setTimeout(() => {
          if (!res.destroyed) res.writeHead(200).end();
        }, 1_500);
      });
      onTestFinished(() => s.close());
      const step = (extra: string) =>
        targetsFile(`webitel:\n  - url: ${s.url}/slow\n    hooks: [joined]\n${extra}`);
      const run = (targets: VendorTargets) =>
        runScenarios({
          scenarios: ["webitel/inbound-queue-abandoned"],
          targets,
          seed: 5,
          calls: 1,
          speed: "max",
        });
      const [short, long] = await Promise.all([run(step("")), run(step("    timeout: 3000\n"))]);
      expect(short.plan.requests).toHaveLength(1);
      expect(short.summary.failed).toBe(1);
      const a = short.results[0]!.attempts;
      expect(a).toHaveLength(1);
      expect(a[0]!.error).toMatch(/timeout: no answer within 1000ms/);
      expect(a[0]!.latencyMs).toBeGreaterThanOrEqual(900);
      expect(a[0]!.latencyMs).toBeLessThan(1_450);
      expect(long.summary.delivered).toBe(1);
      expect(long.results[0]!.attempts).toHaveLength(1);
      expect(long.results[0]!.attempts[0]).toMatchObject({ status: 200, ok: true });
      expect(long.results[0]!.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(1_400);
    },
  );

  it.concurrent(
    "trusts a self-signed certificate only with insecureSkipVerify",
    async ({ expect, onTestFinished }) => {
      const s = await startServer((_req, res) => res.writeHead(200).end(), { https: true });
      onTestFinished(() => s.close());
      const step = (extra: string) =>
        targetsFile(`webitel:\n  - url: ${s.url}/tls\n    hooks: [joined]\n${extra}`);
      const run = (targets: VendorTargets) =>
        runScenarios({ scenarios: ["webitel/chat-queue"], targets, seed: 6, calls: 1, speed: "max" });
      const [verify, skip] = await Promise.all([run(step("")), run(step("    insecureSkipVerify: true\n"))]);
      expect(verify.summary.failed).toBe(1);
      expect(verify.results[0]!.attempts[0]!.error).toMatch(/TLS|certificate/);
      expect(skip.summary.delivered).toBe(1);
      expect(skip.results[0]!.attempts[0]!.status).toBe(200);
    },
  );

  it.each([
    [
      "a hook that never fires",
      "  - { url: http://127.0.0.1:9/x, hooks: [answered] }",
      /webitel\[0\]\.hooks\[0\]: /,
    ],
    ["no url", "  - { hooks: [leaving] }", /webitel\[0\]\.url: /],
    ["an unknown key", "  - { url: http://127.0.0.1:9/x, retries: 3 }", /webitel\[0\]|retries/],
    ["a timeout of 0", "  - { url: http://127.0.0.1:9/x, timeout: 0 }", /webitel\[0\]\.timeout: /],
  ])("rejects a step with %s, naming where", (_what, step, message) => {
    let err: unknown;
    try {
      targetsFile(`webitel:\n${step}\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PbxsimError);
    expect((err as PbxsimError).code).toBe("TARGETS");
    expect((err as PbxsimError).message).toMatch(message);
  });
});

describe("buildRequest and substitute", () => {
  const vars: Vars = {
    state: "leaving",
    attempt_id: "4242",
    note: 'he said "hi"\n\tand\\left',
    agent_name: "Taras Melnyk",
  };

  it("substitute replaces ${var}, an unknown variable with nothing", () => {
    expect(substitute("a${state}b${x.y}c${nope}d", { state: "S", "x.y": 7 })).toBe("aSb7cd");
    expect(substitute("${a}${a}", { a: "1" })).toBe("11");
    expect(substitute("no vars $ {x} ${", {})).toBe("no vars $ {x} ${");
  });

  it("by default POSTs the variables as sorted compact JSON with application/json added", () => {
    const r = buildRequest({ b: "2", a: "1", c: "3" }, { url: "http://h/${a}", method: "POST", headers: {} });
    expect(r).toEqual({
      method: "POST",
      url: "http://h/1",
      headers: { "content-type": "application/json", "user-agent": GO_UA },
      body: '{"a":"1","b":"2","c":"3"}',
    });
  });

  it("substitutes header values and keeps the schema's own content type", () => {
    const r = buildRequest(vars, {
      url: "http://h/",
      method: "POST",
      headers: { Authorization: "Bearer ${attempt_id}", "Content-Type": "text/xml" },
      data: "<a>${attempt_id}</a>",
    });
    expect(r.headers).toEqual({
      authorization: "Bearer 4242",
      "content-type": "text/xml",
      "user-agent": GO_UA,
    });
    // a schema that names its client keeps that name
    const named = buildRequest(vars, {
      url: "http://h/",
      method: "POST",
      headers: { "User-Agent": "crm-flow" },
    });
    expect(named.headers["user-agent"]).toBe("crm-flow");
    expect(r.body).toBe("<a>4242</a>");
  });

  it("marshals a data map, then substitutes JSON-escaped values so the body stays valid JSON", () => {
    const r = buildRequest(vars, {
      url: "http://h/",
      method: "POST",
      headers: {},
      data: { note: "${note}", id: "${attempt_id}", missing: "${nope}", n: 1 },
    });
    expect(r.body).toBe(`{"id":"4242","missing":"","n":1,"note":${JSON.stringify(vars.note)}}`);
    expect((JSON.parse(r.body) as Body).note).toBe(vars.note);
  });

  it("URL-encodes a form map with sorted keys", () => {
    const r = buildRequest(vars, {
      url: "http://h/",
      method: "POST",
      headers: {},
      contentType: "application/x-www-form-urlencoded",
      data: { who: "${agent_name}", id: "${attempt_id}", amp: "a&b=c" },
    });
    expect(r.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect([...new URLSearchParams(r.body).keys()]).toEqual(["amp", "id", "who"]);
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({
      amp: "a&b=c",
      id: "4242",
      who: "Taras Melnyk",
    });
  });

  it("sends a GET without data with no body", () => {
    const r = buildRequest(vars, { url: "http://h/?id=${attempt_id}", method: "GET", headers: {} });
    expect(r).toMatchObject({ method: "GET", url: "http://h/?id=4242", body: "" });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Receiver

/** A default Leaving body from the built-in answered inbound scenario. */
function leavingBody(): Body {
  const p = plan(21, { list: scenarios.filter((s) => s.id === "webitel/inbound-queue-answered"), calls: 1 });
  return JSON.parse(p.requests.find((r) => r.event === "leaving")!.body) as Body;
}

describe("the receiver and Webitel deliveries", () => {
  it.each(["/", "/webitel"])(
    "live: every default body of every scenario posted to %s validates and is answered 200",
    async (path) => {
      const rx = await serve({ vendors: VENDORS, port: 0 });
      try {
        const r = await runScenarios({
          scenarios: ["webitel/*"],
          url: `${rx.url}${path}`,
          seed: 14,
          calls: 2,
          speed: "max",
        });
        expect(r.summary.failed).toBe(0);
        expect(rx.records).toHaveLength(r.plan.requests.length);
        const bad = rx.records.filter(
          (x) => !x.valid || x.status !== 200 || x.vendor !== "webitel" || x.duplicate || x.issues.length > 0,
        );
        expect(bad).toEqual([]);
        expect(rx.records.map((x) => x.event).sort()).toEqual(r.plan.requests.map((p) => p.event).sort());
        expect(new Set(rx.records.map((x) => x.callId)).size).toBe(r.plan.calls.length);
      } finally {
        await rx.close();
      }
    },
  );

  it.each([
    ["an empty value", (b: Body) => ({ ...b, crm_contact_id: "" }), /crm_contact_id/],
    ["an empty agent name", (b: Body) => ({ ...b, agent_name: "" }), /agent_name/],
    ["a number value", (b: Body) => ({ ...b, queue_id: 12 }), /queue_id/],
    ["a boolean use_processing", (b: Body) => ({ ...b, use_processing: true }), /use_processing/],
    ["a timestamp in seconds", (b: Body) => ({ ...b, timestamp: "1767596400" }), /timestamp/],
    ["an ISO timestamp", (b: Body) => ({ ...b, timestamp: "2026-01-05T07:00:00Z" }), /timestamp/],
    ["joined_at in seconds", (b: Body) => ({ ...b, joined_at: "1767596400" }), /joined_at/],
    ["an unknown state", (b: Body) => ({ ...b, state: "answered" }), /state/],
    ["a fractional call_duration", (b: Body) => ({ ...b, call_duration: "12.5" }), /call_duration/],
    ["no channel", (b: Body) => ({ ...b, channel: undefined }), /channel/],
  ] as [string, (b: Body) => Body, RegExp][])(
    "a default body with %s is answered 422 naming the field",
    async (_what, make, field) => {
      const body = make(leavingBody());
      for (const path of ["/", "/webitel"]) {
        const rx = createReceiver({ vendors: VENDORS });
        const res = await request(rx.app)
          .post(path)
          .set("content-type", "application/json")
          .send(JSON.stringify(body));
        expect(res.status, path).toBe(422);
        expect((res.body as { issues: string[] }).issues.join("\n")).toMatch(field);
        expect(rx.records[0]).toMatchObject({ vendor: "webitel", valid: false, event: body.state });
      }
    },
  );

  it.each([
    ["JSON", "application/json", JSON.stringify({ id: "4242", result: "success" })],
    ["form", "application/x-www-form-urlencoded", "id=4242&result=success"],
    ["text", "text/plain", "attempt 4242 left"],
    ["XML", "text/xml", "<a>4242</a>"],
  ])("a custom %s template body is accepted and marked as not checked", async (_what, type, body) => {
    const rx = createReceiver({ vendors: VENDORS });
    const res = await request(rx.app).post("/webitel").set("content-type", type).send(body);
    expect(res.status).toBe(200);
    expect(rx.records[0]).toMatchObject({ vendor: "webitel", valid: true, status: 200 });
    expect(rx.records[0]!.issues.join("\n")).toMatch(/not checked/);
  });

  it("a custom template that names attempt_id and state is accepted as a template", async () => {
    const targets = targetsFile(`webitel:
  - url: http://127.0.0.1:9/webitel
    hooks: [leaving]
    data: { attempt_id: "\${attempt_id}", state: "\${state}", phone: "\${destination}" }
`);
    const p = plan(2, { targets });
    expect(p.requests.length).toBeGreaterThan(0);
    const rx = createReceiver({ vendors: VENDORS });
    for (const r of p.requests) {
      const res = await request(rx.app).post("/webitel").set(r.headers).send(r.body);
      expect(res.status, res.text).toBe(200);
    }
  });

  it.each([...HOOKS])("the sample %s for pbxsim send validates", (hook) => {
    const ev: VendorEvent = webitel.sample(
      hook,
      { rng: new Rng(1), directory: webitel.directory(), profile: "default" },
      START,
    );
    expect(ev.name).toBe(hook);
    expect(ev.payload.state).toBe(hook);
    expect(webitel.validate(ev.payload, {})).toEqual({ ok: true, event: hook, issues: [] });
  });

  it("has no sample for a hook that never fires", () => {
    expect(() =>
      webitel.sample(
        "answered",
        { rng: new Rng(1), directory: webitel.directory(), profile: "default" },
        START,
      ),
    ).toThrow(PbxsimError);
  });

  it("recognises default bodies as Webitel and no other vendor does", () => {
    const body = leavingBody();
    expect(webitel.detect({}, body)).toBe(true);
    for (const v of VENDORS.filter((x) => x.id !== "webitel")) expect(v.detect({}, body), v.id).toBe(false);
    expect(webitel.detect({}, { id: "1" })).toBe(false);
    expect(webitel.detect({}, "text")).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Ordering and determinism

describe("reordering and determinism", () => {
  it("gives the same seed byte-identical requests, another seed others, with and without reordering", () => {
    const a = plan(7).requests.map(dryRunLine);
    expect(plan(7).requests.map(dryRunLine)).toEqual(a);
    expect(plan(8).requests.map(dryRunLine)).not.toEqual(a);
    const r = plan(7, { reorderMs: 50 }).requests.map(dryRunLine);
    expect(plan(7, { reorderMs: 50 }).requests.map(dryRunLine)).toEqual(r);
  });

  const quick = scenario("quick", "{ direction: inbound, queue: Inbound support }", [
    "arrive: {}",
    "enqueue: { after: 10ms }",
    "offer: { after: 20ms }",
    "answer: { after: 20ms }",
    "talk: 1s",
    "hangup: { by: caller }",
  ]);

  it("reorderMs delays each hook by less than reorderMs, so close neighbours sometimes arrive swapped", () => {
    let swapped = 0;
    let kept = 0;
    for (const seed of SEEDS) {
      const p = plan(seed, { reorderMs: 50, list: [quick] });
      const straight = plan(seed, { list: [quick] });
      // the hooks themselves do not change, only when they are sent
      expect(p.requests.map((r) => r.body).sort()).toEqual(straight.requests.map((r) => r.body).sort());
      for (const c of callsOf(p)) {
        for (const h of c.hooks) {
          const shift = h.req.at - (Number(h.v.timestamp) - START);
          expect(shift).toBeGreaterThanOrEqual(0);
          expect(shift).toBeLessThan(50);
        }
        for (let i = 1; i < c.hooks.length; i++) {
          if (c.hooks[i]!.rel < c.hooks[i - 1]!.rel) swapped++;
          else kept++;
        }
        // Leaving is still the attempt's last hook by its own timestamp
        const last = c.hooks.reduce((m, h) => (h.rel > m.rel ? h : m));
        expect(last.name).toBe("leaving");
      }
    }
    expect(swapped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(swapped);
  });

  it("reorderMs on the built-in scenarios changes only when hooks are sent", () => {
    for (const seed of [1, 2]) {
      const p = plan(seed, { reorderMs: 50 });
      expect(p.requests.map((r) => r.body).sort()).toEqual(
        plan(seed)
          .requests.map((r) => r.body)
          .sort(),
      );
      for (const r of p.requests) {
        const shift = r.at - (Number((JSON.parse(r.body) as Vars).timestamp) - START);
        expect(shift).toBeGreaterThanOrEqual(0);
        expect(shift).toBeLessThan(50);
      }
    }
  });
});

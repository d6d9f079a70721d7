import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PbxsimError } from "../src/core/errors.js";
import type { DirectoryAgent, Fact, SimulatedCall } from "../src/core/model.js";
import type { TargetSettings, VendorEvent } from "../src/core/vendor.js";
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
import { parseScenarioText, resolveScenarios } from "../src/scenario/load.js";
import { acefone, acefoneOptions, formatStamp, renderPayload } from "../src/vendors/acefone/index.js";
import {
  ACEFONE_TRIGGERS,
  acefoneTrigger,
  HANGUP_TRIGGER_IDS,
  triggerPayloadSchema,
} from "../src/vendors/acefone/schemas.js";
import { CIRCLES, DID_NUMBER } from "../src/vendors/acefone/world.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { startServer, type TestServer } from "./helpers/servers.js";

/**
 * Acefone / Tata Smartflo webhooks (the vendor's documented behaviour): the six built-in scenarios fire the trigger sequences
 * A1..A5, every body carries exactly its trigger's variables with values consistent with the simulated call,
 * each portal option (method, content type, date format, time zone, headers) and each per-webhook setting of
 * a targets file shapes the requests as the portal would, delivery follows the transport rules, and the
 * built-in receiver accepts everything pbxsim sends and rejects drift.
 */

type Body = Record<string, unknown>;
type Profile = "acefone" | "smartflo";
type DateFormat = "default" | "epoch" | "iso";
type Zone = "IST" | "UTC";
type Encoding = "json" | "form" | "get";

const BASE = "http://127.0.0.1:9/hook?key=abc";
const START = Date.UTC(2026, 0, 5, 7);
const START_SEC = START / 1000;
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const CALLS = 3;
const TRAILING = "customer_no_with_prefix ";
const DIALER_STAMP = /^\d{1,2}\/\d{1,2}\/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/;

const scenarios = resolveScenarios(["acefone/*"], findVendor);
const SCENARIO_IDS = [
  "acefone/click-to-call-answered",
  "acefone/click-to-call-missed",
  "acefone/dialer-disposition",
  "acefone/inbound-ivr-answered",
  "acefone/inbound-missed",
  "acefone/inbound-transfer",
];
const DIRECTORY = acefone.directory();

// trigger ids
const SERVER = "call-received-on-server";
const IVR = "call-answered-on-ivr";
const DTMF = "dtmf-option";
const DEPT = "call-received-on-department";
const DIALED = "dialed-on-agent";
const ANSWERED = "call-answered-by-agent";
const ANSWERED_HANGUP = "call-answered-by-agent-hangup";
const MISSED_HANGUP = "call-missed-by-agent-hangup";
const HANGUP = "call-hangup";
const C2C_ANSWERED = "click-to-call-answered-by-customer";
const C2C_MISSED = "click-to-call-missed-by-customer";
const CONNECTED = "dialer-call-connected-to-agent";
const DISPOSITION = "dialer-disposition-updated";
const CDRS = [ANSWERED_HANGUP, MISSED_HANGUP, HANGUP];

/** One portal configuration: profile, request method, content type, date format, time zone, quirk switches. */
interface OptionSet {
  profile: Profile;
  encoding: Encoding;
  dateFormat: DateFormat;
  zone: Zone;
  /** Extra `--option` values (quirk switches). */
  extra?: Record<string, string>;
}

const label = (o: OptionSet) =>
  `${o.profile} ${o.encoding} ${o.dateFormat} ${o.zone}${o.extra ? ` ${JSON.stringify(o.extra)}` : ""}`;

function optionsOf(o: OptionSet): Record<string, string> {
  return {
    content_type: o.encoding === "json" ? "json" : "form",
    date_format: o.dateFormat,
    time_zone: o.zone,
    ...o.extra,
  };
}

const ALL_SETS: OptionSet[] = (["acefone", "smartflo"] as Profile[]).flatMap((profile) =>
  (["json", "form", "get"] as Encoding[]).flatMap((encoding) =>
    (["default", "epoch", "iso"] as DateFormat[]).flatMap((dateFormat) =>
      (["IST", "UTC"] as Zone[]).map((zone) => ({ profile, encoding, dateFormat, zone })),
    ),
  ),
);
const SMARTFLO_DEFAULT: OptionSet = {
  profile: "smartflo",
  encoding: "json",
  dateFormat: "default",
  zone: "IST",
};
const QUIRK_SETS: OptionSet[] = [
  { ...SMARTFLO_DEFAULT, extra: { trailing_space_key: "off" } },
  { ...SMARTFLO_DEFAULT, extra: { dialer_dates: "off" } },
  {
    profile: "smartflo",
    encoding: "form",
    dateFormat: "iso",
    zone: "UTC",
    extra: { trailing_space_key: "off", dialer_dates: "off" },
  },
];
/**
 * The combinations delivered live to the receiver: each profile with each encoding once, the date formats
 * rotating so that each profile meets every date format and both zones; in IST the receiver infers the trigger from
 * the keys, in UTC it takes it from the path. Every combination's bodies also parse against the schemas the
 * receiver validates with (see "variable sets").
 */
const DATE_FORMATS: DateFormat[] = ["default", "epoch", "iso"];
const LIVE_SETS: OptionSet[] = [
  ...(["acefone", "smartflo"] as Profile[]).flatMap((profile, p) =>
    (["json", "form", "get"] as Encoding[]).map((encoding, i): OptionSet => ({
      profile,
      encoding,
      dateFormat: DATE_FORMATS[(i + p) % 3]!,
      zone: (i + p) % 2 === 0 ? "IST" : "UTC",
    })),
  ),
  QUIRK_SETS[2]!,
];
/** Stamps as unix seconds, every value as projected: the view the value checks read. */
const VALUES: OptionSet = { profile: "acefone", encoding: "json", dateFormat: "epoch", zone: "UTC" };

function plan(
  o: OptionSet,
  seed: number,
  extra: {
    ids?: string[];
    calls?: number;
    start?: number;
    url?: string;
    headers?: Record<string, string>;
  } = {},
): Plan {
  const ids = extra.ids ?? SCENARIO_IDS;
  return planRun({
    scenarios: scenarios.filter((s) => ids.includes(s.id)),
    targets: { byVendor: new Map(), fallback: { url: extra.url ?? BASE } },
    seed,
    start: extra.start ?? START,
    calls: extra.calls ?? CALLS,
    profile: o.profile,
    method: o.encoding === "get" ? "GET" : "POST",
    options: optionsOf(o),
    headers: extra.headers,
  });
}

const commonCache = new Map<string, Plan>();
/** The plan most tests share: seed 3, two calls per scenario, the default target. */
function planned(o: OptionSet): Plan {
  let p = commonCache.get(label(o));
  if (!p) {
    p = plan(o, 3, { calls: 2 });
    commonCache.set(label(o), p);
  }
  return p;
}

/** The data of a request exactly as sent: JSON, form pairs, or the pairs after the user's own query. */
function dataOf(r: PlannedRequest, base = BASE): Body {
  if (r.method === "GET") {
    expect(r.url.startsWith(`${base}${base.includes("?") ? "&" : "?"}`), r.url).toBe(true);
    expect(r.body).toBe("");
    return Object.fromEntries(new URLSearchParams(r.url.slice(base.length + 1)));
  }
  expect(r.url).toBe(base);
  if (r.headers["content-type"] === "application/x-www-form-urlencoded")
    return Object.fromEntries(new URLSearchParams(r.body));
  expect(r.headers["content-type"]).toBe("application/json");
  return JSON.parse(r.body) as Body;
}

/** Nested values decoded (form bodies and the Dialer's JSON-string call_flow), the trailing-space key folded. */
function normalise(data: Body): Body {
  const out: Body = {};
  for (const [k, v] of Object.entries(data)) {
    let value = v;
    if (typeof v === "string" && /^[[{]/.test(v)) value = JSON.parse(v) as unknown;
    out[k === TRAILING ? "customer_no_with_prefix" : k] = value;
  }
  return out;
}

interface Ev {
  req: PlannedRequest;
  name: string;
  /** ms after the call's start. */
  at: number;
  raw: Body;
  v: Body;
}

interface CallView {
  call: SimulatedCall;
  seed: number;
  events: Ev[];
}

function callsOf(p: Plan, seed: number, base = BASE): CallView[] {
  return p.calls.map((call) => ({
    call,
    seed,
    events: p.requests
      .filter((r) => r.call === call.key)
      .sort((a, b) => a.seq - b.seq)
      .map((req) => {
        const raw = dataOf(req, base);
        return { req, name: req.event, at: req.at - (call.start - START), raw, v: normalise(raw) };
      }),
  }));
}

const planCache = new Map<string, Plan[]>();
function plansOf(o: OptionSet, seeds = SEEDS): Plan[] {
  const key = `${label(o)} ${seeds.join(",")}`;
  let plans = planCache.get(key);
  if (!plans) {
    plans = seeds.map((seed) => plan(o, seed));
    planCache.set(key, plans);
  }
  return plans;
}
const callCache = new Map<string, CallView[]>();
function everyCall(o: OptionSet, scenario?: string): CallView[] {
  let calls = callCache.get(label(o));
  if (!calls) {
    calls = plansOf(o).flatMap((p, i) => callsOf(p, SEEDS[i]!));
    callCache.set(label(o), calls);
  }
  return scenario === undefined ? calls : calls.filter((c) => c.call.scenario === scenario);
}

const where = (c: CallView, e?: Ev) =>
  `${c.call.scenario} seed ${c.seed} call ${c.call.key}${e ? ` ${e.name}` : ""}`;
const factsOf = <K extends Fact["kind"]>(call: SimulatedCall, kind: K) =>
  call.facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);
const factOf = <K extends Fact["kind"]>(call: SimulatedCall, kind: K) => factsOf(call, kind)[0];
const agent = (key: string): DirectoryAgent => DIRECTORY.agents.find((a) => a.key === key)!;
const fullName = (a: DirectoryAgent) => `${a.firstName} ${a.lastName}`;
const secOf = (call: SimulatedCall, at: number) => Math.floor((call.start + at) / 1000);
const isDialer = (call: SimulatedCall) => call.scenario === "acefone/dialer-disposition";
const events = (c: CallView, name: string) => c.events.filter((e) => e.name === name);
const one = (c: CallView, name: string): Ev => {
  const found = events(c, name);
  expect(found, `${where(c)}: one ${name}`).toHaveLength(1);
  return found[0]!;
};

/** The stamp texts a webhook writes for an instant (unix seconds), computed independently of the product. */
function render(sec: number, df: DateFormat, zone: Zone, dialer: boolean): string {
  const iso = new Date((sec + (zone === "IST" ? 19_800 : 0)) * 1000).toISOString();
  const date = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  if (dialer) {
    const [y, m, d] = date.split("-").map(Number);
    const h = Number(time.slice(0, 2));
    return `${m}/${d}/${y}, ${h % 12 || 12}:${time.slice(3)} ${h < 12 ? "AM" : "PM"}`;
  }
  if (df === "epoch") return String(sec);
  if (df === "iso") return `${date}T${time}${zone === "IST" ? "+05:30" : "Z"}`;
  return `${date} ${time}`;
}
const wallDate = (sec: number, zone: Zone) =>
  new Date((sec + (zone === "IST" ? 19_800 : 0)) * 1000).toISOString().slice(0, 10);
const wallTime = (sec: number, zone: Zone) =>
  new Date((sec + (zone === "IST" ? 19_800 : 0)) * 1000).toISOString().slice(11, 19);

const schemaCache = new Map<string, ReturnType<typeof triggerPayloadSchema>>();
function schemaFor(trigger: string, o: OptionSet) {
  const key = `${trigger} ${o.dateFormat} ${o.encoding} ${o.profile}`;
  let s = schemaCache.get(key);
  if (!s) {
    s = triggerPayloadSchema(trigger, {
      dateFormat: o.dateFormat,
      encoding: o.encoding === "json" ? "json" : "form",
      smartfloQuirks: o.profile === "smartflo",
    });
    schemaCache.set(key, s);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Trigger sequences (the vendor's documented behaviour)

/** The triggers a call fires, in order, with the virtual time (ms after the start) each is due at. */
function expectedStory(call: SimulatedCall): { name: string; at: number }[] {
  const at = (kind: Fact["kind"]) => factOf(call, kind)!.at;
  const hangup = at("hangup");
  const ivrPart = () => [
    { name: SERVER, at: at("arrive") },
    { name: IVR, at: at("ivr") },
    { name: DTMF, at: at("dtmf") },
    { name: DEPT, at: at("enqueue") },
    ...factsOf(call, "offer").map((f) => ({ name: DIALED, at: f.at })),
  ];
  switch (call.scenario) {
    case "acefone/inbound-ivr-answered":
    case "acefone/inbound-transfer":
      return [
        ...ivrPart(),
        { name: ANSWERED, at: at("answer") },
        { name: ANSWERED_HANGUP, at: hangup },
        { name: HANGUP, at: hangup },
      ];
    case "acefone/inbound-missed":
      return [...ivrPart(), { name: MISSED_HANGUP, at: hangup }, { name: HANGUP, at: hangup }];
    case "acefone/click-to-call-answered":
      return [
        { name: ANSWERED, at: at("answer") },
        { name: C2C_ANSWERED, at: at("remote-answer") },
        { name: HANGUP, at: hangup },
      ];
    case "acefone/click-to-call-missed":
      return [
        { name: ANSWERED, at: at("answer") },
        { name: C2C_MISSED, at: hangup },
        { name: HANGUP, at: hangup },
      ];
    case "acefone/dialer-disposition":
      return [
        ...(factOf(call, "remote-answer") ? [{ name: CONNECTED, at: at("remote-answer") }] : []),
        { name: HANGUP, at: hangup },
        { name: DISPOSITION, at: at("disposition") },
      ];
    default:
      throw new Error(`no story for ${call.scenario}`);
  }
}

describe("trigger sequences", () => {
  it("loads the six built-in scenarios", () => {
    expect(scenarios.map((s) => s.id).sort()).toEqual(SCENARIO_IDS);
    expect(everyCall(VALUES)).toHaveLength(SEEDS.length * SCENARIO_IDS.length * CALLS);
  });

  it.each(SCENARIO_IDS)("%s fires its sequence at the simulated times, over 20 seeds", (id) => {
    const calls = everyCall(VALUES, id);
    expect(calls).toHaveLength(SEEDS.length * CALLS);
    for (const c of calls) {
      const story = expectedStory(c.call);
      expect(
        c.events.map((e) => e.name),
        where(c),
      ).toEqual(story.map((s) => s.name));
      c.events.forEach((e, i) => {
        // CDRs and the Dialer's connect event follow their fact by less than a second
        expect(e.at, where(c, e)).toBeGreaterThanOrEqual(story[i]!.at);
        expect(e.at, where(c, e)).toBeLessThan(story[i]!.at + 1000);
      });
      const ats = c.events.map((e) => e.req.at);
      expect(ats, where(c)).toEqual([...ats].sort((a, b) => a - b));
    }
  });

  it("A1 inbound IVR answered: the hang-up CDRs say answered, with answered_agent and the recording", () => {
    for (const c of everyCall(VALUES, "acefone/inbound-ivr-answered")) {
      const a = agent(factOf(c.call, "answer")!.agent);
      expect(one(c, DIALED).v.agent_number, where(c)).toBe(a.number.e164);
      expect(one(c, ANSWERED).v).toMatchObject({
        answered_agent_number: a.number.e164,
        call_status: "answered",
      });
      expect(one(c, ANSWERED).v.direction).toBe("inbound");
      expect(one(c, DTMF).v.digit_pressed).toBe("1");
      for (const name of [ANSWERED_HANGUP, HANGUP]) {
        const e = one(c, name);
        expect(e.v, where(c, e)).toMatchObject({
          call_status: "answered",
          call_connected: "1",
          direction: "inbound",
          answered_agent_number: a.number.e164,
          answered_agent_name: fullName(a),
          answered_agent: [
            {
              email: a.email,
              id: a.key,
              is_transferred_agent: "No",
              name: fullName(a),
              number: a.number.e164,
            },
          ],
          missed_agent: "",
          digits_dialed: ["1"],
          first_missed_agent_number: "",
          hangup_cause: "NormalClearing",
        });
        expect(e.v.recording_url, where(c, e)).toMatch(/^https:\/\/console\.acefone\.in\/\S+\?token=\w+$/);
        expect(e.v.aws_call_recording_identifier, where(c, e)).not.toBe("");
      }
    }
  });

  it("A2 inbound missed: each rung agent is dialed, the CDRs list missed_agent; the IVR's answer makes billsec > 0", () => {
    const rung = new Set<number>();
    for (const c of everyCall(VALUES, "acefone/inbound-missed")) {
      const offered = factsOf(c.call, "offer").map((f) => agent(f.agent));
      const missed = factsOf(c.call, "miss").map((f) => agent(f.agent));
      rung.add(offered.length);
      expect(missed, where(c)).toEqual(offered);
      expect(events(c, DIALED).map((e) => e.v.agent_number)).toEqual(offered.map((a) => a.number.e164));
      expect(events(c, DIALED).map((e) => e.v.agent_name)).toEqual(offered.map(fullName));
      expect(one(c, DTMF).v.digit_pressed).toBe("2");
      const ivrSec = secOf(c.call, factOf(c.call, "ivr")!.at);
      for (const name of [MISSED_HANGUP, HANGUP]) {
        const e = one(c, name);
        expect(e.v, where(c, e)).toMatchObject({
          call_status: "missed",
          call_connected: "0",
          direction: "inbound",
          answered_agent: "",
          answered_agent_number: "",
          answered_agent_name: "",
          missed_agent: missed.map((a) => ({
            agent_number: a.extension,
            number: a.number.e164,
            name: fullName(a),
            id: a.key,
          })),
          first_missed_agent_number: missed[0]!.extension,
          first_missed_agent_follow_me_number: missed[0]!.number.e164,
          digits_dialed: ["2"],
        });
        expect(Number(e.v.answer_stamp), where(c, e)).toBe(ivrSec);
        expect(Number(e.v.billsec), where(c, e)).toBeGreaterThan(0);
        expect(e.v.recording_url, where(c, e)).toMatch(/^https:\/\/console\.acefone\.in\//);
      }
    }
    // the queue rings one to three agents
    expect([...rung].sort()).toEqual([1, 2, 3]);
  });

  it.each(["acefone/click-to-call-answered", "acefone/click-to-call-missed"])(
    "A3 %s: answered by agent (queued), then the customer, then a clicktocall CDR echoing ref_id",
    (id) => {
      const answered = id.endsWith("answered");
      for (const c of everyCall(VALUES, id)) {
        const a = agent(factOf(c.call, "answer")!.agent);
        const first = one(c, ANSWERED);
        expect(first.v, where(c, first)).toMatchObject({
          direction: "click_to_call",
          call_status: "queued",
          status: "Answered by agent",
          answered_agent_number: a.number.e164,
        });
        expect(first.v.ref_id).toMatch(/^[0-9a-f]{24}$/);
        expect(first.v.custom_identifier).toMatch(/^crm-\d{6}$/);
        const echo = { ref_id: first.v.ref_id, custom_identifier: first.v.custom_identifier };
        const cdr = one(c, HANGUP);
        expect(cdr.v, where(c, cdr)).toMatchObject({
          ...echo,
          direction: "clicktocall",
          call_status: answered ? "answered" : "missed",
          call_connected: answered ? "1" : "0",
          answered_agent_number: a.number.e164,
          answered_agent_name: fullName(a),
        });
        if (answered) {
          expect(one(c, C2C_ANSWERED).v, where(c)).toMatchObject({
            direction: "click_to_call",
            call_status: "answered",
            answer_agent_number: a.number.e164,
          });
          expect(cdr.v.recording_url).toMatch(/^https:\/\/console\.acefone\.in\//);
        } else {
          expect(one(c, C2C_MISSED).v, where(c)).toMatchObject({
            direction: "click_to_call",
            call_status: "missed",
            answer_stamp: "",
            billsec: "0",
            answered_agent: fullName(a),
            recording_url: "",
          });
        }
      }
    },
  );

  it("A4 dialer: connected only when the lead answers, a Dialer CDR, then the disposition; the weighted mix shows", () => {
    const seen = new Map<string, number>();
    const causes = new Set<string>();
    let answeredCalls = 0;
    for (const c of everyCall(VALUES, "acefone/dialer-disposition")) {
      const lead = !!factOf(c.call, "remote-answer");
      if (lead) answeredCalls++;
      const d = factOf(c.call, "disposition")!;
      const a = agent(factOf(c.call, "dial")!.agent);
      const customer = c.call.dialled.e164;
      expect(customer).toMatch(/^\+91[6-9]\d{9}$/);
      const cdr = one(c, HANGUP);
      causes.add(String(cdr.v.hangup_cause));
      expect(cdr.v, where(c, cdr)).toMatchObject({
        direction: "Dialer (outbound)",
        call_to_number: customer,
        caller_id_number: `+${DID_NUMBER}`,
        customer_number: customer,
        customer_number_with_prefix: "",
        billsec: "",
        call_status: lead ? "answered" : "missed",
        call_connected: lead ? "1" : "0",
        answered_agent_number: lead ? a.number.e164 : "",
      });
      expect(cdr.v.hangup_cause, where(c, cdr)).toMatch(/^disconnected_by_(caller|callee)$/);
      const common = {
        call_id: cdr.v.call_id,
        direction: "Dialer (outbound)",
        call_to_number: customer,
        caller_id_number: `+${DID_NUMBER}`,
        customer_no_with_prefix: customer,
        campaign_name: "Renewals Q3",
        agent: a.email,
        agent_name: fullName(a),
        agent_number: a.number.e164,
      };
      if (lead) {
        const connected = one(c, CONNECTED);
        expect(connected.v, where(c, connected)).toMatchObject(common);
        expect(connected.v.lead_fields).toMatchObject({ phone: customer });
      }
      const disp = one(c, DISPOSITION);
      expect(disp.v, where(c, disp)).toMatchObject({
        ...common,
        disposition: d.value,
        sub_dispositon: d.sub,
      });
      expect(disp.v.campaign_id).toMatch(/^\d+$/);
      const pair = `${d.value}/${d.sub}`;
      expect(pair.startsWith("Not Connected"), where(c)).toBe(!lead);
      seen.set(pair, (seen.get(pair) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([
      "Answered/Interested",
      "Answered/Not Interested",
      "Answered/Wrong Number",
      "Callback/Call Later",
      "Not Connected/No Answer",
    ]);
    // three answered branches for one unanswered
    expect(answeredCalls).toBeGreaterThan(SEEDS.length * CALLS * 0.5);
    expect(answeredCalls).toBeLessThan(SEEDS.length * CALLS);
    expect([...causes].sort()).toEqual(["disconnected_by_callee", "disconnected_by_caller"]);
  });

  it("A5 transfer: answered_agent lists both agents, the second transferred, the last one handling the call", () => {
    for (const c of everyCall(VALUES, "acefone/inbound-transfer")) {
      const first = agent(factOf(c.call, "answer")!.agent);
      const end = factOf(c.call, "transfer-end")!;
      expect(end.outcome).toBe("connected");
      const second = agent(end.to.agent!);
      expect(second.key).not.toBe(first.key);
      expect(one(c, ANSWERED).v.answered_agent_number, where(c)).toBe(first.number.e164);
      for (const name of [ANSWERED_HANGUP, HANGUP]) {
        const e = one(c, name);
        expect(e.v, where(c, e)).toMatchObject({
          call_status: "answered",
          call_connected: "1",
          answered_agent_number: second.number.e164,
          answered_agent_name: fullName(second),
          answered_agent: [
            { id: first.key, number: first.number.e164, is_transferred_agent: "No" },
            { id: second.key, number: second.number.e164, is_transferred_agent: "Yes" },
          ],
        });
        expect(e.v.answered_agent as unknown[], where(c, e)).toHaveLength(2);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Variable sets and schemas

describe("variable sets", () => {
  /** The keys a trigger's body must have: its variables in the document's order, then the extras present. */
  function keyProblems(e: Ev, o: OptionSet, c: CallView): string[] {
    const t = acefoneTrigger(e.name);
    const keys = Object.keys(e.raw);
    const quirk = o.profile === "smartflo" && o.extra?.trailing_space_key !== "off";
    const vars = t.variables.map((k) => (k === "customer_no_with_prefix" && quirk ? TRAILING : k));
    // which extras: the DID on every CDR, the echoed identifiers (and status) on click-to-call calls
    const c2c = c.call.origin === "click-to-call";
    const extras = CDRS.includes(e.name)
      ? c2c
        ? ["did_number", "ref_id", "custom_identifier"]
        : ["did_number"]
      : e.name === ANSWERED && c2c
        ? ["status", "ref_id", "custom_identifier"]
        : [];
    for (const k of extras) if (!(t.observedExtras ?? []).includes(k)) return [`${k} is no observed extra`];
    const expected = [...vars, ...extras];
    return JSON.stringify(keys) === JSON.stringify(expected)
      ? []
      : [`${label(o)} ${where(c, e)}: keys ${JSON.stringify(keys)} instead of ${JSON.stringify(expected)}`];
  }

  function problems(o: OptionSet, calls: CallView[]): string[] {
    const out: string[] = [];
    for (const c of calls) {
      for (const e of c.events) {
        out.push(...keyProblems(e, o, c));
        const r = schemaFor(e.name, o).safeParse(e.raw);
        if (!r.success) out.push(`${label(o)} ${where(c, e)}: ${JSON.stringify(r.error.issues)}`);
      }
    }
    return out;
  }

  it.each([VALUES, SMARTFLO_DEFAULT])(
    "every body of 20 seeds has exactly its trigger's variables and parses ($profile $encoding $dateFormat $zone)",
    (o) => {
      const calls = everyCall(o);
      expect(calls).toHaveLength(SEEDS.length * SCENARIO_IDS.length * CALLS);
      expect(problems(o, calls)).toEqual([]);
    },
  );

  it("every option combination yields bodies with exactly the trigger's variables that parse for those options", () => {
    for (const o of [...ALL_SETS, ...QUIRK_SETS]) {
      expect(problems(o, callsOf(planned(o), 3))).toEqual([]);
    }
  });

  it("the schemas of other options reject what was not sent for them", () => {
    const [c] = callsOf(plan(VALUES, 2, { ids: ["acefone/inbound-ivr-answered"], calls: 1 }), 2);
    const cdr = one(c!, HANGUP);
    // epoch stamps are no Default stamps; a JSON body is no form body
    expect(schemaFor(HANGUP, { ...VALUES, dateFormat: "default" }).safeParse(cdr.raw).success).toBe(false);
    expect(schemaFor(HANGUP, { ...VALUES, encoding: "form" }).safeParse(cdr.raw).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Values

/**
 * Collects failed checks, so that a loop over hundreds of calls asserts once and reports every mismatch
 * with the call it belongs to.
 */
class Checks {
  readonly problems: string[] = [];
  eq(actual: unknown, expected: unknown, where: string): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      this.problems.push(`${where}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  ok(condition: boolean, where: string): void {
    if (!condition) this.problems.push(where);
  }
  match(value: unknown, pattern: RegExp, where: string): void {
    if (typeof value !== "string" || !pattern.test(value))
      this.problems.push(`${where}: ${JSON.stringify(value)} does not match ${pattern}`);
  }
  near(actual: number, expected: number, where: string): void {
    if (!(Math.abs(actual - expected) <= 1))
      this.problems.push(`${where}: ${actual}, expected ${expected} ± 1`);
  }
}

describe("values", () => {
  it("call_id is <start second>.<digits>, the same on every trigger of a call, different between calls", () => {
    const check = new Checks();
    for (const p of plansOf(VALUES).map((x, i) => callsOf(x, SEEDS[i]!))) {
      const ids = new Set<string>();
      for (const c of p) {
        const id = c.events[0]!.v.call_id as string;
        check.match(id, /^\d{10}\.\d{6,7}$/, where(c));
        check.eq(Number(id.split(".")[0]), Math.floor(c.call.start / 1000), where(c));
        // every trigger whose variables include call_id (the click-to-call "answered by customer" table has none)
        for (const e of c.events)
          check.eq(
            e.v.call_id,
            acefoneTrigger(e.name).variables.includes("call_id") ? id : undefined,
            where(c, e),
          );
        // the call_flow starts with the call id
        for (const e of c.events.filter((x) => Array.isArray(x.v.call_flow))) {
          const first = (e.v.call_flow as Body[])[0]!;
          check.eq([first.type, first.value], ["init", id], where(c, e));
        }
        ids.add(id);
      }
      check.eq(ids.size, p.length, "distinct call ids");
    }
    expect(check.problems).toEqual([]);
  });

  it("uuid is 13 hex, per leg, its first 8 hex digits the leg's start second (not on Dialer legs)", () => {
    const check = new Checks();
    const prefix = (u: unknown) => parseInt(String(u).slice(0, 8), 16);
    for (const c of everyCall(VALUES)) {
      for (const e of c.events) if ("uuid" in e.v) check.match(e.v.uuid, /^[0-9a-f]{13}$/, where(c, e));
      if (isDialer(c.call)) {
        // only the CDR has a uuid on a Dialer call, and it is not derived from the time
        for (const e of c.events) check.eq("uuid" in e.v, e.name === HANGUP, where(c, e));
        continue;
      }
      const startSec = Math.floor(c.call.start / 1000);
      const callerLeg = [SERVER, IVR, DTMF, DEPT, C2C_ANSWERED, C2C_MISSED, HANGUP];
      const callerUuids = new Set(c.events.filter((e) => callerLeg.includes(e.name)).map((e) => e.v.uuid));
      check.eq(callerUuids.size, 1, `${where(c)}: one uuid on the caller's leg`);
      const caller = [...callerUuids][0];
      check.eq(prefix(caller), startSec, where(c));
      const offers = factsOf(c.call, "offer");
      const dialed = events(c, DIALED);
      if (c.call.direction === "inbound") {
        check.eq(dialed.length, offers.length, where(c));
        dialed.forEach((e, i) => check.eq(prefix(e.v.uuid), secOf(c.call, offers[i]!.at), where(c, e)));
        const legs = new Set([caller, ...dialed.map((e) => e.v.uuid)]);
        check.eq(legs.size, offers.length + 1, `${where(c)}: a uuid per leg`);
      }
      const answer = factOf(c.call, "answer");
      if (answer) {
        const e = one(c, ANSWERED);
        if (c.call.direction === "inbound") {
          const i = offers.findIndex((f) => f.agent === answer.agent);
          check.eq(e.v.uuid, dialed[i]!.v.uuid, `${where(c, e)}: the answering agent's leg`);
        } else {
          check.eq(prefix(e.v.uuid), secOf(c.call, offers[0]!.at), where(c, e));
          check.ok(e.v.uuid !== caller, `${where(c, e)}: the agent's leg is not the customer's`);
        }
      }
      const transfer = factOf(c.call, "transfer-start");
      for (const e of events(c, ANSWERED_HANGUP)) {
        if (transfer) {
          check.eq(prefix(e.v.uuid), secOf(c.call, transfer.at), `${where(c, e)}: the transferred leg`);
          check.ok(![caller, ...dialed.map((x) => x.v.uuid)].includes(e.v.uuid), `${where(c, e)}: a new leg`);
        } else check.eq(e.v.uuid, one(c, ANSWERED).v.uuid, where(c, e));
      }
      for (const e of events(c, MISSED_HANGUP)) check.eq(e.v.uuid, dialed[0]!.v.uuid, where(c, e));
    }
    expect(check.problems).toEqual([]);
  });

  it("stamps, durations and billsec are whole seconds consistent with the simulated call (within 1 s)", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      const call = c.call;
      const startSec = Math.floor(call.start / 1000);
      const hangup = factOf(call, "hangup")!;
      const hangupSec = secOf(call, hangup.at);
      for (const e of c.events) {
        const w = where(c, e);
        if ("start_stamp" in e.v) check.eq(Number(e.v.start_stamp), startSec, `${w} start_stamp`);
        if ("date" in e.v) check.eq(Number(e.v.date), secOf(call, e.at), `${w} date`);
        for (const k of ["duration", "billsec", "agent_ring_time", "outbound_sec", "bridged_duration"])
          if (k in e.v) check.match(e.v[k], /^\d*$/, `${w} ${k}`);
        if ("end_stamp" in e.v) check.near(Number(e.v.end_stamp), hangupSec, `${w} end_stamp`);
        if ("duration" in e.v)
          check.near(Number(e.v.duration), Number(e.v.end_stamp) - Number(e.v.start_stamp), `${w} duration`);
      }
      for (const e of c.events.filter((x) => CDRS.includes(x.name))) {
        const w = where(c, e);
        // the first answer of the call: the IVR's, the agent's on click-to-call, the lead's on the Dialer
        const answer = isDialer(call)
          ? factOf(call, "remote-answer")
          : (factOf(call, "ivr") ?? factOf(call, "answer"));
        if (isDialer(call)) check.eq(e.v.billsec, "", `${w} billsec`);
        if (!answer) {
          check.eq(e.v.answer_stamp, "", `${w} answer_stamp`);
          continue;
        }
        check.eq(Number(e.v.answer_stamp), secOf(call, answer.at), `${w} answer_stamp`);
        if (!isDialer(call))
          check.near(Number(e.v.billsec), Number(e.v.end_stamp) - Number(e.v.answer_stamp), `${w} billsec`);
        check.ok(Number(e.v.bridged_duration) <= Number(e.v.duration), `${w} bridged_duration <= duration`);
        check.ok(Number(e.v.billsec) <= Number(e.v.duration), `${w} billsec <= duration`);
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("every trigger of a call reports the hangup second as its end, and durations to match", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      const hangup = factOf(c.call, "hangup")!;
      for (const e of c.events.filter((x) => "end_stamp" in x.v)) {
        check.eq(Number(e.v.end_stamp), secOf(c.call, hangup.at), `${where(c, e)} end_stamp`);
        check.ok(Math.abs(Number(e.v.duration) - hangup.at / 1000) <= 1, `${where(c, e)} duration`);
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("call_status is lowercase, call_connected a string 1/0, hangup causes in each dialect's vocabulary", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      for (const e of c.events) {
        if ("call_status" in e.v) check.match(e.v.call_status, /^(answered|missed|queued)$/, where(c, e));
        if ("call_connected" in e.v) {
          check.match(e.v.call_connected, /^[01]$/, where(c, e));
          check.eq(
            e.v.call_connected === "1",
            e.v.call_status === "answered",
            `${where(c, e)} call_connected`,
          );
        }
        if ("hangup_cause" in e.v)
          check.eq(String(e.v.hangup_cause).startsWith("disconnected_by_"), isDialer(c.call), where(c, e));
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("numbers: bare 10 digits and the DID on IVR calls, +91 on Dialer calls", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      const inbound = c.call.direction === "inbound";
      const customer = inbound ? c.call.caller : c.call.dialled;
      check.match(customer.national, /^[6-9]\d{9}$/, where(c));
      check.eq(customer.e164, `+91${customer.national}`, where(c));
      for (const e of c.events) {
        const w = where(c, e);
        if (isDialer(c.call)) {
          check.eq([e.v.call_to_number, e.v.caller_id_number], [customer.e164, `+${DID_NUMBER}`], w);
        } else {
          check.eq(e.v.call_to_number, inbound ? DID_NUMBER : customer.national, `${w} call_to_number`);
          check.eq(e.v.caller_id_number, inbound ? customer.national : DID_NUMBER, `${w} caller_id_number`);
          if ("customer_number" in e.v)
            check.eq(e.v.customer_number, customer.national, `${w} customer_number`);
          if ("customer_number_with_prefix" in e.v)
            check.eq(e.v.customer_number_with_prefix, customer.e164, `${w} customer_number_with_prefix`);
        }
        if ("customer_no_with_prefix" in e.v)
          check.eq(e.v.customer_no_with_prefix, customer.e164, `${w} customer_no_with_prefix`);
        if ("did_number" in e.v) check.eq(e.v.did_number, DID_NUMBER, `${w} did_number`);
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("call_flow: ordered steps with epoch-second times inside the call", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      const startSec = Math.floor(c.call.start / 1000);
      for (const e of c.events.filter((x) => "call_flow" in x.v)) {
        const w = where(c, e);
        // the Dialer triggers type call_flow as String: a JSON string even in JSON bodies
        const dialerTrigger = e.name === CONNECTED || e.name === DISPOSITION;
        check.eq(typeof e.raw.call_flow === "string", dialerTrigger, `${w}: call_flow as a string`);
        const flow = e.v.call_flow as Body[];
        check.ok(flow.length > 0, `${w}: a call_flow`);
        const times = flow.map((s) => s.time as number);
        const outside = times.filter((t) => !Number.isInteger(t) || t < startSec || t > secOf(c.call, e.at));
        check.eq(outside, [], `${w}: times outside the call`);
        check.eq(
          times,
          [...times].sort((a, b) => a - b),
          `${w}: times in order`,
        );
        check.ok(
          flow.every((s) => typeof s.type === "string" && s.type !== ""),
          `${w}: every step has a type`,
        );
        if (e.name === DIALED) {
          const offered = agent(factsOf(c.call, "offer")[events(c, DIALED).indexOf(e)]!.agent);
          const last = flow.at(-1)!;
          check.eq([last.type, last.num, last.dialst], ["Agent", offered.extension, "Dialed"], w);
        }
        if (CDRS.includes(e.name)) check.match(flow.at(-1)!.type, /^(Agent-Hangup|hangup)$/, w);
      }
      // the IVR path in the order the call took it
      if (c.call.direction === "inbound") {
        const types = (one(c, HANGUP).v.call_flow as Body[]).map((s) => s.type);
        check.eq(types.slice(0, 4), ["init", "IVR", "DTMF", "Inbound Queue"], where(c));
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("billing_circle is an object, the same on every trigger of a call, mirrored by telecom_* on CDRs", () => {
    const check = new Checks();
    for (const c of everyCall(VALUES)) {
      const circle = c.events[0]!.v.billing_circle as Body;
      check.ok(
        CIRCLES.some((x) => JSON.stringify(x) === JSON.stringify(circle)),
        `${where(c)}: ${JSON.stringify(circle)}`,
      );
      check.eq(Object.keys(circle), ["operator", "circle"], where(c));
      for (const e of c.events) {
        check.eq(typeof e.raw.billing_circle, "object", where(c, e));
        check.eq(e.v.billing_circle, circle, where(c, e));
        if ("telecom_operator" in e.v)
          check.eq([e.v.telecom_operator, e.v.telecom_circle], [circle.operator, circle.circle], where(c, e));
      }
    }
    expect(check.problems).toEqual([]);
  });

  it("agents come from the directory, named and numbered as the directory has them", () => {
    const check = new Checks();
    const byNumber = new Map(DIRECTORY.agents.map((a) => [a.number.e164, a]));
    const byExtension = new Map(DIRECTORY.agents.map((a) => [a.extension, a]));
    for (const c of everyCall(VALUES)) {
      for (const e of c.events) {
        const w = where(c, e);
        for (const k of ["answered_agent_number", "answer_agent_number", "agent_number"]) {
          const n = e.v[k];
          if (n !== undefined && n !== "") check.ok(byNumber.has(String(n)), `${w} ${k} ${String(n)}`);
        }
        if (e.v.agent_name)
          check.eq(e.v.agent_name, fullName(byNumber.get(String(e.v.agent_number))!), `${w} agent_name`);
        if (e.v.answered_agent_name)
          check.eq(
            e.v.answered_agent_name,
            fullName(byNumber.get(String(e.v.answered_agent_number))!),
            `${w} answered_agent_name`,
          );
        if (Array.isArray(e.v.answered_agent)) {
          const list = e.v.answered_agent as Body[];
          for (const entry of list) {
            const a = byNumber.get(String(entry.number))!;
            check.eq(
              entry,
              {
                email: a.email,
                id: a.key,
                is_transferred_agent: entry.is_transferred_agent,
                name: fullName(a),
                number: a.number.e164,
              },
              `${w} answered_agent`,
            );
          }
          // the last entry handled the call
          check.eq(list.at(-1)!.number, e.v.answered_agent_number, `${w} the last answered agent`);
        }
        if (Array.isArray(e.v.missed_agent)) {
          for (const entry of e.v.missed_agent as Body[]) {
            const a = byExtension.get(String(entry.agent_number))!;
            check.eq(
              entry,
              { agent_number: a.extension, number: a.number.e164, name: fullName(a), id: a.key },
              `${w} missed_agent`,
            );
          }
        }
        if (e.v.first_missed_agent_number)
          check.ok(byExtension.has(String(e.v.first_missed_agent_number)), `${w} first_missed_agent_number`);
      }
    }
    expect(check.problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Portal options

describe("portal options", () => {
  const seed = 3;
  let ref: CallView[] | undefined;
  const reference = () => (ref ??= callsOf(planned(VALUES), seed));

  /**
   * Every request under `o`, derived from the reference plan (epoch, UTC, JSON, acefone): the same keys in the
   * same order, each stamp re-rendered for the webhook's format and zone, every other value unchanged (as text
   * in form bodies and query strings).
   */
  function expectRendered(o: OptionSet, base = BASE, url = BASE) {
    const reference_ = reference();
    const got = callsOf(url === BASE ? planned(o) : plan(o, seed, { calls: 2, url }), seed, base);
    const trailing = o.profile === "smartflo" && o.extra?.trailing_space_key !== "off";
    const dialerDates = o.profile === "smartflo" && o.extra?.dialer_dates !== "off";
    const contentType =
      o.encoding === "get"
        ? undefined
        : o.encoding === "json"
          ? "application/json"
          : "application/x-www-form-urlencoded";
    const expected = reference_.map((c) =>
      c.events.map((r) => {
        const start = Number(r.raw.start_stamp);
        const end = Number(r.raw.end_stamp);
        const body: Body = {};
        for (const [k, refValue] of Object.entries(r.raw)) {
          let value: unknown = refValue;
          if (["start_stamp", "answer_stamp", "end_stamp", "date"].includes(k) && refValue !== "")
            value = render(Number(refValue), o.dateFormat, o.zone, dialerDates && isDialer(c.call));
          else if (k === "start_date") value = wallDate(start, o.zone);
          else if (k === "start_time") value = wallTime(start, o.zone);
          else if (k === "end_date") value = wallDate(end, o.zone);
          else if (k === "end_time") value = wallTime(end, o.zone);
          if (o.encoding !== "json")
            value = typeof value === "object" ? JSON.stringify(value) : String(value);
          body[k === "customer_no_with_prefix" && trailing ? TRAILING : k] = value;
        }
        return { event: r.name, contentType, keys: Object.keys(body), body };
      }),
    );
    const actual = got.map((c) =>
      c.events.map((e) => ({
        event: e.name,
        contentType: e.req.headers["content-type"],
        keys: Object.keys(e.raw),
        body: e.raw,
      })),
    );
    expect(actual).toEqual(expected);
  }

  it.each([...ALL_SETS, ...QUIRK_SETS].map((o) => [label(o), o] as const))(
    "%s: every stamp, key and value is rendered for the webhook's settings",
    (_l, o) => expectRendered(o),
  );

  it("GET appends the data to the user's own query, or starts one", () => {
    const o: OptionSet = { profile: "acefone", encoding: "get", dateFormat: "default", zone: "IST" };
    expectRendered(o, "http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook");
    const [r] = plan(o, seed, { calls: 1 }).requests;
    expect(r!.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/hook\?key=abc&uuid=[0-9a-f]{13}&call_to_number=/);
    expect(r!.method).toBe("GET");
    expect(r!.body).toBe("");
  });

  it("POST form: nested values are JSON text, numbers are strings; JSON keeps them typed", () => {
    const ids = ["acefone/inbound-ivr-answered"];
    const json = callsOf(plan({ ...VALUES }, 1, { ids, calls: 1 }), 1)[0]!;
    const form = callsOf(plan({ ...VALUES, encoding: "form" }, 1, { ids, calls: 1 }), 1)[0]!;
    expect(one(json, IVR).raw.ivr_id).toBe(4518);
    expect(one(form, IVR).raw.ivr_id).toBe("4518");
    expect(one(json, DEPT).raw.dept_id).toBe(Number(one(json, DEPT).raw.dept_id));
    expect(one(form, DEPT).raw.dept_id).toMatch(/^\d+$/);
    const cdr = one(form, HANGUP).raw;
    for (const k of ["billing_circle", "answered_agent", "call_flow", "digits_dialed"]) {
      expect(typeof cdr[k], k).toBe("string");
      expect(JSON.parse(cdr[k] as string), k).toEqual(one(json, HANGUP).raw[k]);
    }
    expect(cdr.missed_agent).toBe("");
    const body = one(form, HANGUP).req.body;
    expect(body).toMatch(/^uuid=[0-9a-f]{13}&call_to_number=918069010148&/);
    expect(body).toContain(`billing_circle=${encodeURIComponent(cdr.billing_circle as string)}`);
  });

  it("renders one instant as the document's formats in IST and UTC", () => {
    const text = (df: DateFormat, zone: Zone, profile: Profile = "acefone") => {
      const o: OptionSet = { profile, encoding: "json", dateFormat: df, zone };
      const c = callsOf(plan(o, 1, { ids: ["acefone/click-to-call-answered"], calls: 1 }), 1)[0]!;
      expect(c.call.start).toBe(START);
      return one(c, ANSWERED).raw.start_stamp;
    };
    expect(text("default", "IST")).toBe("2026-01-05 12:30:00");
    expect(text("default", "UTC")).toBe("2026-01-05 07:00:00");
    expect(text("iso", "IST")).toBe("2026-01-05T12:30:00+05:30");
    expect(text("iso", "UTC")).toBe("2026-01-05T07:00:00Z");
    expect(text("epoch", "IST")).toBe(String(START_SEC));
    expect(text("epoch", "UTC")).toBe(String(START_SEC));
    // click-to-call is no Dialer call: the Smartflo profile keeps the chosen format
    expect(text("default", "IST", "smartflo")).toBe("2026-01-05 12:30:00");

    const opts = (profile: Profile, raw: Record<string, string>) => acefoneOptions(profile, raw);
    const dialer = (ms: number, zone: Zone) =>
      formatStamp({ $stamp: ms, dialer: true }, opts("smartflo", { time_zone: zone, date_format: "epoch" }));
    expect(dialer(START, "IST")).toBe("1/5/2026, 12:30:00 PM");
    expect(dialer(START, "UTC")).toBe("1/5/2026, 7:00:00 AM");
    // midnight and noon on the 12-hour clock; IST crosses the date line before UTC does
    expect(dialer(Date.UTC(2026, 0, 5, 18, 30), "IST")).toBe("1/6/2026, 12:00:00 AM");
    expect(dialer(Date.UTC(2026, 0, 5, 12, 5, 9), "UTC")).toBe("1/5/2026, 12:05:09 PM");
    expect(formatStamp({ $stamp: Date.UTC(2026, 0, 5, 18, 30) }, opts("acefone", {}))).toBe(
      "2026-01-06 00:00:00",
    );
    // the Dialer stamp quirk never shows in the acefone profile
    expect(formatStamp({ $stamp: START, dialer: true }, opts("acefone", {}))).toBe("2026-01-05 12:30:00");
    expect(
      renderPayload(
        { start_date: { $date: Date.UTC(2026, 0, 5, 20) }, end_time: { $time: START } },
        opts("acefone", {}),
      ),
    ).toEqual({ start_date: "2026-01-06", end_time: "12:30:00" });
  });

  it("start_date and start_time follow the zone across midnight", () => {
    const start = Date.UTC(2026, 0, 5, 20, 0, 0);
    for (const zone of ["IST", "UTC"] as Zone[]) {
      const o: OptionSet = { profile: "acefone", encoding: "json", dateFormat: "default", zone };
      const p = plan(o, 4, { ids: ["acefone/inbound-ivr-answered"], calls: 1, start });
      const cdr = callsOf(p, 4)[0]!;
      const v = one(cdr, HANGUP).raw;
      expect(v.start_date).toBe(zone === "IST" ? "2026-01-06" : "2026-01-05");
      expect(v.start_time).toBe(zone === "IST" ? "01:30:00" : "20:00:00");
      expect(String(v.start_stamp)).toBe(`${v.start_date} ${v.start_time}`);
      expect(String(v.end_stamp).slice(11)).toBe(v.end_time);
    }
  });

  it("the Smartflo quirks are on by default, each can be switched off, and the acefone profile has neither", () => {
    const count = (o: OptionSet) => {
      let trailing = 0;
      let dialerStamps = 0;
      for (const c of callsOf(planned(o), 3)) {
        for (const e of c.events) {
          if (TRAILING in e.raw) trailing++;
          for (const k of ["start_stamp", "answer_stamp", "end_stamp"]) {
            if (DIALER_STAMP.test(String(e.raw[k] ?? ""))) {
              expect(isDialer(c.call), where(c, e)).toBe(true);
              dialerStamps++;
            }
          }
        }
      }
      return { trailing, dialerStamps };
    };
    const on = count(SMARTFLO_DEFAULT);
    expect(on.trailing).toBeGreaterThan(0);
    expect(on.dialerStamps).toBeGreaterThan(0);
    expect(count(QUIRK_SETS[0]!)).toEqual({ trailing: 0, dialerStamps: on.dialerStamps });
    expect(count(QUIRK_SETS[1]!)).toEqual({ trailing: on.trailing, dialerStamps: 0 });
    expect(count({ ...SMARTFLO_DEFAULT, profile: "acefone" })).toEqual({ trailing: 0, dialerStamps: 0 });
    expect(acefoneOptions("acefone")).toEqual({
      contentType: "json",
      dateFormat: "default",
      timeZone: "IST",
      trailingSpaceKey: false,
      dialerDates: false,
    });
    expect(acefoneOptions("smartflo")).toMatchObject({ trailingSpaceKey: true, dialerDates: true });
  });

  it("rejects option values the portal does not offer", () => {
    const bad: Record<string, string>[] = [
      { date_format: "rfc2822" },
      { time_zone: "PST" },
      { content_type: "xml" },
    ];
    for (const raw of bad) {
      expect(() => acefoneOptions("acefone", raw)).toThrow(PbxsimError);
      expect(() => plan({ ...VALUES, extra: raw }, 1, { calls: 1 })).toThrow(/acefone takes/);
    }
    expect(() =>
      planRun({
        scenarios,
        targets: { byVendor: new Map(), fallback: { url: BASE } },
        seed: 1,
        start: START,
        method: "PUT",
      }),
    ).toThrow(/POST or GET/);
  });

  it("custom headers travel with every request", () => {
    const p = plan({ ...VALUES, encoding: "get" }, 2, { calls: 1, headers: { "x-api-key": "k-123" } });
    expect(p.requests.length).toBeGreaterThan(0);
    for (const r of p.requests) expect(r.headers["x-api-key"]).toBe("k-123");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Targets file

describe("targets file", () => {
  const dir = mkdtempSync(join(tmpdir(), "pbxsim-acefone-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function targetsFile(yaml: string): string {
    const file = join(dir, `targets-${++n}.yaml`);
    writeFileSync(file, yaml);
    return file;
  }
  function planWith(targets: VendorTargets, seed = 9, calls = 2): Plan {
    return planRun({ scenarios, targets, seed, start: START, calls, profile: "smartflo" });
  }
  /** What one catch-all URL gets with the portal's default settings, for comparison. */
  const all = () =>
    plan({ profile: "smartflo", encoding: "json", dateFormat: "default", zone: "IST" }, 9, { calls: 2 });
  const byUrl = (p: Plan, url: string) =>
    p.requests.filter((r) => r.url === url || r.url.startsWith(`${url}?`));
  const callsWhere = (p: Plan, pred: (c: SimulatedCall) => boolean) =>
    new Set(p.calls.filter(pred).map((c) => c.key));

  it("sends each webhook only its trigger, named by label or id, and filters on call type and outbound type", () => {
    const file = targetsFile(`
acefone:
  - { name: CDRs, trigger: "Call hangup (Missed or Answered)", url: "http://127.0.0.1:9/cdr" }
  - { trigger: dtmf-option, url: "http://127.0.0.1:9/dtmf" }
  - { trigger: "call hangup (missed or answered)", url: "http://127.0.0.1:9/in", call_type: Inbound }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/out", call_type: outbound }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/dialer", call_type: outbound, outbound_type: dialer }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/c2c", outbound_type: click_to_call }
  - { trigger: "Call Connected to Agent (Dialer)", url: "http://127.0.0.1:9/connected" }
  - { trigger: "Dialed on Agent", url: "http://127.0.0.1:9/dialed", call_type: outbound }
`);
    const targets = loadTargetsFile(file);
    expect(targets.byVendor.get("acefone")!.map((t) => t.name)).toEqual([
      "CDRs",
      "DTMF Option",
      "Call hangup (Missed or Answered)",
      "Call hangup (Missed or Answered)",
      "Call hangup (Missed or Answered)",
      "Call hangup (Missed or Answered)",
      "Call Connected to Agent (Dialer)",
      "Dialed on Agent",
    ]);
    const p = planWith(targets);
    const ref = all();
    const cdrCalls = (pred: (c: SimulatedCall) => boolean) => {
      const keys = callsWhere(p, pred);
      return ref.requests.filter((r) => r.event === HANGUP && keys.has(r.call)).map((r) => r.body);
    };
    expect(byUrl(p, "http://127.0.0.1:9/cdr").map((r) => r.body)).toEqual(cdrCalls(() => true));
    expect(byUrl(p, "http://127.0.0.1:9/dtmf").map((r) => r.body)).toEqual(
      ref.requests.filter((r) => r.event === DTMF).map((r) => r.body),
    );
    expect(byUrl(p, "http://127.0.0.1:9/in").map((r) => r.body)).toEqual(
      cdrCalls((c) => c.direction === "inbound"),
    );
    expect(byUrl(p, "http://127.0.0.1:9/out").map((r) => r.body)).toEqual(
      cdrCalls((c) => c.direction === "outbound"),
    );
    expect(byUrl(p, "http://127.0.0.1:9/dialer").map((r) => r.body)).toEqual(cdrCalls(isDialer));
    expect(byUrl(p, "http://127.0.0.1:9/c2c").map((r) => r.body)).toEqual(
      cdrCalls((c) => c.origin === "click-to-call"),
    );
    expect(byUrl(p, "http://127.0.0.1:9/connected").map((r) => r.body)).toEqual(
      ref.requests.filter((r) => r.event === CONNECTED).map((r) => r.body),
    );
    expect(byUrl(p, "http://127.0.0.1:9/connected").length).toBeGreaterThan(0);
    // Dialed on Agent is an inbound trigger: an outbound-only webhook for it gets nothing
    expect(byUrl(p, "http://127.0.0.1:9/dialed")).toEqual([]);
    for (const r of p.requests)
      expect(r.event).toBe(r.url.endsWith("dtmf") ? DTMF : r.url.endsWith("connected") ? CONNECTED : HANGUP);
  });

  it("scopes to My Numbers, and a disabled or paused webhook gets nothing", () => {
    const file = targetsFile(`
acefone:
  - { trigger: call-hangup, url: "http://127.0.0.1:9/mine", my_numbers: ["+${DID_NUMBER}"] }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/mine-bare", my_numbers: [${DID_NUMBER}] }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/other", my_numbers: ["+918069010999"] }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/off", status: disabled }
  - { trigger: call-hangup, url: "http://127.0.0.1:9/paused", status: paused }
`);
    const p = planWith(loadTargetsFile(file));
    expect(byUrl(p, "http://127.0.0.1:9/mine")).toHaveLength(p.calls.length);
    expect(byUrl(p, "http://127.0.0.1:9/mine-bare")).toHaveLength(p.calls.length);
    expect(byUrl(p, "http://127.0.0.1:9/other")).toEqual([]);
    expect(byUrl(p, "http://127.0.0.1:9/off")).toEqual([]);
    expect(byUrl(p, "http://127.0.0.1:9/paused")).toEqual([]);
  });

  it("the deprecated and updated status hang-ups get only the CDRs with that call_status", () => {
    const file = targetsFile(`
acefone:
  - { trigger: "Call hangup (Missed) (Deprecated)", url: "http://127.0.0.1:9/missed" }
  - { trigger: call-hangup-answered, url: "http://127.0.0.1:9/answered" }
  - { trigger: "Call hangup (Missed) (updated)", url: "http://127.0.0.1:9/missed-updated" }
  - { trigger: call-hangup-answered-updated, url: "http://127.0.0.1:9/answered-updated" }
`);
    const p = planWith(loadTargetsFile(file), 9, 3);
    const cdrs = p.calls.length;
    const status = (r: PlannedRequest) => (JSON.parse(r.body) as Body).call_status;
    const missed = byUrl(p, "http://127.0.0.1:9/missed");
    const answered = byUrl(p, "http://127.0.0.1:9/answered");
    expect(missed.length).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThan(0);
    expect(missed.length + answered.length).toBe(cdrs);
    expect(missed.every((r) => r.event === HANGUP && status(r) === "missed")).toBe(true);
    expect(answered.every((r) => r.event === HANGUP && status(r) === "answered")).toBe(true);
    expect(byUrl(p, "http://127.0.0.1:9/missed-updated").map((r) => r.body)).toEqual(
      missed.map((r) => r.body),
    );
    expect(byUrl(p, "http://127.0.0.1:9/answered-updated").map((r) => r.body)).toEqual(
      answered.map((r) => r.body),
    );
  });

  it("applies each webhook's own method, content type, date format, time zone and headers", () => {
    const file = targetsFile(`
acefone:
  - trigger: call-received-on-server
    url: "http://127.0.0.1:9/get?token=t"
    request: GET
    date_format: Epoch
    time_zone: UTC
    headers: { X-API-Key: s3cret }
  - trigger: call-received-on-server
    url: "http://127.0.0.1:9/form"
    request: post
    content_type: application/x-www-form-urlencoded
    date_format: "ISO 8601"
    time_zone: IST
  - trigger: call-received-on-server
    url: "http://127.0.0.1:9/json"
    content_type: application/json
    time_zone: UTC
`);
    const p = planWith(loadTargetsFile(file), 10, 1);
    const get = byUrl(p, "http://127.0.0.1:9/get");
    const form = byUrl(p, "http://127.0.0.1:9/form");
    const json = byUrl(p, "http://127.0.0.1:9/json");
    expect(get.length).toBe(3);
    for (let i = 0; i < get.length; i++) {
      const call = p.calls.find((c) => c.key === get[i]!.call)!;
      const sec = Math.floor(call.start / 1000);
      expect(get[i]!.method).toBe("GET");
      expect(get[i]!.headers["x-api-key"]).toBe("s3cret");
      const q = dataOf(get[i]!, "http://127.0.0.1:9/get?token=t");
      expect(q.start_stamp).toBe(String(sec));
      expect(JSON.parse(q.billing_circle as string)).toHaveProperty("operator");
      const f = dataOf(form[i]!, "http://127.0.0.1:9/form");
      expect(form[i]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(form[i]!.headers["x-api-key"]).toBeUndefined();
      expect(f.start_stamp).toBe(render(sec, "iso", "IST", false));
      // the profile's quirks stay on for every webhook
      expect(TRAILING in f).toBe(true);
      const j = dataOf(json[i]!, "http://127.0.0.1:9/json");
      expect(j.start_stamp).toBe(render(sec, "default", "UTC", false));
      expect(typeof j.billing_circle).toBe("object");
    }
  });

  it.each([
    [
      "an unknown trigger",
      `acefone:\n  - { trigger: call-hangup, url: "http://x.example/a" }\n  - { trigger: "Call ended", url: "http://x.example/b" }\n`,
      /acefone\[1\]\.trigger: "Call ended" is not an Acefone trigger/,
    ],
    [
      "a bad date format",
      `acefone:\n  - { trigger: call-hangup, url: "http://x.example/a" }\n  - { trigger: call-hangup, url: "http://x.example/b", date_format: RFC2822 }\n`,
      /acefone\[1\S*date_format/,
    ],
    [
      "a bad time zone",
      `acefone:\n  - { trigger: call-hangup, url: "http://x.example/a", time_zone: PST }\n`,
      /time_zone/,
    ],
    [
      "an unknown field",
      `acefone:\n  - { trigger: call-hangup, url: "http://x.example/a", secret: x }\n`,
      /secret/,
    ],
    ["an empty section", `acefone: []\n`, /acefone/],
    ["a bad URL", `acefone:\n  - { trigger: call-hangup, url: "not a url" }\n`, /not a URL/],
    [
      "a header value with a line break",
      `acefone:\n  - trigger: call-hangup\n    url: "http://x.example/a"\n    headers: { X-Key: "a\\r\\nHost: evil" }\n`,
      /:4: acefone\[0\]\.headers\.X-Key: its value holds a line break/,
    ],
  ])("fails on %s with a PbxsimError naming the file and entry", (_what, yaml, message) => {
    const file = targetsFile(yaml);
    let error: unknown;
    try {
      loadTargetsFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PbxsimError);
    expect((error as PbxsimError).message).toContain(file);
    expect((error as PbxsimError).message).toMatch(message);
  });

  it("names a bad field of an entry as acefone[<i>].<field>, like an unknown trigger", () => {
    const file = targetsFile(
      `acefone:\n  - { trigger: call-hangup, url: "http://x.example/a" }\n  - { trigger: call-hangup, url: "http://x.example/b", date_format: RFC2822 }\n`,
    );
    expect(() => loadTargetsFile(file)).toThrow("acefone[1].date_format");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Transport

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

describe("transport", () => {
  const ids = ["acefone/click-to-call-missed", "acefone/dialer-disposition"];

  it("documents nothing, so pbxsim makes one attempt, 2xx counting as delivered", () => {
    const t = acefone.transport("acefone");
    expect(t).toMatchObject({
      retrySchedule: [],
      success: { kind: "range", min: 200, max: 299 },
      timeoutMs: 10_000,
    });
    expect(acefone.transport("smartflo")).toEqual(t);
    expect(acefone.methods!("acefone")).toEqual(["POST", "GET"]);
  });

  it("sends every planned request as planned, with one attempt each", async () => {
    for (const method of ["POST", "GET"]) {
      const s = await server((_req, res) => res.writeHead(200).end());
      const r = await runScenarios({
        scenarios: ids,
        url: `${s.url}/hook?key=abc`,
        seed: 5,
        speed: "max",
        profile: "smartflo",
        method,
        options: { content_type: "form" },
        headers: { "x-api-key": "k" },
      });
      expect(r.summary.delivered).toBe(r.plan.requests.length);
      expect(r.summary.attempts).toBe(r.plan.requests.length);
      const sent = s.requests.map(
        (q) => `${q.method} ${q.url} ${q.headers["content-type"] ?? "-"} ${q.body}`,
      );
      const planned = r.plan.requests.map(
        (p) => `${p.method} ${p.url.slice(s.url.length)} ${p.headers["content-type"] ?? "-"} ${p.body}`,
      );
      expect(sent.sort()).toEqual(planned.sort());
      for (const q of s.requests) expect(q.headers["x-api-key"]).toBe("k");
    }
  });

  it("counts a 500 as failed after one attempt", async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    const r = await runScenarios({ scenarios: ids, url: s.url, seed: 6, speed: "max" });
    const n = r.plan.requests.length;
    expect(r.summary).toMatchObject({ delivered: 0, failed: n, retried: 0, attempts: n });
    expect(s.requests).toHaveLength(n);
    expect(r.results.every((x) => x.attempts.length === 1 && x.attempts[0]!.status === 500)).toBe(true);
  });

  it("counts a timeout as failed", async () => {
    const s = await server(() => undefined);
    const targets: VendorTargets = {
      byVendor: new Map<string, TargetSettings[]>([
        ["acefone", [{ url: s.url, accepts: (e: VendorEvent) => e.name === HANGUP }]],
      ]),
    };
    const r = await runScenarios({
      scenarios: ["acefone/click-to-call-missed"],
      targets,
      seed: 6,
      speed: "max",
      timeoutMs: 150,
    });
    expect(r.plan.requests).toHaveLength(1);
    expect(r.summary).toMatchObject({ delivered: 0, failed: 1 });
    expect(r.results[0]!.attempts).toHaveLength(1);
    expect(r.results[0]!.attempts[0]!.error).toMatch(/timeout/);
  });

  it("re-sends the same bytes on a retry schedule", async () => {
    const seen = new Map<string, number>();
    const s = await server((req, res) => {
      const k = `${req.url} ${req.body}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
      res.writeHead(seen.get(k) === 1 ? 500 : 200).end();
    });
    const r = await runScenarios({
      scenarios: ids,
      url: s.url,
      seed: 7,
      speed: "max",
      retrySchedule: [20],
      options: { content_type: "form" },
    });
    const n = r.plan.requests.length;
    expect(r.summary).toMatchObject({ delivered: n, failed: 0, retried: n, attempts: 2 * n });
    expect(s.requests).toHaveLength(2 * n);
    expect([...seen.values()]).toEqual(new Array(n).fill(2));
    const always = await server((_req, res) => res.writeHead(503).end());
    const failed = await runScenarios({
      scenarios: ["acefone/click-to-call-missed"],
      url: always.url,
      seed: 7,
      speed: "max",
      retrySchedule: [10, 10],
    });
    expect(failed.results.every((x) => x.outcome === "failed" && x.attempts.length === 3)).toBe(true);
  });

  it.each([201, 202, 204])("counts %i as delivered", async (status) => {
    const s = await server((_req, res) => res.writeHead(status).end());
    const r = await runScenarios({
      scenarios: ["acefone/click-to-call-answered"],
      url: s.url,
      seed: 8,
      speed: "max",
    });
    expect(r.summary.delivered).toBe(r.plan.requests.length);
    expect(r.summary.statuses).toEqual({ [String(status)]: r.plan.requests.length });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Receiver

/** The event the receiver names when only the keys tell: the hang-up CDR family shares one variable set. */
const inferred = (event: string) =>
  (HANGUP_TRIGGER_IDS as readonly string[]).includes(event) ? HANGUP : event;

describe("the receiver and Acefone deliveries", () => {
  it("live: every scenario under each profile, encoding, date format and zone is recorded valid, by keys or by path", async () => {
    const rx = await serve({ vendors: VENDORS, port: 0 });
    try {
      for (const o of LIVE_SETS) {
        rx.reset();
        const byPath = o.zone === "UTC";
        const targets: VendorTargets | undefined = byPath
          ? {
              byVendor: new Map([
                [
                  "acefone",
                  [
                    // one webhook per trigger, and the status hang-ups besides the catch-all one
                    ...ACEFONE_TRIGGERS.filter((t) => !t.id.startsWith("call-hangup-")).map(
                      (t): TargetSettings => ({
                        url: `${rx.url}/acefone/${t.id}`,
                        accepts: (e) => e.name === t.id,
                      }),
                    ),
                    ...["missed", "answered"].map((s): TargetSettings => ({
                      url: `${rx.url}/acefone/call-hangup-${s}`,
                      accepts: (e) => e.name === HANGUP && e.payload.call_status === s,
                    })),
                  ],
                ],
              ]),
            }
          : undefined;
        const r = await runScenarios({
          scenarios: ["acefone/*"],
          ...(targets ? { targets } : { url: `${rx.url}${o.encoding === "json" ? "/acefone" : "/"}` }),
          seed: 15,
          calls: 1,
          speed: "max",
          profile: o.profile,
          method: o.encoding === "get" ? "GET" : "POST",
          options: optionsOf(o),
        });
        expect(r.summary.failed, label(o)).toBe(0);
        expect(rx.records, label(o)).toHaveLength(r.plan.requests.length);
        // a CDR sent to both the status webhook and the catch-all one is the same CDR twice
        const bad = rx.records.filter(
          (x) =>
            !x.valid ||
            x.status !== 200 ||
            x.vendor !== "acefone" ||
            x.duplicate !== /\/call-hangup-(missed|answered)$/.test(x.path.split("?")[0]!),
        );
        expect(
          bad.map((x) => `${x.path}: ${x.issues.join("; ")}`),
          label(o),
        ).toEqual([]);
        const expected = r.plan.requests.map((p) => {
          if (!byPath) return inferred(p.event);
          return new URL(p.url).pathname.split("/")[2]!;
        });
        expect(rx.records.map((x) => x.event).sort(), label(o)).toEqual(expected.sort());
        const callIds = new Set(rx.records.map((x) => x.callId).filter((x) => x !== undefined));
        expect(callIds.size, label(o)).toBe(r.plan.calls.length);
        if (byPath)
          expect(
            rx.records.some((x) => x.event === "call-hangup-missed"),
            label(o),
          ).toBe(true);
      }
    } finally {
      await rx.close();
    }
  });

  const sample = (event: string, o: OptionSet = VALUES) => {
    const r = planned(o).requests.find((x) => x.event === event)!;
    return { r, body: dataOf(r) };
  };

  it.each([
    ["an uppercase call_status", (b: Body) => ({ ...b, call_status: "Answered" }), /call_status/],
    ["a boolean call_connected", (b: Body) => ({ ...b, call_connected: true }), /call_connected/],
    ["a missing billsec", (b: Body) => ({ ...b, billsec: undefined }), /billsec/],
    ["a bare uuid", (b: Body) => ({ ...b, uuid: "not-a-uuid" }), /uuid/],
    ["an unknown key", (b: Body) => ({ ...b, caller_name: "x" }), /caller_name|unrecognized/i],
  ] as [string, (b: Body) => Body, RegExp][])(
    "answers 422 naming the field for a CDR with %s",
    async (_what, mutate, issue) => {
      const rx = createReceiver({ vendors: VENDORS });
      const { body } = sample(HANGUP);
      const res = await request(rx.app)
        .post("/acefone/call-hangup")
        .set("content-type", "application/json")
        .send(JSON.stringify(mutate(body)));
      expect(res.status).toBe(422);
      expect(res.body.issues.join("\n")).toMatch(issue);
      expect(rx.records[0]).toMatchObject({ vendor: "acefone", event: HANGUP, valid: false });
      const verdict = acefone.validate(
        mutate(body),
        { "content-type": "application/json" },
        "/acefone/call-hangup",
      );
      expect(verdict.ok).toBe(false);
      expect(verdict.issues.join("\n")).toMatch(issue);
    },
  );

  it("answers 422 for bad values inferred from the keys and in form bodies", async () => {
    const rx = createReceiver({ vendors: VENDORS });
    const { body } = sample(HANGUP);
    let res = await request(rx.app)
      .post("/")
      .set("content-type", "application/json")
      .send(JSON.stringify({ ...body, call_status: "Answered" }));
    expect(res.status).toBe(422);
    expect(rx.records.at(-1)).toMatchObject({ vendor: "acefone", event: HANGUP });
    expect(res.body.issues.join("\n")).toMatch(/call_status/);
    // a missing key leaves no trigger whose variable set the keys match
    const { billsec: _b, ...missing } = body;
    res = await request(rx.app)
      .post("/acefone")
      .set("content-type", "application/json")
      .send(JSON.stringify(missing));
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/no Acefone trigger/);
    const form = sample(HANGUP, { ...VALUES, encoding: "form" });
    const pairs = new URLSearchParams(form.r.body);
    pairs.set("call_connected", "true");
    res = await request(rx.app)
      .post("/acefone")
      .set("content-type", "application/x-www-form-urlencoded")
      .send(pairs.toString());
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/call_connected/);
    // a form body whose nested value is not JSON text
    pairs.set("call_connected", "1");
    pairs.set("billing_circle", "Airtel/Mumbai");
    res = await request(rx.app)
      .post("/acefone/call-hangup")
      .set("content-type", "application/x-www-form-urlencoded")
      .send(pairs.toString());
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/billing_circle/);
  });

  it("detects Acefone bodies as acefone and nothing else", () => {
    for (const o of [VALUES, { ...VALUES, encoding: "form" } as OptionSet]) {
      for (const r of planned(o).requests) {
        const data = dataOf(r);
        expect(acefone.detect(r.headers, data), r.event).toBe(true);
        for (const v of VENDORS.filter((x) => x.id !== "acefone"))
          expect(v.detect(r.headers, data), v.id).toBe(false);
      }
    }
  });

  it("accepts a GET delivery to a URL that carries the user's own query parameter", async () => {
    const rx = createReceiver({ vendors: VENDORS });
    const { r } = sample(HANGUP, { ...VALUES, encoding: "get" });
    const query = r.url.slice(BASE.length - "?key=abc".length);
    const res = await request(rx.app).get(`/acefone/call-hangup${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Determinism and edge cases

describe("determinism", () => {
  it("the same seed gives byte-identical requests for each option set; another seed does not", () => {
    for (const o of [VALUES, { ...SMARTFLO_DEFAULT, encoding: "get" } as OptionSet, QUIRK_SETS[2]!]) {
      const a = plan(o, 12, { calls: 1 }).requests.map(dryRunLine);
      const b = plan(o, 12, { calls: 1 }).requests.map(dryRunLine);
      expect(a, label(o)).toEqual(b);
      expect(plan(o, 13, { calls: 1 }).requests.map(dryRunLine), label(o)).not.toEqual(a);
    }
  });
});

describe("edge cases", () => {
  it("a direct inbound call without an IVR still sends valid triggers with empty IVR fields", () => {
    const s = parseScenarioText(
      [
        "vendor: acefone",
        "name: no-ivr",
        "description: A call reaches the department without an IVR and is answered.",
        "call: { direction: inbound, queue: Sales }",
        "steps:",
        "  - arrive: {}",
        "  - enqueue: {}",
        "  - offer: { after: 2s }",
        "  - answer: { after: 3s }",
        "  - talk: 30s",
        "  - hangup: { by: agent }",
      ].join("\n"),
      "x.yaml",
      findVendor,
    );
    for (const o of [
      VALUES,
      { profile: "smartflo", encoding: "form", dateFormat: "iso", zone: "IST" } as OptionSet,
    ]) {
      const p = planRun({
        scenarios: [s],
        targets: { byVendor: new Map(), fallback: { url: BASE } },
        seed: 1,
        start: START,
        profile: o.profile,
        options: optionsOf(o),
      });
      const [c] = callsOf(p, 1);
      expect(c!.events.map((e) => e.name)).toEqual([SERVER, DEPT, DIALED, ANSWERED, ANSWERED_HANGUP, HANGUP]);
      for (const e of c!.events) {
        const r = schemaFor(e.name, o).safeParse(e.raw);
        expect(r.success, `${e.name}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
      }
      const cdr = one(c!, HANGUP).v;
      expect(cdr).toMatchObject({ digits_dialed: [], hangup_cause: "destination_hangup", recording_url: "" });
      expect(one(c!, DEPT).v.ivr_name).toBe("");
      expect(one(c!, DIALED).v.ivr_name).toEqual([]);
    }
  });
});

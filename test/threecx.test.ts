import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { PbxsimError } from "../src/core/errors.js";
import type { SimulatedCall } from "../src/core/model.js";
import { Rng } from "../src/core/random.js";
import { dryRunLine, type Plan, type PlannedRequest, planRun } from "../src/delivery/plan.js";
import { runScenarios } from "../src/delivery/run.js";
import { loadTargetsFile } from "../src/delivery/targets.js";
import { createReceiver, queryValue } from "../src/receiver/app.js";
import { serve } from "../src/receiver/serve.js";
import { parseScenarioText, resolveScenarios } from "../src/scenario/load.js";
import { threeCx } from "../src/vendors/3cx/index.js";
import { localStamp } from "../src/vendors/3cx/project.js";
import { formEncode } from "../src/core/encoding.js";
import { FormRecordingSchema, threeCxEvents } from "../src/vendors/3cx/schemas.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { startServer, type TestServer } from "./helpers/servers.js";
import { memoize } from "./helpers/memo.js";

/**
 * The 3CX WebhooksApi add-on (the vendor's documented behaviour): the eight built-in scenarios follow the add-on's sequences
 * T1..T8 in both wire formats (K2M JSON and the legacy form/GET scheme), ids and durations agree with the
 * simulated call, every request is encoded as the add-on sends it, and the built-in receiver accepts them.
 */

type Body = Record<string, unknown>;
type Profile = "k2m-json" | "form";

const PROFILES: Profile[] = ["k2m-json", "form"];
const BASE = "http://127.0.0.1:9/hook?key=abc";
const START = Date.UTC(2026, 0, 5, 7);
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const CALLS = 3;
const FORM_DID = "DID-420222000320";
const DEFAULT_FQDN: Record<Profile, string> = { "k2m-json": "pbx.example.com.tr", form: "pbx.example.cz" };

const scenarios = resolveScenarios(["3cx/*"], findVendor);
const SCENARIO_IDS = [
  "3cx/attended-transfer",
  "3cx/blind-transfer",
  "3cx/inbound-queue-answered",
  "3cx/inbound-queue-missed",
  "3cx/outbound-answered",
  "3cx/outbound-unanswered",
  "3cx/ringgroup-answered",
  "3cx/ringgroup-missed",
];

/** The document's keys per event, in the document's order. */
const K2M_KEYS: Record<string, string[]> = {
  ringing: ["Event", "Callerid", "User", "Usertype", "Did", "Id"],
  incomingcall_started: ["Event", "Callerid", "User", "Trtype", "Did", "Id"],
  outgoingcall_started: ["Event", "Callerid", "User", "Trtype", "Did", "Id"],
  dialing: ["Event", "Callerid", "User", "Id"],
  incoming: ["Event", "Callerid", "User", "Finishtype", "Transfer", "Did", "Duration", "Id"],
  outgoing: ["Event", "Callerid", "User", "Finishtype", "Transfer", "Did", "Duration", "Id"],
  recording: ["Event", "FileUrls", "Callerid", "User", "Id"],
};
const FORM_KEYS: Record<string, string[]> = {
  ringing: ["event", "callerid", "user", "usertype", "did", "id"],
  hangupincoming: ["event", "callerid", "user", "did", "trtype", "id"],
  hangupoutgoing: ["event", "callerid", "user", "did", "trtype", "id"],
  dialing: ["event", "callerid", "user", "id"],
  incoming: ["event", "callerid", "user", "finishtype", "transfer", "did", "title", "id"],
  outgoing: ["event", "callerid", "user", "finishtype", "transfer", "did", "title", "id"],
};
const KEYS: Record<Profile, Record<string, string[]>> = { "k2m-json": K2M_KEYS, form: FORM_KEYS };

function plan(
  profile: Profile,
  seed: number,
  extra: {
    method?: string;
    options?: Record<string, string>;
    headers?: Record<string, string>;
    start?: number;
  } = {},
  ids: string[] = SCENARIO_IDS,
  calls = CALLS,
): Plan {
  return planRun({
    scenarios: scenarios.filter((s) => ids.includes(s.id)),
    targets: { byVendor: new Map(), fallback: { url: BASE } },
    seed,
    start: extra.start ?? START,
    calls,
    profile,
    method: extra.method,
    options: extra.options,
    headers: extra.headers,
  });
}

/**
 * The data of a request as the add-on meant it, decoded independently of the receiver: the JSON body,
 * the form body, the query after the user's own `key=abc`, or the bare recording URL.
 */
function dataOf(r: PlannedRequest): Body | string {
  if (r.method === "GET") {
    expect(r.url.startsWith(`${BASE}&`), r.url).toBe(true);
    const rest = r.url.slice(BASE.length + 1);
    return r.event === "recording" ? rest : Object.fromEntries(new URLSearchParams(rest));
  }
  const ct = r.headers["content-type"];
  if (ct === "application/json") return JSON.parse(r.body) as Body;
  if (ct === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(r.body));
  return r.body;
}

/** One event in a normalised view: fields by lower-case key. */
interface Ev {
  req: PlannedRequest;
  name: string;
  at: number;
  data: Body | string;
  f: Record<string, string | undefined>;
  urls: string[];
  id: string;
  prefix: string;
  leg: number;
}

const RECORDING_URL = /^https:\/\/([^/:]+):5001\/webapi\/recording\/(\d{12}_\d+-\d+)-1\.mp3$/;

function view(r: PlannedRequest): Ev {
  const data = dataOf(r);
  const f: Record<string, string | undefined> = {};
  let urls: string[] = [];
  if (typeof data === "string") {
    urls = [data];
    f.id = RECORDING_URL.exec(data)?.[2];
  } else {
    for (const [k, v] of Object.entries(data)) {
      if (k === "FileUrls") urls = v as string[];
      else f[k.toLowerCase()] = v as string;
    }
  }
  const id = f.id ?? "";
  const [prefix = "", leg = "NaN"] = id.split("-");
  return { req: r, name: r.event, at: r.at, data, f, urls, id, prefix, leg: Number(leg) };
}

interface CallView {
  call: SimulatedCall;
  profile: Profile;
  events: Ev[];
}

function callsOf(p: Plan, profile: Profile): CallView[] {
  return p.calls.map((call) => ({
    call,
    profile,
    events: p.requests
      .filter((r) => r.call === call.key)
      .sort((a, b) => a.seq - b.seq)
      .map(view),
  }));
}

const plansOf = memoize((profile: Profile): Plan[] => SEEDS.map((seed) => plan(profile, seed)));
const callsOfProfile = memoize((profile: Profile): CallView[] =>
  plansOf(profile).flatMap((p) => callsOf(p, profile)),
);
function everyCall(profile: Profile, scenario?: string): CallView[] {
  const calls = callsOfProfile(profile);
  return scenario === undefined ? calls : calls.filter((c) => c.call.scenario === scenario);
}

const pickupName = (profile: Profile, outbound: boolean) =>
  outbound
    ? profile === "form"
      ? "hangupoutgoing"
      : "outgoingcall_started"
    : profile === "form"
      ? "hangupincoming"
      : "incomingcall_started";
const isPickup = (name: string) =>
  ["incomingcall_started", "outgoingcall_started", "hangupincoming", "hangupoutgoing"].includes(name);
const isEnd = (name: string) => name === "incoming" || name === "outgoing";

/** `name user detail -leg`; a form recording carries no user. */
function sig(e: Ev): string {
  const detail = e.f.usertype ?? e.f.trtype ?? (e.f.finishtype ? `${e.f.finishtype}/${e.f.transfer}` : "");
  return [e.name, e.f.user ?? "-", detail, `-${e.leg}`].filter((x) => x !== "").join(" ");
}

/** The add-on's sequence T1..T8 for a call, from the simulation's facts. */
function expectedStory(c: CallView): string[] {
  const { call, profile } = c;
  const form = profile === "form";
  const outbound = call.direction === "outbound";
  const pickup = pickupName(profile, outbound);
  const end = outbound ? "outgoing" : "incoming";
  const ring = (user: string, type: string, leg = 0) => `ringing ${user} ${type} -${leg}`;
  const rec = (user: string, leg: number) => `recording ${form ? "-" : user} -${leg}`;
  const offers = call.facts.flatMap((f) => (f.kind === "offer" ? [f.agent] : []));
  const answered = call.facts.flatMap((f) => (f.kind === "answer" ? [f.agent] : []));
  const transferTo = call.facts.flatMap((f) => (f.kind === "transfer-end" ? [f.to.agent!] : []));
  const dialler = call.facts.flatMap((f) => (f.kind === "dial" ? [f.agent] : []));
  const ivrQueue = [ring("800", "other"), ring("820", "queue")];
  switch (call.scenario) {
    case "3cx/inbound-queue-answered": {
      expect(offers).toHaveLength(1);
      const a = offers[0]!;
      expect(answered).toEqual([a]);
      return [...ivrQueue, ring(a, "ext"), `${pickup} ${a} NotDef -1`, `${end} ${a} Ok/False -1`, rec(a, 1)];
    }
    case "3cx/inbound-queue-missed":
      expect(offers.length).toBeGreaterThanOrEqual(1);
      expect(offers.length).toBeLessThanOrEqual(3);
      expect(new Set(offers).size).toBe(offers.length);
      expect(answered).toEqual([]);
      return [...ivrQueue, ...offers.map((a) => ring(a, "ext")), `${end} 820 Missed/False -0`];
    case "3cx/attended-transfer":
    case "3cx/blind-transfer": {
      const attended = call.scenario === "3cx/attended-transfer";
      expect(offers).toHaveLength(1);
      const a = offers[0]!;
      expect(answered).toEqual([a]);
      expect(transferTo).toHaveLength(1);
      const b = transferTo[0]!;
      expect(b).not.toBe(a);
      return [
        ...ivrQueue,
        ring(a, "ext"),
        `${pickup} ${a} NotDef -1`,
        ring(b, "ext", 1),
        `${pickup} ${b} ${attended ? "Attended" : "Blind"} -2`,
        ...(attended ? [`${end} ${a} Ok/True -1`] : []),
        `${end} ${b} Ok/False -2`,
        rec(b, 2),
        rec(a, 1),
      ];
    }
    case "3cx/ringgroup-answered": {
      expect([2, 3]).toContain(offers.length);
      const a = offers[0]!;
      expect(answered).toEqual([a]);
      return [
        ring("800", "other"),
        ...offers.map((m) => ring(m, "ext")),
        `${pickup} ${a} NotDef -1`,
        `${end} ${a} Ok/False -1`,
        rec(a, 1),
      ];
    }
    case "3cx/ringgroup-missed":
      expect(offers).toHaveLength(2);
      expect(answered).toEqual([]);
      return [
        ring("800", "other"),
        ...offers.map((m) => ring(m, "ext")),
        `${end} ${offers[1]} Missed/False -0`,
      ];
    case "3cx/outbound-answered": {
      expect(dialler).toEqual([call.user]);
      const u = call.user!;
      return [`dialing ${u} -0`, `${pickup} ${u} NotDef -1`, `${end} ${u} Ok/False -1`, rec(u, 1)];
    }
    case "3cx/outbound-unanswered": {
      expect(dialler).toEqual([call.user]);
      const u = call.user!;
      return [`dialing ${u} -0`, `${end} ${u} Missed/False -0`];
    }
    default:
      throw new Error(`unexpected scenario ${call.scenario}`);
  }
}

/** `yymmddHHMMSS` of an instant shifted by a whole number of hours. */
function stamp(ms: number, offsetHours: number): string {
  const d = new Date(ms + offsetHours * 3_600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}
/** Istanbul is UTC+3 all year; Prague is UTC+1, UTC+2 in summer time (2026: 29 March to 25 October, 01:00 UTC). */
function offsetOf(profile: Profile, ms: number): number {
  if (profile === "k2m-json") return 3;
  return ms >= Date.UTC(2026, 2, 29, 1) && ms < Date.UTC(2026, 9, 25, 1) ? 2 : 1;
}

/** Seconds of `mm:ss` or `m:ss`. */
function seconds(s: string): number {
  const m = /^(\d+):(\d{2})$/.exec(s);
  expect(m, s).not.toBeNull();
  return Number(m![1]) * 60 + Number(m![2]);
}

/** The strict schema of an event as it travels (the form recording: the bare URL). */
function schemaOf(profile: Profile, name: string) {
  if (profile === "form" && name === "recording") return FormRecordingSchema;
  const def = threeCxEvents.find((e) => e.profile === profile && e.name === name);
  if (!def) throw new Error(`no ${profile} schema for ${name}`);
  return def.schema;
}

describe("built-in 3CX scenarios", () => {
  it("are all there", () => {
    expect(scenarios.map((s) => s.id)).toEqual(SCENARIO_IDS);
  });

  it.each(PROFILES)("%s: together they exercise every event of the profile", (profile) => {
    const seen = new Set(everyCall(profile).flatMap((c) => c.events.map((e) => e.name)));
    const all = threeCxEvents.filter((e) => e.profile === profile).map((e) => e.name);
    expect([...seen].sort()).toEqual([...all].sort());
  });
});

describe.each(PROFILES)(
  "%s, 20 seeds: the add-on's sequences (the vendor's documented behaviour)",
  (profile) => {
    it.each(SCENARIO_IDS)("%s follows its sequence, users and legs from the simulated call", (id) => {
      const calls = everyCall(profile, id);
      expect(calls).toHaveLength(SEEDS.length * CALLS);
      const bad: string[] = [];
      for (const c of calls) {
        const got = c.events.map(sig);
        const want = expectedStory(c);
        if (JSON.stringify(got) !== JSON.stringify(want))
          bad.push(`call ${c.call.key}:\n  got  ${got.join(" | ")}\n  want ${want.join(" | ")}`);
      }
      expect(bad).toEqual([]);
    });

    it("rings only the queue's members, the IVR 800 as other and the queue 820 as queue", () => {
      const members = threeCx.directory().members["820"]!;
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        for (const e of c.events) {
          if (e.name !== "ringing") continue;
          const ok =
            (e.f.user === "800" && e.f.usertype === "other") ||
            (e.f.user === "820" && e.f.usertype === "queue") ||
            (members.includes(e.f.user!) && e.f.usertype === "ext");
          if (!ok) bad.push(`${c.call.scenario}: ringing ${e.f.user} ${e.f.usertype}`);
        }
        for (const e of c.events.filter((x) => x.f.user !== undefined && x.name !== "ringing"))
          if (!members.includes(e.f.user!) && !(e.f.finishtype === "Missed" && e.f.user === "820"))
            bad.push(`${c.call.scenario}: ${e.name} by ${e.f.user}`);
      }
      expect(bad).toEqual([]);
    });

    it("sends recordings only after the call's last end event: one per answered segment, latest first", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        const ends = c.events.filter((e) => isEnd(e.name));
        const pickups = c.events.filter((e) => isPickup(e.name));
        const recs = c.events.filter((e) => e.name === "recording");
        const lastEnd = Math.max(...ends.map((e) => e.at));
        const where = `${c.call.scenario} call ${c.call.key}`;
        if (ends.length === 0) bad.push(`${where}: no end event`);
        if (recs.length !== pickups.length)
          bad.push(`${where}: ${recs.length} recordings, ${pickups.length} pickups`);
        if (recs.some((r) => r.at <= lastEnd)) bad.push(`${where}: a recording before the end`);
        const legs = recs.map((r) => r.leg);
        if (JSON.stringify(legs) !== JSON.stringify([...pickups.map((p) => p.leg)].sort((a, b) => b - a)))
          bad.push(`${where}: recording legs ${legs}`);
        const missed = ends.some((e) => e.f.finishtype === "Missed");
        if (missed && recs.length > 0) bad.push(`${where}: a recording of a missed call`);
        if (missed !== ["missed", "abandoned", "unanswered"].includes(c.call.summary.outcome))
          bad.push(`${where}: Missed vs outcome ${c.call.summary.outcome}`);
      }
      expect(bad).toEqual([]);
    });

    it("keeps one yymmddHHMMSS_N prefix per call (its start in the PBX's local time), N distinct per call", () => {
      const bad: string[] = [];
      for (const p of plansOf(profile)) {
        const ns = new Set<string>();
        for (const c of callsOf(p, profile)) {
          const prefixes = new Set(c.events.map((e) => e.prefix));
          const want = stamp(c.call.start, offsetOf(profile, c.call.start));
          if (prefixes.size !== 1) bad.push(`call ${c.call.key}: prefixes ${[...prefixes]}`);
          const [ts, n] = [...prefixes][0]!.split("_");
          if (ts !== want) bad.push(`call ${c.call.key}: stamp ${ts}, start ${want}`);
          if (!/^\d+$/.test(n ?? "")) bad.push(`call ${c.call.key}: N ${n}`);
          ns.add(n!);
        }
        if (ns.size !== p.calls.length) bad.push(`${ns.size} distinct N for ${p.calls.length} calls`);
      }
      expect(bad).toEqual([]);
    });

    it("points each recording at https://<fqdn>:5001/webapi/recording/<Id>-1.mp3", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        for (const e of c.events.filter((x) => x.name === "recording")) {
          if (e.urls.length !== 1) bad.push(`${e.urls.length} urls`);
          const m = RECORDING_URL.exec(e.urls[0] ?? "");
          if (!m) bad.push(`url ${e.urls[0]}`);
          else if (m[1] !== DEFAULT_FQDN[profile] || m[2] !== e.id)
            bad.push(`url ${e.urls[0]} for Id ${e.id}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("takes the fqdn from --option fqdn", () => {
      const p = plan(profile, 3, { options: { fqdn: "pbx.acme.test" } });
      const urls = p.requests.filter((r) => r.event === "recording").map((r) => view(r).urls[0]!);
      expect(urls.length).toBeGreaterThan(0);
      for (const u of urls)
        expect(u).toMatch(/^https:\/\/pbx\.acme\.test:5001\/webapi\/recording\/\d{12}_\d+-\d-1\.mp3$/);
    });

    it("gives each answered segment its talk time: pickup to end, within 1 s; nothing when missed", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        for (const e of c.events.filter((x) => isEnd(x.name))) {
          const where = `${c.call.scenario} call ${c.call.key} ${e.name} ${e.id}`;
          const talk = profile === "form" ? /\((\d+:\d{2})\)$/.exec(e.f.title ?? "")?.[1] : e.f.duration;
          if (profile === "k2m-json" && !/^(\d{2}:[0-5]\d)?$/.test(e.f.duration ?? "x"))
            bad.push(`${where}: Duration ${e.f.duration}`);
          if (profile === "form" && talk !== undefined && !/^\d+:[0-5]\d$/.test(talk))
            bad.push(`${where}: title ${e.f.title}`);
          if (e.f.finishtype === "Missed") {
            if (talk) bad.push(`${where}: talk time ${talk} on a missed call`);
            if (e.leg !== 0) bad.push(`${where}: missed on leg ${e.leg}`);
            continue;
          }
          const pickup = c.events.find((x) => isPickup(x.name) && x.id === e.id);
          if (!pickup || !talk) {
            bad.push(`${where}: no pickup or no talk time`);
            continue;
          }
          const real = (e.at - pickup.at) / 1000;
          if (Math.abs(seconds(talk) - real) > 1) bad.push(`${where}: ${talk} vs ${real}s`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("uses the documented keys in the document's order and parses against the strict schema", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        for (const e of c.events) {
          if (typeof e.data === "string") {
            if (profile !== "form" || e.name !== "recording") bad.push(`${e.name}: a bare string`);
          } else {
            const keys = Object.keys(e.data);
            const want = KEYS[profile][e.name];
            if (JSON.stringify(keys) !== JSON.stringify(want)) bad.push(`${e.name}: keys ${keys}`);
            const ev = e.data.Event ?? e.data.event;
            if (ev !== e.name) bad.push(`${e.name}: event field ${String(ev)}`);
            for (const [k, v] of Object.entries(e.data)) {
              if (k === "FileUrls") {
                if (!Array.isArray(v) || v.some((u) => typeof u !== "string"))
                  bad.push(`FileUrls ${JSON.stringify(v)}`);
              } else if (typeof v !== "string") bad.push(`${e.name}.${k}: ${typeof v}`);
            }
          }
          const r = schemaOf(profile, e.name).safeParse(e.data);
          if (!r.success) bad.push(`${e.name}: ${r.error.message}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("writes numbers as the trunk delivers them, one per call, and the DID by profile and direction", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        const outbound = c.call.direction === "outbound";
        const party = outbound ? c.call.dialled : c.call.caller;
        const want = profile === "form" ? party.e164.replace(/^\+/, "") : party.national;
        const shape = profile === "form" ? /^420\d{9}$/ : /^0\d{10}$/;
        if (!shape.test(want)) bad.push(`${c.call.scenario}: simulated number ${want}`);
        for (const e of c.events) {
          if (typeof e.data === "string") continue;
          if (e.f.callerid !== want) bad.push(`${e.name}: Callerid ${e.f.callerid}, want ${want}`);
          if (e.name === "dialing" || e.name === "recording") {
            if ("did" in e.f) bad.push(`${e.name} has a Did`);
            continue;
          }
          const did = profile === "form" && !outbound ? FORM_DID : "";
          if (e.f.did !== did) bad.push(`${c.call.scenario} ${e.name}: Did "${e.f.did}"`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("sets Transfer True only on the first leg of an attended transfer", () => {
      const bad: string[] = [];
      for (const c of everyCall(profile)) {
        for (const e of c.events.filter((x) => isEnd(x.name))) {
          const want = c.call.scenario === "3cx/attended-transfer" && e.leg === 1 ? "True" : "False";
          if (e.f.transfer !== want) bad.push(`${c.call.scenario} ${e.id}: Transfer ${e.f.transfer}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it("gives the same seed byte-identical requests, another seed others", () => {
      const a = plan(profile, 7).requests.map(dryRunLine);
      const b = plan(profile, 7).requests.map(dryRunLine);
      expect(b).toEqual(a);
      expect(plan(profile, 8).requests.map(dryRunLine)).not.toEqual(a);
    });
  },
);

describe("form titles (the vendor's documented behaviour)", () => {
  it("read Answered call from / Missed call by queue 820 from / Successful call to / Unanswered call to", () => {
    const bad: string[] = [];
    for (const c of everyCall("form")) {
      for (const e of c.events.filter((x) => isEnd(x.name))) {
        const num = e.f.callerid!;
        const talk = /\((\d+:\d{2})\)$/.exec(e.f.title ?? "")?.[1] ?? "?";
        let want: string;
        if (c.call.direction === "outbound")
          want =
            e.f.finishtype === "Ok" ? `Successful call to ${num} (${talk})` : `Unanswered call to ${num}`;
        else if (e.f.finishtype === "Ok") want = `${FORM_DID}:Answered call from ${num} (${talk})`;
        else if (c.call.scenario === "3cx/inbound-queue-missed")
          want = `${FORM_DID}:Missed call by queue 820 from ${num}`;
        // a ring group: the title names the last member rung, as the end event's user does
        else want = `${FORM_DID}:Missed call by extension ${e.f.user} from ${num}`;
        if (e.f.title !== want) bad.push(`${c.call.scenario}: "${e.f.title}", want "${want}"`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe("ids in the PBX's local time", () => {
  // Istanbul is UTC+3 all year; Prague UTC+1 in winter, UTC+2 in summer
  it.each([
    ["k2m-json", "2026-01-04T21:00:00Z", "260105000000"],
    ["form", "2026-01-04T23:00:00Z", "260105000000"],
    ["k2m-json", "2026-07-01T22:30:05Z", "260702013005"],
    ["form", "2026-07-01T22:30:05Z", "260702003005"],
    ["form", "2026-12-31T22:59:59Z", "261231235959"],
  ] as [Profile, string, string][])("%s: a call starting at %s is stamped %s", (profile, iso, want) => {
    const start = Date.parse(iso);
    const p = plan(profile, 1, { start }, ["3cx/outbound-unanswered"], 1);
    expect(p.calls[0]!.start).toBe(start);
    for (const r of p.requests) expect(view(r).prefix).toMatch(new RegExp(`^${want}_\\d+$`));
  });
});

const COMBOS: [Profile, string | undefined][] = [
  ["k2m-json", undefined],
  ["form", undefined],
  ["form", "POST"],
];
/** The combinations with a label for test names: the profile and its method. */
const CASES = COMBOS.map(
  ([profile, method]) => [`${profile} ${method ?? "default"}`, profile, method] as const,
);

describe("3CX encodings (the vendor's documented behaviour)", () => {
  it("k2m-json: POST application/json, compact JSON, the user's URL untouched", () => {
    const p = plan("k2m-json", 2);
    for (const r of p.requests) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe(BASE);
      expect(r.headers).toEqual({ "content-type": "application/json" });
      expect(r.body).toBe(JSON.stringify(JSON.parse(r.body)));
    }
  });

  it("form defaults to GET: the data appended to the user's own query, no body, no content type", () => {
    const p = plan("form", 2);
    for (const r of p.requests) {
      expect(r.method).toBe("GET");
      expect(r.body).toBe("");
      expect(r.headers).toEqual({});
      expect(r.url.startsWith(`${BASE}&`)).toBe(true);
      const rest = r.url.slice(BASE.length + 1);
      if (r.event === "recording") expect(rest).toMatch(RECORDING_URL);
      else expect(rest.startsWith(`event=${r.event}&`)).toBe(true);
    }
  });

  it("form with method GET is the same as the default", () => {
    expect(plan("form", 4, { method: "GET" }).requests.map(dryRunLine)).toEqual(
      plan("form", 4).requests.map(dryRunLine),
    );
  });

  it("form with method POST: form-urlencoded bodies, the recording as a text/plain bare URL", () => {
    const p = plan("form", 2, { method: "POST" });
    const get = plan("form", 2);
    p.requests.forEach((r, i) => {
      expect(r.method).toBe("POST");
      expect(r.url).toBe(BASE);
      if (r.event === "recording") {
        expect(r.headers).toEqual({ "content-type": "text/plain" });
        expect(r.body).toMatch(RECORDING_URL);
      } else {
        expect(r.headers).toEqual({ "content-type": "application/x-www-form-urlencoded" });
        expect(Object.keys(Object.fromEntries(new URLSearchParams(r.body)))).toEqual(FORM_KEYS[r.event]);
      }
      // the same data as the GET scheme carries
      expect(dataOf(r)).toEqual(dataOf(get.requests[i]!));
      expect(schemaOf("form", r.event).safeParse(dataOf(r)).success).toBe(true);
    });
  });

  it.each(CASES)("%s: headers the user adds pass through", (_label, profile, method) => {
    const p = plan(profile, 5, { method, headers: { "x-tenant": "acme", authorization: "Bearer t0k" } });
    for (const r of p.requests) {
      expect(r.headers["x-tenant"]).toBe("acme");
      expect(r.headers.authorization).toBe("Bearer t0k");
    }
  });

  it("refuses GET with k2m-json, with a clear error", async () => {
    expect(() => plan("k2m-json", 1, { method: "GET" })).toThrow(PbxsimError);
    expect(() => plan("k2m-json", 1, { method: "GET" })).toThrow(/GET.*3cx.*k2m-json.*POST/);
    await expect(
      runScenarios({ scenarios: ["3cx/*"], url: BASE, seed: 1, speed: "max", method: "GET" }),
    ).rejects.toThrow(PbxsimError);
  });

  it("refuses PUT with form, naming GET and POST", async () => {
    expect(() => plan("form", 1, { method: "PUT" })).toThrow(PbxsimError);
    expect(() => plan("form", 1, { method: "PUT" })).toThrow(/PUT.*3cx.*form.*GET or POST/);
    await expect(
      runScenarios({
        scenarios: ["3cx/*"],
        url: BASE,
        seed: 1,
        speed: "max",
        profile: "form",
        method: "PUT",
      }),
    ).rejects.toThrow(PbxsimError);
  });

  it("accepts POST with k2m-json", () => {
    expect(plan("k2m-json", 1, { method: "POST" }).requests.map(dryRunLine)).toEqual(
      plan("k2m-json", 1).requests.map(dryRunLine),
    );
  });

  it("form POST and form GET are deterministic per seed too", () => {
    expect(plan("form", 9, { method: "POST" }).requests.map(dryRunLine)).toEqual(
      plan("form", 9, { method: "POST" }).requests.map(dryRunLine),
    );
  });

  it("a scenario file for 3cx that names the form profile is planned in it", () => {
    const s = parseScenarioText(
      [
        "vendor: 3cx",
        "name: form-only",
        "description: An extension dials out and gives up.",
        "profiles: [form]",
        "call: { direction: outbound, queue: '820' }",
        "steps:",
        "  - dial: {}",
        "  - hangup: { by: agent, after: 5s }",
      ].join("\n"),
      "x.yaml",
      findVendor,
    );
    const p = planRun({
      scenarios: [s],
      targets: { byVendor: new Map(), fallback: { url: BASE } },
      seed: 1,
      start: START,
    });
    expect(p.requests.map((r) => [r.profile, r.method, r.event])).toEqual([
      ["form", "GET", "dialing"],
      ["form", "GET", "outgoing"],
    ]);
  });
});

describe("3CX targets file (the add-on's own settings)", () => {
  const file = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-3cx-targets-"));
    writeFileSync(join(dir, "targets.yaml"), text);
    return join(dir, "targets.yaml");
  };
  const plan = (targetsFile: string) =>
    planRun({
      scenarios: resolveScenarios(["3cx/inbound-queue-answered"], findVendor).map((s) => ({
        ...s,
        profiles: ["form"],
      })),
      targets: loadTargetsFile(targetsFile),
      seed: 2,
      start: START,
    });

  it("WEBHOOK_URL takes every event; WEBHOOK_POST_URL, when set, the recording notice instead", () => {
    const one = plan(file("3cx:\n  WEBHOOK_URL: http://127.0.0.1:9/3cx?key=abc\n"));
    expect(new Set(one.requests.map((r) => r.url.split("?")[0]))).toEqual(
      new Set(["http://127.0.0.1:9/3cx"]),
    );
    expect(one.requests.map((r) => r.event)).toContain("recording");
    const two = plan(
      file("3cx:\n  WEBHOOK_URL: http://127.0.0.1:9/3cx\n  WEBHOOK_POST_URL: http://127.0.0.1:9/rec\n"),
    );
    expect(two.requests.map((r) => r.event)).toEqual(one.requests.map((r) => r.event));
    for (const r of two.requests)
      expect(r.url.split("?")[0]).toBe(
        r.event === "recording" ? "http://127.0.0.1:9/rec" : "http://127.0.0.1:9/3cx",
      );
  });

  it("a key the add-on does not have, or no WEBHOOK_URL, is refused with the file and the key", () => {
    const typo = file("3cx:\n  WEBHOOK_URL: http://127.0.0.1:9/3cx\n  WEBHOOK_ULR2: x\n");
    expect(() => loadTargetsFile(typo)).toThrow(
      /targets\.yaml:3: 3cx: unknown key\(s\) "WEBHOOK_ULR2" \(did you mean WEBHOOK_URL\?\)\. The 3cx section/,
    );
    expect(() => loadTargetsFile(file("3cx: {}\n"))).toThrow(
      /targets\.yaml:1: 3cx\.WEBHOOK_URL: is required\. /,
    );
    expect(() => loadTargetsFile(file("3cx:\n  WEBHOOK_URL: ftp://x\n"))).toThrow(/uses ftp:/);
  });
});

describe("3CX samples for pbxsim send", () => {
  it.each(threeCxEvents.map((e) => [e.profile, e.name] as const))("%s %s validates", (profile, name) => {
    const ev = threeCx.sample(name, { rng: new Rng(1), directory: threeCx.directory(), profile }, START);
    const data = name === "recording" && profile === "form" ? ev.payload.url : ev.payload;
    expect(threeCx.validate(data, {})).toMatchObject({ ok: true, event: name, issues: [] });
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

describe("3CX delivery", () => {
  it.each(CASES)(
    "%s: sends exactly the planned requests, user headers included",
    async (_label, profile, method) => {
      const s = await server((_req, res) => res.writeHead(200).end());
      const r = await runScenarios({
        scenarios: ["3cx/*"],
        url: `${s.url}/hook?key=abc`,
        seed: 11,
        speed: "max",
        profile,
        method,
        headers: { "x-tenant": "acme" },
      });
      expect(r.summary.failed).toBe(0);
      expect(s.requests).toHaveLength(r.plan.requests.length);
      const origin = s.url;
      const sent = [...s.requests].map(
        (q) => `${q.method} ${q.url} ${q.headers["content-type"] ?? "-"} ${q.body}`,
      );
      const planned = r.plan.requests.map(
        (p) => `${p.method} ${p.url.slice(origin.length)} ${p.headers["content-type"] ?? "-"} ${p.body}`,
      );
      expect(sent.sort()).toEqual(planned.sort());
      for (const q of s.requests) expect(q.headers["x-tenant"]).toBe("acme");
    },
  );

  it.each([500, 404])(
    "counts every event as delivered at the first attempt whatever the answer (%i)",
    async (status) => {
      for (const [profile, method] of COMBOS) {
        const s = await server((_req, res) => res.writeHead(status).end());
        const r = await runScenarios({
          scenarios: ["3cx/*"],
          url: s.url,
          seed: 12,
          speed: "max",
          profile,
          method,
        });
        const n = r.plan.requests.length;
        expect(r.summary.delivered).toBe(n);
        expect(r.summary.failed).toBe(0);
        expect(r.summary.retried).toBe(0);
        expect(r.results.every((x) => x.attempts.length === 1 && x.attempts[0]!.status === status)).toBe(
          true,
        );
        expect(s.requests).toHaveLength(n);
      }
    },
  );

  it("counts a refused connection as failed, after one attempt", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const url = s.url;
    await s.close();
    servers = [];
    for (const [profile, method] of COMBOS) {
      const r = await runScenarios({
        scenarios: ["3cx/outbound-answered"],
        url,
        seed: 13,
        speed: "max",
        profile,
        method,
      });
      expect(r.summary.failed).toBe(r.plan.requests.length);
      expect(r.summary.delivered).toBe(0);
      expect(r.results.every((x) => x.attempts.length === 1)).toBe(true);
      expect(r.results[0]!.attempts[0]!.error).toMatch(/connection refused/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Receiver

/** The first planned request of each event, for a profile and method. */
const sampleCache = new Map<string, PlannedRequest[]>();
function samples(profile: Profile, method?: string): PlannedRequest[] {
  const key = `${profile} ${method}`;
  let found = sampleCache.get(key);
  if (!found) {
    const p = plan(profile, 21, { method }, SCENARIO_IDS, 1);
    const byEvent = new Map<string, PlannedRequest>();
    for (const r of p.requests) if (!byEvent.has(r.event)) byEvent.set(r.event, r);
    found = [...byEvent.values()];
    sampleCache.set(key, found);
  }
  return found;
}

/** Sends a planned request to the app at `path` instead of the planned target. */
function send(app: Parameters<typeof request>[0], r: PlannedRequest, path: string) {
  const query = r.url.slice(BASE.length);
  const target = `${path}?key=abc${query}`;
  if (r.method === "GET") return request(app).get(target);
  return request(app).post(target).set(r.headers).send(r.body);
}

describe("the receiver and 3CX deliveries", () => {
  describe.each(CASES)("%s", (_label, profile, method) => {
    it.each(["/3cx", "/"])("recognises, validates and answers 200 every event posted to %s", async (path) => {
      const rx = createReceiver({ vendors: VENDORS });
      const reqs = samples(profile, method);
      expect(reqs.length).toBe(7);
      for (const r of reqs) {
        const res = await send(rx.app, r, path);
        expect(res.status, `${r.event}: ${res.text}`).toBe(200);
        const rec = rx.records[rx.records.length - 1]!;
        expect(rec).toMatchObject({
          vendor: "3cx",
          event: r.event,
          valid: true,
          issues: [],
          duplicate: false,
        });
        expect(rec.callId).toMatch(/^\d{12}_\d+$/);
      }
    });
  });

  it("detects each wire format as 3cx and nothing else as 3cx", () => {
    for (const [profile, method] of COMBOS) {
      for (const r of samples(profile, method)) {
        const data = r.method === "GET" ? queryValue(r.url) : dataOf(r);
        expect(threeCx.detect({}, data), `${profile} ${r.event}`).toBe(true);
        expect(threeCx.validate(data, {}).ok, `${profile} ${r.event}`).toBe(true);
        const other = VENDORS.filter((v) => v.id !== "3cx");
        for (const v of other) expect(v.detect(r.headers, data)).toBe(false);
      }
    }
    expect(threeCx.detect({}, { EventType: "QueueCallInComing" })).toBe(false);
    expect(threeCx.detect({}, "hello")).toBe(false);
    expect(threeCx.detect({}, { Event: "nonsense" })).toBe(false);
  });

  it("reads a GET's query with the user's own parameter: data pairs, or the bare recording URL", () => {
    const [ringing] = samples("form").filter((r) => r.event === "ringing");
    const q = queryValue(ringing!.url) as Body;
    expect(q.key).toBe("abc");
    expect(q.event).toBe("ringing");
    expect(threeCx.validate(q, {})).toMatchObject({ ok: true, event: "ringing" });
    const [rec] = samples("form").filter((r) => r.event === "recording");
    expect(queryValue(rec!.url)).toMatch(RECORDING_URL);
  });

  const k2mRinging = () => JSON.parse(samples("k2m-json").find((r) => r.event === "ringing")!.body) as Body;
  const k2mEnd = () => JSON.parse(samples("k2m-json").find((r) => r.event === "incoming")!.body) as Body;

  it.each([
    ["a missing key", () => ({ ...k2mRinging(), Did: undefined }), /Did/],
    ["Usertype agent", () => ({ ...k2mRinging(), Usertype: "agent" }), /Usertype/],
    ["a number value", () => ({ ...k2mRinging(), User: 202 }), /User/],
    ["an extra key", () => ({ ...k2mRinging(), Extra: "x" }), /Extra|unrecognized/i],
    ["a + in the number", () => ({ ...k2mRinging(), Callerid: "+905551112233" }), /Callerid/],
    ["a bad Id", () => ({ ...k2mRinging(), Id: "230307114903-0" }), /Id/],
    ["a Duration in seconds", () => ({ ...k2mEnd(), Duration: "65" }), /Duration/],
    ["Finishtype Busy", () => ({ ...k2mEnd(), Finishtype: "Busy" }), /Finishtype/],
  ] as [string, () => Body, RegExp][])(
    "k2m-json with %s is answered 422 with issues",
    async (_what, make, issue) => {
      for (const path of ["/3cx", "/"]) {
        const rx = createReceiver({ vendors: VENDORS });
        const res = await request(rx.app)
          .post(path)
          .set("content-type", "application/json")
          .send(JSON.stringify(make()));
        expect(res.status).toBe(422);
        expect(res.body.issues.join("\n")).toMatch(issue);
        expect(rx.records[0]).toMatchObject({ vendor: "3cx", valid: false });
      }
    },
  );

  it("form data with a missing key, a bad value or a bad recording URL is answered 422", async () => {
    const rx = createReceiver({ vendors: VENDORS });
    const pickup = samples("form").find((r) => r.event === "hangupincoming")!;
    const missing = pickup.url.replace(/&trtype=[^&]*/, "");
    let res = await request(rx.app).get(`/3cx${missing.slice(BASE.length - "?key=abc".length)}`);
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/trtype/);
    const agent = samples("form")
      .find((r) => r.event === "ringing")!
      .url.replace(/usertype=\w+/, "usertype=agent");
    res = await request(rx.app).get(`/3cx${agent.slice(BASE.length - "?key=abc".length)}`);
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/usertype/);
    res = await request(rx.app)
      .post("/3cx")
      .set("content-type", "text/plain")
      .send("https://pbx.example.cz:5001/webapi/recording/nonsense.mp3");
    expect(res.status).toBe(422);
    expect(res.body.issues.length).toBeGreaterThan(0);
  });

  it.each(CASES)(
    "live: %s, every 3cx scenario against the real receiver, every record valid",
    async (_label, profile, method) => {
      const rx = await serve({ vendors: VENDORS, port: 0 });
      try {
        for (const path of ["/3cx?key=abc", "/?key=abc"]) {
          rx.reset();
          const r = await runScenarios({
            scenarios: ["3cx/*"],
            url: `${rx.url}${path}`,
            seed: 14,
            calls: 2,
            speed: "max",
            profile,
            method,
          });
          expect(r.summary.failed).toBe(0);
          expect(rx.records).toHaveLength(r.plan.requests.length);
          const bad = rx.records.filter(
            (x) => !x.valid || x.status !== 200 || x.vendor !== "3cx" || x.duplicate,
          );
          expect(bad).toEqual([]);
          expect(rx.records.map((x) => x.event).sort()).toEqual(r.plan.requests.map((p) => p.event).sort());
          expect(new Set(rx.records.map((x) => x.callId)).size).toBe(r.plan.calls.length);
        }
      } finally {
        await rx.close();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------------------
// Edge cases

describe("3CX edge cases", () => {
  /**
   * A transfer to an outside number: the outside party is no extension, so the add-on reports no ringing or
   * pickup for it; every event pbxsim sends stays valid.
   */
  it.each(PROFILES)("%s: a blind transfer to an outside number produces only valid events", (profile) => {
    const s = parseScenarioText(
      [
        "vendor: 3cx",
        "name: external-transfer",
        "description: An extension answers and blind-transfers the caller to an outside number.",
        "call: { direction: inbound, queue: '820' }",
        "steps:",
        "  - arrive: { target: queue }",
        "  - enqueue: {}",
        "  - offer: {}",
        "  - answer: { after: 3s }",
        "  - talk: 20s",
        "  - transfer: { mode: blind, to: external, consult: 2s, outcome: connected }",
        "  - talk: 30s",
        "  - hangup: { by: caller }",
        "  - record: { after: 3s }",
      ].join("\n"),
      "x.yaml",
      findVendor,
    );
    const p = planRun({
      scenarios: [s],
      targets: { byVendor: new Map(), fallback: { url: BASE } },
      seed: 1,
      start: START,
      profile,
    });
    const bad = p.requests
      .map((r) => ({ r, v: threeCx.validate(r.method === "GET" ? queryValue(r.url) : dataOf(r), {}) }))
      .filter(({ v }) => !v.ok)
      .map(({ r, v }) => `${r.event}: ${v.issues.join("; ")}`);
    expect(bad).toEqual([]);
  });

  /** The user's own URL parameters are ignored, whatever they are named. */
  it("a GET whose user parameter is named like an Object member still validates", () => {
    const r = plan("form", 1, {}, ["3cx/outbound-unanswered"], 1).requests[0]!;
    const q = queryValue(r.url.replace("key=abc", "hasOwnProperty=1"));
    expect(threeCx.validate(q, {})).toMatchObject({ ok: true, event: "dialing" });
  });
});

describe("3CX local stamps and form text", () => {
  const ZONES = ["Europe/Istanbul", "Europe/Prague"];
  const HOUR = 3_600_000;

  /** The stamp's definition: the fields of an Intl formatter in the PBX's zone. */
  const reference = new Map(
    ZONES.map((timeZone) => [
      timeZone,
      new Intl.DateTimeFormat("en-GB", {
        timeZone,
        year: "2-digit",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      }),
    ]),
  );
  function intlStamp(epochMs: number, timeZone: string): string {
    const parts = reference.get(timeZone)!.formatToParts(new Date(epochMs));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
    return `${get("year")}${get("month")}${get("day")}${get("hour")}${get("minute")}${get("second")}`;
  }

  /** Instants over 1990..2035 and every few minutes around each offset change of 2010..2030 in both zones. */
  function instants(): number[] {
    const DAY = 24 * HOUR;
    const out: number[] = [];
    const rng = new Rng("3cx-local-stamp");
    for (let t = Date.UTC(2010, 0, 1); t < Date.UTC(2031, 0, 1); t += 31 * HOUR + 13 * 60_000 + 7_001)
      out.push(t);
    for (let i = 0; i < 2000; i++) out.push(Date.UTC(1990, 0, 1) + Math.floor(rng.next() * 45 * 365 * DAY));
    const switches: number[] = [];
    for (const timeZone of ZONES) {
      const offset = new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "longOffset" });
      const at = (t: number) =>
        offset.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value;
      for (let day = Date.UTC(2010, 0, 1); day < Date.UTC(2031, 0, 1); day += DAY)
        if (at(day) !== at(day + DAY))
          for (let t = day; t < day + DAY; t += HOUR) if (at(t) !== at(t + HOUR)) switches.push(t + HOUR);
    }
    // Prague twice a year; Istanbul until it kept summer time in 2016
    expect(switches.length).toBeGreaterThan(50);
    expect(switches.length).toBeLessThan(60);
    for (const s of switches) for (let m = -120; m <= 120; m += 3) out.push(s + m * 60_000 + (m % 7) * 137);
    for (const s of switches) out.push(s - 1, s, s + 1, s - 1000, s + 999);
    out.push(Date.UTC(1850, 5, 1), Date.UTC(1900, 11, 31, 23), Date.UTC(2250, 0, 1), -1, 0);
    return out;
  }

  it("localStamp equals the Intl formatter's fields, DST switch hours included, in any order", () => {
    const all = instants();
    const shuffled = [...all].sort((a, b) => (a % 7919) - (b % 7919));
    const bad: string[] = [];
    for (const timeZone of ZONES)
      for (const t of [...all, ...shuffled]) {
        const want = intlStamp(t, timeZone);
        const got = localStamp(t, timeZone);
        if (got !== want && bad.length < 20)
          bad.push(`${timeZone} ${new Date(t).toISOString()}: ${got} != ${want}`);
      }
    expect(bad).toEqual([]);
  });

  it("formEncode writes what encodeURIComponent makes of every key and value (nested values as JSON)", () => {
    const reference = (p: Record<string, unknown>) =>
      Object.entries(p)
        .map(
          ([k, v]) =>
            `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === "object" && v !== null ? JSON.stringify(v) : String(v))}`,
        )
        .join("&");
    const payloads: Record<string, unknown>[] = [
      {
        event: "ringing",
        callerid: "420774852629",
        user: "202",
        usertype: "ext",
        did: "DID-420222000320",
        id: "260105080000_10-0",
      },
      { title: "DID-420222000320:Answered call from 420774852629 (1:07)", "a b": "x&y=z", ü: "ç€😀" },
      { n: 5, t: true, u: undefined, z: null, o: { a: [1, "b"] }, arr: ["x y"], s: "-_.!~*'()", e: "" },
    ];
    for (const p of payloads) expect(formEncode(p)).toBe(reference(p));
    for (const c of everyCall("form"))
      for (const e of c.events) if (e.name !== "recording") expect(formEncode(e.f)).toBe(reference(e.f));
  });
});

import { z } from "zod";
import { PbxsimError, TargetsError } from "../../core/errors.js";
import type { Fact, SimulatedCall } from "../../core/model.js";
import {
  type EncodedRequest,
  issueLines,
  keyText,
  parseTargetsSection,
  type ProjectionContext,
  stringField,
  type TargetSettings,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../../core/vendor.js";
import { type DatePart, projectAcefone, type Stamp } from "./project.js";
import {
  ACEFONE_TRIGGERS,
  type AcefoneDateFormat,
  acefoneTrigger,
  CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE,
  triggerPayloadSchema,
} from "./schemas.js";
import { acefoneDirectory, acefoneRegion, DID_NUMBER } from "./world.js";
import { firstHeader, formEncode, HeaderMapSchema, withQuery } from "../../core/encoding.js";

/**
 * Acefone (the same webhook system as Tata Smartflo): each webhook is one trigger with its own URL,
 * method (POST or GET), content type (JSON or form), Date Time Format (Default, Epoch, ISO 8601),
 * Time Zone (IST or UTC) and custom headers, the only auth it offers. Success and retries are
 * undocumented: one attempt, anything but a 2xx (or a timeout) counts as failed.
 */

export interface AcefoneOptions {
  contentType: "json" | "form";
  dateFormat: AcefoneDateFormat;
  timeZone: "IST" | "UTC";
  /** Smartflo quirks: the trailing-space key and the Dialer's M/D/YYYY stamps. */
  trailingSpaceKey: boolean;
  dialerDates: boolean;
}

const IST_OFFSET_MS = 330 * 60_000;

const OPTION_VALUES: Record<string, { values: string[]; help: string }> = {
  content_type: {
    values: ["json", "form", "application/json", "application/x-www-form-urlencoded"],
    help: "json or form",
  },
  date_format: { values: ["default", "epoch", "iso", "iso8601", "iso 8601"], help: "default, epoch or iso" },
  time_zone: { values: ["ist", "utc"], help: "IST or UTC" },
  trailing_space_key: { values: ["on", "off"], help: "on or off" },
  dialer_dates: { values: ["on", "off"], help: "on or off" },
};

export function acefoneOptions(profile: string, raw: Record<string, string> = {}): AcefoneOptions {
  for (const [k, v] of Object.entries(raw)) {
    const spec = OPTION_VALUES[k];
    if (spec && !spec.values.includes(v.toLowerCase())) {
      throw new PbxsimError("USAGE", `--option ${k}=${v}: acefone takes ${k}=${spec.help}.`);
    }
  }
  const smartflo = profile === "smartflo";
  const on = (k: string, dflt: boolean) => (raw[k] === undefined ? dflt : raw[k]!.toLowerCase() === "on");
  const ct = (raw.content_type ?? "json").toLowerCase();
  const df = (raw.date_format ?? "default").toLowerCase();
  return {
    contentType: ct === "form" || ct.includes("urlencoded") ? "form" : "json",
    dateFormat: df.startsWith("iso") ? "iso" : df === "epoch" ? "epoch" : "default",
    timeZone: (raw.time_zone ?? "IST").toUpperCase() === "UTC" ? "UTC" : "IST",
    trailingSpaceKey: on("trailing_space_key", smartflo),
    dialerDates: on("dialer_dates", smartflo),
  };
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The wall clock of an instant in the webhook's time zone, read through the `getUTC*` methods. */
function wall(epochMs: number, tz: "IST" | "UTC"): Date {
  return new Date(epochMs + (tz === "IST" ? IST_OFFSET_MS : 0));
}

const dateText = (w: Date) => `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}`;
const timeText = (w: Date) => `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`;

export function formatStamp(s: Stamp, o: AcefoneOptions): string {
  if (s.dialer && o.dialerDates) {
    const w = wall(s.$stamp, o.timeZone);
    const h = w.getUTCHours();
    const h12 = h % 12 === 0 ? 12 : h % 12;
    const date = `${w.getUTCMonth() + 1}/${w.getUTCDate()}/${w.getUTCFullYear()}`;
    return `${date}, ${h12}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
  }
  if (o.dateFormat === "epoch") return String(Math.floor(s.$stamp / 1000));
  const w = wall(s.$stamp, o.timeZone);
  if (o.dateFormat === "iso") return `${dateText(w)}T${timeText(w)}${o.timeZone === "IST" ? "+05:30" : "Z"}`;
  return `${dateText(w)} ${timeText(w)}`;
}

function isStamp(v: unknown): v is Stamp {
  return typeof v === "object" && v !== null && "$stamp" in v;
}
function isDatePart(v: unknown): v is DatePart {
  return typeof v === "object" && v !== null && ("$date" in v || "$time" in v);
}

/** One payload value as the webhook sends it: instants become text, anything else is kept. */
function renderValue(v: unknown, o: AcefoneOptions): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (isStamp(v)) return formatStamp(v, o);
  if (isDatePart(v)) {
    const w = wall((v.$date ?? v.$time)!, o.timeZone);
    return v.$date !== undefined ? dateText(w) : timeText(w);
  }
  return v;
}

const OPTIONS_CACHE_LIMIT = 256;
const optionsCache = new Map<string, AcefoneOptions>();

/** `acefoneOptions`, kept per profile and option text (each request brings its own options object). */
function cachedOptions(profile: string, raw: Record<string, string> | undefined): AcefoneOptions {
  let key = `${profile.length}:${profile}`;
  if (raw) for (const k of Object.keys(raw)) key += `|${k.length}:${k}=${String(raw[k]).length}:${raw[k]}`;
  let o = optionsCache.get(key);
  if (!o) {
    o = acefoneOptions(profile, raw);
    if (optionsCache.size >= OPTIONS_CACHE_LIMIT) optionsCache.clear();
    optionsCache.set(key, o);
  }
  return o;
}

/** Whether the payload's `customer_no_with_prefix` goes out under the Smartflo trailing-space key. */
const renamesKey = (payload: Record<string, unknown>, o: AcefoneOptions) =>
  o.trailingSpaceKey && Object.hasOwn(payload, "customer_no_with_prefix");

/**
 * A copy of the payload with its instants as text and its keys as they are. Copying the whole payload at once
 * keeps its key order and V8's fast layout of its many keys.
 */
function renderedCopy(payload: Record<string, unknown>, o: AcefoneOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...payload };
  for (const k in out) {
    const v = out[k];
    if (typeof v === "object" && v !== null && Object.hasOwn(out, k)) {
      const text = renderValue(v, o);
      if (text !== v) out[k] = text;
    }
  }
  return out;
}

/** Turns instants into the webhook's text and applies the profile's key quirks. */
export function renderPayload(payload: Record<string, unknown>, o: AcefoneOptions): Record<string, unknown> {
  // a renamed key keeps its place and "__proto__" stays a plain key only when the payload goes key by key
  if (!renamesKey(payload, o) && !Object.hasOwn(payload, "__proto__")) return renderedCopy(payload, o);
  const out: Record<string, unknown> = {};
  for (const k in payload) {
    if (!Object.hasOwn(payload, k)) continue;
    const key =
      k === "customer_no_with_prefix" && o.trailingSpaceKey ? CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE : k;
    out[key] = renderValue(payload[k], o);
  }
  return out;
}

const transport: TransportSpec = {
  method: "POST",
  contentType: "application/json",
  auth: { kind: "none" },
  success: { kind: "range", min: 200, max: 299 },
  timeoutMs: 10_000,
  retrySchedule: [],
};

// ---- targets file: one entry per portal webhook ------------------------------------------------------

const WebhookSchema = z.strictObject({
  name: z.string().optional(),
  trigger: z.string().min(1),
  url: z.string().min(1),
  request: z.enum(["POST", "GET", "post", "get"]).default("POST"),
  content_type: z
    .enum(["application/json", "application/x-www-form-urlencoded", "json", "form"])
    .default("application/json"),
  date_format: z.enum(["Default", "Epoch", "ISO 8601", "default", "epoch", "iso"]).default("Default"),
  time_zone: z.enum(["IST", "UTC"]).default("IST"),
  call_type: z.enum(["inbound", "outbound", "Inbound", "Outbound"]).optional(),
  outbound_type: z.enum(["click_to_call", "call_broadcast", "dialer"]).optional(),
  my_numbers: z.array(z.union([z.string(), z.number()])).optional(),
  headers: HeaderMapSchema.optional(),
  status: z.enum(["enabled", "disabled", "paused"]).default("enabled"),
});

/** Deprecated and "(updated)" hang-up triggers receive the CDRs of `call-hangup` with that status. */
const HANGUP_ALIASES: Record<string, { status?: string }> = {
  "call-hangup-missed": { status: "missed" },
  "call-hangup-answered": { status: "answered" },
  "call-hangup-missed-updated": { status: "missed" },
  "call-hangup-answered-updated": { status: "answered" },
};

function findTrigger(label: string) {
  const l = label.trim().toLowerCase();
  const bare = (n: string) => n.toLowerCase().replace(/ \(deprecated\)$/, "");
  return ACEFONE_TRIGGERS.find((t) => t.id === l || t.name.toLowerCase() === l || bare(t.name) === l);
}

function acceptsFor(w: z.output<typeof WebhookSchema>, triggerId: string): (e: VendorEvent) => boolean {
  const alias = HANGUP_ALIASES[triggerId];
  return (e) => {
    if (w.status !== "enabled") return false;
    if (alias) {
      if (e.name !== "call-hangup" || e.payload.call_status !== alias.status) return false;
    } else if (e.name !== triggerId) return false;
    const meta = e.meta ?? {};
    if (w.call_type && meta.callType !== w.call_type.toLowerCase()) return false;
    if (w.outbound_type) {
      const kind =
        meta.origin === "click-to-call"
          ? "click_to_call"
          : meta.origin === "broadcast"
            ? "call_broadcast"
            : ["preview", "progressive", "predictive"].includes(meta.origin ?? "")
              ? "dialer"
              : "";
      if (kind !== w.outbound_type) return false;
    }
    if (w.my_numbers && !w.my_numbers.map((n) => String(n).replace(/^\+/, "")).includes(meta.did ?? ""))
      return false;
    return true;
  };
}

// ---- receiver side -----------------------------------------------------------------------------------

function detectDateFormat(body: Record<string, unknown>): AcefoneDateFormat {
  const s = String(body.start_stamp ?? body.date ?? body.end_stamp ?? "");
  if (/^\d{9,11}$/.test(s)) return "epoch";
  if (/T\d{2}:\d{2}:\d{2}/.test(s)) return "iso";
  return "default";
}

/**
 * Which trigger a body belongs to: from the path (/acefone/<trigger-id>), else from its keys. With
 * `lenient` (GET queries, which share the URL with the user's own parameters) extra keys are allowed.
 */
function triggerOf(
  body: Record<string, unknown>,
  path: string | undefined,
  lenient: boolean,
): string | undefined {
  const fromPath = path?.split("/").find((seg) => findTrigger(seg));
  if (fromPath) return findTrigger(fromPath)!.id;
  const keys = new Set(
    Object.keys(body).map((k) =>
      k === CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE ? "customer_no_with_prefix" : k,
    ),
  );
  const candidates = ACEFONE_TRIGGERS.filter(
    (t) =>
      t.variables.length &&
      t.variables.every((v) => keys.has(v)) &&
      (lenient || [...keys].every((k) => t.variables.includes(k) || (t.observedExtras ?? []).includes(k))),
  );
  // the most specific match: the trigger with the most variables, the hang-up family as call-hangup
  candidates.sort((x, y) => y.variables.length - x.variables.length);
  return (candidates.find((t) => t.id === "call-hangup") ?? candidates[0])?.id;
}

// ---- samples for `pbxsim send` -------------------------------------------------------------------------

function sampleCalls(start: number): SimulatedCall[] {
  const dir = acefoneDirectory();
  const [a1, a2] = dir.members["2513"]!;
  const caller = { e164: "+919000007179", national: "9000007179" };
  const did = { e164: `+${DID_NUMBER}`, national: DID_NUMBER };
  const summary = {
    outcome: "answered" as const,
    agents: [],
    waitMs: 0,
    talkMs: 0,
    durationMs: 0,
    callbackItems: 0,
  };
  const base = { vendor: "acefone", start, queue: "2513", summary };
  const inbound: Fact[] = [
    { kind: "arrive", at: 0, target: "queue" },
    { kind: "ivr", at: 1_000, menu: "Main IVR" },
    { kind: "dtmf", at: 6_000, digits: "1" },
    { kind: "enqueue", at: 6_500, queue: "2513" },
    { kind: "offer", at: 9_000, agent: a1! },
    { kind: "miss", at: 29_000, agent: a1!, reason: "noanswer" },
    { kind: "offer", at: 30_000, agent: a2! },
    { kind: "answer", at: 36_000, agent: a2! },
    { kind: "hangup", at: 196_000, by: "caller", cause: "normal" },
    { kind: "recording", at: 198_000, durationMs: 160_000 },
  ];
  const missed: Fact[] = [
    { kind: "arrive", at: 0, target: "queue" },
    { kind: "ivr", at: 1_000, menu: "Main IVR" },
    { kind: "enqueue", at: 6_500, queue: "2513" },
    { kind: "offer", at: 9_000, agent: a1! },
    { kind: "miss", at: 29_000, agent: a1!, reason: "noanswer" },
    { kind: "hangup", at: 35_000, by: "caller", cause: "normal" },
  ];
  const c2c: Fact[] = [
    { kind: "offer", at: 0, agent: a1! },
    { kind: "answer", at: 5_000, agent: a1! },
    { kind: "remote-ringing", at: 7_000 },
    { kind: "hangup", at: 37_000, by: "caller", cause: "noanswer" },
  ];
  const c2cAnswered: Fact[] = [
    { kind: "offer", at: 0, agent: a1! },
    { kind: "answer", at: 5_000, agent: a1! },
    { kind: "remote-ringing", at: 7_000 },
    { kind: "remote-answer", at: 12_000 },
    { kind: "hangup", at: 100_000, by: "agent", cause: "normal" },
  ];
  const dialer: Fact[] = [
    { kind: "dial", at: 0, agent: a1! },
    { kind: "remote-ringing", at: 2_000 },
    { kind: "remote-answer", at: 9_000 },
    { kind: "hangup", at: 120_000, by: "caller", cause: "normal" },
    { kind: "disposition", at: 150_000, agent: a1!, value: "Answered", sub: "Interested" },
  ];
  return [
    { ...base, key: "1", scenario: "sample/in", direction: "inbound", caller, dialled: did, facts: inbound },
    {
      ...base,
      key: "2",
      scenario: "sample/missed",
      direction: "inbound",
      caller,
      dialled: did,
      facts: missed,
    },
    {
      ...base,
      key: "3",
      scenario: "sample/c2c",
      direction: "outbound",
      origin: "click-to-call",
      caller: did,
      dialled: caller,
      facts: c2c,
    },
    {
      ...base,
      key: "4",
      scenario: "sample/c2c2",
      direction: "outbound",
      origin: "click-to-call",
      caller: did,
      dialled: caller,
      facts: c2cAnswered,
    },
    {
      ...base,
      key: "5",
      scenario: "sample/dialer",
      direction: "outbound",
      origin: "progressive",
      campaign: "Renewals",
      caller: did,
      dialled: caller,
      facts: dialer,
    },
  ];
}

export const acefone: Vendor = {
  id: "acefone",
  displayName: "Acefone (Tata Smartflo)",
  profiles: ["acefone", "smartflo"],
  defaultProfile: "acefone",
  supports: {
    arrive: "events",
    ivr: "events",
    dtmf: "events",
    enqueue: "events",
    offer: "events",
    answer: "events",
    miss: "events",
    dial: "events",
    "remote-ringing": "silent",
    "remote-answer": "events",
    "transfer-start": "events",
    "transfer-end": "events",
    hangup: "events",
    recording: "events",
    disposition: "events",
  },
  events: ACEFONE_TRIGGERS.map((t) => ({
    name: t.id,
    description: `${t.name} (${t.callType}${t.documented ? "" : ", undocumented variables"})`,
    schema: triggerPayloadSchema(t.id, { dateFormat: "default", encoding: "json", smartfloQuirks: false }),
    group: t.callType,
  })),
  directory: acefoneDirectory,
  region: acefoneRegion,
  project: projectAcefone,
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent {
    const alias = HANGUP_ALIASES[eventName];
    for (const call of sampleCalls(start)) {
      const ev = projectAcefone(call, ctx).find((e) =>
        alias ? e.name === "call-hangup" && e.payload.call_status === alias.status : e.name === eventName,
      );
      if (ev) return { ...ev, at: 0, name: eventName };
    }
    if (eventName === "call-received-on-auto-attendant") {
      const ev = projectAcefone(sampleCalls(start)[0]!, ctx).find((e) => e.name === "call-answered-on-ivr")!;
      const { ivr_id: _i, ivr_name: _n, ...rest } = ev.payload;
      const payload: Record<string, unknown> = {};
      for (const k of acefoneTrigger(eventName).variables) {
        payload[k] =
          k === "auto_attendant_id" ? 912 : k === "auto_attendant_name" ? "Business Hours" : rest[k];
      }
      return { at: 0, name: eventName, payload };
    }
    throw new PbxsimError(
      "EVENT",
      `acefone has no sample for "${eventName}" (it has no documented variables).`,
    );
  },
  payloadSchema: (event, profile) =>
    triggerPayloadSchema(event, {
      dateFormat: "default",
      encoding: "json",
      smartfloQuirks: profile === "smartflo",
    }),
  transport: () => transport,
  methods: () => ["POST", "GET"],
  options: Object.fromEntries(Object.entries(OPTION_VALUES).map(([k, v]) => [k, v.help])),
  checkOption(key, value) {
    acefoneOptions("acefone", { [key]: value });
  },
  encode(event, { profile, url, method, options }): EncodedRequest {
    const o = cachedOptions(profile, options);
    const values = renderPayload(event.payload, o);
    if ((method ?? "POST") === "GET") {
      return {
        method: "GET",
        url: withQuery(url, formEncode(values)),
        headers: {},
        body: "",
      };
    }
    if (o.contentType === "form") {
      return {
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: formEncode(values),
      };
    }
    return {
      method: "POST",
      url,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(values),
    };
  },
  parseTargets(section, file): TargetSettings[] {
    const list = parseTargetsSection(
      z.array(WebhookSchema).min(1),
      section,
      file,
      "acefone",
      "The acefone section lists the portal's webhooks: trigger, url, request (POST or GET), content_type, date_format (Default, Epoch, ISO 8601), time_zone (IST or UTC), call_type, outbound_type, my_numbers, headers, status.",
    );
    return list.map((w, i) => {
      const trigger = findTrigger(w.trigger);
      if (!trigger) {
        throw new TargetsError(
          `${file}: acefone[${i}].trigger: "${w.trigger}" is not an Acefone trigger. Use a portal label such as "Call hangup (Missed or Answered)" or an id from \`pbxsim list events --vendor acefone\`.`,
          ["acefone", i, "trigger"],
        );
      }
      const df = w.date_format.toLowerCase();
      return {
        name: w.name ?? trigger.name,
        url: w.url,
        method: w.request.toUpperCase(),
        headers: Object.fromEntries(Object.entries(w.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        options: {
          content_type: w.content_type.includes("urlencoded") || w.content_type === "form" ? "form" : "json",
          date_format: df.startsWith("iso") ? "iso" : df,
          time_zone: w.time_zone,
        },
        accepts: acceptsFor(w, trigger.id),
      };
    });
  },
  detect: (_headers, body) => {
    if (!body || typeof body !== "object") return false;
    const b = body as Record<string, unknown>;
    return "billing_circle" in b && ("call_id" in b || "uuid" in b);
  },
  validate(body, headers, path) {
    if (!body || typeof body !== "object") return { ok: false, issues: ["not an Acefone webhook body"] };
    const ct = firstHeader(headers, "content-type") ?? "";
    // a GET query shares the URL with the user's own parameters (a secret, a tenant id): only Acefone's keys count
    const lenient = ct === "";
    let b = body as Record<string, unknown>;
    const trigger = triggerOf(b, path, lenient);
    if (!trigger) {
      return {
        ok: false,
        issues: [
          "its keys match no Acefone trigger's variable set (register one URL per trigger, e.g. /acefone/call-hangup, to name it)",
        ],
      };
    }
    if (lenient) {
      const t = acefoneTrigger(trigger);
      const known = new Set([
        ...t.variables,
        ...(t.observedExtras ?? []),
        CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE,
      ]);
      b = Object.fromEntries(Object.entries(b).filter(([k]) => known.has(k)));
    }
    const encoding = ct.includes("json") ? "json" : "form";
    const schema = triggerPayloadSchema(trigger, {
      dateFormat: detectDateFormat(b),
      encoding,
      smartfloQuirks: true,
    });
    const r = schema.safeParse(b);
    return {
      ok: r.success,
      event: trigger,
      issues: r.success ? [] : issueLines(r.error),
    };
  },
  okResponse: { status: 200 },
  callIdOf: (body) => stringField(body, "call_id"),
  dedupeKeyOf(body) {
    if (!body || typeof body !== "object") return undefined;
    const b = body as Record<string, unknown>;
    // integrators key on call_id plus the trigger (uuid changes per leg)
    return `${keyText(b.call_id)}|${keyText(b.uuid)}|${Object.keys(b).length}|${keyText(b.call_status)}|${keyText(b.disposition)}`;
  },
};

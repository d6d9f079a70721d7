import { z } from "zod";
import { PbxsimError } from "../../core/errors.js";
import { GO_USER_AGENT, HeaderMapSchema, headerFault } from "../../core/encoding.js";
import { jsonError } from "../../core/json-error.js";
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
import { HOOKS, projectWebitel, VARIABLES } from "./project.js";
import { webitelDirectory, webitelRegion } from "./world.js";

/**
 * Webitel has no built-in webhook: a queue hook starts a flow schema, and the schema's
 * `httpRequest` step makes the request. pbxsim plays that step: by default POST, JSON added as
 * the content type, a flat JSON object of the hook's variables (every value a string), a 1 s
 * timeout, no retries, any status accepted; a targets file gives each schema its own URL (with
 * `${var}` substitution), method, headers, body template and timeout.
 */

const transport: TransportSpec = {
  method: "POST",
  contentType: "application/json",
  auth: { kind: "none" },
  success: { kind: "any" },
  timeoutMs: 1_000,
  retrySchedule: [],
  unordered: true,
};

const VAR_REF = /\$\{([A-Za-z0-9_.]+)\}/g;

/** `${var}` substitution as the flow runtime does it: an unknown variable becomes "". */
export function substitute(text: string, vars: Record<string, unknown>): string {
  if (!text.includes("${")) return text;
  return text.replace(VAR_REF, (_m, name: string) => {
    const v = vars[name];
    return v === undefined || v === null ? "" : String(v);
  });
}

/** Go's json.Marshal of a map: keys sorted at every level, compact. */
function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function marshalMap(map: Record<string, unknown>): string {
  return JSON.stringify(sortDeep(map));
}

/** The projection's variables in sorted order, and each one's marshalled `"name":`. */
const SORTED_VARIABLES: readonly string[] = [...VARIABLES].sort();
const SORTED_KEYS: readonly string[] = SORTED_VARIABLES.map((k) => `${JSON.stringify(k)}:`);

/**
 * `marshalMap` of a hook's default body, written without sorting: when the map is a plain object
 * whose keys are all projection variables and whose values are all strings, its sorted key order is
 * a subsequence of SORTED_VARIABLES. Any other map (a `--set` field, a non-string value) gives
 * undefined.
 */
function marshalVariables(vars: Record<string, unknown>): string | undefined {
  if (Object.getPrototypeOf(vars) !== Object.prototype) return undefined;
  let out = "{";
  let n = 0;
  for (let i = 0; i < SORTED_VARIABLES.length; i++) {
    const v = vars[SORTED_VARIABLES[i]!];
    if (v === undefined) continue;
    if (typeof v !== "string") return undefined;
    out += `${n++ === 0 ? "" : ","}${SORTED_KEYS[i]!}${JSON.stringify(v)}`;
  }
  return n === Object.keys(vars).length ? `${out}}` : undefined;
}

function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export interface SchemaRequest {
  hooks?: string[];
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body template: a map (marshalled, then variables substituted) or a string. */
  data?: Record<string, unknown> | string;
  contentType?: string;
  timeoutMs?: number;
}

/** Builds the httpRequest step's request for one hook run. */
export function buildRequest(vars: Record<string, string>, step: SchemaRequest): EncodedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.headers)) headers[k.toLowerCase()] = substitute(v, vars);
  const contentType = step.contentType ?? headers["content-type"] ?? "application/json";
  headers["content-type"] = contentType;
  // Go's client adds its own User-Agent unless the schema sets one
  headers["user-agent"] ??= GO_USER_AGENT;
  const url = substitute(step.url, vars);
  let body: string;
  if (step.data === undefined) {
    body = marshalVariables(vars) ?? marshalMap(vars);
  } else if (typeof step.data === "string") {
    body = substitute(step.data, vars);
  } else if (contentType.includes("x-www-form-urlencoded")) {
    body = Object.keys(step.data)
      .sort()
      .map(
        (k) =>
          `${encodeURIComponent(k)}=${encodeURIComponent(substitute(String((step.data as Record<string, unknown>)[k]), vars))}`,
      )
      .join("&");
  } else {
    // a map is marshalled first, then the variables are substituted in its text (JSON-escaped here)
    const escaped: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) escaped[k] = jsonEscape(v);
    body = substitute(marshalMap(step.data), escaped);
  }
  return {
    method: step.method,
    url,
    headers,
    body: step.method === "GET" && step.data === undefined ? "" : body,
  };
}

const SchemaStepSchema = z.strictObject({
  name: z.string().optional(),
  hooks: z.array(z.enum(HOOKS)).optional(),
  queues: z.array(z.union([z.string(), z.number()])).optional(),
  url: z.string().min(1),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("POST"),
  headers: HeaderMapSchema.default({}),
  data: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  content_type: z.string().optional(),
  timeout: z.number().int().min(1).max(600_000).optional(),
  insecureSkipVerify: z.boolean().default(false),
});

/** The default body: the hook's variables, all strings; these are always there. */
export const WebitelDefaultBodySchema = z
  .object({
    state: z.enum(HOOKS),
    channel: z.enum(["call", "chat", "task", "out_call", "im"]),
    destination: z.string().min(1),
    attempt_id: z.string().regex(/^\d+$/, "expected a numeric id as a string"),
    timestamp: z.string().regex(/^\d{13}$/, "expected epoch milliseconds"),
    joined_at: z.string().regex(/^\d{13}$/, "expected epoch milliseconds"),
    queue_id: z.string().regex(/^\d+$/, "expected a numeric id as a string"),
    bridged_at: z
      .string()
      .regex(/^\d{13}$/, "expected epoch milliseconds")
      .optional(),
    use_processing: z.literal("true").optional(),
    call_bill_sec: z.string().regex(/^\d+$/).optional(),
    call_duration: z.string().regex(/^\d+$/).optional(),
    call_voice_sec: z.string().regex(/^\d+$/).optional(),
    call_sip_code: z
      .string()
      .regex(/^[1-6]\d\d$/)
      .optional(),
    amd_result: z.enum(["HUMAN", "MACHINE", "NOTSURE"]).optional(),
    agent_id: z.string().regex(/^\d+$/).optional(),
    user_id: z.string().regex(/^\d+$/).optional(),
    member_id: z.string().regex(/^\d+$/).optional(),
    agent_channel_id: z
      .string()
      .regex(/^[0-9a-f-]{36}$/)
      .optional(),
    member_channel_id: z
      .string()
      .regex(/^[0-9a-f-]{36}$/)
      .optional(),
  })
  .catchall(z.string().min(1, "an empty variable is absent, never sent as an empty string"));

function sampleCalls(start: number): SimulatedCall[] {
  const dir = webitelDirectory();
  const [a1, a2] = dir.members["12"]!;
  const caller = { e164: "+380671234567", national: "0671234567" };
  const summary = {
    outcome: "answered" as const,
    agents: [],
    waitMs: 0,
    talkMs: 0,
    durationMs: 0,
    callbackItems: 0,
  };
  const inbound: Fact[] = [
    { kind: "arrive", at: 0, target: "queue" },
    { kind: "enqueue", at: 500, queue: "12" },
    { kind: "offer", at: 9_000, agent: a1! },
    { kind: "miss", at: 24_000, agent: a1!, reason: "noanswer" },
    { kind: "offer", at: 25_000, agent: a2! },
    { kind: "answer", at: 31_000, agent: a2! },
    { kind: "hangup", at: 151_000, by: "caller", cause: "normal" },
    { kind: "wrapup-start", at: 151_000, agent: a2!, maxSec: 60 },
    { kind: "wrapup-end", at: 181_000, agent: a2!, reason: "manual", elapsedSec: 30 },
  ];
  const preview: Fact[] = [
    { kind: "offer", at: 0, agent: a1! },
    { kind: "answer", at: 4_000, agent: a1! },
    { kind: "remote-answer", at: 14_000 },
    { kind: "hangup", at: 90_000, by: "agent", cause: "normal" },
  ];
  return [
    {
      key: "1",
      scenario: "sample/in",
      vendor: "webitel",
      start,
      direction: "inbound",
      origin: "pbx",
      channel: "call",
      caller,
      dialled: caller,
      queue: "12",
      facts: inbound,
      summary,
    },
    {
      key: "2",
      scenario: "sample/preview",
      vendor: "webitel",
      start,
      direction: "outbound",
      origin: "preview",
      channel: "call",
      caller,
      dialled: caller,
      queue: "15",
      facts: preview,
      summary,
    },
  ];
}

export const webitel: Vendor = {
  id: "webitel",
  displayName: "Webitel",
  profiles: ["default"],
  defaultProfile: "default",
  supports: {
    arrive: "silent",
    ivr: "silent",
    dtmf: "silent",
    enqueue: "events",
    offer: "events",
    answer: "events",
    miss: "events",
    dial: "silent",
    "remote-ringing": "silent",
    "remote-answer": "events",
    "transfer-start": "silent",
    "transfer-end": "events",
    hangup: "events",
    "wrapup-start": "events",
    "wrapup-end": "events",
    disposition: "events",
    recording: "silent",
  },
  events: HOOKS.map((h) => ({
    name: h,
    description: {
      joined: "Joined: a member entered the queue",
      offering: "Offering: the attempt was offered to an agent (the agent's leg rings)",
      active: "Answered/Active: the agent answered (offline and preview queues)",
      bridged: "Bridged: agent and member were connected",
      missed: "Missed: the agent did not answer or rejected",
      processing: "Processing: post-call processing started (queues with processing on)",
      leaving: "Leaving: the member left the queue; always the last hook of an attempt",
    }[h],
    schema: WebitelDefaultBodySchema,
    group: "queue hook",
  })),
  directory: webitelDirectory,
  region: webitelRegion,
  project: projectWebitel,
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent {
    for (const call of sampleCalls(start)) {
      const ev = projectWebitel(call, ctx).find((e) => e.name === eventName);
      if (ev) return { ...ev, at: 0 };
    }
    throw new PbxsimError("EVENT", `webitel has no hook "${eventName}".`);
  },
  transport: () => transport,
  methods: () => ["POST", "GET", "PUT", "PATCH", "DELETE"],
  options: {
    template: 'the httpRequest body as JSON, with ${var} ({"event":"${state}"})',
    headers: "the httpRequest headers as a JSON object",
    content_type: "the httpRequest content type (application/json)",
  },
  checkOption(key, value) {
    if (key !== "template" && key !== "headers") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      throw new PbxsimError(
        "USAGE",
        `--option ${key}=${value}: not JSON (${jsonError(value, e).reason}); write a JSON object, e.g. ${key === "template" ? `'{"event":"\${state}"}'` : `'{"X-Source":"webitel"}'`}.`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new PbxsimError("USAGE", `--option ${key}=${value}: write a JSON object ({...}).`);
    if (key === "headers") {
      for (const [name, v] of Object.entries(parsed)) {
        if (typeof v !== "string")
          throw new PbxsimError("USAGE", `--option headers=${value}: every header value is a string.`);
        const fault = headerFault(name, v);
        if (fault) throw new PbxsimError("USAGE", `--option headers=${value}: header ${name}: ${fault}.`);
      }
    }
  },
  encode(event, { url, method, options }): EncodedRequest {
    const step: SchemaRequest = {
      url,
      method: method ?? "POST",
      // the schema's headers are substituted per hook run, like its URL and body
      headers: options?.headers ? (JSON.parse(options.headers) as Record<string, string>) : {},
      data: options?.template ? (JSON.parse(options.template) as Record<string, unknown>) : undefined,
      contentType: options?.content_type,
    };
    return buildRequest(event.payload as Record<string, string>, step);
  },
  parseTargets(section, file): TargetSettings[] {
    const list = parseTargetsSection(
      z.array(SchemaStepSchema).min(1),
      section,
      file,
      "webitel",
      `The webitel section lists the flow schemas' httpRequest steps: hooks, queues, url (with \${var}), method, headers, data (a map or a string template), content_type, timeout (ms), insecureSkipVerify.`,
    );
    return list.map((w) => ({
      name: w.name,
      url: w.url,
      method: w.method,
      insecure: w.insecureSkipVerify,
      timeoutMs: w.timeout,
      options: {
        ...(w.data !== undefined
          ? { template: typeof w.data === "string" ? JSON.stringify(w.data) : JSON.stringify(w.data) }
          : {}),
        ...(w.content_type ? { content_type: w.content_type } : {}),
        ...(Object.keys(w.headers).length ? { headers: JSON.stringify(w.headers) } : {}),
      },
      accepts: (e: VendorEvent) =>
        (!w.hooks || (w.hooks as string[]).includes(e.name)) &&
        (!w.queues || w.queues.map(String).includes(e.meta?.queueId ?? "")),
    }));
  },
  detect: (_headers, body) =>
    !!body &&
    typeof body === "object" &&
    typeof (body as Record<string, unknown>).attempt_id === "string" &&
    typeof (body as Record<string, unknown>).state === "string",
  validate(body) {
    if (!body || typeof body !== "object") {
      return { ok: true, issues: ["a custom body template: its shape is the schema author's, not checked"] };
    }
    const b = body as Record<string, unknown>;
    // the default body carries the attempt's id, its state and its clocks; anything else is a schema author's template
    const looksDefault =
      "attempt_id" in b && "state" in b && ("timestamp" in b || "joined_at" in b || "queue_id" in b);
    if (!looksDefault) {
      return {
        ok: true,
        event: undefined,
        issues: ["a custom body template: its shape is the schema author's, not checked"],
      };
    }
    const r = WebitelDefaultBodySchema.safeParse(body);
    return {
      ok: r.success,
      event: typeof b.state === "string" ? b.state : undefined,
      issues: r.success ? [] : issueLines(r.error),
    };
  },
  okResponse: { status: 200 },
  callIdOf: (body) => stringField(body, "attempt_id"),
  dedupeKeyOf(body) {
    if (!body || typeof body !== "object") return undefined;
    const b = body as Record<string, unknown>;
    return `${keyText(b.attempt_id)}|${keyText(b.state)}|${keyText(b.timestamp)}`;
  },
};

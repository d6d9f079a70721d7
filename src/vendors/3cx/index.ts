import { z } from "zod";
import { PbxsimError } from "../../core/errors.js";
import type { Fact, SimulatedCall } from "../../core/model.js";
import {
  type EncodedRequest,
  issueLines,
  keyText,
  parseTargetsSection,
  type ProjectionContext,
  type TargetSettings,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../../core/vendor.js";
import { projectThreeCx } from "./project.js";
import { FormRecordingSchema, threeCxEvent, threeCxEvents } from "./schemas.js";
import { threeCxDirectory, threeCxRegion } from "./world.js";
import { formEncode, withQuery } from "../../core/encoding.js";

/**
 * The 3CX WebhooksApi add-on: no auth, no signature, no documented retries. One attempt, any
 * response accepted; users protect the endpoint with a secret in the URL or an IP allow-list,
 * so query parameters in the URL and extra headers pass through untouched.
 */

export const THREECX_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The add-on's own settings (its .ini file): WEBHOOK_URL receives every event; WEBHOOK_POST_URL,
 * when set, receives the recording notice instead (the request sent once the recording exists).
 */
const ThreeCxTargetsSchema = z.strictObject({
  WEBHOOK_URL: z.string().min(1),
  WEBHOOK_POST_URL: z.string().min(1).optional(),
});

function transport(profile: string): TransportSpec {
  return {
    method: profile === "form" ? "GET" : "POST",
    contentType: profile === "form" ? "application/x-www-form-urlencoded" : "application/json",
    auth: { kind: "none" },
    success: { kind: "any" },
    timeoutMs: THREECX_DEFAULT_TIMEOUT_MS,
    retrySchedule: [],
  };
}

/** A short answered call in each direction, to draw single events from for `pbxsim send`. */
function sampleCall(outbound: boolean, start: number, profile: string): SimulatedCall {
  const form = profile === "form";
  const facts: Fact[] = outbound
    ? [
        { kind: "dial", at: 0, agent: "117" },
        { kind: "remote-answer", at: 9_000 },
        { kind: "hangup", at: 74_000, by: "agent", cause: "normal" },
        { kind: "recording", at: 78_000, durationMs: 65_000 },
      ]
    : [
        { kind: "arrive", at: 0, target: "queue" },
        { kind: "ivr", at: 0, menu: "Main menu" },
        { kind: "enqueue", at: 8_000, queue: "820" },
        { kind: "offer", at: 20_000, agent: "202" },
        { kind: "answer", at: 26_000, agent: "202" },
        { kind: "hangup", at: 133_000, by: "caller", cause: "normal" },
        { kind: "recording", at: 137_000, durationMs: 107_000 },
      ];
  return {
    key: "1",
    scenario: "-",
    vendor: "3cx",
    start,
    direction: outbound ? "outbound" : "inbound",
    caller: outbound
      ? { e164: "117", national: "117" }
      : form
        ? { e164: "+420774852629", national: "774852629" }
        : { e164: "+905552221133", national: "05552221133" },
    dialled: outbound
      ? form
        ? { e164: "+420222123456", national: "222123456" }
        : { e164: "+902125550123", national: "02125550123" }
      : { e164: "820", national: "820" },
    queue: "820",
    user: outbound ? "117" : undefined,
    facts,
    summary: { outcome: "answered", agents: [], waitMs: 0, talkMs: 0, durationMs: 0, callbackItems: 0 },
  };
}

function kindOf(body: unknown): { profile: "k2m-json" | "form"; name: string } | undefined {
  if (typeof body === "string")
    return /\/webapi\/recording\//.test(body) ? { profile: "form", name: "recording" } : undefined;
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.Event === "string") return { profile: "k2m-json", name: b.Event };
  if (typeof b.event === "string") return { profile: "form", name: b.event };
  return undefined;
}

export const threeCx: Vendor = {
  id: "3cx",
  displayName: "3CX WebhooksApi add-on",
  profiles: ["k2m-json", "form"],
  defaultProfile: "k2m-json",
  supports: {
    arrive: "silent",
    ivr: "events",
    dtmf: "silent",
    enqueue: "events",
    offer: "events",
    answer: "events",
    miss: "silent",
    dial: "events",
    "remote-ringing": "silent",
    "remote-answer": "events",
    "transfer-start": "events",
    "transfer-end": "events",
    hangup: "events",
    recording: "events",
  },
  events: threeCxEvents.map((e) => ({
    name: e.name,
    description: e.description,
    schema: e.schema,
    group: e.profile,
    profiles: [e.profile],
  })),
  directory: threeCxDirectory,
  region: threeCxRegion,
  project: (call, ctx) => projectThreeCx(call, ctx, { fqdn: ctx.options?.fqdn }),
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent {
    const outbound = ["dialing", "outgoingcall_started", "hangupoutgoing", "outgoing"].includes(eventName);
    const events = projectThreeCx(sampleCall(outbound, start, ctx.profile), ctx, { fqdn: ctx.options?.fqdn });
    const ev = events.find((e) => e.name === eventName);
    if (!ev) throw new PbxsimError("EVENT", `3cx profile ${ctx.profile} has no event "${eventName}".`);
    return { ...ev, at: 0 };
  },
  transport,
  parseTargets(section, file): TargetSettings[] {
    const { WEBHOOK_URL: url, WEBHOOK_POST_URL: recordingUrl } = parseTargetsSection(
      ThreeCxTargetsSchema,
      section,
      file,
      "3cx",
      "The 3cx section mirrors the add-on's settings: WEBHOOK_URL (every event) and, optionally, WEBHOOK_POST_URL (the recording notice).",
    );
    if (recordingUrl === undefined) return [{ url }];
    return [
      { url, name: "WEBHOOK_URL", accepts: (e) => e.name !== "recording" },
      { url: recordingUrl, name: "WEBHOOK_POST_URL", accepts: (e) => e.name === "recording" },
    ];
  },
  methods: (profile) => (profile === "form" ? ["GET", "POST"] : ["POST"]),
  options: { fqdn: "the 3CX host name of recording URLs (pbx.example.com)" },
  encode(event, { profile, url, method }): EncodedRequest {
    if (profile !== "form") {
      return {
        method: "POST",
        url,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event.payload),
      };
    }
    const m = method ?? "GET";
    const bare = event.name === "recording" ? String(event.payload.url) : undefined;
    if (m === "GET")
      return { method: "GET", url: withQuery(url, bare ?? formEncode(event.payload)), headers: {}, body: "" };
    if (bare !== undefined) return { method: m, url, headers: { "content-type": "text/plain" }, body: bare };
    return {
      method: m,
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: formEncode(event.payload),
    };
  },
  detect: (_headers, body) => {
    const k = kindOf(body);
    return k !== undefined && threeCxEvent(k.profile, k.name) !== undefined;
  },
  validate(body) {
    const k = kindOf(body);
    if (!k) return { ok: false, issues: ["not a 3CX webhook: no Event/event field and not a recording URL"] };
    if (typeof body === "string") {
      const r = FormRecordingSchema.safeParse(body);
      return {
        ok: r.success,
        event: "recording",
        issues: r.success ? [] : r.error.issues.map((i) => i.message),
      };
    }
    const def = threeCxEvent(k.profile, k.name);
    if (!def) return { ok: false, event: k.name, issues: [`unknown 3CX ${k.profile} event "${k.name}"`] };
    // the form scheme shares its query string with the user's own parameters (a URL secret): only 3CX keys count
    const shape = (def.schema as unknown as { shape?: Record<string, unknown> }).shape;
    const data =
      k.profile === "form" && shape && typeof body === "object"
        ? Object.fromEntries(
            Object.entries(body as Record<string, unknown>).filter(([key]) => Object.hasOwn(shape, key)),
          )
        : body;
    const r = def.schema.safeParse(data);
    return {
      ok: r.success,
      event: k.name,
      issues: r.success ? [] : issueLines(r.error),
    };
  },
  okResponse: { status: 200 },
  callIdOf(body) {
    const id =
      typeof body === "string"
        ? /recording\/(\d{12}_\d+)-/.exec(body)?.[1]
        : body && typeof body === "object"
          ? keyText((body as Record<string, unknown>).Id ?? (body as Record<string, unknown>).id)
          : undefined;
    return id ? id.replace(/-\d+$/, "") : undefined;
  },
  dedupeKeyOf(body) {
    if (typeof body === "string") return body;
    if (!body || typeof body !== "object") return undefined;
    const b = body as Record<string, unknown>;
    return `${keyText(b.Event ?? b.event)}|${keyText(b.Id ?? b.id)}|${keyText(b.User ?? b.user)}`;
  },
};

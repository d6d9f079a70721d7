import { isIP } from "node:net";
import { z } from "zod";
import { PbxsimError } from "../../core/errors.js";
import { GO_USER_AGENT } from "../../core/encoding.js";
import type { Fact, SimulatedCall } from "../../core/model.js";
import { signatureHeaderValue } from "../../core/signing.js";
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
import { projectVoipbin } from "./project.js";
import { envelopeSchema, voipbinEvents } from "./schemas.js";
import { voipbinDirectory, voipbinRegion } from "./world.js";

/**
 * VoIPBIN: one URL and one method per customer; a compact `{"type","data"}` JSON body (sent even
 * with GET). Legacy: no signature, any status delivered, one attempt. Current: signed with
 * `X-VoIPBIN-Signature`, any status below 500 delivered, 3 attempts 1 s apart on 5xx or a
 * transport error, 30 s per attempt.
 */

export const SIGNATURE_HEADER = "x-voipbin-signature";
export const SIGNATURE_PREFIX = "sha256=";

/** Private, loopback, link-local, CGN and TEST-NET targets: current VoIPBIN refuses them. */
function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 6) return h === "::1" || /^f[cd]/i.test(h) || /^fe80/i.test(h);
  if (isIP(h) !== 4) return false;
  const [a, b, c] = h.split(".").map(Number) as [number, number, number];
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a === 0
  );
}

function transport(profile: string): TransportSpec {
  // the target check came with the current generation
  const targetRule = (url: URL) =>
    profile === "current" && isPrivateHost(url.hostname)
      ? "real VoIPBIN refuses private and loopback webhook URLs (it validates every target)"
      : undefined;
  if (profile === "current") {
    return {
      method: "POST",
      contentType: "application/json",
      auth: { kind: "hmac-sha256", header: SIGNATURE_HEADER, prefix: SIGNATURE_PREFIX },
      success: { kind: "range", min: 100, max: 499 },
      timeoutMs: 30_000,
      retrySchedule: [1_000, 1_000],
      unordered: true,
      targetRule,
      // the chain is capped at three requests (vendor-facts §1a)
      redirects: { max: 2 },
    };
  }
  return {
    method: "POST",
    contentType: "application/json",
    auth: { kind: "none" },
    success: { kind: "any" },
    // the legacy client had no timeout at all; pbxsim bounds an attempt at 60 s
    timeoutMs: 60_000,
    retrySchedule: [],
    unordered: true,
    targetRule,
    // Go's zero-value http.Client: its default policy refuses the 11th request ("stopped after 10
    // redirects"), so nine redirects are followed
    redirects: { max: 9 },
  };
}

/** A short answered inbound queue call and an outbound call, to draw single events from for `pbxsim send`. */
function sampleCalls(start: number): SimulatedCall[] {
  const dir = voipbinDirectory();
  const queue = dir.queues[0]!;
  const [a1, a2] = dir.members[queue.key]!;
  const base = {
    vendor: "voipbin",
    start,
    queue: queue.key,
    summary: {
      outcome: "answered" as const,
      agents: [],
      waitMs: 0,
      talkMs: 0,
      durationMs: 0,
      callbackItems: 0,
    },
    flow: [
      { ref: "1", type: "answer" },
      {
        ref: "2",
        type: "talk",
        option: { text: "Hello, thank you for calling.", gender: "female", language: "en-US" },
      },
      { ref: "3", type: "queue_join", option: { queue_id: queue.key } },
    ],
  };
  const inbound: Fact[] = [
    { kind: "arrive", at: 0, target: "queue" },
    { kind: "action", at: 1_200, type: "answer" },
    { kind: "action", at: 1_600, type: "talk" },
    { kind: "enqueue", at: 5_000, queue: queue.key },
    { kind: "offer", at: 12_000, agent: a1! },
    { kind: "miss", at: 27_000, agent: a1!, reason: "noanswer" },
    { kind: "overflow", at: 27_500, to: "number" },
  ];
  const served: Fact[] = [
    { kind: "arrive", at: 0, target: "queue" },
    { kind: "action", at: 1_200, type: "answer" },
    { kind: "enqueue", at: 5_000, queue: queue.key },
    { kind: "offer", at: 12_000, agent: a2! },
    { kind: "answer", at: 16_000, agent: a2! },
    { kind: "hangup", at: 96_000, by: "caller", cause: "normal" },
  ];
  const outbound: Fact[] = [
    { kind: "dial", at: 0, agent: a1! },
    { kind: "remote-ringing", at: 2_000 },
    { kind: "remote-answer", at: 9_000 },
    { kind: "action", at: 9_400, type: "talk" },
    { kind: "hangup", at: 30_000, by: "agent", cause: "normal" },
  ];
  const caller = { e164: "+15555550123", national: "5555550123" };
  const dialled = { e164: "+15551230000", national: "5551230000" };
  const remote = { e164: "+15555550199", national: "5555550199" };
  const outboundCancel: Fact[] = [
    { kind: "dial", at: 0, agent: a1! },
    { kind: "remote-ringing", at: 2_000 },
    { kind: "hangup", at: 9_000, by: "agent", cause: "cancel" },
  ];
  return [
    { ...base, key: "1", scenario: "sample/inbound", direction: "inbound", caller, dialled, facts: inbound },
    { ...base, key: "2", scenario: "sample/served", direction: "inbound", caller, dialled, facts: served },
    {
      ...base,
      key: "3",
      scenario: "sample/outbound",
      direction: "outbound",
      caller: dialled,
      dialled: remote,
      facts: outbound,
    },
    {
      ...base,
      key: "4",
      scenario: "sample/cancel",
      direction: "outbound",
      caller: dialled,
      dialled: remote,
      facts: outboundCancel,
    },
  ];
}

const VoipbinTargetsSchema = z.strictObject({
  webhook_uri: z.string().min(1),
  webhook_method: z.enum(["POST", "PUT", "GET", "DELETE"]).default("POST"),
  webhook_secret: z.string().optional(),
});

function generation(body: unknown): "legacy" | "current" | undefined {
  if (!body || typeof body !== "object") return undefined;
  const data = (body as { data?: Record<string, unknown> }).data;
  if (!data || typeof data !== "object") return undefined;
  const name = keyText((body as { type?: unknown }).type);
  const def = voipbinEvents.find((e) => e.name === name);
  if (def && def.profiles.length === 1) return def.profiles[0];
  // structure tells the generations apart: legacy activeflows carry the whole `actions` list, current
  // calls, queuecalls and agents carry `customer_id`
  if (name.startsWith("activeflow_")) return "actions" in data ? "legacy" : "current";
  return "customer_id" in data ? "current" : "legacy";
}

export const voipbin: Vendor = {
  id: "voipbin",
  displayName: "VoIPBIN",
  profiles: ["legacy", "current"],
  defaultProfile: "legacy",
  supports: {
    arrive: "events",
    dtmf: "silent",
    enqueue: "events",
    offer: "events",
    answer: "events",
    miss: "events",
    dial: "events",
    "remote-ringing": "events",
    "remote-answer": "events",
    "transfer-start": "events",
    "transfer-end": "events",
    hangup: "events",
    overflow: "events",
    action: "events",
  },
  events: voipbinEvents.flatMap((e) =>
    e.profiles.map((p) => ({
      name: e.name,
      description: e.description,
      schema: envelopeSchema(e, p),
      group: `${e.resource} (${p})`,
      profiles: [p],
    })),
  ),
  directory: voipbinDirectory,
  region: voipbinRegion,
  project: projectVoipbin,
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent {
    // call_dialing: an outgoing call in its first status (the code names the event after it)
    const wanted = eventName === "call_dialing" && ctx.profile === "current" ? "call_created" : eventName;
    for (const call of sampleCalls(start)) {
      const ev = projectVoipbin(call, ctx).find(
        (e) =>
          e.name === wanted &&
          (wanted !== "call_created" ||
            eventName !== "call_dialing" ||
            (e.payload.data as { status?: string }).status === "dialing"),
      );
      if (ev)
        return eventName === wanted
          ? { ...ev, at: 0 }
          : { ...ev, at: 0, name: eventName, payload: { ...ev.payload, type: eventName } };
    }
    throw new PbxsimError("EVENT", `voipbin profile ${ctx.profile} has no event "${eventName}".`);
  },
  transport,
  methods: () => ["POST", "PUT", "GET", "DELETE"],
  encode(event, { profile, url, secret, method }): EncodedRequest {
    const body = JSON.stringify(event.payload);
    // Go's client adds its User-Agent; the webhook manager sets no other header
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": GO_USER_AGENT,
    };
    if (profile === "current" && secret)
      headers[SIGNATURE_HEADER] = signatureHeaderValue(SIGNATURE_PREFIX, secret, body);
    return { method: method ?? "POST", url, headers, body };
  },
  parseTargets(section, file): TargetSettings[] {
    const { webhook_uri, webhook_method, webhook_secret } = parseTargetsSection(
      VoipbinTargetsSchema,
      section,
      file,
      "voipbin",
      "The voipbin section mirrors the customer's webhook settings: webhook_uri, webhook_method (POST, PUT, GET or DELETE) and webhook_secret.",
    );
    return [{ url: webhook_uri, method: webhook_method, secret: webhook_secret }];
  },
  detect: (headers, body) => {
    if (headers[SIGNATURE_HEADER] !== undefined) return true;
    if (!body || typeof body !== "object") return false;
    const b = body as { type?: unknown; data?: unknown };
    return (
      typeof b.type === "string" && voipbinEvents.some((e) => e.name === b.type) && typeof b.data === "object"
    );
  },
  validate(body) {
    const name = body && typeof body === "object" ? keyText((body as { type?: unknown }).type) : "";
    const def = voipbinEvents.find((e) => e.name === name);
    if (!def)
      return { ok: false, event: name || undefined, issues: [`unknown VoIPBIN event type "${name}"`] };
    const gen = generation(body) ?? "legacy";
    if (!def.profiles.includes(gen)) {
      return { ok: false, event: name, issues: [`${name} is not sent by the ${gen} generation`] };
    }
    const r = envelopeSchema(def, gen).safeParse(body);
    return {
      ok: r.success,
      event: name,
      issues: r.success ? [] : issueLines(r.error),
    };
  },
  authApplies: (body) => generation(body) === "current",
  okResponse: { status: 200 },
  callIdOf(body) {
    if (!body || typeof body !== "object") return undefined;
    const b = body as { type?: unknown; data?: Record<string, unknown> };
    const d = b.data && typeof b.data === "object" ? b.data : {};
    const type = typeof b.type === "string" ? b.type : "";
    if (type.startsWith("call_")) {
      const master = d.master_call_id;
      return typeof master === "string" && !/^0{8}-/.test(master) ? master : stringField(d, "id");
    }
    if (type.startsWith("activeflow_") || type.startsWith("queuecall_"))
      return stringField(d, "reference_id");
    if (type.startsWith("groupcall_")) return stringField(d, "master_call_id");
    return undefined;
  },
  dedupeKeyOf(body) {
    if (!body || typeof body !== "object") return undefined;
    const b = body as { type?: string; data?: Record<string, unknown> };
    const d = b.data ?? {};
    // the documented dedupe: type + resource id + status (or update time)
    return `${keyText(b.type)}|${keyText(d.id)}|${keyText(d.status)}|${keyText(d.tm_update)}`;
  },
};

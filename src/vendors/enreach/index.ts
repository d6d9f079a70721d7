import { z } from "zod";
import { TargetsError } from "../../core/errors.js";
import { closest, didYouMean } from "../../core/suggest.js";
import type { Rng } from "../../core/random.js";
import {
  type EncodedRequest,
  parseTargetsSection,
  type ProjectionContext,
  stringField,
  type TargetSettings,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../../core/vendor.js";
import { DOTNET_MAX_DATETIME, dotNetDateTime } from "./format.js";
import { buildPayload, callbackListStatusValues, projectEnreach } from "./project.js";
import { type EnreachEventName, enreachEventNames, enreachEvents } from "./schemas.js";
import { enreachDirectory, enreachRegion, ORGANIZATION_ID } from "./world.js";
import { firstHeader } from "../../core/encoding.js";

/**
 * Enreach (formerly Benemen): POST JSON over HTTPS to one endpoint, `X-Benemen-Event` with the
 * event type, `X-Benemen-Token` with the shared secret when one is set, success only on 200,
 * "retried a few times and then discarded".
 */

/** The retry count and backoff are undocumented; pbxsim's default: 3 retries after 5 s, 30 s, 2 min. */
export const ENREACH_DEFAULT_RETRIES = [5_000, 30_000, 120_000];
/** The request timeout is undocumented; pbxsim's default. */
export const ENREACH_DEFAULT_TIMEOUT_MS = 10_000;

const transport: TransportSpec = {
  method: "POST",
  contentType: "application/json; charset=utf-8",
  auth: { kind: "token", header: "x-benemen-token" },
  success: { kind: "exact", statuses: [200] },
  timeoutMs: ENREACH_DEFAULT_TIMEOUT_MS,
  retrySchedule: ENREACH_DEFAULT_RETRIES,
  targetRule(url) {
    if (url.protocol !== "https:")
      return "real Enreach delivers over HTTPS only; it would refuse this http:// endpoint";
    if (url.port && url.port !== "443")
      return `real Enreach delivers to port 443 only; it would refuse port ${url.port}`;
    return undefined;
  },
};

/** Sample values for `pbxsim send`: a plausible single event of any type. */
function sampleValues(name: EnreachEventName, rng: Rng, start: number): Record<string, unknown> {
  const dir = enreachDirectory();
  const queue = rng.pick(dir.queues);
  const agent = rng.pick(dir.agents.filter((a) => dir.members[queue.key]?.includes(a.key)));
  const other = rng.pick(dir.agents.filter((a) => a.key !== agent.key));
  const list = dir.callLists[0]!;
  const callId = rng.uuid();
  const legId = rng.uuid();
  const caller = `+35850${rng.digits(7)}`;
  const ts = dotNetDateTime(start);
  const def = enreachEvents[name];
  const entity =
    def.entityType === "Queue" ? queue.key : def.entityType === "CallList" ? list.key : agent.key;
  const base: Record<string, unknown> = {
    EntityId: entity,
    CallerNumber: caller,
    CallId: callId,
    LegId: legId,
    TargetNumber: queue.number.e164,
    QueueId: queue.key,
    QueueName: queue.name,
    QueueNumber: queue.number.e164,
    UserId: agent.key,
    UserName: agent.email,
    UserNumber: agent.number.e164,
    AgentLegId: rng.uuid(),
    DetailedReason: null,
    Reason: "remote",
    TechReason: null,
    ConnectedTarget: other.key,
    OverflowApplet: "CallbackRequest",
    TechEvent: "QueueTimeout",
    TechNumber: null,
    TechQueueId: queue.key,
    TechQueueName: queue.name,
    TechSource: "ServiceQueue",
    TechType: "User",
    TransferApplet: "Transfer",
    TransferSource: agent.key,
    TransferTarget: other.key,
    Target: other.number.e164,
    MaxWrapUpDurationSec: 60,
    ElapsedTimeSec: 34,
    Availability: "Available",
    EndTime: DOTNET_MAX_DATETIME,
    EventSource: "User",
    Note: null,
    ProfileId: rng.uuid(),
    StartTime: ts,
    AttachedUsers: (dir.members[queue.key] ?? []).map((u, i) => ({
      Active: true,
      Priority: i % 3,
      UserId: u,
    })),
    State: "Listening",
    SupervisorLegId: rng.uuid(),
    SupervisorUserId: other.key,
    SupervisorUserName: other.email,
    TargetUserId: agent.key,
    TargetUserName: agent.email,
  };
  const perEvent: Partial<Record<EnreachEventName, Record<string, unknown>>> = {
    UserCallInUserOverflow: { Reason: "NoAnswer" },
    UserWrapUpTerminated: { Reason: "timer" },
    UserCallInTransferCancelled: { Reason: "remote", DetailedReason: "NoAnswer" },
    QueueCallInTransferCancelled: { Reason: "remote", DetailedReason: "NoAnswer" },
    UserCallOutGoing: { CallerNumber: agent.number.e164, TargetNumber: caller },
    UserCallOutConnected: { CallerNumber: agent.number.e164, TargetNumber: caller },
    UserCallOutDisconnected: { CallerNumber: agent.number.e164, TargetNumber: caller, TechReason: null },
    UserStatus: {
      ActiveQueueId: queue.key,
      ActiveQueues: 2,
      Available: true,
      CanBeAllocatedTo: false,
      ParkedCalls: 0,
      Schedule: true,
      ServiceTerminals: 1,
      Serving: true,
      ServingCallback: false,
      Talking: true,
      WrapUpEnd: null,
    },
    UserSupervisionStatus: { QueueId: queue.key, QueueName: queue.name },
    QueueStatus: {
      MaxWaitTime: 42,
      NbrOfAgentsCheckedInQueue: 6,
      NbrOfAgentsImmediatelyFree: 3,
      NbrOfAgentsLongTermAway: 1,
      NbrOfAgentsOnWrapUp: 1,
      NbrOfAgentsShortTermAway: 1,
      NbrOfAllocated: 1,
      NbrOfConnected: 2,
      NbrOfNotServedRequesters: 2,
      NbrOfProviders: 6,
      NbrOfQueuingRequesters: 1,
      NbrOfRequesters: 4,
      NbrOfServingAgentsEstimate: 5,
      OpenStatus: 5,
    },
    CallbackChanged: {
      AssignedUserId: null,
      CalculatedPriority: "Normal",
      CallbackAttempts: [],
      CallbackExtras: [],
      CallBackId: rng.uuid(),
      CallbackRelatedItems: [],
      CallListId: list.key,
      ChannelIn: queue.name,
      ClassificationId: null,
      ContactMessage: null,
      ContactName: null,
      ContactNumber: caller,
      CreationTime: ts,
      DueDate: dotNetDateTime(start + 86_400_000),
      ExpiryDate: dotNetDateTime(start + 7 * 86_400_000),
      LastAttemptNote: null,
      LastAttemptTimestamp: null,
      LastAttemptTypeId: null,
      LastAttemptUserId: null,
      LastModifiedUserId: null,
      Modified: ts,
      NotBefore: null,
      RecordingId: null,
      TranscriptId: null,
      TypeId: 2,
    },
    CallbackListStatus: callbackListStatusValues(list.key, 1, 0),
  };
  return { ...base, ...perEvent[name] };
}

const SubscriptionSchema = z.union([
  z.strictObject({ EventType: z.string().min(1), AllEntities: z.literal(true) }),
  z.strictObject({ EventType: z.string().min(1), EntityId: z.string().regex(/^[0-9a-f-]{36}$/i) }),
]);

export const EnreachTargetsSchema = z.strictObject({
  Webhook: z.strictObject({
    Endpoint: z.string().min(1),
    InsecureSSL: z.boolean().default(false),
    Secret: z.string().nullable().optional(),
  }),
  Subscriptions: z.array(SubscriptionSchema).min(1),
});

export const enreach: Vendor = {
  id: "enreach",
  displayName: "Enreach (Benemen)",
  profiles: ["default"],
  defaultProfile: "default",
  supports: {
    arrive: "events",
    ivr: "silent",
    dtmf: "silent",
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
    overflow: "events",
    "wrapup-start": "events",
    "wrapup-end": "events",
    callback: "events",
    availability: "events",
  },
  events: enreachEventNames.map((n) => ({
    name: n,
    description: enreachEvents[n].description,
    schema: enreachEvents[n].schema,
    group: enreachEvents[n].entityType,
  })),
  directory: enreachDirectory,
  region: enreachRegion,
  project: projectEnreach,
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent {
    const name = eventName as EnreachEventName;
    // each event type draws from its own stream, so samples of different types never share ids
    const rng = ctx.rng.fork(name);
    const values = sampleValues(name, rng, start);
    const payload = buildPayload(name, values, rng.uuid(), dotNetDateTime(start, rng.digits(4)));
    return { at: 0, name, payload, entityId: values.EntityId as string };
  },
  transport: () => transport,
  encode(event, { secret, url }): EncodedRequest {
    const headers: Record<string, string> = {
      "content-type": transport.contentType,
      "x-benemen-event": event.name,
    };
    if (secret) headers["x-benemen-token"] = secret;
    return { method: "POST", url, headers, body: JSON.stringify(event.payload) };
  },
  parseTargets(section, file): TargetSettings[] {
    const { Webhook, Subscriptions } = parseTargetsSection(
      EnreachTargetsSchema,
      section,
      file,
      "enreach",
      "The enreach section mirrors Enreach's own configuration: Webhook {Endpoint, InsecureSSL, Secret} and Subscriptions [{EventType, AllEntities: true} or {EventType, EntityId}].",
    );
    for (const [i, s] of Subscriptions.entries()) {
      if (!(enreachEventNames as string[]).includes(s.EventType)) {
        throw new TargetsError(
          `${file}: enreach.Subscriptions[${i}].EventType: "${s.EventType}" is not an Enreach event type${didYouMean(closest(s.EventType, enreachEventNames), true)}. Run \`pbxsim list events --vendor enreach\`.`,
          ["enreach", "Subscriptions", i, "EventType"],
        );
      }
    }
    return [
      {
        url: Webhook.Endpoint,
        secret: Webhook.Secret ?? undefined,
        insecure: Webhook.InsecureSSL,
        accepts: (e) =>
          Subscriptions.some(
            (s) => s.EventType === e.name && ("AllEntities" in s || s.EntityId.toLowerCase() === e.entityId),
          ),
      },
    ];
  },
  detect: (h) => firstHeader(h, "x-benemen-event") !== undefined,
  validate(body, headers) {
    const header = firstHeader(headers, "x-benemen-event");
    const type = stringField(body, "EventType");
    const name = header ?? type;
    const issues: string[] = [];
    if (!name || !Object.hasOwn(enreachEvents, name)) {
      return { ok: false, event: name, issues: [`unknown Enreach event type "${name ?? ""}"`] };
    }
    if (header && type && header !== type)
      issues.push(`X-Benemen-Event "${header}" differs from the body's EventType "${type}"`);
    const r = enreachEvents[name as EnreachEventName].schema.safeParse(body);
    if (!r.success) {
      for (const i of r.error.issues) issues.push(`${i.path.join(".") || "(body)"}: ${i.message}`);
    }
    return { ok: issues.length === 0, event: name, issues };
  },
  okResponse: { status: 200 },
  callIdOf(body) {
    if (!body || typeof body !== "object") return undefined;
    const b = body as Record<string, unknown>;
    return typeof b.CallId === "string"
      ? b.CallId
      : typeof b.CallBackId === "string"
        ? b.CallBackId
        : undefined;
  },
  dedupeKeyOf(body) {
    return body && typeof body === "object" && typeof (body as { Id?: unknown }).Id === "string"
      ? (body as { Id: string }).Id
      : undefined;
  },
};

export { ORGANIZATION_ID };

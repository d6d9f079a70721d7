import type { DirectoryAgent, Fact, SimulatedCall } from "../../core/model.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { userIdOf } from "./world.js";

/**
 * Webitel projection (W1..W9). Each queue hook (joined, offering, active,
 * bridged, missed, processing, leaving) starts a flow schema with the attempt's variables: a
 * flat map of strings in which an empty variable is absent. Which hooks a queue raises depends
 * on its type.
 */

export const QUEUE_TYPES = {
  offline: 0,
  inbound: 1,
  ivr: 2,
  preview: 3,
  progressive: 4,
  predictive: 5,
  "inbound chat": 6,
  task: 7,
  outbound_task: 8,
  im: 9,
  outbound_call: 10,
} as const;
export type QueueTypeName = keyof typeof QUEUE_TYPES;

export const HOOKS = ["joined", "offering", "active", "bridged", "missed", "processing", "leaving"] as const;
export type Hook = (typeof HOOKS)[number];

/** Every variable a hook may carry; a hook's payload holds those that are not empty. */
export const VARIABLES = [
  "crm_contact_id",
  "attempt_id",
  "bucket_id",
  "cc_attempt_seq",
  "channel",
  "destination",
  "destination_seq",
  "joined_at",
  "member_id",
  "member_name",
  "queue_id",
  "state",
  "timestamp",
  "use_processing",
  "agent_id",
  "agent_name",
  "agent_extension",
  "user_id",
  "agent_channel_id",
  "member_channel_id",
  "bridged_at",
  "call_duration",
  "call_bill_sec",
  "call_voice_sec",
  "call_cause",
  "call_sip_code",
  "amd_result",
  "chat_transferred",
  "cc_result",
  "member_stop_cause",
] as const;
export type Variable = (typeof VARIABLES)[number];

/** The 13 attempt results; an agent's disposition may replace them with any custom status. */
export const CC_RESULTS = [
  "success",
  "cancel",
  "abandoned",
  "timeout",
  "processing",
  "transfer",
  "endless",
  "max_wait_size",
  "agent_timeout",
  "client_timeout",
  "dialog_timeout",
  "block",
  "canceled_by_timeout",
] as const;

/** FreeSWITCH hangup causes with their SIP codes (NORMAL_CLEARING carries none). */
export const CAUSE_SIP: Record<string, number | undefined> = {
  NORMAL_CLEARING: undefined,
  USER_BUSY: 486,
  NO_USER_RESPONSE: 408,
  NO_ANSWER: 480,
  CALL_REJECTED: 603,
  ORIGINATOR_CANCEL: 487,
  UNALLOCATED_NUMBER: 404,
  NORMAL_TEMPORARY_FAILURE: 503,
  RECOVERY_ON_TIMER_EXPIRE: 504,
  BLIND_TRANSFER: undefined,
  ATTENDED_TRANSFER: undefined,
  LOSE_RACE: undefined,
};

export function queueTypeOf(call: SimulatedCall): QueueTypeName {
  if (call.channel === "chat") return "inbound chat";
  if (call.channel === "task") return "task";
  switch (call.origin) {
    case "preview":
      return "preview";
    case "progressive":
      return "progressive";
    case "predictive":
      return "predictive";
    case "offline":
      return "offline";
    default:
      return call.direction === "outbound" ? "outbound_call" : "inbound";
  }
}

/** Hooks each queue type raises (call_center's queue implementations). */
export function hooksOf(type: QueueTypeName): readonly Hook[] {
  const agentQueues: Hook[] = ["offering", "bridged", "missed", "processing", "leaving"];
  switch (type) {
    case "offline":
    case "preview":
      // Answered fires under the state `active` in these two only; Joined is not raised
      return ["offering", "active", "bridged", "missed", "processing", "leaving"];
    case "progressive":
    case "predictive":
      return agentQueues;
    case "ivr":
    case "outbound_task":
      return ["joined", "leaving"];
    default:
      return ["joined", ...agentQueues];
  }
}

const s = (n: number) => String(Math.max(0, Math.floor(n / 1000)));

/** The hooks each queue type raises, as sets (one per type, built once). */
const ALLOWED = {} as Record<QueueTypeName, ReadonlySet<Hook>>;
for (const t of Object.keys(QUEUE_TYPES) as QueueTypeName[]) ALLOWED[t] = new Set(hooksOf(t));

export function projectWebitel(call: SimulatedCall, ctx: ProjectionContext): VendorEvent[] {
  const rng = ctx.rng;
  const type = queueTypeOf(call);
  const allowed = ALLOWED[type];
  const queueType = String(QUEUE_TYPES[type]);
  const channel = call.channel === "chat" ? "chat" : call.channel === "task" ? "task" : "call";
  const agentFirst = type === "preview" || type === "offline";
  const dialer = type === "preview" || type === "progressive" || type === "predictive" || type === "offline";
  const events: VendorEvent[] = [];
  const start = call.start;
  const queueId = call.queue ?? "12";
  // attempt ids are bigint keys in Webitel's database, never repeated: the call's number (unique in
  // a run, across shards too) picks a block of ten, the random stream one id in it
  const attemptId = String(1_000_000 + Number(call.key) * 10 + rng.int(0, 9));
  // a member is a row of the queue's members (a bigint key too): each call's own, never another's
  const memberId = String(100_000 + Number(call.key) * 10 + rng.int(0, 9));
  const bucketId = dialer ? String(rng.int(1, 9)) : undefined;
  // dialer members were imported into the queue earlier; inbound members join when they call
  const enqueued = call.facts.find((f) => f.kind === "enqueue");
  // queue hooks belong to a queue's attempt: an inbound call that ends before it joins a queue
  // (in the flow's IVR) has none, and fires no hook
  if (!dialer && !enqueued) return [];
  const joinedAt = String(dialer ? start - rng.int(3_600_000, 72 * 3_600_000) : start + (enqueued?.at ?? 0));
  const customer = call.direction === "outbound" ? call.dialled : call.caller;
  const destination =
    channel === "call"
      ? customer.e164.startsWith("+")
        ? customer.e164.slice(1)
        : customer.e164
      : `${channel}-${rng.hex(12)}`;
  let memberChannel = channel === "call" && !agentFirst ? rng.uuid() : undefined;
  const memberName = `Client ${memberId.slice(-4)}`;
  // the member's variables; the queue's are empty
  const crmContactId = String(rng.int(10_000, 99_999));
  const processingOn = call.facts.some((f) => f.kind === "wrapup-start");
  const disposition = call.facts.find((f) => f.kind === "disposition");
  const seq = agentFirst || dialer ? String(rng.int(1, 3)) : "1";

  let agent: DirectoryAgent | undefined;
  // the agent's variables, set with the agent
  let agentName = "";
  let agentUserId = "";
  let agentChannel: string | undefined;
  let dialStart: number | undefined = channel === "call" && !agentFirst ? 0 : undefined;
  let answeredAt: number | undefined;
  let bridgedAt: number | undefined;
  let endedAt: number | undefined;
  let cause: string | undefined;
  let amd: string | undefined;
  let transferred = false;
  let result: string | undefined;
  let stopCause: string | undefined;

  const setAgent = (k: string) => {
    agent = ctx.directory.agents.find((a) => a.key === k);
    agentName = agent ? `${agent.firstName} ${agent.lastName}` : "";
    agentUserId = agent ? userIdOf(agent.key) : "";
  };

  /** The hook's variables, always in this order; an empty variable is never sent: it is absent. */
  const vars = (hook: Hook, at: number): Partial<Record<Variable, string>> => {
    const v: Partial<Record<Variable, string>> = { crm_contact_id: crmContactId, attempt_id: attemptId };
    if (bucketId) v.bucket_id = bucketId;
    v.cc_attempt_seq = seq;
    v.channel = channel;
    if (destination) v.destination = destination;
    v.destination_seq = seq;
    v.joined_at = joinedAt;
    v.member_id = memberId;
    v.member_name = memberName;
    if (queueId) v.queue_id = queueId;
    v.state = hook;
    v.timestamp = String(start + at);
    if (processingOn) v.use_processing = "true";
    if (agent) {
      if (agent.key) v.agent_id = agent.key;
      v.agent_name = agentName;
      if (agent.extension) v.agent_extension = agent.extension;
      v.user_id = agentUserId;
      if (agentChannel) v.agent_channel_id = agentChannel;
    }
    if (memberChannel) v.member_channel_id = memberChannel;
    if (bridgedAt !== undefined) v.bridged_at = String(start + bridgedAt);
    if (channel === "call" && dialStart !== undefined) {
      const end = endedAt ?? at;
      v.call_duration = s(end - dialStart);
      v.call_bill_sec = answeredAt !== undefined ? s(end - answeredAt) : "0";
      if (bridgedAt !== undefined) v.call_voice_sec = s(end - bridgedAt);
      if (endedAt !== undefined && cause) {
        v.call_cause = cause;
        const sip = CAUSE_SIP[cause];
        if (sip) v.call_sip_code = String(sip);
      }
      if (amd) v.amd_result = amd;
    }
    if (channel === "chat") v.chat_transferred = transferred ? "true" : "false";
    if (hook === "leaving" || hook === "processing") {
      if (result) v.cc_result = result;
    }
    if (hook === "leaving" && stopCause) v.member_stop_cause = stopCause;
    return v;
  };

  const hook = (h: Hook, at: number) => {
    if (!allowed.has(h)) return;
    events.push({
      at,
      name: h,
      payload: vars(h, at),
      meta: { queueType, queueId },
    });
  };

  let left = false;
  let processingAt: number | undefined;
  const leave = (at: number) => {
    if (left) return;
    left = true;
    // Leaving is always the attempt's last hook
    hook("leaving", Math.max(at, (processingAt ?? -1) + 1));
  };

  for (const f of call.facts) {
    const at = f.at;
    switch (f.kind as Fact["kind"]) {
      case "enqueue":
        hook("joined", at);
        break;
      case "dial":
        // the dialer calls the member (progressive, predictive) before any agent is involved
        if (!agentFirst) dialStart = at;
        break;
      case "remote-answer": {
        const ra = f as Extract<Fact, { kind: "remote-answer" }>;
        if (ra.amd) amd = ra.amd;
        if (agentFirst) {
          // the customer answered the call the agent's bridge placed
          bridgedAt ??= at;
          answeredAt ??= at;
          hook("bridged", at);
        } else {
          answeredAt ??= at;
          if (ra.amd === "MACHINE") {
            cause = "NORMAL_CLEARING";
            result = "cancel";
            stopCause = "cancel";
            endedAt = at + 1_500;
            leave(at + 1_500);
          }
        }
        break;
      }
      case "offer": {
        const o = f as Extract<Fact, { kind: "offer" }>;
        setAgent(o.agent);
        if (agentFirst) {
          // the agent's leg is the attempt's call: both channel ids are the same leg
          agentChannel = channel === "call" ? rng.uuid() : undefined;
          memberChannel = agentChannel;
          if (channel === "call") dialStart ??= at;
        } else agentChannel = channel === "call" ? rng.uuid() : undefined;
        hook("offering", at);
        break;
      }
      case "miss":
        hook("missed", at);
        if (agentFirst) {
          result = "abandoned";
          stopCause = "cancel";
          endedAt = at;
          cause = "NO_ANSWER";
        }
        break;
      case "answer":
        if (agentFirst) {
          hook("active", at);
        } else {
          bridgedAt ??= at;
          answeredAt ??= at;
          hook("bridged", at);
        }
        break;
      case "transfer-end": {
        const t = f as Extract<Fact, { kind: "transfer-end" }>;
        if (t.outcome === "connected") {
          transferred = true;
          if (t.to.agent) {
            setAgent(t.to.agent);
            agentChannel = rng.uuid();
          }
        }
        break;
      }
      case "hangup": {
        const h = f as Extract<Fact, { kind: "hangup" }>;
        endedAt = at;
        if (bridgedAt !== undefined) {
          cause = "NORMAL_CLEARING";
          result ??= transferred ? "transfer" : processingOn ? "processing" : "success";
          stopCause ??= "SUCCESSFUL";
        } else if (agentFirst && answeredAt === undefined) {
          // the agent answered but the customer never did
          cause = h.cause === "busy" ? "USER_BUSY" : "NO_ANSWER";
          result ??= "abandoned";
          stopCause ??= "cancel";
        } else if (h.by === "caller") {
          cause =
            h.cause === "busy" ? "USER_BUSY" : h.cause === "noanswer" ? "NO_ANSWER" : "ORIGINATOR_CANCEL";
          result ??= dialer ? "cancel" : "abandoned";
          stopCause ??= dialer ? "cancel" : "abandoned";
        } else {
          cause = h.cause === "timeout" ? "RECOVERY_ON_TIMER_EXPIRE" : "NORMAL_CLEARING";
          result ??= h.cause === "timeout" ? "timeout" : "cancel";
          stopCause ??= h.cause === "timeout" ? "timeout" : "cancel";
        }
        if (!processingOn || bridgedAt === undefined) leave(at + 120);
        break;
      }
      case "wrapup-start":
        if (bridgedAt !== undefined) {
          processingAt = at + 200;
          hook("processing", processingAt);
        }
        break;
      case "wrapup-end":
        if (!disposition && bridgedAt !== undefined) {
          result = "success";
          leave(at);
        }
        break;
      case "disposition": {
        // the agent's reported status: any custom string, on the Leaving hook that follows processing
        const d = f as Extract<Fact, { kind: "disposition" }>;
        result = d.sub
          ? `${d.value}_${d.sub}`.toLowerCase().replace(/\s+/g, "_")
          : d.value.toLowerCase().replace(/\s+/g, "_");
        if (bridgedAt !== undefined || processingOn) leave(at);
        break;
      }
      default:
        break;
    }
  }
  // every attempt ends with Leaving
  if (!left) leave((endedAt ?? call.facts[call.facts.length - 1]?.at ?? 0) + 120);
  return events.sort((a, b) => a.at - b.at);
}

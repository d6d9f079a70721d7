import { z } from "zod";

/**
 * VoIPBIN webhook payloads: a compact `{"type","data"}` envelope around a resource (call,
 * activeflow, queuecall, agent, groupcall). Two generations:
 * - legacy (the documented API): every key always present, `YYYY-MM-DD HH:MM:SS.ffffff` UTC times
 *   with the `9999-01-01 00:00:00.000000` sentinel, `tm_execute` with 9 fractional digits.
 * - current (the 2026 code): Go structs with omitempty (empty strings, empty lists and nil times
 *   left out; zero UUIDs kept), RFC 3339 times, `null` for unset times where the field has no omitempty.
 */

export const Uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "expected a lowercase UUID");
export const LegacyTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/, "expected YYYY-MM-DD HH:MM:SS.ffffff (UTC)");
export const LegacyExecTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9}$/, "expected 9 fractional digits");
/** Go's time.Time JSON: RFC 3339, fractional seconds with trailing zeros trimmed, Z. */
export const Rfc3339 = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
    "expected an RFC 3339 UTC time, e.g. 2026-08-22T10:15:30.12345Z",
  );

export const CALL_STATUSES = [
  "dialing",
  "ringing",
  "progressing",
  "terminating",
  "canceling",
  "hangup",
] as const;
export const HANGUP_REASONS = [
  "",
  "normal",
  "failed",
  "busy",
  "cancel",
  "timeout",
  "noanswer",
  "dialout",
  "amd",
] as const;
const CallStatus = z.enum(CALL_STATUSES);
const Direction = z.enum(["incoming", "outgoing"]);
const HangupBy = z.enum(["", "remote", "local"]);
const HangupReason = z.enum(HANGUP_REASONS);
const CallType = z.enum(["flow", "conference", "sip-service", ""]);
const AddressType = z.enum([
  "",
  "agent",
  "ai",
  "ai_team",
  "conference",
  "email",
  "extension",
  "line",
  "sip",
  "tel",
  "webchat",
  "web_session",
  "whatsapp",
]);

const LegacyAddress = z.strictObject({
  type: AddressType,
  target: z.string(),
  target_name: z.string(),
  name: z.string(),
  detail: z.string(),
});
const CurrentAddress = z.strictObject({
  type: AddressType.optional(),
  target: z.string().optional(),
  target_name: z.string().optional(),
  name: z.string().optional(),
  detail: z.string().optional(),
});

const LegacyAction = z.strictObject({
  id: Uuid,
  next_id: Uuid,
  type: z.string(),
  option: z.record(z.string(), z.unknown()).optional(),
  tm_execute: LegacyExecTime.optional(),
});
const CurrentAction = z.strictObject({
  id: Uuid,
  next_id: Uuid,
  type: z.string(),
  option: z.record(z.string(), z.unknown()).optional(),
  tm_execute: Rfc3339.nullable(),
});

export const LegacyCallSchema = z.strictObject({
  id: Uuid,
  flow_id: Uuid,
  type: CallType,
  master_call_id: Uuid,
  chained_call_ids: z.array(Uuid),
  recording_id: Uuid,
  recording_ids: z.array(Uuid),
  source: LegacyAddress,
  destination: LegacyAddress,
  status: CallStatus,
  action: LegacyAction,
  direction: Direction,
  hangup_by: HangupBy,
  hangup_reason: HangupReason,
  tm_create: LegacyTime,
  tm_update: LegacyTime,
  tm_progressing: LegacyTime,
  tm_ringing: LegacyTime,
  tm_hangup: LegacyTime,
});

export const CurrentCallSchema = z.strictObject({
  id: Uuid,
  customer_id: Uuid,
  owner_type: z.enum(["agent"]).optional(),
  owner_id: Uuid,
  flow_id: Uuid,
  activeflow_id: Uuid,
  type: CallType.optional(),
  master_call_id: Uuid,
  chained_call_ids: z.array(Uuid).min(1).optional(),
  recording_id: Uuid,
  recording_ids: z.array(Uuid).min(1).optional(),
  groupcall_id: Uuid,
  source: CurrentAddress,
  destination: CurrentAddress,
  status: CallStatus,
  action: CurrentAction,
  metadata: z.record(z.string(), z.unknown()).optional(),
  direction: Direction,
  mute_direction: z.enum(["both", "out", "in"]).optional(),
  hangup_by: z.enum(["remote", "local"]).optional(),
  hangup_reason: z
    .enum(["normal", "failed", "busy", "cancel", "timeout", "noanswer", "dialout", "amd"])
    .optional(),
  tm_progressing: Rfc3339.optional(),
  tm_ringing: Rfc3339.optional(),
  tm_hangup: Rfc3339.optional(),
  tm_create: Rfc3339.optional(),
  tm_update: Rfc3339.optional(),
  tm_delete: Rfc3339.optional(),
});

const LegacyFlowAction = LegacyAction.omit({ tm_execute: true });

export const LegacyActiveflowSchema = z.strictObject({
  id: Uuid,
  flow_id: Uuid,
  customer_id: Uuid,
  reference_type: z.enum([
    "call",
    "ai",
    "api",
    "campaign",
    "conversation",
    "transcribe",
    "recording",
    "webchat",
  ]),
  reference_id: Uuid,
  current_action: LegacyFlowAction,
  forward_action_id: Uuid,
  actions: z.array(LegacyFlowAction),
  tm_create: LegacyTime,
  tm_update: LegacyTime,
  tm_delete: LegacyTime,
});

export const CurrentActiveflowSchema = z.strictObject({
  id: Uuid,
  customer_id: Uuid,
  flow_id: Uuid,
  status: z.enum(["running", "ended"]),
  reference_type: z.enum(["call", "ai", "api", "campaign", "conversation", "transcribe", "recording"]),
  reference_id: Uuid,
  reference_activeflow_id: Uuid,
  on_complete_flow_id: Uuid,
  webhook_uri: z.string().optional(),
  webhook_method: z.string().optional(),
  current_action: CurrentAction,
  forward_action_id: Uuid,
  executed_actions: z.array(CurrentAction).min(1).optional(),
  tm_create: Rfc3339.nullable(),
  tm_update: Rfc3339.nullable(),
  tm_delete: Rfc3339.nullable(),
});

export const LegacyQueuecallSchema = z.strictObject({
  id: Uuid,
  reference_type: z.literal("call"),
  reference_id: Uuid,
  status: z.enum(["wait", "entering", "service", "done", "abandoned"]),
  service_agent_id: Uuid,
  tm_create: LegacyTime,
  tm_service: LegacyTime,
  tm_update: LegacyTime,
  tm_delete: LegacyTime,
});

export const CurrentQueuecallSchema = z.strictObject({
  id: Uuid,
  customer_id: Uuid,
  reference_type: z.literal("call"),
  reference_id: Uuid,
  status: z.enum(["initiating", "waiting", "connecting", "service", "done", "abandoned"]),
  service_agent_id: Uuid,
  duration_waiting: z.number().int().min(1).optional(),
  duration_service: z.number().int().min(1).optional(),
  tm_create: Rfc3339.nullable(),
  tm_service: Rfc3339.nullable(),
  tm_update: Rfc3339.nullable(),
  tm_delete: Rfc3339.nullable(),
});

const AgentStatus = z.enum(["", "available", "away", "busy", "offline", "ringing"]);
export const LegacyAgentSchema = z.strictObject({
  id: Uuid,
  username: z.string(),
  name: z.string(),
  detail: z.string(),
  ring_method: z.enum(["ringall", "linear"]),
  status: AgentStatus,
  permission: z.number().int(),
  tag_ids: z.array(Uuid),
  addresses: z.array(LegacyAddress),
  tm_create: LegacyTime,
  tm_update: LegacyTime,
  tm_delete: LegacyTime,
});
export const CurrentAgentSchema = z.strictObject({
  id: Uuid,
  customer_id: Uuid,
  username: z.string().optional(),
  name: z.string().optional(),
  detail: z.string().optional(),
  ring_method: z.enum(["ringall", "linear"]).optional(),
  status: AgentStatus.exclude([""]).optional(),
  permission: z.number().int(),
  tag_ids: z.array(Uuid).min(1).optional(),
  addresses: z.array(CurrentAddress).min(1).optional(),
  direct_hash: z.string().optional(),
  tm_create: Rfc3339.optional(),
  tm_update: Rfc3339.optional(),
  tm_delete: Rfc3339.optional(),
});

export const CurrentGroupcallSchema = z.strictObject({
  id: Uuid,
  customer_id: Uuid,
  owner_type: z.enum(["agent"]).optional(),
  owner_id: Uuid,
  status: z.enum(["progressing", "hangup"]),
  flow_id: Uuid,
  source: CurrentAddress,
  destinations: z.array(CurrentAddress).min(1),
  master_call_id: Uuid,
  ring_method: z.enum(["ringall", "linear"]),
  answer_method: z.string().optional(),
  answer_call_id: Uuid,
  call_ids: z.array(Uuid).min(1),
  tm_create: Rfc3339.optional(),
  tm_update: Rfc3339.optional(),
  tm_delete: Rfc3339.optional(),
});

type Gen = "legacy" | "current";

export interface VoipbinEventDef {
  name: string;
  resource: "call" | "activeflow" | "queuecall" | "agent" | "groupcall";
  profiles: Gen[];
  description: string;
}

const both: Gen[] = ["legacy", "current"];
export const voipbinEvents: VoipbinEventDef[] = [
  {
    name: "call_created",
    resource: "call",
    profiles: both,
    description: "A call was created (incoming ringing, or outgoing dialing)",
  },
  {
    name: "call_updated",
    resource: "call",
    profiles: both,
    description: "A call changed: its action, chained calls or status",
  },
  {
    name: "call_ringing",
    resource: "call",
    profiles: both,
    description: "An outgoing call is ringing at the far end",
  },
  {
    name: "call_answered",
    resource: "call",
    profiles: ["legacy"],
    description: "The call was answered (status progressing)",
  },
  { name: "call_hungup", resource: "call", profiles: ["legacy"], description: "The call was hung up" },
  {
    name: "call_dialing",
    resource: "call",
    profiles: ["current"],
    description: "An outgoing call is dialing",
  },
  {
    name: "call_progressing",
    resource: "call",
    profiles: ["current"],
    description: "The call was answered (status progressing)",
  },
  {
    name: "call_terminating",
    resource: "call",
    profiles: ["current"],
    description: "The local side is hanging up",
  },
  {
    name: "call_canceling",
    resource: "call",
    profiles: ["current"],
    description: "The originator cancels an unanswered outgoing call",
  },
  { name: "call_hangup", resource: "call", profiles: ["current"], description: "The call was hung up" },
  {
    name: "activeflow_created",
    resource: "activeflow",
    profiles: both,
    description: "A flow started running for a call",
  },
  {
    name: "activeflow_updated",
    resource: "activeflow",
    profiles: both,
    description: "The flow's cursor moved to another action (current: or the flow ended)",
  },
  {
    name: "activeflow_deleted",
    resource: "activeflow",
    profiles: ["legacy"],
    description: "The activeflow was deleted (legacy: when its call hung up)",
  },
  { name: "queuecall_created", resource: "queuecall", profiles: both, description: "A call joined a queue" },
  {
    name: "queuecall_entering",
    resource: "queuecall",
    profiles: ["legacy"],
    description: "The queued call is entering the agent's conference room",
  },
  {
    name: "queuecall_kicking",
    resource: "queuecall",
    profiles: ["legacy"],
    description: "The queued call is being kicked (wait timeout)",
  },
  {
    name: "queuecall_waiting",
    resource: "queuecall",
    profiles: ["current"],
    description: "The queued call waits for an agent",
  },
  {
    name: "queuecall_connecting",
    resource: "queuecall",
    profiles: ["current"],
    description: "An agent was found; the call is connecting",
  },
  {
    name: "queuecall_serviced",
    resource: "queuecall",
    profiles: both,
    description: "The queued call is served by an agent",
  },
  { name: "queuecall_done", resource: "queuecall", profiles: both, description: "The queued call is done" },
  {
    name: "queuecall_abandoned",
    resource: "queuecall",
    profiles: both,
    description: "The queued call was abandoned (caller hung up, or wait timeout)",
  },
  {
    name: "agent_status_updated",
    resource: "agent",
    profiles: both,
    description: "An agent's status changed (available, ringing, busy, ...)",
  },
  {
    name: "groupcall_created",
    resource: "groupcall",
    profiles: ["current"],
    description: "A group call to an agent's addresses was created",
  },
  {
    name: "groupcall_progressing",
    resource: "groupcall",
    profiles: ["current"],
    description: "One of the group call's calls was answered",
  },
  {
    name: "groupcall_hangup",
    resource: "groupcall",
    profiles: ["current"],
    description: "The group call ended",
  },
];

export function dataSchema(resource: VoipbinEventDef["resource"], gen: Gen): z.ZodType {
  const legacy = {
    call: LegacyCallSchema,
    activeflow: LegacyActiveflowSchema,
    queuecall: LegacyQueuecallSchema,
    agent: LegacyAgentSchema,
    groupcall: CurrentGroupcallSchema,
  };
  const current = {
    call: CurrentCallSchema,
    activeflow: CurrentActiveflowSchema,
    queuecall: CurrentQueuecallSchema,
    agent: CurrentAgentSchema,
    groupcall: CurrentGroupcallSchema,
  };
  return (gen === "legacy" ? legacy : current)[resource];
}

/** The envelope schema of one event in one generation. */
export function envelopeSchema(def: VoipbinEventDef, gen: Gen) {
  return z.strictObject({ type: z.literal(def.name), data: dataSchema(def.resource, gen) });
}

/**
 * Acefone (and Tata Smartflo, the same emitter under another brand) webhook payload schemas.
 *
 * A webhook is configured per trigger in the portal (API Connect → Webhook). Its body carries the trigger's
 * `$variables` as keys without the `$`, spelled as the webhook document spells them, including its inconsistencies:
 * `sub_dispositon`, `answer_agent_number` on the click-to-call "answered by customer" trigger, and both
 * `customer_number_with_prefix` (hang-up CDRs) and `customer_no_with_prefix` (every other trigger).
 *
 * The body is built from a key → `$variable` template, so every key of the trigger is always present; a value that
 * does not apply is the empty string. Only the keys seen on the wire beyond the document (`observedExtras`) and the
 * Smartflo trailing-space key are optional. Objects are strict: an unknown key is rejected.
 *
 * Values follow what receivers actually get rather than the document's "Data Type" column: `call_connected` is
 * `"1"`/`"0"` (not a boolean), `call_status` is lowercase, `answered_agent` is an array (not an object) or `""`,
 * durations are strings of seconds. With `application/x-www-form-urlencoded`, nested values (arrays and objects)
 * travel as JSON-encoded strings and every scalar is a string.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------------------
// Triggers and their variables
// ---------------------------------------------------------------------------------------------------------------

export type AcefoneCallType = "inbound" | "outbound" | "both";

export interface AcefoneTrigger {
  /** Stable kebab-case identifier. */
  id: string;
  /** The label of the portal's Trigger dropdown, verbatim. */
  name: string;
  /** From the document's trigger table ("Inbound", "Outbound", "Inbound and Outbound"). */
  callType: AcefoneCallType;
  deprecated: boolean;
  /**
   * False for the three dropdown entries that have neither a row in the document's trigger table nor a variable
   * table (Session Call Answered and the two "(updated)" hang-ups); their `callType` and `variables` are inferred.
   */
  documented: boolean;
  /** The trigger's `$variables` without the `$`, in the document's order. */
  variables: readonly string[];
  /** Keys seen on the wire for this trigger that the document's table lacks; they may be absent. */
  observedExtras?: readonly string[];
}

/** The variable table shared by every hang-up CDR trigger (the document repeats it verbatim five times). */
export const HANGUP_VARIABLES = [
  "uuid",
  "call_to_number",
  "caller_id_number",
  "customer_number_with_prefix",
  "customer_number",
  "answered_agent_number",
  "answered_agent_name",
  "start_stamp",
  "answer_stamp",
  "end_stamp",
  "hangup_cause",
  "billsec",
  "digits_dialed",
  "direction",
  "duration",
  "answered_agent",
  "missed_agent",
  "call_flow",
  "broadcast_lead_fields",
  "recording_url",
  "start_date",
  "start_time",
  "call_connected",
  "broadcast_name",
  "broadcast_id",
  "bridged_duration",
  "call_status",
  "call_id",
  "outbound_sec",
  "agent_ring_time",
  "billing_circle",
  "telecom_operator",
  "telecom_circle",
  "first_missed_agent_number",
  "first_missed_agent_follow_me_number",
  "end_time",
  "aws_call_recording_identifier",
] as const;

/** Seen on hang-up CDRs beyond the document: the DID, and the identifiers echoed for API-placed calls. */
export const HANGUP_OBSERVED_EXTRAS = ["did_number", "ref_id", "custom_identifier"] as const;

/** Variables of the two Dialer triggers; Disposition Status Updated adds end times, duration and dispositions. */
const DIALER_CONNECTED_VARIABLES = [
  "call_id",
  "call_to_number",
  "caller_id_number",
  "start_stamp",
  "start_date",
  "start_time",
  "direction",
  "call_flow",
  "lead_fields",
  "campaign_name",
  "campaign_id",
  "billing_circle",
  "agent",
  "agent_name",
  "agent_number",
  "customer_no_with_prefix",
] as const;

const DIALER_DISPOSITION_VARIABLES = [
  "call_id",
  "call_to_number",
  "caller_id_number",
  "start_stamp",
  "start_date",
  "start_time",
  "end_stamp",
  "end_date",
  "end_time",
  "direction",
  "duration",
  "call_flow",
  "lead_fields",
  "campaign_name",
  "campaign_id",
  "billing_circle",
  "agent",
  "agent_name",
  "agent_number",
  "disposition",
  "sub_dispositon",
  "customer_no_with_prefix",
] as const;

const TRIGGER_DEFS = [
  {
    id: "call-received-on-server",
    name: "Call received on Server",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "start_stamp",
      "call_id",
      "billing_circle",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "call-answered-on-ivr",
    name: "Call answered on IVR",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "start_stamp",
      "ivr_id",
      "ivr_name",
      "call_id",
      "billing_circle",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "call-answered-by-agent",
    name: "Call answered by Agent",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "start_stamp",
      "answered_agent_number",
      "call_id",
      "billing_circle",
      "call_status",
      "direction",
      "customer_no_with_prefix",
    ],
    observedExtras: ["status", "ref_id", "custom_identifier"],
  },
  {
    id: "call-hangup-missed",
    name: "Call hangup (Missed) (Deprecated)",
    callType: "both",
    deprecated: true,
    documented: true,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "call-hangup-answered",
    name: "Call hangup (Answered) (Deprecated)",
    callType: "both",
    deprecated: true,
    documented: true,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "call-hangup",
    name: "Call hangup (Missed or Answered)",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "dtmf-option",
    name: "DTMF Option",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "date",
      "digit_pressed",
      "call_id",
      "billing_circle",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "dialed-on-agent",
    name: "Dialed on Agent",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "date",
      "call_flow",
      "dept_name",
      "ivr_name",
      "call_id",
      "billing_circle",
      "agent_number",
      "agent_name",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "call-received-on-department",
    name: "Call received on Department",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "date",
      "call_flow",
      "dept_id",
      "dept_name",
      "ivr_name",
      "call_id",
      "billing_circle",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "call-received-on-auto-attendant",
    name: "Call received on Auto Attendant",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "start_stamp",
      "auto_attendant_id",
      "auto_attendant_name",
      "call_id",
      "billing_circle",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "call-answered-by-agent-hangup",
    name: "Call answered by Agent (Hangup)",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "call-missed-by-agent-hangup",
    name: "Call missed by Agent (Hangup)",
    callType: "inbound",
    deprecated: false,
    documented: true,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "click-to-call-answered-by-customer",
    name: "Call answered by Customer (Click to call)",
    callType: "outbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "start_stamp",
      "direction",
      "answer_agent_number",
      "billing_circle",
      "call_status",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "click-to-call-missed-by-customer",
    name: "Call missed by Customer (Click to Call)",
    callType: "outbound",
    deprecated: false,
    documented: true,
    variables: [
      "uuid",
      "call_to_number",
      "caller_id_number",
      "customer_number",
      "start_stamp",
      "answer_stamp",
      "end_stamp",
      "hangup_cause",
      "billsec",
      "direction",
      "duration",
      "answered_agent",
      "call_flow",
      "recording_url",
      "call_status",
      "call_id",
      "billing_circle",
      "aws_call_recording_identifier",
      "customer_no_with_prefix",
    ],
  },
  {
    id: "dialer-disposition-updated",
    name: "Disposition Status Updated (Dialer)",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: DIALER_DISPOSITION_VARIABLES,
  },
  {
    id: "dialer-call-connected-to-agent",
    name: "Call Connected to Agent (Dialer)",
    callType: "both",
    deprecated: false,
    documented: true,
    variables: DIALER_CONNECTED_VARIABLES,
  },
  {
    id: "session-call-answered",
    name: "Session Call Answered",
    callType: "both",
    deprecated: false,
    documented: false,
    variables: [],
  },
  {
    id: "call-hangup-missed-updated",
    name: "Call hangup (Missed) (updated)",
    callType: "both",
    deprecated: false,
    documented: false,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
  {
    id: "call-hangup-answered-updated",
    name: "Call hangup (Answered) (updated)",
    callType: "both",
    deprecated: false,
    documented: false,
    variables: HANGUP_VARIABLES,
    observedExtras: HANGUP_OBSERVED_EXTRAS,
  },
] as const satisfies readonly AcefoneTrigger[];

export type AcefoneTriggerId = (typeof TRIGGER_DEFS)[number]["id"];

/** Every trigger of the portal's Trigger dropdown, in the dropdown's order. */
export const ACEFONE_TRIGGERS: readonly AcefoneTrigger[] = TRIGGER_DEFS;

/** Triggers whose body is a hang-up CDR (the shared variable table). */
export const HANGUP_TRIGGER_IDS: readonly AcefoneTriggerId[] = TRIGGER_DEFS.filter(
  (t) => t.variables === HANGUP_VARIABLES,
).map((t) => t.id);

/** Triggers available only for Dialer campaign calls. */
export const DIALER_TRIGGER_IDS: readonly AcefoneTriggerId[] = [
  "dialer-disposition-updated",
  "dialer-call-connected-to-agent",
];

const TRIGGERS_BY_ID: ReadonlyMap<string, AcefoneTrigger> = new Map(ACEFONE_TRIGGERS.map((t) => [t.id, t]));

export function acefoneTrigger(id: string): AcefoneTrigger {
  const trigger = TRIGGERS_BY_ID.get(id);
  if (!trigger) throw new Error(`unknown Acefone trigger "${id}"`);
  return trigger;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar formats
// ---------------------------------------------------------------------------------------------------------------

const DEFAULT_STAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const EPOCH_STAMP = /^[1-9]\d{8,9}$/;
const ISO_STAMP =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(Z|\+05:30|\+00:00)$/;
const DIALER_STAMP = /^(1[0-2]|[1-9])\/(3[01]|[12]\d|[1-9])\/\d{4}, (1[0-2]|[1-9]):[0-5]\d:[0-5]\d [AP]M$/;

function stampSchema(pattern: RegExp, message: string) {
  return z.union([z.literal(""), z.string().regex(pattern, message)]);
}

/** Call id, stable across every trigger of a call: `<unix seconds>.<sequence>`, e.g. `1628512094.7228905`. */
export const CallIdSchema = z
  .string()
  .regex(
    /^(?:[a-z]+\d+(?:\.\d+)*-)?\d{10}\.\d+$/,
    "expected <unix seconds>.<digits>, optionally with a node prefix such as h11.08-",
  );

/** Per-leg id in PHP `uniqid()` form: 13 lowercase hex digits, e.g. `61111f5e708c5`. */
export const UuidSchema = z.string().regex(/^[0-9a-f]{13}$/, "expected 13 lowercase hex digits");

/** A duration in whole seconds as a string; `""` where it may be empty (`billsec` of answered Dialer calls). */
export const DurationSecondsSchema = z.union([
  z.literal(""),
  z.string().regex(/^\d+$/, "expected whole seconds as a string"),
]);

const WholeSecondsSchema = z.string().regex(/^\d+$/, "expected whole seconds as a string");

/** `"1"` or `"0"`, a string although the document calls it Boolean. */
export const CallConnectedSchema = z.enum(["1", "0"]);

/** Lowercase; `queued` is the status of the click-to-call "answered by agent" event. */
export const CallStatusSchema = z.enum(["answered", "missed", "queued"]);

/** `clicktocall` on hang-up CDRs, `click_to_call` on the answered events. */
export const DirectionSchema = z.enum([
  "inbound",
  "outbound",
  "Dialer (inbound)",
  "Dialer (outbound)",
  "clicktocall",
  "click_to_call",
]);

/** IVR calls use NormalClearing/destination_*; Dialer calls use disconnected_by_*. */
export const HangupCauseSchema = z.enum([
  "NormalClearing",
  "destination_hangup",
  "destination_not_set",
  "disconnected_by_caller",
  "disconnected_by_callee",
  "hangup_as_per_destination",
]);

/** Date Time Format "Default": `YYYY-MM-DD HH:mm:ss` in the webhook's time zone (IST or UTC), or `""`. */
export const DefaultStampSchema = stampSchema(DEFAULT_STAMP, "expected YYYY-MM-DD HH:mm:ss");

/** Date Time Format "Epoch/Unix Time": unix seconds as a string of digits, or `""`. */
export const EpochStampSchema = stampSchema(EPOCH_STAMP, "expected unix seconds as a string");

/** Date Time Format "ISO 8601": `YYYY-MM-DDTHH:mm:ssZ`, or with the `+05:30` (IST) / `+00:00` offset, or `""`. */
export const IsoStampSchema = stampSchema(ISO_STAMP, "expected YYYY-MM-DDTHH:mm:ss with Z, +05:30 or +00:00");

/** The dialect of Dialer-routed calls, whatever the configured format: `M/D/YYYY, h:mm:ss AM/PM`, or `""`. */
export const DialerStampSchema = stampSchema(DIALER_STAMP, "expected M/D/YYYY, h:mm:ss AM/PM");

/** `start_date` / `end_date`: `YYYY-MM-DD`. */
export const CallDateSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "expected YYYY-MM-DD");

/** `start_time` / `end_time`: `HH:mm:ss`. */
export const CallTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, "expected HH:mm:ss");

/** Indian numbers: bare (`9000007179`), with country code (`918069010148`) or E.164 (`+919000007179`). */
export const PhoneNumberSchema = z.string().regex(/^\+?\d{4,15}$/, "expected a phone number of digits");

/** An agent is reached on a phone number or an extension (`Extension-0602141810347`). */
export const AgentNumberSchema = z.union([
  PhoneNumberSchema,
  z.string().regex(/^Extension-\d+$/, "expected Extension-<digits>"),
]);

// ---------------------------------------------------------------------------------------------------------------
// Nested values
// ---------------------------------------------------------------------------------------------------------------

/** `billing_circle`, e.g. `{"operator":"Idea","circle":"Mumbai"}`. */
export const BillingCircleSchema = z.strictObject({ operator: z.string(), circle: z.string() });

const AnsweredAgentEntrySchema = z.strictObject({
  email: z.string(),
  id: z.union([z.string(), z.number()]),
  is_transferred_agent: z.enum(["Yes", "No"]),
  name: z.string(),
  number: z.string(),
});

/** `answered_agent`: every agent who handled the call (the last one finished it), or `""` when nobody answered. */
export const AnsweredAgentSchema = z.union([z.array(AnsweredAgentEntrySchema), z.literal("")]);

/** `missed_agent`: the agents rung without answering, or `""`. */
export const MissedAgentSchema = z.union([
  z.array(z.looseObject({ agent_number: z.string(), number: z.string() })),
  z.literal(""),
]);

const EpochSecondsValueSchema = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?$/, "expected epoch seconds"),
]);
const IdValueSchema = z.union([z.string(), z.number()]);

/**
 * One step of `call_flow`. Types seen: init (value = call_id), IVR, DTMF, TimeGroup, Auto+Attendant,
 * Inbound Queue, Customer, Agent, Agent-Hangup, hangup, Hangup. Further fields may appear.
 */
export const CallFlowStepSchema = z.looseObject({
  type: z.string().min(1),
  time: EpochSecondsValueSchema,
  value: IdValueSchema.optional(),
  input: IdValueSchema.optional(),
  dsid: IdValueSchema.optional(),
  dstype: z.string().optional(),
  optsts: z.string().optional(),
  tgst: z.string().optional(),
  dept_dialst: z.string().optional(),
  ringst: z.string().optional(),
  dialst: z.string().optional(),
  num: z.string().optional(),
  id: IdValueSchema.optional(),
  name: z.string().optional(),
});

/** `call_flow`: the call's route, in order. */
export const CallFlowSchema = z.array(CallFlowStepSchema);

// ---------------------------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------------------------

export type AcefoneDateFormat = "default" | "epoch" | "iso";
export type AcefoneEncoding = "json" | "form";

export interface AcefonePayloadOptions {
  /** The webhook's Date Time Format. */
  dateFormat: AcefoneDateFormat;
  /** `json` for application/json, `form` for application/x-www-form-urlencoded (and GET query strings). */
  encoding: AcefoneEncoding;
  /** Accept what Smartflo accounts send beyond the document: the trailing-space key, Dialer stamp dialect, … */
  smartfloQuirks: boolean;
}

/** The key some Smartflo templates carry, with a trailing space. */
export const CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE = "customer_no_with_prefix ";

const STAMP_KEYS = new Set(["start_stamp", "answer_stamp", "end_stamp", "date"]);
const STAMP_BY_FORMAT: Record<AcefoneDateFormat, RegExp> = {
  default: DEFAULT_STAMP,
  epoch: EPOCH_STAMP,
  iso: ISO_STAMP,
};
const STAMP_MESSAGE: Record<AcefoneDateFormat, string> = {
  default: "expected YYYY-MM-DD HH:mm:ss",
  epoch: "expected unix seconds as a string",
  iso: "expected YYYY-MM-DDTHH:mm:ss with Z, +05:30 or +00:00",
};

/** A nested value: itself in JSON bodies, its JSON encoding in form bodies (an empty field stays `""`). */
function nested(schema: z.ZodType, encoding: AcefoneEncoding): z.ZodType {
  if (encoding === "json") return schema;
  return jsonEncoded(schema);
}

function jsonEncoded(schema: z.ZodType): z.ZodType {
  return z
    .string()
    .transform((text, ctx): unknown => {
      if (text === "") return "";
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: "custom", message: "expected a JSON-encoded value", input: text });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** Numeric ids: digits as a string, or a JSON number in JSON bodies. */
function numericId(encoding: AcefoneEncoding, allowEmpty: boolean): z.ZodType {
  const digits = z.string().regex(/^\d+$/, "expected a numeric id");
  const text = allowEmpty ? z.union([z.literal(""), digits]) : digits;
  return encoding === "json" ? z.union([z.number().int().nonnegative(), text]) : text;
}

const orEmpty = (schema: z.ZodType): z.ZodType => z.union([z.literal(""), schema]);

function stampFor(key: string, triggerId: string, opts: AcefonePayloadOptions): z.ZodType {
  const chosen = z.string().regex(STAMP_BY_FORMAT[opts.dateFormat], STAMP_MESSAGE[opts.dateFormat]);
  const dialerDialect =
    opts.smartfloQuirks &&
    ((DIALER_TRIGGER_IDS as readonly string[]).includes(triggerId) ||
      (HANGUP_TRIGGER_IDS as readonly string[]).includes(triggerId));
  const stamp: z.ZodType = dialerDialect
    ? z.union([chosen, z.string().regex(DIALER_STAMP, "expected M/D/YYYY, h:mm:ss AM/PM")])
    : chosen;
  // A missed call has no answer time.
  return key === "answer_stamp" ? orEmpty(stamp) : stamp;
}

function valueSchema(key: string, triggerId: string, opts: AcefonePayloadOptions): z.ZodType {
  const { encoding, smartfloQuirks } = opts;
  if (STAMP_KEYS.has(key)) return stampFor(key, triggerId, opts);
  switch (key) {
    case "uuid":
      return UuidSchema;
    case "call_id":
      return CallIdSchema;
    case "call_to_number":
    case "caller_id_number":
    case "customer_number":
    case "did_number":
      return PhoneNumberSchema;
    case "customer_number_with_prefix":
    case "customer_no_with_prefix":
    case CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE:
      return orEmpty(PhoneNumberSchema);
    case "answered_agent_number":
    case "answer_agent_number":
      // Smartflo templates substitute `$answered_agent` inside `$answered_agent_number`, leaving "_number".
      return smartfloQuirks
        ? z.union([z.literal("_number"), orEmpty(AgentNumberSchema)])
        : orEmpty(AgentNumberSchema);
    case "agent_number":
    case "first_missed_agent_number":
    case "first_missed_agent_follow_me_number":
      return orEmpty(AgentNumberSchema);
    case "hangup_cause":
      return HangupCauseSchema;
    case "billsec":
    case "bridged_duration":
      return DurationSecondsSchema;
    case "duration":
    case "outbound_sec":
    case "agent_ring_time":
      return WholeSecondsSchema;
    case "direction":
      return DirectionSchema;
    case "call_status":
      // The document says this trigger's status reads "answered by customer".
      return triggerId === "click-to-call-answered-by-customer"
        ? z.union([CallStatusSchema, z.literal("answered by customer")])
        : CallStatusSchema;
    case "status":
      return z.literal("Answered by agent");
    case "call_connected":
      return CallConnectedSchema;
    case "digits_dialed":
      return nested(z.union([z.array(z.string()), z.literal("")]), encoding);
    case "answered_agent":
      // On "Call missed by Customer (Click to Call)" the document gives the answering agent's name (a string).
      return triggerId === "click-to-call-missed-by-customer"
        ? encoding === "json"
          ? z.union([AnsweredAgentSchema, z.string()])
          : z.string()
        : nested(AnsweredAgentSchema, encoding);
    case "missed_agent":
      return nested(MissedAgentSchema, encoding);
    case "call_flow": {
      const flow = z.union([CallFlowSchema, z.literal("")]);
      // The Dialer tables type call_flow as String: JSON-encoded even in JSON bodies.
      if (encoding === "json" && (DIALER_TRIGGER_IDS as readonly string[]).includes(triggerId)) {
        return z.union([flow, jsonEncoded(flow)]);
      }
      return nested(flow, encoding);
    }
    case "billing_circle":
      return nested(BillingCircleSchema, encoding);
    case "dept_name":
    case "ivr_name":
      // Dialed on Agent lists every department and IVR the call passed through.
      return triggerId === "dialed-on-agent"
        ? nested(z.union([z.array(z.string()), z.literal("")]), encoding)
        : z.string();
    case "ivr_id":
    case "dept_id":
    case "auto_attendant_id":
    case "campaign_id":
      return numericId(encoding, false);
    case "broadcast_id":
      return numericId(encoding, true);
    case "digit_pressed":
      return z.string().regex(/^[0-9*#]+$/, "expected DTMF digits");
    case "recording_url":
      return orEmpty(z.url());
    case "start_date":
    case "end_date":
      return CallDateSchema;
    case "start_time":
    case "end_time":
      return CallTimeSchema;
    default:
      // Free text: names, labels, lead fields, dispositions, operator/circle, recording identifiers, ref ids.
      return z.string();
  }
}

/**
 * The schema of one trigger's body: exactly the trigger's variables (plus its observed extras, optional), strict.
 *
 * - Stamps (`start_stamp`, `answer_stamp`, `end_stamp`, `date`) follow `dateFormat`. With `smartfloQuirks`, the
 *   Dialer triggers, and hang-up CDRs whose `direction` is a Dialer one, may carry `M/D/YYYY, h:mm:ss AM/PM`.
 * - With `encoding: "form"`, nested values are JSON-encoded strings and numeric ids are strings.
 * - With `smartfloQuirks`, the key `"customer_no_with_prefix "` (trailing space) is accepted; on triggers that have
 *   `customer_no_with_prefix`, either spelling (or both) must then be present.
 */
export function triggerPayloadSchema(
  triggerId: string,
  opts: AcefonePayloadOptions,
): z.ZodObject<z.ZodRawShape, z.core.$strict> {
  const trigger = acefoneTrigger(triggerId);
  const shape: Record<string, z.ZodType> = {};
  for (const key of trigger.variables) shape[key] = valueSchema(key, trigger.id, opts);
  for (const key of trigger.observedExtras ?? []) shape[key] = valueSchema(key, trigger.id, opts).optional();

  const hasCustomerNo = trigger.variables.includes("customer_no_with_prefix");
  if (opts.smartfloQuirks) {
    shape[CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE] = valueSchema(
      CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE,
      trigger.id,
      opts,
    ).optional();
    if (hasCustomerNo) shape["customer_no_with_prefix"] = shape["customer_no_with_prefix"]!.optional();
  }

  const isHangup = (HANGUP_TRIGGER_IDS as readonly string[]).includes(trigger.id);
  return z.strictObject(shape).superRefine((payload, ctx) => {
    if (opts.smartfloQuirks && hasCustomerNo) {
      if (!("customer_no_with_prefix" in payload) && !(CUSTOMER_NO_WITH_PREFIX_TRAILING_SPACE in payload)) {
        ctx.addIssue({
          code: "custom",
          path: ["customer_no_with_prefix"],
          message: 'expected "customer_no_with_prefix" or "customer_no_with_prefix "',
        });
      }
    }
    if (opts.smartfloQuirks && isHangup) {
      const direction = payload["direction"];
      const dialerCall = direction === "Dialer (inbound)" || direction === "Dialer (outbound)";
      for (const key of ["start_stamp", "answer_stamp", "end_stamp"]) {
        const value = payload[key];
        if (!dialerCall && typeof value === "string" && DIALER_STAMP.test(value)) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "the M/D/YYYY stamp dialect only occurs on Dialer calls",
          });
        }
      }
    }
  });
}

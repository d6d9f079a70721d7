import { describe, expect, it } from "vitest";
import {
  ACEFONE_TRIGGERS,
  AnsweredAgentSchema,
  BillingCircleSchema,
  CallConnectedSchema,
  CallFlowSchema,
  CallFlowStepSchema,
  CallIdSchema,
  CallStatusSchema,
  DefaultStampSchema,
  DialerStampSchema,
  DirectionSchema,
  DurationSecondsSchema,
  EpochStampSchema,
  HangupCauseSchema,
  IsoStampSchema,
  MissedAgentSchema,
  triggerPayloadSchema,
  UuidSchema,
} from "../src/vendors/acefone/schemas.js";

// ---------------------------------------------------------------------------------------------------------------
// Transcribed from Acefone's webhook document
// ---------------------------------------------------------------------------------------------------------------

/** The Trigger dropdown of the Add Webhook form, verbatim and in order. */
const DROPDOWN = [
  "Call received on Server",
  "Call answered on IVR",
  "Call answered by Agent",
  "Call hangup (Missed) (Deprecated)",
  "Call hangup (Answered) (Deprecated)",
  "Call hangup (Missed or Answered)",
  "DTMF Option",
  "Dialed on Agent",
  "Call received on Department",
  "Call received on Auto Attendant",
  "Call answered by Agent (Hangup)",
  "Call missed by Agent (Hangup)",
  "Call answered by Customer (Click to call)",
  "Call missed by Customer (Click to Call)",
  "Disposition Status Updated (Dialer)",
  "Call Connected to Agent (Dialer)",
  "Session Call Answered",
  "Call hangup (Missed) (updated)",
  "Call hangup (Answered) (updated)",
];

/** The "Call Type" column of the WebHook Triggers table, keyed by dropdown label. */
const CALL_TYPES: Record<
  string,
  "Inbound" | "Outbound" | "Inbound and Outbound" | "Inbound and Outbound(Dialer)"
> = {
  "Call received on Server": "Inbound",
  "Call answered on IVR": "Inbound and Outbound",
  "Call answered by Agent": "Inbound and Outbound",
  "Call hangup (Missed) (Deprecated)": "Inbound and Outbound",
  "Call hangup (Answered) (Deprecated)": "Inbound and Outbound",
  "Call hangup (Missed or Answered)": "Inbound and Outbound",
  "DTMF Option": "Inbound and Outbound",
  "Dialed on Agent": "Inbound",
  "Call received on Department": "Inbound",
  "Call received on Auto Attendant": "Inbound",
  "Call answered by Agent (Hangup)": "Inbound",
  "Call missed by Agent (Hangup)": "Inbound",
  "Call answered by Customer (Click to call)": "Outbound",
  "Call missed by Customer (Click to Call)": "Outbound",
  "Call Connected to Agent (Dialer)": "Inbound and Outbound(Dialer)",
  "Disposition Status Updated (Dialer)": "Inbound and Outbound(Dialer)",
};

/**
 * The variable tables, `$` included, as printed. The document prints the hang-up CDR table five times
 * (answered/missed by agent, missed or answered, answered, missed); each copy is transcribed.
 */
const DOC_TABLES: Record<string, string[]> = {
  "Call answered by Agent (Hangup)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number_with_prefix",
    "$customer_number",
    "$answered_agent_number",
    "$answered_agent_name",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$digits_dialed",
    "$direction",
    "$duration",
    "$answered_agent",
    "$missed_agent",
    "$call_flow",
    "$broadcast_lead_fields",
    "$recording_url",
    "$start_date",
    "$start_time",
    "$call_connected",
    "$broadcast_name",
    "$broadcast_id",
    "$bridged_duration",
    "$call_status",
    "$call_id",
    "$outbound_sec",
    "$agent_ring_time",
    "$billing_circle",
    "$telecom_operator",
    "$telecom_circle",
    "$first_missed_agent_number",
    "$first_missed_agent_follow_me_number",
    "$end_time",
    "$aws_call_recording_identifier",
  ],
  "Call missed by Agent (Hangup)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number_with_prefix",
    "$customer_number",
    "$answered_agent_number",
    "$answered_agent_name",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$digits_dialed",
    "$direction",
    "$duration",
    "$answered_agent",
    "$missed_agent",
    "$call_flow",
    "$broadcast_lead_fields",
    "$recording_url",
    "$start_date",
    "$start_time",
    "$call_connected",
    "$broadcast_name",
    "$broadcast_id",
    "$bridged_duration",
    "$call_status",
    "$call_id",
    "$outbound_sec",
    "$agent_ring_time",
    "$billing_circle",
    "$telecom_operator",
    "$telecom_circle",
    "$first_missed_agent_number",
    "$first_missed_agent_follow_me_number",
    "$end_time",
    "$aws_call_recording_identifier",
  ],
  "Call hangup (Missed or Answered)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number_with_prefix",
    "$customer_number",
    "$answered_agent_number",
    "$answered_agent_name",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$digits_dialed",
    "$direction",
    "$duration",
    "$answered_agent",
    "$missed_agent",
    "$call_flow",
    "$broadcast_lead_fields",
    "$recording_url",
    "$start_date",
    "$start_time",
    "$call_connected",
    "$broadcast_name",
    "$broadcast_id",
    "$bridged_duration",
    "$call_status",
    "$call_id",
    "$outbound_sec",
    "$agent_ring_time",
    "$billing_circle",
    "$telecom_operator",
    "$telecom_circle",
    "$first_missed_agent_number",
    "$first_missed_agent_follow_me_number",
    "$end_time",
    "$aws_call_recording_identifier",
  ],
  "Call hangup (Answered) (Deprecated)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number_with_prefix",
    "$customer_number",
    "$answered_agent_number",
    "$answered_agent_name",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$digits_dialed",
    "$direction",
    "$duration",
    "$answered_agent",
    "$missed_agent",
    "$call_flow",
    "$broadcast_lead_fields",
    "$recording_url",
    "$start_date",
    "$start_time",
    "$call_connected",
    "$broadcast_name",
    "$broadcast_id",
    "$bridged_duration",
    "$call_status",
    "$call_id",
    "$outbound_sec",
    "$agent_ring_time",
    "$billing_circle",
    "$telecom_operator",
    "$telecom_circle",
    "$first_missed_agent_number",
    "$first_missed_agent_follow_me_number",
    "$end_time",
    "$aws_call_recording_identifier",
  ],
  "Call answered by Agent": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$answered_agent_number",
    "$call_id",
    "$billing_circle",
    "$call_status",
    "$direction",
    "$customer_no_with_prefix",
  ],
  "Call answered on IVR": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$ivr_id",
    "$ivr_name",
    "$call_id",
    "$billing_circle",
    "$customer_no_with_prefix",
  ],
  "DTMF Option": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$date",
    "$digit_pressed",
    "$call_id",
    "$billing_circle",
    "$customer_no_with_prefix",
  ],
  "Call hangup (Missed) (Deprecated)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number_with_prefix",
    "$customer_number",
    "$answered_agent_number",
    "$answered_agent_name",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$digits_dialed",
    "$direction",
    "$duration",
    "$answered_agent",
    "$missed_agent",
    "$call_flow",
    "$broadcast_lead_fields",
    "$recording_url",
    "$start_date",
    "$start_time",
    "$call_connected",
    "$broadcast_name",
    "$broadcast_id",
    "$bridged_duration",
    "$call_status",
    "$call_id",
    "$outbound_sec",
    "$agent_ring_time",
    "$billing_circle",
    "$telecom_operator",
    "$telecom_circle",
    "$first_missed_agent_number",
    "$first_missed_agent_follow_me_number",
    "$end_time",
    "$aws_call_recording_identifier",
  ],
  "Call received on Server": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$call_id",
    "$billing_circle",
    "$customer_no_with_prefix",
  ],
  "Dialed on Agent": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$date",
    "$call_flow",
    "$dept_name",
    "$ivr_name",
    "$call_id",
    "$billing_circle",
    "$agent_number",
    '$agent_name"',
    "$customer_no_with_prefix",
  ],
  "Call received on Department": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$date",
    "$call_flow",
    "$dept_id",
    "$dept_name",
    "$ivr_name",
    "$call_id",
    "$billing_circle",
    "$customer_no_with_prefix",
  ],
  "Call received on Auto Attendant": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$auto_attendant_id",
    "$auto_attendant_name",
    "$call_id",
    "$billing_circle",
    "$customer_no_with_prefix",
  ],
  "Call answered by Customer (Click to call)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$direction",
    "$answer_agent_number",
    "$billing_circle",
    "$call_status",
    "$customer_no_with_prefix",
  ],
  "Disposition Status Updated (Dialer)": [
    "$call_id",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$start_date",
    "$start_time",
    "$end_stamp",
    "$end_date",
    "$end_time",
    "$direction",
    "$duration",
    "$call_flow",
    "$lead_fields",
    "$campaign_name",
    "$campaign_id",
    "$billing_circle",
    "$agent",
    "$agent_name",
    "$agent_number",
    "$disposition",
    "sub_dispositon",
    "customer_no_with_prefix",
  ],
  "Call Connected to Agent (Dialer)": [
    "$call_id",
    "$call_to_number",
    "$caller_id_number",
    "$start_stamp",
    "$start_date",
    "$start_time",
    "$direction",
    "$call_flow",
    "$lead_fields",
    "$campaign_name",
    "$campaign_id",
    "$billing_circle",
    "$agent",
    "$agent_name",
    "$agent_number",
    "customer_no_with_prefix",
  ],
  "Call missed by Customer (Click to Call)": [
    "$uuid",
    "$call_to_number",
    "$caller_id_number",
    "$customer_number",
    "$start_stamp",
    "$answer_stamp",
    "$end_stamp",
    "$hangup_cause",
    "$billsec",
    "$direction",
    "$duration",
    "$answered_agent{}",
    "$call_flow",
    "$recording_url",
    "$call_status",
    "$call_id",
    "$billing_circle",
    "$aws_call_recording_identifier",
    "customer_no_with_prefix",
  ],
};

/** `$name` → `name`; the document's stray `"` (`$agent_name"`) and `{}` (`$answered_agent{}`) are typesetting. */
const keyOf = (variable: string): string => variable.replace(/^\$/, "").replace(/["{}]/g, "");

/** Dropdown entries without a table of their own, and what the trigger list infers for them. */
const UNDOCUMENTED: Record<string, string[]> = {
  "Session Call Answered": [],
  "Call hangup (Missed) (updated)": (DOC_TABLES["Call hangup (Missed or Answered)"] ?? []).map(keyOf),
  "Call hangup (Answered) (updated)": (DOC_TABLES["Call hangup (Missed or Answered)"] ?? []).map(keyOf),
};

const HANGUP_LABELS = [
  "Call hangup (Missed) (Deprecated)",
  "Call hangup (Answered) (Deprecated)",
  "Call hangup (Missed or Answered)",
  "Call answered by Agent (Hangup)",
  "Call missed by Agent (Hangup)",
  "Call hangup (Missed) (updated)",
  "Call hangup (Answered) (updated)",
];

const byName = (name: string) => {
  const trigger = ACEFONE_TRIGGERS.find((t) => t.name === name);
  if (!trigger) throw new Error(`no trigger named ${name}`);
  return trigger;
};

describe("ACEFONE_TRIGGERS", () => {
  it("lists the 19 dropdown labels in the dropdown's order", () => {
    expect(ACEFONE_TRIGGERS.map((t) => t.name)).toEqual(DROPDOWN);
    expect(new Set(ACEFONE_TRIGGERS.map((t) => t.id)).size).toBe(19);
    for (const t of ACEFONE_TRIGGERS) expect(t.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("uses the ids the rest of the product refers to", () => {
    expect(byName("Call received on Server").id).toBe("call-received-on-server");
    expect(byName("Call hangup (Missed or Answered)").id).toBe("call-hangup");
    expect(byName("Disposition Status Updated (Dialer)").id).toBe("dialer-disposition-updated");
  });

  it("matches every variable table of the document, order and spelling included", () => {
    for (const [name, table] of Object.entries(DOC_TABLES)) {
      const trigger = byName(name);
      expect(trigger.documented, name).toBe(true);
      expect([...trigger.variables], name).toEqual(table.map(keyOf));
    }
    expect(byName("Disposition Status Updated (Dialer)").variables).toContain("sub_dispositon");
    expect(byName("Call answered by Customer (Click to call)").variables).toContain("answer_agent_number");
  });

  it("infers the undocumented dropdown entries", () => {
    for (const [name, keys] of Object.entries(UNDOCUMENTED)) {
      const trigger = byName(name);
      expect(trigger.documented, name).toBe(false);
      expect([...trigger.variables], name).toEqual(keys);
    }
  });

  it("shares one variable constant across the hang-up family", () => {
    const first = byName(HANGUP_LABELS[0]!).variables;
    for (const name of HANGUP_LABELS) expect(byName(name).variables).toBe(first);
    const others = ACEFONE_TRIGGERS.filter((t) => !HANGUP_LABELS.includes(t.name));
    for (const t of others) expect(t.variables).not.toBe(first);
  });

  it("takes callType from the trigger table", () => {
    const map = {
      Inbound: "inbound",
      Outbound: "outbound",
      "Inbound and Outbound": "both",
      "Inbound and Outbound(Dialer)": "both",
    } as const;
    for (const [name, type] of Object.entries(CALL_TYPES))
      expect(byName(name).callType, name).toBe(map[type]);
    for (const name of Object.keys(UNDOCUMENTED)) expect(byName(name).callType).toBe("both");
  });

  it("marks only the two (Deprecated) hang-ups as deprecated", () => {
    expect(ACEFONE_TRIGGERS.filter((t) => t.deprecated).map((t) => t.name)).toEqual([
      "Call hangup (Missed) (Deprecated)",
      "Call hangup (Answered) (Deprecated)",
    ]);
  });

  it("keeps keys observed on the wire apart from the documented variables", () => {
    for (const name of HANGUP_LABELS) {
      expect(byName(name).observedExtras).toEqual(["did_number", "ref_id", "custom_identifier"]);
    }
    expect(byName("Call answered by Agent").observedExtras).toEqual([
      "status",
      "ref_id",
      "custom_identifier",
    ]);
    for (const t of ACEFONE_TRIGGERS) {
      for (const extra of t.observedExtras ?? []) expect(t.variables).not.toContain(extra);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Value schemas
// ---------------------------------------------------------------------------------------------------------------

function accepts(schema: { safeParse(v: unknown): { success: boolean } }, good: unknown[], bad: unknown[]) {
  for (const v of good) expect(schema.safeParse(v).success, `accepts ${JSON.stringify(v)}`).toBe(true);
  for (const v of bad) expect(schema.safeParse(v).success, `rejects ${JSON.stringify(v)}`).toBe(false);
}

describe("value schemas", () => {
  it("CallIdSchema", () =>
    accepts(
      CallIdSchema,
      ["1628512094.7228905", "1783784576.231947", "h11.08-1770532638.2135633"],
      [
        "1628512094",
        "61111f5e708c5",
        "1628512094.",
        "H11.08-1770532638.2135633",
        "x-1628512094.1",
        1628512094.7,
      ],
    ));

  it("UuidSchema", () =>
    accepts(
      UuidSchema,
      ["61111f5e708c5", "6a5264b8dc05b", "610edefd7b4dd"],
      ["61111F5E708C5", "61111f5e708c", "61111f5e708c5a", "61111f5e708g5", ""],
    ));

  it("DurationSecondsSchema", () =>
    accepts(DurationSecondsSchema, ["0", "4", "132", ""], ["4.5", "-1", 4, " 4", "4s"]));

  it("CallConnectedSchema", () => accepts(CallConnectedSchema, ["1", "0"], [true, false, 1, 0, "true", ""]));

  it("CallStatusSchema", () =>
    accepts(CallStatusSchema, ["answered", "missed", "queued"], ["Answered", "Missed", "busy", ""]));

  it("DirectionSchema", () =>
    accepts(
      DirectionSchema,
      ["inbound", "outbound", "Dialer (inbound)", "Dialer (outbound)", "clicktocall", "click_to_call"],
      ["Inbound", "dialer (inbound)", "click-to-call", ""],
    ));

  it("HangupCauseSchema", () =>
    accepts(
      HangupCauseSchema,
      [
        "NormalClearing",
        "destination_hangup",
        "destination_not_set",
        "disconnected_by_caller",
        "disconnected_by_callee",
        "hangup_as_per_destination",
      ],
      ["busy", "cancel", "NORMAL_CLEARING", ""],
    ));

  it("DefaultStampSchema", () =>
    accepts(
      DefaultStampSchema,
      ["2021-08-09 17:58:44", "2026-07-11 21:13:52", ""],
      ["2021-08-09T17:58:44Z", "2021-08-09", "2021-13-09 17:58:44", "2021-08-09 24:00:00", "1628512124"],
    ));

  it("EpochStampSchema", () =>
    accepts(
      EpochStampSchema,
      ["1628512124", "1783784632", ""],
      [1628512124, "1628512124.5", "2021-08-09 17:58:44", "0162851212"],
    ));

  it("IsoStampSchema", () =>
    accepts(
      IsoStampSchema,
      ["2021-08-09T12:28:44Z", "2021-08-09T17:58:44+05:30", "2021-08-09T12:28:44+00:00", ""],
      ["2021-08-09 17:58:44", "2021-08-09T17:58:44", "2021-08-09T17:58:44.123Z", "2021-08-09T17:58:44+0530"],
    ));

  it("DialerStampSchema", () =>
    accepts(
      DialerStampSchema,
      ["7/11/2026, 9:12:56 PM", "12/1/2026, 12:00:00 AM", ""],
      ["07/11/2026, 9:12:56 PM", "7/11/2026 9:12:56 PM", "7/11/2026, 21:12:56", "2026-07-11 21:12:56"],
    ));

  it("BillingCircleSchema", () =>
    accepts(
      BillingCircleSchema,
      [{ operator: "Idea", circle: "Mumbai" }],
      [{ operator: "Idea" }, { operator: "Idea", circle: "Mumbai", extra: 1 }, '{"operator":"Idea"}'],
    ));

  it("AnsweredAgentSchema", () => {
    const agent = {
      email: "a@example.com",
      id: "12",
      is_transferred_agent: "No",
      name: "Asha",
      number: "+918383081442",
    };
    accepts(
      AnsweredAgentSchema,
      ["", [], [agent], [agent, { ...agent, is_transferred_agent: "Yes" }]],
      [agent, [{ ...agent, is_transferred_agent: "no" }], [{ ...agent, email: undefined }], "Asha"],
    );
  });

  it("MissedAgentSchema", () =>
    accepts(
      MissedAgentSchema,
      ["", [{ agent_number: "+918383081442", number: "+918383081442", name: "Asha" }]],
      [[{ number: "+918383081442" }], { agent_number: "1", number: "1" }, "x"],
    ));

  it("CallFlowStepSchema and CallFlowSchema", () => {
    accepts(
      CallFlowStepSchema,
      [
        { type: "init", time: 1628512094, value: "1628512094.7228905" },
        {
          type: "DTMF",
          time: "1628512100",
          input: "1",
          dsid: "3649",
          dstype: "auto_attendant",
          optsts: "Valid",
        },
        { type: "Inbound Queue", time: 1628512101.25, dept_dialst: "Answered", ringst: "Ringing" },
        {
          type: "Agent",
          time: "1628512102.5",
          dialst: "Answered",
          num: "Extension-0602141810347",
          id: 7,
          name: "A",
        },
      ],
      [{ time: 1 }, { type: "init" }, { type: "init", time: "soon" }, { type: "", time: 1 }],
    );
    accepts(CallFlowSchema, [[], [{ type: "hangup", time: 1 }]], [{ type: "hangup", time: 1 }, ""]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------------------------

type DateFormat = "default" | "epoch" | "iso";
type Payload = Record<string, unknown>;

const STAMPS: Record<string, Record<DateFormat, string>> = {
  start_stamp: { default: "2021-08-09 17:58:04", epoch: "1628512084", iso: "2021-08-09T17:58:04+05:30" },
  answer_stamp: { default: "2021-08-09 17:58:14", epoch: "1628512094", iso: "2021-08-09T12:28:14Z" },
  end_stamp: { default: "2021-08-09 17:58:44", epoch: "1628512124", iso: "2021-08-09T12:28:44+00:00" },
  date: { default: "2021-08-09 16:12:00", epoch: "1628505720", iso: "2021-08-09T16:12:00+05:30" },
};

const ANSWERED_AGENT = [
  {
    email: "asha@example.com",
    id: "4512",
    is_transferred_agent: "No",
    name: "Asha",
    number: "+918383081442",
  },
];

const CALL_FLOW = [
  { type: "init", time: 1628512084, value: "1628512094.7228905" },
  { type: "IVR", time: "1628512085" },
  { type: "DTMF", time: 1628512090.5, input: "1", dsid: "6999", dstype: "inbound_queue", optsts: "Valid" },
  { type: "Inbound Queue", time: 1628512091, dept_dialst: "Answered", ringst: "Ringing" },
  { type: "Agent", time: 1628512092, dialst: "Answered", num: "Extension-0602141810347" },
  { type: "hangup", time: 1628512124 },
];

/** A plausible value for every variable, as a JSON body carries it. */
const VALUES: Payload = {
  uuid: "61111f5e708c5",
  call_to_number: "918069010148",
  caller_id_number: "9000007179",
  customer_number_with_prefix: "+919000007179",
  customer_number: "9000007179",
  answered_agent_number: "+918383081442",
  answered_agent_name: "Asha",
  hangup_cause: "NormalClearing",
  billsec: "30",
  digits_dialed: ["1"],
  direction: "inbound",
  duration: "40",
  answered_agent: ANSWERED_AGENT,
  missed_agent: "",
  call_flow: CALL_FLOW,
  broadcast_lead_fields: "",
  recording_url: "https://console.acefone.in/file/recording?callId=1628512094.7228905&token=abc",
  start_date: "2021-08-09",
  start_time: "17:58:04",
  call_connected: "1",
  broadcast_name: "",
  broadcast_id: "",
  bridged_duration: "30",
  call_status: "answered",
  call_id: "1628512094.7228905",
  outbound_sec: "0",
  agent_ring_time: "10",
  billing_circle: { operator: "Idea", circle: "Mumbai" },
  telecom_operator: "Idea",
  telecom_circle: "Mumbai",
  first_missed_agent_number: "",
  first_missed_agent_follow_me_number: "",
  end_date: "2021-08-09",
  end_time: "17:58:44",
  aws_call_recording_identifier: "rec-1628512094-7228905",
  ivr_id: 3112,
  ivr_name: "Election promotion IVR",
  digit_pressed: "3",
  dept_id: "6999",
  dept_name: "Sales Department",
  agent_number: "+918383081442",
  agent_name: "Asha",
  auto_attendant_id: "3649",
  auto_attendant_name: "Festival sale auto attendant",
  answer_agent_number: "918383081442",
  lead_fields: '{"name":"Ravi","city":"Pune"}',
  campaign_name: "Demo campaign",
  campaign_id: "1213334",
  agent: "Demo Agent",
  disposition: "Answered",
  sub_dispositon: "Interested",
  customer_no_with_prefix: "+919000007179",
};

const OVERRIDES: Record<string, Payload> = {
  "dialed-on-agent": { dept_name: ["Sales Department"], ivr_name: ["Election promotion IVR"] },
  "click-to-call-answered-by-customer": { direction: "click_to_call" },
  "click-to-call-missed-by-customer": {
    direction: "clicktocall",
    call_status: "missed",
    answered_agent: "",
    answer_stamp: "",
    billsec: "0",
    hangup_cause: "destination_hangup",
    recording_url: "",
    call_flow: "",
  },
  "dialer-disposition-updated": { direction: "Dialer (outbound)" },
  "dialer-call-connected-to-agent": { direction: "Dialer (inbound)" },
};

function sample(triggerId: string, dateFormat: DateFormat): Payload {
  const trigger = ACEFONE_TRIGGERS.find((t) => t.id === triggerId)!;
  const out: Payload = {};
  for (const key of trigger.variables) {
    const override = OVERRIDES[triggerId];
    const stamps = STAMPS[key];
    out[key] = override && key in override ? override[key] : stamps ? stamps[dateFormat] : VALUES[key];
    if (out[key] === undefined) throw new Error(`no sample for ${key}`);
  }
  return out;
}

/** What application/x-www-form-urlencoded carries: strings, nested values JSON-encoded. */
function toForm(payload: Payload): Payload {
  const out: Payload = {};
  for (const [key, value] of Object.entries(payload)) {
    out[key] =
      typeof value === "string" ? value : typeof value === "number" ? String(value) : JSON.stringify(value);
  }
  // Round-trip through the wire format to be sure every value survives as a string.
  return Object.fromEntries(new URLSearchParams(out as Record<string, string>));
}

const encode = (payload: Payload, encoding: "json" | "form") =>
  encoding === "form" ? toForm(payload) : payload;

const FORMATS: DateFormat[] = ["default", "epoch", "iso"];
const ENCODINGS = ["json", "form"] as const;
const OTHER_FORMAT: Record<DateFormat, DateFormat> = { default: "iso", epoch: "default", iso: "epoch" };

describe("triggerPayloadSchema", () => {
  for (const trigger of ACEFONE_TRIGGERS) {
    describe(trigger.id, () => {
      const stampKeys = trigger.variables.filter((k) => k in STAMPS);

      for (const encoding of ENCODINGS) {
        for (const dateFormat of FORMATS) {
          for (const smartfloQuirks of [false, true]) {
            const opts = { dateFormat, encoding, smartfloQuirks };
            const label = `${encoding}/${dateFormat}${smartfloQuirks ? "/quirks" : ""}`;

            it(`accepts a valid payload (${label})`, () => {
              const result = triggerPayloadSchema(trigger.id, opts).safeParse(
                encode(sample(trigger.id, dateFormat), encoding),
              );
              expect(result.error?.issues ?? []).toEqual([]);
            });

            it(`rejects drift (${label})`, () => {
              const schema = triggerPayloadSchema(trigger.id, opts);
              const valid = sample(trigger.id, dateFormat);

              expect(schema.safeParse(encode({ ...valid, unexpected_key: "x" }, encoding)).success).toBe(
                false,
              );

              // Every documented key is required (with quirks, customer_no_with_prefix may use the other spelling).
              for (const key of trigger.variables) {
                const { [key]: _dropped, ...missing } = valid;
                expect(schema.safeParse(encode(missing, encoding)).success, `missing ${key}`).toBe(false);
              }

              for (const key of stampKeys) {
                const wrong = { ...valid, [key]: STAMPS[key]![OTHER_FORMAT[dateFormat]] };
                expect(schema.safeParse(encode(wrong, encoding)).success, `${key} in another format`).toBe(
                  false,
                );
              }

              if (trigger.variables.includes("call_connected")) {
                expect(schema.safeParse({ ...encode(valid, encoding), call_connected: true }).success).toBe(
                  false,
                );
              }
              if (trigger.variables.includes("call_status")) {
                expect(
                  schema.safeParse(encode({ ...valid, call_status: "Answered" }, encoding)).success,
                ).toBe(false);
              }
            });
          }
        }
      }
    });
  }

  it("accepts the observed extras but does not require them", () => {
    const opts = { dateFormat: "default", encoding: "json", smartfloQuirks: false } as const;
    const hangup = sample("call-hangup", "default");
    const schema = triggerPayloadSchema("call-hangup", opts);
    expect(
      schema.safeParse({ ...hangup, did_number: "918069010148", ref_id: "r-1", custom_identifier: "crm-9" })
        .success,
    ).toBe(true);
    expect(schema.safeParse({ ...hangup, status: "Answered by agent" }).success).toBe(false);

    const answered = {
      ...sample("call-answered-by-agent", "default"),
      direction: "click_to_call",
      call_status: "queued",
      status: "Answered by agent",
      ref_id: "r-1",
      custom_identifier: "crm-9",
    };
    expect(triggerPayloadSchema("call-answered-by-agent", opts).safeParse(answered).success).toBe(true);
  });

  it("accepts the trailing-space key only with smartfloQuirks", () => {
    const valid = sample("call-received-on-server", "default");
    const withSpace = { ...valid, "customer_no_with_prefix ": "+919000007179" };
    const onlySpace: Payload = { ...withSpace };
    delete onlySpace["customer_no_with_prefix"];
    const plain = { dateFormat: "default", encoding: "form", smartfloQuirks: false } as const;
    const quirks = { ...plain, smartfloQuirks: true } as const;

    expect(triggerPayloadSchema("call-received-on-server", plain).safeParse(toForm(withSpace)).success).toBe(
      false,
    );
    expect(triggerPayloadSchema("call-received-on-server", plain).safeParse(toForm(onlySpace)).success).toBe(
      false,
    );
    expect(triggerPayloadSchema("call-received-on-server", quirks).safeParse(toForm(withSpace)).success).toBe(
      true,
    );
    expect(triggerPayloadSchema("call-received-on-server", quirks).safeParse(toForm(onlySpace)).success).toBe(
      true,
    );
    expect(
      triggerPayloadSchema("call-hangup", quirks).safeParse(
        toForm({ ...sample("call-hangup", "default"), "customer_no_with_prefix ": "" }),
      ).success,
    ).toBe(true);
  });

  it("takes nested values as JSON strings in form bodies only", () => {
    const json = { dateFormat: "default", encoding: "json", smartfloQuirks: false } as const;
    const form = { ...json, encoding: "form" } as const;
    const valid = sample("call-hangup", "default");

    expect(triggerPayloadSchema("call-hangup", form).safeParse(valid).success).toBe(false);
    expect(triggerPayloadSchema("call-hangup", json).safeParse(toForm(valid)).success).toBe(false);
    const parsed = triggerPayloadSchema("call-hangup", form).parse(toForm(valid));
    expect(parsed["billing_circle"]).toEqual({ operator: "Idea", circle: "Mumbai" });
    expect(parsed["answered_agent"]).toEqual(ANSWERED_AGENT);
    expect(parsed["call_flow"]).toEqual(CALL_FLOW);

    const broken = { ...toForm(valid), billing_circle: "{operator:Idea" };
    expect(triggerPayloadSchema("call-hangup", form).safeParse(broken).success).toBe(false);
    const wrongShape = { ...toForm(valid), answered_agent: JSON.stringify({ name: "Asha" }) };
    expect(triggerPayloadSchema("call-hangup", form).safeParse(wrongShape).success).toBe(false);
  });

  it("takes ivr_id as a number in JSON and as digits in either encoding", () => {
    const opts = { dateFormat: "default", encoding: "json", smartfloQuirks: false } as const;
    const valid = sample("call-answered-on-ivr", "default");
    const schema = triggerPayloadSchema("call-answered-on-ivr", opts);
    expect(schema.safeParse({ ...valid, ivr_id: "3112" }).success).toBe(true);
    expect(schema.safeParse({ ...valid, ivr_id: "IVR-1" }).success).toBe(false);
    expect(schema.safeParse({ ...valid, ivr_id: 31.5 }).success).toBe(false);
  });

  it("accepts a missed hang-up CDR with empty answer values", () => {
    const opts = { dateFormat: "epoch", encoding: "form", smartfloQuirks: false } as const;
    const missed = {
      ...sample("call-missed-by-agent-hangup", "epoch"),
      call_status: "missed",
      call_connected: "0",
      answered_agent: "",
      answered_agent_number: "",
      answered_agent_name: "",
      missed_agent: [{ agent_number: "+918383081442", number: "+918383081442", name: "Asha" }],
      first_missed_agent_number: "+918383081442",
      hangup_cause: "destination_not_set",
    };
    expect(triggerPayloadSchema("call-missed-by-agent-hangup", opts).safeParse(toForm(missed)).success).toBe(
      true,
    );
  });

  describe("Dialer stamp dialect", () => {
    const dialerStamp = "7/11/2026, 9:12:56 PM";

    it("is accepted on Dialer triggers only with smartfloQuirks", () => {
      const valid = {
        ...sample("dialer-disposition-updated", "iso"),
        start_stamp: dialerStamp,
        end_stamp: dialerStamp,
      };
      const opts = { dateFormat: "iso", encoding: "json", smartfloQuirks: false } as const;
      expect(triggerPayloadSchema("dialer-disposition-updated", opts).safeParse(valid).success).toBe(false);
      expect(
        triggerPayloadSchema("dialer-disposition-updated", { ...opts, smartfloQuirks: true }).safeParse(valid)
          .success,
      ).toBe(true);
    });

    it("is accepted on hang-up CDRs of Dialer calls only", () => {
      const opts = { dateFormat: "default", encoding: "json", smartfloQuirks: true } as const;
      const dialerCdr = {
        ...sample("call-hangup", "default"),
        direction: "Dialer (outbound)",
        start_stamp: dialerStamp,
        answer_stamp: dialerStamp,
        end_stamp: dialerStamp,
        billsec: "",
        customer_number_with_prefix: "",
        caller_id_number: "+919000007179",
        hangup_cause: "disconnected_by_callee",
      };
      const schema = triggerPayloadSchema("call-hangup", opts);
      expect(schema.safeParse(dialerCdr).success).toBe(true);
      expect(schema.safeParse({ ...dialerCdr, direction: "inbound" }).success).toBe(false);
      expect(
        triggerPayloadSchema("call-hangup", { ...opts, smartfloQuirks: false }).safeParse(dialerCdr).success,
      ).toBe(false);
    });
  });

  it("accepts Smartflo value quirks only with smartfloQuirks", () => {
    const opts = { dateFormat: "default", encoding: "json", smartfloQuirks: false } as const;
    const cdr = { ...sample("call-hangup", "default"), answered_agent_number: "_number" };
    expect(triggerPayloadSchema("call-hangup", opts).safeParse(cdr).success).toBe(false);
    expect(
      triggerPayloadSchema("call-hangup", { ...opts, smartfloQuirks: true }).safeParse(cdr).success,
    ).toBe(true);

    const c2c = {
      ...sample("call-hangup", "default"),
      direction: "clicktocall",
      call_id: "h11.08-1770532638.2135633",
    };
    expect(triggerPayloadSchema("call-hangup", opts).safeParse(c2c).success).toBe(true);
  });

  it("takes call_flow as a JSON string on Dialer triggers in JSON bodies", () => {
    const opts = { dateFormat: "default", encoding: "json", smartfloQuirks: false } as const;
    const valid = {
      ...sample("dialer-call-connected-to-agent", "default"),
      call_flow: JSON.stringify(CALL_FLOW),
    };
    expect(triggerPayloadSchema("dialer-call-connected-to-agent", opts).safeParse(valid).success).toBe(true);
    const hangup = { ...sample("call-hangup", "default"), call_flow: JSON.stringify(CALL_FLOW) };
    expect(triggerPayloadSchema("call-hangup", opts).safeParse(hangup).success).toBe(false);
  });

  it("rejects an unknown trigger", () => {
    expect(() =>
      triggerPayloadSchema("call-forwarded", {
        dateFormat: "default",
        encoding: "json",
        smartfloQuirks: false,
      }),
    ).toThrow(/unknown Acefone trigger/);
  });
});

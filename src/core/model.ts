/**
 * The vendor-neutral call model. The simulation decides what happens to a call and when
 * (facts on a virtual clock); each vendor projects those facts into its own webhook events.
 */

export interface PhoneNumber {
  /** E.164 with a leading `+`. */
  e164: string;
  /** The national form with its trunk prefix (e.g. `0401234567`). */
  national: string;
}

export interface DirectoryQueue {
  key: string;
  name: string;
  number: PhoneNumber;
}

export interface DirectoryAgent {
  key: string;
  firstName: string;
  lastName: string;
  email: string;
  extension: string;
  number: PhoneNumber;
}

export interface DirectoryCallList {
  key: string;
  name: string;
}

/** The PBX tenant a vendor simulates: stable across runs, so ids of queues and users never change. */
export interface Directory {
  queues: DirectoryQueue[];
  agents: DirectoryAgent[];
  /** Agents serving each queue, by queue key. */
  members: Record<string, string[]>;
  callLists: DirectoryCallList[];
}

export type HangupSide = "caller" | "agent" | "system";
export type HangupCause = "normal" | "busy" | "noanswer" | "rejected" | "cancel" | "failed" | "timeout";
export type AvailabilityState = "Available" | "Busy" | "DoNotDisturb" | "OffWork";
export type CallbackAction = "create" | "assign" | "attempt" | "reschedule" | "close" | "expire";

/** One thing that happened to a call, `at` milliseconds after the call started. */
export type Fact =
  | { kind: "arrive"; at: number; target: "queue" | "user" }
  | { kind: "ivr"; at: number; menu: string }
  | { kind: "dtmf"; at: number; digits: string }
  | { kind: "enqueue"; at: number; queue: string }
  | { kind: "offer"; at: number; agent: string }
  | { kind: "answer"; at: number; agent: string }
  | { kind: "miss"; at: number; agent: string; reason: "noanswer" | "rejected" }
  | { kind: "dial"; at: number; agent: string }
  | { kind: "remote-ringing"; at: number }
  | { kind: "remote-answer"; at: number; amd?: "HUMAN" | "MACHINE" | "NOTSURE" }
  | {
      kind: "transfer-start";
      at: number;
      mode: "blind" | "attended";
      from: string;
      to: { agent?: string; number?: PhoneNumber };
    }
  | {
      kind: "transfer-end";
      at: number;
      mode: "blind" | "attended";
      outcome: "connected" | "cancelled";
      from: string;
      to: { agent?: string; number?: PhoneNumber };
    }
  | { kind: "hangup"; at: number; by: HangupSide; cause: HangupCause }
  | { kind: "overflow"; at: number; to: "callback" | "voicemail" | "number"; queue?: string; agent?: string }
  | { kind: "wrapup-start"; at: number; agent: string; maxSec: number }
  | { kind: "wrapup-end"; at: number; agent: string; reason: "timer" | "manual"; elapsedSec: number }
  | { kind: "recording"; at: number; agent?: string; durationMs: number }
  | {
      kind: "callback";
      at: number;
      action: CallbackAction;
      typeId: 1 | 2 | 3;
      agent?: string;
      result?: "success" | "noanswer" | "busy" | "failed";
      note?: string;
      notBeforeMs?: number;
      dueMs?: number;
    }
  | {
      kind: "availability";
      at: number;
      agent: string;
      state: AvailabilityState;
      note?: string;
      untilMs?: number;
    }
  | { kind: "disposition"; at: number; agent: string; value: string; sub?: string }
  /** A programmable-flow action the PBX runs on the call (answer, talk, digits_receive, queue_join, ...). */
  | {
      kind: "action";
      at: number;
      type: string;
      ref?: string;
      option?: Record<string, unknown>;
      digits?: string;
    };

export type FactKind = Fact["kind"];

export const FACT_KINDS: readonly FactKind[] = [
  "arrive",
  "ivr",
  "dtmf",
  "enqueue",
  "offer",
  "answer",
  "miss",
  "dial",
  "remote-ringing",
  "remote-answer",
  "transfer-start",
  "transfer-end",
  "hangup",
  "overflow",
  "wrapup-start",
  "wrapup-end",
  "recording",
  "callback",
  "availability",
  "disposition",
  "action",
];

export type CallOutcome = "answered" | "missed" | "abandoned" | "transferred" | "unanswered" | "none";

/** A whole simulated call: who, what, when. The single source every projection reads. */
export interface SimulatedCall {
  /** Run-unique key: "1", "2", ... */
  key: string;
  scenario: string;
  vendor: string;
  /** Epoch milliseconds of the call's start on the virtual clock. */
  start: number;
  direction: "inbound" | "outbound" | "none";
  /** Who started the call: the PBX's routing, a click-to-call request, or a dialer campaign. */
  origin?: "pbx" | "click-to-call" | "preview" | "progressive" | "predictive" | "broadcast" | "offline";
  channel?: "call" | "chat" | "task";
  campaign?: string;
  caller: PhoneNumber;
  /** The number dialled: the queue's or user's number for inbound, the remote party for outbound. */
  dialled: PhoneNumber;
  queue?: string;
  /** The user a direct call targets, or the agent who places an outbound call. */
  user?: string;
  callList?: string;
  facts: Fact[];
  /** The call flow a programmable PBX runs (scenario `flow:`, or the action steps in order). */
  flow?: FlowAction[];
  /** Derived summary, consistent with the facts. */
  summary: CallSummary;
}

export interface FlowAction {
  /** A label steps can refer to (`ref`); defaults to the action's position. */
  ref: string;
  type: string;
  option?: Record<string, unknown>;
}

export interface CallSummary {
  outcome: CallOutcome;
  answeredBy?: string;
  agents: string[];
  waitMs: number;
  talkMs: number;
  durationMs: number;
  disposition?: string;
  callbackItems: number;
}

import type {
  Directory,
  DirectoryAgent,
  Fact,
  FlowAction,
  HangupCause,
  SimulatedCall,
} from "../../core/model.js";
import { nameUuid, type Rng } from "../../core/random.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { legacyTime, rfc3339 } from "./time.js";
import { CUSTOMER_ID, FINISH_ACTION_ID, INBOUND_NUMBER, START_ACTION_ID, ZERO_UUID } from "./world.js";

/**
 * VoIPBIN projection (V1..V6). One call simulation becomes the events of the
 * caller's call, its activeflow, the queuecall and the agent legs, in either API generation.
 */

export type Generation = "legacy" | "current";
type Json = Record<string, unknown>;
type Status = "dialing" | "ringing" | "progressing" | "terminating" | "canceling" | "hangup";

const LEGACY_SENTINEL = "9999-01-01 00:00:00.000000";

/** A legacy timestamp, or the sentinel the legacy generation sends for an unset one. */
function legacyTimeOrSentinel(us: number | undefined): string {
  return us === undefined ? LEGACY_SENTINEL : legacyTime(us);
}

/** Legal call status transitions (the same status never repeats; hangup is terminal). */
const TRANSITIONS: Record<Status, Status[]> = {
  dialing: ["ringing", "progressing", "terminating", "canceling", "hangup"],
  ringing: ["progressing", "terminating", "canceling", "hangup"],
  progressing: ["terminating", "hangup"],
  terminating: ["hangup"],
  canceling: ["hangup"],
  hangup: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

/** `hangup_by` from the status the call was in when it hung up. */
export function hangupBy(last: Status): "remote" | "local" {
  return last === "terminating" || last === "canceling" ? "local" : "remote";
}

/** `hangup_reason` as the call manager derives it from direction, last status and the cause. */
export function hangupReason(direction: "incoming" | "outgoing", last: Status, cause: HangupCause): string {
  if (last === "canceling") return "cancel";
  if (direction === "incoming") {
    if (last === "dialing" || last === "ringing")
      return cause === "noanswer" ? "noanswer" : cause === "busy" ? "busy" : "normal";
    if (last === "progressing") return cause === "timeout" ? "timeout" : "normal";
    return "normal";
  }
  if (last === "dialing" || last === "ringing") {
    if (cause === "noanswer" || cause === "rejected") return "noanswer";
    if (cause === "busy") return "busy";
    if (cause === "normal") return "normal";
    if (cause === "timeout") return "dialout";
    return "failed";
  }
  if (last === "progressing") return cause === "timeout" ? "timeout" : "normal";
  return "normal";
}

/** A point on the virtual clock with microseconds, rendered in either generation's format. */
class Clock {
  constructor(
    private readonly start: number,
    private readonly rng: Rng,
  ) {}
  /** epoch microseconds for `at` ms after the call start */
  us(at: number): number {
    return (this.start + at) * 1000 + this.rng.int(0, 999);
  }
}

/** A scenario's flow id and the ids of its flow's actions, by ref. */
interface FlowIds {
  scenario: string;
  flow: string;
  actions: Map<string, string>;
}

/** Flow and action ids are derived once per scenario: every call of a scenario repeats them. */
const flowIdsByScenario = new Map<string, FlowIds>();
/** Bounds the remembered ids when scenario names keep changing. */
const FLOW_IDS_SCENARIOS = 1_000;

function flowIds(scenario: string): FlowIds {
  let ids = flowIdsByScenario.get(scenario);
  if (!ids) {
    if (flowIdsByScenario.size >= FLOW_IDS_SCENARIOS) flowIdsByScenario.clear();
    ids = { scenario, flow: nameUuid("voipbin/flow", scenario), actions: new Map() };
    flowIdsByScenario.set(scenario, ids);
  }
  return ids;
}

function actionId(ids: FlowIds, ref: string): string {
  let id = ids.actions.get(ref);
  if (id === undefined) {
    id = nameUuid(`voipbin/flow/${ids.scenario}`, ref);
    ids.actions.set(ref, id);
  }
  return id;
}

/** The flow id of an agent's leg in the legacy generation. */
const AGENT_DIAL_FLOW_ID = nameUuid("voipbin/flow", "agent-dial");

/** When every agent was created (µs), in both formats. */
const AGENT_CREATED = Date.UTC(2021, 10, 29, 6, 9, 7) * 1000 + 263_846;
const AGENT_CREATED_LEGACY = legacyTime(AGENT_CREATED);
const AGENT_CREATED_RFC3339 = rfc3339(AGENT_CREATED);

/** An agent's texts that do not change from call to call. */
interface AgentTexts {
  username: string;
  name: string;
  /** tag ids of the queues the agent is a member of */
  tagIds: string[];
}

const agentTextsByDirectory = new WeakMap<Directory, Map<string, AgentTexts>>();

function agentTexts(directory: Directory, a: DirectoryAgent): AgentTexts {
  let byKey = agentTextsByDirectory.get(directory);
  if (!byKey) {
    byKey = new Map();
    agentTextsByDirectory.set(directory, byKey);
  }
  let texts = byKey.get(a.key);
  if (!texts) {
    texts = {
      username: `${a.firstName.toLowerCase()}.${a.lastName.toLowerCase()}`,
      name: `${a.firstName} ${a.lastName}`,
      tagIds: Object.entries(directory.members)
        .filter(([, m]) => m.includes(a.key))
        .map(([q]) => nameUuid("voipbin/tag", q)),
    };
    byKey.set(a.key, texts);
  }
  return texts;
}

/** Event names of the statuses the legacy generation reports. */
const LEGACY_STATUS_EVENTS: Partial<Record<Status, string>> = {
  ringing: "call_ringing",
  progressing: "call_answered",
  hangup: "call_hungup",
};

const QUEUECALL_EVENTS: Record<string, string> = {
  wait: "queuecall_created",
  waiting: "queuecall_waiting",
  connecting: "queuecall_connecting",
  entering: "queuecall_entering",
  kicking: "queuecall_kicking",
  service: "queuecall_serviced",
  done: "queuecall_done",
  abandoned: "queuecall_abandoned",
};

interface ActionState {
  id: string;
  type: string;
  option?: Json;
}

interface Address {
  type: string;
  target: string;
  target_name: string;
  name: string;
  detail: string;
}

interface CallLeg {
  id: string;
  flowId: string;
  direction: "incoming" | "outgoing";
  status: Status;
  /** source and destination as the generation renders them */
  source: Json;
  destination: Json;
  master: string;
  chained: string[];
  /** the action the leg runs, as its webhooks render it */
  action: Json;
  agent?: DirectoryAgent;
  hangupBy: string;
  hangupReason: string;
  tmCreate: number;
  tmUpdate?: number;
  tmProgressing?: number;
  tmRinging?: number;
  tmHangup?: number;
  groupcallId?: string;
}

class VoipbinCall {
  readonly events: VendorEvent[] = [];
  /** The time of the latest event projected so far (the legacy activeflow's creation aside). */
  private latest = 0;
  /** When the activeflow was created: everything the flow does comes after it. */
  private activeflowAt = 0;
  private readonly gen: Generation;
  private readonly clock: Clock;
  private readonly flowId: string;
  /** the scenario's flow and action ids */
  private readonly ids: FlowIds;
  private readonly flow: ActionState[];
  /** legacy: the flow's actions as the activeflow lists them */
  private flowJson?: Json[];
  /** each flow action's option as JSON, filled as action facts compare options */
  private readonly flowOptionText: (string | undefined)[] = [];
  private readonly caller: CallLeg;
  private readonly activeflowId: string;
  /** the start action as webhooks render it before anything ran */
  private readonly startJson: Json;
  private cursor: ActionState;
  /** the cursor with its execution time, as calls and current activeflows render it */
  private cursorJson: Json;
  /** the cursor as the activeflow's `current_action` renders it */
  private currentActionJson: Json;
  private cursorIndex = -1;
  private forward = ZERO_UUID;
  /** the actions the cursor left, rendered with their execution times */
  private readonly executed: Json[] = [];
  private afCreate = 0;
  private afUpdate?: number;
  private afEnded = false;
  private queuecall?: {
    id: string;
    status: string;
    agent: string;
    tmCreate: number;
    tmService?: number;
    tmUpdate?: number;
    tmDelete?: number;
    waitingMs: number;
    serviceMs: number;
  };
  private readonly agentLegs = new Map<string, CallLeg>();
  private connectedAgent?: string;
  private readonly confbridgeId: string;

  constructor(
    private readonly call: SimulatedCall,
    private readonly ctx: ProjectionContext,
  ) {
    this.gen = ctx.profile === "current" ? "current" : "legacy";
    const rng = ctx.rng;
    this.clock = new Clock(call.start, rng);
    this.ids = flowIds(call.scenario);
    this.flowId = this.ids.flow;
    const flow: FlowAction[] = call.flow ?? [];
    this.flow = flow.map((a) => ({
      id: actionId(this.ids, a.ref),
      type: a.type,
      option: a.option,
    }));
    this.activeflowId = rng.uuid();
    this.confbridgeId = rng.uuid();
    this.cursor = { id: START_ACTION_ID, type: "" };
    this.startJson = this.actionJson(this.cursor, true);
    this.cursorJson = this.startJson;
    this.currentActionJson = this.startJson;
    const outbound = call.direction === "outbound";
    const tel = (n: string): Address => ({ type: "tel", target: n, target_name: "", name: "", detail: "" });
    this.caller = {
      id: rng.uuid(),
      flowId: this.flowId,
      direction: outbound ? "outgoing" : "incoming",
      status: outbound ? "dialing" : "ringing",
      source: this.addressJson(tel(outbound ? INBOUND_NUMBER.e164 : call.caller.e164)),
      destination: this.addressJson(tel(outbound ? call.dialled.e164 : INBOUND_NUMBER.e164)),
      master: ZERO_UUID,
      chained: [],
      action: this.startJson,
      hangupBy: "",
      hangupReason: "",
      tmCreate: 0,
    };
  }

  private agent(key: string): DirectoryAgent {
    return this.ctx.directory.agents.find((a) => a.key === key)!;
  }

  /** `ordering`: whether later facts wait for this event (all but the legacy activeflow's creation). */
  private push(at: number, type: string, data: Json, ordering = true): void {
    if (ordering && at > this.latest) this.latest = at;
    this.events.push({ at, name: type, payload: { type, data }, entityId: String(data.id) });
  }

  // ---- resources --------------------------------------------------------------------------------

  /** An address as the generation renders it: legacy sends every field, current omits the empty ones. */
  private addressJson(a: Address): Json {
    if (this.gen === "legacy") return { ...a };
    const out: Json = {};
    if (a.type) out.type = a.type;
    if (a.target) out.target = a.target;
    if (a.target_name) out.target_name = a.target_name;
    if (a.name) out.name = a.name;
    if (a.detail) out.detail = a.detail;
    return out;
  }

  /** An action; `executed` is when it ran (µs), with the extra digits of the legacy execution time. */
  private actionJson(a: ActionState, withExec: boolean, executed?: number, execExtra?: string): Json {
    const out: Json = { id: a.id, next_id: ZERO_UUID, type: a.type };
    if (a.option && Object.keys(a.option).length) out.option = a.option;
    if (this.gen === "legacy") {
      if (withExec && executed !== undefined) out.tm_execute = `${legacyTime(executed)}${execExtra ?? "000"}`;
    } else if (withExec) {
      out.tm_execute = executed !== undefined ? rfc3339(executed) : null;
    }
    return out;
  }

  private callJson(c: CallLeg): Json {
    if (this.gen === "legacy") {
      return {
        id: c.id,
        flow_id: c.flowId,
        type: "flow",
        master_call_id: c.master,
        chained_call_ids: c.chained.slice(),
        recording_id: ZERO_UUID,
        recording_ids: [],
        source: c.source,
        destination: c.destination,
        status: c.status,
        action: c.action,
        direction: c.direction,
        hangup_by: c.hangupBy,
        hangup_reason: c.hangupReason,
        tm_create: legacyTime(c.tmCreate),
        tm_update: legacyTimeOrSentinel(c.tmUpdate),
        tm_progressing: legacyTimeOrSentinel(c.tmProgressing),
        tm_ringing: legacyTimeOrSentinel(c.tmRinging),
        tm_hangup: legacyTimeOrSentinel(c.tmHangup),
      };
    }
    const out: Json = { id: c.id, customer_id: CUSTOMER_ID };
    if (c.agent) out.owner_type = "agent";
    out.owner_id = c.agent ? c.agent.key : ZERO_UUID;
    out.flow_id = c.flowId;
    out.activeflow_id = c.agent ? ZERO_UUID : this.activeflowId;
    out.type = "flow";
    out.master_call_id = c.master;
    if (c.chained.length) out.chained_call_ids = c.chained.slice();
    out.recording_id = ZERO_UUID;
    // groupcall_id is never copied into call webhooks: always the zero UUID
    out.groupcall_id = ZERO_UUID;
    out.source = c.source;
    out.destination = c.destination;
    out.status = c.status;
    out.action = c.action;
    out.direction = c.direction;
    if (c.hangupBy) out.hangup_by = c.hangupBy;
    if (c.hangupReason) out.hangup_reason = c.hangupReason;
    if (c.tmProgressing !== undefined) out.tm_progressing = rfc3339(c.tmProgressing);
    if (c.tmRinging !== undefined) out.tm_ringing = rfc3339(c.tmRinging);
    if (c.tmHangup !== undefined) out.tm_hangup = rfc3339(c.tmHangup);
    out.tm_create = rfc3339(c.tmCreate);
    if (c.tmUpdate !== undefined) out.tm_update = rfc3339(c.tmUpdate);
    return out;
  }

  private activeflowJson(): Json {
    if (this.gen === "legacy") {
      return {
        id: this.activeflowId,
        flow_id: this.flowId,
        customer_id: ZERO_UUID,
        reference_type: "call",
        reference_id: this.caller.id,
        current_action: this.currentActionJson,
        forward_action_id: this.forward,
        actions: (this.flowJson ??= this.flow.map((a) => this.actionJson(a, false))),
        tm_create: legacyTime(this.afCreate),
        tm_update: legacyTime(this.afUpdate ?? this.afCreate),
        tm_delete: LEGACY_SENTINEL,
      };
    }
    const out: Json = {
      id: this.activeflowId,
      customer_id: CUSTOMER_ID,
      flow_id: this.flowId,
      status: this.afEnded ? "ended" : "running",
      reference_type: "call",
      reference_id: this.caller.id,
      reference_activeflow_id: ZERO_UUID,
      on_complete_flow_id: ZERO_UUID,
      current_action: this.currentActionJson,
      forward_action_id: this.forward,
    };
    if (this.executed.length) out.executed_actions = this.executed.slice();
    out.tm_create = rfc3339(this.afCreate);
    out.tm_update = this.afUpdate !== undefined ? rfc3339(this.afUpdate) : null;
    out.tm_delete = null;
    return out;
  }

  private queuecallJson(): Json {
    const q = this.queuecall!;
    if (this.gen === "legacy") {
      return {
        id: q.id,
        reference_type: "call",
        reference_id: this.caller.id,
        status: q.status,
        service_agent_id: q.agent,
        tm_create: legacyTime(q.tmCreate),
        tm_service: legacyTimeOrSentinel(q.tmService),
        tm_update: legacyTimeOrSentinel(q.tmUpdate),
        tm_delete: legacyTimeOrSentinel(q.tmDelete),
      };
    }
    const out: Json = {
      id: q.id,
      customer_id: CUSTOMER_ID,
      reference_type: "call",
      reference_id: this.caller.id,
      status: q.status,
      service_agent_id: q.agent,
    };
    if (q.waitingMs) out.duration_waiting = q.waitingMs;
    if (q.serviceMs) out.duration_service = q.serviceMs;
    out.tm_create = rfc3339(q.tmCreate);
    out.tm_service = q.tmService !== undefined ? rfc3339(q.tmService) : null;
    out.tm_update = q.tmUpdate !== undefined ? rfc3339(q.tmUpdate) : null;
    out.tm_delete = q.tmDelete !== undefined ? rfc3339(q.tmDelete) : null;
    return out;
  }

  private agentJson(a: DirectoryAgent, status: string, us: number): Json {
    const texts = agentTexts(this.ctx.directory, a);
    if (this.gen === "legacy") {
      return {
        id: a.key,
        username: texts.username,
        name: texts.name,
        detail: "",
        ring_method: "ringall",
        status,
        permission: 0,
        tag_ids: texts.tagIds.slice(),
        addresses: [{ type: "tel", target: a.number.e164, target_name: "", name: "", detail: "" }],
        tm_create: AGENT_CREATED_LEGACY,
        tm_update: legacyTime(us),
        tm_delete: LEGACY_SENTINEL,
      };
    }
    const out: Json = {
      id: a.key,
      customer_id: CUSTOMER_ID,
      username: texts.username,
      name: texts.name,
      ring_method: "ringall",
      status,
      permission: 16,
    };
    if (texts.tagIds.length) out.tag_ids = texts.tagIds.slice();
    out.addresses = [{ type: "tel", target: a.number.e164 }];
    out.tm_create = AGENT_CREATED_RFC3339;
    out.tm_update = rfc3339(us);
    return out;
  }

  private groupcallJson(leg: CallLeg, status: "progressing" | "hangup", us: number, answered: boolean): Json {
    const a = leg.agent!;
    return {
      id: leg.groupcallId!,
      customer_id: CUSTOMER_ID,
      owner_type: "agent",
      owner_id: a.key,
      status,
      flow_id: ZERO_UUID,
      source: { type: "tel", target: INBOUND_NUMBER.e164 },
      destinations: [{ type: "agent", target: a.key }],
      master_call_id: this.caller.id,
      ring_method: "ringall",
      answer_method: "hangup_others",
      answer_call_id: answered ? leg.id : ZERO_UUID,
      call_ids: [leg.id],
      tm_create: rfc3339(leg.tmCreate),
      tm_update: rfc3339(us),
    };
  }

  // ---- event helpers --------------------------------------------------------------------------------

  private setStatus(leg: CallLeg, to: Status, us: number): void {
    if (!canTransition(leg.status, to))
      throw new Error(`illegal VoIPBIN call transition ${leg.status} -> ${to}`);
    leg.status = to;
    leg.tmUpdate = us;
    if (to === "progressing") leg.tmProgressing = us;
    if (to === "ringing") leg.tmRinging = us;
  }

  /** The status event of a leg, named after the status (current) or the legacy event names. */
  private statusEvent(at: number, leg: CallLeg): void {
    const name = this.gen === "legacy" ? LEGACY_STATUS_EVENTS[leg.status] : `call_${leg.status}`;
    if (name) this.push(at, name, this.callJson(leg));
  }

  private callUpdated(at: number, leg: CallLeg, us: number): void {
    leg.tmUpdate = us;
    this.push(at, "call_updated", this.callJson(leg));
  }

  private hangupLeg(at: number, leg: CallLeg, cause: HangupCause, ourSide: boolean): void {
    if (leg.status === "hangup") return;
    let us = this.clock.us(at);
    if (ourSide && (leg.status === "progressing" || leg.status === "dialing" || leg.status === "ringing")) {
      const to: Status = leg.status === "progressing" ? "terminating" : "canceling";
      if (leg.direction === "incoming" && to === "canceling") {
        // an incoming call we hang up before answering is rejected: terminating
        this.setStatus(leg, "terminating", us);
      } else this.setStatus(leg, to, us);
      if (this.gen === "current") this.statusEvent(at, leg);
      at += 20;
      us = this.clock.us(at);
    }
    const last = leg.status;
    leg.hangupBy = hangupBy(last);
    leg.hangupReason = hangupReason(leg.direction, last, cause);
    this.setStatus(leg, "hangup", us);
    leg.tmHangup = us;
    if (this.gen === "legacy") this.callUpdated(at, leg, us);
    this.statusEvent(at + 1, leg);
  }

  /** Moves the activeflow cursor and reports it with the call_updated of the call it drives. */
  private moveCursor(at: number, next: ActionState, pushed = false): void {
    const us = this.clock.us(at);
    if (this.cursor.id !== START_ACTION_ID) this.executed.push(this.cursorJson);
    this.cursor = next;
    this.cursorJson = this.actionJson(next, true, us, this.ctx.rng.digits(3));
    this.currentActionJson = this.gen === "legacy" ? this.actionJson(next, false) : this.cursorJson;
    this.afUpdate = us;
    if (!pushed) this.forward = ZERO_UUID;
    this.push(at, "activeflow_updated", this.activeflowJson());
    this.caller.action = this.cursorJson;
    if (this.caller.status !== "hangup") this.callUpdated(at + 5, this.caller, this.clock.us(at + 5));
  }

  private flowAction(f: Extract<Fact, { kind: "action" }>): ActionState {
    let match: (a: ActionState, i: number) => boolean;
    if (f.ref) {
      const id = actionId(this.ids, f.ref);
      match = (a) => a.id === id;
    } else {
      const option = f.option ? JSON.stringify(f.option) : undefined;
      match = (a, i) => a.type === f.type && (option === undefined || this.optionText(i) === option);
    }
    let i = this.flow.findIndex((a, k) => k > this.cursorIndex && match(a, k));
    if (i < 0) i = this.flow.findIndex((a, k) => match(a, k));
    if (i < 0) return { id: this.ctx.rng.uuid(), type: f.type, option: f.option };
    this.cursorIndex = i;
    return this.flow[i]!;
  }

  private optionText(i: number): string {
    return (this.flowOptionText[i] ??= JSON.stringify(this.flow[i]!.option ?? {}));
  }

  private implicitAction(type: string, option?: Json): ActionState {
    const i = this.flow.findIndex((a, k) => k > this.cursorIndex && a.type === type);
    if (i >= 0) {
      this.cursorIndex = i;
      return this.flow[i]!;
    }
    return { id: this.ctx.rng.uuid(), type, option };
  }

  private endFlow(at: number, ranOut: boolean): void {
    if (this.afEnded) return;
    if (this.gen === "legacy") {
      this.afUpdate = this.clock.us(at);
      this.push(at, "activeflow_deleted", this.activeflowJson());
      this.afEnded = true;
      return;
    }
    if (ranOut) this.moveCursor(at, { id: FINISH_ACTION_ID, type: "" });
    this.afEnded = true;
    this.afUpdate = this.clock.us(at + 10);
    this.push(at + 10, "activeflow_updated", this.activeflowJson());
  }

  private agentStatus(at: number, agent: string, status: string): void {
    this.push(at, "agent_status_updated", this.agentJson(this.agent(agent), status, this.clock.us(at)));
  }

  // ---- facts -------------------------------------------------------------------------------------

  project(): VendorEvent[] {
    const facts = this.call.facts;
    const firstAction = facts.find((f) => f.kind === "action" || f.kind === "enqueue");
    for (let i = 0; i < facts.length; i++) this.fact(facts[i]!, firstAction?.at, facts[i + 1]?.at);
    return this.events.sort((a, b) => a.at - b.at);
  }

  private created(at: number, nextAt: number | undefined): void {
    const us = this.clock.us(at);
    this.caller.tmCreate = us;
    if (this.gen === "current") {
      // the call manager creates the activeflow first, with the call id it is about to use
      this.afCreate = us;
      this.push(at, "activeflow_created", this.activeflowJson());
      this.caller.tmCreate = this.clock.us(at + 30);
      this.push(at + 30, "call_created", this.callJson(this.caller));
      return;
    }
    this.push(at, "call_created", this.callJson(this.caller));
    const afAt = Math.max(at + 1, Math.min(at + 1_090, (nextAt ?? at + 2_000) - 50));
    this.afCreate = this.clock.us(afAt);
    // the flow manager creates it on its own about a second after the call, so the call's own
    // progress (its ringing) may come first; the flow's work waits for it
    this.activeflowAt = afAt;
    this.push(afAt, "activeflow_created", this.activeflowJson(), false);
  }

  private fact(f: Fact, firstActionAt: number | undefined, nextAt: number | undefined): void {
    // A fact never lands before the events of the facts before it, nor a fact the flow handles
    // before its activeflow exists. VoIPBIN's own delays (a leg rings 900 ms after it is dialled,
    // the queuecall is created 40 ms after the join) outlast steps written with no time between
    // them, such as an answer at the instant of its offer; the call then waits for them, as the
    // real one would, and its events stay in causal order.
    let at = Math.max(f.at, this.latest);
    if (f.kind !== "remote-ringing" && f.kind !== "remote-answer") at = Math.max(at, this.activeflowAt);
    switch (f.kind) {
      case "arrive":
      case "dial":
        this.created(at, firstActionAt);
        return;
      // the called party rings and answers a call still being dialled; one the flow has already
      // answered (an answer action) does not change again
      case "remote-ringing": {
        if (this.caller.status !== "dialing") return;
        this.setStatus(this.caller, "ringing", this.clock.us(at));
        this.statusEvent(at, this.caller);
        return;
      }
      case "remote-answer": {
        if (this.caller.status === "progressing") return;
        this.setStatus(this.caller, "progressing", this.clock.us(at));
        this.statusEvent(at, this.caller);
        return;
      }
      case "action": {
        const a = this.flowAction(f);
        this.moveCursor(at, a);
        if (f.type === "answer" && this.caller.status !== "progressing") {
          // the answer is confirmed about 290 ms after the action runs, before the flow's next action
          const delay = Math.max(6, Math.min(290, (nextAt ?? Number.POSITIVE_INFINITY) - at - 10));
          this.setStatus(this.caller, "progressing", this.clock.us(at + delay));
          this.statusEvent(at + delay, this.caller);
        }
        return;
      }
      case "enqueue": {
        const queue = this.call.queue!;
        this.moveCursor(at, this.implicitAction("queue_join", { queue_id: queue }));
        const us = this.clock.us(at + 40);
        this.queuecall = {
          id: this.ctx.rng.uuid(),
          status: this.gen === "legacy" ? "wait" : "initiating",
          agent: ZERO_UUID,
          tmCreate: us,
          waitingMs: 0,
          serviceMs: 0,
        };
        this.push(at + 40, "queuecall_created", this.queuecallJson());
        if (this.gen === "current") {
          // the queue pushes its wait flow onto the caller's activeflow; an empty action halts the cursor
          this.moveCursor(at + 80, { id: this.ctx.rng.uuid(), type: "fetch_flow" }, true);
          this.moveCursor(at + 120, { id: this.ctx.rng.uuid(), type: "empty" }, true);
          this.queueStatus(at + 160, "waiting");
        }
        return;
      }
      case "offer":
        this.offer(at, f.agent);
        return;
      case "miss": {
        const leg = this.agentLegs.get(f.agent);
        if (!leg) return;
        this.hangupLeg(at, leg, "noanswer", false);
        if (this.gen === "current")
          this.push(
            at + 5,
            "groupcall_hangup",
            this.groupcallJson(leg, "hangup", this.clock.us(at + 5), false),
          );
        this.agentStatus(at + 10, f.agent, "available");
        if (this.gen === "current" && this.queuecall) this.queueStatus(at + 20, "waiting");
        return;
      }
      case "answer":
        this.answer(at, f.agent);
        return;
      case "transfer-start": {
        if (!f.to.agent) return;
        this.offer(at, f.to.agent, true);
        return;
      }
      case "transfer-end": {
        if (!f.to.agent) return;
        const leg = this.agentLegs.get(f.to.agent);
        if (!leg) return;
        if (f.outcome === "connected") {
          this.setStatus(leg, "progressing", this.clock.us(at));
          this.statusEvent(at, leg);
          this.agentStatus(at + 10, f.to.agent, "busy");
          const old = this.agentLegs.get(f.from);
          if (old) this.hangupLeg(at + 30, old, "normal", true);
          this.connectedAgent = f.to.agent;
        } else {
          this.hangupLeg(at, leg, "noanswer", false);
          this.agentStatus(at + 10, f.to.agent, "available");
        }
        return;
      }
      case "overflow": {
        // the queue's wait timeout kicks the call; the caller's flow goes on with its next action
        if (!this.queuecall || this.queuecall.status === "done") return;
        if (this.gen === "legacy") this.queueStatus(at, "kicking");
        this.queueStatus(at + 20, "abandoned");
        return;
      }
      case "hangup":
        this.hangup(at, f.by, f.cause);
        return;
      default:
        return;
    }
  }

  private queueStatus(at: number, status: string): void {
    const q = this.queuecall!;
    const us = this.clock.us(at);
    if (status !== "kicking") q.status = status;
    q.tmUpdate = us;
    if (status === "entering") q.tmService = us;
    if (status === "service") {
      q.tmService = us;
      q.waitingMs = Math.round((us - q.tmCreate) / 1000);
    }
    if (status === "done") {
      q.tmDelete = this.gen === "legacy" ? us : undefined;
      // the code computes duration_service from tm_create, so it includes the wait
      q.serviceMs = Math.round((us - q.tmCreate) / 1000);
    }
    if (status === "abandoned") {
      q.waitingMs = Math.round((us - q.tmCreate) / 1000);
      if (this.gen === "legacy") q.tmDelete = us;
    }
    this.push(at, QUEUECALL_EVENTS[status]!, this.queuecallJson());
  }

  private offer(at: number, agentKey: string, transfer = false): void {
    const a = this.agent(agentKey);
    const us = this.clock.us(at);
    const leg: CallLeg = {
      id: this.ctx.rng.uuid(),
      flowId: this.gen === "legacy" ? AGENT_DIAL_FLOW_ID : ZERO_UUID,
      direction: "outgoing",
      status: "dialing",
      source: this.addressJson({
        type: "tel",
        target: INBOUND_NUMBER.e164,
        target_name: "",
        name: "",
        detail: "",
      }),
      destination: this.addressJson(
        this.gen === "legacy"
          ? { type: "tel", target: a.number.e164, target_name: "", name: "", detail: "" }
          : {
              type: "agent",
              target: a.key,
              target_name: `${a.firstName} ${a.lastName}`,
              name: "",
              detail: "",
            },
      ),
      master: this.caller.id,
      chained: [],
      action: this.startJson,
      agent: a,
      hangupBy: "",
      hangupReason: "",
      tmCreate: us,
      groupcallId: this.ctx.rng.uuid(),
    };
    this.agentLegs.set(agentKey, leg);
    if (this.gen === "legacy") {
      this.agentStatus(at, agentKey, "ringing");
      this.push(at + 20, "call_created", this.callJson(leg));
      this.caller.chained.push(leg.id);
      this.callUpdated(at + 30, this.caller, this.clock.us(at + 30));
      if (this.queuecall && !transfer) {
        this.queuecall.agent = a.key;
        this.queueStatus(at + 60, "entering");
      }
    } else {
      this.push(at, "groupcall_created", this.groupcallJson(leg, "progressing", us, false));
      this.push(at + 10, "call_created", this.callJson(leg));
      this.caller.chained.push(leg.id);
      this.callUpdated(at + 20, this.caller, this.clock.us(at + 20));
      this.agentStatus(at + 30, agentKey, "ringing");
      if (this.queuecall && !transfer) {
        this.queuecall.agent = a.key;
        this.queueStatus(at + 40, "connecting");
      }
    }
    this.setStatus(leg, "ringing", this.clock.us(at + 900));
    this.statusEvent(at + 900, leg);
  }

  private answer(at: number, agentKey: string): void {
    const leg = this.agentLegs.get(agentKey);
    if (!leg) return;
    this.connectedAgent = agentKey;
    const confbridge = this.implicitAction("confbridge_join", { confbridge_id: this.confbridgeId });
    if (this.gen === "legacy") {
      this.setStatus(leg, "progressing", this.clock.us(at));
      this.statusEvent(at, leg);
      if (this.queuecall) this.queueStatus(at + 30, "service");
      this.agentStatus(at + 40, agentKey, "busy");
      this.moveCursor(at + 60, confbridge);
      return;
    }
    // the queue forwards the caller's flow to its conference; serviced is keyed on the caller joining it
    this.forward = confbridge.id;
    this.moveCursor(at, confbridge, true);
    this.forward = ZERO_UUID;
    if (this.queuecall) this.queueStatus(at + 30, "service");
    this.setStatus(leg, "progressing", this.clock.us(at + 50));
    this.statusEvent(at + 50, leg);
    this.push(
      at + 55,
      "groupcall_progressing",
      this.groupcallJson(leg, "progressing", this.clock.us(at + 55), true),
    );
    this.agentStatus(at + 60, agentKey, "busy");
  }

  private hangup(at: number, by: "caller" | "agent" | "system", cause: HangupCause): void {
    const q = this.queuecall;
    const agentLeg = this.connectedAgent ? this.agentLegs.get(this.connectedAgent) : undefined;
    const served = q && q.status === "service";
    if (served) this.queueStatus(at, "done");
    // our own dialling timeout on an unanswered outgoing call is not a cancel: the table gives `dialout`
    const dialTimeout = by === "system" && cause === "timeout" && this.caller.status !== "progressing";
    const ourSide = !dialTimeout && (by === "system" || (by === "agent" && !agentLeg));
    const t = at + (served ? 20 : 0);
    if (by === "agent" && agentLeg) {
      // the agent hangs up their leg; the conference ends and the caller's leg is hung up by us
      this.hangupLeg(t, agentLeg, "normal", false);
      if (this.gen === "current")
        this.push(
          t + 5,
          "groupcall_hangup",
          this.groupcallJson(agentLeg, "hangup", this.clock.us(t + 5), true),
        );
      this.endFlowBeforeLocalHangup(t + 30, by);
      this.hangupLeg(t + 60, this.caller, "normal", true);
    } else {
      if (ourSide) this.endFlowBeforeLocalHangup(t, by);
      this.hangupLeg(t + 30, this.caller, cause, ourSide);
      if (agentLeg) {
        this.hangupLeg(t + 60, agentLeg, "normal", true);
        if (this.gen === "current")
          this.push(
            t + 85,
            "groupcall_hangup",
            this.groupcallJson(agentLeg, "hangup", this.clock.us(t + 85), true),
          );
      }
    }
    // legs still ringing when the caller leaves are cancelled; their agents are free again
    for (const [key, leg] of this.agentLegs) {
      if (leg.status === "hangup") continue;
      this.hangupLeg(t + 70, leg, "cancel", true);
      if (this.gen === "current")
        this.push(
          t + 75,
          "groupcall_hangup",
          this.groupcallJson(leg, "hangup", this.clock.us(t + 75), false),
        );
      this.agentStatus(t + 80, key, "available");
    }
    if (q && q.status !== "done" && q.status !== "abandoned") this.queueStatus(t + 90, "abandoned");
    this.endFlow(t + 120, false);
  }

  /** Current generation: a flow that runs out moves to the finish action and ends before the call is torn down. */
  private endFlowBeforeLocalHangup(at: number, by: string): void {
    if (this.gen !== "current" || by !== "system") return;
    const lastIsHangup = this.cursor.type === "hangup";
    this.endFlow(at, !lastIsHangup);
  }
}

export function projectVoipbin(call: SimulatedCall, ctx: ProjectionContext): VendorEvent[] {
  return new VoipbinCall(call, ctx).project();
}

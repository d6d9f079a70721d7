import type { DirectoryAgent, Fact, FlowAction, HangupCause, SimulatedCall } from "../../core/model.js";
import { nameUuid, type Rng } from "../../core/random.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { CUSTOMER_ID, FINISH_ACTION_ID, INBOUND_NUMBER, START_ACTION_ID, ZERO_UUID } from "./world.js";

/**
 * VoIPBIN projection (V1..V6). One call simulation becomes the events of the
 * caller's call, its activeflow, the queuecall and the agent legs, in either API generation.
 */

export type Generation = "legacy" | "current";
type Json = Record<string, unknown>;
type Status = "dialing" | "ringing" | "progressing" | "terminating" | "canceling" | "hangup";

const LEGACY_SENTINEL = "9999-01-01 00:00:00.000000";

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

function legacyTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}${String(us % 1000).padStart(3, "0")}`;
}

function legacyExecTime(us: number, extra: string): string {
  return `${legacyTime(us)}${extra}`;
}

/** Go's RFC 3339 with trailing zeros of the fraction trimmed. */
function rfc3339(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const frac = `${iso.slice(20, 23)}${String(us % 1000).padStart(3, "0")}`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ""}Z`;
}

interface ActionState {
  id: string;
  type: string;
  option?: Json;
  /** µs when it ran */
  executed?: number;
  execExtra?: string;
}

interface CallLeg {
  id: string;
  flowId: string;
  direction: "incoming" | "outgoing";
  status: Status;
  source: { type: string; target: string; target_name: string; name: string; detail: string };
  destination: { type: string; target: string; target_name: string; name: string; detail: string };
  master: string;
  chained: string[];
  action: ActionState;
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
  private readonly gen: Generation;
  private readonly clock: Clock;
  private readonly flowId: string;
  private readonly flow: ActionState[];
  private readonly caller: CallLeg;
  private readonly activeflowId: string;
  private cursor: ActionState;
  private cursorIndex = -1;
  private forward = ZERO_UUID;
  private readonly executed: ActionState[] = [];
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
    this.flowId = nameUuid("voipbin/flow", call.scenario);
    const flow: FlowAction[] = call.flow ?? [];
    this.flow = flow.map((a) => ({
      id: nameUuid(`voipbin/flow/${call.scenario}`, a.ref),
      type: a.type,
      option: a.option,
    }));
    this.activeflowId = rng.uuid();
    this.confbridgeId = rng.uuid();
    this.cursor = { id: START_ACTION_ID, type: "" };
    const outbound = call.direction === "outbound";
    const tel = (n: string) => ({ type: "tel", target: n, target_name: "", name: "", detail: "" });
    this.caller = {
      id: rng.uuid(),
      flowId: this.flowId,
      direction: outbound ? "outgoing" : "incoming",
      status: outbound ? "dialing" : "ringing",
      source: tel(outbound ? INBOUND_NUMBER.e164 : call.caller.e164),
      destination: tel(outbound ? call.dialled.e164 : INBOUND_NUMBER.e164),
      master: ZERO_UUID,
      chained: [],
      action: { id: START_ACTION_ID, type: "" },
      hangupBy: "",
      hangupReason: "",
      tmCreate: 0,
    };
  }

  private agent(key: string): DirectoryAgent {
    return this.ctx.directory.agents.find((a) => a.key === key)!;
  }

  private push(at: number, type: string, data: Json): void {
    this.events.push({ at, name: type, payload: { type, data }, entityId: String(data.id) });
  }

  private time(us: number | undefined, nullable: boolean): string | null | undefined {
    if (this.gen === "legacy") return us === undefined ? LEGACY_SENTINEL : legacyTime(us);
    if (us === undefined) return nullable ? null : undefined;
    return rfc3339(us);
  }

  // ---- resources --------------------------------------------------------------------------------

  private actionJson(a: ActionState, withExec: boolean): Json {
    const out: Json = { id: a.id, next_id: ZERO_UUID, type: a.type };
    if (a.option && Object.keys(a.option).length) out.option = a.option;
    if (this.gen === "legacy") {
      if (withExec && a.executed !== undefined)
        out.tm_execute = legacyExecTime(a.executed, a.execExtra ?? "000");
    } else if (withExec) {
      out.tm_execute = a.executed !== undefined ? rfc3339(a.executed) : null;
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
        chained_call_ids: [...c.chained],
        recording_id: ZERO_UUID,
        recording_ids: [],
        source: { ...c.source },
        destination: { ...c.destination },
        status: c.status,
        action: this.actionJson(c.action, true),
        direction: c.direction,
        hangup_by: c.hangupBy,
        hangup_reason: c.hangupReason,
        tm_create: this.time(c.tmCreate, false),
        tm_update: this.time(c.tmUpdate, false),
        tm_progressing: this.time(c.tmProgressing, false),
        tm_ringing: this.time(c.tmRinging, false),
        tm_hangup: this.time(c.tmHangup, false),
      };
    }
    const addr = (a: CallLeg["source"]) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== ""));
    const out: Json = {
      id: c.id,
      customer_id: CUSTOMER_ID,
      ...(c.agent ? { owner_type: "agent" } : {}),
      owner_id: c.agent ? c.agent.key : ZERO_UUID,
      flow_id: c.flowId,
      activeflow_id: c.agent ? ZERO_UUID : this.activeflowId,
      type: "flow",
      master_call_id: c.master,
      ...(c.chained.length ? { chained_call_ids: [...c.chained] } : {}),
      recording_id: ZERO_UUID,
      // groupcall_id is never copied into call webhooks: always the zero UUID
      groupcall_id: ZERO_UUID,
      source: addr(c.source),
      destination: addr(c.destination),
      status: c.status,
      action: this.actionJson(c.action, true),
      direction: c.direction,
      ...(c.hangupBy ? { hangup_by: c.hangupBy } : {}),
      ...(c.hangupReason ? { hangup_reason: c.hangupReason } : {}),
    };
    const t = (k: string, v: number | undefined) => {
      if (v !== undefined) out[k] = rfc3339(v);
    };
    t("tm_progressing", c.tmProgressing);
    t("tm_ringing", c.tmRinging);
    t("tm_hangup", c.tmHangup);
    t("tm_create", c.tmCreate);
    t("tm_update", c.tmUpdate);
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
        current_action: this.actionJson(this.cursor, false),
        forward_action_id: this.forward,
        actions: this.flow.map((a) => this.actionJson({ id: a.id, type: a.type, option: a.option }, false)),
        tm_create: this.time(this.afCreate, false),
        tm_update: this.time(this.afUpdate ?? this.afCreate, false),
        tm_delete: LEGACY_SENTINEL,
      };
    }
    return {
      id: this.activeflowId,
      customer_id: CUSTOMER_ID,
      flow_id: this.flowId,
      status: this.afEnded ? "ended" : "running",
      reference_type: "call",
      reference_id: this.caller.id,
      reference_activeflow_id: ZERO_UUID,
      on_complete_flow_id: ZERO_UUID,
      current_action: this.actionJson(this.cursor, true),
      forward_action_id: this.forward,
      ...(this.executed.length
        ? { executed_actions: this.executed.map((a) => this.actionJson(a, true)) }
        : {}),
      tm_create: rfc3339(this.afCreate),
      tm_update: this.afUpdate !== undefined ? rfc3339(this.afUpdate) : null,
      tm_delete: null,
    };
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
        tm_create: this.time(q.tmCreate, false),
        tm_service: this.time(q.tmService, false),
        tm_update: this.time(q.tmUpdate, false),
        tm_delete: this.time(q.tmDelete, false),
      };
    }
    return {
      id: q.id,
      customer_id: CUSTOMER_ID,
      reference_type: "call",
      reference_id: this.caller.id,
      status: q.status,
      service_agent_id: q.agent,
      ...(q.waitingMs ? { duration_waiting: q.waitingMs } : {}),
      ...(q.serviceMs ? { duration_service: q.serviceMs } : {}),
      tm_create: rfc3339(q.tmCreate),
      tm_service: q.tmService !== undefined ? rfc3339(q.tmService) : null,
      tm_update: q.tmUpdate !== undefined ? rfc3339(q.tmUpdate) : null,
      tm_delete: q.tmDelete !== undefined ? rfc3339(q.tmDelete) : null,
    };
  }

  private agentJson(a: DirectoryAgent, status: string, us: number): Json {
    const created = Date.UTC(2021, 10, 29, 6, 9, 7) * 1000 + 263_846;
    const queueTags = Object.entries(this.ctx.directory.members)
      .filter(([, m]) => m.includes(a.key))
      .map(([q]) => nameUuid("voipbin/tag", q));
    const username = `${a.firstName.toLowerCase()}.${a.lastName.toLowerCase()}`;
    const address = { type: "tel", target: a.number.e164, target_name: "", name: "", detail: "" };
    if (this.gen === "legacy") {
      return {
        id: a.key,
        username,
        name: `${a.firstName} ${a.lastName}`,
        detail: "",
        ring_method: "ringall",
        status,
        permission: 0,
        tag_ids: queueTags,
        addresses: [address],
        tm_create: legacyTime(created),
        tm_update: legacyTime(us),
        tm_delete: LEGACY_SENTINEL,
      };
    }
    return {
      id: a.key,
      customer_id: CUSTOMER_ID,
      username,
      name: `${a.firstName} ${a.lastName}`,
      ring_method: "ringall",
      status,
      permission: 16,
      ...(queueTags.length ? { tag_ids: queueTags } : {}),
      addresses: [{ type: "tel", target: a.number.e164 }],
      tm_create: rfc3339(created),
      tm_update: rfc3339(us),
    };
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
    const legacy: Partial<Record<Status, string>> = {
      ringing: "call_ringing",
      progressing: "call_answered",
      hangup: "call_hungup",
    };
    const name = this.gen === "legacy" ? legacy[leg.status] : `call_${leg.status}`;
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
    if (this.cursor.id !== START_ACTION_ID) this.executed.push({ ...this.cursor });
    this.cursor = { ...next, executed: us, execExtra: this.ctx.rng.digits(3) };
    this.afUpdate = us;
    if (!pushed) this.forward = ZERO_UUID;
    this.push(at, "activeflow_updated", this.activeflowJson());
    this.caller.action = this.cursor;
    if (this.caller.status !== "hangup") this.callUpdated(at + 5, this.caller, this.clock.us(at + 5));
  }

  private flowAction(f: Extract<Fact, { kind: "action" }>): ActionState {
    const match = (a: ActionState, i: number) =>
      f.ref
        ? a.id === nameUuid(`voipbin/flow/${this.call.scenario}`, f.ref)
        : a.type === f.type &&
          (!f.option || JSON.stringify(a.option ?? {}) === JSON.stringify(f.option)) &&
          i >= 0;
    let i = this.flow.findIndex((a, k) => k > this.cursorIndex && match(a, k));
    if (i < 0) i = this.flow.findIndex((a, k) => match(a, k));
    if (i < 0) return { id: this.ctx.rng.uuid(), type: f.type, option: f.option };
    this.cursorIndex = i;
    return this.flow[i]!;
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
    facts.forEach((f, i) => {
      this.fact(f, firstAction?.at, facts[i + 1]?.at);
    });
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
    this.push(afAt, "activeflow_created", this.activeflowJson());
  }

  private fact(f: Fact, firstActionAt: number | undefined, nextAt: number | undefined): void {
    const at = f.at;
    switch (f.kind) {
      case "arrive":
      case "dial":
        this.created(at, firstActionAt);
        return;
      case "remote-ringing": {
        this.setStatus(this.caller, "ringing", this.clock.us(at));
        this.statusEvent(at, this.caller);
        return;
      }
      case "remote-answer": {
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
    const names: Record<string, string> = {
      wait: "queuecall_created",
      waiting: "queuecall_waiting",
      connecting: "queuecall_connecting",
      entering: "queuecall_entering",
      kicking: "queuecall_kicking",
      service: "queuecall_serviced",
      done: "queuecall_done",
      abandoned: "queuecall_abandoned",
    };
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
    this.push(at, names[status]!, this.queuecallJson());
  }

  private offer(at: number, agentKey: string, transfer = false): void {
    const a = this.agent(agentKey);
    const us = this.clock.us(at);
    const leg: CallLeg = {
      id: this.ctx.rng.uuid(),
      flowId: this.gen === "legacy" ? nameUuid("voipbin/flow", "agent-dial") : ZERO_UUID,
      direction: "outgoing",
      status: "dialing",
      source: { type: "tel", target: INBOUND_NUMBER.e164, target_name: "", name: "", detail: "" },
      destination:
        this.gen === "legacy"
          ? { type: "tel", target: a.number.e164, target_name: "", name: "", detail: "" }
          : {
              type: "agent",
              target: a.key,
              target_name: `${a.firstName} ${a.lastName}`,
              name: "",
              detail: "",
            },
      master: this.caller.id,
      chained: [],
      action: { id: START_ACTION_ID, type: "" },
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

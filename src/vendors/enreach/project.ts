import type { Directory, DirectoryAgent, DirectoryQueue, Fact, SimulatedCall } from "../../core/model.js";
import { literalMaker } from "../../core/literal.js";
import type { Rng } from "../../core/random.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { DOTNET_MAX_DATETIME, dotNetDateTime } from "./format.js";
import { type EnreachEventName, enreachEvents } from "./schemas.js";
import { ORGANIZATION_ID } from "./world.js";

/**
 * Enreach projection: a simulated call becomes the sequences E1..E6.
 * Field names come from the zod schemas, in their order, so a payload always carries every
 * property of its event with Enreach's own spelling (Username vs UserName, CallBackId, TechType).
 */

type Values = Record<string, unknown>;

/** No extra properties. */
const NO_VALUES: Values = Object.freeze({});

const COMMON_HEAD = ["RootEntityType", "RootEntityId", "EventType", "EntityType", "EntityId"] as const;

/** One event type's payload layout, derived once from its schema. */
interface PayloadPlan {
  /**
   * A fresh payload with every key in order, each with its default: the common head, the event's
   * own properties, Id, Timestamp.
   */
  readonly make: () => Values;
  /** The event's own properties (neither the common head nor Id and Timestamp). */
  readonly own: ReadonlySet<string>;
  /** Whether the event spells the user's name `Username`, filled from `UserName` when not given itself. */
  readonly username: boolean;
}

const plans = new Map<EnreachEventName, PayloadPlan>();

function planOf(name: EnreachEventName): PayloadPlan {
  let plan = plans.get(name);
  if (!plan) {
    const def = enreachEvents[name];
    const own = Object.keys(def.schema.shape).filter(
      (key) => !(COMMON_HEAD as readonly string[]).includes(key) && key !== "Id" && key !== "Timestamp",
    );
    const template = Object.fromEntries<string | null>([
      ["RootEntityType", "Organization"],
      ["RootEntityId", ORGANIZATION_ID],
      ["EventType", name],
      ["EntityType", def.entityType],
      ["EntityId", null],
      ...own.map((key): [string, string | null] => [key, key === "OrganizationId" ? ORGANIZATION_ID : null]),
      ["Id", ""],
      ["Timestamp", ""],
    ]);
    plan = { make: literalMaker(template), own: new Set(own), username: own.includes("Username") };
    plans.set(name, plan);
  }
  return plan;
}

/**
 * Builds one payload: common head, the event's own properties in document order, then Id and Timestamp.
 * Each own property takes its value from the last of `layers` that has it; one no layer has is null,
 * except OrganizationId (the organization) and Username (the layers' `UserName`, else null).
 * EntityId is `entityId`.
 */
function assemble(
  name: EnreachEventName,
  entityId: unknown,
  id: string,
  timestamp: string,
  layers: readonly Values[],
): Values {
  const plan = planOf(name);
  const out = plan.make();
  out.EntityId = entityId ?? null;
  for (const layer of layers) {
    for (const key in layer) if (plan.own.has(key)) out[key] = layer[key];
  }
  if (plan.username) out.Username = username(layers);
  out.Id = id;
  out.Timestamp = timestamp;
  return out;
}

/** An event's `Username`: the last layer's that has one, else the last `UserName`, else null. */
function username(layers: readonly Values[]): unknown {
  for (let i = layers.length - 1; i >= 0; i--) if ("Username" in layers[i]!) return layers[i]!.Username;
  for (let i = layers.length - 1; i >= 0; i--)
    if ("UserName" in layers[i]!) return layers[i]!.UserName ?? null;
  return null;
}

/** Builds one payload: common head, the event's own properties in document order, then Id and Timestamp. */
export function buildPayload(name: EnreachEventName, values: Values, id: string, timestamp: string): Values {
  return assemble(name, values.EntityId ?? null, id, timestamp, [values]);
}

/** Per-call identities and the running state Enreach reports in its status events. */
class EnreachCall {
  readonly events: VendorEvent[] = [];
  readonly callId: string;
  readonly legId: string;
  private agentLegs = new Map<string, string>();
  private queue: DirectoryQueue;
  private talking = new Set<string>();
  private wrapUpEnd = new Map<string, number>();
  private callbackId?: string;
  private callback?: Values;
  private callbackOpen = 0;
  private lastListStatus?: string;
  private connected?: string;
  /** The time of the latest event emitted so far, status events aside. */
  private latest = 0;
  /** The caller, call and leg ids, and the number dialled: the same in every call event. */
  private readonly callLayer: Values;
  /** The queue's id, name and number. */
  private readonly queueLayer: Values;
  private readonly userLayers = new Map<string, Values>();

  constructor(
    private readonly call: SimulatedCall,
    private readonly dir: Directory,
    private readonly rng: Rng,
  ) {
    this.callId = rng.uuid();
    this.legId = rng.uuid();
    this.queue = dir.queues.find((q) => q.key === call.queue) ?? dir.queues[0]!;
    this.callLayer = {
      CallerNumber: call.caller.e164,
      CallId: this.callId,
      LegId: this.legId,
      TargetNumber: call.dialled.e164,
    };
    this.queueLayer = {
      QueueId: this.queue.key,
      QueueName: this.queue.name,
      QueueNumber: this.queue.number.e164,
    };
  }

  agent(key: string): DirectoryAgent {
    return this.dir.agents.find((a) => a.key === key) ?? this.dir.agents[0]!;
  }

  /** Adds an event `at` ms after the call's start; its Timestamp is set once the call's events are in order. */
  emit(at: number, name: EnreachEventName, values: Values, entityId: string): void {
    this.emitLayers(at, name, entityId, [values]);
  }

  /** Adds an event like `emit`, its properties taken from `layers` (a later layer wins). */
  emitLayers(at: number, name: EnreachEventName, entityId: string, layers: readonly Values[]): void {
    const payload = assemble(name, entityId, this.rng.uuid(), "", layers);
    // the call's own events order the facts; the status events (UserStatus, QueueStatus, the
    // list's on its 15-second grid) follow their changes on their own delays
    if (at > this.latest && !name.endsWith("Status")) this.latest = at;
    this.events.push({ at, name, payload, entityId });
  }

  /**
   * Sorts the call's events by due time and stamps each with a .NET Timestamp: the due
   * millisecond plus sub-millisecond ticks, increasing in send order within the call.
   */
  finish(): VendorEvent[] {
    const events = this.events.sort((a, b) => a.at - b.at);
    for (let i = 0; i < events.length;) {
      const at = events[i]!.at;
      let j = i + 1;
      while (j < events.length && events[j]!.at === at) j++;
      const due = this.call.start + at;
      if (j === i + 1) {
        events[i]!.payload.Timestamp = dotNetDateTime(due, fourDigits(this.rng.int(0, 9_999)));
      } else {
        const ticks = increasingTicks(this.rng, j - i);
        for (let k = i; k < j; k++)
          events[k]!.payload.Timestamp = dotNetDateTime(due, fourDigits(ticks[k - i]!));
      }
      i = j;
    }
    return events;
  }

  userValues(key: string): Values {
    let values = this.userLayers.get(key);
    if (!values) {
      const a = this.agent(key);
      values = { UserId: a.key, UserName: a.email };
      this.userLayers.set(key, values);
    }
    return values;
  }

  /** A queue event: the call's and the queue's properties, then those of `user` if given, then `extra`. */
  queueCall(at: number, name: EnreachEventName, extra: Values = NO_VALUES, user?: string): void {
    const layers =
      user === undefined
        ? [this.callLayer, this.queueLayer, extra]
        : [this.callLayer, this.queueLayer, this.userValues(user), extra];
    this.emitLayers(at, name, this.queue.key, layers);
  }

  /** A user event: the call's and the user's properties, then `extra`. */
  userCall(at: number, name: EnreachEventName, user: string, extra: Values = NO_VALUES): void {
    this.emitLayers(at, name, user, [this.callLayer, this.userValues(user), extra]);
  }

  agentLeg(agent: string): string {
    let leg = this.agentLegs.get(agent);
    if (!leg) {
      leg = this.rng.uuid();
      this.agentLegs.set(agent, leg);
    }
    return leg;
  }

  userStatus(at: number, agent: string): void {
    const talking = this.talking.has(agent);
    const wrap = this.wrapUpEnd.get(agent);
    const inWrap = wrap !== undefined && wrap > at;
    this.emit(
      at,
      "UserStatus",
      {
        ActiveQueueId: talking && this.call.direction === "inbound" ? this.queue.key : null,
        ActiveQueues: this.queuesOf(agent),
        Available: true,
        CanBeAllocatedTo: !talking && !inWrap,
        ParkedCalls: 0,
        Schedule: true,
        ServiceTerminals: 1,
        Serving: true,
        ServingCallback: false,
        Talking: talking,
        UserId: agent,
        WrapUpEnd: inWrap ? dotNetDateTime(this.call.start + (wrap as number)) : null,
      },
      agent,
    );
  }

  queuesOf(agent: string): number {
    let n = 0;
    for (const members of Object.values(this.dir.members)) if (members.includes(agent)) n++;
    return n;
  }

  queueStatus(
    at: number,
    c: { queuing: number; allocated: number; connected: number; maxWait: number },
  ): void {
    const members = this.dir.members[this.queue.key] ?? [];
    const busy = this.talking.size;
    let wrap = 0;
    for (const end of this.wrapUpEnd.values()) if (end > at) wrap++;
    const requesters = c.queuing + c.allocated + c.connected;
    this.emit(
      at,
      "QueueStatus",
      {
        MaxWaitTime: c.maxWait,
        NbrOfAgentsCheckedInQueue: members.length,
        NbrOfAgentsImmediatelyFree: Math.max(0, members.length - busy - wrap),
        NbrOfAgentsLongTermAway: 0,
        NbrOfAgentsOnWrapUp: wrap,
        NbrOfAgentsShortTermAway: busy,
        NbrOfAllocated: c.allocated,
        NbrOfConnected: c.connected,
        NbrOfNotServedRequesters: c.queuing + c.allocated,
        NbrOfProviders: members.length,
        NbrOfQueuingRequesters: c.queuing,
        NbrOfRequesters: requesters,
        NbrOfServingAgentsEstimate: Math.max(0, members.length - wrap),
        OpenStatus: 5,
        QueueId: this.queue.key,
        QueueName: this.queue.name,
      },
      this.queue.key,
    );
  }

  // ---- callbacks (E6) -----------------------------------------------------------------------

  callbackChanged(
    at: number,
    f: Extract<Fact, { kind: "callback" }> | { action: "overflow"; at: number },
  ): void {
    const list = this.dir.callLists[0]!;
    const ts = dotNetDateTime(this.call.start + at, this.rng.digits(4));
    if (!this.callback || f.action === "create" || f.action === "overflow") {
      this.callbackId = this.rng.uuid();
      const typeId = f.action === "overflow" ? 2 : (f.typeId ?? 1);
      this.callback = {
        AssignedUserId: null,
        CalculatedPriority: "Normal",
        CallbackAttempts: [],
        CallbackExtras: [],
        CallBackId: this.callbackId,
        CallbackRelatedItems: [],
        // an explicit request (1) comes from an earlier inbound call; an overflow (2) from this one
        CallId: typeId === 3 ? null : typeId === 1 ? this.rng.uuid() : this.callId,
        CallListId: list.key,
        ChannelIn: typeId === 3 ? null : this.queue.name,
        ClassificationId: null,
        ContactMessage: null,
        ContactName: null,
        ContactNumber: (this.call.direction === "outbound" ? this.call.dialled : this.call.caller).e164,
        CreationTime: ts,
        DueDate: dotNetDateTime(this.call.start + at + 24 * 3_600_000),
        ExpiryDate: dotNetDateTime(this.call.start + at + 7 * 24 * 3_600_000),
        LastAttemptNote: null,
        LastAttemptTimestamp: null,
        LastAttemptTypeId: null,
        LastAttemptUserId: null,
        LastModifiedUserId: null,
        Modified: ts,
        NotBefore: null,
        Note: f.action !== "overflow" && f.note ? f.note : null,
        RecordingId: typeId === 1 ? this.rng.uuid() : null,
        TranscriptId: null,
        TypeId: typeId,
      };
      this.callbackOpen = 1;
    } else {
      const cb = this.callback;
      cb.Modified = ts;
      const agent = "agent" in f && f.agent ? f.agent : (cb.AssignedUserId as string | null);
      switch (f.action) {
        case "assign":
          cb.AssignedUserId = agent;
          cb.LastModifiedUserId = agent;
          break;
        case "attempt": {
          const typeId = { success: 1, noanswer: 2, busy: 3, failed: 4 }[f.result ?? "noanswer"];
          const attempt = {
            CallbackAttemptTypeId: typeId,
            Id: this.rng.uuid(),
            Note: f.note ?? null,
            Timestamp: ts,
            UserId: agent,
          };
          (cb.CallbackAttempts as unknown[]).push(attempt);
          cb.LastAttemptNote = attempt.Note;
          cb.LastAttemptTimestamp = ts;
          cb.LastAttemptTypeId = typeId;
          cb.LastAttemptUserId = agent;
          cb.LastModifiedUserId = agent;
          break;
        }
        case "reschedule":
          cb.NotBefore = dotNetDateTime(this.call.start + at + (f.notBeforeMs ?? 3_600_000));
          cb.DueDate = dotNetDateTime(this.call.start + at + (f.dueMs ?? 24 * 3_600_000));
          cb.LastModifiedUserId = agent;
          break;
        case "close":
        case "expire":
          cb.CallbackRelatedItems = [
            {
              Id: this.callbackId,
              IsClosed: true,
              ListId: list.key,
              StatusId: f.action === "expire" ? null : (cb.LastAttemptTypeId as number | null),
            },
          ];
          if (f.action === "close") cb.LastModifiedUserId = agent;
          else cb.LastModifiedUserId = null;
          this.callbackOpen = 0;
          break;
      }
    }
    // each CallbackChanged is a snapshot: later changes must not reach an event already emitted, so
    // its payload gets copies of the lists and their items (the payload itself is a new object)
    const cb = this.callback;
    this.emitLayers(at, "CallbackChanged", list.key, [
      cb,
      {
        CallbackAttempts: copyItems(cb.CallbackAttempts),
        CallbackExtras: copyItems(cb.CallbackExtras),
        CallbackRelatedItems: copyItems(cb.CallbackRelatedItems),
      },
    ]);
    this.callbackListStatus(at);
  }

  /** Emitted only when the list's status changed, at the next 15-second evaluation. */
  callbackListStatus(at: number): void {
    const list = this.dir.callLists[0]!;
    const assigned = this.callback?.AssignedUserId && this.callbackOpen ? 1 : 0;
    // the list is the same for the whole call, so these two counts decide every value
    const key = `${this.callbackOpen}/${assigned}`;
    if (key === this.lastListStatus) return;
    this.lastListStatus = key;
    const values = callbackListStatusValues(list.key, this.callbackOpen, assigned);
    const abs = this.call.start + at;
    // status changes are evaluated every 15 s: the next evaluation, at most 15 s after the change
    const next = Math.ceil((abs + 1) / 15_000) * 15_000;
    this.emit(next - this.call.start, "CallbackListStatus", values, list.key);
  }

  // ---- the call ---------------------------------------------------------------------------------

  project(): VendorEvent[] {
    const facts = this.call.facts;
    const toUser = facts.some((f) => f.kind === "arrive" && f.target === "user");
    const outbound = this.call.direction === "outbound";
    const wrapFact = facts.find((f) => f.kind === "wrapup-start");
    const counters = { queuing: 0, allocated: 0, connected: 0, maxWait: 0 };
    let enqueuedAt = 0;
    for (const f of facts) {
      // a fact never lands before the call events of the facts before it: with no time between
      // two steps, Enreach's own delays (UserCallInArrived 90 ms after UserCallInComing, a
      // wrap-up 200 ms after its start) would otherwise put the call's events out of order
      const at = Math.max(f.at, this.latest);
      switch (f.kind) {
        case "arrive":
          if (f.target === "queue") this.queueCall(at, "QueueCallInComing");
          else {
            const user = this.call.user!;
            this.userCall(at, "UserCallInComing", user);
            this.userCall(at + 90, "UserCallInArrived", user);
          }
          break;
        case "enqueue":
          enqueuedAt = at;
          this.queueCall(at, "QueueCallInArrived");
          counters.queuing = 1;
          this.queueStatus(at + 40, counters);
          break;
        case "offer": {
          const a = this.agent(f.agent);
          this.talking.add(f.agent);
          if (toUser)
            this.userCall(at, "UserCallInUserAllocated", f.agent, {
              DetailedReason: null,
              UserNumber: a.number.e164,
            });
          else {
            this.queueCall(at, "QueueCallInUserAllocated", { DetailedReason: null }, f.agent);
            counters.queuing = 0;
            counters.allocated = 1;
          }
          this.userStatus(at + 25, f.agent);
          break;
        }
        case "miss": {
          this.talking.delete(f.agent);
          const extra = {
            Reason: f.reason === "rejected" ? "remote" : "local",
            DetailedReason: f.reason === "rejected" ? "Rejected" : "NoAnswer",
          };
          if (toUser) this.userCall(at, "UserCallInUserCancelled", f.agent, extra);
          else {
            this.queueCall(at, "QueueCallInUserCancelled", extra, f.agent);
            counters.allocated = 0;
            counters.queuing = 1;
            counters.maxWait = Math.round((at - enqueuedAt) / 1000);
          }
          this.userStatus(at + 25, f.agent);
          break;
        }
        case "answer": {
          const a = this.agent(f.agent);
          this.connected = f.agent;
          const extra = { AgentLegId: this.agentLeg(f.agent), UserNumber: a.number.e164 };
          if (toUser) this.userCall(at, "UserCallInUserConnected", f.agent, extra);
          else {
            this.queueCall(at, "QueueCallInUserConnected", extra, f.agent);
            counters.allocated = 0;
            counters.connected = 1;
            counters.maxWait = 0;
            this.queueStatus(at + 40, counters);
          }
          if (wrapFact?.kind === "wrapup-start") {
            this.emit(
              at + 15,
              "UserWrapUpEnabled",
              {
                CallId: this.callId,
                LegId: this.agentLeg(f.agent),
                MaxWrapUpDurationSec: wrapFact.maxSec,
                QueueId: this.queue.key,
                UserId: f.agent,
              },
              f.agent,
            );
          }
          break;
        }
        case "dial": {
          this.talking.add(f.agent);
          this.userCall(at, "UserCallOutGoing", f.agent);
          this.userStatus(at + 25, f.agent);
          break;
        }
        case "remote-ringing":
          break;
        case "remote-answer":
          this.connected = this.call.user;
          this.userCall(at, "UserCallOutConnected", this.call.user!);
          break;
        case "transfer-start":
        case "transfer-end":
          this.transfer(f, toUser);
          break;
        case "overflow":
          if (toUser) {
            const user = this.call.user!;
            this.userCall(at, "UserCallInUserOverflow", user, {
              Reason: "NoAnswer",
              Target: f.to === "voicemail" ? "voicemail" : this.queue.number.e164,
            });
          } else {
            this.queueCall(at, "QueueCallInOverflow", {
              OverflowApplet:
                f.to === "callback" ? "CallbackRequest" : f.to === "voicemail" ? "Voicemail" : "Transfer",
              TechEvent: "QueueTimeout",
              TechNumber: null,
              TechQueueId: this.queue.key,
              TechQueueName: this.queue.name,
              TechSource: "ServiceQueue",
            });
            counters.queuing = 0;
            counters.allocated = 0;
          }
          if (f.to === "callback") this.callbackChanged(at + 120, { action: "overflow", at: at + 120 });
          break;
        case "hangup": {
          const reason = f.by === "caller" ? "remote" : "local";
          const tech = techReason(f);
          if (outbound) {
            const user = this.call.user!;
            this.userCall(at, "UserCallOutDisconnected", user, {
              Reason: f.by === "agent" ? "local" : "remote",
              TechReason: sipCause(f.cause),
            });
          } else if (toUser) {
            this.userCall(at, "UserCallInDisconnected", this.call.user!, {
              Reason: reason,
              TechReason: sipCause(f.cause),
            });
          } else {
            this.queueCall(at, "QueueCallInDisconnected", { Reason: reason, TechReason: tech });
            counters.queuing = 0;
            counters.allocated = 0;
            counters.connected = 0;
            counters.maxWait = 0;
          }
          const agents = [...this.talking];
          this.talking.clear();
          if (wrapFact?.kind === "wrapup-start" && this.connected) {
            const end = facts.find((x) => x.kind === "wrapup-end");
            if (end) this.wrapUpEnd.set(this.connected, at + wrapFact.maxSec * 1000);
          }
          if (!outbound && !toUser) this.queueStatus(at + 40, counters);
          for (const a of agents) this.userStatus(at + 60, a);
          break;
        }
        case "wrapup-start":
          this.emit(
            at + 200,
            "UserWrapUpStarted",
            {
              CallId: this.callId,
              LegId: this.agentLeg(f.agent),
              MaxWrapUpDurationSec: f.maxSec,
              QueueId: this.queue.key,
              UserId: f.agent,
            },
            f.agent,
          );
          break;
        case "wrapup-end":
          this.wrapUpEnd.delete(f.agent);
          this.emit(
            at + 200,
            "UserWrapUpTerminated",
            {
              CallId: this.callId,
              ElapsedTimeSec: f.elapsedSec,
              LegId: this.agentLeg(f.agent),
              QueueId: this.queue.key,
              Reason: f.reason,
              UserId: f.agent,
            },
            f.agent,
          );
          this.userStatus(at + 230, f.agent);
          break;
        case "callback":
          this.callbackChanged(at, f);
          break;
        case "availability": {
          const a = this.agent(f.agent);
          this.emit(
            at,
            "UserAvailability",
            {
              Availability: f.state,
              EndTime:
                f.untilMs !== undefined ? dotNetDateTime(this.call.start + f.untilMs) : DOTNET_MAX_DATETIME,
              EventSource: "User",
              Note: f.note ?? null,
              ProfileId: this.rng.uuid(),
              StartTime: dotNetDateTime(this.call.start + at),
              UserId: a.key,
              UserName: a.email,
            },
            a.key,
          );
          this.emit(
            at + 50,
            "UserStatus",
            {
              ActiveQueueId: null,
              ActiveQueues: this.queuesOf(a.key),
              Available: f.state === "Available",
              CanBeAllocatedTo: f.state === "Available",
              ParkedCalls: 0,
              Schedule: f.state !== "OffWork",
              ServiceTerminals: f.state === "OffWork" ? 0 : 1,
              Serving: f.state !== "OffWork",
              ServingCallback: false,
              Talking: false,
              UserId: a.key,
              WrapUpEnd: null,
            },
            a.key,
          );
          break;
        }
        case "ivr":
        case "dtmf":
          break;
        default:
          throw new Error(`Enreach cannot express ${f.kind}`);
      }
    }
    return this.finish();
  }

  private transfer(f: Extract<Fact, { kind: "transfer-start" | "transfer-end" }>, toUser: boolean): void {
    const target = f.to.agent ?? f.to.number?.e164 ?? "";
    if (toUser && f.mode === "blind") {
      if (f.kind === "transfer-start")
        this.userCall(f.at, "UserCallInUserOverflow", f.from, { Reason: "BlindTransfer", Target: target });
      else if (f.outcome === "connected" && f.to.agent) this.handover(f.at, f.from, f.to.agent);
      return;
    }
    const tech = { TechQueueId: this.queue.key, TechQueueName: this.queue.name, TransferApplet: "Transfer" };
    if (f.kind === "transfer-start") {
      if (toUser)
        this.userCall(f.at, "UserCallInTransferStarted", f.from, {
          ...tech,
          TechSource: "User",
          TransferSource: f.from,
          TransferTarget: target,
        });
      else
        this.queueCall(f.at, "QueueCallInTransferStarted", {
          ...tech,
          TechType: "User",
          TransferSource: f.from,
          TransferTarget: target,
        });
      return;
    }
    if (f.outcome === "connected") {
      const extra = { ...tech, TechSource: "User", ConnectedTarget: target };
      if (toUser)
        this.userCall(f.at, "UserCallInTransferConnected", f.from, { ...extra, TransferSource: f.from });
      else this.queueCall(f.at, "QueueCallInTransferConnected", extra);
      if (f.to.agent) this.handover(f.at, f.from, f.to.agent);
      else {
        this.talking.delete(f.from);
        this.userStatus(f.at + 60, f.from);
      }
    } else {
      const extra = { ...tech, TechSource: "User", Reason: "remote", DetailedReason: "NoAnswer" };
      if (toUser) this.userCall(f.at, "UserCallInTransferCancelled", f.from, extra);
      else this.queueCall(f.at, "QueueCallInTransferCancelled", extra);
    }
  }

  private handover(at: number, from: string, to: string): void {
    this.talking.delete(from);
    this.talking.add(to);
    this.connected = to;
    this.userStatus(at + 40, from);
    this.userStatus(at + 50, to);
  }
}

/** A copy of a callback's list of items, each item copied too. */
function copyItems(list: unknown): Values[] {
  return (list as Values[]).map((item) => ({ ...item }));
}

/** `count` sub-millisecond ticks (0-9999) for events due in the same millisecond, strictly increasing. */
function increasingTicks(rng: Rng, count: number): number[] {
  const ticks = Array.from({ length: count }, () => rng.int(0, 9_999)).sort((a, b) => a - b);
  for (let k = 1; k < ticks.length; k++) ticks[k] = Math.max(ticks[k]!, ticks[k - 1]! + 1);
  if (ticks[ticks.length - 1]! > 9_999) ticks.forEach((_, k) => (ticks[k] = k));
  return ticks;
}

/** `n` (0-9999) as four digits. */
function fourDigits(n: number): string {
  return n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : String(n);
}

function techReason(f: Extract<Fact, { kind: "hangup" }>): string | null {
  if (f.by === "system") return f.cause === "timeout" ? "queue_timeout" : "busy_on_busy";
  return null;
}

const SIP_CAUSES: Record<string, string | null> = {
  normal: null,
  busy: "486",
  noanswer: "480",
  rejected: "603",
  cancel: "487",
  failed: "500",
  timeout: "408",
};

function sipCause(cause: Extract<Fact, { kind: "hangup" }>["cause"]): string | null {
  return SIP_CAUSES[cause] ?? null;
}

/** CallbackListStatus counters for a list with `open` open requests, `assigned` of them assigned. */
export function callbackListStatusValues(listId: string, open: number, assigned: number): Values {
  return {
    CallListId: listId,
    ExpiresIn24h: 0,
    IsAutoAllocate: false,
    NextHourOverDueDate: 0,
    NextHourRevealedNotBefore: 0,
    TotalActiveAgents: 3,
    TotalAssigned: assigned,
    TotalAutoAllocateAgents: 0,
    TotalFreeForAllocation: open - assigned,
    TotalHidingNotBefore: 0,
    TotalOpenRequests: open,
    TotalOverDueDate: 0,
    TotalServingAgents: 2,
    TotalServingAutoAllocateAgents: 0,
  };
}

export function projectEnreach(call: SimulatedCall, ctx: ProjectionContext): VendorEvent[] {
  return new EnreachCall(call, ctx.directory, ctx.rng).project();
}

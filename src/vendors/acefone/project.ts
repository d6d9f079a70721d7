import type { DirectoryAgent, Fact, SimulatedCall } from "../../core/model.js";
import { literalMaker } from "../../core/literal.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { type AcefoneTrigger, acefoneTrigger } from "./schemas.js";
import { CIRCLES, DID_NUMBER, IVR } from "./world.js";

/**
 * Acefone projection (A1..A5): one call fires several triggers, each a separate
 * webhook with the trigger's variable set. Stamps stay instants here (see `Stamp`); each webhook's
 * own Date Time Format and Time Zone turn them into text when the request is encoded.
 */

/** An instant whose text depends on the webhook's Date Time Format and Time Zone. */
export interface Stamp {
  $stamp: number;
  /** Dialer-routed CDRs write `M/D/YYYY, h:mm:ss AM/PM` (a Smartflo quirk). */
  dialer?: boolean;
}
/** A date (`YYYY-MM-DD`) or time (`HH:mm:ss`) in the webhook's Time Zone. */
export interface DatePart {
  $date?: number;
  $time?: number;
}

type Values = Record<string, unknown>;

/**
 * PHP uniqid(): 8 hex digits of unix seconds and 5 of microseconds. One PHP process never gives
 * the same one twice (it waits for the clock to move on); here the microseconds are the call's
 * number and the id's place in the call, so no two calls of a run share one, not even thousands
 * started in one second.
 */
function uniqid(epochMs: number, call: number, seq: number): string {
  const sec = Math.floor(epochMs / 1000);
  const usec = (call * 64 + (seq % 64)) % 1_000_000;
  return `${sec.toString(16).padStart(8, "0")}${usec.toString(16).padStart(5, "0")}`;
}

/** The maker of each trigger's empty payload, by trigger and extras. */
const emptyPayloads = new Map<string, () => Values>();

/**
 * A fresh payload with its keys in their order, each holding the empty string: the trigger's variables, then the
 * observed extras it carries. Payloads start whole rather than growing key by key, which keeps even a CDR's forty
 * keys in V8's fast object layout, and each trigger's from an object literal of its own (see `literalMaker`).
 */
function emptyPayload(trigger: AcefoneTrigger, extras: readonly string[]): Values {
  const id = extras.length ? `${trigger.id} ${extras.join(" ")}` : trigger.id;
  let make = emptyPayloads.get(id);
  if (!make) {
    make = literalMaker(Object.fromEntries([...trigger.variables, ...extras].map((key) => [key, ""])));
    emptyPayloads.set(id, make);
  }
  return make();
}

/** The call flow so far, as a webhook carries it. Steps are never changed once in the flow, so copies share them. */
const snapshot = (flow: readonly Values[]): Values[] => flow.slice();

const secs = (ms: number) => String(Math.max(0, Math.round(ms / 1000)));

interface Leg {
  agent: string;
  uuid: string;
  dialedAt: number;
  answeredAt?: number;
  endedAt?: number;
  missed?: boolean;
  transferred?: boolean;
}

export function projectAcefone(call: SimulatedCall, ctx: ProjectionContext): VendorEvent[] {
  const rng = ctx.rng;
  const dir = ctx.directory;
  const events: VendorEvent[] = [];
  const start = call.start;
  const origin = call.origin ?? "pbx";
  const dialer = origin === "preview" || origin === "progressive" || origin === "predictive";
  const clickToCall = origin === "click-to-call";
  const outbound = call.direction === "outbound";
  // `<unix seconds>.<sequence>`: receivers dedupe on it, so no two calls of a run share one; the
  // call's number (unique in a run, across shards too) picks a block of ten, the random stream one
  const callId = `${Math.floor(start / 1000)}.${100_000 + Number(call.key) * 10 + rng.int(0, 9)}`;
  let uuids = 0;
  const nextUniqid = (epochMs: number) => uniqid(epochMs, Number(call.key), uuids++);
  const callerUuid = dialer ? rng.hex(13) : nextUniqid(start);
  const circle = rng.pick(CIRCLES);
  const customer = outbound ? call.dialled : call.caller;
  const queue = dir.queues.find((q) => q.key === call.queue) ?? dir.queues[0]!;
  const recorded = call.facts.some((f) => f.kind === "recording");
  const agentOf = (k: string): DirectoryAgent => dir.agents.find((a) => a.key === k)!;
  const sec = (at: number) => Math.floor((start + at) / 1000);
  const stamp = (at: number): Stamp =>
    dialer ? { $stamp: start + at, dialer: true } : { $stamp: start + at };

  // what the customer and the DID look like on this kind of call (§4d), with the keys every trigger shares
  const billingCircle = { operator: circle.operator, circle: circle.circle };
  const common: Values = dialer
    ? {
        call_id: callId,
        billing_circle: billingCircle,
        call_to_number: customer.e164,
        caller_id_number: `+${DID_NUMBER}`,
        customer_number: customer.e164,
        customer_number_with_prefix: "",
        customer_no_with_prefix: customer.e164,
      }
    : outbound
      ? {
          call_id: callId,
          billing_circle: billingCircle,
          call_to_number: customer.national,
          caller_id_number: DID_NUMBER,
          customer_number: customer.national,
          customer_number_with_prefix: customer.e164,
          customer_no_with_prefix: customer.e164,
        }
      : {
          call_id: callId,
          billing_circle: billingCircle,
          call_to_number: DID_NUMBER,
          caller_id_number: customer.national,
          customer_number: customer.national,
          customer_number_with_prefix: customer.e164,
          customer_no_with_prefix: customer.e164,
        };

  const flow: Values[] = [{ type: "init", value: callId, time: sec(0) }];
  const legs: Leg[] = [];
  const digits: string[] = [];
  let ivrAnsweredAt: number | undefined;
  let deptAt: number | undefined;
  let customerAnsweredAt: number | undefined;
  let current: Leg | undefined;
  let disposition: { value: string; sub?: string; at: number } | undefined;
  let endedAt: number | undefined;
  /** The time of the latest trigger fired so far. */
  let latest = 0;
  let hangupBy: Extract<Fact, { kind: "hangup" }>["by"] = "caller";
  const refId = clickToCall ? rng.hex(24) : undefined;
  const customIdentifier = clickToCall ? `crm-${rng.digits(6)}` : undefined;

  const callType = outbound ? "outbound" : "inbound";
  /**
   * Fires `trigger` with its variables taken from `values`, else from `common`, else `""`; an observed extra
   * is sent only when `values` holds it with a value other than `undefined`.
   */
  const fire = (at: number, trigger: string, values: Values) => {
    const t = acefoneTrigger(trigger);
    const extras = (t.observedExtras ?? []).filter((key) => values[key] !== undefined);
    const payload = emptyPayload(t, extras);
    for (const key of t.variables) {
      if (key in values) payload[key] = values[key];
      else if (key in common) payload[key] = common[key];
    }
    for (const key of extras) payload[key] = values[key];
    if (at > latest) latest = at;
    events.push({
      at,
      name: trigger,
      payload,
      meta: {
        direction: call.direction,
        origin,
        did: DID_NUMBER,
        callType,
      },
    });
  };

  /** A hang-up CDR fired at `fireAt` about the call that ended at `at`. */
  const cdr = (fireAt: number, at: number, trigger: string, leg: Leg | undefined): void => {
    const answered = legs.filter((l) => l.answeredAt !== undefined);
    const missed = legs.filter((l) => l.missed);
    const last = answered[answered.length - 1];
    const lastAgent = last ? agentOf(last.agent) : undefined;
    const answerAt = dialer ? customerAnsweredAt : (ivrAnsweredAt ?? last?.answeredAt ?? customerAnsweredAt);
    const talkFrom = last?.answeredAt ?? customerAnsweredAt;
    const connected = answered.length > 0 && (!outbound || customerAnsweredAt !== undefined || !clickToCall);
    const causes = dialer
      ? hangupBy === "caller"
        ? "disconnected_by_callee"
        : "disconnected_by_caller"
      : hangupBy === "agent"
        ? "destination_hangup"
        : hangupBy === "system"
          ? "hangup_as_per_destination"
          : "NormalClearing";
    const firstMissed = missed[0] ? agentOf(missed[0].agent) : undefined;
    fire(fireAt, trigger, {
      uuid: leg?.uuid ?? callerUuid,
      answered_agent_number: lastAgent ? lastAgent.number.e164 : "",
      answered_agent_name: lastAgent ? `${lastAgent.firstName} ${lastAgent.lastName}` : "",
      start_stamp: stamp(0),
      answer_stamp: answerAt !== undefined ? stamp(answerAt) : "",
      end_stamp: stamp(at),
      hangup_cause: causes,
      // the IVR answering counts: an IVR-only call has billsec; answered Dialer calls leave it empty
      billsec: dialer ? "" : answerAt !== undefined ? secs(at - answerAt) : "0",
      digits_dialed: [...digits],
      direction: dialer
        ? "Dialer (outbound)"
        : clickToCall
          ? "clicktocall"
          : outbound
            ? "outbound"
            : "inbound",
      duration: secs(at),
      answered_agent: answered.length
        ? answered.map((l) => {
            const a = agentOf(l.agent);
            return {
              email: a.email,
              id: a.key,
              is_transferred_agent: l.transferred ? "Yes" : "No",
              name: `${a.firstName} ${a.lastName}`,
              number: a.number.e164,
            };
          })
        : "",
      missed_agent: missed.length
        ? missed.map((l) => {
            const a = agentOf(l.agent);
            return {
              agent_number: a.extension,
              number: a.number.e164,
              name: `${a.firstName} ${a.lastName}`,
              id: a.key,
            };
          })
        : "",
      call_flow: snapshot(flow),
      broadcast_lead_fields: "",
      recording_url:
        recorded && (answered.length || ivrAnsweredAt !== undefined)
          ? `https://console.acefone.in/recordings/${callId}.mp3?token=${rng.hex(32)}`
          : "",
      start_date: { $date: start },
      start_time: { $time: start },
      call_connected: connected ? "1" : "0",
      broadcast_name: "",
      broadcast_id: "",
      bridged_duration: talkFrom !== undefined ? secs(at - talkFrom) : "",
      call_status:
        answered.length && (!clickToCall || customerAnsweredAt !== undefined) ? "answered" : "missed",
      outbound_sec: outbound && talkFrom !== undefined ? secs(at - talkFrom) : "0",
      agent_ring_time: secs(legs.reduce((s, l) => s + ((l.answeredAt ?? l.endedAt ?? at) - l.dialedAt), 0)),
      telecom_operator: circle.operator,
      telecom_circle: circle.circle,
      first_missed_agent_number: firstMissed ? firstMissed.extension : "",
      first_missed_agent_follow_me_number: firstMissed ? firstMissed.number.e164 : "",
      end_time: { $time: start + at },
      aws_call_recording_identifier: recorded && answered.length ? `${callId}-${rng.hex(8)}` : "",
      did_number: DID_NUMBER,
      ref_id: refId,
      custom_identifier: customIdentifier,
    });
  };

  for (const f of call.facts) {
    // a fact never lands before the triggers of the facts before it: with no time between two
    // steps (a disposition at the instant of the answer), the vendor's own delays (the agent's
    // connection 400 ms after the customer answers, the CDRs 300 and 600 ms after the hang-up)
    // would otherwise put the call's triggers out of order
    const at = Math.max(f.at, latest);
    switch (f.kind) {
      case "arrive":
        fire(at, "call-received-on-server", { uuid: callerUuid, start_stamp: stamp(at) });
        break;
      case "ivr":
        ivrAnsweredAt ??= at;
        flow.push({ type: "IVR", id: String(IVR.id), name: IVR.name, time: sec(at) });
        fire(at, "call-answered-on-ivr", {
          uuid: callerUuid,
          start_stamp: stamp(0),
          ivr_id: IVR.id,
          ivr_name: IVR.name,
        });
        break;
      case "dtmf":
        digits.push(f.digits);
        flow.push({
          type: "DTMF",
          input: f.digits,
          dsid: queue.key,
          dstype: "inbound_queue",
          optsts: "Valid",
          time: sec(at),
        });
        fire(at, "dtmf-option", { uuid: callerUuid, date: stamp(at), digit_pressed: f.digits });
        break;
      case "enqueue":
        deptAt = at;
        flow.push({ type: "Inbound Queue", id: queue.key, name: queue.name, time: sec(at) });
        fire(at, "call-received-on-department", {
          uuid: callerUuid,
          date: stamp(at),
          call_flow: snapshot(flow),
          dept_id: Number(queue.key),
          dept_name: queue.name,
          ivr_name: ivrAnsweredAt !== undefined ? IVR.name : "",
        });
        break;
      case "offer": {
        const a = agentOf(f.agent);
        const leg: Leg = { agent: f.agent, uuid: nextUniqid(start + at), dialedAt: at };
        legs.push(leg);
        current = leg;
        flow.push({
          type: "Agent",
          num: a.extension,
          name: `${a.firstName} ${a.lastName}`,
          dialst: "Dialed",
          time: sec(at),
        });
        if (!outbound) {
          fire(at, "dialed-on-agent", {
            uuid: leg.uuid,
            date: stamp(at),
            call_flow: snapshot(flow),
            dept_name: deptAt !== undefined ? [queue.name] : [],
            ivr_name: ivrAnsweredAt !== undefined ? [IVR.name] : [],
            agent_number: a.number.e164,
            agent_name: `${a.firstName} ${a.lastName}`,
          });
        }
        break;
      }
      case "miss": {
        const leg = legs.filter((l) => l.agent === f.agent).pop();
        if (leg) {
          leg.missed = true;
          leg.endedAt = at;
        }
        flow.push({ type: "Agent", num: agentOf(f.agent).extension, dialst: "Missed", time: sec(at) });
        break;
      }
      case "answer": {
        const leg = legs.filter((l) => l.agent === f.agent).pop() ?? {
          agent: f.agent,
          uuid: nextUniqid(start + at),
          dialedAt: at,
        };
        if (!legs.includes(leg)) legs.push(leg);
        leg.answeredAt = at;
        current = leg;
        const a = agentOf(f.agent);
        flow.push({ type: "Agent", num: a.extension, dialst: "Answered", time: sec(at) });
        if (deptAt !== undefined) {
          // the queue's step gains its outcome: a new step in its place, as earlier webhooks hold the old one
          const q = flow.findIndex((s) => s.type === "Inbound Queue");
          if (q >= 0) flow[q] = Object.assign({}, flow[q], { dept_dialst: "Answered", ringst: "Answered" });
        }
        fire(at, "call-answered-by-agent", {
          uuid: leg.uuid,
          start_stamp: stamp(0),
          answered_agent_number: a.number.e164,
          call_status: clickToCall ? "queued" : "answered",
          direction: clickToCall ? "click_to_call" : outbound ? "outbound" : "inbound",
          status: clickToCall ? "Answered by agent" : undefined,
          ref_id: refId,
          custom_identifier: customIdentifier,
        });
        break;
      }
      case "dial": {
        // a dialer or an agent's own outbound call: the agent's leg
        const leg: Leg = {
          agent: f.agent,
          uuid: dialer ? rng.hex(13) : nextUniqid(start + at),
          dialedAt: at,
        };
        legs.push(leg);
        current = leg;
        break;
      }
      case "remote-answer": {
        customerAnsweredAt = at;
        flow.push({ type: "Customer", num: customer.e164, dialst: "Answered", time: sec(at) });
        if (clickToCall) {
          const a = current ? agentOf(current.agent) : undefined;
          fire(at, "click-to-call-answered-by-customer", {
            uuid: callerUuid,
            start_stamp: stamp(0),
            direction: "click_to_call",
            answer_agent_number: a ? a.number.e164 : "",
            call_status: "answered",
          });
        } else if (dialer && current) {
          current.answeredAt = at;
          const a = agentOf(current.agent);
          fire(at + 400, "dialer-call-connected-to-agent", {
            start_stamp: stamp(0),
            start_date: { $date: start },
            start_time: { $time: start },
            direction: "Dialer (outbound)",
            call_flow: JSON.stringify(flow),
            lead_fields: JSON.stringify({
              name: `Lead ${customer.national.slice(-4)}`,
              phone: customer.e164,
            }),
            campaign_name: call.campaign ?? "Campaign",
            campaign_id: String(1000 + (call.campaign?.length ?? 0)),
            agent: a.email,
            agent_name: `${a.firstName} ${a.lastName}`,
            agent_number: a.number.e164,
          });
        } else if (current) current.answeredAt = at;
        break;
      }
      case "transfer-start":
        if (f.to.agent) {
          const a = agentOf(f.to.agent);
          legs.push({ agent: f.to.agent, uuid: nextUniqid(start + at), dialedAt: at, transferred: true });
          flow.push({ type: "Agent", num: a.extension, dialst: "Dialed", time: sec(at) });
        }
        break;
      case "transfer-end": {
        const leg = legs.filter((l) => l.agent === f.to.agent).pop();
        if (leg && f.outcome === "connected") {
          leg.answeredAt = at;
          const from = legs.filter((l) => l.agent === f.from).pop();
          if (from) from.endedAt = at;
          current = leg;
          flow.push({ type: "Agent", num: agentOf(leg.agent).extension, dialst: "Answered", time: sec(at) });
        } else if (leg) {
          leg.missed = true;
          leg.endedAt = at;
        }
        break;
      }
      case "hangup": {
        endedAt = at;
        hangupBy = f.by;
        flow.push({ type: current?.answeredAt !== undefined ? "Agent-Hangup" : "hangup", time: sec(at) });
        for (const l of legs) l.endedAt ??= at;
        const answered = legs.some((l) => l.answeredAt !== undefined);
        if (clickToCall && customerAnsweredAt === undefined) {
          const a = current ? agentOf(current.agent) : undefined;
          fire(at, "click-to-call-missed-by-customer", {
            uuid: callerUuid,
            start_stamp: stamp(0),
            answer_stamp: "",
            end_stamp: stamp(at),
            hangup_cause: "NormalClearing",
            billsec: "0",
            direction: "click_to_call",
            duration: secs(at),
            answered_agent: a ? `${a.firstName} ${a.lastName}` : "",
            call_flow: snapshot(flow),
            recording_url: "",
            call_status: "missed",
            aws_call_recording_identifier: "",
          });
        }
        if (!outbound && answered)
          cdr(
            at + 300,
            at,
            "call-answered-by-agent-hangup",
            legs.filter((l) => l.answeredAt !== undefined).pop(),
          );
        if (!outbound && legs.some((l) => l.missed) && !answered)
          cdr(
            at + 300,
            at,
            "call-missed-by-agent-hangup",
            legs.find((l) => l.missed),
          );
        cdr(at + 600, at, "call-hangup", undefined);
        break;
      }
      case "disposition":
        disposition = { value: f.value, sub: f.sub, at };
        break;
      default:
        break;
    }
  }

  if (disposition && dialer) {
    const a = agentOf(legs[0]?.agent ?? dir.agents[0]!.key);
    const end = endedAt ?? disposition.at;
    fire(disposition.at, "dialer-disposition-updated", {
      start_stamp: stamp(0),
      start_date: { $date: start },
      start_time: { $time: start },
      end_stamp: stamp(end),
      end_date: { $date: start + end },
      end_time: { $time: start + end },
      direction: "Dialer (outbound)",
      duration: secs(end),
      call_flow: JSON.stringify(flow),
      lead_fields: JSON.stringify({ name: `Lead ${customer.national.slice(-4)}`, phone: customer.e164 }),
      campaign_name: call.campaign ?? "Campaign",
      campaign_id: String(1000 + (call.campaign?.length ?? 0)),
      agent: a.email,
      agent_name: `${a.firstName} ${a.lastName}`,
      agent_number: a.number.e164,
      disposition: disposition.value,
      sub_dispositon: disposition.sub ?? "",
    });
  }
  return events.sort((a, b) => a.at - b.at);
}

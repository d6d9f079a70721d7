import type { Fact, SimulatedCall } from "../../core/model.js";
import type { ProjectionContext, VendorEvent } from "../../core/vendor.js";
import { IVR_NUMBER, PROFILE_REGION, trunkNumber } from "./world.js";

/**
 * 3CX WebhooksApi projection, following the add-on's sequences (T1..T8): one
 * `ringing` per IVR, queue or extension that rings; a pickup event per answered segment; an end
 * event per segment (none for the leg a blind transfer leaves); recordings only after the end.
 * Ids are `yymmddHHMMSS_N-L` with one prefix per call and L the segment.
 */

type Payload = Record<string, unknown>;

const HOUR_MS = 3_600_000;
/** Instants whose local year is plainly four-digit Gregorian, where `year % 100` is the 2-digit year. */
const ARITHMETIC_FROM = Date.UTC(1901, 0, 1);
const ARITHMETIC_UNTIL = Date.UTC(2199, 0, 1);
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/** Per time zone: its formatters and the UTC offset of the UTC hour last asked for. */
interface ZoneClock {
  /** The `yymmddHHMMSS` fields, as the stamp is defined. */
  stamp: Intl.DateTimeFormat;
  /** The same fields with the full year, to derive the zone's offset. */
  full: Intl.DateTimeFormat;
  /** Start of the cached UTC hour (NaN before the first use). */
  hourStart: number;
  /** The zone's offset throughout that hour, in ms. */
  offsetMs: number;
}

const zoneClocks = new Map<string, ZoneClock>();

function zoneClock(timeZone: string): ZoneClock {
  let clock = zoneClocks.get(timeZone);
  if (!clock) {
    const fields = {
      timeZone,
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    } as const;
    clock = {
      stamp: new Intl.DateTimeFormat("en-GB", { ...fields, year: "2-digit" }),
      full: new Intl.DateTimeFormat("en-GB", { ...fields, year: "numeric" }),
      hourStart: Number.NaN,
      offsetMs: 0,
    };
    zoneClocks.set(timeZone, clock);
  }
  return clock;
}

/** Local wall time minus UTC at an instant, in ms (whole seconds, as the formatter shows them). */
function offsetAt(clock: ZoneClock, epochMs: number): number {
  const parts = clock.full.formatToParts(new Date(epochMs));
  const num = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const wall = Date.UTC(num("year"), num("month") - 1, num("day"), num("hour"), num("minute"), num("second"));
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/** `yymmddHHMMSS` through the formatter itself. */
function formattedStamp(clock: ZoneClock, epochMs: number): string {
  const parts = clock.stamp.formatToParts(new Date(epochMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return `${get("year")}${get("month")}${get("day")}${get("hour")}${get("minute")}${get("second")}`;
}

/**
 * `yymmddHHMMSS` of an instant in the PBX's local time. The zone's offset is looked up once per
 * UTC hour and the fields follow by arithmetic; an hour whose offset changes within it (a DST
 * switch) and instants outside 1901..2198 go through the formatter.
 */
export function localStamp(epochMs: number, timeZone: string): string {
  const clock = zoneClock(timeZone);
  if (epochMs < ARITHMETIC_FROM || epochMs >= ARITHMETIC_UNTIL) return formattedStamp(clock, epochMs);
  const hourStart = Math.floor(epochMs / HOUR_MS) * HOUR_MS;
  if (hourStart !== clock.hourStart) {
    const offsetMs = offsetAt(clock, hourStart);
    if (offsetAt(clock, hourStart + HOUR_MS - 1) !== offsetMs) return formattedStamp(clock, epochMs);
    clock.hourStart = hourStart;
    clock.offsetMs = offsetMs;
  }
  const local = new Date(epochMs + clock.offsetMs);
  return (
    PAD2[local.getUTCFullYear() % 100]! +
    PAD2[local.getUTCMonth() + 1]! +
    PAD2[local.getUTCDate()]! +
    PAD2[local.getUTCHours()]! +
    PAD2[local.getUTCMinutes()]! +
    PAD2[local.getUTCSeconds()]!
  );
}

/** Talk time as `mm:ss` (K2M JSON). */
export function mmss(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Talk time as `m:ss` (form titles). */
export function mss(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

interface Segment {
  user: string;
  leg: number;
  start: number;
}

export function projectThreeCx(
  call: SimulatedCall,
  ctx: ProjectionContext,
  options: { fqdn?: string } = {},
): VendorEvent[] {
  const form = ctx.profile === "form";
  const region = PROFILE_REGION[form ? "form" : "k2m-json"];
  const fqdn = options.fqdn ?? region.fqdn;
  const prefix = `${localStamp(call.start, region.timeZone)}_${Number(call.key) + 9}`;
  const outbound = call.direction === "outbound";
  const remote = trunkNumber(outbound ? call.dialled : call.caller, ctx.profile);
  const did = outbound ? "" : region.did;
  const events: VendorEvent[] = [];
  const segments: Segment[] = [];
  let current: Segment | undefined;
  let lastLeg = 0;
  let lastRung: string | undefined;
  let enqueued = false;
  let ivr = false;
  let transferredOut = false;
  const id = (leg: number) => `${prefix}-${leg}`;
  const push = (at: number, name: string, payload: Payload) =>
    events.push({ at, name, payload, entityId: String(payload.User ?? payload.user ?? "") });

  const ringing = (at: number, user: string, usertype: "ext" | "queue" | "other", leg: number) =>
    push(
      at,
      "ringing",
      form
        ? { event: "ringing", callerid: remote, user, usertype, did, id: id(leg) }
        : { Event: "ringing", Callerid: remote, User: user, Usertype: usertype, Did: did, Id: id(leg) },
    );
  const pickup = (at: number, user: string, trtype: "NotDef" | "Blind" | "Attended", leg: number) => {
    const name = outbound
      ? form
        ? "hangupoutgoing"
        : "outgoingcall_started"
      : form
        ? "hangupincoming"
        : "incomingcall_started";
    push(
      at,
      name,
      form
        ? { event: name, callerid: remote, user, did, trtype, id: id(leg) }
        : { Event: name, Callerid: remote, User: user, Trtype: trtype, Did: did, Id: id(leg) },
    );
  };
  const end = (
    at: number,
    user: string,
    ok: boolean,
    transfer: boolean,
    talkMs: number,
    leg: number,
    missedBy?: string,
  ) => {
    const name = outbound ? "outgoing" : "incoming";
    if (form) {
      const title = outbound
        ? ok
          ? `Successful call to ${remote} (${mss(talkMs)})`
          : `Unanswered call to ${remote}`
        : ok
          ? `${did}:Answered call from ${remote} (${mss(talkMs)})`
          : `${did}:Missed call by ${missedBy} from ${remote}`;
      push(at, name, {
        event: name,
        callerid: remote,
        user,
        finishtype: ok ? "Ok" : "Missed",
        transfer: transfer ? "True" : "False",
        did,
        title,
        id: id(leg),
      });
    } else {
      push(at, name, {
        Event: name,
        Callerid: remote,
        User: user,
        Finishtype: ok ? "Ok" : "Missed",
        Transfer: transfer ? "True" : "False",
        Did: did,
        Duration: ok ? mmss(talkMs) : "",
        Id: id(leg),
      });
    }
  };

  const handle = (f: Fact) => {
    switch (f.kind) {
      case "ivr":
        ivr = true;
        ringing(f.at, IVR_NUMBER, "other", 0);
        return;
      case "enqueue":
        enqueued = true;
        ringing(f.at, call.queue!, "queue", 0);
        return;
      case "offer":
        lastRung = f.agent;
        ringing(f.at, f.agent, "ext", current?.leg ?? 0);
        return;
      case "answer":
        lastLeg = 1;
        current = { user: f.agent, leg: 1, start: f.at };
        segments.push(current);
        pickup(f.at, f.agent, "NotDef", 1);
        return;
      case "dial":
        push(
          f.at,
          "dialing",
          form
            ? { event: "dialing", callerid: remote, user: f.agent, id: id(0) }
            : { Event: "dialing", Callerid: remote, User: f.agent, Id: id(0) },
        );
        return;
      case "remote-answer":
        lastLeg = 1;
        current = { user: call.user!, leg: 1, start: f.at };
        segments.push(current);
        pickup(f.at, call.user!, "NotDef", 1);
        return;
      case "transfer-start":
        if (f.to.agent) ringing(f.at, f.to.agent, "ext", current?.leg ?? 0);
        return;
      case "transfer-end": {
        if (f.outcome !== "connected" || !current) return;
        if (!f.to.agent) {
          // an outside number is no extension of the PBX: the add-on reports no ringing or pickup for it,
          // only the end of the leg that transferred (silently for a blind transfer)
          if (f.mode === "attended") end(f.at, current.user, true, true, f.at - current.start, current.leg);
          current = undefined;
          transferredOut = true;
          return;
        }
        const leg = ++lastLeg;
        const to = f.to.agent;
        pickup(f.at, to, f.mode === "blind" ? "Blind" : "Attended", leg);
        // the first operator's leg ends with Transfer True on an attended transfer; silently on a blind one
        if (f.mode === "attended") end(f.at, current.user, true, true, f.at - current.start, current.leg);
        current = { user: to, leg, start: f.at };
        segments.push(current);
        return;
      }
      case "hangup":
        if (transferredOut) return;
        if (current) end(f.at, current.user, true, false, f.at - current.start, current.leg);
        else if (outbound) end(f.at, call.user!, false, false, 0, 0);
        else {
          const user = enqueued ? call.queue! : (lastRung ?? (ivr ? IVR_NUMBER : call.queue!));
          const by = enqueued ? `queue ${user}` : lastRung ? `extension ${user}` : `IVR ${user}`;
          end(f.at, user, false, false, 0, 0, by);
        }
        current = undefined;
        return;
      case "recording":
        // one file per answered segment, the latest segment first (as the add-on sends them)
        [...segments].reverse().forEach((s, i) => {
          const url = `https://${fqdn}:5001/webapi/recording/${id(s.leg)}-1.mp3`;
          push(
            f.at + i * 150,
            "recording",
            form
              ? { url }
              : { Event: "recording", FileUrls: [url], Callerid: remote, User: s.user, Id: id(s.leg) },
          );
        });
        return;
      default:
        return;
    }
  };
  for (const f of call.facts) handle(f);
  return events.sort((a, b) => a.at - b.at);
}

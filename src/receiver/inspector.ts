import type { EventEmitter } from "node:events";
import express, { type Request, type Response, type Router } from "express";
import type { Vendor } from "../core/vendor.js";
import type { ReceivedRecord } from "./app.js";
import { INSPECTOR_CSP, inspectorPage, type InspectorConfig } from "./inspector-page.js";

/**
 * The live inspector of `pbxsim receive --ui`: a page that shows every delivery grouped by vendor
 * and call, the records as JSON and a server-sent event stream of new records. Everything under
 * INSPECTOR_PATH is answered here, so it is never taken for a vendor's webhook nor recorded.
 *
 * Also the receiver's out-of-order rule: the vendor's own event time, compared per vendor and call.
 */

export const INSPECTOR_PATH = "/_pbxsim";

/** At most this many of the latest records are sent to a page when it connects. */
export const SNAPSHOT_LIMIT = 2000;

const HEARTBEAT_MS = 15_000;

/**
 * A vendor time as milliseconds since the epoch (with sub-millisecond fractions), or undefined
 * when it is missing or unreadable. Reads epoch seconds or milliseconds (numbers or digit strings)
 * and ISO-like date-times with `T` or a space, any number of fraction digits and an optional zone
 * (none = UTC). Far-future placeholders (year 9999, VoIPBIN's "not yet") count as missing.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? epoch(value) : undefined;
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  if (/^\d{9,16}(\.\d+)?$/.test(s)) return epoch(Number(s));
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      s,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (Number(y) >= 9999) return undefined;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (!Number.isFinite(ms)) return undefined;
  if (frac) ms += Number(`0.${frac}`) * 1000;
  if (zone && zone.toUpperCase() !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (z) ms -= (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000;
  }
  return ms;
}

/** Epoch seconds (up to 11 integer digits) or milliseconds, as milliseconds. */
function epoch(n: number): number {
  return Math.trunc(n) < 1e11 ? n * 1000 : n;
}

function field(body: unknown, key: string): unknown {
  return body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined;
}

/**
 * The time the vendor stamped on an event: Enreach `Timestamp`, VoIPBIN `data.tm_update`
 * (`data.tm_create` while the resource was never updated), Webitel `timestamp`. 3CX and
 * Acefone carry no event time that orders a call's events, so they have none.
 */
export function eventTimeOf(vendor: string, body: unknown): number | undefined {
  switch (vendor) {
    case "enreach":
      return parseEventTime(field(body, "Timestamp"));
    case "voipbin": {
      const data = field(body, "data");
      return parseEventTime(field(data, "tm_update")) ?? parseEventTime(field(data, "tm_create"));
    }
    case "webitel":
      return parseEventTime(field(body, "timestamp"));
    default:
      return undefined;
  }
}

/** Keys remembered for duplicates, retries and event order: the latest million of each. */
export const KEY_LIMIT = 1_000_000;

/** Forgets the oldest keys (in insertion order) beyond `limit`, so a long run's memory stays bounded. */
export function forgetOldest(keys: Set<string> | Map<string, unknown>, limit = KEY_LIMIT): void {
  if (keys.size <= limit) return;
  const it = keys.keys();
  for (let n = keys.size - limit; n > 0; n--) keys.delete(it.next().value as string);
}

/**
 * Remembers, per vendor and call, the latest event time seen. An event is out of order when an
 * earlier-received event of the same call carries a later time; events without a call id or a
 * readable time are never out of order.
 */
export class OrderTracker {
  private readonly latest = new Map<string, number>();

  private key(vendor: string, callId: string | undefined): string | undefined {
    return callId ? `${vendor}\u0000${callId}` : undefined;
  }

  /** Whether an event with this time arrives after a later one of the same call. */
  isLate(vendor: string, callId: string | undefined, time: number | undefined): boolean {
    const k = this.key(vendor, callId);
    if (k === undefined || time === undefined) return false;
    const seen = this.latest.get(k);
    return seen !== undefined && time < seen;
  }

  /** Counts an accepted event towards its call's latest time. */
  note(vendor: string, callId: string | undefined, time: number | undefined): void {
    const k = this.key(vendor, callId);
    if (k === undefined || time === undefined) return;
    const seen = this.latest.get(k);
    if (seen === undefined || time > seen) this.latest.set(k, time);
    if (seen === undefined) forgetOldest(this.latest);
  }

  clear(): void {
    this.latest.clear();
  }
}

export interface InspectorSource {
  vendors: readonly Vendor[];
  records: ReceivedRecord[];
  /** Every request received, when the records in memory are only the latest. */
  counts?: { received: number };
  events: EventEmitter<{ record: [ReceivedRecord] }>;
}

/** How a vendor proves a delivery is genuine, for the page's auth labels. */
function authKind(v: Vendor): "token" | "signature" | "none" {
  const kinds = v.profiles.map((p) => v.transport(p).auth.kind);
  if (kinds.includes("token")) return "token";
  if (kinds.includes("hmac-sha256")) return "signature";
  return "none";
}

function sseFrame(event: string, data: unknown): string {
  // JSON.stringify escapes line breaks inside strings, so one data line always suffices
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The inspector's routes, to be mounted at INSPECTOR_PATH before any catch-all. */
export function inspectorRouter(src: InspectorSource): Router {
  const router = express.Router({ strict: true });
  const config: InspectorConfig = {
    vendors: src.vendors.map((v) => ({ id: v.id, name: v.displayName, auth: authKind(v) })),
    limit: SNAPSHOT_LIMIT,
  };
  const page = inspectorPage(config);
  // every open page listens for records; lift the default cap of 10 listeners
  if (src.events.getMaxListeners() < 1000) src.events.setMaxListeners(1000);

  const noStore = (res: Response) => {
    res.set("cache-control", "no-store");
    res.set("x-content-type-options", "nosniff");
  };

  router.get("/", (req: Request, res: Response) => {
    const [path = "", query] = req.originalUrl.split("?", 2);
    if (!path.endsWith("/")) {
      // relative links on the page (records, events) need the trailing slash
      res.redirect(301, `${path}/${query === undefined ? "" : `?${query}`}`);
      return;
    }
    noStore(res);
    res.set("content-security-policy", INSPECTOR_CSP);
    res.set("referrer-policy", "no-referrer");
    res.type("html").send(page);
  });

  router.get("/records", (req: Request, res: Response) => {
    noStore(res);
    const since = Number(req.query.since);
    res.json(Number.isFinite(since) ? src.records.filter((r) => r.seq > since) : src.records);
  });

  router.get("/events", (req: Request, res: Response) => {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    res.write("retry: 2000\n\n");
    res.write(
      sseFrame("snapshot", {
        total: src.counts?.received ?? src.records.length,
        records: src.records.slice(-SNAPSHOT_LIMIT),
      }),
    );
    const onRecord = (r: ReceivedRecord) => {
      res.write(sseFrame("record", r));
    };
    src.events.on("record", onRecord);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    req.on("close", () => {
      clearInterval(heartbeat);
      src.events.off("record", onRecord);
    });
  });

  // anything else under the inspector's path: answered here, never recorded as a delivery
  router.use((req: Request, res: Response) => {
    noStore(res);
    if (req.method === "GET" || req.method === "HEAD") {
      res.status(404).json({ error: `no inspector page at ${req.originalUrl}` });
    } else {
      res.set("allow", "GET, HEAD");
      res.status(405).json({
        error: `${INSPECTOR_PATH}/ is pbxsim's inspector, not a webhook endpoint: send webhooks to /<vendor>`,
      });
    }
  });

  return router;
}

import { EventEmitter } from "node:events";
import express, { type Express, type Request, type Response } from "express";
import { Rng } from "../core/random.js";
import type { EncodedRequest, ValidationResult, Vendor } from "../core/vendor.js";
import { redactHeaders, redactPath } from "../core/redact.js";
import { constantTimeEqual, verifySignature } from "../core/signing.js";
import { eventTimeOf, forgetOldest, INSPECTOR_PATH, inspectorRouter, OrderTracker } from "./inspector.js";

/**
 * The built-in receiver: an express app that recognises the vendor, checks its secret in
 * constant time, validates the payload against the vendor's schema, records the delivery and
 * answers the way the vendor wants. Fault knobs make it misbehave on purpose so retries show.
 *
 * Lifecycle of one request: parse the body → detect the vendor → authenticate → validate →
 * fault injection → answer → record.
 */

export interface ReceiverFaults {
  /** Fail the first N attempts of every event (keyed by the vendor's dedupe id). */
  failFirst?: number;
  /** The status answered instead of success (always, or only for failures chosen by failFirst/failRate). */
  status?: number;
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Fail this fraction of deliveries (0..1), seeded. */
  failRate?: number;
}

export interface ReceiverOptions {
  vendors: readonly Vendor[];
  /** Only accept this vendor (detection still runs, a mismatch is rejected). */
  vendor?: string;
  /** Shared secret the vendor sends as a token header (Enreach X-Benemen-Token). */
  token?: string;
  /** Secret the vendor signs bodies with (VoIPBIN X-VoIPBIN-Signature). */
  secret?: string;
  faults?: ReceiverFaults;
  /** Request body size limit, e.g. "1mb". */
  bodyLimit?: string;
  seed?: number;
  /** Serve the live inspector under /_pbxsim/ (its requests are never recorded as deliveries). */
  ui?: boolean;
  /**
   * Keep only about this many of the latest records in memory (between it and twice it), so a
   * long load test cannot exhaust memory; `counts` covers every request. Default: all.
   */
  keep?: number;
}

export interface ReceiverCounts {
  received: number;
  valid: number;
  invalid: number;
  duplicates: number;
}

export type AuthVerdict = "ok" | "missing" | "bad" | "not-checked";

export interface ReceivedRecord {
  seq: number;
  receivedAt: string;
  vendor: string | null;
  event: string | null;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body as received (secrets only in headers, which are redacted). */
  body: string;
  callId?: string;
  dedupeKey?: string;
  duplicate: boolean;
  /** An earlier-received event of the same vendor and call carries a later vendor timestamp. */
  outOfOrder: boolean;
  auth: AuthVerdict;
  valid: boolean;
  issues: string[];
  status: number;
  fault?: string;
}

export interface Receiver {
  app: Express;
  /** The records in memory: every one, or the latest with `keep`. */
  records: ReceivedRecord[];
  /** Every request received since the start or the last reset. */
  counts: ReceiverCounts;
  events: EventEmitter<{ record: [ReceivedRecord] }>;
  reset(): void;
}

function flatHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export function parseBody(
  raw: string,
  contentType: string | undefined,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const ct = (contentType ?? "").toLowerCase();
  if (raw === "") return { ok: true, value: undefined };
  if (ct.includes("application/x-www-form-urlencoded")) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(raw)) };
  }
  if (ct.includes("json") || ct === "" || raw.trimStart().startsWith("{")) {
    try {
      return { ok: true, value: JSON.parse(raw) };
    } catch (e) {
      return { ok: false, reason: `malformed JSON body: ${(e as Error).message}` };
    }
  }
  return { ok: true, value: raw };
}

/**
 * A GET webhook's data: key=value pairs from the query string, or a bare URL (the 3CX form
 * scheme sends a finished recording as nothing but its URL).
 */
export function queryValue(originalUrl: string): unknown {
  const i = originalUrl.indexOf("?");
  if (i < 0 || i === originalUrl.length - 1) return undefined;
  const raw = originalUrl.slice(i + 1);
  const parts = raw.split("&");
  const bare = parts.find((p) => !p.includes("=") && /^https?:/i.test(safeDecode(p)));
  if (bare) return safeDecode(bare);
  return Object.fromEntries(new URLSearchParams(raw));
}

/**
 * A request as it is sent, read back as this receiver reads it (body by content type, or a GET's
 * query) and judged by its vendor's schemas.
 */
export function validateRequest(vendor: Vendor, enc: EncodedRequest): ValidationResult {
  const target = new URL(enc.url);
  const parsed = parseBody(enc.body, enc.headers["content-type"]);
  return parsed.ok
    ? vendor.validate(
        parsed.value ?? queryValue(target.pathname + target.search),
        enc.headers,
        target.pathname,
      )
    : { ok: false, issues: [parsed.reason] };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createReceiver(opts: ReceiverOptions): Receiver {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const records: ReceivedRecord[] = [];
  const noCounts = (): ReceiverCounts => ({ received: 0, valid: 0, invalid: 0, duplicates: 0 });
  const counts = noCounts();
  const keep = opts.keep;
  const remember = (rec: ReceivedRecord) => {
    counts.received++;
    if (rec.valid) counts.valid++;
    else counts.invalid++;
    if (rec.duplicate) counts.duplicates++;
    records.push(rec);
    if (keep !== undefined && records.length >= 2 * keep) records.splice(0, records.length - keep);
  };
  const events = new EventEmitter<{ record: [ReceivedRecord] }>();
  const attemptsByKey = new Map<string, number>();
  const seen = new Set<string>();
  const order = new OrderTracker();
  const rng = new Rng(opts.seed ?? 1);
  const faults = opts.faults ?? {};
  const failing =
    faults.failFirst !== undefined || faults.failRate !== undefined || faults.status !== undefined;
  let seq = 0;

  app.get("/health", (_req, res) => {
    res.json({ ok: true, received: counts.received });
  });

  if (opts.ui) app.use(INSPECTOR_PATH, inspectorRouter({ vendors: opts.vendors, records, counts, events }));

  app.use(express.raw({ type: () => true, limit: opts.bodyLimit ?? "1mb" }));

  app.all("/{*path}", async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
    const headers = flatHeaders(req);
    const rec: ReceivedRecord = {
      seq: seq++,
      receivedAt: new Date().toISOString(),
      vendor: null,
      event: null,
      method: req.method,
      path: redactPath(req.originalUrl),
      headers: redactHeaders(headers),
      body: raw,
      duplicate: false,
      outOfOrder: false,
      auth: "not-checked",
      valid: false,
      issues: [],
      status: 0,
    };
    const finish = (status: number, body?: unknown) => {
      rec.status = status;
      remember(rec);
      events.emit("record", rec);
      if (body === undefined) res.status(status).end();
      else res.status(status).json(body);
    };

    // 1. parse
    const parsed = parseBody(raw, req.headers["content-type"]);
    if (!parsed.ok) {
      rec.issues = [parsed.reason];
      return finish(400, { error: parsed.reason });
    }
    const body = parsed.value ?? queryValue(req.originalUrl);

    // 2. detect
    const first = req.path.split("/")[1]?.toLowerCase();
    const vendor =
      opts.vendors.find((v) => v.id === first) ??
      opts.vendors.find((v) => v.detect(req.headers, body)) ??
      (opts.vendor ? opts.vendors.find((v) => v.id === opts.vendor) : undefined);
    if (!vendor) {
      rec.issues = [
        "cannot tell which vendor sent this: no vendor path (/enreach, ...) and no vendor header",
      ];
      return finish(404, { error: rec.issues[0] });
    }
    rec.vendor = vendor.id;
    if (opts.vendor && vendor.id !== opts.vendor) {
      rec.issues = [`this receiver accepts only ${opts.vendor}, not ${vendor.id}`];
      return finish(404, { error: rec.issues[0] });
    }

    // 3. authenticate: a shared token compared in constant time, or a signature over the exact body bytes
    const auths = vendor.profiles.map((p) => vendor.transport(p).auth);
    const tokenAuth = auths.find((a) => a.kind === "token");
    const hmacAuth = auths.find((a) => a.kind === "hmac-sha256");
    const auth = tokenAuth ?? hmacAuth ?? { kind: "none" as const };
    if (opts.token !== undefined && tokenAuth?.kind === "token") {
      const got = req.headers[tokenAuth.header];
      const value = Array.isArray(got) ? got[0] : got;
      rec.auth = value === undefined ? "missing" : constantTimeEqual(value, opts.token) ? "ok" : "bad";
    } else if (
      opts.secret !== undefined &&
      hmacAuth?.kind === "hmac-sha256" &&
      (vendor.authApplies?.(body) ?? true)
    ) {
      const got = req.headers[hmacAuth.header];
      const value = Array.isArray(got) ? got[0] : got;
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      rec.auth =
        value === undefined
          ? "missing"
          : verifySignature(hmacAuth.prefix, opts.secret, raw, value)
            ? "ok"
            : "bad";
    }

    // 4. validate
    const verdict = vendor.validate(body, req.headers, req.path);
    rec.event = verdict.event ?? null;
    rec.valid = verdict.ok;
    rec.issues = verdict.issues;
    rec.callId = vendor.callIdOf?.(body);
    rec.dedupeKey = vendor.dedupeKeyOf?.(body);
    const eventTime = eventTimeOf(vendor.id, body);
    rec.outOfOrder = order.isLate(vendor.id, rec.callId, eventTime);
    if (rec.auth === "missing" || rec.auth === "bad") {
      return finish(401, { error: `${auth.kind === "none" ? "secret" : auth.header} ${rec.auth}` });
    }
    if (!verdict.ok)
      return finish(422, { error: "payload does not match the vendor schema", issues: verdict.issues });
    // only authenticated, valid deliveries count towards duplicates
    if (rec.dedupeKey) {
      const k = `${vendor.id}:${rec.dedupeKey}`;
      rec.duplicate = seen.has(k);
      seen.add(k);
      forgetOldest(seen);
    }
    order.note(vendor.id, rec.callId, eventTime);

    // 5. faults
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    // attempts are counted only for the failure knobs, and per event key (a request without one
    // is its own first attempt)
    let n = 1;
    if (failing && rec.dedupeKey) {
      const key = `${vendor.id}:${rec.dedupeKey}`;
      n = (attemptsByKey.get(key) ?? 0) + 1;
      attemptsByKey.set(key, n);
      forgetOldest(attemptsByKey);
    }
    let fail = false;
    if (faults.failFirst !== undefined && n <= faults.failFirst) fail = true;
    if (faults.failRate !== undefined && rng.next() < faults.failRate) fail = true;
    if (faults.status !== undefined && faults.failFirst === undefined && faults.failRate === undefined)
      fail = true;
    if (fail) {
      rec.fault = `answered ${faults.status ?? 500} on purpose (attempt ${n})`;
      return finish(faults.status ?? 500);
    }

    // 6. answer as the vendor wants
    const ok = vendor.okResponse;
    return finish(ok.status, ok.body);
  });

  // body-parser errors (too large, aborted) become a 4xx with the reason
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: unknown) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    const reason = err.type === "entity.too.large" ? "body too large" : err.message;
    const rec: ReceivedRecord = {
      seq: seq++,
      receivedAt: new Date().toISOString(),
      vendor: null,
      event: null,
      method: _req.method,
      path: redactPath(_req.originalUrl),
      headers: redactHeaders(flatHeaders(_req)),
      body: "",
      duplicate: false,
      outOfOrder: false,
      auth: "not-checked",
      valid: false,
      issues: [reason],
      status,
    };
    remember(rec);
    events.emit("record", rec);
    res.status(status).json({ error: reason });
  });

  return {
    app,
    records,
    counts,
    events,
    reset() {
      records.length = 0;
      Object.assign(counts, noCounts());
      attemptsByKey.clear();
      seen.clear();
      order.clear();
    },
  };
}

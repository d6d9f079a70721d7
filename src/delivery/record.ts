import { readFileSync } from "node:fs";
import { PbxsimError } from "../core/errors.js";
import type { SimulatedCall } from "../core/model.js";
import { Rng } from "../core/random.js";
import { isSecretHeader, REDACTED, redactHeaders, redactUrl, scrub } from "../core/redact.js";
import { signatureHeaderValue } from "../core/signing.js";
import type { Vendor } from "../core/vendor.js";
import { findVendor, getVendor, resolveProfile } from "../vendors/registry.js";
import { decodeQuery } from "../core/encoding.js";
import type { Attempt, Redirect } from "./engine.js";
import type { PlannedRequest } from "./plan.js";
import type { ReceivedRecord } from "../receiver/app.js";

/**
 * Recordings (every request and its answer, secrets redacted), their replay, and the ground
 * truth: one line per simulated call saying what really happened, vendor-neutral.
 */

export interface RecordLine {
  seq: number;
  at: number;
  call: string;
  vendor: string;
  profile: string;
  scenario: string;
  event: string;
  attempt: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number | null;
  error: string | null;
  latencyMs: number;
  /** The redirects the attempt followed (vendors whose client follows them). */
  redirects?: Redirect[];
}

export function recordLine(r: PlannedRequest, a: Attempt, secrets: readonly string[]): string {
  const line: RecordLine = {
    seq: r.seq,
    at: r.at,
    call: r.call,
    vendor: r.vendor,
    profile: r.profile,
    scenario: r.scenario,
    event: r.event,
    attempt: a.attempt,
    method: r.method,
    url: redactUrl(r.url),
    headers: redactHeaders(r.headers),
    body: scrub(r.body, secrets),
    status: a.status ?? null,
    error: a.error ?? null,
    latencyMs: Math.round(a.latencyMs * 10) / 10,
    ...(a.redirects ? { redirects: a.redirects } : {}),
  };
  return JSON.stringify(line);
}

export interface TruthLine {
  vendor: string;
  scenario: string;
  call: string;
  /** The call's ids as the vendor names them (CallId, Id prefix, call_id, attempt_id, ...). */
  callIds: string[];
  direction: string;
  queue: string | null;
  agents: string[];
  answeredBy: string | null;
  outcome: string;
  talkSec: number;
  waitSec: number;
  disposition: string | null;
  callbackItems: number;
  start: string;
}

/** The ground truth of one call, with the ids its webhooks carry. */
export function truthLine(call: SimulatedCall, vendor: Vendor, bodies: string[]): TruthLine {
  const ids = new Set<string>();
  for (const b of bodies) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(b);
    } catch {
      parsed = b.includes("=") ? Object.fromEntries(new URLSearchParams(b)) : b;
    }
    const id = vendor.callIdOf?.(parsed);
    if (id) ids.add(id);
  }
  const dir = vendor.directory();
  const name = (k: string) => {
    const a = dir.agents.find((x) => x.key === k);
    return a ? `${a.firstName} ${a.lastName} <${a.email}>` : k;
  };
  const s = call.summary;
  return {
    vendor: vendor.id,
    scenario: call.scenario,
    call: call.key,
    callIds: [...ids],
    direction: call.direction,
    queue: dir.queues.find((q) => q.key === call.queue)?.name ?? null,
    agents: s.agents.map(name),
    answeredBy: s.answeredBy ? name(s.answeredBy) : null,
    outcome: s.outcome,
    talkSec: Math.round(s.talkMs / 1000),
    waitSec: Math.round(s.waitMs / 1000),
    disposition: s.disposition ?? null,
    callbackItems: s.callbackItems,
    start: new Date(call.start).toISOString(),
  };
}

/** The ground truth of a planned run: one NDJSON line per call. */
export function truthFile(calls: SimulatedCall[], requests: PlannedRequest[]): string {
  const bodies = new Map<string, string[]>();
  for (const r of requests)
    bodies.set(r.call, [
      ...(bodies.get(r.call) ?? []),
      r.url.includes("?") && r.body === "" ? r.url.split("?")[1]! : r.body,
    ]);
  return (
    calls.map((c) => JSON.stringify(truthLine(c, getVendor(c.vendor), bodies.get(c.key) ?? []))).join("\n") +
    (calls.length ? "\n" : "")
  );
}

// ---- replay ------------------------------------------------------------------------------------

export interface ReplayOptions {
  file: string;
  url?: string;
  token?: string;
  secret?: string;
  /** Replace every id in the bodies with fresh ones (consistently, so a call's events stay linked). */
  freshIds?: boolean;
  seed?: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The URL a recorded request is sent to again. `--url` gives the origin and, unless it is bare
 * (`/`), the path; the recorded query stays byte for byte (a GET's query is its payload), except
 * values redacted on the way to the file (`?token=[redacted]`), which `--url`'s query gives back.
 * A redacted value with nothing to give it back is refused rather than sent as the marker.
 */
export function replayUrl(recordedUrl: string, targetUrl: string | undefined, where: string): string {
  let recorded: URL;
  try {
    recorded = new URL(recordedUrl);
  } catch {
    throw new PbxsimError("IO", `${where}: "${recordedUrl}" is not a URL.`);
  }
  const target = targetUrl ? new URL(targetUrl) : undefined;
  const parts = recorded.search ? recorded.search.slice(1).split("&") : [];
  const named = new Set<string>();
  let restored = false;
  const query = parts.map((part) => {
    const eq = part.indexOf("=");
    const key = decodeQuery(eq < 0 ? part : part.slice(0, eq));
    named.add(key);
    if (eq < 0 || decodeQuery(part.slice(eq + 1)) !== REDACTED) return part;
    const given = target?.searchParams.get(key);
    if (given === null || given === undefined) {
      throw new PbxsimError(
        "USAGE",
        `${where}: the recorded URL's "${key}" was redacted; give its value again with --url, e.g. --url '${target ? `${target.origin}${target.pathname}` : recorded.origin + recorded.pathname}?${key}=VALUE'.`,
      );
    }
    restored = true;
    return `${part.slice(0, eq)}=${encodeURIComponent(given)}`;
  });
  if (!target && !restored) return recordedUrl;
  // --url's own query values the recording does not have are added
  if (target)
    for (const [k, v] of target.searchParams)
      if (!named.has(k)) query.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  // a bare origin (`--url http://127.0.0.1:4780`) keeps the recorded path
  const base = target
    ? `${target.origin}${target.pathname === "/" ? recorded.pathname : target.pathname}`
    : `${recorded.origin}${recorded.pathname}`;
  return query.length ? `${base}?${query.join("&")}` : base;
}

/**
 * Reads a recording or a dead-letter file back into requests: first attempts only, bodies
 * byte-identical unless fresh ids are asked for, the current token or signature re-applied.
 */
export function replayRequests(opts: ReplayOptions): { requests: PlannedRequest[]; unrecognised: number } {
  let text: string;
  try {
    text = readFileSync(opts.file, "utf8");
  } catch (e) {
    throw new PbxsimError(
      "IO",
      `${opts.file}: cannot read the recording (${(e as NodeJS.ErrnoException).code}).`,
    );
  }
  const rng = new Rng(`${opts.seed ?? Date.now()}/replay`);
  const ids = new Map<string, string>();
  const fresh = (id: string) => {
    if (!ids.has(id)) ids.set(id, rng.uuid());
    return ids.get(id)!;
  };
  const out: PlannedRequest[] = [];
  /** Lines of a receiver's recording whose request no vendor was recognised in. */
  let unrecognised = 0;
  /** Time of the first line of a receiver's recording, which has clock times, not offsets. */
  let firstReceived: number | undefined;
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let l: Partial<RecordLine> & { attempts?: number } & Partial<
        Pick<ReceivedRecord, "receivedAt" | "path" | "callId">
      >;
    try {
      l = JSON.parse(raw);
    } catch {
      throw new PbxsimError(
        "IO",
        `${opts.file}:${i + 1}: not a JSON line of a pbxsim recording or dead-letter file.`,
      );
    }
    // a line of `pbxsim receive --record`: the path it was sent to and when it came
    if (l.url === undefined && typeof l.path === "string" && typeof l.receivedAt === "string") {
      if (l.vendor === null) {
        unrecognised++;
        return;
      }
      if (!opts.url)
        throw new PbxsimError(
          "USAGE",
          `${opts.file}:${i + 1}: a line of \`pbxsim receive --record\` holds the path, not the URL; give the receiver to send it to with --url (its path is kept when --url has none).`,
        );
      const t = Date.parse(l.receivedAt);
      firstReceived ??= t;
      l = {
        ...l,
        url: new URL(l.path, opts.url).href,
        call: l.callId ?? "-",
        at: Number.isFinite(t) ? t - firstReceived : 0,
        headers: Object.fromEntries(
          Object.entries(l.headers ?? {}).filter(([k]) => !HOP_HEADERS.has(k.toLowerCase())),
        ),
      };
    }
    if (!l.vendor || !l.method || l.body === undefined || !l.headers || !l.url) {
      throw new PbxsimError(
        "IO",
        `${opts.file}:${i + 1}: a line needs vendor, method, url, headers and body (a line of a recording, a dead-letter file or \`pbxsim receive --record\`).`,
      );
    }
    if (l.attempt !== undefined && l.attempt > 1) return;
    const vendor = findVendor(l.vendor);
    if (!vendor) throw new PbxsimError("VENDOR", `${opts.file}:${i + 1}: unknown vendor "${l.vendor}".`);
    // a line without its profile (older files) is known by its redacted auth header, if any
    const headerNames = Object.keys(l.headers).map((k) => k.toLowerCase());
    const profile = resolveProfile(
      vendor,
      l.profile && vendor.profiles.includes(l.profile)
        ? l.profile
        : vendor.profiles.find((p) => {
            const auth = vendor.transport(p).auth;
            return auth.kind !== "none" && headerNames.includes(auth.header);
          }),
    );
    const transport = vendor.transport(profile);
    const body = opts.freshIds ? l.body.replace(UUID, fresh) : l.body;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(l.headers)) if (!isSecretHeader(k)) headers[k] = v;
    const auth = transport.auth;
    if (auth.kind === "token" && opts.token) headers[auth.header] = opts.token;
    if (auth.kind === "hmac-sha256" && opts.secret)
      headers[auth.header] = signatureHeaderValue(auth.prefix, opts.secret, body);
    const url = replayUrl(l.url, opts.url, `${opts.file}:${i + 1}`);
    out.push({
      seq: out.length,
      at: l.at ?? 0,
      vendor: vendor.id,
      profile,
      scenario: l.scenario ?? "-",
      call: l.call ?? "-",
      event: l.event ?? "-",
      method: l.method,
      url,
      headers,
      body,
      transport,
      insecure: false,
    });
  });
  const t0 = out[0]?.at ?? 0;
  return {
    requests: out.map((r) => ({ ...r, at: r.at - t0 })).sort((a, b) => a.at - b.at || a.seq - b.seq),
    unrecognised,
  };
}

/** Headers of one connection, not of the request: the replay's own connection sets them. */
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "te",
  "upgrade",
  "proxy-connection",
]);

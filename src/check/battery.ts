import { Agent, type Dispatcher, request } from "undici";
import { isSecretHeader } from "../core/redact.js";
import { Rng } from "../core/random.js";
import { signatureHeaderValue } from "../core/signing.js";
import {
  authHeaderName,
  type EncodedRequest,
  isSuccess,
  type TransportSpec,
  type Vendor,
} from "../core/vendor.js";
import { describeError, trustedCas } from "../delivery/engine.js";
import { reachReceiver } from "../delivery/reach.js";
import { isRedirect } from "../delivery/redirect.js";
import { type PlannedRequest, planRun } from "../delivery/plan.js";
import { checkUrl } from "../delivery/targets.js";
import { resolveScenarios } from "../scenario/load.js";
import { findVendor, getVendor, resolveProfile } from "../vendors/registry.js";
import { withQuery } from "../core/encoding.js";

/**
 * The conformance battery behind `pbxsim check`: a handful of deliveries that probe whether a
 * receiver takes what a vendor really sends, the way the vendor judges it. Every check states the
 * vendor rule behind it; receiver misbehaviour (wrong status, timeouts, refused connections)
 * becomes a failed check, never an exception.
 *
 *   1. every event type of the vendor (for the profile), once;
 *   2. auth: a missing and a wrong token/signature are rejected;
 *   3. a malformed body gets a 4xx, and the next valid event is still accepted;
 *   4. the same event delivered twice (same bytes) is accepted both times;
 *   5. the events of one call delivered in reverse order are all accepted.
 */

export interface CheckOptions {
  url: string;
  vendor: string;
  profile?: string;
  /** Enreach's shared secret (X-Benemen-Token). */
  token?: string;
  /** VoIPBIN's signing secret (X-VoIPBIN-Signature). */
  secret?: string;
  /** Statuses that count as a rejection in the auth checks; default 401 and 403. */
  rejectStatuses?: number[];
  /** Accept self-signed and otherwise untrusted certificates. */
  insecure?: boolean;
  /** PEM file of an extra CA to trust. */
  ca?: string;
  seed?: number;
  /** Vendor options, as with `--option key=value` (e.g. Acefone `content_type=form`). */
  options?: Record<string, string>;
  /**
   * Headers added to every request (`--header`), as the vendor's admin configures them: the only
   * auth of vendors without their own (an `Authorization` or `X-API-Key` the receiver checks).
   */
  headers?: Record<string, string>;
}

export interface CheckResult {
  id: string;
  name: string;
  vendor: string;
  event?: string;
  /** The vendor rule behind the check, one sentence. */
  rule: string;
  ok: boolean;
  /** Set when the check did not apply (no auth, no secret given, no sample); such a check is ok. */
  skipped?: boolean;
  /** What was sent and what came back, or why it passed. */
  detail: string;
  /** The receiver's status, for the checks that send one event. */
  status?: number;
  durationMs: number;
}

/** Checks of the first kind run this many deliveries at once; the other checks run one after another. */
const EVENT_CONCURRENCY = 8;

/** The "garbage field" a form or query malformed check sends: no vendor key, broken escapes. */
const GARBAGE_FIELD = "pbxsim-garbage=%ZZ%00%";

interface Context {
  vendor: Vendor;
  profile: string;
  /** vendor id, with the profile when the vendor has several. */
  label: string;
  url: string;
  credential?: string;
  options?: Record<string, string>;
  headers?: Record<string, string>;
  transport: TransportSpec;
  seed: number;
  rejectStatuses: number[];
  dispatcher: Dispatcher;
}

/** One request and what came back. */
interface Exchange {
  status?: number;
  body: string;
  ms: number;
  error?: string;
  /** The Location header of a redirect. */
  location?: string;
}

export async function runChecks(opts: CheckOptions): Promise<CheckResult[]> {
  const vendor = getVendor(opts.vendor);
  const profile = resolveProfile(vendor, opts.profile);
  checkUrl(opts.url, "--url");
  const transport = vendor.transport(profile);
  const credential =
    transport.auth.kind === "token"
      ? (opts.token ?? opts.secret)
      : transport.auth.kind === "hmac-sha256"
        ? (opts.secret ?? opts.token)
        : undefined;
  // one message for a receiver that is not running or not trusted, not the same failure per check
  await reachReceiver(new URL(opts.url), opts.insecure ?? false, opts.ca);
  const dispatcher = new Agent({
    connect: {
      rejectUnauthorized: !opts.insecure,
      ...(opts.ca ? { ca: trustedCas(opts.ca) } : {}),
    },
  });
  const ctx: Context = {
    vendor,
    profile,
    label: vendor.profiles.length > 1 ? `${vendor.id}/${profile}` : vendor.id,
    url: opts.url,
    credential,
    options: opts.options,
    ...(opts.headers && Object.keys(opts.headers).length ? { headers: opts.headers } : {}),
    transport,
    seed: opts.seed ?? 1,
    rejectStatuses: opts.rejectStatuses ?? [401, 403],
    dispatcher,
  };
  try {
    const names = vendor.events.filter((e) => !e.profiles || e.profiles.includes(profile)).map((e) => e.name);
    const probe = names.find((n) => trySample(ctx, n, "probe", ctx.credential) !== undefined);
    const eventChecks = await mapLimit(names, EVENT_CONCURRENCY, (name) => checkEvent(ctx, name));
    const rest = await Promise.all([
      checkAuth(ctx, probe),
      checkMalformed(ctx, probe),
      checkDuplicate(ctx, probe),
      checkOutOfOrder(ctx),
    ]);
    return [...eventChecks, ...rest.flat()];
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}

// ---- the checks ------------------------------------------------------------------------------------

async function checkEvent(ctx: Context, name: string): Promise<CheckResult> {
  const t = performance.now();
  const base = {
    id: `event:${name}`,
    name: `${ctx.label} accepts ${name}`,
    vendor: ctx.vendor.id,
    event: name,
    rule: acceptRule(ctx),
  };
  const sample = trySample(ctx, name, `event/${name}`, ctx.credential);
  if (!sample) {
    return {
      ...base,
      ok: true,
      skipped: true,
      detail: `skipped: pbxsim has no sample of ${name} (the vendor documents no variables for it)`,
      durationMs: elapsed(t),
    };
  }
  const ex = await send(ctx, sample);
  const problem = notAccepted(ctx, ex);
  return {
    ...base,
    ok: problem === undefined,
    ...(ex.status !== undefined ? { status: ex.status } : {}),
    detail: `sent ${describeRequest(sample)}; ${problem ?? describeAnswer(ex)}`,
    durationMs: elapsed(t),
  };
}

async function checkAuth(ctx: Context, probe: string | undefined): Promise<CheckResult[]> {
  const t = performance.now();
  const auth = ctx.transport.auth;
  const base = { vendor: ctx.vendor.id, event: probe };
  // a vendor without auth of its own is protected by a header its admin configures
  const own = auth.kind === "none" ? Object.keys(ctx.headers ?? {}).find(isSecretHeader) : undefined;
  if (auth.kind === "none" && !own) {
    return [
      {
        ...base,
        id: "auth",
        name: `${ctx.label} authenticates deliveries`,
        rule: `${vendorName(ctx)} sends no token and no signature, so there is nothing to verify unless its admin configures a secret header (give it with --header to check it).`,
        ok: true,
        skipped: true,
        detail: "vendor has no auth",
        durationMs: elapsed(t),
      },
    ];
  }
  const authHeader = auth.kind === "none" ? own! : auth.header;
  const header = authHeaderName(authHeader);
  const token = auth.kind !== "hmac-sha256";
  const rejected = ctx.rejectStatuses.join(" or ");
  const rule =
    auth.kind === "none"
      ? `${vendorName(ctx)} has no token or signature of its own; the ${header} header given with --header stands for the receiver's own auth (a header the vendor's admin adds where the vendor allows one, as Acefone's and Webitel's do), so the receiver must reject a request without it or with another value (${rejected}).`
      : auth.kind === "token"
        ? `${vendorName(ctx)} sends the configured secret in clear in ${header}; the receiver must compare it in constant time and reject a request without it or with another value (${rejected}).`
        : `${vendorName(ctx)} signs every body: ${header}: ${auth.prefix}<hex HMAC-SHA256 of the raw body>; the receiver must reject a request without it or with a signature that does not match (${rejected}).`;
  const what = token ? "token" : "signature";
  if ((auth.kind !== "none" && !ctx.credential) || !probe) {
    return [
      {
        ...base,
        id: "auth",
        name: `${ctx.label} rejects a missing or wrong ${header}`,
        rule,
        ok: true,
        skipped: true,
        detail: !probe
          ? "skipped: no event to send"
          : `skipped: no ${token ? "--token" : "--secret"} given, so a wrong ${what} cannot be told from the right one`,
        durationMs: elapsed(t),
      },
    ];
  }
  const one = async (kind: "missing" | "wrong"): Promise<CheckResult> => {
    const t1 = performance.now();
    const credential = kind === "missing" || auth.kind === "none" ? undefined : wrongOf(ctx.credential!);
    const req = trySample(ctx, probe, `auth/${kind}`, credential)!;
    if (kind === "missing") delete req.headers[authHeader];
    else if (auth.kind === "none") req.headers[authHeader] = wrongOf(req.headers[authHeader]!);
    const sent = kind === "missing" ? `a request without ${header}` : `a request with a wrong ${header}`;
    const ex = await send(ctx, req);
    const expected = `expected ${ctx.rejectStatuses.join(" or ")}`;
    let detail: string;
    let ok = false;
    if (ex.error) detail = `${ex.error} on ${sent}; ${expected}`;
    else if (ctx.rejectStatuses.includes(ex.status!)) {
      ok = true;
      detail = `answered ${ex.status} to ${sent} (${describeRequest(req)})`;
    } else if (ex.status! >= 200 && ex.status! < 300) {
      detail = `${kind} ${what} accepted: answered ${ex.status} to ${sent}; ${expected}`;
    } else detail = `answered ${ex.status} to ${sent}; ${expected}`;
    return {
      ...base,
      id: `auth:${kind}`,
      name: `${ctx.label} rejects ${kind === "missing" ? `a missing ${header}` : `a wrong ${header}`}`,
      rule,
      ok,
      detail,
      durationMs: elapsed(t1),
    };
  };
  return [await one("missing"), await one("wrong")];
}

async function checkMalformed(ctx: Context, probe: string | undefined): Promise<CheckResult> {
  const t = performance.now();
  const valid = probe ? trySample(ctx, probe, "malformed", ctx.credential) : undefined;
  const base = {
    id: "malformed",
    name: `${ctx.label} answers a malformed body with a 4xx and keeps working`,
    vendor: ctx.vendor.id,
    event: probe,
    rule: `A body the receiver cannot read must get a 4xx at once, not a 5xx that reads as a crash (${retryNote(ctx)}) nor a timeout, and the receiver must still accept the next valid event.`,
  };
  if (!probe || !valid) {
    return { ...base, ok: true, skipped: true, detail: "skipped: no event to send", durationMs: 0 };
  }
  const bad = malformed(ctx, valid);
  const ex = await send(ctx, bad.request);
  const problems: string[] = [];
  let first: string;
  if (ex.error) {
    first = `${ex.error} on ${bad.what}`;
    problems.push(`${first}; a malformed body must get a 4xx, not a timeout or a dropped connection`);
  } else if (ex.status! >= 400 && ex.status! < 500) {
    first = `answered ${ex.status} to ${bad.what}`;
  } else {
    first = `answered ${ex.status} to ${bad.what}`;
    problems.push(
      `${first}; a malformed body must get a 4xx, ${ex.status! >= 500 ? "not a 5xx" : "not be accepted"}`,
    );
  }
  const next = trySample(ctx, probe, "malformed/next", ctx.credential)!;
  const ex2 = await send(ctx, next);
  const nextProblem = notAccepted(ctx, ex2);
  if (nextProblem) problems.push(`then the next valid ${probe}: ${nextProblem}`);
  return {
    ...base,
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join("; ")
      : `${first}, then ${describeAnswer(ex2)} to the next valid ${probe}`,
    durationMs: elapsed(t),
  };
}

async function checkDuplicate(ctx: Context, probe: string | undefined): Promise<CheckResult> {
  const t = performance.now();
  const base = {
    id: "duplicate",
    name: `${ctx.label} accepts the same event delivered twice`,
    vendor: ctx.vendor.id,
    event: probe,
    rule: `${duplicateNote(ctx)}; a receiver dedupes on the event's id but still answers success to the repeat.`,
  };
  const req = probe ? trySample(ctx, probe, "duplicate", ctx.credential) : undefined;
  if (!req) return { ...base, ok: true, skipped: true, detail: "skipped: no event to send", durationMs: 0 };
  const first = await send(ctx, req);
  const second = await send(ctx, req);
  const p1 = notAccepted(ctx, first);
  const p2 = notAccepted(ctx, second);
  const problems =
    p1 && p1 === p2
      ? [`both deliveries: ${p1}`]
      : [
          ...(p1 ? [`the first delivery: ${p1}`] : []),
          ...(p2 ? [`the second delivery (same bytes): ${p2}`] : []),
        ];
  return {
    ...base,
    ok: problems.length === 0,
    detail: problems.length
      ? `sent ${describeRequest(req)} twice; ${problems.join("; ")}`
      : `sent ${describeRequest(req)} twice; ${describeAnswer(first)}, then ${describeAnswer(second)}`,
    durationMs: elapsed(t),
  };
}

async function checkOutOfOrder(ctx: Context): Promise<CheckResult> {
  const t = performance.now();
  const base = {
    id: "out-of-order",
    name: `${ctx.label} accepts the events of one call out of order`,
    vendor: ctx.vendor.id,
    rule: ctx.transport.unordered
      ? `${vendorName(ctx)} sends each event independently, so the events of one call can arrive in any order; a receiver must not reject an event because an earlier one has not arrived.`
      : `${vendorName(ctx)} promises no order across deliveries (a retried or slow event lands after later ones); a receiver must not reject an event because an earlier one has not arrived.`,
  };
  const planned = planOneCall(ctx);
  if (typeof planned === "string") {
    return { ...base, ok: true, skipped: true, detail: `skipped: ${planned}`, durationMs: elapsed(t) };
  }
  const reversed = [...planned.requests].reverse();
  const problems: { where: string; reason: string }[] = [];
  for (const [i, r] of reversed.entries()) {
    const ex = await send(ctx, r);
    const reason = notAccepted(ctx, ex);
    if (reason)
      problems.push({ where: `${r.event} (sent ${ordinal(i + 1)}, planned ${ordinal(r.seq + 1)})`, reason });
  }
  const order = reversed.map((r) => r.event);
  const shown = order.length > 8 ? [...order.slice(0, 8), "…"] : order;
  const sent = `sent the ${order.length} events of one ${planned.scenario} call last first (${shown.join(", ")})`;
  const reasons = new Set(problems.map((p) => p.reason));
  const detail =
    problems.length === 0
      ? `${sent}; all accepted`
      : problems.length === order.length && reasons.size === 1
        ? `${sent}; every one: ${problems[0]!.reason}`
        : `${sent}; ${problems.map((p) => `${p.where}: ${p.reason}`).join("; ")}`;
  return { ...base, ok: problems.length === 0, detail, durationMs: elapsed(t) };
}

// ---- building requests ----------------------------------------------------------------------------

/** One sample event of `name`, encoded as the vendor sends it; undefined when pbxsim has no sample. */
function trySample(
  ctx: Context,
  name: string,
  label: string,
  credential: string | undefined,
): EncodedRequest | undefined {
  let event;
  try {
    event = ctx.vendor.sample(
      name,
      {
        // a stream per label, so two checks never send the same event id by accident
        rng: new Rng(ctx.seed).fork(label),
        directory: ctx.vendor.directory(),
        profile: ctx.profile,
        options: ctx.options,
      },
      Date.now(),
    );
  } catch {
    return undefined;
  }
  const req = ctx.vendor.encode(event, {
    profile: ctx.profile,
    url: ctx.url,
    secret: credential,
    options: ctx.options,
  });
  return ctx.headers ? { ...req, headers: { ...req.headers, ...ctx.headers } } : req;
}

/**
 * The malformed twin of a valid request: truncated JSON for JSON vendors (still signed, so a
 * signature check cannot hide the parser's answer), a garbage field for form bodies and GET queries.
 */
function malformed(ctx: Context, valid: EncodedRequest): { request: EncodedRequest; what: string } {
  const type = (valid.headers["content-type"] ?? "").toLowerCase();
  if (valid.method === "GET" && valid.body === "") {
    return {
      request: { ...valid, url: withQuery(ctx.url, GARBAGE_FIELD) },
      what: `a GET whose query is a garbage field (?${GARBAGE_FIELD})`,
    };
  }
  if (type.includes("x-www-form-urlencoded") || type.startsWith("text/plain")) {
    return {
      request: { ...valid, body: GARBAGE_FIELD },
      what: `a form body with a garbage field (${GARBAGE_FIELD})`,
    };
  }
  const body = valid.body.slice(0, Math.max(1, Math.floor(valid.body.length / 2)));
  const headers = { ...valid.headers };
  const auth = ctx.transport.auth;
  if (auth.kind === "hmac-sha256" && ctx.credential && headers[auth.header] !== undefined) {
    headers[auth.header] = signatureHeaderValue(auth.prefix, ctx.credential, body);
  }
  return {
    request: { ...valid, headers, body },
    what: `truncated JSON (the first ${body.length} of ${valid.body.length} bytes)`,
  };
}

/** The same length as the secret, different in every character. */
function wrongOf(secret: string): string {
  return [...secret].map((c) => (c === "x" ? "y" : "x")).join("") || "x";
}

/**
 * One call of the smallest built-in scenario of the vendor that plays in this profile and gives
 * at least three events (or two, failing that), planned as pbxsim's runner would send it.
 */
function planOneCall(ctx: Context): { scenario: string; requests: PlannedRequest[] } | string {
  let scenarios;
  try {
    scenarios = resolveScenarios([`${ctx.vendor.id}/*`], findVendor);
  } catch {
    return `pbxsim has no built-in ${ctx.vendor.id} scenario`;
  }
  let best: { scenario: string; requests: PlannedRequest[] } | undefined;
  const score = (n: number) => (n >= 3 ? n : n === 2 ? 1_000 : Infinity);
  for (const s of scenarios) {
    if (s.profiles && !s.profiles.includes(ctx.profile)) continue;
    try {
      const plan = planRun({
        scenarios: [s],
        targets: { byVendor: new Map(), fallback: { url: ctx.url, secret: ctx.credential } },
        seed: ctx.seed,
        start: Date.now(),
        calls: 1,
        profile: ctx.profile,
        options: ctx.options,
        ...(ctx.headers ? { headers: ctx.headers } : {}),
      });
      const n = plan.requests.length;
      if (score(n) < Infinity && (!best || score(n) < score(best.requests.length))) {
        best = { scenario: s.id, requests: plan.requests };
      }
    } catch {
      // a scenario this profile cannot express: try the next
    }
  }
  return best ?? `no built-in ${ctx.label} scenario gives a call with two or more events`;
}

// ---- sending and judging --------------------------------------------------------------------------

async function send(ctx: Context, req: EncodedRequest): Promise<Exchange> {
  const timeoutMs = ctx.transport.timeoutMs;
  const t = performance.now();
  try {
    const res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body === "" ? undefined : req.body,
      dispatcher: ctx.dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.body.text();
    const location = res.headers.location;
    return {
      status: res.statusCode,
      body,
      ms: elapsed(t),
      ...(typeof location === "string" ? { location } : {}),
    };
  } catch (e) {
    return { body: "", ms: elapsed(t), error: describeError(e, timeoutMs) };
  }
}

/**
 * Why the vendor (or the receiver) would not count this as taken, or undefined when it was:
 * the vendor's success rule within the vendor's timeout, and a 2xx, since a vendor that counts
 * a 4xx or 5xx as delivered never sends that event again.
 */
function notAccepted(ctx: Context, ex: Exchange): string | undefined {
  if (ex.error) {
    return /^timeout/.test(ex.error) ? `${ex.error}: ${timeoutNote(ctx)}` : ex.error;
  }
  const status = ex.status!;
  const rule = ctx.transport.success;
  if (!isSuccess(rule, status)) {
    if (rule.kind === "exact") {
      const extra = ctx.vendor.id === "enreach" ? "; any other status, 2xx included, is re-sent" : "";
      return `answered ${status}: ${vendorName(ctx)} counts a delivery only on exactly ${rule.statuses.join(" or ")}${extra}`;
    }
    if (rule.kind === "range") {
      return `answered ${status}: ${vendorName(ctx)} counts only ${rule.min}-${rule.max} as delivered (${retryNote(ctx)})`;
    }
  }
  if (ctx.transport.redirects && isRedirect(status) && ex.location) {
    const how = status <= 303 ? "with GET and no body" : "with the same request";
    return `answered ${status} to ${ex.location}: ${vendorName(ctx)} follows it ${how}, so the event reaches that URL ${status <= 303 ? "without its body" : "one hop later"}; give ${vendorName(ctx)} the final URL`;
  }
  if (status < 200 || status >= 300) {
    return `answered ${status}: ${vendorName(ctx)} counts that as delivered and never sends the event again, but a non-2xx answer means the receiver did not take it`;
  }
  if (ctx.vendor.id === "enreach" && ex.body !== "") {
    return `answered ${status} with a ${Buffer.byteLength(ex.body)}-byte body (${preview(ex.body)}): Enreach tells listeners to answer with no body`;
  }
  return undefined;
}

function describeRequest(r: EncodedRequest): string {
  const type = r.headers["content-type"];
  const size =
    r.body === "" ? "query only" : `${Buffer.byteLength(r.body)} bytes${type ? ` of ${type}` : ""}`;
  return `${r.method} (${size})`;
}

function describeAnswer(ex: Exchange): string {
  if (ex.error) return ex.error;
  const body = ex.body === "" ? "" : ` with a ${Buffer.byteLength(ex.body)}-byte body`;
  return `answered ${ex.status}${body} in ${ex.ms} ms`;
}

function preview(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 60)}…` : t);
}

// ---- the vendor rules, in words --------------------------------------------------------------------

function vendorName(ctx: Context): string {
  switch (ctx.vendor.id) {
    case "enreach":
      return "Enreach";
    case "voipbin":
      return `VoIPBIN (${ctx.profile})`;
    case "3cx":
      return "the 3CX WebhooksApi add-on";
    case "acefone":
      return ctx.profile === "smartflo" ? "Smartflo" : "Acefone";
    case "webitel":
      return "Webitel";
    default:
      return ctx.vendor.displayName;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function timeoutNote(ctx: Context): string {
  const limit = seconds(ctx.transport.timeoutMs);
  switch (ctx.vendor.id) {
    case "webitel":
      return `Webitel's httpRequest gives up after ${limit} (its default timeout)`;
    case "enreach":
      return `Enreach wants an immediate 200 and re-sends what is not answered (pbxsim waits ${limit})`;
    default:
      return `${vendorName(ctx)} gives up on an attempt after ${limit}`;
  }
}

function retryNote(ctx: Context): string {
  const n = ctx.transport.retrySchedule.length;
  return n === 0
    ? `${vendorName(ctx)} does not retry`
    : `${vendorName(ctx)} re-sends it ${n === 1 ? "once" : `${n} times`}`;
}

function duplicateNote(ctx: Context): string {
  switch (ctx.vendor.id) {
    case "enreach":
      return "Enreach delivers at least once and re-sends anything not answered 200, so the same body (same Id) can arrive twice";
    case "voipbin":
      return "VoIPBIN re-sends an event after a 5xx or a timeout even when the receiver already processed it";
    case "acefone":
      return "Acefone re-sends CDRs: duplicates are seen in live traffic";
    default:
      return `${vendorName(ctx)} can deliver the same event twice (a network retry, a replay by an operator)`;
  }
}

function acceptRule(ctx: Context): string {
  const limit = seconds(ctx.transport.timeoutMs);
  switch (ctx.vendor.id) {
    case "enreach":
      return `Enreach counts only exactly 200 as delivered (201, 202 and 204 are re-sent) and wants it at once with no body; pbxsim gives an attempt ${limit}.`;
    case "voipbin":
      return ctx.profile === "current"
        ? `VoIPBIN (current) counts any status below 500 as delivered and gives up on an attempt after ${limit}; a 4xx is never re-sent, so only a 2xx means the receiver took the event.`
        : `VoIPBIN (legacy) counts any status as delivered and sends each event once (pbxsim waits ${limit}); only a 2xx means the receiver took the event.`;
    case "3cx":
      return `The 3CX WebhooksApi add-on sends each event once and counts any answer as delivered; only a 2xx within ${limit} means the receiver took the event.`;
    case "acefone":
      return `${vendorName(ctx)} sends each trigger once and counts only a 2xx within ${limit} as delivered.`;
    case "webitel":
      return `Webitel's httpRequest step gives up after ${limit} (its default timeout) and never retries; only a 2xx within ${limit} means the receiver took the event.`;
    default:
      return `${vendorName(ctx)} must count the answer as delivered, within ${limit}, and it must be a 2xx.`;
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

function elapsed(t: number): number {
  return Math.round(performance.now() - t);
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

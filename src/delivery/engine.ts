import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher, request } from "undici";
import { PbxsimError } from "../core/errors.js";
import { redactUrl } from "../core/redact.js";
import { isSuccess } from "../core/vendor.js";
import type { PlannedRequest } from "./plan.js";
import { type Hop, isRedirect, nextHop } from "./redirect.js";

/**
 * Plays planned requests at their due times (virtual time divided by --speed), judges each
 * response by the vendor's success rule, and retries on the vendor's schedule. A retry never
 * holds back later events of the same call. Every attempt is a result; nothing throws.
 */

export interface Attempt {
  attempt: number;
  /** ms since the run's real start. */
  startedAt: number;
  latencyMs: number;
  status?: number;
  ok: boolean;
  error?: string;
  /** First bytes of the response body. */
  responseBody?: string;
  /** The redirects followed on the way to `status`, for vendors whose client follows them. */
  redirects?: Redirect[];
}

/** One redirect followed: the answer that asked for it, and the request that followed it. */
export interface Redirect {
  status: number;
  /** The next URL, secrets redacted. */
  to: string;
  method: string;
}

export type Outcome = "delivered" | "failed" | "cancelled";

export interface DeliveryResult {
  request: PlannedRequest;
  attempts: Attempt[];
  outcome: Outcome;
}

export interface EngineOptions {
  /** Divides real waiting between sends; "max" sends without waiting, keeping each call's order. */
  speed: number | "max";
  /** Accept self-signed and otherwise untrusted certificates for every target. */
  insecure?: boolean;
  /** PEM file of a private CA to trust. */
  caFile?: string;
  /** Overrides the vendor's attempt timeout. */
  timeoutMs?: number;
  /** Overrides the vendor's retry schedule. */
  retrySchedule?: number[];
  /** Cap on requests in flight at once. */
  maxInflight?: number;
  signal?: AbortSignal;
  /**
   * After each attempt; `retryInMs` is the real wait before the next attempt (the retry
   * schedule divided by the speed), undefined when no attempt follows.
   */
  onAttempt?: (r: PlannedRequest, a: Attempt, retryInMs?: number) => void;
  onResult?: (r: DeliveryResult) => void;
}

/**
 * The certificates a connection trusts with `--ca FILE`: the file's beside Node's own roots, as
 * NODE_EXTRA_CA_CERTS adds them for the verifier (TLS's `ca` option alone would replace the roots).
 */
export function trustedCas(file: string): string[] {
  return [...rootCertificates, loadCa(file)];
}

export function loadCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw new PbxsimError(
      "TLS",
      `--ca ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code}). Give the path of a PEM certificate.`,
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    const held = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
    throw new PbxsimError(
      "TLS",
      held
        ? `--ca ${file}: holds a PEM ${held.toLowerCase()}, not a certificate. Give the certificate of the CA that signed the receiver's, or the receiver's own self-signed certificate.`
        : `--ca ${file}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line). Convert it with \`openssl x509 -inform der -in ${file} -out ca.pem\`.`,
    );
  }
  // TLS would skip a certificate it cannot read, and then distrust the receiver without saying why
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw new PbxsimError(
        "TLS",
        `--ca ${file}: ${blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length}` : "the certificate"} cannot be read (${(e as Error).message}); the file is damaged or not complete. Export the certificate again.`,
      );
    }
  });
  if (!blocks.length)
    throw new PbxsimError(
      "TLS",
      `--ca ${file}: a certificate has no "-----END CERTIFICATE-----" line; the file is cut short.`,
    );
  return pem;
}

/**
 * Explains a transport error in words a user can act on; `caFile`, the --ca the request trusted,
 * changes the advice for a certificate that is still not trusted.
 */
export function describeError(e: unknown, timeoutMs: number, caFile?: string): string {
  const err = e as {
    code?: unknown;
    name?: string;
    message?: string;
    cause?: { code?: unknown; name?: string; message?: string };
  };
  const named = err.cause?.name === "TimeoutError" || err.name === "TimeoutError" ? "TimeoutError" : "";
  const code = String(
    (typeof err.cause?.code === "string" ? err.cause.code : undefined) ??
      (typeof err.code === "string" ? err.code : undefined) ??
      named,
  );
  const msg = err.cause?.message ?? err.message ?? String(e);
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return caFile
        ? `TLS: the receiver's certificate is not trusted, even with --ca ${caFile} (${code}); that file holds neither the receiver's self-signed certificate nor the CA that signed it`
        : `TLS: the receiver's certificate is not trusted (${code}); pass --insecure to accept self-signed certificates (Enreach's InsecureSSL) or --ca FILE to trust its CA`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `TLS: the certificate does not name this host (${code}); use the host name in the certificate, or --insecure`;
    case "CERT_HAS_EXPIRED":
      return `TLS: the receiver's certificate has expired (${code})`;
    case "ECONNREFUSED":
      return `connection refused (${code}): nothing listens at that address`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return `connection reset by the receiver (${code})`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host not found (${code})`;
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ABORT_ERR":
    case "TimeoutError":
    case "UND_ERR_ABORTED":
      return `timeout: no answer within ${timeoutMs}ms`;
    case "EPROTO":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return `TLS handshake failed (${code}): is the receiver speaking plain HTTP on an https:// URL?`;
    default:
      if (/timeout|aborted/i.test(msg)) return `timeout: no answer within ${timeoutMs}ms`;
      return code ? `${msg} (${code})` : msg;
  }
}

export class DeliveryEngine {
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly ca?: string[];
  private inflight = 0;
  private readonly waiters: (() => void)[] = [];
  private t0 = 0;

  constructor(private readonly opts: EngineOptions) {
    if (opts.caFile) this.ca = trustedCas(opts.caFile);
  }

  private dispatcher(insecure: boolean): Dispatcher {
    const key = insecure ? "insecure" : "verify";
    let d = this.dispatchers.get(key);
    if (!d) {
      d = new Agent({
        keepAliveTimeout: 10_000,
        connections: 64,
        connect: { rejectUnauthorized: !insecure, ...(this.ca ? { ca: this.ca } : {}) },
      });
      this.dispatchers.set(key, d);
    }
    return d;
  }

  private async acquire(): Promise<void> {
    const max = this.opts.maxInflight ?? 256;
    if (this.inflight < max) {
      this.inflight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inflight++;
  }

  private release(): void {
    this.inflight--;
    this.waiters.shift()?.();
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.opts.signal?.aborted) return Promise.resolve();
    const signal = this.opts.signal;
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Waits until the engine's clock reaches `due`. A timer can fire up to a millisecond early (the
   * event loop's clock is in whole ms), so the wait goes on until the due time has passed, the
   * last millisecond in loop turns.
   */
  private async until(due: number): Promise<void> {
    for (let wait = due - this.now(); wait > 0 && !this.opts.signal?.aborted; wait = due - this.now())
      await (wait > 1 ? this.sleep(wait) : new Promise<void>((resolve) => setImmediate(resolve)));
  }

  /** One attempt: never throws. */
  async attempt(r: PlannedRequest, n: number): Promise<Attempt> {
    const timeoutMs = this.opts.timeoutMs ?? r.transport.timeoutMs;
    await this.acquire();
    const startedAt = this.now();
    const t = performance.now();
    const redirects: Redirect[] = [];
    try {
      // the whole chain of a followed redirect is one attempt, under one timeout
      const signal = AbortSignal.timeout(timeoutMs);
      const first = { url: new URL(r.url), headers: r.headers };
      let hop: Hop = { ...first, method: r.method, body: r.body };
      for (;;) {
        const res = await request(hop.url, {
          method: hop.method as Dispatcher.HttpMethod,
          headers: hop.headers,
          body: hop.body === "" ? undefined : hop.body,
          dispatcher: this.dispatcher(r.insecure || (this.opts.insecure ?? false)),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal,
        });
        const text = await res.body.text();
        const status = res.statusCode;
        const location = res.headers.location;
        const follow = r.transport.redirects;
        if (follow && isRedirect(status) && typeof location === "string" && location !== "") {
          const next = nextHop(first, hop, status, location, redirects.length, follow.max);
          if (typeof next === "string") return this.failedAttempt(n, startedAt, t, redirects, next);
          redirects.push({ status, to: redactUrl(next.url.toString()), method: next.method });
          hop = next;
          continue;
        }
        return {
          attempt: n,
          startedAt,
          latencyMs: performance.now() - t,
          status,
          ok: isSuccess(r.transport.success, status),
          responseBody: text.slice(0, 512),
          ...(redirects.length ? { redirects } : {}),
        };
      }
    } catch (e) {
      return this.failedAttempt(n, startedAt, t, redirects, describeError(e, timeoutMs, this.opts.caFile));
    } finally {
      this.release();
    }
  }

  private failedAttempt(
    n: number,
    startedAt: number,
    t: number,
    redirects: Redirect[],
    error: string,
  ): Attempt {
    return {
      attempt: n,
      startedAt,
      latencyMs: performance.now() - t,
      ok: false,
      error,
      ...(redirects.length ? { redirects } : {}),
    };
  }

  private async deliverOne(r: PlannedRequest, scale: number, onFirst?: () => void): Promise<DeliveryResult> {
    const schedule = this.opts.retrySchedule ?? r.transport.retrySchedule;
    const attempts: Attempt[] = [];
    for (let n = 1; ; n++) {
      if (this.opts.signal?.aborted)
        return { request: r, attempts, outcome: attempts.length ? "failed" : "cancelled" };
      const a = await this.attempt(r, n);
      attempts.push(a);
      if (n === 1) onFirst?.();
      const wait = a.ok ? undefined : schedule[n - 1];
      this.opts.onAttempt?.(r, a, wait === undefined ? undefined : wait * scale);
      if (a.ok) return { request: r, attempts, outcome: "delivered" };
      if (wait === undefined) return { request: r, attempts, outcome: "failed" };
      await this.until(this.now() + wait * scale);
    }
  }

  /** Plays every request; resolves when all are delivered, failed or cancelled. */
  async run(requests: readonly PlannedRequest[]): Promise<DeliveryResult[]> {
    this.t0 = performance.now();
    const max = this.opts.speed === "max";
    const scale = max ? 0 : 1 / (this.opts.speed as number);
    const results: DeliveryResult[] = new Array(requests.length);
    const pending: Promise<void>[] = [];
    /** With --speed max, each call's events go one after another (first attempts), in order. */
    const chains = new Map<string, Promise<unknown>>();
    for (const r of requests) {
      if (this.opts.signal?.aborted) {
        results[r.seq] = { request: r, attempts: [], outcome: "cancelled" };
        continue;
      }
      if (!max) {
        await this.until(r.at * scale);
        if (this.opts.signal?.aborted) {
          results[r.seq] = { request: r, attempts: [], outcome: "cancelled" };
          continue;
        }
      }
      const prev = max ? chains.get(r.call) : undefined;
      let firstAttemptDone!: () => void;
      const first = new Promise<void>((resolve) => {
        firstAttemptDone = resolve;
      });
      // with --speed max the next event of this call waits only for this one's first attempt
      if (max) chains.set(r.call, first);
      const p = (async () => {
        if (prev) await prev;
        const res = await this.deliverOne(r, scale, firstAttemptDone);
        firstAttemptDone();
        results[r.seq] = res;
        this.opts.onResult?.(res);
      })();
      pending.push(p);
      if (max && pending.length % 256 === 0) await new Promise((res) => setImmediate(res));
    }
    await Promise.all(pending);
    return results;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.close().catch(() => undefined)));
  }
}

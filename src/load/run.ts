import { appendFileSync } from "node:fs";
import { Agent, type Dispatcher } from "undici";
import { PbxsimError } from "../core/errors.js";
import type { SimulatedCall } from "../core/model.js";
import { Rng } from "../core/random.js";
import { redactHeaders, redactUrl } from "../core/redact.js";
import { truthLine } from "../delivery/record.js";
import { isSuccess, type TargetSettings, type TransportSpec, type Vendor } from "../core/vendor.js";
import { applyChaos, type ChaosSpec } from "../delivery/chaos.js";
import { describeError } from "../delivery/engine.js";
import type { PlannedRequest, VendorTargets } from "../delivery/plan.js";
import type { Scenario } from "../scenario/load.js";
import { simulateCall } from "../scenario/simulate.js";
import { getVendor, resolveProfile } from "../vendors/registry.js";
import { expectedCalls, nextGap, type RateProfile } from "./arrivals.js";
import type { LoadReport } from "./report.js";
import { encodeStats, type Histogram, newHistogram, recordMs, summarizeHistogram } from "./stats.js";

/**
 * `pbxsim load`: whole calls arrive by an open model (new calls keep arriving whatever the
 * receiver does); each plays its scenario's timeline, compressed by `speed`. Latency is measured
 * from the moment each request was due (corrected for coordinated omission) and from the moment
 * it was sent. Memory stays proportional to the active calls: a call's requests exist only while
 * the call is active, and in-flight requests are capped.
 */

export interface LoadOptions {
  scenarios: { scenario: Scenario; weight: number }[];
  targets: VendorTargets;
  rate: RateProfile;
  arrivals: "poisson" | "constant";
  durationMs?: number;
  calls?: number;
  maxCalls?: number;
  maxInflight?: number;
  speed: number | "max";
  seed: number;
  profile?: string;
  headers?: Record<string, string>;
  method?: string;
  options?: Record<string, string>;
  timeoutMs?: number;
  retrySchedule?: number[];
  insecure?: boolean;
  shard?: { index: number; count: number };
  deadLetterFile?: string;
  statsFile?: string;
  /** One NDJSON line per started call: what really happened. */
  truthFile?: string;
  /** Every request and its answer, secrets redacted. */
  recordFile?: string;
  /** Faults on the sending side, applied to each call's requests. */
  chaos?: ChaosSpec;
  /** Interval of live snapshots (progress and stats file). */
  snapshotMs?: number;
  onSnapshot?: (s: Snapshot) => void;
  signal?: AbortSignal;
}

export interface Snapshot {
  t: number;
  callsStarted: number;
  activeCalls: number;
  blocked: number;
  sent: number;
  delivered: number;
  failed: number;
  inflight: number;
  late: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  lagP99: number;
}

interface Pending {
  due: number;
  call: CallState;
  vendor: Vendor;
  event: string;
  method: Dispatcher.HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body: string;
  transport: TransportSpec;
  attempt: number;
}

interface CallState {
  key: string;
  remaining: number;
}

/** A binary min-heap of pending requests by due time. */
class Heap {
  private a: Pending[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Pending | undefined {
    return this.a[0];
  }
  push(p: Pending): void {
    const a = this.a;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const j = (i - 1) >> 1;
      if (a[j]!.due <= a[i]!.due) break;
      [a[i], a[j]] = [a[j]!, a[i]!];
      i = j;
    }
  }
  pop(): Pending | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.due < a[m]!.due) m = l;
        if (r < a.length && a[r]!.due < a[m]!.due) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  clear(): Pending[] {
    const all = this.a;
    this.a = [];
    return all;
  }
}

const LATE_MS = 10;

/** True for loopback targets, the only ones a load test may hit without --allow-remote. */
export function isLoopback(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\./.test(h);
}

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const startedAt = new Date();
  const startEpoch = Date.now();
  const shard = opts.shard ?? { index: 0, count: 1 };
  const root = new Rng(`${opts.seed}/shard/${shard.index}`);
  const arrivalsRng = root.fork("arrivals");
  const mixRng = root.fork("mix");
  const maxInflight = Math.max(1, opts.maxInflight ?? 256);
  const speed = opts.speed;
  const scale = speed === "max" ? 0 : 1 / speed;
  const rateShare = 1 / shard.count;
  const totalWeight = opts.scenarios.reduce((s, x) => s + x.weight, 0);
  const durationMs = opts.durationMs ?? opts.rate.durationMs;
  const callLimit =
    opts.calls !== undefined ? Math.ceil((opts.calls - shard.index) / shard.count) : undefined;

  // per-scenario preparation, off the send loop
  const prepared = opts.scenarios.map(({ scenario, weight }) => {
    const vendor = getVendor(scenario.vendor);
    const profile = resolveProfile(vendor, opts.profile ?? scenario.profiles?.[0] ?? vendor.defaultProfile);
    const targets =
      opts.targets.byVendor.get(vendor.id) ??
      (opts.targets.fallback ? [opts.targets.fallback] : ([] as TargetSettings[]));
    if (!targets.length)
      throw new PbxsimError(
        "USAGE",
        `no target for ${vendor.id}: give --url, or a --targets file with a "${vendor.id}" section.`,
      );
    return {
      scenario,
      weight,
      vendor,
      profile,
      targets,
      transport: vendor.transport(profile),
      directory: vendor.directory(),
    };
  });

  const agents = new Map<string, Agent>();
  const agentFor = (insecure: boolean) => {
    const k = insecure ? "i" : "v";
    let a = agents.get(k);
    if (!a) {
      a = new Agent({
        connections: maxInflight,
        keepAliveTimeout: 30_000,
        pipelining: 1,
        connect: { rejectUnauthorized: !insecure },
      });
      agents.set(k, a);
    }
    return a;
  };

  const heap = new Heap();
  const corrected = newHistogram();
  const service = newHistogram();
  const lag = newHistogram();
  const byEvent = new Map<
    string,
    { vendor: string; event: string; status: string; corrected: Histogram; service: Histogram }
  >();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const faults: Record<string, number> = {};
  type Bucket = { requests: number; errors: number; callsStarted: number; activeCalls: number; h: Histogram };
  const timeline: Bucket[] = [];
  const bucket = (tMs: number): Bucket => {
    const i = Math.max(0, Math.floor(tMs / 1000));
    while (timeline.length <= i)
      timeline.push({ requests: 0, errors: 0, callsStarted: 0, activeCalls: 0, h: newHistogram() });
    return timeline[i]!;
  };
  const c = { target: 0, started: 0, completed: 0, blocked: 0 };
  const r = { sent: 0, delivered: 0, failed: 0, retried: 0, late: 0, cancelled: 0 };
  let deadLettered = 0;
  let active = 0;
  let inflight = 0;
  let callSeq = 0;
  let arrivalsDone = false;
  /** End of the arrival window: the duration, or where the next call would have come after the last. */
  let arrivalEnd: number | undefined;
  let stopping = false;

  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let nextArrival = nextGap(opts.rate, 0, opts.arrivals, arrivalsRng) / rateShare;

  const startCall = (at: number) => {
    if (opts.maxCalls !== undefined && active >= opts.maxCalls) {
      c.blocked++;
      return;
    }
    callSeq++;
    c.started++;
    active++;
    const b = bucket(at);
    b.callsStarted++;
    b.activeCalls = Math.max(b.activeCalls, active);
    const pick = mixRng.next() * totalWeight;
    let acc = 0;
    const p = prepared.find((x) => (acc += x.weight) > pick) ?? prepared[prepared.length - 1]!;
    const key = shard.count > 1 ? `${shard.index}-${callSeq}` : String(callSeq);
    const rng = root.fork(`call/${key}`);
    const virtualStart = Math.round(startEpoch + at * (speed === "max" ? 1 : speed));
    let call: SimulatedCall;
    try {
      call = simulateCall({
        scenario: p.scenario,
        vendor: p.vendor,
        directory: p.directory,
        rng: rng.fork("story"),
        key,
        start: virtualStart,
        profile: p.profile,
      });
    } catch (e) {
      active--;
      throw e;
    }
    const events = p.vendor.project(call, {
      rng: rng.fork("ids"),
      directory: p.directory,
      profile: p.profile,
      options: opts.options,
    });
    const state: CallState = { key, remaining: 0 };
    const bodies: string[] = [];
    let planned: PlannedRequest[] = [];
    for (const ev of events) {
      for (const target of p.targets) {
        if (target.accepts && !target.accepts(ev)) continue;
        const enc = p.vendor.encode(ev, {
          profile: p.profile,
          url: target.url,
          secret: target.secret,
          method: target.method ?? opts.method,
          options: { ...opts.options, ...target.options },
        });
        bodies.push(enc.body || (enc.url.includes("?") ? enc.url.split("?")[1]! : ""));
        planned.push({
          seq: planned.length,
          // virtual ms after the call's start; faults shift it on the same clock, then it is scaled
          at: ev.at,
          vendor: p.vendor.id,
          profile: p.profile,
          scenario: p.scenario.id,
          call: key,
          event: ev.name,
          method: enc.method,
          url: enc.url,
          headers: { ...enc.headers, ...opts.headers, ...target.headers },
          body: enc.body,
          transport: target.timeoutMs ? { ...p.transport, timeoutMs: target.timeoutMs } : p.transport,
          insecure: false,
        });
      }
    }
    if (opts.chaos) {
      const applied = applyChaos(planned, opts.chaos, `${opts.seed}/${key}`);
      planned = applied.requests;
      for (const f of applied.faults) faults[f.fault] = (faults[f.fault] ?? 0) + 1;
    }
    for (const r of planned) {
      state.remaining++;
      heap.push({
        due: at + r.at * scale,
        call: state,
        vendor: p.vendor,
        event: r.event,
        method: r.method as Dispatcher.HttpMethod,
        url: new URL(r.url),
        headers: r.headers,
        body: r.body,
        transport: r.transport,
        attempt: 1,
      });
    }
    if (opts.truthFile)
      appendFileSync(opts.truthFile, `${JSON.stringify(truthLine(call, p.vendor, bodies))}\n`);
    if (state.remaining === 0) {
      active--;
      c.completed++;
    }
  };

  const finishRequest = (p: Pending) => {
    p.call.remaining--;
    if (p.call.remaining === 0) {
      active--;
      c.completed++;
    }
  };

  const record = (p: Pending, sentAt: number, doneAt: number, status: string) => {
    const correctedMs = doneAt - p.due;
    const serviceMs = doneAt - sentAt;
    recordMs(corrected, correctedMs);
    recordMs(service, serviceMs);
    const k = `${p.vendor.id} ${p.event} ${status}`;
    let e = byEvent.get(k);
    if (!e) {
      e = { vendor: p.vendor.id, event: p.event, status, corrected: newHistogram(), service: newHistogram() };
      byEvent.set(k, e);
    }
    recordMs(e.corrected, correctedMs);
    recordMs(e.service, serviceMs);
    statuses[status] = (statuses[status] ?? 0) + 1;
    recordMs(bucket(doneAt).h, correctedMs);
  };

  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const send = (p: Pending, at: number) => {
    inflight++;
    r.sent++;
    bucket(at).requests++;
    const lateBy = at - p.due;
    recordMs(lag, Math.max(0, lateBy));
    if (lateBy > LATE_MS) r.late++;
    if (p.attempt > 1) r.retried++;
    const timeout = opts.timeoutMs ?? p.transport.timeoutMs;
    const sentAt = now();
    const dispatcher = agentFor(opts.insecure ?? false);
    dispatcher
      .request({
        origin: p.url.origin,
        path: `${p.url.pathname}${p.url.search}`,
        method: p.method,
        headers: p.headers,
        body: p.body === "" ? null : p.body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        // undici's own timers are coarse (about 1 s); the abort signal keeps short timeouts on time
        signal: AbortSignal.timeout(timeout),
      })
      .then(
        async (res) => {
          await res.body.dump();
          const done = now();
          record(p, sentAt, done, String(res.statusCode));
          complete(
            p,
            isSuccess(p.transport.success, res.statusCode),
            `status ${res.statusCode}`,
            done,
            res.statusCode,
            sentAt,
          );
        },
        (e: unknown) => {
          const done = now();
          const reason = describeError(e, timeout);
          record(p, sentAt, done, "error");
          complete(p, false, reason, done, undefined, sentAt);
        },
      );
  };

  const complete = (
    p: Pending,
    ok: boolean,
    reason: string,
    doneAt: number,
    status?: number,
    sentAt?: number,
  ) => {
    inflight--;
    if (opts.recordFile) {
      appendFileSync(
        opts.recordFile,
        `${JSON.stringify({ at: Math.round(p.due), call: p.call.key, vendor: p.vendor.id, event: p.event, attempt: p.attempt, method: p.method, url: redactUrl(p.url.href), headers: redactHeaders(p.headers), body: p.body, status: status ?? null, error: ok || status !== undefined ? null : reason, latencyMs: Math.round((doneAt - (sentAt ?? doneAt)) * 10) / 10 })}\n`,
      );
    }
    if (ok) {
      r.delivered++;
      finishRequest(p);
    } else {
      const schedule = opts.retrySchedule ?? p.transport.retrySchedule;
      const wait = schedule[p.attempt - 1];
      if (wait !== undefined && !stopping) {
        heap.push({ ...p, due: doneAt + wait * scale, attempt: p.attempt + 1 });
      } else {
        r.failed++;
        bucket(doneAt).errors++;
        errors[reason] = (errors[reason] ?? 0) + 1;
        if (opts.deadLetterFile) {
          deadLettered++;
          appendFileSync(
            opts.deadLetterFile,
            `${JSON.stringify({ call: p.call.key, vendor: p.vendor.id, event: p.event, method: p.method, url: p.url.origin + p.url.pathname, headers: redactHeaders(p.headers), body: p.body, attempts: p.attempt, lastError: reason })}\n`,
          );
        }
        finishRequest(p);
      }
    }
    poke();
  };

  // ---- live snapshots ---------------------------------------------------------------------------
  let lastSnap = { t: 0, sent: 0 };
  const snapshot = (): Snapshot => {
    const t = now();
    const s = summarizeHistogram(corrected);
    const snap: Snapshot = {
      t: Math.round(t),
      callsStarted: c.started,
      activeCalls: active,
      blocked: c.blocked,
      sent: r.sent,
      delivered: r.delivered,
      failed: r.failed,
      inflight,
      late: r.late,
      requestsPerSec: t > lastSnap.t ? Math.round(((r.sent - lastSnap.sent) * 1000) / (t - lastSnap.t)) : 0,
      p50: s.p50,
      p99: s.p99,
      lagP99: summarizeHistogram(lag).p99,
    };
    lastSnap = { t, sent: r.sent };
    return snap;
  };
  const snapEvery = opts.snapshotMs ?? 1000;
  const snapTimer = setInterval(() => {
    const b = bucket(now());
    b.activeCalls = Math.max(b.activeCalls, active);
    const s = snapshot();
    opts.onSnapshot?.(s);
    if (opts.statsFile) appendFileSync(opts.statsFile, `${JSON.stringify(s)}\n`);
  }, snapEvery);
  snapTimer.unref();

  const onAbort = () => {
    stopping = true;
    poke();
  };
  if (opts.signal?.aborted) stopping = true;
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  // ---- the loop: start calls when they arrive, send requests when they are due ----------------------
  try {
    for (;;) {
      const t = now();
      if (!stopping && !arrivalsDone) {
        while (nextArrival <= t) {
          if (
            (durationMs !== undefined && nextArrival >= durationMs) ||
            (callLimit !== undefined && c.started + c.blocked >= callLimit)
          ) {
            arrivalsDone = true;
            arrivalEnd = durationMs !== undefined ? Math.min(durationMs, nextArrival) : nextArrival;
            break;
          }
          startCall(nextArrival);
          nextArrival += nextGap(opts.rate, nextArrival, opts.arrivals, arrivalsRng) / rateShare;
        }
        if (!arrivalsDone && durationMs !== undefined && nextArrival >= durationMs) {
          arrivalsDone = true;
          arrivalEnd = durationMs;
        }
        if (!arrivalsDone && callLimit !== undefined && c.started + c.blocked >= callLimit) {
          arrivalsDone = true;
          arrivalEnd = nextArrival;
        }
      }
      if (stopping) {
        for (const p of heap.clear()) {
          r.cancelled++;
          finishRequest(p);
        }
      }
      while (inflight < maxInflight && heap.size && heap.peek()!.due <= t) send(heap.pop()!, t);
      if ((arrivalsDone || stopping) && heap.size === 0 && inflight === 0) break;
      // sleep until the next due request or arrival, or until a response frees a slot
      const nextDue = heap.size ? heap.peek()!.due : Number.POSITIVE_INFINITY;
      const nextEvent = Math.min(nextDue, arrivalsDone || stopping ? Number.POSITIVE_INFINITY : nextArrival);
      const wait = nextEvent - now();
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (inflight >= maxInflight && heap.size && nextDue <= now()) return; // a response wakes us
        if (wait <= 1) setImmediate(poke);
        else setTimeout(poke, Math.min(wait - 1, 1000));
      });
    }
  } finally {
    clearInterval(snapTimer);
    opts.signal?.removeEventListener("abort", onAbort);
    await Promise.all([...agents.values()].map((a) => a.close().catch(() => undefined)));
  }

  const elapsedMs = now();
  const windowMs = Math.max(1, arrivalEnd ?? elapsedMs);
  c.target = Math.round(expectedCalls(opts.rate, windowMs) * rateShare);
  if (callLimit !== undefined) c.target = Math.min(c.target, callLimit);
  const secs = Math.max(elapsedMs / 1000, 1e-9);
  const windowSecs = windowMs / 1000;
  const report: LoadReport = {
    version: 1,
    tool: "pbxsim",
    config: {
      scenarios: opts.scenarios.map((s) => ({ id: s.scenario.id, weight: s.weight })),
      rate: opts.rate.label,
      arrivals: opts.arrivals,
      durationMs,
      calls: opts.calls,
      speed,
      maxCalls: opts.maxCalls,
      maxInflight,
      seed: opts.seed,
      target: [...new Set(prepared.flatMap((p) => p.targets.map((t) => new URL(t.url).origin)))].join(", "),
      shards: [shard],
    },
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    elapsedMs: Math.round(elapsedMs),
    calls: c,
    requests: r,
    rates: {
      targetCallsPerSec:
        Math.round(((expectedCalls(opts.rate, windowMs) * rateShare) / windowSecs) * 1000) / 1000,
      achievedCallsPerSec: Math.round((c.started / windowSecs) * 1000) / 1000,
      requestsPerSec: Math.round((r.sent / secs) * 10) / 10,
    },
    lag: encodeStats(lag),
    latency: { corrected: encodeStats(corrected), service: encodeStats(service) },
    byEvent: Object.fromEntries(
      [...byEvent].map(([k, e]) => [
        k,
        {
          vendor: e.vendor,
          event: e.event,
          status: e.status,
          corrected: encodeStats(e.corrected),
          service: encodeStats(e.service),
        },
      ]),
    ),
    statuses,
    errors,
    ...(opts.chaos ? { faults } : {}),
    deadLettered,
    timeline: timeline.map((b, i) => {
      const s = summarizeHistogram(b.h);
      return {
        t: i,
        requests: b.requests,
        errors: b.errors,
        callsStarted: b.callsStarted,
        activeCalls: b.activeCalls,
        p50: s.p50,
        p99: s.p99,
        histogram: encodeStats(b.h).histogram,
      };
    }),
  };
  return report;
}

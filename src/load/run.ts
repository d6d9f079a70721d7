import { appendFileSync } from "node:fs";
import { PbxsimError } from "../core/errors.js";
import { Rng } from "../core/random.js";
import { isSecretHeader, redactHeaders, redactUrl, scrub } from "../core/redact.js";
import { truthLine } from "../delivery/record.js";
import {
  type EncodedRequest,
  isSuccess,
  type TargetSettings,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../core/vendor.js";
import { applyChaos, type ChaosSpec, unspoiledNotice } from "../delivery/chaos.js";
import { describeError, trustedCas } from "../delivery/engine.js";
import { isRedirect, nextHop } from "../delivery/redirect.js";
import { type PlannedRequest, secretNotSentNotices, type VendorTargets } from "../delivery/plan.js";
import type { Scenario } from "../scenario/load.js";
import { preflight, simulateCall } from "../scenario/simulate.js";
import { getVendor, profileChooser, resolveProfile } from "../vendors/registry.js";
import { expectedCalls, firstArrival, nextArrival as arrivalAfter, type RateProfile } from "./arrivals.js";
import { type LoadReport, requestRates, roundCallRate, roundRequestRate } from "./report.js";
import {
  decodeHistogram,
  encodeHistogram,
  encodeStats,
  type Histogram,
  newHistogram,
  percentileMs,
  recordMs,
} from "./stats.js";
import { type Conn, type Endpoint, encodeRequest, WirePool, type WireJob } from "./wire.js";

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
  /** Redirects may lead away from loopback (else such a redirect fails the attempt). */
  allowRemote?: boolean;
  rate: RateProfile;
  arrivals: "poisson" | "constant";
  durationMs?: number;
  calls?: number;
  maxCalls?: number;
  /**
   * New calls are not started (they are counted as skipped) while the oldest request waiting to
   * be sent is later than this, so a receiver that cannot keep up does not grow an unbounded
   * backlog. Default 10 s; Infinity turns it off.
   */
  maxLagMs?: number;
  maxInflight?: number;
  /**
   * Requests sent on one connection before the first answer arrives (HTTP/1.1 pipelining);
   * connections are then max-inflight / pipelining. 1, the default, is what vendors do.
   */
  pipelining?: number;
  speed: number | "max";
  seed: number;
  /**
   * Epoch ms of the virtual clock's start: the time in the first call's payloads, the later calls
   * at their arrival offsets (scaled by the speed). Default: now. With the seed, it makes the
   * payloads byte-identical from run to run.
   */
  start?: number;
  profile?: string;
  headers?: Record<string, string>;
  method?: string;
  options?: Record<string, string>;
  timeoutMs?: number;
  retrySchedule?: number[];
  insecure?: boolean;
  /** PEM file of a CA to trust for https:// targets. */
  caFile?: string;
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
  /** Something the user should know about the run, said once (a fault with nothing to act on). */
  onNotice?: (text: string) => void;
  signal?: AbortSignal;
}

export interface Snapshot {
  /** The shard, `INDEX/COUNT`, when the run is one of several. */
  shard?: string;
  t: number;
  callsStarted: number;
  activeCalls: number;
  blocked: number;
  /** Arrivals not started because the receiver was more than --max-lag behind. */
  skipped: number;
  sent: number;
  delivered: number;
  failed: number;
  inflight: number;
  late: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  lagP99: number;
  /** No new call will arrive (the duration or the call count is reached): active calls play out. */
  arrivalsOver: boolean;
}

/** One request waiting for its due time, prepared when its call started: nothing is built on the send path. */
interface Pending {
  due: number;
  call: CallState;
  vendor: Vendor;
  stats: EventStats;
  method: string;
  endpoint: Endpoint;
  /** The request as written on the connection. */
  wire: Buffer;
  /** The full URL, headers and body, for recordings and dead letters (the body only when one is written). */
  url: string;
  headers: Record<string, string>;
  body: string;
  transport: TransportSpec;
  timeoutMs: number;
  attempt: number;
  /** A request that follows a redirect: the chain's first request (a retry starts over from it). */
  first?: Pending;
  /** Redirects followed to get here. */
  hops?: number;
}

interface CallState {
  key: string;
  remaining: number;
  /** For the record and dead-letter lines, so `replay` signs and judges as this profile does. */
  profile: string;
  scenario: string;
}

/** Latency of one vendor event, by answer status. */
interface EventStats {
  vendor: string;
  event: string;
  byStatus: Map<string, { corrected: Histogram; service: Histogram }>;
}

interface FlightSink {
  landed(f: Flight, status: number, location?: string): void;
  crashed(f: Flight, error: unknown): void;
}

/** One request on the wire, from the moment it was sent to its answer, error or deadline. */
class Flight implements WireJob {
  done = false;
  timedOut = false;
  conn: Conn | null = null;

  constructor(
    readonly p: Pending,
    readonly sentAt: number,
    readonly deadline: number,
    private readonly sink: FlightSink,
  ) {}

  get wire(): Buffer {
    return this.p.wire;
  }

  get head(): boolean {
    return this.p.method === "HEAD";
  }

  answered(status: number, location?: string): void {
    if (this.done) return;
    this.done = true;
    this.sink.landed(this, status, location);
  }

  failed(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.sink.crashed(this, err);
  }

  /** The deadline passed: close its connection, or give up waiting for one. */
  expire(): void {
    if (this.done || this.timedOut) return;
    this.timedOut = true;
    if (this.conn) this.conn.destroy(timeoutError(), this);
    else this.failed(timeoutError());
  }
}

function timeoutError(): Error {
  const e = new Error("request timed out");
  e.name = "TimeoutError";
  return e;
}

/**
 * Request deadlines without a timer per request: requests sharing a timeout expire in the order
 * they were sent, so one FIFO per timeout value holds them in deadline order, and a sweep looks
 * only at the heads.
 */
class Deadlines {
  private queues = new Map<number, { items: (Flight | undefined)[]; head: number }>();
  /** Requests whose deadline does not follow the order they were added in (a redirect's hop). */
  private loose: Flight[] = [];

  addAnyOrder(f: Flight): void {
    this.loose.push(f);
  }

  add(timeoutMs: number, f: Flight): void {
    let q = this.queues.get(timeoutMs);
    if (!q) {
      q = { items: [], head: 0 };
      this.queues.set(timeoutMs, q);
    }
    q.items.push(f);
  }

  /** Drops answered requests from the heads and expires those past their deadline. */
  sweep(now: number): void {
    if (this.loose.length)
      this.loose = this.loose.filter((f) => {
        if (f.done || f.timedOut) return false;
        if (f.deadline > now) return true;
        f.expire();
        return false;
      });
    for (const q of this.queues.values()) {
      while (q.head < q.items.length) {
        const f = q.items[q.head]!;
        if (!f.done && !f.timedOut) {
          if (f.deadline > now) break;
          f.expire();
        }
        // let go of it at once: a request held here until the array is compacted would outlive
        // a young-generation collection or two and be copied into the old generation
        q.items[q.head++] = undefined;
      }
      if (q.head === q.items.length) {
        q.items.length = 0;
        q.head = 0;
      } else if (q.head > 1024 && q.head * 2 > q.items.length) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
    }
  }
}

/**
 * First attempts counted by the 100 ms slot they fall due in: how many fell due, how many of them
 * were sent, and when the last of them left. At the end, the slots inside the arrival window give
 * the target and achieved request rates.
 */
class DueSlots {
  private static readonly SLOT_MS = 100;
  private dueN = new Uint32Array(1024);
  private sentN = new Uint32Array(1024);
  private lastSent = new Float64Array(1024);

  private slot(dueMs: number): number {
    const i = Math.max(0, Math.floor(dueMs / DueSlots.SLOT_MS));
    if (i >= this.dueN.length) {
      let n = this.dueN.length;
      while (n <= i) n *= 2;
      const grow = <T extends Uint32Array | Float64Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.dueN = grow(this.dueN, new Uint32Array(n));
      this.sentN = grow(this.sentN, new Uint32Array(n));
      this.lastSent = grow(this.lastSent, new Float64Array(n));
    }
    return i;
  }

  due(dueMs: number): void {
    const i = this.slot(dueMs);
    this.dueN[i] = this.dueN[i]! + 1;
  }

  sent(dueMs: number, atMs: number): void {
    const i = this.slot(dueMs);
    this.sentN[i] = this.sentN[i]! + 1;
    if (atMs > this.lastSent[i]!) this.lastSent[i] = atMs;
  }

  /** Totals over the slots that start before `windowMs`. */
  within(windowMs: number): { due: number; sent: number; lastSentMs: number } {
    const end = Math.min(this.dueN.length, Math.ceil(windowMs / DueSlots.SLOT_MS));
    let due = 0;
    let sent = 0;
    let lastSentMs = 0;
    for (let i = 0; i < end; i++) {
      due += this.dueN[i]!;
      sent += this.sentN[i]!;
      if (this.lastSent[i]! > lastSentMs) lastSentMs = this.lastSent[i]!;
    }
    return { due, sent, lastSentMs };
  }
}

/** The encoded form of a histogram with no values, for seconds without answers. */
let emptyHistogram: string | undefined;

/**
 * A binary min-heap of pending requests by due time, first in first out among equal due times: a
 * call's requests that fall due together (all of them at `--speed max`, events of one millisecond
 * otherwise) leave in the order the call made them, as the vendor sends them. The due times and the
 * order of arrival sit in typed arrays beside the requests, so the comparisons of a sift read
 * contiguous memory instead of a request object each (a cache miss apiece, with hundreds waiting).
 */
export class Heap<T extends { readonly due: number }> {
  private keys = new Float64Array(1024);
  private orders = new Float64Array(1024);
  private items: T[] = [];
  /** Pushes so far: each item's place among those of its due time. */
  private pushed = 0;
  get size(): number {
    return this.items.length;
  }
  /** The earliest due time; infinity when the heap is empty. */
  get firstDue(): number {
    return this.items.length ? this.keys[0]! : Number.POSITIVE_INFINITY;
  }
  /** Sifts `p` up from the end; a parent moves down into the hole until `p` fits. */
  push(p: T): void {
    const items = this.items;
    let i = items.length;
    if (i === this.keys.length) {
      const keys = new Float64Array(i * 2);
      keys.set(this.keys);
      this.keys = keys;
      const orders = new Float64Array(i * 2);
      orders.set(this.orders);
      this.orders = orders;
    }
    const keys = this.keys;
    const orders = this.orders;
    const key = p.due;
    const order = this.pushed++;
    items.push(p);
    // a parent due at the same time was pushed earlier, so it stays above
    while (i > 0) {
      const j = (i - 1) >> 1;
      if (keys[j]! <= key) break;
      items[i] = items[j]!;
      keys[i] = keys[j]!;
      orders[i] = orders[j]!;
      i = j;
    }
    items[i] = p;
    keys[i] = key;
    orders[i] = order;
  }
  /** Takes the earliest (the first pushed of those due then); the last moves into the hole at the top and sifts down. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    const n = items.length;
    if (n && last) {
      const keys = this.keys;
      const orders = this.orders;
      // the last one's, from its old place
      const key = keys[n]!;
      const order = orders[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && (keys[r]! < keys[l]! || (keys[r] === keys[l] && orders[r]! < orders[l]!)) ? r : l;
        if (!(keys[m]! < key || (keys[m] === key && orders[m]! < order))) break;
        items[i] = items[m]!;
        keys[i] = keys[m]!;
        orders[i] = orders[m]!;
        i = m;
      }
      items[i] = last;
      keys[i] = key;
      orders[i] = order;
    }
    return top;
  }
  /** Empties the heap; the items come back in the order they would have been popped. */
  clear(): T[] {
    const { items, keys, orders } = this;
    const at = items.map((_, i) => i);
    at.sort((a, b) => keys[a]! - keys[b]! || orders[a]! - orders[b]!);
    this.items = [];
    return at.map((i) => items[i]!);
  }
}

const LATE_MS = 10;
/** How late the oldest waiting request may be before new calls are skipped (`--max-lag`). */
export const DEFAULT_MAX_LAG_MS = 10_000;
/** A query string made only of characters the WHATWG URL parser leaves unchanged. */
const PLAIN_QUERY = /^\?[A-Za-z0-9\-._~%!$&()*+,;=:@/?]*$/;
/** How often request deadlines are checked. */
const SWEEP_MS = 10;
/** Calls are built this far ahead of their arrival, in the loop's idle time. */
const BUILD_AHEAD_MS = 5;

/** Where a vendor's requests go: its section of the targets file, else --url; an error when neither. */
export function vendorTargets(vendorId: string, targets: VendorTargets): TargetSettings[] {
  const list = targets.byVendor.get(vendorId) ?? (targets.fallback ? [targets.fallback] : []);
  if (!list.length)
    throw new PbxsimError(
      "USAGE",
      `no target for ${vendorId}: give --url, or a --targets file with a "${vendorId}" section.`,
    );
  return list;
}

/** True for loopback targets, the only ones a load test may hit without --allow-remote. */
export function isLoopback(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\./.test(h);
}

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const startedAt = new Date();
  const startEpoch = opts.start ?? Date.now();
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
  const chosen = profileChooser(
    opts.profile,
    opts.scenarios.map((s) => getVendor(s.scenario.vendor)),
  );
  const prepared = opts.scenarios.map(({ scenario, weight }) => {
    const vendor = getVendor(scenario.vendor);
    const profile = resolveProfile(vendor, chosen(vendor) ?? scenario.profiles?.[0] ?? vendor.defaultProfile);
    const targets = vendorTargets(vendor.id, opts.targets);
    return {
      scenario,
      weight,
      vendor,
      profile,
      targets,
      transport: vendor.transport(profile),
      directory: vendor.directory(),
      /** Statistics of each of the scenario's events, by event name. */
      stats: new Map<string, EventStats>(),
    };
  });
  /** Simulates one call of a prepared scenario and encodes a request per event and accepting target. */
  const generate = (p: (typeof prepared)[number], rng: Rng, key: string, start: number) => {
    const call = simulateCall({
      scenario: p.scenario,
      vendor: p.vendor,
      directory: p.directory,
      rng: rng.fork("story"),
      key,
      start,
      profile: p.profile,
    });
    const events = p.vendor.project(call, {
      rng: rng.fork("ids"),
      directory: p.directory,
      profile: p.profile,
      options: opts.options,
    });
    const requests: { ev: VendorEvent; target: TargetSettings; enc: EncodedRequest }[] = [];
    for (const ev of events)
      for (const target of p.targets) {
        if (target.accepts && !target.accepts(ev)) continue;
        const enc = p.vendor.encode(ev, {
          profile: p.profile,
          url: target.url,
          secret: target.secret,
          method: target.method ?? opts.method,
          options: target.options ? { ...opts.options, ...target.options } : opts.options,
        });
        requests.push({ ev, target, enc });
      }
    return { call, requests };
  };
  // Each story played a few times before anything is sent, as `run` does, so most contradictions
  // stop the run before it starts; then one throwaway call per scenario from its own random
  // stream, so the first real arrivals do not pay for compiling and caching the generator.
  for (const p of prepared) {
    preflight(
      p.scenario,
      p.vendor,
      p.directory,
      new Rng(`${opts.seed}/preflight/${p.scenario.id}`),
      p.profile,
    );
    generate(p, new Rng(`${opts.seed}/warm-up/${p.scenario.id}`), "0", startEpoch);
  }

  const pipelining = Math.max(1, Math.floor(opts.pipelining ?? 1));
  const pool = new WirePool({
    connections: Math.max(1, Math.ceil(maxInflight / pipelining)),
    pipelining,
    ...(opts.caFile ? { ca: trustedCas(opts.caFile) } : {}),
  });
  /**
   * The endpoint and request path of each target URL, split once; a query string the URL parser
   * keeps as it is is appended raw.
   */
  const splitUrls = new Map<string, { endpoint: Endpoint; path: string }>();
  const splitUrl = (url: string, insecure: boolean): { endpoint: Endpoint; path: string } => {
    const q = url.indexOf("?");
    const base = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? "" : url.slice(q);
    if (query && !PLAIN_QUERY.test(query)) {
      const parsed = new URL(url);
      return { endpoint: pool.endpoint(parsed, insecure), path: `${parsed.pathname}${parsed.search}` };
    }
    const key = insecure ? `${base} insecure` : base;
    let u = splitUrls.get(key);
    if (!u) {
      const parsed = new URL(base);
      u = { endpoint: pool.endpoint(parsed, insecure), path: parsed.pathname };
      splitUrls.set(key, u);
    }
    return query ? { endpoint: u.endpoint, path: `${u.path}${query}` } : u;
  };

  /** Bodies stay with their requests only for the files that show them; the wire bytes carry the rest. */
  const keepBodies = opts.recordFile !== undefined || opts.deadLetterFile !== undefined;
  /** Every secret a request can carry, scrubbed from the bodies written to recordings and dead letters. */
  const secrets = new Set<string>();
  for (const p of prepared)
    for (const t of p.targets) {
      if (t.secret) secrets.add(t.secret);
      for (const [k, v] of Object.entries({ ...opts.headers, ...t.headers }))
        if (isSecretHeader(k)) secrets.add(v);
    }
  const secretList = [...secrets];
  for (const n of secretNotSentNotices(
    prepared.flatMap((p) =>
      p.vendor.transport(p.profile).auth.kind === "none" && p.targets.some((t) => t.secret)
        ? [{ vendor: p.vendor.id, profile: p.profile }]
        : [],
    ),
  ))
    opts.onNotice?.(n);
  const heap = new Heap<Pending>();
  const deadlines = new Deadlines();
  const corrected = newHistogram();
  const service = newHistogram();
  const lag = newHistogram();
  const byEvent = new Map<string, EventStats>();
  const eventStats = (vendor: string, event: string): EventStats => {
    const k = `${vendor} ${event}`;
    let e = byEvent.get(k);
    if (!e) {
      e = { vendor, event, byStatus: new Map() };
      byEvent.set(k, e);
    }
    return e;
  };
  /** Vendors told already that bad-token has nothing to spoil in their requests. */
  const unspoiled = new Set<string>();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const faults: Record<string, number> = {};
  /**
   * One second of the run. Its latency histogram is kept only while answers can still land in it;
   * after that it is sealed into its percentiles and encoded form (an HDR histogram holds about
   * 180 KB of counters, an encoded one a kilobyte or two), so a run of hours stays small.
   */
  type Bucket = {
    requests: number;
    errors: number;
    callsStarted: number;
    activeCalls: number;
    h: Histogram | undefined;
    p50: number;
    p99: number;
    histogram: string;
  };
  const timeline: Bucket[] = [];
  /** The first bucket not yet sealed. */
  let unsealed = 0;
  const seal = (b: Bucket) => {
    if (!b.h) return;
    b.p50 = percentileMs(b.h, 50);
    b.p99 = percentileMs(b.h, 99);
    b.histogram = encodeHistogram(b.h);
    b.h = undefined;
  };
  const bucket = (tMs: number): Bucket => {
    const i = Math.max(0, Math.floor(tMs / 1000));
    while (timeline.length <= i)
      timeline.push({
        requests: 0,
        errors: 0,
        callsStarted: 0,
        activeCalls: 0,
        h: undefined,
        p50: 0,
        p99: 0,
        histogram: "",
      });
    // answers land in the current second; one second of slack covers a clock read just before it turned
    while (unsealed < timeline.length - 2) seal(timeline[unsealed++]!);
    return timeline[i]!;
  };
  /** A bucket's histogram, reopened from its encoded form if it was sealed. */
  const histogramOf = (b: Bucket): Histogram =>
    (b.h ??= b.histogram ? decodeHistogram(b.histogram) : newHistogram());
  const c = { target: 0, started: 0, completed: 0, blocked: 0, skipped: 0 };
  const maxLagMs = opts.maxLagMs ?? DEFAULT_MAX_LAG_MS;
  const r = {
    sent: 0,
    delivered: 0,
    failed: 0,
    retried: 0,
    late: 0,
    cancelled: 0,
    due: 0,
    dueSent: 0,
    redirects: 0,
  };
  const firsts = new DueSlots();
  let deadLettered = 0;
  let active = 0;
  let inflight = 0;
  let callSeq = 0;
  let arrivalsDone = false;
  /** End of the arrival window: the duration, or where the next call would have come after the last. */
  let arrivalEnd: number | undefined;
  let stopping = false;
  let stopped: LoadReport["stopped"];

  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let nextArrival = firstArrival(opts.rate, opts.arrivals, arrivalsRng, shard);
  let lastArrival = 0;

  /** Builds a call's requests (simulation, projection, encoding) and queues them by due time. */
  const startCall = (at: number) => {
    if (opts.maxCalls !== undefined && active >= opts.maxCalls) {
      c.blocked++;
      return;
    }
    // the receiver is more than --max-lag behind: this call would only lengthen the queue
    if (heap.size && now() - heap.firstDue > maxLagMs) {
      c.skipped++;
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
    // shards interleave the run's call numbers (shard i of N: i+1, i+1+N, ...), so every call of
    // the whole run has its own number, as vendors that count calls (3CX) need
    const key = String(shard.index + 1 + (callSeq - 1) * shard.count);
    const rng = root.fork(`call/${key}`);
    const virtualStart = Math.round(startEpoch + at * (speed === "max" ? 1 : speed));
    let generated: ReturnType<typeof generate>;
    try {
      generated = generate(p, rng, key, virtualStart);
    } catch (e) {
      active--;
      if (!(e instanceof PbxsimError)) throw e;
      // a story that contradicts itself on a branch the checks before the run did not take: the
      // call never started; the run stops as an interrupt does, and its report says why
      callSeq--;
      c.started--;
      b.callsStarted--;
      stopped ??= { code: e.code, message: e.message };
      stopping = true;
      return;
    }
    const { call } = generated;
    const state: CallState = { key, remaining: 0, profile: p.profile, scenario: p.scenario.id };
    const bodies: string[] = [];
    let planned: PlannedRequest[] = generated.requests.map(({ ev, target, enc }, seq) => {
      if (opts.truthFile) bodies.push(enc.body || (enc.url.includes("?") ? enc.url.split("?")[1]! : ""));
      return {
        seq,
        // virtual ms after the call's start; faults shift it on the same clock, then it is scaled
        at: ev.at,
        vendor: p.vendor.id,
        profile: p.profile,
        scenario: p.scenario.id,
        call: key,
        event: ev.name,
        method: enc.method,
        url: enc.url,
        headers:
          opts.headers || target.headers
            ? { ...enc.headers, ...opts.headers, ...target.headers }
            : enc.headers,
        body: enc.body,
        transport: target.timeoutMs ? { ...p.transport, timeoutMs: target.timeoutMs } : p.transport,
        insecure: opts.insecure || target.insecure || false,
      };
    });
    if (opts.chaos) {
      const applied = applyChaos(planned, opts.chaos, `${opts.seed}/${key}`);
      planned = applied.requests;
      for (const f of applied.faults) faults[f.fault] = (faults[f.fault] ?? 0) + 1;
      const fresh = applied.unspoiled.filter((v) => !unspoiled.has(v));
      if (fresh.length) {
        for (const v of fresh) unspoiled.add(v);
        opts.onNotice?.(unspoiledNotice(fresh));
      }
    }
    for (const q of planned) {
      state.remaining++;
      const { endpoint, path } = splitUrl(q.url, q.insecure);
      let stats = p.stats.get(q.event);
      if (!stats) {
        stats = eventStats(p.vendor.id, q.event);
        p.stats.set(q.event, stats);
      }
      const due = at + q.at * scale;
      firsts.due(due);
      heap.push({
        due,
        call: state,
        vendor: p.vendor,
        stats,
        method: q.method,
        endpoint,
        wire: encodeRequest(q.method, path, endpoint.hostHeader, q.headers, q.body),
        url: q.url,
        headers: q.headers,
        body: keepBodies ? q.body : "",
        transport: q.transport,
        timeoutMs: opts.timeoutMs ?? q.transport.timeoutMs,
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

  /**
   * The dead-letter line of a failed or cancelled request, which it counts as dead-lettered: the
   * request whole (a GET's query is its payload), secrets redacted.
   */
  const deadLetterLine = (p: Pending, attempts: number, status: number | undefined, reason: string) => {
    deadLettered++;
    return `${JSON.stringify({ call: p.call.key, vendor: p.vendor.id, profile: p.call.profile, scenario: p.call.scenario, event: p.stats.event, method: p.method, url: redactUrl(p.url), headers: redactHeaders(p.headers), body: scrub(p.body, secretList), attempts, lastStatus: status ?? null, lastError: reason })}\n`;
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
    let e = p.stats.byStatus.get(status);
    if (!e) {
      e = { corrected: newHistogram(), service: newHistogram() };
      p.stats.byStatus.set(status, e);
    }
    recordMs(e.corrected, correctedMs);
    recordMs(e.service, serviceMs);
    statuses[status] = (statuses[status] ?? 0) + 1;
    recordMs(histogramOf(bucket(doneAt)), correctedMs);
  };

  const sink: FlightSink = {
    landed(f, status, location) {
      const done = now();
      if (location && f.p.transport.redirects && isRedirect(status)) {
        const refused = redirect(f, status, location);
        if (refused === undefined) return;
        record(f.p, f.sentAt, done, "error");
        complete(f.p, false, refused, done, undefined, f.sentAt);
        return;
      }
      record(f.p, f.sentAt, done, String(status));
      complete(f.p, isSuccess(f.p.transport.success, status), `status ${status}`, done, status, f.sentAt);
    },
    crashed(f, e) {
      const done = now();
      record(f.p, f.sentAt, done, "error");
      complete(f.p, false, describeError(e, f.p.timeoutMs, opts.caFile), done, undefined, f.sentAt);
    },
  };

  /**
   * Sends the request that follows a redirect, as the vendor's client would, in place of the
   * answer; it is measured from the first request's due and send times. Returns why it was not
   * followed (a chain too long, a bad Location, a host that is not loopback without
   * --allow-remote), which then fails the attempt as a transport error does.
   */
  const redirect = (f: Flight, status: number, location: string): string | undefined => {
    const p = f.p;
    const first = p.first ?? p;
    const hops = p.hops ?? 0;
    const crlf = p.wire.indexOf("\r\n\r\n");
    const next = nextHop(
      { url: new URL(first.url), headers: first.headers },
      { url: new URL(p.url), method: p.method, body: p.wire.subarray(crlf + 4).toString("utf8") },
      status,
      location,
      hops,
      p.transport.redirects!.max,
    );
    if (typeof next === "string") return next;
    const to = next.url.toString();
    if (!opts.allowRemote && !isLoopback(next.url))
      return `a ${status} to ${redactUrl(to)}, not a loopback address: a load test follows it only with --allow-remote`;
    const { endpoint, path } = splitUrl(to, p.endpoint.insecure);
    const hop: Pending = {
      ...p,
      method: next.method,
      endpoint,
      wire: encodeRequest(next.method, path, endpoint.hostHeader, next.headers, next.body),
      url: to,
      headers: next.headers,
      body: keepBodies ? next.body : "",
      first,
      hops: hops + 1,
    };
    // a hop is counted apart from the requests sent (it would dilute errors<N%, failed / sent), and
    // it keeps the first request's deadline: the vendor's client times the whole chain
    r.redirects++;
    const flight = new Flight(hop, f.sentAt, f.deadline, sink);
    deadlines.addAnyOrder(flight);
    endpoint.send(flight);
    return undefined;
  };

  const send = (p: Pending, at: number) => {
    inflight++;
    r.sent++;
    bucket(at).requests++;
    const lateBy = at - p.due;
    recordMs(lag, Math.max(0, lateBy));
    if (lateBy > LATE_MS) r.late++;
    if (p.attempt > 1) r.retried++;
    else firsts.sent(p.due, at);
    const flight = new Flight(p, at, at + p.timeoutMs, sink);
    deadlines.add(p.timeoutMs, flight);
    p.endpoint.send(flight);
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
        `${JSON.stringify({ at: Math.round(p.due), call: p.call.key, vendor: p.vendor.id, profile: p.call.profile, scenario: p.call.scenario, event: p.stats.event, attempt: p.attempt, method: p.method, url: redactUrl(p.url), headers: redactHeaders(p.headers), body: scrub(p.body, secretList), status: status ?? null, error: ok || status !== undefined ? null : reason, latencyMs: Math.round((doneAt - (sentAt ?? doneAt)) * 10) / 10 })}\n`,
      );
    }
    if (ok) {
      r.delivered++;
      finishRequest(p);
    } else {
      const schedule = opts.retrySchedule ?? p.transport.retrySchedule;
      const wait = schedule[p.attempt - 1];
      if (wait !== undefined && !stopping) {
        // a retry starts the chain again from its first request
        heap.push({ ...(p.first ?? p), due: doneAt + wait * scale, attempt: p.attempt + 1 });
      } else {
        r.failed++;
        bucket(doneAt).errors++;
        errors[reason] = (errors[reason] ?? 0) + 1;
        if (opts.deadLetterFile)
          appendFileSync(opts.deadLetterFile, deadLetterLine(p, p.attempt, status, reason));
        finishRequest(p);
      }
    }
    // the freed slot goes straight to the next due request, so the connection never idles
    // while the loop waits for its turn
    if (!stopping && heap.firstDue <= doneAt) sendDue();
    wakeSoon();
  };

  // ---- live snapshots ---------------------------------------------------------------------------
  let lastSnap = { t: 0, sent: 0 };
  const snapshot = (): Snapshot => {
    const t = now();
    const snap: Snapshot = {
      ...(shard.count > 1 ? { shard: `${shard.index}/${shard.count}` } : {}),
      t: Math.round(t),
      callsStarted: c.started,
      activeCalls: active,
      blocked: c.blocked,
      skipped: c.skipped,
      sent: r.sent,
      delivered: r.delivered,
      failed: r.failed,
      inflight,
      late: r.late,
      requestsPerSec: t > lastSnap.t ? Math.round(((r.sent - lastSnap.sent) * 1000) / (t - lastSnap.t)) : 0,
      p50: percentileMs(corrected, 50),
      p99: percentileMs(corrected, 99),
      lagP99: percentileMs(lag, 99),
      arrivalsOver: arrivalsDone,
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
  const sweepTimer = setInterval(() => deadlines.sweep(now()), SWEEP_MS);

  // ---- the loop: start calls when they arrive, send requests when they are due ----------------------
  // It runs from callbacks, never blocking: a timer wakes it a millisecond before the next due
  // request, setImmediate covers the last millisecond, and answers wake it when a slot frees.
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let settle!: (e?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (e?: unknown) => (e === undefined ? resolve() : reject(e as Error));
  });
  let over = false;

  const wakeSoon = () => {
    if (immediate || over) return;
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    immediate = setImmediate(tick);
  };

  const tick = () => {
    immediate = undefined;
    timer = undefined;
    try {
      step();
    } catch (e) {
      over = true;
      settle(e);
    }
  };

  const startArrivals = (until: number) => {
    while (nextArrival <= until) {
      if (
        (durationMs !== undefined && nextArrival >= durationMs) ||
        (callLimit !== undefined && c.started + c.blocked + c.skipped >= callLimit)
      ) {
        arrivalsDone = true;
        arrivalEnd = durationMs !== undefined ? Math.min(durationMs, nextArrival) : nextArrival;
        return;
      }
      startCall(nextArrival);
      lastArrival = nextArrival;
      nextArrival = arrivalAfter(opts.rate, nextArrival, opts.arrivals, arrivalsRng, rateShare);
    }
    if (durationMs !== undefined && nextArrival >= durationMs) {
      arrivalsDone = true;
      arrivalEnd = durationMs;
    } else if (callLimit !== undefined && c.started + c.blocked + c.skipped >= callLimit) {
      arrivalsDone = true;
      arrivalEnd = nextArrival;
    } else if (nextArrival === Infinity) {
      // the rate stays at zero (a ramp down to 0/s): no call will come, whatever --calls says
      arrivalsDone = true;
      arrivalEnd = lastArrival;
    }
  };

  const sendDue = () => {
    const t = now();
    while (inflight < maxInflight && heap.firstDue <= t) send(heap.pop()!, t);
  };

  const step = () => {
    if (!stopping && !arrivalsDone) startArrivals(now());
    if (stopping) {
      let lines = "";
      for (const p of heap.clear()) {
        r.cancelled++;
        // a retry waiting for its turn was sent before; a first attempt never was
        if (opts.deadLetterFile)
          lines += deadLetterLine(
            p,
            p.attempt - 1,
            undefined,
            p.attempt > 1 ? "interrupted before its retry" : "never sent: interrupted",
          );
        if (lines.length > 1 << 20) {
          appendFileSync(opts.deadLetterFile!, lines);
          lines = "";
        }
        finishRequest(p);
      }
      if (lines) appendFileSync(opts.deadLetterFile!, lines);
    }
    sendDue();
    // calls arriving within the next few ms are built now, while the loop is idle, so their
    // requests are ready when they fall due
    if (!stopping && !arrivalsDone && heap.firstDue > now() + 1) {
      startArrivals(now() + BUILD_AHEAD_MS);
      sendDue();
    }
    if ((arrivalsDone || stopping) && heap.size === 0 && inflight === 0) {
      over = true;
      settle();
      return;
    }
    if (inflight >= maxInflight && heap.firstDue <= now()) return; // an answer wakes us
    const nextDue = heap.firstDue;
    const nextEvent = Math.min(
      nextDue,
      arrivalsDone || stopping ? Number.POSITIVE_INFINITY : nextArrival - BUILD_AHEAD_MS,
    );
    const wait = nextEvent - now();
    if (wait <= 1) immediate = setImmediate(tick);
    else timer = setTimeout(tick, Math.min(wait - 1, 1000));
  };

  const onAbort = () => {
    stopping = true;
    wakeSoon();
  };
  if (opts.signal?.aborted) stopping = true;
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    tick();
    await finished;
  } finally {
    over = true;
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    clearInterval(snapTimer);
    clearInterval(sweepTimer);
    opts.signal?.removeEventListener("abort", onAbort);
    pool.close();
  }

  const elapsedMs = now();
  const windowMs = Math.max(1, arrivalEnd ?? elapsedMs);
  c.target = Math.round(expectedCalls(opts.rate, windowMs) * rateShare);
  if (callLimit !== undefined) c.target = Math.min(c.target, callLimit);
  const inWindow = firsts.within(windowMs);
  r.due = inWindow.due;
  r.dueSent = inWindow.sent;
  // rates from the whole milliseconds the report keeps, so a merge of this one report gives them back
  const elapsedKept = Math.round(elapsedMs);
  const windowKept = Math.max(1, Math.round(windowMs));
  const dueSentByMs = Math.round(inWindow.lastSentMs);
  const secs = Math.max(elapsedKept / 1000, 1e-9);
  const windowSecs = windowKept / 1000;
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
      ...(maxLagMs !== DEFAULT_MAX_LAG_MS ? { maxLagMs: Number.isFinite(maxLagMs) ? maxLagMs : null } : {}),
      maxInflight,
      ...(pipelining > 1 ? { pipelining } : {}),
      seed: opts.seed,
      target: [...new Set(prepared.flatMap((p) => p.targets.map((t) => new URL(t.url).origin)))].join(", "),
      shards: [{ index: shard.index, count: shard.count, seed: opts.seed }],
    },
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    elapsedMs: elapsedKept,
    windowMs: windowKept,
    dueSentByMs,
    calls: c,
    requests: r,
    rates: {
      targetCallsPerSec: roundCallRate((expectedCalls(opts.rate, windowMs) * rateShare) / (windowMs / 1000)),
      achievedCallsPerSec: roundCallRate(c.started / windowSecs),
      ...requestRates(r.due, r.dueSent, windowKept, dueSentByMs),
      requestsPerSec: roundRequestRate(r.sent / secs),
    },
    lag: encodeStats(lag),
    latency: { corrected: encodeStats(corrected), service: encodeStats(service) },
    byEvent: Object.fromEntries(
      [...byEvent.values()].flatMap((e) =>
        [...e.byStatus].map(([status, h]) => [
          `${e.vendor} ${e.event} ${status}`,
          {
            vendor: e.vendor,
            event: e.event,
            status,
            corrected: encodeStats(h.corrected),
            service: encodeStats(h.service),
          },
        ]),
      ),
    ),
    statuses,
    errors,
    ...(opts.chaos ? { faults } : {}),
    deadLettered,
    ...(stopped ? { stopped } : {}),
    timeline: timeline.map((b, i) => {
      seal(b);
      return {
        t: i,
        requests: b.requests,
        errors: b.errors,
        callsStarted: b.callsStarted,
        activeCalls: b.activeCalls,
        p50: b.p50,
        p99: b.p99,
        histogram: b.histogram || (emptyHistogram ??= encodeHistogram(newHistogram())),
      };
    }),
  };
  return report;
}

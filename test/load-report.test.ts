import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PbxsimError, UsageError } from "../src/core/errors.js";
import { combineSnapshots, ProgressOut } from "../src/cli/load-commands.js";
import { escapeHtml, renderHtml } from "../src/load/html.js";
import { loadReportFile, mergeNotes, mergeReports } from "../src/load/merge.js";
import { type LoadReport, requestRates } from "../src/load/report.js";
import {
  decodeHistogram,
  encodeHistogram,
  encodeStats,
  fastMean,
  fastRecording,
  meanMsLibrary,
  newHistogram,
  recordMs,
  recordMsSlow,
  summarizeHistogram,
  type Histogram,
} from "../src/load/stats.js";
import {
  evaluateThresholds,
  parseThreshold,
  THRESHOLD_EXIT_CODE,
  type Threshold,
} from "../src/load/thresholds.js";

/** One request of a synthetic run. */
interface Sample {
  /** Second of the run the request was due in. */
  t: number;
  /** Corrected latency (from due time), ms. */
  latencyMs: number;
  /** Service latency (from send time), ms; defaults to latencyMs minus lagMs. */
  serviceMs?: number;
  /** Scheduling lag, ms. */
  lagMs?: number;
  vendor?: string;
  event?: string;
  /** HTTP status, or "error" with `reason`. */
  status?: number | "error";
  reason?: string;
  retried?: boolean;
}

interface Build {
  samples: Sample[];
  callsStarted?: number[];
  targetCallsPerSec?: number;
  /** Calls the arrival model asked for; defaults to target rate × elapsed. */
  callsTarget?: number;
  /** Arrivals not started (--max-calls, --max-lag). */
  blocked?: number;
  skipped?: number;
  elapsedMs?: number;
  startedAt?: string;
  endedAt?: string;
  /** The arrival window (default: the whole run) and when its last request was sent. */
  windowMs?: number;
  dueSentByMs?: number;
  shards?: { index: number; count: number }[];
  thresholds?: LoadReport["thresholds"];
}

/** Fills a LoadReport from a list of requests, as the load runner would. */
function buildReport(b: Build): LoadReport {
  const corrected = newHistogram();
  const service = newHistogram();
  const lag = newHistogram();
  const byEvent = new Map<
    string,
    { vendor: string; event: string; status: string; c: Histogram; s: Histogram }
  >();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const buckets = new Map<number, { requests: number; errors: number; h: Histogram }>();
  let delivered = 0;
  let failed = 0;
  let retried = 0;
  for (const x of b.samples) {
    const lagMs = x.lagMs ?? 0.5;
    const serviceMs = x.serviceMs ?? Math.max(0.001, x.latencyMs - lagMs);
    const status = String(x.status ?? 200);
    recordMs(corrected, x.latencyMs);
    recordMs(service, serviceMs);
    recordMs(lag, lagMs);
    const vendor = x.vendor ?? "enreach";
    const event = x.event ?? "CallStarted";
    const key = `${vendor} ${event} ${status}`;
    let e = byEvent.get(key);
    if (!e) byEvent.set(key, (e = { vendor, event, status, c: newHistogram(), s: newHistogram() }));
    recordMs(e.c, x.latencyMs);
    recordMs(e.s, serviceMs);
    statuses[status] = (statuses[status] ?? 0) + 1;
    const ok = x.status === undefined || (typeof x.status === "number" && x.status < 300);
    if (ok) delivered++;
    else {
      failed++;
      const reason = x.reason ?? `HTTP ${status}`;
      errors[reason] = (errors[reason] ?? 0) + 1;
    }
    if (x.retried) retried++;
    let bucket = buckets.get(x.t);
    if (!bucket) buckets.set(x.t, (bucket = { requests: 0, errors: 0, h: newHistogram() }));
    bucket.requests++;
    if (!ok) bucket.errors++;
    recordMs(bucket.h, x.latencyMs);
  }
  const started = (b.callsStarted ?? []).reduce((a, n) => a + n, 0);
  const lastT = Math.max(-1, ...buckets.keys(), (b.callsStarted ?? []).length - 1);
  const elapsedMs = b.elapsedMs ?? (lastT + 1) * 1000;
  const timeline: LoadReport["timeline"] = [];
  for (let t = 0; t <= lastT; t++) {
    const bucket = buckets.get(t) ?? { requests: 0, errors: 0, h: newHistogram() };
    const s = summarizeHistogram(bucket.h);
    timeline.push({
      t,
      requests: bucket.requests,
      errors: bucket.errors,
      callsStarted: b.callsStarted?.[t] ?? 0,
      activeCalls: b.callsStarted?.[t] ?? 0,
      p50: s.p50,
      p99: s.p99,
      histogram: encodeHistogram(bucket.h),
    });
  }
  const seconds = elapsedMs / 1000;
  const windowMs = b.windowMs ?? elapsedMs;
  const windowSecs = windowMs / 1000;
  const dueSentByMs = b.dueSentByMs ?? windowMs;
  const targetCallsPerSec = b.targetCallsPerSec ?? 10;
  const report: LoadReport = {
    version: 1,
    tool: "pbxsim",
    config: {
      scenarios: [{ id: "enreach/queue-answered", weight: 1 }],
      rate: `${targetCallsPerSec}/s`,
      arrivals: "poisson",
      durationMs: elapsedMs,
      speed: 1,
      maxInflight: 256,
      seed: 42,
      target: "http://127.0.0.1:8080",
      shards: b.shards ?? [],
    },
    startedAt: b.startedAt ?? "2026-01-05T07:00:00.000Z",
    endedAt: b.endedAt ?? new Date(Date.parse("2026-01-05T07:00:00.000Z") + elapsedMs).toISOString(),
    elapsedMs,
    windowMs,
    dueSentByMs,
    calls: {
      target: b.callsTarget ?? Math.round(targetCallsPerSec * windowSecs),
      started,
      completed: started,
      blocked: b.blocked ?? 0,
      ...(b.skipped !== undefined ? { skipped: b.skipped } : {}),
    },
    requests: {
      sent: b.samples.length,
      delivered,
      failed,
      retried,
      late: 0,
      cancelled: 0,
      due: b.samples.length - retried,
      dueSent: b.samples.length - retried,
    },
    rates: {
      targetCallsPerSec,
      achievedCallsPerSec: Math.round((started / windowSecs) * 1000) / 1000,
      ...requestRates(b.samples.length - retried, b.samples.length - retried, windowMs, dueSentByMs),
      requestsPerSec: seconds > 0 ? Math.round((b.samples.length / seconds) * 10) / 10 : 0,
    },
    lag: encodeStats(lag),
    latency: { corrected: encodeStats(corrected), service: encodeStats(service) },
    byEvent: Object.fromEntries(
      [...byEvent.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, e]) => [
          k,
          {
            vendor: e.vendor,
            event: e.event,
            status: e.status,
            corrected: encodeStats(e.c),
            service: encodeStats(e.s),
          },
        ]),
    ),
    statuses,
    errors,
    deadLettered: failed,
    timeline,
  };
  if (b.thresholds) report.thresholds = b.thresholds;
  return report;
}

const within = (actual: number, expected: number, rel = 0.001) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * rel);

/** A deterministic data set: 3000 requests over 10 s, two vendors, some failures. */
function dataSet(): Sample[] {
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: Sample[] = [];
  for (let i = 0; i < 3000; i++) {
    const latencyMs = 1 + rand() * rand() * 800;
    const fail = i % 97 === 0;
    const timeout = i % 211 === 0;
    out.push({
      t: Math.floor(i / 300),
      latencyMs,
      lagMs: rand() * 3,
      vendor: i % 3 === 0 ? "voipbin" : "enreach",
      event: i % 2 === 0 ? "CallStarted" : "CallEnded",
      ...(timeout
        ? { status: "error" as const, reason: "timeout: no answer within 5000ms" }
        : fail
          ? { status: 503 }
          : {}),
      retried: fail || timeout,
    });
  }
  return out;
}

describe("percentiles", () => {
  it("1..1000 ms recorded once each gives p50 500, p99 990, max 1000 (within 0.1 %)", () => {
    const h = newHistogram();
    for (let ms = 1; ms <= 1000; ms++) recordMs(h, ms);
    const s = summarizeHistogram(h);
    expect(s.count).toBe(1000);
    within(s.p50, 500);
    within(s.p90, 900);
    within(s.p99, 990);
    within(s.p999, 999);
    within(s.max, 1000);
    within(s.min, 1);
    within(s.mean, 500.5);
  });

  it("the fast recording path counts exactly as the histogram library's own, across the whole range", () => {
    expect(fastRecording).toBe(true);
    const fast = newHistogram();
    const slow = newHistogram();
    // bucket edges (powers of two and their neighbours, in µs), then values spread log-uniformly
    // from 1 µs to past the hour the histograms cover (clamped), sub-microsecond and negative ones
    const values: number[] = [0, -5, 0.0004];
    for (let bit = 0; bit < 32; bit++) for (const d of [-1, 0, 1]) values.push((2 ** bit + d) / 1000);
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values.push(10 ** ((x / 2 ** 31) * 10 - 3));
    }
    for (const ms of values) {
      recordMs(fast, ms);
      recordMsSlow(slow, ms);
    }
    expect(encodeHistogram(fast)).toBe(encodeHistogram(slow));
    expect([fast.totalCount, fast.minNonZeroValue, fast.maxValue]).toEqual([
      slow.totalCount,
      slow.minNonZeroValue,
      slow.maxValue,
    ]);
    expect(summarizeHistogram(fast)).toEqual(summarizeHistogram(slow));
    // a histogram decoded from a report records on as one built here
    const reopened = decodeHistogram(encodeHistogram(fast));
    const reference = decodeHistogram(encodeHistogram(slow));
    for (const ms of [0.001, 0.5, 7, 250, 4e6]) {
      recordMs(reopened, ms);
      recordMsSlow(reference, ms);
    }
    expect(encodeHistogram(reopened)).toBe(encodeHistogram(reference));
    expect(reopened.maxValue).toBe(reference.maxValue);
  });

  it("the mean read from the counts is the histogram library's own, to the last bit", () => {
    expect(fastMean()).toBe(true);
    let x = 777;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // narrow and wide spreads: sub-millisecond answers, seconds, the whole hour, one value alone
    for (const [count, decades, from] of [
      [1, 1, 0],
      [50, 1, -3],
      [5_000, 2, -1],
      [20_000, 4, -2],
      [20_000, 10, -3],
    ] as const) {
      const h = newHistogram();
      for (let i = 0; i < count; i++) recordMs(h, 10 ** (from + next() * decades));
      expect(summarizeHistogram(h).mean).toBe(meanMsLibrary(h));
    }
    expect(summarizeHistogram(newHistogram()).mean).toBe(0);
  });

  it("a report built from latencies carries their percentiles", () => {
    const r = buildReport({ samples: Array.from({ length: 1000 }, (_, i) => ({ t: 0, latencyMs: i + 1 })) });
    within(r.latency.corrected.p50, 500);
    within(r.latency.corrected.p99, 990);
    within(r.latency.corrected.max, 1000);
    expect(r.timeline).toHaveLength(1);
    within(r.timeline[0]!.p99, 990);
  });
});

describe("mergeReports", () => {
  const all = dataSet();
  const calls = [30, 31, 29, 30, 30, 30, 31, 29, 30, 30];
  // disjoint halves that share every second of the timeline
  const half = (k: 0 | 1) => ({
    samples: all.filter((_, i) => i % 2 === k),
    callsStarted: calls.map((n) => (k === 0 ? Math.ceil(n / 2) : Math.floor(n / 2))),
    targetCallsPerSec: 15,
    callsTarget: 150,
  });
  const a = buildReport({
    ...half(0),
    elapsedMs: 10_000,
    startedAt: "2026-01-05T07:00:00.000Z",
    endedAt: "2026-01-05T07:00:10.000Z",
    shards: [{ index: 0, count: 2 }],
    thresholds: [{ expr: "p99<1s", ok: true, actual: "700ms" }],
  });
  const b = buildReport({
    ...half(1),
    elapsedMs: 10_020,
    startedAt: "2026-01-05T07:00:00.050Z",
    endedAt: "2026-01-05T07:00:10.070Z",
    shards: [{ index: 1, count: 2 }],
  });
  const whole = buildReport({
    samples: all,
    callsStarted: calls,
    targetCallsPerSec: 30,
    callsTarget: 300,
    elapsedMs: 10_020,
    startedAt: "2026-01-05T07:00:00.000Z",
    endedAt: "2026-01-05T07:00:10.070Z",
    shards: [
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ],
  });
  const merged = mergeReports([a, b]);

  it("adds histograms exactly: the merged report equals the report of the whole data set", () => {
    expect(merged.latency).toEqual(whole.latency);
    expect(merged.lag).toEqual(whole.lag);
    expect(merged.byEvent).toEqual(whole.byEvent);
    // and not merely the summaries: every percentile of the decoded histograms agrees
    const hm = decodeHistogram(merged.latency.corrected.histogram);
    const hw = decodeHistogram(whole.latency.corrected.histogram);
    for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100])
      expect(hm.getValueAtPercentile(p)).toBe(hw.getValueAtPercentile(p));
  });

  it("sums counts and timeline buckets and recomputes rates", () => {
    expect(merged.calls).toEqual(whole.calls);
    expect(merged.requests).toEqual(whole.requests);
    expect(merged.statuses).toEqual(whole.statuses);
    expect(merged.errors).toEqual(whole.errors);
    expect(merged.deadLettered).toBe(whole.deadLettered);
    expect(merged.timeline).toEqual(whole.timeline);
    expect(merged.elapsedMs).toBe(10_020);
    expect(merged.startedAt).toBe("2026-01-05T07:00:00.000Z");
    expect(merged.endedAt).toBe("2026-01-05T07:00:10.070Z");
    expect(merged.rates.targetCallsPerSec).toBe(30);
    expect(merged.rates.achievedCallsPerSec).toBe(whole.rates.achievedCallsPerSec);
    expect(merged.rates.requestsPerSec).toBe(whole.rates.requestsPerSec);
    expect(merged.config.shards).toEqual(whole.config.shards);
    expect(merged.thresholds).toBeUndefined();
    expect(merged).toEqual({ ...whole, rates: merged.rates, config: merged.config });
  });

  it("notes shards missing from the run and reports of runs set up otherwise, and nothing for a whole run", () => {
    const part = (index: number, count: number, over: Partial<LoadReport["config"]> = {}) => ({
      ...a,
      config: { ...a.config, ...over, shards: [{ index, count }] },
    });
    expect(mergeNotes([part(0, 2), part(1, 2)])).toEqual([]);
    expect(mergeNotes([whole])).toEqual([]);
    expect(mergeNotes([part(0, 4), part(1, 4), part(3, 4)], ["p0", "p1", "p3"])).toEqual([
      "shard 2/4 of the run is missing: the merged report covers 3 of its 4 shards, and its target rates are theirs.",
    ]);
    expect(mergeNotes([part(1, 3)])[0]).toMatch(/^shards 0\/3, 2\/3 of the run are missing/);
    // shards of pods with --workers (0/4 and 2/4 hold shard 0/2's calls) beside a pod without
    expect(mergeNotes([part(0, 4), part(2, 4), part(1, 2)])).toEqual([]);
    expect(mergeNotes([part(0, 4), part(1, 2)])).toEqual([
      "the reports cover 3/4 of the run's calls (shards 0/4, 1/2): its target rates are theirs.",
    ]);
    // the same shard of two runs with other seeds (yesterday's report left beside today's)
    const seededPart = (index: number, count: number, seed: number) => ({
      ...a,
      config: { ...a.config, shards: [{ index, count, seed }] },
    });
    expect(mergeNotes([seededPart(0, 2, 1), seededPart(1, 2, 1), seededPart(0, 2, 7)])).toEqual([
      "the reports hold some of the run's calls more than once (shards 0/2 seed 1, 1/2 seed 1, 0/2 seed 7): they are separate runs, added up.",
    ]);
    const other = part(1, 2, { rate: "5/s", scenarios: [{ id: "voipbin/queue-answered", weight: 1 }] });
    expect(mergeNotes([a, other], ["a.json", "b.json"])).toEqual([
      `b.json is from a run set up otherwise than a.json (scenarios voipbin/queue-answered=1 against ${a.config.scenarios.map((x) => `${x.id}=${x.weight}`).join(" ")}; rate 5/s against ${a.config.rate}); the merged report keeps a.json's settings and adds up both runs' counts and target rates.`,
    ]);
  });

  it("refuses to count a shard twice: the same report given twice, or a merged report among its shards", () => {
    // these reports name the run's seed (42) once, as older reports do
    expect(() => mergeReports([a, a], ["a.json", "again.json"])).toThrow(
      /report merge: a\.json and again\.json both hold shard 0\/2 of the run with seed 42; merging would count its calls twice/,
    );
    // shards that name their own seeds (as reports do now): the same index of another run's seed
    // is another shard, and a merged report keeps its shards' seeds
    const seeded = (r: LoadReport, seed: number) => ({
      ...r,
      config: { ...r.config, shards: r.config.shards.map((x) => ({ ...x, seed })) },
    });
    expect(mergeReports([seeded(a, 1), seeded(b, 1), seeded(a, 2)]).calls.started).toBe(
      a.calls.started * 2 + b.calls.started,
    );
    expect(() => mergeReports([seeded(a, 1), seeded(b, 2), seeded(a, 1)])).toThrow(
      /report 1 and report 3 both hold shard 0\/2 of the run with seed 1/,
    );
    const all1 = mergeReports([seeded(a, 1), seeded(b, 1)]);
    expect(all1.config.shards).toEqual([
      { index: 0, count: 2, seed: 1 },
      { index: 1, count: 2, seed: 1 },
    ]);
    expect(() => mergeReports([seeded(a, 1), seeded(b, 1), all1], ["a.json", "b.json", "all.json"])).toThrow(
      /a\.json and all\.json both hold shard 0\/2.*Leave one out \(a merged report holds every shard it was merged from\)/,
    );
    expect(() => mergeReports([a, b])).not.toThrow();
  });

  it("gives rates per second of the arrival window, not of the calls playing on after it", () => {
    // two shards of a 10 s window whose calls played on for 30 s more; shard b sent its last
    // due request 2.5 s late (its receiver fell behind)
    const drained = (k: 0 | 1, dueSentByMs: number) =>
      buildReport({
        ...half(k),
        elapsedMs: 40_000,
        windowMs: 10_000,
        dueSentByMs,
        shards: [{ index: k, count: 2 }],
      });
    const m = mergeReports([drained(0, 10_000), drained(1, 12_500)]);
    expect(m.windowMs).toBe(10_000);
    expect(m.dueSentByMs).toBe(12_500);
    expect(m.rates.achievedCallsPerSec).toBe(30);
    // rounded as a single run rounds them: calls to 3 decimals, requests to 1
    expect(m.rates.requestsPerSec).toBe(Math.round((all.length / 40) * 10) / 10);
    const odd = mergeReports([
      buildReport({ ...half(0), elapsedMs: 7_000, windowMs: 7_000, shards: [{ index: 0, count: 2 }] }),
      buildReport({ ...half(1), elapsedMs: 7_000, windowMs: 7_000, shards: [{ index: 1, count: 2 }] }),
    ]);
    expect(odd.rates.achievedCallsPerSec).toBe(42.857);
    expect(odd.rates.requestsPerSec).toBe(Math.round((all.length / 7) * 10) / 10);
    const due = m.requests.due;
    expect(due).toBe(all.length - all.filter((x) => x.retried).length);
    expect(m.rates.targetRequestsPerSec).toBeCloseTo(due / 10, 1);
    // sending what fell due in 10 s took 12.5 s: 80 % of the target rate
    expect(m.rates.achievedRequestsPerSec).toBeCloseTo(due / 12.5, 1);
    expect(requestRates(100, 100, 10_000, 9_000)).toEqual({
      targetRequestsPerSec: 10,
      achievedRequestsPerSec: 10,
    });
    expect(requestRates(100, 50, 10_000, 20_000)).toEqual({
      targetRequestsPerSec: 10,
      achievedRequestsPerSec: 2.5,
    });
  });

  it("is independent of order and merges a single report to itself", () => {
    const ba = mergeReports([b, a]);
    expect(ba.latency).toEqual(merged.latency);
    expect(ba.timeline).toEqual(merged.timeline);
    const { thresholds: _t, ...withoutThresholds } = a;
    expect(mergeReports([a])).toEqual(withoutThresholds);
  });

  it("merges timelines of different lengths bucket by bucket", () => {
    const short = buildReport({ samples: [{ t: 0, latencyMs: 10 }], callsStarted: [1] });
    const long = buildReport({ samples: [{ t: 2, latencyMs: 20 }], callsStarted: [0, 0, 1] });
    const m = mergeReports([short, long]);
    expect(m.timeline.map((x) => [x.t, x.requests, x.callsStarted])).toEqual([
      [0, 1, 1],
      [1, 0, 0],
      [2, 1, 1],
    ]);
    within(m.timeline[2]!.p99, 20);
  });

  it("refuses an empty list", () => {
    expect(() => mergeReports([])).toThrow(UsageError);
  });
});

describe("ProgressOut (the progress on stderr)", () => {
  const CLEAR = "\r\u001b[2K";
  it("on a terminal, a message takes its own line above the live line, which is drawn again", () => {
    const written: string[] = [];
    const p = new ProgressOut((x) => written.push(x), true);
    p.say("load: 1 scenario(s)");
    p.update("t=1s calls 5", 1000);
    p.update("t=2s calls 9", 2000);
    p.say("interrupted: no new calls");
    p.update("t=3s calls 9", 3000);
    p.end();
    p.end();
    const screen = written.join("");
    expect(screen).toBe(
      `load: 1 scenario(s)\n${CLEAR}t=1s calls 5${CLEAR}t=2s calls 9${CLEAR}interrupted: no new calls\nt=2s calls 9${CLEAR}t=3s calls 9\n`,
    );
    // what stays on the terminal: every message on a line of its own, the last progress, a newline
    const lines = screen.split("\n").map((l) => l.split(CLEAR).at(-1));
    expect(lines).toEqual(["load: 1 scenario(s)", "interrupted: no new calls", "t=3s calls 9", ""]);
  });

  it("on a terminal, a live line wider than the terminal is cut to fit, so a redraw leaves nothing behind", () => {
    const written: string[] = [];
    let columns = 20;
    const p = new ProgressOut(
      (x) => written.push(x),
      true,
      () => columns,
    );
    p.update("t=1s calls 5 (active 5)  requests 10", 1000);
    p.say("interrupted");
    columns = 200;
    p.update("t=2s calls 9 (active 9)  requests 20", 2000);
    expect(written).toEqual([
      `${CLEAR}t=1s calls 5 (acti…`,
      `${CLEAR}interrupted\nt=1s calls 5 (acti…`,
      `${CLEAR}t=2s calls 9 (active 9)  requests 20`,
    ]);
    expect([..."t=1s calls 5 (acti…"].length).toBe(19);
  });

  it("elsewhere, a line every 5 s of the run and messages as they come", () => {
    const written: string[] = [];
    const p = new ProgressOut((x) => written.push(x), false);
    for (let t = 1000; t <= 12_000; t += 1000) p.update(`t=${t / 1000}s`, t);
    p.say("interrupted");
    p.end();
    expect(written).toEqual(["t=5s\n", "t=10s\n", "interrupted\n"]);
  });
});

describe("combineSnapshots (the progress line of --workers)", () => {
  it("adds counts and rates, and takes the worst worker's percentiles", () => {
    const a = {
      shard: "0/2",
      t: 5000,
      callsStarted: 10,
      activeCalls: 4,
      blocked: 1,
      skipped: 2,
      sent: 100,
      delivered: 97,
      failed: 2,
      inflight: 1,
      late: 3,
      requestsPerSec: 20,
      p50: 1.5,
      p99: 9,
      lagP99: 0.4,
      arrivalsOver: true,
    };
    const b = {
      ...a,
      shard: "1/2",
      t: 5004,
      callsStarted: 7,
      sent: 60,
      delivered: 60,
      failed: 0,
      p50: 2,
      p99: 3,
      lagP99: 1.2,
      arrivalsOver: false,
    };
    expect(combineSnapshots([a, b])).toEqual({
      t: 5004,
      callsStarted: 17,
      activeCalls: 8,
      blocked: 2,
      skipped: 4,
      sent: 160,
      delivered: 157,
      failed: 2,
      inflight: 2,
      late: 6,
      requestsPerSec: 40,
      p50: 2,
      p99: 9,
      lagP99: 1.2,
      // arrivals are over for the whole run once they are over for every worker
      arrivalsOver: false,
    });
    expect(combineSnapshots([a, { ...b, arrivalsOver: true }]).arrivalsOver).toBe(true);
  });
});

describe("loadReportFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "pbxsim-report-"));
  it("reads a report and explains files that are not one", () => {
    const good = join(dir, "good.json");
    const report = buildReport({ samples: [{ t: 0, latencyMs: 5 }] });
    writeFileSync(good, JSON.stringify(report));
    expect(loadReportFile(good)).toEqual(report);

    const expectIo = (file: string, message: RegExp) => {
      let err: unknown;
      try {
        loadReportFile(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PbxsimError);
      expect((err as PbxsimError).code).toBe("IO");
      expect((err as PbxsimError).message).toMatch(message);
    };
    expectIo(join(dir, "missing.json"), /no such file/);
    writeFileSync(join(dir, "junk.json"), "{ not json");
    expectIo(join(dir, "junk.json"), /not a pbxsim load report/);
    // the line of the mistake, and a short file's text not spilled into the message
    writeFileSync(join(dir, "cut.json"), `${JSON.stringify(report, null, 2).slice(0, 400)}\n}`);
    expectIo(join(dir, "cut.json"), /cut\.json:\d+: not a pbxsim load report \(not valid JSON: /);
    writeFileSync(join(dir, "short.json"), '{"a":1,\n"b":}\n');
    expectIo(
      join(dir, "short.json"),
      /short\.json: not a pbxsim load report \(not valid JSON: Unexpected token '\}'\)\. Give/,
    );
    writeFileSync(join(dir, "other.json"), JSON.stringify({ tool: "k6", version: 1 }));
    expectIo(join(dir, "other.json"), /not a pbxsim load report/);
    writeFileSync(join(dir, "v2.json"), JSON.stringify({ ...report, version: 2 }));
    expectIo(join(dir, "v2.json"), /version 2/);
  });
});

describe("thresholds", () => {
  it("parses every form", () => {
    const p = (e: string) => {
      const t = parseThreshold(e);
      const { expr: _e, ...rest } = t;
      return rest;
    };
    expect(p("p99<250ms")).toEqual({ kind: "latency", stat: { percentile: 99 }, op: "<", value: 250 });
    expect(p("p50<=100ms")).toEqual({ kind: "latency", stat: { percentile: 50 }, op: "<=", value: 100 });
    expect(p("p90<1s")).toEqual({ kind: "latency", stat: { percentile: 90 }, op: "<", value: 1000 });
    expect(p("p999<2s")).toEqual({ kind: "latency", stat: { percentile: 99.9 }, op: "<", value: 2000 });
    expect(p("p95 < 300ms")).toEqual({ kind: "latency", stat: { percentile: 95 }, op: "<", value: 300 });
    expect(p("max<5s")).toEqual({ kind: "latency", stat: "max", op: "<", value: 5000 });
    expect(p("mean<50ms")).toEqual({ kind: "latency", stat: "mean", op: "<", value: 50 });
    expect(p("errors<0.1%")).toEqual({ kind: "errors", op: "<", value: 0.1 });
    expect(p("rate>=95%")).toEqual({ kind: "rate", op: ">=", value: 95 });
    expect(p("lag_p99<2ms")).toEqual({ kind: "lag", stat: { percentile: 99 }, op: "<", value: 2 });
    expect(p("lag_max<500us")).toEqual({ kind: "lag", stat: "max", op: "<", value: 0.5 });
    // a percentile with its decimals written out, and k6's own spelling
    expect(p("p99.9<1s")).toEqual({ kind: "latency", stat: { percentile: 99.9 }, op: "<", value: 1000 });
    expect(p("p99.99 <= 2s")).toEqual({
      kind: "latency",
      stat: { percentile: 99.99 },
      op: "<=",
      value: 2000,
    });
    expect(p("p(95)<200ms")).toEqual({ kind: "latency", stat: { percentile: 95 }, op: "<", value: 200 });
    expect(p("p( 99.9 )<1s")).toEqual({ kind: "latency", stat: { percentile: 99.9 }, op: "<", value: 1000 });
    expect(p("lag_p99.9<2ms")).toEqual({ kind: "lag", stat: { percentile: 99.9 }, op: "<", value: 2 });
    expect(p("lag_p(99)<2ms")).toEqual({ kind: "lag", stat: { percentile: 99 }, op: "<", value: 2 });
    expect(parseThreshold(" p99<250ms ").expr).toBe("p99<250ms");
  });

  it("rejects bad expressions with a message naming them and listing the forms", () => {
    for (const bad of [
      "",
      "p99",
      "p99<",
      "p99<250",
      "p99<250kg",
      "p99=250ms",
      "p0<1ms",
      "p100<1s",
      "latency<1s",
      "errors<0.1",
      "errors<1ms",
      "rate>=95",
      "lag<2ms",
      "p99<-1ms",
      "p(100)<1s",
      "p100.0<1s",
      "p(0)<1s",
      "p0.0<1s",
      "p(99<1s",
      "p99.<1s",
      "p(99.9)<1000",
    ]) {
      expect(() => parseThreshold(bad), bad).toThrow(UsageError);
      try {
        parseThreshold(bad);
      } catch (e) {
        expect((e as Error).message).toContain(`"${bad}"`);
        expect((e as Error).message).toMatch(/p99<250ms.*errors<0\.1%.*rate>=95%/s);
      }
    }
  });

  it("suggests the metric a mistyped one meant", () => {
    for (const [typo, meant] of [
      ["error<1%", "errors"],
      ["request-rate>=95%", "request_rate"],
      ["lagp99<2ms", "lag_p99"],
    ])
      expect(() => parseThreshold(typo!)).toThrow(
        `unknown metric "${typo!.split(/[<>]/)[0]}" (did you mean ${meant}?)`,
      );
  });

  it("evaluates pass and breach", () => {
    // 1000 responses of 1..1000 ms; 5 of 1000 failed; 9.6 calls/s achieved of 10/s
    const samples: Sample[] = Array.from({ length: 1000 }, (_, i) => ({
      t: Math.floor(i / 100),
      latencyMs: i + 1,
      lagMs: i % 50 === 0 ? 3 : 0.2,
      ...(i % 200 === 0 ? { status: 500 } : {}),
    }));
    const r = buildReport({
      samples,
      callsStarted: [10, 10, 10, 10, 10, 10, 9, 9, 9, 9],
      targetCallsPerSec: 10,
      blocked: 4,
    });
    const ev = (exprs: string[]) =>
      evaluateThresholds(
        r,
        exprs.map((e) => parseThreshold(e)),
      );
    const res = ev([
      "p99<1s",
      "p99<900ms",
      "p50<=501ms",
      "p95<951ms",
      "max<=1s",
      "mean<400ms",
      "errors<1%",
      "errors<0.1%",
      "rate>=95%",
      "rate>=99%",
      "lag_p99<5ms",
      "lag_p99<1ms",
    ]);
    expect(res.map((x) => [x.expr, x.ok])).toEqual([
      ["p99<1s", true],
      ["p99<900ms", false],
      ["p50<=501ms", true],
      ["p95<951ms", true],
      ["max<=1s", true],
      ["mean<400ms", false],
      ["errors<1%", true],
      ["errors<0.1%", false],
      ["rate>=95%", true],
      ["rate>=99%", false],
      ["lag_p99<5ms", true],
      ["lag_p99<1ms", false],
    ]);
    expect(res[1]!.actual).toMatch(/^99\d(\.\d+)?ms$/);
    expect(res[7]!.actual).toBe("0.5% (5/1000)");
    expect(res[9]!.actual).toBe("96% (96 of 100 calls started)");
    expect(THRESHOLD_EXIT_CODE).toBe(99);
  });

  it("gates the call rate on the arrivals drawn, so a short Poisson run does not fail by chance", () => {
    const samples: Sample[] = [{ t: 0, latencyMs: 5 }];
    // 6 s at 50/s asks for 300 calls on average; this draw gave 259, every one of them started
    const lucky = buildReport({ samples, callsStarted: [43, 43, 43, 43, 43, 44], targetCallsPerSec: 50 });
    expect(lucky.calls.target).toBe(300);
    expect(lucky.rates.achievedCallsPerSec).toBeLessThan(0.9 * lucky.rates.targetCallsPerSec);
    const ts = ["rate>=95%", "rate>=100%"].map(parseThreshold);
    expect(evaluateThresholds(lucky, ts).map((x) => [x.ok, x.actual])).toEqual([
      [true, "100% (259 of 259 calls started)"],
      [true, "100% (259 of 259 calls started)"],
    ]);
    // arrivals that could not start are what the gate is for: --max-calls and --max-lag
    const capped = buildReport({
      samples,
      callsStarted: [43, 43, 43, 43, 43, 44],
      targetCallsPerSec: 50,
      blocked: 20,
      skipped: 2,
    });
    expect(evaluateThresholds(capped, ts).map((x) => [x.ok, x.actual])).toEqual([
      [false, "92.17% (259 of 281 calls started)"],
      [false, "92.17% (259 of 281 calls started)"],
    ]);
  });

  it("gates on the achieved request rate: the requests due in the window and how fast they left", () => {
    const samples: Sample[] = Array.from({ length: 1000 }, (_, i) => ({
      t: Math.floor(i / 100),
      latencyMs: 5,
    }));
    const onTime = buildReport({ samples, windowMs: 10_000, dueSentByMs: 10_004 });
    const behind = buildReport({ samples, windowMs: 10_000, dueSentByMs: 12_500 });
    const ts = ["request_rate>=99%", "request_rate>=80%"].map(parseThreshold);
    expect(ts[0]).toMatchObject({ kind: "request_rate", op: ">=", value: 99 });
    expect(evaluateThresholds(onTime, ts).map((x) => x.ok)).toEqual([true, true]);
    const res = evaluateThresholds(behind, ts);
    expect(res.map((x) => x.ok)).toEqual([false, true]);
    expect(res[0]!.actual).toBe("80% (80/s of 100/s)");
    expect(() => parseThreshold("request_rate>=95")).toThrow(/request_rate>=95%/);
  });

  it("fails thresholds on metrics without data", () => {
    const empty = buildReport({ samples: [], targetCallsPerSec: 0 });
    const ts: Threshold[] = ["p99<1s", "errors<1%", "rate>=95%", "request_rate>=95%", "lag_p99<2ms"].map(
      parseThreshold,
    );
    const res = evaluateThresholds(empty, ts);
    expect(res.every((x) => !x.ok && x.actual.startsWith("n/a"))).toBe(true);
  });
});

describe("renderHtml", () => {
  const report = buildReport({
    samples: [
      ...dataSet().slice(0, 600),
      { t: 1, latencyMs: 12, vendor: "enreach", event: "<script>alert(1)</script>" },
      { t: 1, latencyMs: 12, status: "error", reason: 'refused "<b>"' },
    ],
    callsStarted: [5, 6],
    thresholds: [
      { expr: "p99<250ms", ok: false, actual: "700ms" },
      { expr: "errors<1%", ok: true, actual: "0.5% (3/602)" },
    ],
  });
  report.config.target = "http://receiver.test.svc:8080";
  const html = renderHtml(report);

  it("is self-contained: no remote resources, no scripts", () => {
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/<script|<link|<iframe|<img/i);
    expect(html).toContain("<svg");
    expect(html).toContain("<polyline");
    expect(html.startsWith("<!doctype html>")).toBe(true);
  });

  it("escapes text from the report", () => {
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("refused &quot;&lt;b&gt;&quot;");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("shows the summary, tables and thresholds", () => {
    expect(html).toContain("receiver.test.svc:8080");
    expect(html).toContain("Requests per second");
    expect(html).toContain("Latency (corrected)");
    expect(html).toContain("Errors per second");
    expect(html).toContain("voipbin");
    expect(html).toContain("503");
    expect(html).toContain("FAIL");
    expect(html).toContain("1 of 2 thresholds breached");
  });

  it("renders an empty report", () => {
    const empty = buildReport({ samples: [], targetCallsPerSec: 0, elapsedMs: 0 });
    expect(empty.timeline).toEqual([]);
    const page = renderHtml(empty);
    expect(page).toContain("<svg");
    expect(page).toContain("no data");
    expect(page).toContain("No requests were sent.");
    expect(page).toContain("No thresholds were set");
    expect(page).not.toMatch(/NaN|Infinity|undefined/);
    expect(page).toMatch(/<\/html>\s*$/);
  });

  it("renders a merged report", () => {
    const a = { ...report, config: { ...report.config, shards: [{ index: 0, count: 2 }] } };
    const b = buildReport({ samples: [{ t: 0, latencyMs: 3 }], shards: [{ index: 1, count: 2 }] });
    const page = renderHtml(mergeReports([a, b]));
    expect(page).toContain("2 shards merged");
  });
});

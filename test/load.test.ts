import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { rootCertificates } from "node:tls";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { UsageError } from "../src/core/errors.js";
import { Rng } from "../src/core/random.js";
import {
  constantRate,
  expectedCalls,
  firstArrival,
  loadPhases,
  nextArrival,
  parseRamp,
  parseRate,
  type RateProfile,
} from "../src/load/arrivals.js";
import { planFromOptions } from "../src/delivery/run.js";
import { mergeReports } from "../src/load/merge.js";
import { decodeHistogram } from "../src/load/stats.js";
import { Heap, isLoopback, runLoad, type Snapshot } from "../src/load/run.js";
import type { LoadReport } from "../src/load/report.js";
import { parseScenarioText, resolveScenarios } from "../src/scenario/load.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { selfSignedCertificate, serve } from "../src/receiver/serve.js";
import { createReferenceReceiver, type StoredEvent } from "../examples/reference-receiver/server.js";
import type { TargetSettings } from "../src/core/vendor.js";
import { writeFileSync } from "node:fs";

/** pbxsim load: arrival models, a short real run on loopback, thresholds, shards and merges. */

let server: Server;
let url = "";
let received = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

/** One scenario at weight 1, as `load <scenario>` passes it. */
const weighted = (id: string) =>
  resolveScenarios([id], findVendor).map((scenario) => ({ scenario, weight: 1 }));

describe("arrival models", () => {
  it("parses rates and ramps", () => {
    expect(parseRate("80/s")).toBe(80);
    expect(parseRate("120/m")).toBe(2);
    expect(parseRate("3600/h")).toBe(1);
    expect(() => parseRate("fast")).toThrow(/--rate fast: write calls per time unit/);
    const ramp = parseRamp("10/s..80/s:2m");
    expect(ramp.rateAt(0)).toBe(10);
    expect(ramp.rateAt(60_000)).toBe(45);
    expect(ramp.rateAt(300_000)).toBe(80);
    expect(() => parseRamp("10/s-80/s")).toThrow(/FROM..TO:DURATION/);
  });

  it("Poisson arrivals average the rate; constant arrivals are evenly spaced", () => {
    const rng = new Rng(1);
    const p = constantRate(50, "50/s");
    let t = 0;
    let n = 0;
    while (t < 200_000) {
      t = nextArrival(p, t, "poisson", rng);
      n++;
    }
    expect(n / 200).toBeGreaterThan(47);
    expect(n / 200).toBeLessThan(53);
    expect(nextArrival(p, 0, "constant", rng)).toBe(20);
    // a shard's share of the rate spaces its arrivals out
    expect(nextArrival(p, 100, "constant", rng, 1 / 4)).toBe(180);
    expect(expectedCalls(parseRamp("0/s..10/s:10s"), 10_000)).toBeCloseTo(50, 0);
  });

  /** The rate profile of a phases file with these lines. */
  const phases = (...lines: string[]): RateProfile => {
    const f = join(mkdtempSync(join(tmpdir(), "pbxsim-phases-")), "phases.yaml");
    writeFileSync(f, lines.map((l) => `${l}\n`).join(""));
    return loadPhases(f);
  };

  it("reads a phases file", () => {
    const p = phases("- { rate: 10/s, duration: 1m }", "- { ramp: 10/s..40/s, duration: 30s }");
    expect(p.durationMs).toBe(90_000);
    expect(p.rateAt(30_000)).toBe(10);
    expect(p.rateAt(75_000)).toBe(25);
    expect(p.rateAt(100_000)).toBe(0);
  });

  it("refuses a phase that is not a mapping, has a setting it does not know, or both rate and ramp", () => {
    const refused = (line: string) => {
      try {
        phases("- { rate: 10/s, duration: 1m }", line);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`accepted: ${line}`);
    };
    expect(refused("- { rate: 10/s, ramp: 1/s..2/s, duration: 1m }")).toMatch(
      /phases\.yaml:2: phase 2 has both rate and ramp: give one/,
    );
    expect(refused("- { rate: 10/s, duraton: 1m }")).toMatch(
      /phases\.yaml:2: phase 2: "duraton" is not a phase setting \(did you mean duration\?\); a phase has rate or ramp, and duration\./,
    );
    expect(refused("- 10/s")).toMatch(
      /phases\.yaml:2: phase 2: write a phase as \{ rate: 10\/s, duration: 1m \}/,
    );
    expect(refused("-")).toMatch(/phase 2: write a phase as/);
    // the list under a key, as k6 writes its stages
    expect(() => phases("stages:", "  - { rate: 10/s, duration: 1m }")).toThrow(
      /phases\.yaml: the phases are under "stages:"; the file is the list itself, with no key above it/,
    );
  });

  it("counts the expected calls exactly, whatever the pieces' edges", () => {
    // a pause of 150 ms, then 100/s: the edge falls inside a 100 ms step
    const p = phases(
      "- { rate: 0/s, duration: 150ms }",
      "- { rate: 100/s, duration: 1s }",
      "- { ramp: 100/s..0/s, duration: 1s }",
    );
    expect(expectedCalls(p, 200)).toBeCloseTo(5, 9);
    expect(expectedCalls(p, 1150)).toBeCloseTo(100, 9);
    expect(expectedCalls(p, 1650)).toBeCloseTo(100 + 37.5, 9);
    expect(expectedCalls(p, 10_000)).toBeCloseTo(150, 9);
    expect(expectedCalls(constantRate(80, "80/s"), 3_600_000)).toBeCloseTo(288_000, 6);
    expect(expectedCalls(parseRamp("10/s..80/s:2m"), 60_000)).toBeCloseTo(60 * 27.5, 9);
  });

  /** Arrival times from 0 until `endMs` (or Infinity), at most `max`. */
  const arrivals = (p: RateProfile, kind: "poisson" | "constant", endMs: number, seed = 1, max = 1e6) => {
    const rng = new Rng(seed);
    const out: number[] = [];
    for (
      let t = nextArrival(p, 0, kind, rng);
      t < endMs && out.length < max;
      t = nextArrival(p, t, kind, rng)
    )
      out.push(t);
    return out;
  };
  const perSecond = (ts: number[], seconds: number) => {
    const n = new Array<number>(seconds).fill(0);
    for (const t of ts) n[Math.floor(t / 1000)]!++;
    return n;
  };

  it("follows a changing rate: the k-th arrival comes where the rate's integral reaches k", () => {
    // 0/s..20/s over 10 s: the rate is 2t calls/s at t seconds, its integral t², so call k comes at √k s
    const ramp = parseRamp("0/s..20/s:10s");
    const up = arrivals(ramp, "constant", 10_000.001);
    expect(up).toHaveLength(100);
    up.forEach((t, i) => expect(t).toBeCloseTo(1000 * Math.sqrt(i + 1), 6));
    // down again: 20/s..0/s, integral 20t - t², so call k comes at 10 - √(100 - k) s; then,
    // the rate holding at zero, no call at all
    const down = parseRamp("20/s..0/s:10s");
    const after = arrivals(down, "constant", Infinity);
    expect(after).toHaveLength(100);
    after.forEach((t, i) => expect(t).toBeCloseTo(1000 * (10 - Math.sqrt(100 - (i + 1))), 6));
    expect(arrivals(down, "poisson", Infinity, 3).every((t) => t <= 10_000)).toBe(true);
    // Poisson arrivals over many runs: each second's mean count is the rate's integral over it
    const sums = new Array<number>(10).fill(0);
    for (let seed = 1; seed <= 400; seed++)
      perSecond(arrivals(ramp, "poisson", 10_000, seed), 10).forEach((n, i) => (sums[i]! += n));
    sums.forEach((n, k) => expect(Math.abs(n / 400 - (2 * k + 1))).toBeLessThan(0.5));
  });

  it("constant arrivals of N shards interleave into the whole run's, at a steady rate and on a ramp", () => {
    for (const p of [constantRate(50, "50/s"), parseRamp("0/s..20/s:10s")]) {
      const whole = arrivals(p, "constant", 10_000);
      const sharded: number[] = [];
      for (let index = 0; index < 4; index++) {
        const rng = new Rng(1);
        for (
          let t = firstArrival(p, "constant", rng, { index, count: 4 });
          t < 10_000;
          t = nextArrival(p, t, "constant", rng, 1 / 4)
        )
          sharded.push(t);
      }
      sharded.sort((a, b) => a - b);
      expect(sharded).toHaveLength(whole.length);
      sharded.forEach((t, i) => expect(t).toBeCloseTo(whole[i]!, 6));
    }
  });

  it("a phase at 0/s is a pause: no call arrives in it, and arrivals resume after it", () => {
    const p = phases(
      "- { rate: 10/s, duration: 2s }",
      "- { rate: 0/s, duration: 3s }",
      "- { rate: 20/s, duration: 1s }",
    );
    expect(p.durationMs).toBe(6_000);
    const ts = arrivals(p, "constant", Infinity);
    // every 100 ms for 2 s, nothing for 3 s, every 50 ms in the last second, then the rate is zero
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => 100 * (i + 1)),
      ...Array.from({ length: 20 }, (_, i) => 5_000 + 50 * (i + 1)),
    ];
    expect(ts).toHaveLength(expected.length);
    ts.forEach((t, i) => expect(t).toBeCloseTo(expected[i]!, 6));
    expect(nextArrival(p, 6_000, "poisson", new Rng(1))).toBe(Infinity);
    expect(arrivals(p, "poisson", Infinity, 5).some((t) => t > 2_000 && t < 5_000)).toBe(false);
  });

  it("knows loopback targets", () => {
    expect(isLoopback(new URL("http://127.0.0.1:1/"))).toBe(true);
    expect(isLoopback(new URL("http://localhost/"))).toBe(true);
    expect(isLoopback(new URL("http://[::1]/"))).toBe(true);
    expect(isLoopback(new URL("https://crm.example.com/"))).toBe(false);
  });
});

describe("a short real run", () => {
  it("delivers whole calls of a mixed vendor workload and accounts for every request", async () => {
    const scenarios = [
      ...resolveScenarios(["enreach/queue-answered"], findVendor).map((scenario) => ({
        scenario,
        weight: 2,
      })),
      ...resolveScenarios(
        [
          "voipbin/queue-answered",
          "3cx/inbound-queue-answered",
          "webitel/inbound-queue-answered",
          "acefone/inbound-ivr-answered",
        ],
        findVendor,
      ).map((scenario) => ({ scenario, weight: 1 })),
    ];
    const before = received;
    const report = await runLoad({
      scenarios,
      targets: { byVendor: new Map(), fallback: { url, secret: "s3cret" } },
      rate: constantRate(40, "40/s"),
      arrivals: "constant",
      calls: 30,
      speed: 2000,
      seed: 3,
      maxInflight: 32,
    });
    expect(report.calls.started).toBe(30);
    expect(report.calls.completed).toBe(30);
    expect(report.requests.sent).toBe(
      report.requests.delivered + report.requests.failed + report.requests.retried,
    );
    expect(report.requests.failed).toBe(0);
    expect(received - before).toBe(report.requests.sent);
    expect(report.latency.corrected.count).toBe(report.requests.sent);
    expect(report.latency.corrected.p99).toBeGreaterThanOrEqual(report.latency.service.p50);
    expect(Object.keys(report.byEvent).some((k) => k.startsWith("enreach "))).toBe(true);
    expect(Object.keys(report.byEvent).some((k) => k.startsWith("webitel "))).toBe(true);
    expect(report.rates.targetCallsPerSec).toBeCloseTo(40, 0);
    expect(report.timeline.reduce((s, b) => s + b.requests, 0)).toBe(report.requests.sent);
    // the requests that fell due in the arrival window were all sent
    expect(report.requests.due).toBeGreaterThan(0);
    expect(report.requests.dueSent).toBe(report.requests.due);
    expect(report.rates.targetRequestsPerSec).toBeCloseTo(report.requests.due / (report.windowMs / 1000), 0);
    // the report alone merges to itself, rates included (they come from the times it keeps)
    expect(mergeReports([report])).toEqual(report);
  }, 30_000);

  /** A story whose branch of weight 1 (against `fine`) answers after its agent missed: line 11. */
  const contradicting = (fine: number) =>
    parseScenarioText(
      [
        "vendor: enreach",
        "name: rare",
        "description: now and then a call answers after its agent missed",
        "steps:",
        "  - arrive: {}",
        "  - offer: {}",
        "  - branch:",
        `      - weight: ${fine}`,
        "        steps: [answer: {}]",
        "      - weight: 1",
        "        steps: [miss: {}, answer: {}]",
        "  - hangup: { by: caller }",
      ].join("\n"),
      "rare.yaml",
      findVendor,
    );
  const contradictingRun = (fine: number, seed = 2, truthFile?: string) =>
    runLoad({
      ...(truthFile ? { truthFile } : {}),
      scenarios: [{ scenario: contradicting(fine), weight: 1 }],
      targets: { byVendor: new Map(), fallback: { url } },
      rate: constantRate(1000, "1000/s"),
      arrivals: "constant",
      calls: 2000,
      speed: "max",
      seed,
    });

  it("a call whose story contradicts itself stops the run, and the report covers it up to there", async () => {
    const before = received;
    // one call in a hundred: the plays before the run miss it
    const report = await contradictingRun(99);
    expect(report.stopped).toEqual({
      code: "SCENARIO",
      message: expect.stringMatching(/^rare\.yaml:11: answer needs a ringing agent/),
    });
    // no new call after it; the calls before it played out, and what they sent is counted
    expect(report.calls.started).toBeGreaterThan(0);
    expect(report.calls.started).toBeLessThan(2000);
    expect(report.calls.completed).toBe(report.calls.started);
    expect(report.requests.sent).toBe(received - before);
    expect(mergeReports([report]).stopped).toEqual(report.stopped);
  }, 30_000);

  it("a contradiction on a common branch stops the run before anything is sent", async () => {
    const before = received;
    // one call in four: the warm-up call of this seed passes, the plays before the run do not
    const truth = join(mkdtempSync(join(tmpdir(), "pbxsim-truth-")), "truth.ndjson");
    await expect(contradictingRun(3, 2, truth)).rejects.toThrow(
      /^rare\.yaml:11: answer needs a ringing agent/,
    );
    expect(received).toBe(before);
    // not a call started: none has a line of ground truth
    expect(existsSync(truth)).toBe(false);
  });

  it("with a seed and a start, two runs send byte-identical requests; without a start, the payloads carry today's time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-det-"));
    const mix = ["enreach/*", "voipbin/*", "3cx/*", "acefone/*", "webitel/*"].flatMap(weighted);
    const start = Date.parse("2026-03-02T09:00:00Z");
    const sent = async (name: string, at?: number) => {
      const recordFile = join(dir, name);
      await runLoad({
        scenarios: mix,
        targets: { byVendor: new Map(), fallback: { url } },
        rate: constantRate(50, "50/s"),
        arrivals: "poisson",
        calls: 30,
        speed: "max",
        seed: 4,
        ...(at === undefined ? {} : { start: at }),
        recordFile,
      });
      // in the order of the calls and their timelines, not of the answers
      return readFileSync(recordFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { at: number; call: string; method: string; url: string; body: string })
        .map((l) => `${l.call} ${l.at} ${l.method} ${l.url} ${l.body}`)
        .sort();
    };
    const a = await sent("a.ndjson", start);
    const b = await sent("b.ndjson", start);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(a.join("\n")).toContain("2026-03-02");
    const now = await sent("c.ndjson");
    expect(now.join("\n")).not.toContain("2026-03-02");
    expect(now.join("\n")).toContain(new Date().toISOString().slice(0, 7));
  }, 30_000);

  it("says once per vendor when --chaos bad-token finds nothing to spoil, and counts no such fault", async () => {
    const notices: string[] = [];
    const report = await runLoad({
      scenarios: [...weighted("3cx/inbound-queue-answered"), ...weighted("enreach/outbound-answered")],
      targets: { byVendor: new Map(), fallback: { url, secret: "s3cret" } },
      rate: constantRate(50, "50/s"),
      arrivals: "constant",
      calls: 6,
      speed: "max",
      seed: 2,
      chaos: { badToken: 1 },
      onNotice: (text) => notices.push(text),
    });
    expect(notices).toEqual([
      // the secret reaches Enreach only, which the user is told before the run
      "3cx sends no token or signature of its own, so --token/--secret is not sent; protect its endpoint as its users do, with --header or a key in the URL.",
      expect.stringMatching(/^--chaos bad-token: 3cx requests carry no token/),
    ]);
    // every Enreach request got a wrong token (a first attempt each: the receiver answers 200);
    // no 3CX request was counted
    const enreach = Object.values(report.byEvent)
      .filter((e) => e.vendor === "enreach")
      .reduce((n, e) => n + e.service.count, 0);
    expect(enreach).toBeGreaterThan(0);
    expect(report.faults!["bad-token"]).toBe(enreach);
  }, 20_000);

  it("its snapshots say when arrivals are over and the active calls play out", async () => {
    const snaps: Snapshot[] = [];
    await runLoad({
      scenarios: weighted("enreach/outbound-answered"),
      targets: { byVendor: new Map(), fallback: { url } },
      rate: constantRate(20, "20/s"),
      arrivals: "constant",
      calls: 2,
      // a call of about two minutes plays in about 0.6 s, long after both calls arrived
      speed: 200,
      seed: 2,
      snapshotMs: 50,
      onSnapshot: (x) => snaps.push(x),
    });
    expect(snaps.length).toBeGreaterThan(3);
    const over = snaps.findIndex((x) => x.arrivalsOver);
    expect(over).toBeGreaterThanOrEqual(0);
    // once over, over for good; while over, calls are still playing
    expect(snaps.slice(over).every((x) => x.arrivalsOver)).toBe(true);
    expect(snaps[over]!.callsStarted).toBe(2);
    expect(snaps[over]!.activeCalls).toBeGreaterThan(0);
    expect(snaps.slice(0, over).every((x) => !x.arrivalsOver)).toBe(true);
  }, 20_000);

  it("a ramp down to 0/s ends the arrivals even when --calls asks for more; the old rate does not linger", async () => {
    const report = await runLoad({
      scenarios: weighted("enreach/outbound-answered"),
      targets: { byVendor: new Map(), fallback: { url } },
      // 20/s down to nothing over a second: ten calls are due, and never a thousand
      rate: parseRamp("20/s..0/s:1s"),
      arrivals: "constant",
      calls: 1000,
      speed: "max",
      seed: 1,
    });
    expect(report.calls.started).toBe(10);
    expect(report.calls.completed).toBe(10);
    expect(report.windowMs).toBeLessThanOrEqual(1000);
  }, 20_000);

  it("skips new calls while the receiver is more than --max-lag behind, so the backlog stays bounded", async () => {
    // a receiver that takes 50 ms an answer, two connections: 40 requests a second at most
    const slow = createServer((req, res) => {
      req.resume();
      req.on("end", () => setTimeout(() => res.writeHead(200).end(), 50));
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const run = (maxLagMs: number) =>
      runLoad({
        scenarios: weighted("enreach/outbound-answered"),
        targets: { byVendor: new Map(), fallback: { url: slowUrl } },
        // 40 calls a second of five requests each: five times what the receiver can take
        rate: constantRate(40, "40/s"),
        arrivals: "constant",
        calls: 40,
        speed: "max",
        seed: 1,
        maxInflight: 2,
        maxLagMs,
      });
    try {
      const bounded = await run(300);
      expect(bounded.calls.skipped).toBeGreaterThan(0);
      // every arrival is accounted for, and every started call completes
      expect(bounded.calls.started + (bounded.calls.skipped ?? 0) + bounded.calls.blocked).toBe(40);
      expect(bounded.calls.completed).toBe(bounded.calls.started);
      expect(bounded.config.maxLagMs).toBe(300);
      const open = await run(Infinity);
      expect(open.calls.skipped).toBe(0);
      expect(open.calls.started).toBe(40);
      expect(open.config.maxLagMs).toBeNull();
      // skipping kept the queue, and so the lag, shorter
      expect(bounded.lag.max).toBeLessThan(open.lag.max);
    } finally {
      slow.close();
    }
  }, 60_000);

  it("keeps each second's latencies as an exact histogram, sealed once the second is over", async () => {
    const report = await runLoad({
      scenarios: weighted("enreach/outbound-answered"),
      targets: { byVendor: new Map(), fallback: { url } },
      rate: constantRate(8, "8/s"),
      arrivals: "constant",
      durationMs: 3_500,
      speed: "max",
      seed: 5,
    });
    expect(report.timeline.length).toBeGreaterThanOrEqual(4);
    let total = 0;
    for (const b of report.timeline) {
      const h = decodeHistogram(b.histogram);
      total += h.totalCount;
      if (h.totalCount > 0) expect(b.p99).toBe(Math.round(h.getValueAtPercentile(99)) / 1000);
      else expect(b.p99).toBe(0);
    }
    // every answer is in exactly one second: the buckets add up to the whole run
    expect(total).toBe(report.latency.corrected.count);
    expect(total).toBe(report.requests.sent);
  }, 20_000);

  it("counts failures by reason when the receiver is gone", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r()));
    const report = await runLoad({
      scenarios: weighted("enreach/outbound-answered"),
      targets: { byVendor: new Map(), fallback: { url: deadUrl } },
      rate: constantRate(20, "20/s"),
      arrivals: "constant",
      calls: 3,
      speed: "max",
      seed: 1,
      retrySchedule: [],
    });
    expect(report.requests.failed).toBe(report.requests.sent);
    expect(Object.keys(report.errors)[0]).toMatch(/connection refused/);
    expect(report.calls.completed).toBe(3);
  }, 30_000);
});

describe("the send path", () => {
  it("takes waiting requests earliest first, first in first out when due together, through growth, interleaved pushes and a clear", () => {
    const rng = new Rng("heap");
    const heap = new Heap<{ due: number; n: number }>();
    const waiting: { due: number; n: number }[] = [];
    const popped: number[] = [];
    let n = 0;
    /** The one to take next: the earliest due, and of those the first pushed. */
    const next = () => waiting.reduce((a, b) => (b.due < a.due || (b.due === a.due && b.n < a.n) ? b : a));
    // a few thousand waiting at once (past the first key array), many with equal due times
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3000; i++) {
        const item = { due: Math.floor(rng.next() * 500), n: n++ };
        heap.push(item);
        waiting.push(item);
        if (rng.next() < 0.3) {
          const expected = next();
          const top = heap.pop()!;
          expect(top).toBe(expected);
          waiting.splice(waiting.indexOf(top), 1);
          popped.push(top.n);
        }
      }
      expect(heap.size).toBe(waiting.length);
      let last = -Infinity;
      while (heap.size > 1000) {
        expect(heap.firstDue).toBe(Math.min(...waiting.map((w) => w.due)));
        const expected = next();
        const top = heap.pop()!;
        expect(top).toBe(expected);
        expect(top.due).toBeGreaterThanOrEqual(last);
        last = top.due;
        waiting.splice(waiting.indexOf(top), 1);
        popped.push(top.n);
      }
    }
    const rest = heap.clear();
    // what a stop cancels comes back in the order it would have been sent
    expect(rest).toEqual([...waiting].sort((a, b) => a.due - b.due || a.n - b.n));
    expect(heap.size).toBe(0);
    expect(heap.firstDue).toBe(Infinity);
    expect(heap.pop()).toBeUndefined();
    // every request comes out exactly once
    expect([...popped, ...rest.map((r) => r.n)].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  });

  it("sends a call's requests that fall due together in the call's own order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-order-"));
    const recordFile = join(dir, "rec.ndjson");
    // at --speed max a call's requests all fall due at its start; one at a time, the record is the send order
    await runLoad({
      scenarios: weighted("enreach/queue-answered"),
      targets: { byVendor: new Map(), fallback: { url } },
      rate: constantRate(20, "20/s"),
      arrivals: "constant",
      calls: 4,
      speed: "max",
      maxInflight: 1,
      seed: 3,
      recordFile,
    });
    const byCall = new Map<string, string[]>();
    for (const line of readFileSync(recordFile, "utf8").trim().split("\n")) {
      const r = JSON.parse(line) as { call: string; body: string };
      const stamps = byCall.get(r.call) ?? [];
      stamps.push((JSON.parse(r.body) as { Timestamp: string }).Timestamp);
      byCall.set(r.call, stamps);
    }
    expect(byCall.size).toBe(4);
    // Enreach stamps a call's events in the order it sends them, ticks apart within a millisecond
    for (const stamps of byCall.values()) {
      expect(stamps.length).toBeGreaterThan(10);
      expect(stamps).toEqual([...stamps].sort());
      expect(new Set(stamps).size).toBe(stamps.length);
    }
  });

  it("pipelines requests on few connections when asked, and keeps each query string as encoded", async () => {
    const sockets = new Set<unknown>();
    const paths: string[] = [];
    const piped = createServer((req, res) => {
      sockets.add(req.socket);
      paths.push(req.url ?? "");
      req.resume();
      req.on("end", () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => piped.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(piped.address() as AddressInfo).port}/hooks/3cx`;
    try {
      const report = await runLoad({
        scenarios: weighted("3cx/inbound-queue-answered"),
        targets: { byVendor: new Map(), fallback: { url: base } },
        rate: constantRate(200, "200/s"),
        arrivals: "constant",
        calls: 20,
        speed: "max",
        seed: 5,
        profile: "form",
        method: "GET",
        maxInflight: 8,
        pipelining: 4,
      });
      expect(report.requests.failed).toBe(0);
      expect(report.requests.delivered).toBe(report.requests.sent);
      expect(paths).toHaveLength(report.requests.sent);
      expect(sockets.size).toBeLessThanOrEqual(2);
      expect(report.config.pipelining).toBe(4);
      for (const p of paths) {
        expect(p.startsWith("/hooks/3cx?")).toBe(true);
        expect(new URL(p, base).search).toBe(p.slice("/hooks/3cx".length));
      }
    } finally {
      await new Promise<void>((r) => piped.close(() => r()));
    }
  }, 30_000);
});

describe("redirects", () => {
  it("follows VoIPBIN's redirects as its client does, counts the hops apart from sent, times the chain as one, and stays on loopback", async () => {
    const seen: { method: string; url: string; body: string; signed: boolean; referer?: string }[] = [];
    const rx = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d));
      req.on("end", () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          body,
          signed: typeof req.headers["x-voipbin-signature"] === "string",
          referer: req.headers.referer,
        });
        if (req.url === "/hook" || req.url === "/hook?token=SECRET-REF")
          return res.writeHead(301, { location: "/hook/" }).end();
        if (req.url === "/away") return res.writeHead(307, { location: "http://10.255.255.1/x" }).end();
        if (req.url === "/loop") return res.writeHead(302, { location: "/loop" }).end();
        // each answer alone inside the timeout, the chain of both not
        if (req.url === "/slow")
          return void setTimeout(() => res.writeHead(301, { location: "/slower" }).end(), 300);
        if (req.url === "/slower") return void setTimeout(() => res.writeHead(200).end(), 300);
        res.writeHead(req.method === "POST" ? 200 : 405).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;
    const run = (path: string, recordFile?: string, timeoutMs?: number) =>
      runLoad({
        recordFile,
        ...(timeoutMs ? { timeoutMs } : {}),
        scenarios: weighted("voipbin/outbound-unanswered"),
        targets: { byVendor: new Map(), fallback: { url: `${base}${path}`, secret: "k" } },
        profile: "current",
        rate: constantRate(20, "20/s"),
        arrivals: "constant",
        calls: 2,
        speed: "max",
        seed: 5,
        retrySchedule: [],
      });
    try {
      // a trailing-slash redirect: each request is sent again as a GET without its body
      const moved = await run("/hook");
      const n = moved.requests.delivered;
      expect(n).toBeGreaterThan(3);
      expect(moved.statuses).toEqual({ 405: n });
      // the hops are not requests sent: errors<N% (failed / sent) is not diluted by them
      expect(moved.requests.sent).toBe(n);
      expect(moved.requests.redirects).toBe(n);
      const posts = seen.filter((x) => x.method === "POST");
      const gets = seen.filter((x) => x.method === "GET");
      expect(posts.every((x) => x.url === "/hook" && x.body !== "" && x.signed)).toBe(true);
      expect(
        gets.every((x) => x.url === "/hook/" && x.body === "" && x.signed && x.referer === `${base}/hook`),
      ).toBe(true);
      expect([posts.length, gets.length]).toEqual([n, n]);
      seen.length = 0;

      // a redirect away from loopback is not followed without --allow-remote
      const away = await run("/away");
      expect(away.requests.failed).toBe(away.requests.sent);
      expect(Object.keys(away.errors)).toEqual([
        "a 307 to http://10.255.255.1/x, not a loopback address: a load test follows it only with --allow-remote",
      ]);
      seen.length = 0;

      // current VoIPBIN stops after two redirects
      const loop = await run("/loop");
      expect(Object.keys(loop.errors)).toEqual([
        `stopped after 2 redirects (the last a 302 to ${base}/loop)`,
      ]);
      expect(seen.length).toBe(3 * loop.requests.failed);
      expect(loop.requests.redirects).toBe(2 * loop.requests.failed);
      seen.length = 0;

      // one deadline for the chain, as the vendor's client has
      const slow = await run("/slow", undefined, 450);
      expect(slow.requests.delivered).toBe(0);
      expect(Object.keys(slow.errors)).toEqual(["timeout: no answer within 450ms"]);
      seen.length = 0;

      // the hop's Referer is the first URL: its query secret stays out of the record
      const recordFile = join(mkdtempSync(join(tmpdir(), "pbxsim-redirect-")), "rec.ndjson");
      await run("/hook?token=SECRET-REF", recordFile);
      expect(
        seen.filter((x) => x.method === "GET").every((x) => x.referer === `${base}/hook?token=SECRET-REF`),
      ).toBe(true);
      const rec = readFileSync(recordFile, "utf8");
      expect(rec).not.toContain("SECRET-REF");
      expect(rec).toContain(`"referer":"${base}/hook?token=[redacted]"`);
    } finally {
      rx.close();
    }
  });
});

describe("HTTPS targets", () => {
  const load = (target: string, more: { insecure?: boolean; caFile?: string }) =>
    runLoad({
      scenarios: weighted("enreach/queue-answered"),
      targets: { byVendor: new Map(), fallback: { url: target } },
      rate: constantRate(50, "50/s"),
      arrivals: "constant",
      calls: 2,
      speed: "max",
      seed: 3,
      retrySchedule: [],
      ...more,
    });

  it("verifies the certificate unless --insecure, trusts --ca, and explains a plain-HTTP port", async () => {
    const { cert, key } = await selfSignedCertificate();
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-tls-"));
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, cert);
    const tls = createHttpsServer({ cert, key }, (req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    const plain = createNetServer((sock) => {
      sock.on("error", () => undefined);
      sock.once("data", () => sock.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    });
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    try {
      const base = `https://localhost:${(tls.address() as AddressInfo).port}/enreach`;
      const refused = await load(base, {});
      expect(refused.requests.delivered).toBe(0);
      expect(Object.keys(refused.errors)).toEqual([
        expect.stringMatching(
          /^TLS: the receiver's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
        ),
      ]);
      for (const more of [{ insecure: true }, { caFile: ca }]) {
        const ok = await load(base, more);
        expect(ok.requests.sent).toBeGreaterThan(0);
        expect(ok.requests.delivered).toBe(ok.requests.sent);
      }
      // a --ca that does not vouch for the receiver says so, instead of asking for --ca
      const other = join(dir, "other.pem");
      writeFileSync(other, rootCertificates[0]!);
      const untrusted = await load(base, { caFile: other });
      expect(Object.keys(untrusted.errors)).toEqual([
        `TLS: the receiver's certificate is not trusted, even with --ca ${other} (DEPTH_ZERO_SELF_SIGNED_CERT); that file holds neither the receiver's self-signed certificate nor the CA that signed it`,
      ]);
      // a key, a damaged certificate and a cut one are refused before anything is sent
      const bad = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return load(base, { caFile: join(dir, name) });
      };
      await expect(bad("key.pem", key)).rejects.toThrow(
        /key\.pem: holds a PEM private key, not a certificate/,
      );
      const lines = cert.trim().split("\n");
      const damaged = [...lines.slice(0, 3), "!!!!", ...lines.slice(-1)].join("\n");
      await expect(bad("damaged.pem", damaged)).rejects.toThrow(
        /damaged\.pem: the certificate cannot be read/,
      );
      await expect(bad("cut.pem", lines.slice(0, 5).join("\n"))).rejects.toThrow(
        /cut\.pem: a certificate has no "-----END CERTIFICATE-----" line/,
      );
      const wrong = await load(`https://127.0.0.1:${(plain.address() as AddressInfo).port}/enreach`, {});
      expect(wrong.requests.delivered).toBe(0);
      expect(Object.keys(wrong.errors).join()).toMatch(
        /^TLS handshake failed \(.+\): is the receiver speaking plain HTTP/,
      );
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((r) => tls.close(() => r()));
      await new Promise<void>((r) => plain.close(() => r()));
    }
  }, 30_000);
});

describe("a mix of all five vendors, end to end", () => {
  const MIX = [
    "enreach/queue-answered",
    "voipbin/queue-answered",
    "3cx/inbound-queue-answered",
    "acefone/inbound-ivr-answered",
    "webitel/inbound-queue-answered",
  ];
  const TOKEN = "s3cret-token";
  const SECRET = "whsec-voipbin";
  const mix = (base: string, more: { caFile?: string; shard?: { index: number; count: number } } = {}) =>
    runLoad({
      // VoIPBIN's current generation, the one that signs its bodies
      scenarios: resolveScenarios(MIX, findVendor).map((scenario) => ({
        scenario: scenario.vendor === "voipbin" ? { ...scenario, profiles: ["current"] } : scenario,
        weight: 1,
      })),
      targets: {
        byVendor: new Map<string, TargetSettings[]>(
          VENDORS.map((v) => [
            v.id,
            [
              {
                url: `${base}/${v.id}`,
                secret: v.id === "enreach" ? TOKEN : v.id === "voipbin" ? SECRET : undefined,
              },
            ],
          ]),
        ),
      },
      rate: constantRate(100, "100/s"),
      arrivals: "poisson",
      calls: 25,
      speed: "max",
      seed: 11,
      maxInflight: 16,
      ...more,
    });

  it("the examples' reference receiver (express, tokens and signatures checked) accepts every request", async () => {
    const app = createReferenceReceiver({ enreachToken: TOKEN, voipbinSecret: SECRET });
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const report = await mix(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect(report.requests.sent).toBeGreaterThan(100);
      expectReferenceTookAll(app, report);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);

  it("`pbxsim receive` over HTTPS, trusted with --ca, finds every request valid, authentic and of its vendor", async () => {
    const rx = await serve({ vendors: VENDORS, port: 0, https: true, token: TOKEN, secret: SECRET });
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-mix-"));
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, rx.certPem!);
    try {
      const report = await mix(rx.url.replace("127.0.0.1", "localhost").replace(/\/$/, ""), { caFile: ca });
      expect(report.requests.delivered).toBe(report.requests.sent);
      expect(rx.records).toHaveLength(report.requests.sent);
      for (const r of rx.records) {
        expect({ valid: r.valid, issues: r.issues, auth: r.auth, status: r.status }).toEqual({
          valid: true,
          issues: [],
          auth: r.vendor === "enreach" || r.vendor === "voipbin" ? "ok" : "not-checked",
          status: 200,
        });
        expect(r.path.split("/")[1]).toBe(r.vendor);
      }
    } finally {
      await rx.close();
    }
  }, 60_000);

  it("shards of the mix each send valid traffic, and their calls never share a vendor call id", async () => {
    const shards = [0, 1, 2].map((index) => ({ index, count: 3 }));
    const rxs = await Promise.all(
      shards.map(() => serve({ vendors: VENDORS, port: 0, token: TOKEN, secret: SECRET })),
    );
    try {
      const reports = await Promise.all(
        shards.map((shard, i) => mix(rxs[i]!.url.replace(/\/$/, ""), { shard })),
      );
      const owner = new Map<string, number>();
      for (const [i, rx] of rxs.entries()) {
        expect(rx.records).toHaveLength(reports[i]!.requests.sent);
        for (const r of rx.records) {
          expect({ vendor: r.vendor, valid: r.valid, issues: r.issues, status: r.status }).toEqual({
            vendor: r.path.split("/")[1],
            valid: true,
            issues: [],
            status: 200,
          });
          if (r.callId === undefined) continue;
          const id = `${r.vendor} ${r.callId}`;
          expect({ id, shard: owner.get(id) ?? i }).toEqual({ id, shard: i });
          owner.set(id, i);
        }
      }
      // 3CX numbers its calls; every shard's 3CX calls are there, under call ids of their own
      const threeCx = [...owner.keys()].filter((k) => k.startsWith("3cx "));
      expect(threeCx.length).toBeGreaterThan(3);
      for (const k of threeCx) expect(k).toMatch(/^3cx \d{12}_\d+$/);
    } finally {
      await Promise.all(rxs.map((rx) => rx.close()));
    }
  }, 60_000);
});

describe("ids receivers dedupe on, at load-test scale", () => {
  it("Webitel attempt_id and member_id, Acefone call_id and uuid never repeat, even over thousands of calls started at once", () => {
    const cases = [
      ["webitel/inbound-queue-answered", "attempt_id"],
      ["webitel/inbound-queue-answered", "member_id"],
      ["acefone/inbound-ivr-answered", "call_id"],
    ] as const;
    for (const [scenario, field] of cases) {
      const calls = 8000;
      const { plan } = planFromOptions({
        scenarios: [scenario],
        url: "http://127.0.0.1:9/",
        seed: 3,
        calls,
        concurrency: calls,
      });
      const idOf = new Map<string, string>();
      for (const r of plan.requests) {
        const id = (JSON.parse(r.body) as Record<string, unknown>)[field];
        if (typeof id !== "string") continue;
        expect(idOf.get(r.call) ?? id).toBe(id);
        idOf.set(r.call, id);
      }
      expect(idOf.size).toBe(calls);
      expect(new Set(idOf.values()).size).toBe(calls);
      // Acefone's uuid (PHP uniqid) names one leg: a leg's triggers share it, other calls never do
      if (field !== "call_id") continue;
      const callOf = new Map<string, string>();
      const shared = new Set<string>();
      for (const r of plan.requests) {
        const uuid = (JSON.parse(r.body) as { uuid?: string }).uuid!;
        expect(uuid).toMatch(/^[0-9a-f]{13}$/);
        if ((callOf.get(uuid) ?? r.call) !== r.call) shared.add(uuid);
        callOf.set(uuid, r.call);
      }
      expect(callOf.size).toBeGreaterThan(calls);
      expect([...shared]).toEqual([]);
    }
  });
});

/**
 * The reference receiver answered every request of the run 200 and stored each once (a repeat is
 * counted as a duplicate), and every vendor's events are among them.
 */
function expectReferenceTookAll(app: ReturnType<typeof createReferenceReceiver>, report: LoadReport): void {
  expect(report.statuses).toEqual({ "200": report.requests.sent });
  const stored = app.locals.events as StoredEvent[];
  expect(stored.length + (app.locals.duplicates as number)).toBe(report.requests.sent);
  expect(new Set(stored.map((e) => e.vendor))).toEqual(new Set(VENDORS.map((v) => v.id)));
}

describe("the CLI", () => {
  const BIN = resolve(__dirname, "..", "bin", "pbxsim.js");
  const run = promisify(execFile);
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      timeout: 60_000,
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("the examples' targets file loads the reference receiver with all five vendors, as its comment says", async () => {
    const file = resolve(__dirname, "..", "examples", "reference-receiver", "targets.yaml");
    const text = readFileSync(file, "utf8");
    const doc = parseAllDocuments(text)[0]!.toJS() as {
      enreach: { Webhook: { Secret: string } };
      voipbin: { webhook_secret: string };
    };
    const env = /PORT=8080 ENREACH_TOKEN=(\S+) VOIPBIN_SECRET=(\S+)/.exec(text)!;
    expect([env[1], env[2]]).toEqual([doc.enreach.Webhook.Secret, doc.voipbin.webhook_secret]);
    // the command of the comment, shortened, against the receiver on a free port
    const command = text
      .split("\n")
      .filter((l) => l.startsWith("#  "))
      .map((l) => l.slice(1).trim().replace(/\\$/, ""))
      .join(" ");
    const args = /pbxsim (load .*)/
      .exec(command)![1]!
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => a.replace(/^'(.*)'$/, "$1"));
    expect(args).toContain("--targets");
    const app = createReferenceReceiver({ enreachToken: env[1], voipbinSecret: env[2] });
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-example-targets-"));
    const copy = join(dir, "targets.yaml");
    writeFileSync(
      copy,
      text.replaceAll("127.0.0.1:8080", `127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
    try {
      const at = args.indexOf("--targets");
      args[at + 1] = copy;
      const r = await cli([
        ...args.slice(0, args.indexOf("--rate")),
        ...[
          "--rate",
          "40/s",
          "--calls",
          "60",
          "--speed",
          "max",
          "--seed",
          "2",
          "--report",
          join(dir, "r.json"),
        ],
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/note:.*not sent/);
      const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as LoadReport;
      expectReferenceTookAll(app, report);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);

  it("writes the three report forms and exits 99 when a threshold is breached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-"));
    const r = await cli([
      "load",
      "enreach/queue-answered",
      "--url",
      url,
      "--rate",
      "50/s",
      "--calls",
      "10",
      "--speed",
      "max",
      "--seed",
      "1",
      "--report",
      join(dir, "r.json"),
      "--html",
      join(dir, "r.html"),
      "--stats-file",
      join(dir, "s.ndjson"),
      "--threshold",
      "p99<1ms",
      "--threshold",
      "errors<1%",
    ]);
    expect(r.code).toBe(99);
    expect(r.stdout).toMatch(/threshold FAIL p99<1ms/);
    expect(r.stdout).toMatch(/threshold ok +errors<1%/);
    const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
    expect(report.tool).toBe("pbxsim");
    expect(report.calls.started).toBe(10);
    expect(readFileSync(join(dir, "r.html"), "utf8")).toMatch(/<svg/);
  }, 60_000);

  it("empties its output files only once every flag is good, and never appends to an old run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-out-"));
    const f = (n: string) => join(dir, n);
    const outs = [
      "--report",
      "r.json",
      "--truth",
      "t.ndjson",
      "--record",
      "rec.ndjson",
      "--dead-letter",
      "d.ndjson",
    ];
    const withFiles = outs.map((x) => (x.startsWith("--") ? x : f(x)));
    for (const n of ["r.json", "t.ndjson", "rec.ndjson", "d.ndjson"]) writeFileSync(f(n), "an earlier run\n");
    const base = [
      "load",
      "enreach/queue-answered",
      "--url",
      url,
      "--calls",
      "2",
      "--speed",
      "max",
      "--quiet",
    ];
    // a bad flag, a bad timeout and an unknown scenario each stop the run before any file is touched
    for (const bad of [
      ["--header", "Bad"],
      ["--timeout", "0s"],
      ["--max-calls", "0"],
      ["--profile", "form"],
    ]) {
      const r = await cli([...base, ...withFiles, ...bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^pbxsim: ${bad[0]}`));
    }
    const unknown = await cli([
      ...base.map((x) => (x === "enreach/queue-answered" ? "enreach/nosuch" : x)),
      ...withFiles,
    ]);
    expect(unknown.code).not.toBe(0);
    for (const n of ["r.json", "t.ndjson", "rec.ndjson", "d.ndjson"])
      expect(readFileSync(f(n), "utf8")).toBe("an earlier run\n");
    // a good run replaces them
    const ok = await cli([...base, ...withFiles]);
    expect(ok.code).toBe(0);
    const truth = readFileSync(f("t.ndjson"), "utf8").trim().split("\n");
    expect(truth).toHaveLength(2);
    expect(truth.every((l) => JSON.parse(l).vendor === "enreach")).toBe(true);
    expect(readFileSync(f("rec.ndjson"), "utf8")).not.toContain("an earlier run");
    expect(readFileSync(f("d.ndjson"), "utf8")).toBe("");
    // an output file that cannot be written is named, with no stack trace
    const unwritable = await cli([...base, "--record", join(dir, "no", "such", "dir", "r.ndjson")]);
    expect(unwritable.code).not.toBe(0);
    expect(unwritable.stderr).toMatch(/^pbxsim: --record .*r\.ndjson: cannot write there \(ENOENT\)/);
    expect(unwritable.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("--workers: every worker's snapshots, truth and records land in the one set of files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-workers-"));
    const f = (n: string) => join(dir, n);
    writeFileSync(f("t.ndjson"), "an earlier run\n");
    // the workers' shard reports go to a temporary directory, which the merge leaves behind it
    const temp = mkdtempSync(join(tmpdir(), "pbxsim-load-tmp-"));
    const r = await cli(
      [
        "load",
        "enreach/queue-answered",
        "--url",
        url,
        "--rate",
        "20/s",
        "--duration",
        "2500ms",
        "--speed",
        "100",
        "--seed",
        "4",
        "--workers",
        "2",
        "--quiet",
        "--stats-file",
        f("s.ndjson"),
        "--truth",
        f("t.ndjson"),
        "--record",
        f("rec.ndjson"),
        "--report",
        f("r.json"),
      ],
      { TMPDIR: temp },
    );
    expect(r.code).toBe(0);
    expect(readdirSync(temp)).toEqual([]);
    const lines = (n: string) =>
      readFileSync(f(n), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const report = JSON.parse(readFileSync(f("r.json"), "utf8"));
    expect(new Set(lines("s.ndjson").map((s) => s.shard))).toEqual(new Set(["0/2", "1/2"]));
    const truth = lines("t.ndjson");
    expect(truth).toHaveLength(report.calls.started);
    expect(new Set(truth.map((t) => t.call)).size).toBe(truth.length);
    expect(lines("rec.ndjson")).toHaveLength(report.requests.sent);
  }, 60_000);

  it("--workers: a vendor of the mix with no target is refused once, before any worker starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-notarget-"));
    const targets = join(dir, "targets.yaml");
    writeFileSync(
      targets,
      `enreach:\n  Webhook: { Endpoint: "${url}/enreach" }\n  Subscriptions: [{ EventType: UserStatus, AllEntities: true }]\n`,
    );
    const temp = mkdtempSync(join(tmpdir(), "pbxsim-load-tmp-"));
    const r = await cli(
      [
        "load",
        "enreach/queue-answered",
        "3cx/outbound-answered",
        "--targets",
        targets,
        "--rate",
        "5/s",
      ].concat(["--duration", "1s", "--workers", "2"]),
      { TMPDIR: temp },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'pbxsim: no target for 3cx: give --url, or a --targets file with a "3cx" section.\n',
    );
    expect(readdirSync(temp)).toEqual([]);
  }, 60_000);

  it("--workers: a worker stopped by a story that contradicts itself stops the others, and the merge says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-load-stop-"));
    const story = join(dir, "rare.yaml");
    writeFileSync(
      story,
      [
        "vendor: enreach",
        "name: rare",
        "description: one call in two hundred answers after its agent missed",
        "steps:",
        "  - arrive: {}",
        "  - offer: {}",
        "  - branch:",
        "      - weight: 199",
        "        steps: [answer: {}]",
        "      - weight: 1",
        "        steps: [miss: {}, answer: {}]",
        "  - hangup: { by: caller }",
        "",
      ].join("\n"),
    );
    const report = join(dir, "r.json");
    // with seed 1, one worker meets the contradiction about 3 s in and the other not in its 20 s
    const r = await cli([
      "load",
      story,
      "--url",
      url,
      "--rate",
      "20/s",
      "--duration",
      "20s",
      "--speed",
      "max",
      "--seed",
      "1",
      "--workers",
      "2",
      "--quiet",
      "--report",
      report,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rare\.yaml:11: answer needs a ringing agent/);
    expect(r.stderr.match(/answer needs a ringing agent/g)).toHaveLength(1);
    const merged = JSON.parse(readFileSync(report, "utf8")) as LoadReport;
    expect(merged.stopped?.message).toMatch(/rare\.yaml:11/);
    // the worker that met nothing was stopped, not left to play its whole duration
    expect(merged.elapsedMs).toBeLessThan(15_000);
  }, 60_000);

  it("refuses a remote target without --allow-remote", async () => {
    const r = await cli([
      "load",
      "enreach/queue-answered",
      "--url",
      "https://crm.example.com/hook",
      "--rate",
      "1/s",
      "--calls",
      "1",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a loopback address.*--allow-remote/);
  });

  it("shards across processes and merges the reports exactly; --workers does the same on one machine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-shards-"));
    const args = [
      "load",
      "enreach/outbound-answered",
      "--url",
      url,
      "--rate",
      "40/s",
      "--calls",
      "20",
      "--speed",
      "max",
      "--seed",
      "9",
      "--arrivals",
      "constant",
      "--quiet",
    ];
    const [a, b] = await Promise.all([
      cli([...args, "--shard", "0/2", "--report", join(dir, "a.json")]),
      cli([...args, "--shard", "1/2", "--report", join(dir, "b.json")]),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ra = JSON.parse(readFileSync(join(dir, "a.json"), "utf8"));
    const rb = JSON.parse(readFileSync(join(dir, "b.json"), "utf8"));
    expect(ra.calls.started + rb.calls.started).toBe(20);
    /** `report merge` of files in the test's directory, into `out` there when given. */
    const merge = (files: string[], out?: string) =>
      cli(["report", "merge", ...files.map((f) => join(dir, f)), ...(out ? ["--out", join(dir, out)] : [])]);
    const m = await merge(["a.json", "b.json"], "m.json");
    expect(m.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, "m.json"), "utf8"));
    expect(merged.calls.started).toBe(20);
    expect(merged.requests.sent).toBe(ra.requests.sent + rb.requests.sent);
    expect(merged.latency.corrected.count).toBe(ra.latency.corrected.count + rb.latency.corrected.count);
    expect(merged.config.shards).toEqual([
      { index: 0, count: 2, seed: 9 },
      { index: 1, count: 2, seed: 9 },
    ]);
    // a pattern no shell expanded (quoted, or a Kubernetes args: list) is expanded as a shell would
    mkdirSync(join(dir, "quoted"));
    for (const f of ["a.json", "b.json"]) copyFileSync(join(dir, f), join(dir, "quoted", `shard-${f}`));
    const quoted = await cli(["report", "merge", join(dir, "quoted", "shard-*.json"), "--json"]);
    expect(quoted.code).toBe(0);
    expect(JSON.parse(quoted.stdout).requests).toEqual(merged.requests);
    const none = await cli(["report", "merge", join(dir, "quoted", "pod-*.json")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/pod-\*\.json: no report matches this pattern/);
    // --report, the name load gives the same file, writes it too
    const named = await cli([
      "report",
      "merge",
      join(dir, "a.json"),
      join(dir, "b.json"),
      "--report",
      join(dir, "n.json"),
    ]);
    expect(named.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "n.json"), "utf8")).requests).toEqual(merged.requests);
    // a glob that also catches the merged report would count every shard twice: refused
    const twice = await merge(["a.json", "b.json", "m.json"]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/a\.json and .*m\.json both hold shard 0\/2 of the run with seed 9/);
    // an output that cannot be written is a clear message, not an internal error
    for (const flag of ["--out", "--html"]) {
      const bad = await cli(["report", "merge", join(dir, "a.json"), flag, join(dir, "no", "such", "dir.x")]);
      expect(bad.code).toBe(5);
      expect(bad.stderr).toMatch(new RegExp(`${flag} .*dir\\.x: cannot write there \\(ENOENT\\)`));
    }
    // --out may name one of the shards it merges: read before it is written
    const self = await merge(["a.json"], "a.json");
    expect(self.code).toBe(0);
    expect(self.stderr).toContain("report merge: shard 1/2 of the run is missing");
    expect(m.stderr).not.toContain("report merge:");
    expect(JSON.parse(readFileSync(join(dir, "a.json"), "utf8")).requests).toEqual(ra.requests);
    const w = await cli([
      ...args.filter((x) => x !== "--quiet"),
      "--workers",
      "2",
      "--report",
      join(dir, "w.json"),
    ]);
    expect(w.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "w.json"), "utf8")).calls.started).toBe(20);
    // two pods of an Indexed Job, each with two workers: each worker a shard of its own, the
    // pods' reports merging to the whole run
    const pods = await Promise.all(
      [0, 1].map((i) =>
        cli([...args, "--workers", "2", "--report", join(dir, `pod-${i}.json`)], {
          JOB_COMPLETION_INDEX: String(i),
          JOB_COMPLETIONS: "2",
        }),
      ),
    );
    expect(pods.map((p) => p.code)).toEqual([0, 0]);
    const pod1 = JSON.parse(readFileSync(join(dir, "pod-1.json"), "utf8"));
    expect(pod1.config.shards).toEqual([
      { index: 1, count: 4, seed: 9 },
      { index: 3, count: 4, seed: 9 },
    ]);
    const all = await merge(["pod-0.json", "pod-1.json"], "pods.json");
    expect(all.code).toBe(0);
    const whole = JSON.parse(readFileSync(join(dir, "pods.json"), "utf8"));
    expect(whole.calls.started).toBe(20);
    expect(whole.config.shards.map((x: { index: number }) => x.index).sort()).toEqual([0, 1, 2, 3]);
    // a pod that knows its index but not the Job's size would run the whole load: refused
    const lone = await cli(args, { JOB_COMPLETION_INDEX: "1" });
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/JOB_COMPLETION_INDEX=1 is set .* but JOB_COMPLETIONS is not/);
    const size = await cli(args, { JOB_COMPLETIONS: "2" });
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/JOB_COMPLETIONS=2 is set but JOB_COMPLETION_INDEX is not/);
    const outOf = await cli(args, { JOB_COMPLETION_INDEX: "2", JOB_COMPLETIONS: "2" });
    expect(outOf.code).toBe(2);
    expect(outOf.stderr).toMatch(/JOB_COMPLETION_INDEX=2 and JOB_COMPLETIONS=2: the index must be/);
  }, 90_000);

  it("the Kubernetes example's pods run as written, each a shard, and their reports merge to the whole run", async () => {
    const docs = parseAllDocuments(
      readFileSync(resolve(__dirname, "..", "examples", "k8s", "pbxsim-load-indexed-job.yaml"), "utf8"),
    ).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
    const job = docs.find((d) => d.kind === "Job")!.spec as {
      completionMode: string;
      completions: number;
      parallelism: number;
      template: {
        spec: { containers: { image: string; args: string[]; env: { name: string; value: string }[] }[] };
      };
    };
    expect(job.completionMode).toBe("Indexed");
    const container = job.template.spec.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    // the Job's size is given to pbxsim as Kubernetes does not: the two must agree
    expect(Number(env.JOB_COMPLETIONS)).toBe(job.completions);
    expect(job.parallelism).toBe(job.completions);
    expect(container.args[0]).toBe("load");
    // the args as written, with this test's receiver, a short length and a place for the reports
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-k8s-"));
    const given = { "--url": url, "--duration": "1s", "--speed": "max" } as Record<string, string>;
    const args = (index: number) =>
      container.args.map((a, i) => {
        const flag = container.args[i - 1]!;
        if (flag in given) return given[flag]!;
        // Kubernetes expands $(VAR) in args from the container's environment
        if (flag === "--report")
          return a.replace("/reports", dir).replace("$(JOB_COMPLETION_INDEX)", String(index));
        return a;
      });
    const pods = await Promise.all(
      Array.from({ length: job.completions }, (_, i) =>
        cli(args(i), { ...env, JOB_COMPLETION_INDEX: String(i) }),
      ),
    );
    expect(pods.map((p) => p.code)).toEqual(pods.map(() => 0));
    const reports = readdirSync(dir).filter((f) => /^report-\d+\.json$/.test(f));
    expect(reports).toHaveLength(job.completions);
    const merged = await cli([
      "report",
      "merge",
      ...reports.map((f) => join(dir, f)),
      "--out",
      join(dir, "all.json"),
    ]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).not.toContain("report merge:");
    const all = JSON.parse(readFileSync(join(dir, "all.json"), "utf8")) as LoadReport;
    expect(all.config.shards!.map((x) => x.index).sort()).toEqual([0, 1, 2, 3]);
    expect(all.requests.failed).toBe(0);
    // the run's rate, shared out: about 80 calls in its one second, Poisson
    expect(all.calls.started).toBeGreaterThan(40);
    expect(all.calls.started).toBeLessThan(130);
  }, 90_000);
});

/**
 * Load-generator benchmark: pbxsim's sender against autocannon (and wrk when installed), side by
 * side, against the same minimal loopback receiver (bench/receiver.mjs, its own process).
 *
 * Run after `npm run build` (it measures the compiled library in dist/):
 *
 *   node --expose-gc -e "import('vite').then((v) => v.runnerImport('./bench/bench.ts'))"
 *
 * (Node 20 has no --experimental-strip-types; vite, installed with vitest, runs the TypeScript.)
 *
 * Settings (environment):
 *   BENCH_SECONDS=5         length of each throughput and rate run
 *   BENCH_ROUNDS=5          rounds of the throughput runs (every sender once per round)
 *   BENCH_SOAK_MS=60000     length of the memory run (600000 for the 10-minute soak; 0 skips it)
 *   BENCH_SOAK_RATE=2000    requests/s of the memory run
 *   BENCH_CONNECTIONS=10    connections (autocannon, wrk) and requests in flight (pbxsim)
 *   BENCH_PIPELINING=10     requests per connection in the pipelined pair (1 skips it)
 *
 * It measures: (a) autocannon's requests/s and CPU time per request, (b) pbxsim's at a rate beyond
 * saturation, and its HTTP client alone on pre-built requests, (c) pbxsim's rate accuracy and scheduling lag at 200 and 2,000 requests/s, (d) memory
 * at the start and end of a longer run. It prints numbers; it never fails because they are slow.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

type Lib = typeof import("../dist/index.js");
type LoadReport = import("../dist/index.js").LoadReport;
type PlannedRequest = import("../dist/index.js").PlannedRequest;
type Scenario = import("../dist/index.js").Scenario;

// ---- settings -----------------------------------------------------------------------------------

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== "" && Number.isFinite(v) && v >= 0 ? v : fallback;
}

const SECONDS = Math.max(0.5, envNumber("BENCH_SECONDS", 5));
const ROUNDS = Math.max(1, Math.round(envNumber("BENCH_ROUNDS", 5)));
const SOAK_MS = envNumber("BENCH_SOAK_MS", 60_000);
const SOAK_RATE = Math.max(1, envNumber("BENCH_SOAK_RATE", 2000));
const CONNECTIONS = Math.max(1, Math.round(envNumber("BENCH_CONNECTIONS", 10)));
const PIPELINING = Math.max(1, Math.round(envNumber("BENCH_PIPELINING", 10)));
/** --speed of the spread rate-accuracy runs: a three-minute call lasts about two seconds. */
const SPREAD_SPEED = 100;
const WARMUP_SECONDS = Math.min(1, SECONDS);
const SCENARIO = "enreach/queue-answered";
const BODY_BYTES = 650;

// ---- helpers ------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);
/** The compiled library is imported natively, so what is measured is exactly what users run. */
const nativeImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** CPU time (ms) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    return Number.isFinite(ticks) ? ticks * 10 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function memory(): { rss: number; heap: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

// ---- the receiver -------------------------------------------------------------------------------

interface Receiver {
  url: string;
  pid: number | undefined;
  stop(): void;
}

async function startReceiver(): Promise<Receiver> {
  const script = fileURLToPath(new URL("./receiver.mjs", import.meta.url));
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [script], { stdio: "pipe" });
  child.stderr.pipe(process.stderr);
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      try {
        resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port);
      } catch (e) {
        reject(e as Error);
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the receiver exited (${code}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/webhooks/enreach`,
    pid: child.pid,
    stop() {
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

// ---- measurements -------------------------------------------------------------------------------

interface Measured {
  name: string;
  requests: number;
  seconds: number;
  /** Client CPU time, µs. */
  cpuUs: number | undefined;
  /** Receiver CPU busy fraction over the run (1 = one core). */
  receiverBusy: number | undefined;
  p50?: number;
  p99?: number;
  note?: string;
}

/** The runs of one sender added up; latencies and the note are those of its median-throughput run. */
function total(runs: Measured[]): Measured {
  const byRate = [...runs].sort((a, b) => a.requests / a.seconds - b.requests / b.seconds);
  const mid = byRate[Math.floor((byRate.length - 1) / 2)]!;
  const sum = (f: (m: Measured) => number | undefined) =>
    runs.every((m) => f(m) !== undefined) ? runs.reduce((n, m) => n + f(m)!, 0) : undefined;
  const seconds = sum((m) => m.seconds) ?? 0;
  const busy = sum((m) => (m.receiverBusy === undefined ? undefined : m.receiverBusy * m.seconds));
  return {
    name: mid.name,
    requests: sum((m) => m.requests) ?? 0,
    seconds,
    cpuUs: sum((m) => m.cpuUs),
    receiverBusy: busy === undefined || seconds === 0 ? undefined : busy / seconds,
    ...(mid.p50 !== undefined ? { p50: mid.p50 } : {}),
    ...(mid.p99 !== undefined ? { p99: mid.p99 } : {}),
    ...(mid.note !== undefined ? { note: mid.note } : {}),
  };
}

/** A sender's throughput and CPU time per request as multiples of a reference's. */
function ratios(p: Measured, ref: Measured): { throughput: number; cpu: number | undefined } {
  return {
    throughput: p.requests / p.seconds / (ref.requests / ref.seconds),
    cpu:
      p.cpuUs !== undefined && ref.cpuUs !== undefined && p.requests && ref.requests
        ? p.cpuUs / p.requests / (ref.cpuUs / ref.requests)
        : undefined,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function measure<T>(
  receiver: Receiver,
  run: () => Promise<T>,
): Promise<{ value: T; cpuUs: number; wallMs: number; receiverBusy: number | undefined }> {
  const r0 = processCpuMs(receiver.pid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r1 = processCpuMs(receiver.pid);
  return {
    value,
    cpuUs: c.user + c.system,
    wallMs,
    receiverBusy: r0 !== undefined && r1 !== undefined ? (r1 - r0) / wallMs : undefined,
  };
}

function autocannonRun(
  url: string,
  body: string,
  headers: Record<string, string>,
  seconds: number,
  pipelining: number,
) {
  const autocannon = require("autocannon") as Autocannon;
  return autocannon({
    url,
    method: "POST",
    body,
    headers,
    connections: CONNECTIONS,
    pipelining,
    duration: seconds,
  });
}

async function benchAutocannon(
  receiver: Receiver,
  body: string,
  headers: Record<string, string>,
  pipelining = 1,
): Promise<Measured> {
  await autocannonRun(receiver.url, body, headers, WARMUP_SECONDS, pipelining);
  const m = await measure(receiver, () => autocannonRun(receiver.url, body, headers, SECONDS, pipelining));
  const r = m.value;
  const bad = r.errors + r.non2xx;
  return {
    name: pipelining > 1 ? `autocannon -p ${pipelining}` : "autocannon",
    requests: r.requests.total,
    seconds: m.wallMs / 1000,
    cpuUs: m.cpuUs,
    receiverBusy: m.receiverBusy,
    p50: r.latency.p50,
    p99: r.latency.p99,
    note: `latency in whole ms${bad ? `, ${bad} errors/non-2xx` : ""}`,
  };
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

async function benchWrk(
  receiver: Receiver,
  body: string,
  headers: Record<string, string>,
): Promise<Measured | undefined> {
  if (!which("wrk")) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "pbxsim-bench-"));
  try {
    const script = join(dir, "post.lua");
    const hdrs = Object.entries(headers)
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join("\n");
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = [==[${body}]==]\n${hdrs}\n`);
    const seconds = Math.max(1, Math.round(SECONDS));
    const cmd = `TIMEFORMAT='%U %S'; time wrk -t1 -c${CONNECTIONS} -d${seconds}s --latency -s '${script}' '${receiver.url}'`;
    const r0 = processCpuMs(receiver.pid);
    const t0 = performance.now();
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", cmd]);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", () => resolve({ stdout, stderr }));
      child.on("error", () => resolve({ stdout, stderr }));
    });
    const wallMs = performance.now() - t0;
    const r1 = processCpuMs(receiver.pid);
    const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(out.stdout);
    if (!total)
      return {
        name: "wrk",
        requests: 0,
        seconds: 0,
        cpuUs: undefined,
        receiverBusy: undefined,
        note: "no result",
      };
    const secs = Number(total[2]) / (total[3] === "ms" ? 1000 : 1);
    const times = /([\d.]+) ([\d.]+)\s*$/.exec(out.stderr);
    const ms = (re: RegExp) => {
      const m = re.exec(out.stdout);
      if (!m) return undefined;
      const unit = m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1;
      return Number(m[1]) * unit;
    };
    return {
      name: "wrk",
      requests: Number(total[1]),
      seconds: secs,
      cpuUs: times ? (Number(times[1]) + Number(times[2])) * 1e6 : undefined,
      receiverBusy: r0 !== undefined && r1 !== undefined ? (r1 - r0) / wallMs : undefined,
      p50: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
      p99: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LoadRun {
  callsPerSec: number;
  durationMs: number;
  arrivals: "poisson" | "constant";
  maxCalls?: number;
  maxInflight?: number;
  pipelining?: number;
  speed?: number | "max";
  onSnapshot?: () => void;
}

function pbxsimLoad(lib: Lib, scenario: Scenario, url: string, run: LoadRun): Promise<LoadReport> {
  return lib.runLoad({
    scenarios: [{ scenario, weight: 1 }],
    targets: { byVendor: new Map(), fallback: { url } },
    rate: lib.constantRate(run.callsPerSec, `${fmt(run.callsPerSec, 2)}/s`),
    arrivals: run.arrivals,
    durationMs: run.durationMs,
    speed: run.speed ?? "max",
    maxInflight: run.maxInflight ?? CONNECTIONS,
    ...(run.pipelining ? { pipelining: run.pipelining } : {}),
    seed: 1,
    ...(run.maxCalls !== undefined ? { maxCalls: run.maxCalls } : {}),
    ...(run.onSnapshot ? { onSnapshot: run.onSnapshot, snapshotMs: 1000 } : {}),
  });
}

/** pbxsim's load runner, offered more calls than the receiver can take (bounded active calls). */
async function benchRunLoad(
  lib: Lib,
  scenario: Scenario,
  receiver: Receiver,
  perCall: number,
  ceilingRps: number,
  pipelining = 1,
): Promise<Measured> {
  const callsPerSec = (2 * ceilingRps) / perCall;
  const run = (seconds: number) =>
    pbxsimLoad(lib, scenario, receiver.url, {
      callsPerSec,
      durationMs: seconds * 1000,
      arrivals: "constant",
      maxCalls: Math.max(20, 4 * CONNECTIONS * pipelining),
      // the same connections as autocannon, each carrying `pipelining` requests
      maxInflight: CONNECTIONS * pipelining,
      pipelining,
    });
  await run(WARMUP_SECONDS);
  const m = await measure(receiver, () => run(SECONDS));
  const r = m.value;
  const bad = r.requests.failed + (r.statuses.error ?? 0);
  return {
    name: pipelining > 1 ? `pbxsim load --pipelining ${pipelining}` : "pbxsim load",
    requests: r.requests.sent,
    seconds: r.elapsedMs / 1000,
    cpuUs: m.cpuUs,
    receiverBusy: m.receiverBusy,
    p50: r.latency.service.p50,
    p99: r.latency.service.p99,
    note: `offered ${fmt(callsPerSec)} calls/s${bad ? `, ${bad} failed` : ""}`,
  };
}

/** A table row of a closed-loop run that counted the requests it sent. */
function countedRow(
  name: string,
  m: { value: number; wallMs: number; cpuUs: number; receiverBusy: number | undefined },
  rest: Pick<Measured, "note" | "p50" | "p99">,
): Measured {
  return {
    name,
    requests: m.value,
    seconds: m.wallMs / 1000,
    cpuUs: m.cpuUs,
    receiverBusy: m.receiverBusy,
    ...rest,
  };
}

type Wire = typeof import("../dist/load/wire.js");

/**
 * pbxsim's load client alone: the requests of pre-built calls, encoded once, sent in a closed loop
 * on the same connections (each answer sends the next request). What `load` costs beyond this is
 * building the calls, scheduling them and the statistics.
 */
async function benchWire(
  wire: Wire,
  requests: readonly PlannedRequest[],
  receiver: Receiver,
): Promise<Measured> {
  const url = new URL(receiver.url);
  const encoded = requests.map((r) =>
    wire.encodeRequest(r.method, `${url.pathname}${url.search}`, url.host, r.headers, r.body),
  );
  let failed = 0;
  const play = (seconds: number) =>
    new Promise<number>((resolve) => {
      const pool = new wire.WirePool({ connections: CONNECTIONS, pipelining: 1 });
      const endpoint = pool.endpoint(url, false);
      const until = performance.now() + seconds * 1000;
      let sent = 0;
      let open = 0;
      const next = () => {
        if (performance.now() >= until) {
          if (--open === 0) {
            pool.close();
            resolve(sent);
          }
          return;
        }
        const job = {
          wire: encoded[sent++ % encoded.length]!,
          head: false,
          done: false,
          conn: null,
          answered(status: number) {
            this.done = true;
            if (status >= 300) failed++;
            next();
          },
          failed() {
            this.done = true;
            failed++;
            next();
          },
        };
        endpoint.send(job);
      };
      for (let i = 0; i < CONNECTIONS; i++) {
        open++;
        next();
      }
    });
  await play(WARMUP_SECONDS);
  failed = 0;
  const m = await measure(receiver, () => play(SECONDS));
  return countedRow("pbxsim load's client alone", m, {
    note: `${fmt(requests.length)} pre-built requests, closed loop${failed ? `, ${failed} failed` : ""}`,
  });
}

/** pbxsim's delivery engine replaying a pre-planned list of requests as fast as it can. */
async function benchEngine(
  lib: Lib,
  requests: readonly PlannedRequest[],
  receiver: Receiver,
): Promise<Measured> {
  const latencies: number[] = [];
  let failed = 0;
  const play = async (seconds: number, keep: boolean) => {
    const engine = new lib.DeliveryEngine({ speed: "max", maxInflight: CONNECTIONS });
    let sent = 0;
    const t0 = performance.now();
    try {
      while (performance.now() - t0 < seconds * 1000) {
        const results = await engine.run(requests);
        for (const res of results) {
          for (const a of res.attempts) {
            sent++;
            if (keep) latencies.push(a.latencyMs);
          }
          if (keep && res.outcome !== "delivered") failed++;
        }
      }
    } finally {
      await engine.close();
    }
    return sent;
  };
  await play(WARMUP_SECONDS, false);
  const m = await measure(receiver, () => play(SECONDS, true));
  latencies.sort((a, b) => a - b);
  return countedRow("pbxsim DeliveryEngine", m, {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    note: `batches of ${requests.length}${failed ? `, ${failed} failed` : ""}`,
  });
}

// ---- main ---------------------------------------------------------------------------------------

const distUrl = new URL("../dist/index.js", import.meta.url).href;
let lib: Lib;
try {
  lib = (await nativeImport(distUrl)) as Lib;
} catch (e) {
  console.error(
    `Cannot import ${fileURLToPath(distUrl)}: ${(e as Error).message}\nRun \`npm run build\` first.`,
  );
  process.exit(1);
}
const hasRunLoad = typeof (lib as Partial<Lib>).runLoad === "function";

const receiver = await startReceiver();
const stopReceiver = () => receiver.stop();
process.once("exit", stopReceiver);

try {
  const [scenario] = lib.resolveScenarios([SCENARIO], lib.findVendor);
  if (!scenario) throw new Error(`scenario ${SCENARIO} not found`);
  const targets = { byVendor: new Map(), fallback: { url: receiver.url } };
  const plan = lib.planRun({
    scenarios: [scenario],
    targets,
    seed: 1,
    start: lib.SEEDED_START,
    calls: 400,
    concurrency: 400,
  });
  const perCall = plan.requests.length / 400;
  const avgBody = plan.requests.reduce((n, r) => n + Buffer.byteLength(r.body), 0) / plan.requests.length;
  // autocannon and wrk send one real request of the scenario, of about the average size (~650 bytes)
  const size = Math.round(avgBody) || BODY_BYTES;
  const sample = [...plan.requests].sort(
    (a, b) => Math.abs(Buffer.byteLength(a.body) - size) - Math.abs(Buffer.byteLength(b.body) - size),
  )[0]!;
  const headers = { ...sample.headers };

  const cpu = cpus();
  console.log(`pbxsim load benchmark — node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? "cpu"}`);
  console.log(
    `receiver ${receiver.url} (separate process); ${CONNECTIONS} connections; ${SECONDS}s per run after ${WARMUP_SECONDS}s warm-up`,
  );
  console.log(
    `autocannon/wrk body: ${Buffer.byteLength(sample.body)} bytes (${sample.event}); pbxsim ${SCENARIO}: ${fmt(perCall, 1)} requests/call, ${fmt(avgBody)} bytes on average`,
  );
  console.log(
    `runLoad ${hasRunLoad ? "found" : "not in dist/ (measuring DeliveryEngine only)"}; gc ${typeof (globalThis as { gc?: unknown }).gc === "function" ? "exposed" : "not exposed (pass --expose-gc)"}\n`,
  );

  // (a), (b) throughput and CPU per request, in rounds: each round runs every sender once, back
  // to back, and autocannon twice, before and after pbxsim's runs, so a pair's ratio compares
  // runs seconds apart and against the reference on both sides of them: a change of the host's
  // speed within a round moves both. The median of the rounds' ratios is the figure that the
  // drift over minutes moves least.
  const rounds: Map<string, Measured>[] = [];
  const order: string[] = [];
  const keep = (round: Map<string, Measured>, m: Measured) => {
    round.set(m.name, m);
    if (!order.includes(m.name)) order.push(m.name);
  };
  const wire = hasRunLoad
    ? ((await nativeImport(new URL("../dist/load/wire.js", import.meta.url).href)) as Wire)
    : undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const round = new Map<string, Measured>();
    rounds.push(round);
    const ac = await benchAutocannon(receiver, sample.body, headers);
    const wrk = await benchWrk(receiver, sample.body, headers);
    if (wrk) keep(round, wrk);
    const ceiling = ac.requests / Math.max(ac.seconds, 1e-9) || 20_000;
    if (hasRunLoad) {
      try {
        keep(round, await benchRunLoad(lib, scenario, receiver, perCall, ceiling));
      } catch (e) {
        console.log(`runLoad failed: ${(e as Error).message}`);
      }
      keep(round, await benchWire(wire!, plan.requests, receiver));
    }
    // far from the others' speed: its spread between rounds does not matter, one run is enough
    if (i === 0) keep(round, await benchEngine(lib, plan.requests, receiver));
    // the reference again, after pbxsim's runs: the round's autocannon is both runs together
    const acAfter = await benchAutocannon(receiver, sample.body, headers);
    keep(round, total([ac, acAfter]));
    // how far the host moved within the round
    const rate = (m: Measured) => fmt(m.requests / Math.max(m.seconds, 1e-9));
    console.log(`round ${i + 1}: autocannon ${rate(ac)} req/s before pbxsim's runs, ${rate(acAfter)} after`);
    // the same pair again with HTTP/1.1 pipelining on the same connections
    if (PIPELINING > 1) {
      const acPiped = await benchAutocannon(receiver, sample.body, headers, PIPELINING);
      if (hasRunLoad) {
        try {
          const ceilingPiped = acPiped.requests / Math.max(acPiped.seconds, 1e-9) || 20_000;
          keep(round, await benchRunLoad(lib, scenario, receiver, perCall, ceilingPiped, PIPELINING));
        } catch (e) {
          console.log(`runLoad with pipelining failed: ${(e as Error).message}`);
        }
      }
      keep(round, total([acPiped, await benchAutocannon(receiver, sample.body, headers, PIPELINING)]));
    }
  }

  console.log(
    `Throughput (as fast as the receiver answers; ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}, totals)`,
  );
  // each reference above the senders compared with it (autocannon is kept last in a round)
  const rank = (name: string) =>
    name === "autocannon"
      ? 0
      : name === "wrk"
        ? 0.25
        : name.startsWith("autocannon -p")
          ? 1
          : name.includes("--pipelining")
            ? 2
            : 0.5;
  const rows = [...order].sort((a, b) => rank(a) - rank(b));
  const totals = rows.map((name) => total(rounds.flatMap((r) => r.get(name) ?? [])));
  console.log(
    table(
      ["sender", "requests", "req/s", "CPU µs/req", "client CPU", "receiver CPU", "p50 ms", "p99 ms", "note"],
      totals.map((r) => [
        r.name,
        fmt(r.requests),
        fmt(r.requests / r.seconds),
        r.cpuUs !== undefined && r.requests ? fmt(r.cpuUs / r.requests, 1) : "–",
        r.cpuUs !== undefined ? `${fmt((r.cpuUs / 1e6 / r.seconds) * 100)}%` : "–",
        r.receiverBusy !== undefined ? `${fmt(r.receiverBusy * 100)}%` : "–",
        fmt(r.p50, 3),
        fmt(r.p99, 3),
        r.note ?? "",
      ]),
    ),
  );
  console.log("");
  const autocannon = "autocannon";
  const piped = `autocannon -p ${PIPELINING}`;
  for (const [name, ref] of [
    ["pbxsim load", autocannon],
    ["pbxsim load's client alone", autocannon],
    ["pbxsim DeliveryEngine", autocannon],
    [`pbxsim load --pipelining ${PIPELINING}`, piped],
  ] as const) {
    const pairs = rounds.flatMap((r) => {
      const p = r.get(name);
      const q = r.get(ref);
      return p && q ? [ratios(p, q)] : [];
    });
    if (!pairs.length) continue;
    const thr = pairs.map((x) => x.throughput);
    const cpuRatios = pairs.flatMap((x) => (x.cpu === undefined ? [] : [x.cpu]));
    const each = (xs: number[]) =>
      xs.length > 1 ? ` (rounds ${xs.map((x) => `×${fmt(x, 2)}`).join(", ")})` : "";
    console.log(
      `${name} / ${ref}: throughput ×${fmt(median(thr), 2)}${each(thr)}, CPU per request ×${fmt(cpuRatios.length ? median(cpuRatios) : undefined, 2)}${each(cpuRatios)}`,
    );
  }

  // (c) rate accuracy
  if (hasRunLoad) {
    console.log(
      `\nRate accuracy (constant arrivals, whole calls of the scenario; at --speed max a call's ${fmt(perCall)} requests fall due at one instant, at --speed ${SPREAD_SPEED} they spread over the call)`,
    );
    const accRows: string[][] = [];
    for (const speed of ["max", SPREAD_SPEED] as const)
      for (const rps of [200, 2000]) {
        const callsPerSec = rps / perCall;
        const accuracyRun = (seconds: number) =>
          pbxsimLoad(lib, scenario, receiver.url, {
            callsPerSec,
            durationMs: seconds * 1000,
            arrivals: "constant",
            speed,
            maxInflight: 256,
          });
        await accuracyRun(WARMUP_SECONDS);
        const m = await measure(receiver, () => accuracyRun(SECONDS));
        const r = m.value;
        // the requests of the calls that arrived in the window, per second of the window
        const windowSecs = Math.min(r.elapsedMs, SECONDS * 1000) / 1000;
        const inWindow = r.requests.sent - r.requests.retried;
        accRows.push([
          `${fmt(rps)} req/s`,
          String(speed),
          `${fmt(r.rates.targetCallsPerSec, 2)}/s`,
          `${fmt(r.rates.achievedCallsPerSec, 2)}/s`,
          r.rates.targetCallsPerSec > 0
            ? `${fmt((r.rates.achievedCallsPerSec / r.rates.targetCallsPerSec) * 100, 1)}%`
            : "–",
          fmt(inWindow / windowSecs),
          fmt(r.lag.p50, 3),
          fmt(r.lag.p99, 3),
          fmt(r.lag.max, 3),
          fmt(r.requests.late),
          fmt(r.latency.corrected.p99, 3),
          `${fmt((m.cpuUs / 1e6 / (m.wallMs / 1000)) * 100)}%`,
          r.requests.sent ? fmt(m.cpuUs / r.requests.sent, 1) : "–",
        ]);
      }
    console.log(
      table(
        [
          "target",
          "speed",
          "calls target",
          "achieved",
          "ratio",
          "req/s",
          "lag p50 ms",
          "lag p99 ms",
          "lag max ms",
          "late",
          "p99 ms",
          "CPU",
          "CPU µs/req",
        ],
        accRows,
      ),
    );
  }

  // (d) memory over a longer run
  if (SOAK_MS > 0) {
    console.log(`\nMemory over ${fmt(SOAK_MS / 1000)}s at ${fmt(SOAK_RATE)} requests/s`);
    gc();
    const start = memory();
    let peak = { ...start };
    const samples: { t: number; rss: number; heap: number }[] = [];
    const t0 = performance.now();
    const sampleMemory = () => {
      const m = memory();
      peak = { rss: Math.max(peak.rss, m.rss), heap: Math.max(peak.heap, m.heap) };
      samples.push({ t: performance.now() - t0, ...m });
    };
    let sent: number;
    let note: string;
    if (hasRunLoad) {
      const r = await pbxsimLoad(lib, scenario, receiver.url, {
        callsPerSec: SOAK_RATE / perCall,
        durationMs: SOAK_MS,
        arrivals: "poisson",
        onSnapshot: sampleMemory,
      });
      sent = r.requests.sent;
      note = `runLoad: ${fmt(r.rates.achievedCallsPerSec, 2)} of ${fmt(r.rates.targetCallsPerSec, 2)} calls/s, lag p99 ${fmt(r.lag.p99, 3)} ms, ${fmt(r.requests.failed)} failed`;
    } else {
      const engine = new lib.DeliveryEngine({ speed: "max", maxInflight: CONNECTIONS });
      sent = 0;
      const timer = setInterval(sampleMemory, 1000);
      try {
        while (performance.now() - t0 < SOAK_MS) sent += (await engine.run(plan.requests)).length;
      } finally {
        clearInterval(timer);
        await engine.close();
      }
      note = "DeliveryEngine as fast as possible";
    }
    sampleMemory();
    const endBeforeGc = memory();
    gc();
    const end = memory();
    const quarter = (from: number, to: number) => {
      const s = samples.filter((x) => x.t >= from * SOAK_MS && x.t < to * SOAK_MS);
      return s.length ? s.reduce((n, x) => n + x.heap, 0) / s.length : undefined;
    };
    const q1 = quarter(0, 0.25);
    const q4 = quarter(0.75, 1.01);
    console.log(
      table(
        ["", "RSS", "heap used"],
        [
          ["start (after gc)", mb(start.rss), mb(start.heap)],
          ["peak", mb(peak.rss), mb(peak.heap)],
          ["end", mb(endBeforeGc.rss), mb(endBeforeGc.heap)],
          ["end (after gc)", mb(end.rss), mb(end.heap)],
          ["first quarter (mean)", "", q1 !== undefined ? mb(q1) : "–"],
          ["last quarter (mean)", "", q4 !== undefined ? mb(q4) : "–"],
        ],
      ),
    );
    console.log(`${fmt(sent)} requests; ${note}`);
  }
} finally {
  receiver.stop();
  process.off("exit", stopReceiver);
}
process.exit(0);

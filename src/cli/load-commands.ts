import { type ChildProcess, fork } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_CODES, PbxsimError, UsageError } from "../core/errors.js";
import { parseChaos } from "../delivery/chaos.js";
import { distinctOutputs, prepareOutput } from "../delivery/dead-letter.js";
import { buildTargets } from "../delivery/run.js";
import { checkUrl, loadTargetsFile } from "../delivery/targets.js";
import { constantRate, loadPhases, parseRamp, parseRate, type RateProfile } from "../load/arrivals.js";
import { renderHtml } from "../load/html.js";
import { loadReportFile, mergeNotes, mergeReports } from "../load/merge.js";
import { arrivedCalls, type LoadReport } from "../load/report.js";
import { DEFAULT_MAX_LAG_MS, isLoopback, runLoad, type Snapshot, vendorTargets } from "../load/run.js";
import { evaluateThresholds, parseThreshold, THRESHOLD_EXIT_CODE } from "../load/thresholds.js";
import { resolveScenarios } from "../scenario/load.js";
import { findVendor, profileChooser } from "../vendors/registry.js";
import {
  parseDurationFlag,
  expandFileArgs,
  parseHeaders,
  parseMethod,
  parseStart,
  parseOptions,
  parsePositiveInt,
  parseScheduleFlag,
  parseSeed,
  parseSpeed,
  parseUrlFlag,
} from "./options.js";
import { bold, err, out } from "./print.js";
import { randomSeed } from "../core/random.js";
import { redactUrl } from "../core/redact.js";
import { formatDuration } from "../core/duration.js";

/** `pbxsim load` and `pbxsim report merge`. */

export interface LoadArgs {
  scenarios: string[];
  url?: string;
  targets?: string;
  rate?: string;
  ramp?: string;
  phases?: string;
  arrivals?: string;
  duration?: string;
  calls?: number;
  maxCalls?: number;
  maxLag?: string;
  maxInflight?: number;
  pipelining?: number;
  speed?: string;
  seed?: string | number;
  start?: string;
  profile?: string;
  token?: string;
  secret?: string;
  header?: string[];
  method?: string;
  option?: string[];
  insecure?: boolean;
  ca?: string;
  timeout?: string;
  retrySchedule?: string;
  deadLetter?: string;
  statsFile?: string;
  truth?: string;
  record?: string;
  chaos?: string;
  report?: string;
  html?: string;
  threshold?: string[];
  workers?: number;
  shard?: string;
  allowRemote?: boolean;
  json?: boolean;
  quiet?: boolean;
  /** A worker of --workers: its parent has emptied the stats, dead-letter, truth and record files. */
  outputsReady?: boolean;
}

function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  const envIndex = process.env.JOB_COMPLETION_INDEX || undefined;
  const envCount = process.env.JOB_COMPLETIONS || undefined;
  if (v === undefined && (envIndex === undefined) !== (envCount === undefined)) {
    // a pod of a Job that would run the whole load, as every other pod does
    throw new UsageError(
      envIndex !== undefined
        ? `JOB_COMPLETION_INDEX=${envIndex} is set (a pod of a Kubernetes Indexed Job) but JOB_COMPLETIONS is not, so every pod would run the whole load: set JOB_COMPLETIONS to the Job's spec.completions, or pass --shard INDEX/COUNT.`
        : `JOB_COMPLETIONS=${envCount} is set but JOB_COMPLETION_INDEX is not (Kubernetes sets it only in a Job with completionMode: Indexed), so every pod would run the whole load: make the Job Indexed, or pass --shard INDEX/COUNT.`,
    );
  }
  const fromEnv = v === undefined && envIndex !== undefined;
  const text = v ?? (fromEnv ? `${envIndex}/${envCount}` : undefined);
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count) {
    throw new UsageError(
      fromEnv
        ? `JOB_COMPLETION_INDEX=${envIndex} and JOB_COMPLETIONS=${envCount}: the index must be a whole number from 0 to JOB_COMPLETIONS - 1 (--shard INDEX/COUNT overrides them).`
        : `--shard ${text}: write INDEX/COUNT with 0 <= INDEX < COUNT, e.g. --shard 0/4 (or set JOB_COMPLETION_INDEX and JOB_COMPLETIONS).`,
    );
  }
  return { index, count };
}

function parseWeighted(args: string[]): { arg: string; weight: number }[] {
  return args.map((a) => {
    const m = /^(.*)=(\d+(?:\.\d+)?)$/.exec(a);
    if (m && Number(m[2]) <= 0) throw new UsageError(`${a}: a scenario's weight must be above 0.`);
    if (m) return { arg: m[1]!, weight: Number(m[2]) };
    // SCENARIO=WEIGHT with a weight that is not a number (a file whose name holds "=" is a file)
    const bad = /^(.+)=([^=/\\]*)$/.exec(a);
    if (bad && !/\.ya?ml$/i.test(a) && !existsSync(a))
      throw new UsageError(
        `${a}: the weight after "=" must be a number above 0, e.g. ${bad[1]}=3 (calls of each scenario in proportion to its weight).`,
      );
    return { arg: a, weight: 1 };
  });
}

function profileOf(a: LoadArgs): RateProfile {
  const given = [a.rate, a.ramp, a.phases].filter((x) => x !== undefined).length;
  if (given > 1) throw new UsageError("give one of --rate, --ramp or --phases.");
  if (a.ramp) return parseRamp(a.ramp);
  if (a.phases) return loadPhases(a.phases);
  const perSec = parseRate(a.rate ?? "1/s");
  return constantRate(perSec, a.rate ?? "1/s");
}

function progressLine(s: Snapshot): string {
  return `t=${(s.t / 1000).toFixed(0)}s calls ${s.callsStarted} (active ${s.activeCalls}${s.blocked ? `, blocked ${s.blocked}` : ""}${s.skipped ? `, skipped ${s.skipped}` : ""}${s.arrivalsOver && s.activeCalls ? ", arrivals over: playing out" : ""})  requests ${s.sent} (${s.requestsPerSec}/s, in flight ${s.inflight})  ok ${s.delivered} failed ${s.failed}${s.late ? ` late ${s.late}` : ""}  p50 ${s.p50}ms p99 ${s.p99}ms lag p99 ${s.lagP99}ms`;
}

/**
 * The workers' latest snapshots as one: counts and rates add up; percentiles are the worst
 * worker's, since snapshots carry no histograms (the final report merges them exactly).
 */
export function combineSnapshots(snaps: readonly Snapshot[]): Snapshot {
  const sum = (k: keyof Snapshot) => snaps.reduce((n, s) => n + (s[k] as number), 0);
  const worst = (k: keyof Snapshot) => Math.max(...snaps.map((s) => s[k] as number));
  return {
    t: worst("t"),
    callsStarted: sum("callsStarted"),
    activeCalls: sum("activeCalls"),
    blocked: sum("blocked"),
    skipped: sum("skipped"),
    sent: sum("sent"),
    delivered: sum("delivered"),
    failed: sum("failed"),
    inflight: sum("inflight"),
    late: sum("late"),
    requestsPerSec: sum("requestsPerSec"),
    p50: worst("p50"),
    p99: worst("p99"),
    lagP99: worst("lagP99"),
    arrivalsOver: snaps.every((s) => s.arrivalsOver),
  };
}

export function formatLoadSummary(r: LoadReport): string {
  const l = r.latency.corrected;
  const sv = r.latency.service;
  const lines = [
    bold("load summary"),
    ...(r.stopped ? [`stopped   early: ${r.stopped.message}`] : []),
    `calls     target ${r.calls.target}  arrived ${arrivedCalls(r.calls)}  started ${r.calls.started}  completed ${r.calls.completed}  blocked ${r.calls.blocked}${r.calls.skipped ? `  skipped ${r.calls.skipped} (receiver over ${formatDuration(r.config.maxLagMs ?? DEFAULT_MAX_LAG_MS)} behind)` : ""}   rate ${r.rates.achievedCallsPerSec}/s of ${r.rates.targetCallsPerSec}/s`,
    `requests  sent ${r.requests.sent}  delivered ${r.requests.delivered}  failed ${r.requests.failed}  retried ${r.requests.retried}  late ${r.requests.late}  cancelled ${r.requests.cancelled}${r.requests.redirects ? `  redirects followed ${r.requests.redirects}` : ""}   rate ${r.rates.achievedRequestsPerSec}/s of ${r.rates.targetRequestsPerSec}/s due (${r.rates.requestsPerSec}/s over the run)`,
    `latency   (from due)   p50 ${l.p50}ms  p90 ${l.p90}ms  p99 ${l.p99}ms  p99.9 ${l.p999}ms  max ${l.max}ms`,
    `latency   (from sent)  p50 ${sv.p50}ms  p90 ${sv.p90}ms  p99 ${sv.p99}ms  p99.9 ${sv.p999}ms  max ${sv.max}ms`,
    `lag       p50 ${r.lag.p50}ms  p99 ${r.lag.p99}ms  max ${r.lag.max}ms`,
    `statuses  ${
      Object.entries(r.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(" ") || "-"
    }`,
  ];
  if (r.faults && Object.keys(r.faults).length)
    lines.push(
      `faults    ${Object.entries(r.faults)
        .map(([k, v]) => `${k}×${v}`)
        .join(" ")}`,
    );
  if (Object.keys(r.errors).length)
    lines.push(
      `errors    ${Object.entries(r.errors)
        .map(([k, v]) => `${v}× ${k}`)
        .join("; ")}`,
    );
  for (const t of r.thresholds ?? [])
    lines.push(`threshold ${t.ok ? "ok  " : "FAIL"} ${t.expr} (actual ${t.actual})`);
  return lines.join("\n");
}

/**
 * Progress on stderr: on a terminal one line redrawn in place, otherwise a line every 5 s of the
 * run. A message said while the live line is up (an interrupt) takes a line of its own above it,
 * and the live line is drawn again below, instead of running on from it.
 */
export class ProgressOut {
  private live: string | undefined;
  private lastLine = 0;

  /**
   * `columns`: the terminal's width now. A live line wider than the terminal would wrap, and
   * clearing its last row would leave the others behind on every redraw; it is cut to fit.
   */
  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
    private readonly columns: () => number | undefined = () => undefined,
  ) {}

  update(line: string, tMs: number): void {
    if (this.tty) {
      const width = this.columns();
      const shown =
        width && [...line].length >= width ? `${[...line].slice(0, Math.max(1, width - 2)).join("")}…` : line;
      this.live = shown;
      this.write(`\r\u001b[2K${shown}`);
    } else if (tMs - this.lastLine >= 5000) {
      this.lastLine = tMs;
      this.write(`${line}\n`);
    }
  }

  say(message: string): void {
    if (this.live === undefined) this.write(`${message}\n`);
    else this.write(`\r\u001b[2K${message}\n${this.live}`);
  }

  /** Leaves the last live line in place, so what follows starts on a line of its own. */
  end(): void {
    if (this.live !== undefined) this.write("\n");
    this.live = undefined;
  }
}

function finish(
  report: LoadReport,
  a: { report?: string; html?: string; json?: boolean; threshold?: string[]; outputsReady?: boolean },
  interrupted: boolean,
): number {
  const thresholds = (a.threshold ?? []).map(parseThreshold);
  if (thresholds.length) report.thresholds = evaluateThresholds(report, thresholds);
  if (a.report) writeFileSync(a.report, `${JSON.stringify(report, null, 2)}\n`);
  if (a.html) writeFileSync(a.html, renderHtml(report));
  if (a.json) out(JSON.stringify({ ...report, timeline: undefined, byEvent: undefined }, null, 2));
  else out(formatLoadSummary(report));
  // the reports are written; the reason the run stopped is the command's error (a worker of
  // --workers leaves saying it to its parent, which merges the reports and says it once)
  if (report.stopped) {
    if (a.outputsReady) return EXIT_CODES[report.stopped.code];
    throw new PbxsimError(report.stopped.code, report.stopped.message);
  }
  if (interrupted) return EXIT_CODES.INTERRUPTED;
  if (report.thresholds?.some((t) => !t.ok)) return THRESHOLD_EXIT_CODE;
  return 0;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function loadCommand(a: LoadArgs, argv: string[]): Promise<number> {
  if (!a.scenarios.length)
    throw new UsageError(
      "load needs at least one scenario, e.g. pbxsim load 'enreach/*=3' voipbin/queue-answered=1 --url ...",
    );
  if (a.url && a.targets) throw new UsageError("give --url or --targets, not both.");
  const url = parseUrlFlag(a.url);
  const targets = a.targets ? loadTargetsFile(a.targets) : undefined;
  if (!url && !targets) throw new UsageError("load needs a target: --url URL or --targets FILE.");
  const rate = profileOf(a);
  const durationMs = parseDurationFlag("--duration", a.duration, true);
  const calls = parsePositiveInt("--calls", a.calls);
  if (durationMs === undefined && calls === undefined && rate.durationMs === undefined) {
    // a ramp's rate holds after it: name the duration that stops at its end, and the rate a longer one holds
    const given = a.ramp?.trim() ?? "";
    const ramp = /\.\.([^:]+):(.+)$/.exec(given);
    throw new UsageError(
      ramp
        ? `load needs an end: --ramp ${given} holds ${ramp[1]!.trim()} after its ${ramp[2]!.trim()}, so add --duration ${ramp[2]!.trim()} to stop at the ramp's end or a longer one to hold ${ramp[1]!.trim()}, or give --calls N or a --phases file.`
        : "load needs an end: --duration 10m, --calls N, or a --phases file.",
    );
  }
  const arrivals = (a.arrivals ?? "poisson") as "poisson" | "constant";
  if (arrivals !== "poisson" && arrivals !== "constant")
    throw new UsageError(`--arrivals ${a.arrivals}: poisson or constant.`);
  const speed = parseSpeed(a.speed);
  const seed = parseSeed(a.seed) ?? randomSeed();
  const start = parseStart(a.start);
  const shard = parseShard(a.shard);
  const workers = parsePositiveInt("--workers", a.workers);
  const thresholds = (a.threshold ?? []).map(parseThreshold);
  void thresholds;
  const vt = buildTargets({ url, token: a.token, secret: a.secret, targets });
  const urls = [...vt.byVendor.values()]
    .flat()
    .map((t) => t.url)
    .concat(vt.fallback ? [vt.fallback.url] : []);
  for (const u of urls) {
    const parsed = checkUrl(u, "--url");
    if (!a.allowRemote && !isLoopback(parsed)) {
      throw new UsageError(
        `${redactUrl(u)}: not a loopback address. A load test floods its target; to aim at another host, add --allow-remote (and make sure it is your own test receiver).`,
      );
    }
  }
  const weighted = parseWeighted(a.scenarios);
  const scenarios = weighted.flatMap((w) =>
    resolveScenarios([w.arg], findVendor).map((scenario) => ({ scenario, weight: w.weight })),
  );
  // a vendor of the mix with nowhere to send, or a --profile none of them has, is refused before
  // anything starts (and once, not by each worker of --workers)
  const mixVendors = scenarios.map((x) => findVendor(x.scenario.vendor)!);
  for (const v of mixVendors) vendorTargets(v.id, vt);
  profileChooser(a.profile, mixVendors);
  const sending = {
    maxCalls: parsePositiveInt("--max-calls", a.maxCalls),
    maxLagMs: a.maxLag === "none" ? Infinity : parseDurationFlag("--max-lag", a.maxLag, true),
    maxInflight: parsePositiveInt("--max-inflight", a.maxInflight),
    pipelining: parsePositiveInt("--pipelining", a.pipelining),
    headers: parseHeaders(a.header),
    method: parseMethod(a.method),
    options: parseOptions(a.option),
    timeoutMs: parseDurationFlag("--timeout", a.timeout, true),
    retrySchedule: parseScheduleFlag(a.retrySchedule),
  };
  // output files are emptied only once every flag is known to be good, so a typo loses nothing
  const outputs: [string | undefined, string][] = [
    [a.report, "--report"],
    [a.html, "--html"],
  ];
  // the workers of --workers append to the files their parent emptied
  if (!a.outputsReady)
    outputs.push(
      [a.statsFile, "--stats-file"],
      [a.deadLetter, "--dead-letter"],
      [a.truth, "--truth"],
      [a.record, "--record"],
    );
  distinctOutputs([
    [a.report, "--report"],
    [a.html, "--html"],
    [a.statsFile, "--stats-file"],
    [a.deadLetter, "--dead-letter"],
    [a.truth, "--truth"],
    [a.record, "--record"],
  ]);
  for (const [f, flag] of outputs) if (f) prepareOutput(f, flag);

  if (workers && workers > 1) return runWorkers(a, argv, workers, seed, shard);
  const controller = new AbortController();
  const progress = new ProgressOut(
    (x) => process.stderr.write(x),
    process.stderr.isTTY === true,
    () => process.stderr.columns,
  );
  const onSignal = () => {
    // a worker's parent says it once for all of them
    if (!a.outputsReady && !controller.signal.aborted)
      progress.say(
        `interrupted: no new calls; waiting for requests in flight; requests not yet sent are cancelled${a.deadLetter ? ` and written to ${a.deadLetter}` : ""}`,
      );
    controller.abort();
  };
  // a worker of --workers may get a signal twice (from the terminal and from its parent): it is
  // already stopping, so only a plain run lets a second one end the process at once
  if (a.outputsReady) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  } else {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  try {
    if (!a.quiet)
      err(
        `load: ${scenarios.length} scenario(s), ${rate.label}, ${arrivals} arrivals, seed ${seed}${shard ? `, shard ${shard.index}/${shard.count}` : ""}`,
      );
    const report = await runLoad({
      scenarios,
      targets: vt,
      allowRemote: a.allowRemote,
      rate,
      arrivals,
      durationMs,
      calls,
      ...sending,
      speed,
      seed,
      start,
      profile: a.profile,
      insecure: a.insecure,
      caFile: a.ca,
      shard,
      deadLetterFile: a.deadLetter,
      statsFile: a.statsFile,
      truthFile: a.truth,
      recordFile: a.record,
      chaos: parseChaos(a.chaos),
      signal: controller.signal,
      onNotice: (text) => progress.say(`note: ${text}`),
      onSnapshot: (s) => {
        // a worker of --workers reports its progress to its parent, which shows the sum
        if (a.outputsReady) process.send?.(s);
        if (!a.quiet) progress.update(progressLine(s), s.t);
      },
    });
    progress.end();
    return finish(report, a, controller.signal.aborted);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * `--workers N`: N processes, each a shard with its own seed and id space; their reports merge
 * exactly. Within shard i of M (`--shard`, or a pod of an Indexed Job), worker w runs shard
 * i + M*w of M*N: the pod still runs its 1/M, and every pod's workers hold shards of their own.
 */
async function runWorkers(
  a: LoadArgs,
  argv: string[],
  workers: number,
  seed: number,
  shard: { index: number; count: number } | undefined,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "pbxsim-workers-"));
  const bin = join(here, "..", "..", "bin", "pbxsim.js");
  const strip = new Set(["--workers", "--report", "--html", "--json", "--threshold", "--seed", "--shard"]);
  const base: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const name = x.split("=")[0]!;
    if (strip.has(name)) {
      if (!x.includes("=")) i++;
      continue;
    }
    base.push(x);
  }
  if (!a.quiet) err(`load: ${workers} workers`);
  const children: ChildProcess[] = [];
  const out = new ProgressOut(
    (x) => process.stderr.write(x),
    process.stderr.isTTY === true,
    () => process.stderr.columns,
  );
  const said = new Set<string>();
  const sayOnce = (line: string) => {
    if (said.has(line)) return;
    said.add(line);
    out.say(line);
  };
  let interrupted = false;
  // SIGINT or SIGTERM is passed on to the workers, which stop as a plain run does and write their
  // reports, so the merged report and the dead letters cover the run up to the interrupt; a second
  // signal ends the workers at once
  const onSignal = (signal: NodeJS.Signals) => {
    const again = interrupted;
    interrupted = true;
    if (!again)
      out.say(
        `interrupted: the workers stop, finish their requests in flight and write their reports${a.deadLetter ? `; requests not yet sent go to ${a.deadLetter}` : ""}`,
      );
    for (const child of children) if (child.exitCode === null) child.kill(again ? "SIGKILL" : signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // progress: the sum of the workers' latest snapshots, live on a terminal, every 5 s otherwise
  const latest: (Snapshot | undefined)[] = new Array(workers).fill(undefined);
  const progress = () => {
    if (a.quiet) return;
    const snaps = latest.filter((x): x is Snapshot => x !== undefined);
    const line = `${progressLine(combineSnapshots(snaps))} (percentiles: the worst of ${snaps.length} worker${snaps.length === 1 ? "" : "s"})`;
    out.update(line, Math.max(...snaps.map((x) => x.t)));
  };
  let codes: (number | null)[];
  const files = Array.from({ length: workers }, (_, i) => join(dir, `shard-${i}.json`));
  try {
    codes = await Promise.all(
      files.map((file, i) => {
        const child = fork(
          bin,
          [
            ...base,
            "--shard",
            shard ? `${shard.index + shard.count * i}/${shard.count * workers}` : `${i}/${workers}`,
            "--seed",
            String(seed),
            "--report",
            file,
            "--quiet",
            "--outputs-ready",
          ],
          { stdio: ["ignore", "ignore", "pipe", "ipc"] },
        );
        children.push(child);
        // what a worker says (an error, a warning) is said once, however many workers say it
        let partial = "";
        child.stderr!.on("data", (d: Buffer) => {
          const lines = (partial + String(d)).split("\n");
          partial = lines.pop()!;
          for (const line of lines) sayOnce(line);
        });
        child.stderr!.on("end", () => {
          if (partial) sayOnce(partial);
          partial = "";
        });
        child.on("message", (m) => {
          latest[i] = m as Snapshot;
          progress();
        });
        return new Promise<number | null>((resolve) =>
          // "close" comes after the worker's stderr has ended, so nothing it said is lost
          child.on("close", (code) => {
            // a worker stopped on a story that contradicts itself: the others stop too, as on an
            // interrupt, and write their reports for the merge
            if (code === EXIT_CODES.SCENARIO)
              for (const other of children) if (other.exitCode === null) other.kill("SIGTERM");
            resolve(code);
          }),
        );
      }),
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    out.end();
  }
  // a worker whose run stopped on a story that contradicts itself wrote its report first
  const ok = [0, THRESHOLD_EXIT_CODE, EXIT_CODES.INTERRUPTED, EXIT_CODES.SCENARIO];
  const bad = codes.flatMap((code, i) =>
    code !== null && ok.includes(code) ? [] : [`worker ${i} (${code ?? "killed"})`],
  );
  if (bad.length) {
    const written = files.filter((f) => existsSync(f));
    if (!written.length) rmSync(dir, { recursive: true, force: true });
    // every worker stopped on the same error before sending (said once above): that is the answer
    const first = codes[0];
    if (!written.length && first !== null && first !== undefined && codes.every((c) => c === first))
      return first;
    throw new PbxsimError(
      "DELIVERY",
      `load --workers: ${bad.join(", ")} ended without a report, so there is nothing whole to merge; ${written.length ? `the shard reports that were written are in ${dir}` : "no worker wrote one"}.`,
    );
  }
  const merged = mergeReports(
    files.map((f) => JSON.parse(readFileSync(f, "utf8")) as LoadReport),
    files,
  );
  // the shard reports live on only in the merged one (and in --report, when given)
  rmSync(dir, { recursive: true, force: true });
  return finish(merged, a, interrupted || codes.includes(EXIT_CODES.INTERRUPTED));
}

export async function reportMergeCommand(a: {
  files: string[];
  out?: string;
  html?: string;
  threshold?: string[];
  json?: boolean;
}): Promise<number> {
  if (a.files.length === 0)
    throw new UsageError(
      "report merge needs the report files of the shards, e.g. pbxsim report merge reports/*.json --out merged.json.",
    );
  (a.threshold ?? []).forEach(parseThreshold);
  const files = expandFileArgs(a.files, "report");
  const reports = files.map(loadReportFile);
  const merged = mergeReports(reports, files);
  for (const note of mergeNotes(reports, files)) err(`report merge: ${note}`);
  // the shards are read first: --out may name one of them
  distinctOutputs([
    [a.out, "--out"],
    [a.html, "--html"],
  ]);
  if (a.out) prepareOutput(a.out, "--out");
  if (a.html) prepareOutput(a.html, "--html");
  return finish(merged, { report: a.out, html: a.html, threshold: a.threshold, json: a.json }, false);
}

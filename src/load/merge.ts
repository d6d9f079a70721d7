import { readFileSync } from "node:fs";
import { PbxsimError, UsageError } from "../core/errors.js";
import { jsonError } from "../core/json-error.js";
import { type LoadReport, requestRates, roundCallRate, roundRequestRate } from "./report.js";
import {
  decodeHistogram,
  encodeHistogram,
  encodeStats,
  newHistogram,
  summarizeHistogram,
  type EncodedStats,
  type Histogram,
} from "./stats.js";

/**
 * Exact merge of the reports of several shards of one load run (`pbxsim report merge`): counts
 * are summed and HDR histograms added, so the merged percentiles are those of the whole data
 * set, not averages of percentiles. Thresholds are dropped: they are evaluated again on the
 * merged report.
 */

type Bucket = LoadReport["timeline"][number];
type EventEntry = LoadReport["byEvent"][string];

/** Adds encoded histograms into one (an empty string counts as an empty histogram). */
function addHistograms(encoded: readonly string[]): Histogram {
  const h = newHistogram();
  for (const s of encoded) if (s) h.add(decodeHistogram(s));
  return h;
}

/**
 * Adds the histograms. A histogram read back from its encoding knows min and max only to its
 * precision, so the exact min and max are taken from the reports.
 */
function mergeStats(list: readonly EncodedStats[]): EncodedStats {
  const merged = encodeStats(addHistograms(list.map((e) => e.histogram)));
  const withData = list.filter((e) => e.count > 0);
  if (merged.count === 0 || withData.length === 0) return merged;
  return {
    ...merged,
    min: Math.min(...withData.map((e) => e.min)),
    max: Math.max(...withData.map((e) => e.max)),
  };
}

function sumRecords(list: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function sumFields<T extends Record<string, number>>(list: readonly T[]): T {
  const out: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out as T;
}

function mergeByEvent(reports: readonly LoadReport[]): LoadReport["byEvent"] {
  const groups = new Map<string, EventEntry[]>();
  for (const r of reports) {
    for (const [key, entry] of Object.entries(r.byEvent)) {
      const g = groups.get(key);
      if (g) g.push(entry);
      else groups.set(key, [entry]);
    }
  }
  const out: LoadReport["byEvent"] = {};
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const first = g[0]!;
    out[key] = {
      vendor: first.vendor,
      event: first.event,
      status: first.status,
      corrected: mergeStats(g.map((e) => e.corrected)),
      service: mergeStats(g.map((e) => e.service)),
    };
  }
  return out;
}

function mergeTimeline(reports: readonly LoadReport[]): LoadReport["timeline"] {
  const groups = new Map<number, Bucket[]>();
  for (const r of reports) {
    for (const b of r.timeline) {
      const g = groups.get(b.t);
      if (g) g.push(b);
      else groups.set(b.t, [b]);
    }
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((t) => {
      const g = groups.get(t)!;
      const h = addHistograms(g.map((b) => b.histogram));
      const s = summarizeHistogram(h);
      return {
        t,
        requests: g.reduce((n, b) => n + b.requests, 0),
        errors: g.reduce((n, b) => n + b.errors, 0),
        callsStarted: g.reduce((n, b) => n + b.callsStarted, 0),
        activeCalls: g.reduce((n, b) => n + b.activeCalls, 0),
        p50: s.p50,
        p99: s.p99,
        histogram: encodeHistogram(h),
      };
    });
}

function byTime(pick: (r: LoadReport) => string, later: boolean) {
  return (reports: readonly LoadReport[]): string => {
    let best = pick(reports[0]!);
    let bestMs = Date.parse(best);
    for (const r of reports.slice(1)) {
      const v = pick(r);
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) continue;
      if (Number.isNaN(bestMs) || (later ? ms > bestMs : ms < bestMs)) {
        best = v;
        bestMs = ms;
      }
    }
    return best;
  };
}

const earliestStart = byTime((r) => r.startedAt, false);
const latestEnd = byTime((r) => r.endedAt, true);

/**
 * Refuses reports that hold the same shard of the same run (its seed, index and count) twice:
 * merging them would count its calls twice. That happens when a merged report is globbed in with
 * the shard reports it was made from, or a shard's report is given twice.
 */
function refuseDuplicateShards(reports: readonly LoadReport[], names: readonly string[]): void {
  const holder = new Map<string, number>();
  reports.forEach((r, i) => {
    for (const s of r.config.shards) {
      // older reports name the seed once, for the run
      const seed = s.seed ?? (r.config.shards.length === 1 ? r.config.seed : undefined);
      if (seed === undefined) continue;
      const key = `${seed} ${s.index}/${s.count}`;
      const other = holder.get(key);
      if (other !== undefined && other !== i)
        throw new UsageError(
          `report merge: ${names[other]} and ${names[i]} both hold shard ${s.index}/${s.count} of the run with seed ${seed}; merging would count its calls twice. Leave one out (a merged report holds every shard it was merged from).`,
        );
      holder.set(key, i);
    }
  });
}

/** The largest run the coverage of the shards is worked out for (the least common multiple of their counts). */
const COVERAGE_LIMIT = 1 << 16;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * What a merge cannot check but its user should know, one line each: reports from runs set up
 * differently (the merged report keeps the first one's settings), and shards missing from the
 * whole run (its rates are then those of the shards present).
 */
export function mergeNotes(
  reports: readonly LoadReport[],
  names: readonly string[] = reports.map((_, i) => `report ${i + 1}`),
): string[] {
  const notes: string[] = [];
  const first = reports[0];
  if (!first) return notes;
  const settings = (r: LoadReport) => ({
    scenarios: r.config.scenarios.map((x) => `${x.id}=${x.weight}`).join(" "),
    rate: r.config.rate,
    arrivals: r.config.arrivals,
    duration: r.config.durationMs === undefined ? "-" : `${r.config.durationMs}ms`,
    calls: r.config.calls === undefined ? "-" : String(r.config.calls),
    speed: String(r.config.speed),
  });
  const base = settings(first);
  reports.forEach((r, i) => {
    if (i === 0) return;
    const own = settings(r);
    const differ = (Object.keys(base) as (keyof typeof base)[]).filter((k) => own[k] !== base[k]);
    if (differ.length)
      notes.push(
        `${names[i]} is from a run set up otherwise than ${names[0]} (${differ.map((k) => `${k} ${own[k]} against ${base[k]}`).join("; ")}); the merged report keeps ${names[0]}'s settings and adds up both runs' counts and target rates.`,
      );
  });
  // each shard i/N holds the run's calls i+1, i+1+N, ...: which of them do the reports cover?
  const shards = reports.flatMap((r) => r.config.shards);
  const counts = [...new Set(shards.map((x) => x.count))];
  const whole = counts.reduce((l, c) => (l * c) / gcd(l, c), 1);
  if (shards.length && whole <= COVERAGE_LIMIT) {
    const covered = new Uint32Array(whole);
    for (const x of shards) for (let k = x.index; k < whole; k += x.count) covered[k]!++;
    const held = covered.reduce((n, v) => n + (v ? 1 : 0), 0);
    // the same calls twice, from shards of different seeds: separate runs (the same seed is refused)
    if (covered.some((v) => v > 1))
      notes.push(
        `the reports hold some of the run's calls more than once (shards ${shards.map((x) => `${x.index}/${x.count}${x.seed !== undefined ? ` seed ${x.seed}` : ""}`).join(", ")}): they are separate runs, added up.`,
      );
    if (held < whole) {
      const same = counts.length === 1 ? counts[0]! : undefined;
      const missing =
        same !== undefined ? [...covered.keys()].filter((k) => !covered[k]).map((k) => `${k}/${same}`) : [];
      notes.push(
        missing.length
          ? `shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of the run ${missing.length > 1 ? "are" : "is"} missing: the merged report covers ${held} of its ${whole} shards, and its target rates are theirs.`
          : `the reports cover ${held}/${whole} of the run's calls (shards ${shards.map((x) => `${x.index}/${x.count}`).join(", ")}): its target rates are theirs.`,
      );
    }
  }
  return notes;
}

/** Merges the reports of the shards of one run into the report of the whole run. */
export function mergeReports(
  reports: LoadReport[],
  names: readonly string[] = reports.map((_, i) => `report ${i + 1}`),
): LoadReport {
  if (reports.length === 0) throw new UsageError("report merge: give at least one report file to merge.");
  refuseDuplicateShards(reports, names);
  const first = reports[0]!;
  const elapsedMs = Math.max(...reports.map((r) => r.elapsedMs));
  // the shards share one arrival window (each runs a slice of the same arrivals)
  const windowMs = Math.max(...reports.map((r) => r.windowMs));
  const dueSentByMs = Math.max(...reports.map((r) => r.dueSentByMs));
  const calls = sumFields(reports.map((r) => r.calls));
  const requests = sumFields(reports.map((r) => r.requests));
  const seconds = elapsedMs / 1000;
  return {
    version: 1,
    tool: "pbxsim",
    config: { ...first.config, shards: reports.flatMap((r) => r.config.shards) },
    startedAt: earliestStart(reports),
    endedAt: latestEnd(reports),
    elapsedMs,
    windowMs,
    dueSentByMs,
    calls,
    requests,
    rates: {
      targetCallsPerSec: roundCallRate(reports.reduce((n, r) => n + r.rates.targetCallsPerSec, 0)),
      achievedCallsPerSec: windowMs > 0 ? roundCallRate(calls.started / (windowMs / 1000)) : 0,
      ...requestRates(requests.due, requests.dueSent, windowMs, dueSentByMs),
      requestsPerSec: seconds > 0 ? roundRequestRate(requests.sent / seconds) : 0,
    },
    lag: mergeStats(reports.map((r) => r.lag)),
    latency: {
      corrected: mergeStats(reports.map((r) => r.latency.corrected)),
      service: mergeStats(reports.map((r) => r.latency.service)),
    },
    byEvent: mergeByEvent(reports),
    statuses: sumRecords(reports.map((r) => r.statuses)),
    errors: sumRecords(reports.map((r) => r.errors)),
    ...(reports.some((r) => r.faults) ? { faults: sumRecords(reports.map((r) => r.faults ?? {})) } : {}),
    deadLettered: reports.reduce((n, r) => n + r.deadLettered, 0),
    ...(reports.some((r) => r.stopped) ? { stopped: reports.find((r) => r.stopped)!.stopped } : {}),
    timeline: mergeTimeline(reports),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a report written by `pbxsim load --report F.json`. */
export function loadReportFile(file: string): LoadReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read it (${code})`;
    throw new PbxsimError(
      "IO",
      `${file}: ${why}. Give the JSON file written by \`pbxsim load --report FILE.json\`.`,
      { cause: e },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const { line, reason } = jsonError(text, e);
    throw new PbxsimError(
      "IO",
      `${file}${line ? `:${line}` : ""}: not a pbxsim load report (not valid JSON: ${reason}). Give the JSON file written by \`pbxsim load --report FILE.json\`.`,
      { cause: e },
    );
  }
  if (!isObject(data) || data.tool !== "pbxsim") {
    throw new PbxsimError(
      "IO",
      `${file}: not a pbxsim load report (no "tool": "pbxsim"). Give the JSON file written by \`pbxsim load --report FILE.json\`.`,
    );
  }
  if (data.version !== 1) {
    throw new PbxsimError(
      "IO",
      `${file}: a pbxsim load report of version ${JSON.stringify(data.version)}, but this pbxsim reads version 1. Merge it with the pbxsim version that wrote it.`,
    );
  }
  const missing = ["config", "calls", "requests", "rates", "lag", "latency", "byEvent", "statuses", "errors"]
    .filter((k) => !isObject(data[k]))
    .concat(Array.isArray(data.timeline) ? [] : ["timeline"])
    .concat(["elapsedMs", "windowMs", "dueSentByMs"].filter((k) => typeof data[k] !== "number"));
  if (missing.length > 0) {
    throw new PbxsimError(
      "IO",
      `${file}: not a complete pbxsim load report (missing ${missing.join(", ")}). Was it cut short while being written?`,
    );
  }
  return data as unknown as LoadReport;
}

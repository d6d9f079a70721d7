import { UsageError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import { arrivedCalls, type LoadReport } from "./report.js";
import { decodeHistogram, type EncodedStats } from "./stats.js";

/**
 * k6-style pass/fail thresholds on a load report (`--threshold 'p99<250ms'`). A run that breaches
 * one exits with THRESHOLD_EXIT_CODE. Latency thresholds use the latency corrected for
 * coordinated omission (from each request's due time). A threshold on a metric with no data
 * (no responses, no target rate) fails: a run that measured nothing proves nothing.
 */

export const THRESHOLD_EXIT_CODE = 99;

export type ThresholdOp = "<" | "<=" | ">" | ">=";

export type Threshold =
  | {
      expr: string;
      /** Latency (corrected) or scheduling lag. */
      kind: "latency" | "lag";
      /** A percentile (0-100), or the maximum or mean. */
      stat: { percentile: number } | "max" | "mean";
      op: ThresholdOp;
      /** Milliseconds. */
      value: number;
    }
  | {
      expr: string;
      /**
       * `errors`: failed / sent; `rate`: calls started / calls arrived; `request_rate`: achieved /
       * target request rate.
       */
      kind: "errors" | "rate" | "request_rate";
      op: ThresholdOp;
      /** Percent. */
      value: number;
    };

export interface ThresholdResult {
  expr: string;
  ok: boolean;
  actual: string;
}

export const THRESHOLD_FORMS = [
  "p50<=100ms, p90<1s, p99<250ms, p999<2s (any pNN: p95, p9999; also p99.9 and k6's p(99.9)), max<5s, mean<50ms: corrected latency",
  "lag_p99<2ms (also lag_max, lag_mean, lag_pNN): scheduling lag",
  "errors<0.1%: failed / sent requests",
  "rate>=95%: calls started / calls arrived (blocked by --max-calls or skipped by --max-lag lower it)",
  "request_rate>=95%: achieved / target request rate (the requests due in the arrival window)",
];

const TIME_UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `p50` → 50, `p999` → 99.9, `p9999` → 99.99, `p95` → 95. */
function percentileOf(digits: string): number {
  return digits.length <= 2 ? Number(digits) : Number(`${digits.slice(0, 2)}.${digits.slice(2)}`);
}

function bad(expr: string, why: string): UsageError {
  return new UsageError(
    `--threshold "${expr}": ${why}. A threshold is METRIC OP VALUE with OP one of < <= > >=: ${THRESHOLD_FORMS.join("; ")}.`,
  );
}

export function parseThreshold(expr: string): Threshold {
  const text = expr.trim();
  const m =
    /^([a-z_0-9-]+(?:\.\d+)?|[a-z_]*p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ%]*)$/i.exec(
      text,
    );
  if (!m) throw bad(expr, "not a threshold");
  const name = m[1]!.toLowerCase();
  const op = m[2] as ThresholdOp;
  const value = Number(m[3]);
  const unit = m[4]!.toLowerCase();

  if (name === "errors" || name === "rate" || name === "request_rate") {
    if (unit !== "%")
      throw bad(expr, `${name} is a percentage (e.g. ${name === "errors" ? "errors<0.1%" : `${name}>=95%`})`);
    return { expr: text, kind: name, op, value };
  }

  // p99 and p999 (digits after the first two are decimals), p99.9, and k6's p(99.9)
  const lm = /^(lag_)?(?:p(\d+)|p(\d+\.\d+)|p\(\s*(\d+(?:\.\d+)?)\s*\)|(max|mean))$/.exec(name);
  if (!lm)
    throw bad(
      expr,
      `unknown metric "${m[1]}"${didYouMean(closest(name, ["errors", "rate", "request_rate", "max", "mean", "p99", "lag_p99", "lag_max", "lag_mean"], 1), true)}`,
    );
  let stat: { percentile: number } | "max" | "mean";
  if (lm[2] !== undefined || lm[3] !== undefined || lm[4] !== undefined) {
    const p = lm[2] !== undefined ? percentileOf(lm[2]) : Number(lm[3] ?? lm[4]);
    if (p === 100 || (lm[2] !== undefined && /^10+$/.test(lm[2])))
      throw bad(expr, `use max for the largest value, not "${m[1]}"`);
    if (!(p > 0 && p < 100)) throw bad(expr, `"${m[1]}" is not a percentile above 0 and below 100`);
    stat = { percentile: p };
  } else {
    stat = lm[5] as "max" | "mean";
  }
  const factor = TIME_UNITS[unit];
  if (factor === undefined) throw bad(expr, `"${m[1]}" is a duration; give a unit (ms, s, us)`);
  return { expr: text, kind: lm[1] ? "lag" : "latency", stat, op, value: value * factor };
}

function compare(actual: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case "<":
      return actual < value;
    case "<=":
      return actual <= value;
    case ">":
      return actual > value;
    case ">=":
      return actual >= value;
  }
}

function statValue(s: EncodedStats, stat: { percentile: number } | "max" | "mean"): number {
  if (stat === "max") return s.max;
  if (stat === "mean") return s.mean;
  const known: Record<number, number> = { 50: s.p50, 90: s.p90, 99: s.p99, 99.9: s.p999 };
  const v =
    known[stat.percentile] ??
    Math.round(decodeHistogram(s.histogram).getValueAtPercentile(stat.percentile)) / 1000;
  // a percentile is the top of its HDR bucket, which can pass the exact max by < 0.1 %
  return Math.min(v, s.max);
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(3)}s` : `${+ms.toFixed(3)}ms`);
const fmtPct = (p: number) => `${+p.toFixed(p !== 0 && Math.abs(p) < 1 ? 3 : 2)}%`;
const fmtRate = (r: number) => `${+r.toFixed(2)}/s`;

function evaluateOne(report: LoadReport, t: Threshold): ThresholdResult {
  switch (t.kind) {
    case "latency":
    case "lag": {
      const s = t.kind === "lag" ? report.lag : report.latency.corrected;
      if (s.count === 0)
        return {
          expr: t.expr,
          ok: false,
          actual: `n/a (no ${t.kind === "lag" ? "requests sent" : "responses"})`,
        };
      const v = statValue(s, t.stat);
      return { expr: t.expr, ok: compare(v, t.op, t.value), actual: fmtMs(v) };
    }
    case "errors": {
      const { sent, failed } = report.requests;
      if (sent === 0) return { expr: t.expr, ok: false, actual: "n/a (no requests sent)" };
      const pct = (failed / sent) * 100;
      return { expr: t.expr, ok: compare(pct, t.op, t.value), actual: `${fmtPct(pct)} (${failed}/${sent})` };
    }
    case "rate": {
      // against the arrivals drawn, not the rate's mean: a short Poisson run draws fewer or more
      // calls than the rate asks for by chance alone, and a gate must not fail on a coin toss
      const arrived = arrivedCalls(report.calls);
      if (arrived === 0) return { expr: t.expr, ok: false, actual: "n/a (no calls arrived)" };
      const pct = (report.calls.started / arrived) * 100;
      return {
        expr: t.expr,
        ok: compare(pct, t.op, t.value),
        actual: `${fmtPct(pct)} (${report.calls.started} of ${arrived} calls started)`,
      };
    }
    case "request_rate": {
      const target = report.rates.targetRequestsPerSec;
      const achieved = report.rates.achievedRequestsPerSec;
      if (!(target > 0)) return { expr: t.expr, ok: false, actual: "n/a (no target request rate)" };
      const pct = (achieved / target) * 100;
      return {
        expr: t.expr,
        ok: compare(pct, t.op, t.value),
        actual: `${fmtPct(pct)} (${fmtRate(achieved)} of ${fmtRate(target)})`,
      };
    }
  }
}

export function evaluateThresholds(report: LoadReport, thresholds: Threshold[]): ThresholdResult[] {
  return thresholds.map((t) => evaluateOne(report, t));
}

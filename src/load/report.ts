import type { ErrorCode } from "../core/errors.js";
import type { EncodedStats } from "./stats.js";

/** The machine-readable report of a load run (`--report F.json`); reports of shards merge exactly. */
export interface LoadReport {
  version: 1;
  tool: "pbxsim";
  config: {
    scenarios: { id: string; weight: number }[];
    /** e.g. "80/s", "10/s..80/s:2m", or the phases */
    rate: string;
    arrivals: "poisson" | "constant";
    durationMs?: number;
    calls?: number;
    speed: number | "max";
    maxCalls?: number;
    /** --max-lag when not the default (10 s); null when turned off. */
    maxLagMs?: number | null;
    maxInflight: number;
    /** Requests per connection before an answer; absent means 1. */
    pipelining?: number;
    seed: number;
    /** Target origin only; no secrets. */
    target: string;
    /** The shards the report covers, each with the seed of its run (absent in older reports). */
    shards: { index: number; count: number; seed?: number }[];
  };
  startedAt: string;
  endedAt: string;
  elapsedMs: number;
  /**
   * The arrival window: `--duration`, or until the arrival after the last call of `--calls`. Rates
   * are per second of this window; the calls arriving in it play on after it ends.
   */
  windowMs: number;
  /** When the last request that fell due within the window was sent (ms from the start). */
  dueSentByMs: number;
  calls: {
    /** Calls the rate asks for over the window (with Poisson arrivals, the mean of the draw). */
    target: number;
    started: number;
    completed: number;
    /** Arrivals not started because --max-calls calls were active. */
    blocked: number;
    /**
     * Arrivals not started because the oldest request waiting to be sent was more than
     * --max-lag late: the receiver could not keep up (absent in older reports).
     */
    skipped?: number;
  };
  requests: {
    sent: number;
    delivered: number;
    failed: number;
    retried: number;
    /** Requests that could not start within 10 ms of their due time (the receiver could not keep up). */
    late: number;
    cancelled: number;
    /** First attempts that fell due within the arrival window, and how many of them were sent. */
    due: number;
    dueSent: number;
    /**
     * Requests that followed a redirect (vendors whose client follows them), counted apart from
     * `sent`; absent in reports of older versions.
     */
    redirects?: number;
  };
  rates: {
    targetCallsPerSec: number;
    achievedCallsPerSec: number;
    /** Requests falling due per second of the window: what the calls asked for. */
    targetRequestsPerSec: number;
    /** Those requests sent, per second of the window or, if sending them took longer, of that time. */
    achievedRequestsPerSec: number;
    /** Every request sent (retries too) per second of the whole run. */
    requestsPerSec: number;
  };
  /** Scheduling lag: actual send time minus due time. */
  lag: EncodedStats;
  latency: {
    /** From the moment each request was due (corrected for coordinated omission). */
    corrected: EncodedStats;
    /** From the moment it was actually sent. */
    service: EncodedStats;
  };
  /** Keyed `vendor event status` (status is the HTTP status or `error`). */
  byEvent: Record<
    string,
    { vendor: string; event: string; status: string; corrected: EncodedStats; service: EncodedStats }
  >;
  statuses: Record<string, number>;
  /** Failed deliveries by reason. */
  errors: Record<string, number>;
  /** Faults injected on the sending side (`--chaos`), by kind. */
  faults?: Record<string, number>;
  deadLettered: number;
  /**
   * Why the run stopped before its end: a call's story contradicted itself (a branch the checks
   * before the run did not take). No new call started after it; the report covers the run so far.
   */
  stopped?: { code: ErrorCode; message: string };
  /** One bucket per second since the start. */
  timeline: {
    t: number;
    requests: number;
    errors: number;
    callsStarted: number;
    activeCalls: number;
    p50: number;
    p99: number;
    /** This bucket's corrected-latency histogram (for merging). */
    histogram: string;
  }[];
  thresholds?: { expr: string; ok: boolean; actual: string }[];
}

/**
 * The arrivals that fell in the window, started or not: what the arrival process drew. With Poisson
 * arrivals it differs from the target by chance (a 6 s run at 50/s draws 300 ± 17 calls).
 */
export const arrivedCalls = (calls: LoadReport["calls"]): number =>
  calls.started + calls.blocked + (calls.skipped ?? 0);

/** Call rates are given to 3 decimals (a shard of a slow ramp may start well under one a second). */
export const roundCallRate = (perSec: number): number => Math.round(perSec * 1000) / 1000;
/** Request rates are given to 1 decimal. */
export const roundRequestRate = (perSec: number): number => Math.round(perSec * 10) / 10;

/**
 * Target and achieved request rates of a window: the requests that fell due in it per second of
 * it, and those of them sent per second of the window or of the time sending them took, if longer
 * (a receiver that cannot keep up stretches that time).
 */
export function requestRates(
  due: number,
  dueSent: number,
  windowMs: number,
  dueSentByMs: number,
): { targetRequestsPerSec: number; achievedRequestsPerSec: number } {
  const secs = Math.max(windowMs, 1) / 1000;
  return {
    targetRequestsPerSec: roundRequestRate(due / secs),
    achievedRequestsPerSec: roundRequestRate(dueSent / (Math.max(windowMs, dueSentByMs, 1) / 1000)),
  };
}

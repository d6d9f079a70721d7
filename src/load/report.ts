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
    maxInflight: number;
    /** Requests per connection before an answer; absent means 1. */
    pipelining?: number;
    seed: number;
    /** Target origin only; no secrets. */
    target: string;
    shards: { index: number; count: number }[];
  };
  startedAt: string;
  endedAt: string;
  elapsedMs: number;
  calls: {
    /** Calls the arrival model asked for over the run. */
    target: number;
    started: number;
    completed: number;
    /** Arrivals not started because --max-calls calls were active. */
    blocked: number;
  };
  requests: {
    sent: number;
    delivered: number;
    failed: number;
    retried: number;
    /** Requests that could not start within 10 ms of their due time (the receiver could not keep up). */
    late: number;
    cancelled: number;
  };
  rates: { targetCallsPerSec: number; achievedCallsPerSec: number; requestsPerSec: number };
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

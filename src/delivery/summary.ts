import type { DeliveryResult } from "./engine.js";
import { percentile } from "./percentiles.js";

export interface RunSummary {
  calls: number;
  events: number;
  delivered: number;
  failed: number;
  cancelled: number;
  attempts: number;
  retried: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
}

export function summarize(calls: number, results: readonly DeliveryResult[]): RunSummary {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let attempts = 0;
  for (const r of results) {
    for (const a of r.attempts) {
      attempts++;
      lat.push(a.latencyMs);
      const k = a.status !== undefined ? String(a.status) : "error";
      statuses[k] = (statuses[k] ?? 0) + 1;
    }
  }
  lat.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    calls,
    events: results.length,
    delivered: results.filter((r) => r.outcome === "delivered").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    cancelled: results.filter((r) => r.outcome === "cancelled").length,
    attempts,
    retried: results.reduce((s, r) => s + Math.max(0, r.attempts.length - 1), 0),
    latencyMs: {
      p50: round(percentile(lat, 50)),
      p99: round(percentile(lat, 99)),
      max: round(lat[lat.length - 1] ?? 0),
    },
    statuses,
  };
}

export function formatSummary(s: RunSummary): string {
  const st = Object.entries(s.statuses)
    .sort()
    .map(([k, v]) => `${k}×${v}`)
    .join(" ");
  return [
    `calls ${s.calls}  events ${s.events}  delivered ${s.delivered}  failed ${s.failed}${s.cancelled ? `  cancelled ${s.cancelled}` : ""}`,
    `attempts ${s.attempts}  retried ${s.retried}  latency p50 ${s.latencyMs.p50}ms p99 ${s.latencyMs.p99}ms max ${s.latencyMs.max}ms${st ? `  statuses ${st}` : ""}`,
  ].join("\n");
}

/** Durations as users write them: `250ms`, `5s`, `1.5m`, `2h`, or a bare number of milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * (UNITS[m[2] ?? "ms"] ?? 1);
  return Number.isFinite(value) ? value : undefined;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}

/** `5s,30s,2m` → [5000, 30000, 120000]; `none` or empty → []. */
export function parseSchedule(text: string): number[] | undefined {
  const t = text.trim();
  if (t === "" || t === "none") return [];
  const out: number[] = [];
  for (const part of t.split(",")) {
    const d = parseDuration(part);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}

import { isSeq } from "yaml";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import { readYamlFile } from "../core/yaml-file.js";
import type { Rng } from "../core/random.js";

/**
 * Open arrival models of whole calls: new calls keep arriving whatever the receiver does.
 * A rate profile says how many calls per second are due at any moment of the run.
 */

export interface RateProfile {
  /** Calls per second due at `tMs` after the start. */
  rateAt(tMs: number): number;
  label: string;
  /** Length of the profile when it is made of phases; the run's duration defaults to it. */
  durationMs?: number;
  /**
   * The rate as straight pieces, each from `fromPerSec` at `startMs` to `toPerSec` at `endMs`
   * (the last may run on to Infinity); no rate outside them. Arrivals are drawn from these.
   */
  segments: readonly RateSegment[];
}

export interface RateSegment {
  startMs: number;
  endMs: number;
  fromPerSec: number;
  toPerSec: number;
}

/** A profile from its straight pieces. */
function piecewise(label: string, segments: RateSegment[], durationMs?: number): RateProfile {
  return {
    label,
    durationMs,
    segments,
    rateAt(t) {
      for (const g of segments) {
        if (t < g.startMs || t >= g.endMs) continue;
        if (g.fromPerSec === g.toPerSec) return g.fromPerSec;
        return g.fromPerSec + ((g.toPerSec - g.fromPerSec) * (t - g.startMs)) / (g.endMs - g.startMs);
      }
      return 0;
    },
  };
}

const PER: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** `80/s`, `300/m`, `1000/h`, or a bare number of calls per second. */
export function parseRate(text: string, flag = "--rate", allowZero = false): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?\s*$/.exec(text);
  if (m && !allowZero && Number(m[1]) === 0)
    throw new UsageError(
      `${flag} ${text}: a rate of zero brings no call; give one above zero (a pause is a phase at rate: 0/s in a --phases file).`,
    );
  if (!m || Number(m[1]) < 0) {
    throw new UsageError(`${flag} ${text}: write calls per time unit, e.g. 80/s, 300/m or 1000/h.`);
  }
  return Number(m[1]) / (PER[m[2] ?? "s"] ?? 1);
}

export function constantRate(perSec: number, label: string): RateProfile {
  return piecewise(label, [{ startMs: 0, endMs: Infinity, fromPerSec: perSec, toPerSec: perSec }]);
}

/** `10/s..80/s:2m`: linear from the first rate to the second over the duration, then the second. */
export function parseRamp(text: string): RateProfile {
  const m = /^\s*([^.]+)\.\.([^:]+):(.+)$/.exec(text);
  const dur = m ? parseDuration(m[3]!.trim()) : undefined;
  if (!m || dur === undefined || dur <= 0) {
    throw new UsageError(`--ramp ${text}: write FROM..TO:DURATION, e.g. 10/s..80/s:2m.`);
  }
  // a ramp may start (or end) at zero
  const a = parseRate(m[1]!, "--ramp", true);
  const b = parseRate(m[2]!, "--ramp", true);
  return piecewise(text, [
    { startMs: 0, endMs: dur, fromPerSec: a, toPerSec: b },
    { startMs: dur, endMs: Infinity, fromPerSec: b, toPerSec: b },
  ]);
}

/**
 * A phases file (YAML): a list of `{ rate: 10/s, duration: 1m }` or `{ ramp: 10/s..80/s, duration: 2m }`.
 */
export function loadPhases(file: string): RateProfile {
  const { doc, data, lineOf } = readYamlFile(file, "--phases", "USAGE");
  if (!Array.isArray(data) || data.length === 0) {
    // a list under a key (`phases:`, k6's `stages:`) is the one thing to move
    const keyed =
      typeof data === "object" && data !== null && !Array.isArray(data)
        ? Object.keys(data).find((k) => Array.isArray((data as Record<string, unknown>)[k]))
        : undefined;
    throw new UsageError(
      keyed
        ? `--phases ${file}: the phases are under "${keyed}:"; the file is the list itself, with no key above it: - { rate: 10/s, duration: 1m }.`
        : `--phases ${file}: write a list of phases, e.g. - { rate: 10/s, duration: 1m }.`,
    );
  }
  const items = isSeq(doc.contents) ? doc.contents.items : [];
  const phases = data.map((p, i) => {
    // each message names the file, the phase's line and its number
    const range = (items[i] as { range?: [number, number, number] } | undefined)?.range;
    const at = `--phases ${file}${range ? `:${lineOf(range[0])}` : ""}: phase ${i + 1}`;
    if (typeof p !== "object" || p === null || Array.isArray(p))
      throw new UsageError(
        `${at}: write a phase as { rate: 10/s, duration: 1m } or { ramp: 10/s..80/s, duration: 2m }.`,
      );
    const unknown = Object.keys(p).filter((k) => k !== "rate" && k !== "ramp" && k !== "duration");
    if (unknown.length)
      throw new UsageError(
        `${at}: ${unknown.map((k) => JSON.stringify(k)).join(", ")} is not a phase setting${didYouMean(
          unknown.flatMap((k) => closest(k, ["rate", "ramp", "duration"], 1)),
          true,
        )}; a phase has rate or ramp, and duration.`,
      );
    const o = p as { rate?: string; ramp?: string; duration?: string };
    if (o.rate !== undefined && o.ramp !== undefined)
      throw new UsageError(
        `${at} has both rate and ramp: give one (a ramp from a rate to itself is that rate).`,
      );
    const d = o.duration !== undefined ? parseDuration(String(o.duration)) : undefined;
    if (d === undefined || d <= 0)
      throw new UsageError(`${at} needs a duration above zero, e.g. duration: 2m.`);
    if (o.ramp) {
      const [from, to] = String(o.ramp).split("..");
      if (!from || !to) throw new UsageError(`${at}: ramp is FROM..TO, e.g. 10/s..80/s.`);
      return {
        from: parseRate(from, `${at}: ramp from`, true),
        to: parseRate(to, `${at}: ramp to`, true),
        d,
      };
    }
    if (o.rate === undefined) throw new UsageError(`${at} needs a rate or a ramp.`);
    // rate: 0/s is a pause: no new call for the phase's duration
    const r = parseRate(String(o.rate), `${at}: rate`, true);
    return { from: r, to: r, d };
  });
  let start = 0;
  const segments = phases.map((p) => {
    const g = { startMs: start, endMs: start + p.d, fromPerSec: p.from, toPerSec: p.to };
    start += p.d;
    return g;
  });
  return piecewise(`phases(${phases.length})`, segments, start);
}

/**
 * The time of the arrival after one at `tMs`. Arrivals follow the integrated rate, so they are
 * right while the rate changes too: the next comes where the expected number of calls since
 * `tMs` reaches one (constant arrivals) or an exponential draw of mean one (Poisson arrivals, a
 * non-homogeneous Poisson process). `share` is this process's part of the rate (a shard's 1/N).
 * Infinity when no call comes any more (the rate stays at zero).
 */
export function nextArrival(
  profile: RateProfile,
  tMs: number,
  kind: "poisson" | "constant",
  rng: Rng,
  share = 1,
): number {
  const x = kind === "constant" ? 1 : -Math.log(1 - rng.next());
  // one constant rate: the gap is the mean gap times the draw
  const r = steadyRate(profile);
  if (r !== undefined) return r > 0 ? tMs + (x * (1000 / r)) / share : Infinity;
  return afterCalls(profile.segments, tMs, x / share);
}

/**
 * The first arrival of shard `index` of `count` (0 of 1 for a whole run). Constant arrivals of
 * the shards interleave as one run's would: shard i takes the run's calls i+1, i+1+N, …, so its
 * first comes where the rate's integral reaches i + 1, and then every N calls' worth.
 */
export function firstArrival(
  profile: RateProfile,
  kind: "poisson" | "constant",
  rng: Rng,
  shard: { index: number; count: number } = { index: 0, count: 1 },
): number {
  if (kind === "poisson") return nextArrival(profile, 0, kind, rng, 1 / shard.count);
  const calls = shard.index + 1;
  const r = steadyRate(profile);
  if (r !== undefined) return r > 0 ? calls * (1000 / r) : Infinity;
  return afterCalls(profile.segments, 0, calls);
}

/** The rate of a profile that is one constant rate from start to end; undefined otherwise. */
function steadyRate(profile: RateProfile): number | undefined {
  const [g, more] = profile.segments;
  return g && !more && g.startMs === 0 && g.endMs === Infinity && g.fromPerSec === g.toPerSec
    ? g.fromPerSec
    : undefined;
}

/** The time from `tMs` at which `calls` calls are expected, walking the rate's straight pieces. */
function afterCalls(segs: readonly RateSegment[], tMs: number, calls: number): number {
  let need = calls * 1000; // in call-milliseconds per second: the rate is per second, time in ms
  for (const g of segs) {
    if (g.endMs <= tMs) continue;
    const t0 = Math.max(tMs, g.startMs);
    const slope = g.endMs === Infinity ? 0 : (g.toPerSec - g.fromPerSec) / (g.endMs - g.startMs);
    const r0 = g.fromPerSec + slope * (t0 - g.startMs);
    const span = g.endMs - t0;
    // calls (×1000) over the rest of this piece: the mean rate times its length
    const here = span === Infinity ? Infinity : ((r0 + r0 + slope * span) / 2) * span;
    if (here < need) {
      // short by a rounding error only: the call comes at the end of this piece
      if (need - here <= 1e-9 * need) return g.endMs;
      need -= here;
      continue;
    }
    if (slope === 0) return r0 > 0 ? t0 + need / r0 : Infinity;
    // r0·d + slope·d²/2 = need: the first root, in the form that stays exact for small slopes
    const root = r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * slope * need));
    const d = root > 0 ? (2 * need) / root : 0;
    return t0 + Math.min(d, span);
  }
  return Infinity;
}

/** Expected number of calls over [0, ms): the integral of the rate, exact piece by piece. */
export function expectedCalls(profile: RateProfile, ms: number): number {
  let sum = 0;
  for (const g of profile.segments) {
    const end = Math.min(g.endMs, ms);
    if (end <= g.startMs) continue;
    const span = end - g.startMs;
    const slope = g.endMs === Infinity ? 0 : (g.toPerSec - g.fromPerSec) / (g.endMs - g.startMs);
    // the mean rate over [start, end) times its length, in seconds
    sum += ((g.fromPerSec + (g.fromPerSec + slope * span)) / 2) * (span / 1000);
  }
  return sum;
}

import { isSeq } from "yaml";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";
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
}

const PER: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** `80/s`, `300/m`, `1000/h`, or a bare number of calls per second. */
export function parseRate(text: string, flag = "--rate", allowZero = false): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?\s*$/.exec(text);
  if (!m || Number(m[1]) < 0 || (!allowZero && Number(m[1]) === 0)) {
    throw new UsageError(`${flag} ${text}: write calls per time unit, e.g. 80/s, 300/m or 1000/h.`);
  }
  return Number(m[1]) / (PER[m[2] ?? "s"] ?? 1);
}

export function constantRate(perSec: number, label: string): RateProfile {
  return { rateAt: () => perSec, label };
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
  return { rateAt: (t) => (t >= dur ? b : a + ((b - a) * t) / dur), label: text, durationMs: undefined };
}

/**
 * A phases file (YAML): a list of `{ rate: 10/s, duration: 1m }` or `{ ramp: 10/s..80/s, duration: 2m }`.
 */
export function loadPhases(file: string): RateProfile {
  const { doc, data, lineOf } = readYamlFile(file, "--phases", "USAGE");
  if (!Array.isArray(data) || data.length === 0) {
    throw new UsageError(`--phases ${file}: write a list of phases, e.g. - { rate: 10/s, duration: 1m }.`);
  }
  const items = isSeq(doc.contents) ? doc.contents.items : [];
  const phases = data.map((p, i) => {
    // each message names the file, the phase's line and its number
    const range = (items[i] as { range?: [number, number, number] } | undefined)?.range;
    const at = `--phases ${file}${range ? `:${lineOf(range[0])}` : ""}: phase ${i + 1}`;
    const o = (p ?? {}) as { rate?: string; ramp?: string; duration?: string };
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
    if (!o.rate) throw new UsageError(`${at} needs a rate or a ramp.`);
    const r = parseRate(String(o.rate), `${at}: rate`);
    return { from: r, to: r, d };
  });
  const total = phases.reduce((s, p) => s + p.d, 0);
  return {
    label: `phases(${phases.length})`,
    durationMs: total,
    rateAt(t) {
      let start = 0;
      for (const p of phases) {
        if (t < start + p.d) return p.from + ((p.to - p.from) * (t - start)) / p.d;
        start += p.d;
      }
      return 0;
    },
  };
}

/** Milliseconds until the next arrival at `tMs`: exponential gaps (Poisson) or even gaps. */
export function nextGap(profile: RateProfile, tMs: number, kind: "poisson" | "constant", rng: Rng): number {
  const r = profile.rateAt(tMs);
  if (r <= 0) return 100; // nothing due now: look again shortly
  const mean = 1000 / r;
  return kind === "constant" ? mean : -Math.log(1 - rng.next()) * mean;
}

/** Expected number of calls over [0, ms) (the integral of the rate). */
export function expectedCalls(profile: RateProfile, ms: number): number {
  const step = 100;
  let sum = 0;
  // midpoint rule: exact for constant rates and ramps
  for (let t = 0; t < ms; t += step) {
    const w = Math.min(step, ms - t);
    sum += (profile.rateAt(t + w / 2) * w) / 1000;
  }
  return sum;
}

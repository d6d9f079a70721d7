import { z } from "zod";
import { parseDuration } from "./duration.js";
import type { Rng } from "./random.js";

/**
 * Timing distributions for scenario steps. Written in scenario files as a duration (`5s`, fixed)
 * or one of: {fixed: 5s}, {uniform: [2s, 8s]}, {normal: {mean: 30s, sd: 10s}},
 * {lognormal: {median: 3m, sigma: 0.6}}, {exponential: {mean: 20s}}; optional min/max clamp.
 */
const DurationText = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${v}" is not a duration; write a number with a unit, e.g. 250ms, 5s, 2m, 1h`,
    });
    return z.NEVER;
  }
  return ms;
});

const Clamp = { min: DurationText.optional(), max: DurationText.optional() };

/** What a timing may be, the message of a value that is none of them. */
export const TIMING_HELP =
  "a timing is a duration (5s) or one of {uniform: [2s, 8s]}, {normal: {mean: 30s, sd: 10s}}, {lognormal: {median: 3m, sigma: 0.6}}, {exponential: {mean: 20s}}, {fixed: 5s}";

export const DistributionSchema = z.union(
  [
    DurationText.transform((ms) => ({ kind: "fixed" as const, value: ms })),
    z.strictObject({ fixed: DurationText }).transform((d) => ({ kind: "fixed" as const, value: d.fixed })),
    z
      .strictObject({ uniform: z.tuple([DurationText, DurationText]) })
      .refine((d) => d.uniform[0] <= d.uniform[1], "uniform: the first bound must not exceed the second")
      .transform((d) => ({ kind: "uniform" as const, min: d.uniform[0], max: d.uniform[1] })),
    z
      .strictObject({ normal: z.strictObject({ mean: DurationText, sd: DurationText, ...Clamp }) })
      .transform((d) => ({ kind: "normal" as const, ...d.normal })),
    z
      .strictObject({
        lognormal: z.strictObject({ median: DurationText, sigma: z.number().positive().max(5), ...Clamp }),
      })
      .transform((d) => ({ kind: "lognormal" as const, ...d.lognormal })),
    z
      .strictObject({ exponential: z.strictObject({ mean: DurationText, ...Clamp }) })
      .transform((d) => ({ kind: "exponential" as const, ...d.exponential })),
  ],
  { error: TIMING_HELP },
);

export type Distribution = z.output<typeof DistributionSchema>;

export function sample(d: Distribution, rng: Rng): number {
  let v: number;
  switch (d.kind) {
    case "fixed":
      return d.value;
    case "uniform":
      return Math.round(rng.float(d.min, d.max));
    case "normal":
      v = d.mean + rng.gaussian() * d.sd;
      break;
    case "lognormal":
      v = d.median * Math.exp(rng.gaussian() * d.sigma);
      break;
    case "exponential":
      v = -Math.log(1 - rng.next()) * d.mean;
      break;
  }
  if (d.min !== undefined) v = Math.max(v, d.min);
  if (d.max !== undefined) v = Math.min(v, d.max);
  return Math.max(0, Math.round(v));
}

export function fixed(ms: number): Distribution {
  return { kind: "fixed", value: ms };
}

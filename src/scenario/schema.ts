import { z } from "zod";
import { DistributionSchema, TIMING_HELP } from "../core/distribution.js";
import { closest, didYouMean } from "../core/suggest.js";
import { objectKeysAt } from "../core/zod-keys.js";

/**
 * Scenario files describe stories, not HTTP: who calls, what happens, and when, with timing
 * distributions and weighted branches. Each step is a one-key mapping: `- answer: {}`.
 * Every step may carry `after:` (a delay before it happens).
 */

const After = { after: DistributionSchema.optional() };
/** An agent reference: 1 = the first agent this call reaches, 2 = the second, ...; "next" = a new one. */
const AgentRef = z.union([z.number().int().min(1).max(50), z.literal("next"), z.literal("current")], {
  error: "an agent is a number from 1 to 50 (the first, second, … agent this call reaches), next or current",
});

export type StepInput = z.input<typeof StepSchema>;

const Weighted = <T extends z.ZodType>(value: T) =>
  z.union([
    value.transform((v) => [{ weight: 1, value: v as z.output<T> }]),
    z.array(z.strictObject({ weight: z.number().positive(), value })).min(1),
  ]);

const steps: Record<string, z.ZodType> = {
  arrive: z.strictObject({ target: z.enum(["queue", "user"]).default("queue"), ...After }),
  ivr: z.strictObject({
    menu: z.string().default("Main menu"),
    duration: DistributionSchema.optional(),
    digits: z
      .string()
      .regex(/^[0-9*#]+$/, "digits are 0-9, * and #")
      .optional(),
    ...After,
  }),
  enqueue: z.strictObject({ ...After }),
  wait: DistributionSchema,
  talk: DistributionSchema,
  offer: z.strictObject({ agent: AgentRef.default("next"), ...After }),
  answer: z.strictObject({ agent: AgentRef.optional(), ...After }),
  miss: z.strictObject({ reason: z.enum(["noanswer", "rejected"]).default("noanswer"), ...After }),
  dial: z.strictObject({ agent: AgentRef.default("next"), ...After }),
  ringing: z.strictObject({ ...After }),
  connect: z.strictObject({
    /** Answering-machine detection's verdict on the answered call (dialers). */
    amd: z.enum(["HUMAN", "MACHINE", "NOTSURE"]).optional(),
    ...After,
  }),
  transfer: z.strictObject({
    mode: z.enum(["blind", "attended"]),
    to: z
      .union([AgentRef, z.literal("external")], {
        error: "a transfer goes to an agent (1 to 50, next or current) or to external",
      })
      .default("next"),
    consult: DistributionSchema.optional(),
    outcome: z.enum(["connected", "cancelled"]).default("connected"),
    ...After,
  }),
  hangup: z.strictObject({
    by: z.enum(["caller", "agent", "system"]),
    cause: z
      .enum(["normal", "busy", "noanswer", "rejected", "cancel", "failed", "timeout"])
      .default("normal"),
    ...After,
  }),
  overflow: z.strictObject({ to: z.enum(["callback", "voicemail", "number"]), ...After }),
  wrapup: z.strictObject({
    duration: DistributionSchema,
    max: z.number().int().min(1).max(86_400).default(120),
    end: z.enum(["timer", "manual"]).default("manual"),
    ...After,
  }),
  record: z.strictObject({ ...After }),
  callback: z.strictObject({
    action: z.enum(["create", "assign", "attempt", "reschedule", "close", "expire"]),
    type: z
      .union([z.literal(1), z.literal(2), z.literal(3)], { error: "a callback type is 1, 2 or 3" })
      .optional(),
    agent: AgentRef.optional(),
    result: Weighted(z.enum(["success", "noanswer", "busy", "failed"])).optional(),
    note: z.string().optional(),
    notBefore: DistributionSchema.optional(),
    due: DistributionSchema.optional(),
    ...After,
  }),
  availability: z.strictObject({
    agent: AgentRef.default("next"),
    state: z.enum(["Available", "Busy", "DoNotDisturb", "OffWork"]),
    note: z.string().optional(),
    for: DistributionSchema.optional(),
    ...After,
  }),
  action: z.strictObject({
    /** The action type; may be left out when `ref` names an entry of the scenario's `flow:`. */
    type: z
      .string()
      .regex(/^[a-z_]+$/, "an action type is lower-case with underscores, e.g. talk, digits_receive")
      .optional(),
    /** Refers to a `flow:` entry by its ref, when the flow has several actions of one type. */
    ref: z.string().optional(),
    option: z.record(z.string(), z.unknown()).optional(),
    /** How long the action runs on the clock. */
    duration: DistributionSchema.optional(),
    /** Digits the caller presses (digits_receive). */
    digits: z
      .string()
      .regex(/^[0-9*#]+$/, "digits are 0-9, * and #")
      .optional(),
    ...After,
  }),
  disposition: z.strictObject({
    value: Weighted(z.strictObject({ value: z.string().min(1), sub: z.string().optional() })),
    ...After,
  }),
};

export const STEP_NAMES = [...Object.keys(steps), "branch", "repeat"];

export type Step =
  | { type: "arrive"; target: "queue" | "user"; after?: Dist }
  | { type: "ivr"; menu: string; duration?: Dist; digits?: string; after?: Dist }
  | { type: "enqueue"; after?: Dist }
  | { type: "wait"; duration: Dist }
  | { type: "talk"; duration: Dist }
  | { type: "offer"; agent: Ref; after?: Dist }
  | { type: "answer"; agent?: Ref; after?: Dist }
  | { type: "miss"; reason: "noanswer" | "rejected"; after?: Dist }
  | { type: "dial"; agent: Ref; after?: Dist }
  | { type: "ringing"; after?: Dist }
  | { type: "connect"; amd?: "HUMAN" | "MACHINE" | "NOTSURE"; after?: Dist }
  | {
      type: "transfer";
      mode: "blind" | "attended";
      to: Ref | "external";
      consult?: Dist;
      outcome: "connected" | "cancelled";
      after?: Dist;
    }
  | {
      type: "hangup";
      by: "caller" | "agent" | "system";
      cause: "normal" | "busy" | "noanswer" | "rejected" | "cancel" | "failed" | "timeout";
      after?: Dist;
    }
  | { type: "overflow"; to: "callback" | "voicemail" | "number"; after?: Dist }
  | { type: "wrapup"; duration: Dist; max: number; end: "timer" | "manual"; after?: Dist }
  | { type: "record"; after?: Dist }
  | {
      type: "callback";
      action: "create" | "assign" | "attempt" | "reschedule" | "close" | "expire";
      type_?: 1 | 2 | 3;
      agent?: Ref;
      result?: { weight: number; value: "success" | "noanswer" | "busy" | "failed" }[];
      note?: string;
      notBefore?: Dist;
      due?: Dist;
      after?: Dist;
    }
  | {
      type: "availability";
      agent: Ref;
      state: "Available" | "Busy" | "DoNotDisturb" | "OffWork";
      note?: string;
      for?: Dist;
      after?: Dist;
    }
  | { type: "disposition"; value: { weight: number; value: { value: string; sub?: string } }[]; after?: Dist }
  | {
      type: "action";
      type_?: string;
      ref?: string;
      option?: Record<string, unknown>;
      duration?: Dist;
      digits?: string;
      after?: Dist;
    }
  | { type: "branch"; options: { weight: number; steps: Step[] }[] }
  | { type: "repeat"; times: [number, number]; steps: Step[] };

type Dist = z.output<typeof DistributionSchema>;
type Ref = number | "next" | "current";

function toStep(name: string, value: unknown): Step {
  if (name === "wait" || name === "talk") return { type: name, duration: value as Dist };
  if (name === "action") {
    const { type, ...rest } = value as Record<string, unknown>;
    return { type: "action", type_: type, ...rest } as Step;
  }
  if (name === "callback") {
    const { type, ...rest } = value as Record<string, unknown>;
    return { type: "callback", type_: type, ...rest } as Step;
  }
  return { type: name, ...(value as object) } as Step;
}

export const StepSchema: z.ZodType<Step> = z.lazy(() =>
  z.record(z.string(), z.unknown()).transform((obj, ctx): Step => {
    const keys = Object.keys(obj);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `a step is a mapping with exactly one key (the step name); got ${keys.length ? keys.join(", ") : "none"}. Steps: ${STEP_NAMES.join(", ")}`,
      });
      return z.NEVER;
    }
    const name = keys[0] as string;
    const raw = obj[name];
    if (name === "branch") {
      const r = z
        .array(z.strictObject({ weight: z.number().positive(), steps: z.array(StepSchema).min(1) }))
        .min(1)
        .safeParse(raw, { reportInput: true });
      if (!r.success) return forward(ctx, r.error, name);
      return { type: "branch", options: r.data };
    }
    if (name === "repeat") {
      const r = z
        .strictObject({
          times: z.union(
            [
              z.number().int().min(0).max(100),
              z
                .tuple([z.number().int().min(0).max(100), z.number().int().min(0).max(100)])
                .refine(
                  ([lo, hi]) => lo <= hi,
                  "a range [min, max]: the first bound must not exceed the second",
                ),
            ],
            { error: "times is a whole number from 0 to 100, or a range [min, max] such as [2, 4]" },
          ),
          steps: z.array(StepSchema).min(1),
        })
        .safeParse(raw, { reportInput: true });
      if (!r.success) return forward(ctx, r.error, name);
      const t = r.data.times;
      return { type: "repeat", times: typeof t === "number" ? [t, t] : t, steps: r.data.steps };
    }
    const schema = steps[name];
    if (!schema) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `unknown step "${name}"${didYouMean(closest(name, STEP_NAMES), true)}; the steps are: ${STEP_NAMES.join(", ")}`,
      });
      return z.NEVER;
    }
    const r = schema.safeParse(raw ?? {}, { reportInput: true });
    if (!r.success) return forward(ctx, r.error, name);
    return toStep(name, r.data);
  }),
);

/**
 * The issue to report of several: the first, unless an unknown key sits beside it (`bye:` for
 * `by:` makes `by` missing too, and the typo is what to fix).
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const first = issues[0]!;
  const parent = first.path.slice(0, -1);
  return (
    issues.find(
      (i) =>
        i.code === "unrecognized_keys" &&
        i.path.length === parent.length &&
        i.path.every((p, k) => p === parent[k]),
    ) ?? first
  );
}

function forward(ctx: z.RefinementCtx, error: z.ZodError, name: string): never {
  const first = firstIssue(error.issues);
  for (const issue of [first, ...error.issues.filter((i) => i !== first)]) {
    const keys = stepKeys(name);
    const msg =
      issue.code === "unrecognized_keys" && keys
        ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}${didYouMean(
            issue.keys.flatMap((k) => closest(k, keys, 1)),
            true,
          )}; ${name} takes: ${keys.join(", ")}`
        : issue.code === "invalid_type" && issue.expected === "object" && issue.path.length === 0 && keys
          ? scalarStep(name, keys, issue.input)
          : friendlyIssue(issue);
    ctx.addIssue({ code: "custom", path: [name, ...issue.path] as PropertyKey[], message: msg });
  }
  return z.NEVER as never;
}

/**
 * A step written with a bare value (`offer: next`, `hangup: caller`) where it takes a mapping: the
 * mapping it most likely meant, with the value under the step's first key.
 */
function scalarStep(name: string, keys: readonly string[], input: unknown): string {
  const value = typeof input === "string" ? input : JSON.stringify(input);
  return `takes a mapping of its keys (${keys.join(", ")}), not ${shown(input)}; write it ${name}: { ${keys[0]!}: ${value} }, or ${name}: {} for the defaults`;
}

function stepKeys(name: string): string[] | undefined {
  const schema = steps[name] as unknown as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape ? Object.keys(schema.shape) : undefined;
}

/** One zod issue in words a scenario author can act on. */
export function friendlyIssue(issue: z.core.$ZodIssue): string {
  // (the issues come with their input: `reportInput` on every parse of a scenario)
  if ((issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined)
    return issue.code === "invalid_value"
      ? `is required: ${issue.message.replace(/^Invalid option: e/, "e")}`
      : "is required";
  if (issue.code === "invalid_type" && issue.input === null)
    return `has no value; ${issue.message.replace(/^Invalid input: /, "")}`;
  if (issue.code === "unrecognized_keys") {
    const known = objectKeysAt(ScenarioFileSchema, issue.path);
    const hint = known
      ? didYouMean(
          issue.keys.flatMap((k) => closest(k, known, 1)),
          true,
        )
      : "";
    return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}${hint}${known ? `; the keys here are: ${known.join(", ")}` : ""}`;
  }
  if (issue.code === "invalid_value" && typeof issue.input === "string") {
    const values = issue.values.filter((v): v is string => typeof v === "string");
    return `"${issue.input}" is not one of ${values.join(", ")}${didYouMean(closest(issue.input, values, 1), true)}`;
  }
  if (issue.code === "invalid_union") {
    const inner = issue.errors.flat();
    const specific = inner.find(
      (e) => e.code === "custom" || (e.code === "invalid_type" && e.expected === "tuple"),
    );
    if (specific && specific.code === "custom") return specific.message;
    if (inner.some((e) => e.message.includes("duration")))
      return inner.find((e) => e.message.includes("duration"))!.message;
    // the one alternative of the input's own kind and keys (a value or a weighted list of values;
    // the timing written as {lognormal: ...}) says what is wrong with it
    const typed = issue.errors.filter(
      (branch) =>
        branch.length > 0 &&
        !isTypeMismatch(branch[0]!) &&
        !branch.some((e) => e.code === "unrecognized_keys" && e.path.length === 0),
    );
    if (typed.length === 1) {
      const e = firstIssue(typed[0]!);
      const at = e.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("");
      return at ? `${at.replace(/^\./, "")}: ${friendlyIssue(e)}` : friendlyIssue(e);
    }
    if (issue.message === TIMING_HELP) return `is not a valid value here; ${TIMING_HELP}`;
    // a union that says what it takes (an agent, a callback type, a count)
    if (issue.message !== "Invalid input") return `is ${shown(issue.input)}; ${issue.message}`;
    return "is not a valid value here";
  }
  if (issue.code === "invalid_value") return `${issue.message}`;
  if (issue.code === "too_small" && issue.origin === "array")
    return `is empty; list at least ${issue.minimum === 1 ? "one entry" : `${issue.minimum} entries`}`;
  if ((issue.code === "too_small" || issue.code === "too_big") && issue.origin === "number") {
    const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
    const rule =
      issue.code === "too_small"
        ? issue.inclusive
          ? `at least ${bound}`
          : `more than ${bound}`
        : issue.inclusive
          ? `at most ${bound}`
          : `less than ${bound}`;
    return `is ${JSON.stringify(issue.input)}; it must be ${rule}`;
  }
  return issue.message;
}

function shown(input: unknown): string {
  return typeof input === "string" ? `"${input}"` : JSON.stringify(input);
}

/** An alternative of a union that failed on the input's kind (a list where it takes a word), not on its value. */
function isTypeMismatch(e: z.core.$ZodIssue): boolean {
  if (e.path.length > 0) return false;
  if (e.code === "invalid_type") return true;
  if (e.code === "invalid_union") return e.message === "Invalid input";
  return e.code === "invalid_value" && typeof e.input === "object" && e.input !== null;
}

export const ScenarioFileSchema = z.strictObject({
  vendor: z.string().min(1),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "names are lower-case words joined by hyphens, e.g. queue-answered"),
  /** One line for `pbxsim list scenarios`; optional in a user's own file. */
  description: z.string().default(""),
  /** Profiles this scenario is meant for; empty = every profile of the vendor. */
  profiles: z.array(z.string()).optional(),
  call: z
    .strictObject({
      direction: z.enum(["inbound", "outbound", "none"]).default("inbound"),
      /** A queue name from the vendor's directory, or `any`. */
      queue: z.string().default("any"),
      /** Pause before the next call in the same slot. */
      gap: DistributionSchema.optional(),
      /**
       * Who started the call: the PBX's own routing (default), a click-to-call API request that rings the
       * agent first, or a dialer campaign (preview, progressive, predictive) that calls customers.
       */
      origin: z
        .enum(["pbx", "click-to-call", "preview", "progressive", "predictive", "broadcast", "offline"])
        .default("pbx"),
      /** What is queued: a phone call (default), a chat or a task. */
      channel: z.enum(["call", "chat", "task"]).default("call"),
      /** The campaign's name, for dialer and broadcast calls. */
      campaign: z.string().optional(),
    })
    .default({ direction: "inbound", queue: "any", origin: "pbx", channel: "call" }),
  /** The call flow a programmable PBX runs (VoIPBIN activeflows); `action` steps move its cursor. */
  flow: z
    .array(
      z.strictObject({
        type: z.string().regex(/^[a-z_]+$/, "an action type is lower-case with underscores"),
        ref: z.string().optional(),
        option: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .min(1)
    .optional(),
  steps: z.array(StepSchema).min(1),
});

export type ScenarioFile = z.output<typeof ScenarioFileSchema>;

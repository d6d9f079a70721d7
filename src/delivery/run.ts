import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { PbxsimError } from "../core/errors.js";
import type { SimulatedCall } from "../core/model.js";
import { randomSeed } from "../core/random.js";
import type { TargetSettings } from "../core/vendor.js";
import { resolveScenarios, type Scenario } from "../scenario/load.js";
import { findVendor, VENDORS } from "../vendors/registry.js";
import { appendLine, deadLetterLine, prepareOutput } from "./dead-letter.js";
import type { DeliveryResult, EngineOptions } from "./engine.js";
import { type Plan, type PlannedRequest, planRun, type VendorTargets } from "./plan.js";
import { type RunSummary, summarize } from "./summary.js";
import { isSecretHeader } from "../core/redact.js";

/** The virtual clock's start when a seed is given and no start: fixed, so a seeded run is byte-identical. */
export const SEEDED_START = Date.UTC(2026, 0, 5, 7, 0, 0);

export interface RunOptions extends Omit<EngineOptions, "speed"> {
  /** Scenario ids, globs or file paths; or loaded scenarios. */
  scenarios: (string | Scenario)[];
  /** One URL for every vendor (with `token` as the secret), or per-vendor targets. */
  url?: string;
  token?: string;
  /**
   * With `url` and `token`: the signing key of the vendors that sign (VoIPBIN current), while
   * `token` goes to those with a token header (Enreach). Alone it is the one secret, as `token` is.
   */
  secret?: string;
  targets?: VendorTargets;
  seed?: number;
  start?: number;
  calls?: number;
  concurrency?: number;
  profile?: string;
  headers?: Record<string, string>;
  method?: string;
  options?: Record<string, string>;
  reorderMs?: number;
  speed?: number | "max";
  deadLetterFile?: string;
}

export interface RunResult {
  seed: number;
  plan: Plan;
  results: DeliveryResult[];
  summary: RunSummary;
}

export function buildTargets(opts: {
  url?: string;
  token?: string;
  secret?: string;
  targets?: VendorTargets;
}): VendorTargets {
  if (opts.targets) return opts.targets;
  if (!opts.url)
    throw new PbxsimError(
      "USAGE",
      "no target: give --url URL (every event to one receiver) or --targets FILE.",
    );
  const fallback: TargetSettings = { url: opts.url, secret: opts.token ?? opts.secret };
  const byVendor = new Map<string, TargetSettings[]>();
  // both given: a mix sends each vendor the kind of secret it uses
  if (opts.token !== undefined && opts.secret !== undefined)
    for (const v of VENDORS)
      if (v.profiles.some((p) => v.transport(p).auth.kind === "hmac-sha256"))
        byVendor.set(v.id, [{ url: opts.url, secret: opts.secret }]);
  return { byVendor, fallback };
}

export function planFromOptions(opts: RunOptions): { seed: number; plan: Plan } {
  const seed = opts.seed ?? randomSeed();
  const scenarios = opts.scenarios.flatMap((s) =>
    typeof s === "string" ? resolveScenarios([s], findVendor) : [s],
  );
  const plan = planRun({
    scenarios,
    targets: buildTargets(opts),
    seed,
    start: opts.start ?? (opts.seed !== undefined ? SEEDED_START : Date.now()),
    calls: opts.calls,
    concurrency: opts.concurrency,
    profile: opts.profile,
    headers: opts.headers,
    method: opts.method,
    options: opts.options,
    reorderMs: opts.reorderMs,
  });
  return { seed, plan };
}

/** Plans and delivers scenarios; the library's one-call entry point. Never throws for delivery failures. */
export async function runScenarios(opts: RunOptions): Promise<RunResult> {
  const { seed, plan } = planFromOptions(opts);
  return { seed, plan, ...(await deliverPlan(plan, opts)) };
}

export async function deliverPlan(
  plan: Plan,
  opts: Omit<RunOptions, "scenarios">,
): Promise<{ results: DeliveryResult[]; summary: RunSummary }> {
  if (opts.deadLetterFile) prepareOutput(opts.deadLetterFile, "--dead-letter");
  const secrets = secretsOf(plan.requests, opts.token, opts.secret);
  // the HTTP client loads only when something is sent (a dry run, a listing, never)
  const { DeliveryEngine } = await import("./engine.js");
  const engine = new DeliveryEngine({
    ...opts,
    speed: opts.speed ?? 1,
    onResult: (r) => {
      if (r.outcome === "failed" && opts.deadLetterFile)
        appendLine(opts.deadLetterFile, deadLetterLine(r, secrets));
      opts.onResult?.(r);
    },
  });
  try {
    const results = await engine.run(plan.requests);
    if (opts.deadLetterFile) {
      for (const r of results)
        if (r.outcome === "cancelled") appendLine(opts.deadLetterFile, deadLetterLine(r, secrets));
    }
    return { results, summary: summarize(plan.calls.length, results) };
  } finally {
    await engine.close();
  }
}

export function secretsOf(requests: readonly PlannedRequest[], ...given: (string | undefined)[]): string[] {
  const s = new Set<string>();
  for (const g of given) if (g) s.add(g);
  for (const r of requests) {
    for (const [k, v] of Object.entries(r.headers)) if (isSecretHeader(k)) s.add(v);
  }
  return [...s];
}

/**
 * Delivers scenarios straight into a request handler (an express app, a node:http listener)
 * in the same process: a loopback server on a free port is opened and closed around the run,
 * so a receiver's own test suite can assert on what the app stored.
 */
export async function deliverToApp(
  app: RequestListener,
  opts: Omit<RunOptions, "url"> & { path?: string },
): Promise<RunResult & { calls: SimulatedCall[] }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const r = await runScenarios({
      speed: "max",
      ...opts,
      url: `http://127.0.0.1:${port}${opts.path ?? "/"}`,
    });
    return { ...r, calls: r.plan.calls };
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

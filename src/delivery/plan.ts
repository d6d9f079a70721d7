import { sample } from "../core/distribution.js";
import { PbxsimError } from "../core/errors.js";
import type { SimulatedCall } from "../core/model.js";
import { Rng } from "../core/random.js";
import {
  type AuthSpec,
  authHeaderName,
  type TargetSettings,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../core/vendor.js";
import type { Scenario } from "../scenario/load.js";
import { preflight, simulateCall } from "../scenario/simulate.js";
import { getVendor, profileChooser, resolveProfile } from "../vendors/registry.js";
import { redactUrl } from "../core/redact.js";

/** One request of a run, exactly as it will go on the wire, due `at` virtual ms after the run starts. */
export interface PlannedRequest {
  seq: number;
  at: number;
  vendor: string;
  profile: string;
  scenario: string;
  call: string;
  event: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Settings the engine needs to send and judge it. */
  transport: TransportSpec;
  insecure: boolean;
}

export interface VendorTargets {
  /** Targets by vendor id; a vendor without an entry gets `fallback`. */
  byVendor: Map<string, TargetSettings[]>;
  fallback?: TargetSettings;
}

export interface PlanOptions {
  scenarios: Scenario[];
  targets: VendorTargets;
  seed: number;
  /** Epoch ms of the virtual clock's start. */
  start: number;
  /** Calls per scenario. */
  calls?: number;
  /** Calls in progress at once. */
  concurrency?: number;
  profile?: string;
  /** Extra headers on every request (lower-case names). */
  headers?: Record<string, string>;
  /** HTTP method, for vendors whose customers choose one. */
  method?: string;
  /** Vendor options (`--option key=value`). */
  options?: Record<string, string>;
  /**
   * For vendors that send each event independently (VoIPBIN, Webitel): a seeded jitter of up to
   * this many ms on each event's due time, so neighbouring events can arrive swapped.
   */
  reorderMs?: number;
}

export interface Plan {
  calls: SimulatedCall[];
  requests: PlannedRequest[];
  /**
   * Targets a real vendor would refuse, with the reason (said once per target), and secrets that
   * vendors without auth of their own do not send.
   */
  notices: string[];
}

const DEFAULT_GAP = { kind: "uniform" as const, min: 1000, max: 5000 };

/**
 * What to tell a user whose secret (--token, --secret, a targets file's webhook_secret) goes to
 * vendors, or generations of one, that send no token or signature, given as "vendor profile"
 * pairs: a receiver tested that way is not tested for its auth, and should not look as if it were.
 */
export function secretNotSentNotices(unsent: Iterable<{ vendor: string; profile: string }>): string[] {
  const notices: string[] = [];
  const plain = new Set<string>();
  const told = new Set<string>();
  for (const { vendor, profile } of unsent) {
    if (told.has(`${vendor} ${profile}`)) continue;
    told.add(`${vendor} ${profile}`);
    // a vendor with a generation that does use one: name it
    const v = getVendor(vendor);
    const other = v.profiles
      .map((p) => ({ p, auth: v.transport(p).auth }))
      .find((x): x is { p: string; auth: Exclude<AuthSpec, { kind: "none" }> } => x.auth.kind !== "none");
    if (!other) plain.add(vendor);
    else
      notices.push(
        other.auth.kind === "hmac-sha256"
          ? `${vendor} ${profile} signs nothing, so its secret is not sent; --profile ${other.p} signs each body with it (${authHeaderName(other.auth.header)}).`
          : `${vendor} ${profile} sends no token, so its secret is not sent; --profile ${other.p} sends it (${authHeaderName(other.auth.header)}).`,
      );
  }
  if (plain.size) {
    const names = [...plain];
    notices.unshift(
      names.length === 1
        ? `${names[0]} sends no token or signature of its own, so --token/--secret is not sent; protect its endpoint as its users do, with --header or a key in the URL.`
        : `${names.slice(0, -1).join(", ")} and ${names.at(-1)} send no token or signature of their own, so --token/--secret is not sent to them; protect their endpoints as their users do, with --header or a key in the URL.`,
    );
  }
  return notices;
}

/**
 * Simulates every call of a run on the virtual clock and turns each vendor event into the
 * request(s) its targets receive. Sends nothing: the dry run prints this, the engine plays it.
 */
export function planRun(opts: PlanOptions): Plan {
  const root = new Rng(opts.seed);
  const perScenario = opts.calls ?? 1;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const slots = new Array<number>(concurrency).fill(0);
  const calls: SimulatedCall[] = [];
  const events: {
    call: SimulatedCall;
    event: VendorEvent;
    vendor: Vendor;
    profile: string;
    order: number;
  }[] = [];
  let key = 0;
  let order = 0;
  const chosen = profileChooser(
    opts.profile,
    opts.scenarios.map((s) => getVendor(s.vendor)),
  );
  for (const scenario of opts.scenarios) {
    const vendor = getVendor(scenario.vendor);
    const profile = resolveProfile(vendor, chosen(vendor) ?? pickProfile(vendor, scenario));
    const directory = vendor.directory();
    preflight(scenario, vendor, directory, root.fork(`preflight/${scenario.id}`), profile);
    for (let i = 0; i < perScenario; i++) {
      key++;
      const slot = slots.indexOf(Math.min(...slots));
      const rng = root.fork(`call/${key}`);
      const offset = slots[slot]!;
      const call = simulateCall({
        scenario,
        vendor,
        directory,
        rng: rng.fork("story"),
        key: String(key),
        start: opts.start + offset,
        profile,
      });
      const projected = vendor.project(call, {
        rng: rng.fork("ids"),
        directory,
        profile,
        options: opts.options,
      });
      let end = 0;
      const jitter = opts.reorderMs && vendor.transport(profile).unordered ? rng.fork("reorder") : undefined;
      for (const ev of projected) {
        end = Math.max(end, ev.at);
        const shift = jitter ? Math.floor(jitter.next() * (opts.reorderMs as number)) : 0;
        events.push({ call, event: { ...ev, at: ev.at + offset + shift }, vendor, profile, order: order++ });
      }
      end = Math.max(end, call.facts[call.facts.length - 1]?.at ?? 0);
      slots[slot] = offset + end + sample(scenario.call.gap ?? DEFAULT_GAP, rng.fork("gap"));
      calls.push(call);
    }
  }
  events.sort((a, b) => a.event.at - b.event.at || a.order - b.order);

  const notices = new Set<string>();
  const unsent = new Map<string, { vendor: string; profile: string }>();
  const requests: PlannedRequest[] = [];
  for (const { call, event, vendor, profile } of events) {
    const targets =
      opts.targets.byVendor.get(vendor.id) ?? (opts.targets.fallback ? [opts.targets.fallback] : []);
    if (targets.length === 0) {
      throw new PbxsimError(
        "USAGE",
        `no target for ${vendor.id}: give --url, or a --targets file with a "${vendor.id}" section.`,
      );
    }
    const transport = vendor.transport(profile);
    const method = opts.method;
    if (method) checkMethod(vendor, profile, method);
    for (const target of targets) {
      if (target.accepts && !target.accepts(event)) continue;
      const enc = vendor.encode(event, {
        profile,
        url: target.url,
        secret: target.secret,
        method: target.method ?? opts.method,
        options: { ...opts.options, ...target.options },
      });
      if (target.secret && transport.auth.kind === "none")
        unsent.set(`${vendor.id} ${profile}`, { vendor: vendor.id, profile });
      const url = enc.url;
      const refusal = transport.targetRule?.(new URL(target.url));
      if (refusal)
        notices.add(`${vendor.id}: ${redactUrl(url)}: ${refusal}; pbxsim sends it anyway for testing.`);
      requests.push({
        seq: requests.length,
        at: event.at,
        vendor: vendor.id,
        profile,
        scenario: call.scenario,
        call: call.key,
        event: event.name,
        method: enc.method,
        url,
        headers: { ...enc.headers, ...(opts.headers ?? {}), ...(target.headers ?? {}) },
        body: enc.body,
        transport: target.timeoutMs ? { ...transport, timeoutMs: target.timeoutMs } : transport,
        insecure: target.insecure ?? false,
      });
    }
  }
  return { calls, requests, notices: [...notices, ...secretNotSentNotices(unsent.values())] };
}

function checkMethod(vendor: Vendor, profile: string, method: string): void {
  const allowed = vendor.methods?.(profile);
  if (!allowed || !allowed.includes(method)) {
    const fixed = vendor.transport(profile).method;
    throw new PbxsimError(
      "USAGE",
      `--method ${method}: ${vendor.id}${vendor.profiles.length > 1 ? ` (profile ${profile})` : ""} ${allowed && allowed.length > 1 ? `sends ${allowed.join(" or ")}` : `always sends ${fixed}`}.`,
    );
  }
}

function pickProfile(vendor: Vendor, scenario: Scenario): string {
  return scenario.profiles?.[0] ?? vendor.defaultProfile;
}

/** The dry-run line for one request: the exact request, secrets included (that is its job). */
export function dryRunLine(r: PlannedRequest): string {
  return JSON.stringify({
    seq: r.seq,
    at: r.at,
    vendor: r.vendor,
    profile: r.profile,
    scenario: r.scenario,
    call: r.call,
    event: r.event,
    method: r.method,
    url: r.url,
    headers: r.headers,
    body: r.body,
  });
}

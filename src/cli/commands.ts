import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_CODES, PbxsimError, UsageError } from "../core/errors.js";
import { Rng, randomSeed } from "../core/random.js";
import { REDACTED, redactHeaders, redactUrl } from "../core/redact.js";
import { closest, didYouMean } from "../core/suggest.js";
import { describeSuccess } from "../core/vendor.js";
import {
  applyChaos,
  countFaults,
  type InjectedFault,
  parseChaos,
  unspoiledNotice,
} from "../delivery/chaos.js";
import { appendLine, distinctOutputs, prepareOutput } from "../delivery/dead-letter.js";
import { recordLine, replayRequests, truthFile } from "../delivery/record.js";
import type { DeliveryResult } from "../delivery/engine.js";
import { dryRunLine, type PlannedRequest, secretNotSentNotices } from "../delivery/plan.js";
import { deliverPlan, planFromOptions, SEEDED_START, secretsOf } from "../delivery/run.js";
import { formatSummary } from "../delivery/summary.js";
import { loadTargetsFile } from "../delivery/targets.js";
import type { ReceivedRecord } from "../receiver/app.js";
import { builtinScenarioFiles, loadScenarioFile } from "../scenario/load.js";
import { findVendor, getVendor, profileChooser, resolveProfile, VENDORS } from "../vendors/registry.js";
import {
  asTyped,
  parseDurationFlag,
  parseHeaders,
  parsePositiveInt,
  parseScheduleFlag,
  parseSeed,
  parseSet,
  type SetField,
  parseSpeed,
  parseStart,
  parseMethod,
  parseOptions,
  parseUrlFlag,
} from "./options.js";
import { attemptLine, bold, deliveryLine, dim, err, out, timeline } from "./print.js";
import { formatDuration } from "../core/duration.js";

/** Command implementations: validate every flag first, then act, then return the exit code. */

export function listCommand(what: string, vendorId: string | undefined, json: boolean): number {
  const vendors = vendorId ? [getVendor(vendorId)] : [...VENDORS];
  if (what === "vendors") {
    const rows = vendors.map((v) => {
      const t = v.transport(v.defaultProfile);
      return {
        id: v.id,
        name: v.displayName,
        profiles: v.profiles,
        events: v.events.length,
        scenarios: builtinScenarioFiles().filter((s) => s.id.startsWith(`${v.id}/`)).length,
        // per profile where the profiles differ (VoIPBIN legacy takes any status, current below 500)
        success:
          [...new Set(v.profiles.map((p) => describeSuccess(v.transport(p).success)))].length > 1
            ? v.profiles.map((p) => `${p} ${describeSuccess(v.transport(p).success)}`).join(", ")
            : describeSuccess(t.success),
        retries: t.retrySchedule.length,
      };
    });
    if (json) out(JSON.stringify(rows, null, 2));
    else
      for (const r of rows)
        out(
          `${bold(r.id.padEnd(10))} ${r.name}  profiles: ${r.profiles.join(", ")}  events: ${r.events}  scenarios: ${r.scenarios}  success: ${r.success}`,
        );
    return 0;
  }
  if (what === "events") {
    const rows = vendors.flatMap((v) =>
      v.events.map((e) => ({ vendor: v.id, event: e.name, group: e.group, description: e.description })),
    );
    if (json) out(JSON.stringify(rows, null, 2));
    else
      for (const r of rows)
        out(`${r.vendor.padEnd(9)} ${r.event.padEnd(32)} ${dim(r.group.padEnd(9))} ${r.description}`);
    return 0;
  }
  if (what === "scenarios") {
    const rows = builtinScenarioFiles()
      .filter((s) => vendors.some((v) => s.id.startsWith(`${v.id}/`)))
      .map((s) => {
        const sc = loadScenarioFile(s.file, findVendor);
        return { id: s.id, vendor: sc.vendor, direction: sc.call.direction, description: sc.description };
      });
    if (json) out(JSON.stringify(rows, null, 2));
    else for (const r of rows) out(`${bold(r.id.padEnd(34))} ${r.description}`);
    return 0;
  }
  if (what === "directory") {
    const rows = vendors.map((v) => {
      const d = v.directory();
      return {
        vendor: v.id,
        queues: d.queues.map((q) => ({
          id: q.key,
          name: q.name,
          number: q.number.e164,
          members: d.members[q.key]?.length ?? 0,
        })),
        users: d.agents.map((a) => ({
          id: a.key,
          username: a.email,
          name: `${a.firstName} ${a.lastName}`,
          number: a.number.e164,
        })),
        callLists: d.callLists.map((c) => ({ id: c.key, name: c.name })),
      };
    });
    if (json) out(JSON.stringify(rows, null, 2));
    else
      for (const r of rows) {
        out(bold(r.vendor));
        for (const q of r.queues) out(`  queue     ${q.id}  ${q.name} (${q.number}, ${q.members} agents)`);
        for (const u of r.users) out(`  user      ${u.id}  ${u.username} (${u.number})`);
        for (const c of r.callLists) out(`  call list ${c.id}  ${c.name}`);
      }
    return 0;
  }
  throw new UsageError(`list ${what}: list one of vendors, scenarios, events, directory.`);
}

export interface SendArgs {
  vendor: string;
  secret?: string;
  option?: string[];
  method?: string;
  event: string;
  url?: string;
  set?: string[];
  token?: string;
  header?: string[];
  profile?: string;
  seed?: string | number;
  insecure?: boolean;
  ca?: string;
  timeout?: string;
  retrySchedule?: string;
  dryRun?: boolean;
  json?: boolean;
}

export async function sendCommand(a: SendArgs): Promise<number> {
  const vendor = getVendor(a.vendor);
  const named = vendor.events.filter((e) => e.name.toLowerCase() === a.event.toLowerCase());
  if (named.length === 0) {
    const names = [...new Set(vendor.events.map((e) => e.name))];
    throw new PbxsimError(
      "EVENT",
      `${vendor.id} has no event "${a.event}". ${didYouMean(closest(a.event, names))}Its events: ${names.join(", ")}.`,
    );
  }
  // without --profile, the vendor's default profile, or the one profile that has this event
  const profile = resolveProfile(
    vendor,
    profileChooser(a.profile, [vendor])(vendor) ??
      (named.some((e) => !e.profiles || e.profiles.includes(vendor.defaultProfile))
        ? undefined
        : named[0]!.profiles?.[0]),
  );
  const def = named.find((e) => !e.profiles || e.profiles.includes(profile));
  if (!def) {
    throw new PbxsimError(
      "EVENT",
      `${vendor.id} profile ${profile} has no event "${a.event}"; it belongs to profile ${named.map((e) => e.profiles?.join("/")).join(", ")}.`,
    );
  }
  const options = parseOptions(a.option);
  const url = parseUrlFlag(a.url) ?? (a.dryRun ? `https://localhost/webhooks/${vendor.id}` : undefined);
  if (!url) throw new UsageError("send needs --url URL (or --dry-run to print the request).");
  const headers = parseHeaders(a.header);
  const sets = parseSet(a.set);
  const seed = parseSeed(a.seed) ?? randomSeed();
  const timeoutMs = parseDurationFlag("--timeout", a.timeout, true);
  const retrySchedule = parseScheduleFlag(a.retrySchedule);
  const rng = new Rng(seed);
  const event = vendor.sample(
    def.name,
    { rng, directory: vendor.directory(), profile, options },
    a.seed !== undefined ? SEEDED_START : Date.now(),
  );
  for (const set of sets) setPath(event.payload, set, def.name);
  // a vendor that signs takes --secret first, one with a token header --token first
  const secret =
    vendor.transport(profile).auth.kind === "hmac-sha256" ? (a.secret ?? a.token) : (a.token ?? a.secret);
  const enc = vendor.encode(event, { profile, url, secret, method: parseMethod(a.method), options });
  // what is checked is what is sent, read back as a receiver reads it (Acefone's dates, for one,
  // take their configured format only when encoded)
  if (sets.length) {
    const { validateRequest } = await import("../receiver/app.js");
    const verdict = validateRequest(vendor, enc);
    if (!verdict.ok)
      err(
        `note: with --set the ${def.name} request no longer matches its schema: ${verdict.issues.join("; ")}`,
      );
  }
  const transport = vendor.transport(profile);
  const request: PlannedRequest = {
    seq: 0,
    at: 0,
    vendor: vendor.id,
    profile,
    scenario: "-",
    call: "-",
    event: def.name,
    method: enc.method,
    url: enc.url,
    headers: { ...enc.headers, ...headers },
    body: enc.body,
    transport,
    insecure: false,
  };
  if (secret && transport.auth.kind === "none")
    for (const n of secretNotSentNotices([{ vendor: vendor.id, profile }])) err(`note: ${n}`);
  if (a.dryRun) {
    out(dryRunLine(request));
    return 0;
  }
  const refusal = transport.targetRule?.(new URL(url));
  if (refusal) err(`note: ${refusal}; pbxsim sends it anyway for testing.`);
  // a failing receiver is retried on the vendor's schedule (Enreach waits 5 s, 30 s, then 2 m), so
  // each attempt is told as it ends, and an interrupt stops the waiting with the result so far
  const interrupt = interruptible("interrupted: no further attempt");
  let hinted = false;
  try {
    const { results } = await deliverPlan(
      { calls: [], requests: [request], notices: [] },
      {
        speed: 1,
        insecure: a.insecure,
        caFile: a.ca,
        timeoutMs,
        retrySchedule,
        token: secret,
        signal: interrupt.signal,
        onAttempt: (_r, at, retryInMs) => {
          if (a.json) return;
          const hint =
            retryInMs !== undefined && !hinted && retrySchedule === undefined
              ? ` (${vendor.id}'s retry schedule: ${transport.retrySchedule.map(formatDuration).join(", ")}; --retry-schedule none sends once)`
              : "";
          if (hint) hinted = true;
          err(dim(attemptLine(at, retryInMs) + hint));
        },
      },
    );
    const r = results[0]!;
    if (a.json) out(JSON.stringify(resultJson(r), null, 2));
    else out(deliveryLine(r));
    if (interrupt.signal.aborted) return EXIT_CODES.INTERRUPTED;
    return r.outcome === "delivered" ? 0 : EXIT_CODES.UNDELIVERED;
  } finally {
    interrupt.release();
  }
}

/** A signal that SIGINT or SIGTERM sets off, after telling `message`; `release` stops listening. */
function interruptible(message: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    err(message);
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Sets one `--set` field of a payload; a dotted path reaches into nested objects. */
function setPath(obj: Record<string, unknown>, set: SetField, event: string): void {
  const { path } = set;
  const parts = path.split(".");
  let cur: Record<string, unknown> = obj;
  let added = false;
  for (const [i, p] of parts.entries()) {
    if (i === parts.length - 1) {
      if (!(p in cur) && !added)
        err(
          `note: --set ${path}: ${event} has no field "${p}"${didYouMean(closest(p, Object.keys(cur), 1), true)}; it is added.`,
        );
      // digits for a field that holds text stay text: "918069010148", not 918069010148
      cur[p] = typeof cur[p] === "string" && set.text !== undefined ? set.text : set.value;
      return;
    }
    const here = parts.slice(0, i + 1).join(".");
    if (!(p in cur)) {
      // a new object on the way, as a new last field is: added, with the one likely meant named
      err(
        `note: --set ${path}: ${event} has no field "${here}"${didYouMean(closest(p, Object.keys(cur), 1), true)}; it is added.`,
      );
      cur[p] = {};
      added = true;
    }
    const next = cur[p];
    if (!next || typeof next !== "object")
      throw new UsageError(
        `--set ${path}: "${here}" in ${event} holds ${next === null ? "null" : `a ${typeof next}`}, not an object; set it whole with --set ${here}=… (or --set '${here}:={…}' for JSON).`,
      );
    cur = next as Record<string, unknown>;
  }
}

function resultJson(r: DeliveryResult) {
  return {
    seq: r.request.seq,
    call: r.request.call,
    vendor: r.request.vendor,
    scenario: r.request.scenario,
    event: r.request.event,
    outcome: r.outcome,
    attempts: r.attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status ?? null,
      error: a.error ?? null,
      latencyMs: Math.round(a.latencyMs * 10) / 10,
    })),
  };
}

export interface RunArgs {
  scenarios: string[];
  chaos?: string;
  record?: string;
  truth?: string;
  secret?: string;
  reorder?: string | boolean;
  option?: string[];
  method?: string;
  url?: string;
  targets?: string;
  speed?: string;
  calls?: number;
  concurrency?: number;
  seed?: string | number;
  start?: string;
  profile?: string;
  token?: string;
  header?: string[];
  insecure?: boolean;
  ca?: string;
  timeout?: string;
  retrySchedule?: string;
  deadLetter?: string;
  dryRun?: boolean;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function runCommand(a: RunArgs): Promise<number> {
  if (a.scenarios.length === 0)
    throw new UsageError(
      "run needs at least one scenario (an id such as enreach/queue-answered, a glob such as 'enreach/*', or a .yaml path).",
    );
  if (a.url && a.targets) throw new UsageError("give --url or --targets, not both.");
  const speed = parseSpeed(a.speed);
  const seedGiven = parseSeed(a.seed);
  const calls = parsePositiveInt("--calls", a.calls);
  const concurrency = parsePositiveInt("--concurrency", a.concurrency);
  const headers = parseHeaders(a.header);
  const timeoutMs = parseDurationFlag("--timeout", a.timeout, true);
  const retrySchedule = parseScheduleFlag(a.retrySchedule);
  const start = parseStart(a.start);
  const url = parseUrlFlag(a.url);
  const targets = a.targets ? loadTargetsFile(a.targets) : undefined;
  if (!url && !targets && !a.dryRun)
    throw new UsageError(
      "run needs a target: --url URL, or --targets FILE (or --dry-run to print the requests).",
    );
  parseChaos(a.chaos);

  const reorderMs =
    a.reorder === undefined || a.reorder === false
      ? undefined
      : a.reorder === true || a.reorder === ""
        ? 50
        : parseDurationFlag("--reorder", a.reorder);
  const { seed, plan } = planFromOptions({
    reorderMs,
    scenarios: a.scenarios,
    method: parseMethod(a.method),
    options: parseOptions(a.option),
    url: url ?? (targets ? undefined : "https://localhost/webhook"),
    token: a.token,
    secret: a.secret,
    targets,
    seed: seedGiven,
    start,
    calls,
    concurrency,
    profile: a.profile,
    headers,
  });
  // output files are emptied only once the flags and the scenarios are known to be good
  distinctOutputs([
    [a.out, "--out"],
    [a.record, "--record"],
    [a.truth, "--truth"],
    [a.deadLetter, "--dead-letter"],
  ]);
  if (a.out) prepareOutput(a.out, "--out");
  if (a.record) prepareOutput(a.record, "--record");
  if (a.truth) prepareOutput(a.truth, "--truth");
  if (seedGiven === undefined)
    err(
      dim(
        `seed ${seed} (repeat this run with --seed ${seed} --start ${new Date(plan.calls[0]?.start ?? Date.now()).toISOString()})`,
      ),
    );
  for (const n of plan.notices) err(`note: ${n}`);
  // the ground truth: what really happened, before any fault is injected on the way
  if (a.truth) writeFileSync(a.truth, truthFile(plan.calls, plan.requests));
  const chaos = parseChaos(a.chaos);
  let faults: InjectedFault[] = [];
  if (chaos) {
    const applied = applyChaos(plan.requests, chaos, seed);
    plan.requests = applied.requests;
    faults = applied.faults;
    if (applied.unspoiled.length) err(`note: ${unspoiledNotice(applied.unspoiled)}`);
    const counts = countFaults(faults);
    err(
      `chaos: ${
        Object.entries(counts)
          .map(([k, v]) => `${k}×${v}`)
          .join(" ") || "no fault drawn"
      }`,
    );
  }

  if (a.dryRun) {
    const lines = plan.requests.map(dryRunLine);
    if (a.out) writeFileSync(a.out, lines.length ? `${lines.join("\n")}\n` : "");
    else for (const l of lines) out(l);
    return 0;
  }

  const interrupt = interruptible("interrupted: stopping; events not yet sent are cancelled");
  try {
    const { results, summary } = await deliverPlan(plan, {
      speed,
      insecure: a.insecure,
      caFile: a.ca,
      timeoutMs,
      retrySchedule,
      token: a.token,
      secret: a.secret,
      deadLetterFile: a.deadLetter,
      signal: interrupt.signal,
      onAttempt: (r, at, retryInMs) => {
        if (a.record) appendLine(a.record, recordLine(r, at, secretsOf(plan.requests, a.token, a.secret)));
        // a retry that makes the run wait a second or more is told as it is scheduled
        if (retryInMs !== undefined && retryInMs >= 1000 && !a.quiet && !a.json)
          err(dim(`#${r.seq} call ${r.call} ${r.vendor} ${r.event}: ${attemptLine(at, retryInMs)}`));
      },
      onResult: (r) => {
        if (!a.quiet && !a.json) err(deliveryLine(r));
      },
    });
    if (a.out) {
      const secrets = secretsOf(plan.requests, a.token, a.secret);
      const report = {
        seed,
        summary,
        faults,
        results: results.map((r) => ({
          ...resultJson(r),
          url: redactUrl(r.request.url),
          headers: redactHeaders(r.request.headers),
        })),
      };
      writeFileSync(
        a.out,
        `${JSON.stringify(report, (_k, v) => (typeof v === "string" && secrets.includes(v) ? "[redacted]" : v), 2)}\n`,
      );
    }
    if (a.json) out(JSON.stringify({ seed, ...summary }, null, 2));
    else out(formatSummary(summary));
    if (interrupt.signal.aborted) return EXIT_CODES.INTERRUPTED;
    if (summary.failed > 0 && a.deadLetter)
      err(`${summary.failed} event(s) failed; written to ${a.deadLetter}`);
    return summary.delivered === summary.events ? 0 : EXIT_CODES.UNDELIVERED;
  } finally {
    interrupt.release();
  }
}

export interface ReplayArgs {
  file: string;
  url?: string;
  speed?: string;
  token?: string;
  secret?: string;
  keepIds?: boolean;
  freshIds?: boolean;
  insecure?: boolean;
  ca?: string;
  seed?: string | number;
  json?: boolean;
  quiet?: boolean;
}

/** Sends a recording or a dead-letter file again: byte-identical bodies, or fresh ids, with today's secret. */
export async function replayCommand(a: ReplayArgs): Promise<number> {
  if (a.keepIds && a.freshIds) throw new UsageError("give --keep-ids or --fresh-ids, not both.");
  const speed = parseSpeed(a.speed ?? "max");
  const url = parseUrlFlag(a.url);
  const { requests, unrecognised } = replayRequests({
    file: a.file,
    url,
    token: a.token,
    secret: a.secret,
    freshIds: a.freshIds,
    seed: parseSeed(a.seed),
  });
  if (unrecognised && !a.quiet)
    err(
      `replay: ${unrecognised} request${unrecognised === 1 ? "" : "s"} of the receiver's recording came from no vendor it recognised; ${unrecognised === 1 ? "it is" : "they are"} not replayed.`,
    );
  if (requests.length === 0) throw new PbxsimError("IO", `${a.file}: nothing to replay (no request lines).`);
  const marked = requests.filter((r) => r.body.includes(REDACTED)).length;
  if (marked && !a.quiet)
    err(
      `replay: ${marked} recorded bod${marked === 1 ? "y holds" : "ies hold"} ${REDACTED} where a secret stood; ${marked === 1 ? "it is" : "they are"} sent as recorded.`,
    );
  const { summary } = await deliverPlan(
    { calls: [], requests, notices: [] },
    {
      speed,
      insecure: a.insecure,
      caFile: a.ca,
      token: a.token,
      secret: a.secret,
      onResult: (r) => {
        if (!a.quiet && !a.json) err(deliveryLine(r));
      },
    },
  );
  // a recording names each request's call; the summary counts the calls the file holds
  summary.calls = new Set(requests.filter((r) => r.call !== "-").map((r) => `${r.vendor} ${r.call}`)).size;
  if (a.json) out(JSON.stringify(summary, null, 2));
  else out(formatSummary(summary));
  return summary.delivered === summary.events ? 0 : EXIT_CODES.UNDELIVERED;
}

export interface ReceiveArgs {
  port?: number;
  host?: string;
  https?: boolean;
  cert?: string;
  key?: string;
  vendor?: string;
  token?: string;
  secret?: string;
  failFirst?: number;
  status?: number;
  delay?: string;
  failRate?: number;
  record?: string;
  quiet?: boolean;
  /** Serve the live inspector page at /_pbxsim/. */
  ui?: boolean;
  /** Records kept in memory for the inspector (the latest); counts cover every request. */
  keep?: number;
  /** Write the certificate served (HTTPS) to this file, for senders' --ca. */
  certOut?: string;
}

/**
 * Records `receive` keeps in memory for its inspector: a long load test against it would
 * otherwise hold every request (about 5 KB each).
 */
const DEFAULT_KEEP = 10_000;

export async function receiveCommand(a: ReceiveArgs): Promise<number> {
  if (a.vendor) getVendor(a.vendor);
  const port = a.port === undefined ? 4780 : parsePositiveInt("--port", a.port, 0);
  if (port !== undefined && port > 65535) throw new UsageError(`--port ${port}: ports go up to 65535.`);
  const failFirst = parsePositiveInt("--fail-first", a.failFirst, 0);
  if (a.status !== undefined && (!Number.isInteger(a.status) || a.status < 100 || a.status > 599)) {
    throw new UsageError(
      `--status ${asTyped("--status", a.status)}: give an HTTP status code from 100 to 599.`,
    );
  }
  if (a.failRate !== undefined && !(a.failRate >= 0 && a.failRate <= 1)) {
    throw new UsageError(
      `--fail-rate ${asTyped("--fail-rate", a.failRate)}: give a fraction from 0 to 1 (0.2 = one in five).`,
    );
  }
  const delayMs = parseDurationFlag("--delay", a.delay);
  const keep = a.keep === undefined ? DEFAULT_KEEP : parsePositiveInt("--keep", a.keep);
  if (a.record) prepareOutput(a.record, "--record");
  if (a.certOut !== undefined) {
    if (!a.https && !a.cert)
      throw new UsageError(
        `--cert-out ${a.certOut}: there is no certificate to write without HTTPS; add --https.`,
      );
    prepareOutput(a.certOut, "--cert-out");
  }
  const { serve } = await import("../receiver/serve.js");
  const rx = await serve({
    vendors: VENDORS,
    vendor: a.vendor,
    token: a.token,
    secret: a.secret,
    port,
    host: a.host,
    https: a.https,
    certFile: a.cert,
    keyFile: a.key,
    faults: { failFirst, status: a.status, delayMs, failRate: a.failRate },
    ui: a.ui,
    keep,
  });
  rx.events.on("record", (r: ReceivedRecord) => {
    if (a.record) appendLine(a.record, JSON.stringify(r));
    if (!a.quiet) out(receiveLine(r));
  });
  // written before the line that says it listens, which scripts wait for
  if (rx.certPem && a.certOut !== undefined) writeFileSync(a.certOut, rx.certPem);
  err(
    `pbxsim receiver listening on ${rx.url}  (vendors: ${a.vendor ?? VENDORS.map((v) => v.id).join(", ")}${a.token ? ", token required" : ""}${a.secret ? ", signature required" : ""})`,
  );
  if (rx.certPem && a.certOut !== undefined) {
    err(dim(`certificate written to ${a.certOut}: senders trust it with --ca ${a.certOut}`));
  } else if (rx.certPem && !a.cert)
    err(
      dim(
        "self-signed certificate: senders need --insecure, or --ca with this certificate (--cert-out FILE writes it)",
      ),
    );
  if (a.ui) err(`inspector: ${rx.url}/_pbxsim/  (live view of every delivery)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await rx.close();
  const n = rx.counts;
  err(
    `received ${n.received} request(s): ${n.valid} valid, ${n.invalid} invalid${n.duplicates ? `, ${n.duplicates} duplicate(s)` : ""}`,
  );
  return 0;
}

export function receiveLine(r: ReceivedRecord): string {
  const verdict = r.valid ? "valid" : r.issues.length ? `invalid: ${r.issues.slice(0, 3).join("; ")}` : "-";
  const auth = r.auth === "not-checked" ? "" : ` token=${r.auth}`;
  return `${r.receivedAt} ${r.method} ${r.path} ${r.vendor ?? "?"} ${r.event ?? "?"} → ${r.status} ${verdict}${auth}${r.duplicate ? " duplicate" : ""}${r.fault ? ` (${r.fault})` : ""}`;
}

/** Enreach's demo: five calls that between them send most of its event types. */
const DEMO_SCENARIOS = [
  "enreach/queue-answered",
  "enreach/queue-missed",
  "enreach/queue-overflow-callback",
  "enreach/user-direct-answered",
  "enreach/outbound-answered",
];

export async function demoCommand(a: {
  seed?: string | number;
  json?: boolean;
  vendor?: string;
}): Promise<number> {
  const vendor = getVendor(a.vendor ?? "enreach");
  // another vendor's demo: a call of each of its first five scenarios
  const scenarios =
    vendor.id === "enreach"
      ? DEMO_SCENARIOS
      : builtinScenarioFiles()
          .filter((s) => s.id.startsWith(`${vendor.id}/`))
          .slice(0, 5)
          .map((s) => s.id);
  const seed = parseSeed(a.seed) ?? randomSeed();
  const token = new Rng(seed).fork("demo-token").hex(24);
  const { serve } = await import("../receiver/serve.js");
  const rx = await serve({ vendors: VENDORS, token, https: true, port: 0 });
  const caDir = mkdtempSync(join(tmpdir(), "pbxsim-demo-"));
  try {
    err(
      `receiver: ${rx.url} (HTTPS, self-signed certificate trusted with --ca${vendor.id === "enreach" ? "; token required" : ""})`,
    );
    const { plan } = planFromOptions({
      scenarios,
      url: `${rx.url}/${vendor.id}`,
      token,
      seed,
      start: a.seed !== undefined ? SEEDED_START : Date.now(),
    });
    err(
      dim(
        `seed ${seed}: ${plan.calls.length} calls, ${plan.requests.length} webhooks, played at --speed max`,
      ),
    );
    const caFile = join(caDir, "ca.pem");
    writeFileSync(caFile, rx.certPem ?? "");
    const { results, summary } = await deliverPlan(plan, { speed: "max", caFile, token });
    const byBody = new Map<string, ReceivedRecord[]>();
    for (const r of rx.records) byBody.set(r.body, [...(byBody.get(r.body) ?? []), r]);
    if (a.json) {
      out(
        JSON.stringify(
          { seed, summary, valid: rx.records.filter((r) => r.valid).length, received: rx.records.length },
          null,
          2,
        ),
      );
    } else {
      for (const call of plan.calls) {
        out(
          timeline(
            call,
            results.filter((r) => r.request.call === call.key),
            byBody,
          ).join("\n"),
        );
        out("");
      }
      out(formatSummary(summary));
      const invalid = rx.records.filter((r) => !r.valid).length;
      out(
        `receiver: ${rx.records.length} received, ${rx.records.length - invalid} valid, ${invalid} invalid`,
      );
    }
    const ok = summary.delivered === summary.events && rx.records.every((r) => r.valid);
    return ok ? 0 : EXIT_CODES.UNDELIVERED;
  } finally {
    await rx.close();
    rmSync(caDir, { recursive: true, force: true });
  }
}

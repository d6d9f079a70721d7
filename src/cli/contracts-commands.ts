import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CheckResult, runChecks } from "../check/battery.js";
import { authHeaderName } from "../core/vendor.js";
import { summaryLine, toJUnit } from "../check/junit.js";
import { EXIT_CODES, type ErrorCode, PbxsimError, UsageError } from "../core/errors.js";
import { prepareOutput } from "../delivery/dead-letter.js";
import { loadCa } from "../delivery/engine.js";
import { reachReceiver } from "../delivery/reach.js";
import { getVendor, resolveProfile, VENDORS } from "../vendors/registry.js";
import { asTyped, expandFileArgs, parseHeaders, parseOptions, parseSeed, parseUrlFlag } from "./options.js";
import { isSecretHeader } from "../core/redact.js";
import { dim, err, green, out, red } from "./print.js";

/** `pbxsim contracts`, `verify`, `verify-messages` and `check`: contract testing for CI. */

const here = dirname(fileURLToPath(import.meta.url));

interface InteractionResult {
  vendor: string;
  profile: string;
  description: string;
  ok: boolean;
  detail: string;
}

function runChild(message: unknown, caFile?: string): Promise<InteractionResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, "..", "contracts", "verify-child.js"), [], {
      silent: true,
      // the verifier's proxy makes the requests with Node's TLS, which takes extra CAs from here
      env: { ...process.env, PACT_DO_NOT_TRACK: "true", ...(caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {}) },
    });
    // the verifier's own narrative: progress on stderr, results on stdout stay ours
    child.stdout?.on("data", (d: Buffer) => process.stderr.write(dim(d.toString())));
    child.stderr?.on("data", (d: Buffer) => process.stderr.write(dim(d.toString())));
    let done = false;
    child.on(
      "message",
      (m: { ok: boolean; results?: InteractionResult[]; code?: string; message?: string }) => {
        done = true;
        // a child whose verifier hangs on a vanished receiver would not stop on SIGTERM
        child.kill("SIGKILL");
        if (m.ok) resolve(m.results ?? []);
        else
          reject(
            m.code
              ? new PbxsimError(m.code as ErrorCode, m.message ?? "verification failed")
              : new Error(m.message),
          );
      },
    );
    child.on("exit", (code) => {
      if (!done) reject(new Error(`the verifier stopped unexpectedly (exit ${code})`));
    });
    child.send(message as object);
  });
}

const CONTRACT_RULE =
  "the receiver answers every interaction of the vendor's contract as the vendor's success rule demands";
const MESSAGE_RULE = "the vendor's real payload of the event satisfies the receiver's message pact";

function asChecks(results: InteractionResult[], rule = CONTRACT_RULE): CheckResult[] {
  return results.map((r) => ({
    id: `${r.vendor}.${r.profile}.${r.description}`,
    name: r.description,
    vendor: r.vendor,
    rule,
    ok: r.ok,
    detail: r.detail,
    durationMs: 0,
  }));
}

function report(suite: string, results: CheckResult[], a: { junit?: string; json?: boolean }): number {
  if (a.junit) writeFileSync(a.junit, toJUnit(suite, results));
  if (a.json)
    out(
      JSON.stringify(
        {
          suite,
          passed: results.filter((r) => r.ok).length,
          failed: results.filter((r) => !r.ok).length,
          results,
        },
        null,
        2,
      ),
    );
  else {
    for (const r of results)
      out(`${r.ok ? green("PASS") : red("FAIL")} ${r.name}${r.ok ? "" : `\n     ${r.detail}`}`);
    out(summaryLine(results));
  }
  return results.every((r) => r.ok) ? 0 : EXIT_CODES.UNDELIVERED;
}

export async function contractsGenerateCommand(a: { dir?: string; vendor?: string[] }): Promise<number> {
  const { generateAllContracts, CONTRACTS_DIR } = await import("../contracts/pact.js");
  for (const v of a.vendor ?? []) getVendor(v);
  const files = await generateAllContracts(a.dir ?? CONTRACTS_DIR, a.vendor?.length ? a.vendor : undefined);
  for (const f of files) out(f);
  return 0;
}

export interface VerifyArgs {
  url?: string;
  vendor?: string[];
  profile?: string;
  token?: string;
  secret?: string;
  header?: string[];
  providerStatesUrl?: string;
  insecure?: boolean;
  ca?: string;
  junit?: string;
  json?: boolean;
  brokerUrl?: string;
  providerVersion?: string;
  publish?: boolean;
}

export async function verifyCommand(a: VerifyArgs): Promise<number> {
  const url = parseUrlFlag(a.url);
  if (!url)
    throw new UsageError(
      "verify needs --url: the receiver under test, e.g. --url http://127.0.0.1:8080/enreach.",
    );
  const headers = parseHeaders(a.header);
  for (const v of a.vendor ?? []) getVendor(v);
  if (a.publish && !a.providerVersion)
    throw new UsageError("--publish needs --provider-version (the receiver's version, e.g. a git sha).");
  if (a.publish && !a.brokerUrl) throw new UsageError("--publish needs --broker-url.");
  const ca = a.ca ? resolve(a.ca) : undefined;
  if (ca) loadCa(ca);
  // before the verifier starts: it would wait 30 s on each interaction for a receiver not up
  await reachReceiver(new URL(url), a.insecure ?? false, ca);
  if (a.junit) prepareOutput(a.junit, "--junit", true);
  const results = await runChild(
    {
      kind: "http",
      opts: {
        url,
        vendors: a.vendor,
        profile: a.profile,
        token: a.token,
        secret: a.secret,
        headers,
        providerStatesUrl: a.providerStatesUrl,
        insecure: a.insecure,
        brokerUrl: a.brokerUrl,
        providerVersion: a.providerVersion,
        publish: a.publish,
      },
    },
    ca,
  );
  const code = report("pbxsim verify", asChecks(results), a);
  // a vendor profile whose every interaction was refused 401 or 403, with no credentials given
  const given = Boolean(
    a.token || a.secret || url.includes("?") || Object.keys(headers).some(isSecretHeader),
  );
  const hints = new Set<string>();
  const groups = new Map<string, InteractionResult[]>();
  for (const r of results) {
    const key = `${r.vendor} ${r.profile}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const statuses = group.map((r) => Number(/(?:status code|but was) (\d{3})\b/.exec(r.detail)?.[1]));
    if (given || !statuses.every((s) => s === 401 || s === 403)) continue;
    hints.add(refusedHint([...new Set(statuses)], group[0]!.vendor, group[0]!.profile));
  }
  for (const h of hints) err(`hint: ${h}`);
  return code;
}

export async function verifyMessagesCommand(a: {
  files: string[];
  profile?: string;
  junit?: string;
  json?: boolean;
}): Promise<number> {
  if (!a.files.length)
    throw new UsageError(
      "verify-messages needs the pact files to verify (V4 message pacts your receiver wrote).",
    );
  if (a.junit) prepareOutput(a.junit, "--junit", true);
  const results = await runChild({
    kind: "messages",
    files: expandFileArgs(a.files, "pact file"),
    profile: a.profile,
  });
  return report("pbxsim verify-messages", asChecks(results, MESSAGE_RULE), a);
}

export async function checkCommand(a: {
  url?: string;
  vendor?: string;
  profile?: string;
  token?: string;
  secret?: string;
  rejectStatus?: number[];
  insecure?: boolean;
  ca?: string;
  seed?: string | number;
  option?: string[];
  header?: string[];
  junit?: string;
  json?: boolean;
}): Promise<number> {
  const url = parseUrlFlag(a.url);
  if (!url) throw new UsageError("check needs --url: the receiver under test.");
  const headers = parseHeaders(a.header);
  if (!a.vendor) throw new UsageError(`check needs --vendor: one of the vendors (pbxsim list vendors).`);
  getVendor(a.vendor);
  for (const s of a.rejectStatus ?? [])
    if (!Number.isInteger(s) || s < 100 || s > 599)
      throw new UsageError(
        `--reject-status ${asTyped("--reject-status", s)}: give an HTTP status code from 100 to 599 (repeat the flag for several).`,
      );
  if (a.junit) prepareOutput(a.junit, "--junit", true);
  const results = await runChecks({
    url,
    vendor: a.vendor,
    profile: a.profile,
    token: a.token,
    secret: a.secret,
    rejectStatuses: a.rejectStatus,
    insecure: a.insecure,
    ca: a.ca ? resolve(a.ca) : undefined,
    seed: parseSeed(a.seed),
    options: parseOptions(a.option),
    headers,
  });
  if (a.junit) writeFileSync(a.junit, toJUnit(`pbxsim check ${a.vendor}`, results));
  if (a.json)
    out(
      JSON.stringify(
        {
          vendor: a.vendor,
          passed: results.filter((r) => r.ok).length,
          failed: results.filter((r) => !r.ok).length,
          results,
        },
        null,
        2,
      ),
    );
  else {
    for (const r of results)
      out(
        `${r.ok ? green("PASS") : red("FAIL")} ${r.name}  ${dim(r.rule)}${r.ok ? "" : `\n     ${r.detail}`}`,
      );
    out(summaryLine(results));
  }
  const hint = credentialsHint(
    results,
    a.vendor,
    a.profile,
    Boolean(a.token || a.secret || url.includes("?") || Object.keys(headers).some(isSecretHeader)),
  );
  if (hint) err(`hint: ${hint}`);
  return results.every((r) => r.ok) ? 0 : EXIT_CODES.UNDELIVERED;
}

/**
 * When every event was refused with 401 or 403 and no credentials were given (no token, secret,
 * secret header or query in the URL), the likely cause: the receiver wants the vendor's token or
 * signature, or a header or query token of its own.
 */
export function credentialsHint(
  results: readonly CheckResult[],
  vendorId: string,
  profile: string | undefined,
  given: boolean,
): string | undefined {
  const events = results.filter((r) => r.id.startsWith("event:") && !r.skipped);
  if (given || events.length === 0 || !events.every((r) => r.status === 401 || r.status === 403)) return;
  return refusedHint([...new Set(events.map((r) => r.status!))], vendorId, profile);
}

/** The credentials a receiver that refused every event of a vendor profile with `refused` likely wants. */
function refusedHint(refused: readonly number[], vendorId: string, profile: string | undefined): string {
  const vendor = getVendor(vendorId);
  const auth = vendor.transport(resolveProfile(vendor, profile ?? vendor.defaultProfile)).auth;
  const statuses = refused.join(" or ");
  return auth.kind === "token"
    ? `every event was answered ${statuses} and no --token was given: the receiver likely wants ${vendorId}'s ${authHeaderName(auth.header)}; pass it with --token T.`
    : auth.kind === "hmac-sha256"
      ? `every event was answered ${statuses} and no --secret was given: the receiver likely checks ${vendorId}'s ${authHeaderName(auth.header)}; pass the signing secret with --secret S.`
      : `every event was answered ${statuses}: ${vendorId} sends no credentials of its own, so the receiver checks one its admin configures: give it with --header "Authorization: …" (or the header it wants), or a ?token=… in --url.`;
}

export async function schemaCommand(a: {
  vendor: string;
  event?: string;
  format: string;
  profile?: string;
}): Promise<number> {
  const { jsonSchemaFor, openApiDocument } = await import("../contracts/schema-export.js");
  if (a.format === "openapi") {
    const ids = a.vendor === "all" ? undefined : [getVendor(a.vendor).id];
    out(JSON.stringify(openApiDocument(ids), null, 2));
    return 0;
  }
  if (a.vendor === "all") {
    // one complete JSON Schema document per vendor, keyed by its id (each resolves its own $refs)
    if (a.event !== undefined || a.profile !== undefined)
      throw new UsageError(
        `schema all: an event or a --profile belongs to one vendor; give the vendor (pbxsim schema ${a.profile ? "voipbin --profile current" : "enreach QueueCallInComing"}).`,
      );
    out(JSON.stringify(Object.fromEntries(VENDORS.map((v) => [v.id, jsonSchemaFor(v.id)])), null, 2));
    return 0;
  }
  out(JSON.stringify(jsonSchemaFor(a.vendor, a.event, a.profile), null, 2));
  return 0;
}

export function staleCheckMessage(stale: string[]): string {
  return `contracts are stale: ${stale.join(", ")}. Run \`pbxsim contracts generate\` and commit contracts/.`;
}

export { err };

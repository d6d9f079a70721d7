import { appendFileSync, closeSync, openSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { PbxsimError, UsageError } from "../core/errors.js";
import { redactHeaders, redactUrl, scrub } from "../core/redact.js";
import type { DeliveryResult } from "./engine.js";

/** One dead-lettered event: the request (secrets redacted) and why it failed. */
export function deadLetterLine(r: DeliveryResult, secrets: readonly string[]): string {
  const last = r.attempts[r.attempts.length - 1];
  return JSON.stringify({
    seq: r.request.seq,
    vendor: r.request.vendor,
    profile: r.request.profile,
    scenario: r.request.scenario,
    call: r.request.call,
    event: r.request.event,
    method: r.request.method,
    url: redactUrl(r.request.url),
    headers: redactHeaders(r.request.headers),
    body: scrub(r.request.body, secrets),
    attempts: r.attempts.length,
    lastStatus: last?.status ?? null,
    lastError:
      last?.error ??
      (last?.status !== undefined
        ? `status ${last.status} is not success for ${r.request.vendor}`
        : "never sent"),
  });
}

/**
 * Refuses two outputs of one run that name the same file (`--record x --out x`): one would
 * replace or garble what the other recorded. Paths are compared resolved, so `./x` and `x` meet.
 */
export function distinctOutputs(outputs: readonly (readonly [string | undefined, string])[]): void {
  const seen = new Map<string, string>();
  for (const [file, flag] of outputs) {
    if (!file) continue;
    const key = resolve(file);
    const other = seen.get(key);
    if (other)
      throw new UsageError(
        `${other} and ${flag} both name ${file}; give each output a file of its own (in one file, one would replace or garble the other).`,
      );
    seen.set(key, flag);
  }
}

/**
 * Creates (truncates) an output file early, so an unwritable path fails before anything is sent.
 * `keep`: a file written whole at the end (a JUnit report) keeps what it holds until then, so a
 * run that stops early leaves the last one as it was.
 */
export function prepareOutput(file: string, flag: string, keep = false): void {
  try {
    if (keep) closeSync(openSync(file, "a"));
    else writeFileSync(file, "");
  } catch (e) {
    throw new PbxsimError(
      "IO",
      `${flag} ${file}: cannot write there (${(e as NodeJS.ErrnoException).code}); pick a writable path.`,
    );
  }
}

export function appendLine(file: string, line: string): void {
  appendFileSync(file, `${line}\n`);
}

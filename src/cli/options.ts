import { PbxsimError, UsageError } from "../core/errors.js";
import { parseDuration, parseSchedule } from "../core/duration.js";
import { headerFault } from "../core/encoding.js";
import { expandFilePattern } from "../core/glob.js";
import { checkUrl } from "../delivery/targets.js";
import { closest, didYouMean } from "../core/suggest.js";
import { VENDORS } from "../vendors/registry.js";

/** Flag parsers: each names the flag, the bad value and what is allowed. */

export function parseSpeed(v: string | number | undefined): number | "max" {
  if (v === undefined) return 1;
  if (v === "max") return "max";
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `--speed ${v}: give a positive number (10 = ten times faster than real time) or "max" (no waiting).`,
    );
  }
  return n;
}

export function parseSeed(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`--seed ${String(v)}: give a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`);
  }
  return n;
}

/** A duration flag; `above0` refuses zero (a timeout or a run of no time at all). */
export function parseDurationFlag(
  flag: string,
  v: string | number | undefined,
  above0 = false,
): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`${flag} ${v}: not a duration; write e.g. 500ms, 10s, 2m.`);
  if (above0 && ms <= 0) throw new UsageError(`${flag} ${v}: give a duration above zero, e.g. 10s.`);
  return ms;
}

export function parseScheduleFlag(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const s = parseSchedule(v);
  if (!s) {
    throw new UsageError(
      `--retry-schedule ${v}: write the waits before each retry, comma-separated (e.g. 5s,30s,2m), or "none" for no retries.`,
    );
  }
  return s;
}

export function parseHeaders(values: string[] | string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of values === undefined ? [] : Array.isArray(values) ? values : [values]) {
    const i = h.indexOf(":");
    const name = i > 0 ? h.slice(0, i).trim() : "";
    if (!name) {
      throw new UsageError(
        `--header ${JSON.stringify(h)}: write "Name: value", e.g. --header "Authorization: Bearer abc".`,
      );
    }
    const value = h.slice(i + 1).trim();
    const fault = headerFault(name, value);
    if (fault) throw new UsageError(`--header ${JSON.stringify(h)}: ${fault}.`);
    out[name.toLowerCase()] = value;
  }
  return out;
}

export function parseUrlFlag(v: string | undefined, flag = "--url"): string | undefined {
  if (v === undefined) return undefined;
  checkUrl(v, flag);
  return v;
}

export function parsePositiveInt(flag: string, v: unknown, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} ${asTyped(flag, v)}: give a whole number of at least ${min}.`);
  return n;
}

/**
 * A flag's value as typed, for a message: a number flag arrives as NaN when its value is not a
 * number, and the message should show what was typed.
 */
export function asTyped(flag: string, v: unknown): string {
  return typeof v === "number" && Number.isNaN(v) ? (typedValue(flag) ?? "") : String(v);
}

/** The text given to `flag` on the command line (its last occurrence). */
function typedValue(flag: string, argv: readonly string[] = process.argv): string | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i]!;
    if (a === flag) return argv[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

export function parseStart(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === "now") return Date.now();
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new UsageError(`--start ${v}: give an ISO 8601 time (2026-01-05T09:00:00Z) or "now".`);
  return t;
}

/** `--option key=value` (repeatable): vendor options such as the 3CX fqdn. */
export function parseOptions(values: string[] | string | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const v of Array.isArray(values) ? values : [values]) {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`--option "${v}": write key=value, e.g. --option fqdn=pbx.example.com.`);
    const key = v.slice(0, i);
    const value = v.slice(i + 1);
    // a key no vendor takes would be ignored without a word; a value a vendor cannot use fails
    // here, not in the middle of a run
    const takers = VENDORS.filter((x) => x.options?.[key] !== undefined);
    if (!takers.length) {
      const all = VENDORS.flatMap((x) => Object.keys(x.options ?? {}).map((k) => `${k} (${x.id})`));
      const keys = [...new Set(VENDORS.flatMap((x) => Object.keys(x.options ?? {})))];
      throw new UsageError(
        `--option ${v}: no vendor takes "${key}"${didYouMean(closest(key, keys, 1), true)}; the options are: ${all.join(", ")}.`,
      );
    }
    // a key several vendors take (content_type) needs a value one of them can use
    const refusals: unknown[] = [];
    for (const x of takers) {
      try {
        x.checkOption?.(key, value);
      } catch (e) {
        refusals.push(e);
      }
    }
    if (refusals.length === takers.length) throw refusals[0];
    out[key] = value;
  }
  return out;
}

export function parseMethod(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = v.toUpperCase();
  if (!["GET", "POST", "PUT", "DELETE", "PATCH"].includes(m)) {
    throw new UsageError(`--method ${v}: give GET, POST, PUT, DELETE or PATCH.`);
  }
  return m;
}

/** One `--set`: the field's dotted path, its value, and whether the value may follow the field's type. */
export interface SetField {
  path: string;
  value: unknown;
  /**
   * The text as given, when it was read as a number or boolean: a field that holds text keeps it
   * as text (vendors that send every value as a string, phone numbers of digits). `Field:=5`
   * gives the JSON value whatever the field holds.
   */
  text?: string;
}

export function parseSet(values: string[] | string | undefined): SetField[] {
  const out: SetField[] = [];
  for (const s of values === undefined ? [] : Array.isArray(values) ? values : [values]) {
    const i = s.indexOf("=");
    const json = i > 1 && s[i - 1] === ":";
    const path = s.slice(0, json ? i - 1 : i);
    if (i <= 0 || path === "")
      throw new UsageError(
        `--set "${s}": write Field=value, e.g. --set CallerNumber=+358401234567 (Field:=JSON for a JSON value).`,
      );
    const raw = s.slice(i + 1);
    if (json) {
      try {
        out.push({ path, value: JSON.parse(raw) });
      } catch {
        throw new UsageError(
          `--set "${s}": ${JSON.stringify(raw)} is not JSON; Field:=value takes a JSON value (5, true, null, "text", [1], {"a":1}).`,
        );
      }
      continue;
    }
    let value: unknown = raw;
    if (/^(null|true|false|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    out.push({
      path,
      value,
      ...(typeof value === "number" || typeof value === "boolean" ? { text: raw } : {}),
    });
  }
  return out;
}

export function asPbxsim(e: unknown): PbxsimError | undefined {
  return e instanceof PbxsimError ? e : undefined;
}

/**
 * File arguments with their quoted patterns expanded, as a shell would have (`reports/*.json` in
 * a Kubernetes `args:` list); a pattern that matches nothing is refused, naming it.
 */
export function expandFileArgs(files: readonly string[], what: string): string[] {
  return files.flatMap((f) => {
    const found = expandFilePattern(f);
    if (found.length === 0)
      throw new UsageError(`${f}: no ${what} matches this pattern; check the directory and the name.`);
    return found;
  });
}

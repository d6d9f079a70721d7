import { UsageError } from "../core/errors.js";
import { parseDuration } from "../core/duration.js";
import { Rng } from "../core/random.js";
import { decodeQuery } from "../core/encoding.js";
import { isSecretHeader, isSecretParam } from "../core/redact.js";
import { signatureHeaderValue } from "../core/signing.js";
import type { PlannedRequest } from "./plan.js";

/**
 * Faults on the sending side, as vendors misbehave in production: each a seeded probability per
 * request. Every injected fault is listed, so a receiver's failure can be traced to its cause.
 */

export interface ChaosSpec {
  duplicate?: number;
  reorder?: number;
  delay?: { p: number; ms: number };
  malformed?: number;
  badToken?: number;
  drop?: number;
}

export interface InjectedFault {
  fault: "duplicate" | "reorder" | "delay" | "malformed" | "bad-token" | "drop";
  call: string;
  vendor: string;
  event: string;
  /** The request's position in the plan before faults were applied. */
  planned: number;
  detail?: string;
}

const USAGE =
  "--chaos takes comma-separated faults with probabilities: duplicate=0.05, reorder=0.05, delay=0.1:5s (probability:hold), malformed=0.01, bad-token=0.01, drop=0.01";

function prob(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(
      `--chaos ${v === undefined ? name : `${name}=${v}`}: give a probability from 0 to 1 (${name}=0.05). ${USAGE}.`,
    );
  return n;
}

export function parseChaos(text: string | undefined): ChaosSpec | undefined {
  if (!text) return undefined;
  const spec: ChaosSpec = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split("=") as [string, string | undefined];
    switch (name) {
      case "duplicate":
        spec.duplicate = prob(name, value);
        break;
      case "reorder":
        spec.reorder = prob(name, value);
        break;
      case "malformed":
        spec.malformed = prob(name, value);
        break;
      case "bad-token":
        spec.badToken = prob(name, value);
        break;
      case "drop":
        spec.drop = prob(name, value);
        break;
      case "delay": {
        const [p, d] = (value ?? "").split(":");
        const ms = d === undefined ? undefined : parseDuration(d);
        if (ms === undefined)
          throw new UsageError(
            `--chaos delay=${value ?? ""}: write probability:hold, e.g. delay=0.1:5s. ${USAGE}.`,
          );
        spec.delay = { p: prob(name, p), ms };
        break;
      }
      default:
        throw new UsageError(`--chaos ${part}: unknown fault "${name}". ${USAGE}.`);
    }
  }
  return spec;
}

const WRONG = "pbxsim-wrong-secret";

/** Applies the faults to a plan (a new list, re-sequenced in send order) and lists what it did. */
export function applyChaos(
  requests: PlannedRequest[],
  spec: ChaosSpec,
  seed: number | string,
): {
  requests: PlannedRequest[];
  faults: InjectedFault[];
  /** Vendors whose requests drew bad-token with no secret to spoil (not counted as faults). */
  unspoiled: string[];
} {
  const rng = new Rng(`${seed}/chaos`);
  const faults: InjectedFault[] = [];
  const note = (fault: InjectedFault["fault"], r: PlannedRequest, detail?: string) =>
    faults.push({
      fault,
      call: r.call,
      vendor: r.vendor,
      event: r.event,
      planned: r.seq,
      ...(detail ? { detail } : {}),
    });
  const out: PlannedRequest[] = [];
  const unspoiled = new Set<string>();
  for (const original of requests) {
    const r = { ...original, headers: { ...original.headers } };
    if (spec.drop && rng.bool(spec.drop)) {
      note("drop", r);
      continue;
    }
    if (spec.delay && rng.bool(spec.delay.p)) {
      r.at += spec.delay.ms;
      note("delay", r, `held back ${spec.delay.ms}ms`);
    }
    if (spec.malformed && rng.bool(spec.malformed) && r.body.length > 1) {
      r.body = r.body.slice(0, Math.max(1, Math.floor(r.body.length / 2)));
      note("malformed", r, "body truncated to half");
    }
    if (spec.badToken && rng.bool(spec.badToken)) {
      const spoiled = spoil(r);
      if (spoiled) note("bad-token", r, spoiled);
      else unspoiled.add(r.vendor);
    }
    out.push(r);
    if (spec.duplicate && rng.bool(spec.duplicate)) {
      const later = { ...r, at: r.at + rng.int(1_000, 30_000) };
      out.push(later);
      note("duplicate", r, `sent again ${Math.round((later.at - r.at) / 1000)}s later`);
    }
  }
  // neighbouring events of a call swapped
  if (spec.reorder) {
    const byCall = new Map<string, PlannedRequest[]>();
    for (const r of out) byCall.set(r.call, [...(byCall.get(r.call) ?? []), r]);
    for (const list of byCall.values()) {
      list.sort((a, b) => a.at - b.at);
      for (let i = 0; i + 1 < list.length; i++) {
        if (!rng.bool(spec.reorder)) continue;
        const a = list[i]!;
        const b = list[i + 1]!;
        [a.at, b.at] = [b.at, a.at];
        note("reorder", a, `swapped with ${b.event}`);
        i++;
      }
    }
  }
  out.sort((a, b) => a.at - b.at);
  return { requests: out.map((r, seq) => ({ ...r, seq })), faults, unspoiled: [...unspoiled] };
}

/**
 * Spoils the secret a request carries, as a receiver would see a forged or stale one: the vendor's
 * token or signature, else a secret header the user added (`Authorization`, `X-API-Key`: the only
 * auth of vendors without their own), else a secret query value (`?token=`). What it spoiled, or
 * undefined when the request carries none.
 */
function spoil(r: PlannedRequest): string | undefined {
  const auth = r.transport.auth;
  if (auth.kind === "token") {
    r.headers[auth.header] = WRONG;
    return "wrong token";
  }
  if (auth.kind === "hmac-sha256") {
    r.headers[auth.header] = signatureHeaderValue(auth.prefix, WRONG, r.body);
    return "wrong signature";
  }
  const header = Object.keys(r.headers).find(isSecretHeader);
  if (header) {
    r.headers[header] = WRONG;
    return `wrong ${header}`;
  }
  const q = r.url.indexOf("?");
  if (q >= 0) {
    const parts = r.url.slice(q + 1).split("&");
    const i = parts.findIndex((part) => isSecretParam(decodeQuery(part.split("=")[0]!)));
    if (i >= 0) {
      const name = parts[i]!.split("=")[0]!;
      parts[i] = `${name}=${WRONG}`;
      r.url = `${r.url.slice(0, q)}?${parts.join("&")}`;
      return `wrong ?${decodeQuery(name)}=`;
    }
  }
  return undefined;
}

/** What to tell a user whose bad-token draws found nothing to spoil. */
export function unspoiledNotice(vendors: readonly string[]): string {
  return `--chaos bad-token: ${vendors.join(", ")} requests carry no token, signature, secret header or query secret to spoil, so those draws are not counted; a --header such as "Authorization: Bearer x" or a ?token= in the URL gives them one`;
}

export function countFaults(faults: InjectedFault[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const f of faults) c[f.fault] = (c[f.fault] ?? 0) + 1;
  return c;
}

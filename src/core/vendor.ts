import type { z } from "zod";
import { TargetsError } from "./errors.js";
import { closest, didYouMean } from "./suggest.js";
import { objectKeysAt } from "./zod-keys.js";
import type { Directory, FactKind, PhoneNumber, SimulatedCall } from "./model.js";
import type { Rng } from "./random.js";

/**
 * The contract every vendor folder implements: what it can express, how it projects a
 * simulated call into its own events, and how one event becomes one HTTP request.
 */

/** One vendor webhook event, before it becomes a request. */
export interface VendorEvent {
  /** Milliseconds after the call's start. */
  at: number;
  /** The vendor's own event name. */
  name: string;
  payload: Record<string, unknown>;
  /** The entity a subscription may filter on (Enreach EntityId, ...). */
  entityId?: string;
  /** What a vendor's per-webhook filters read (call type, outbound type, number). */
  meta?: Record<string, string>;
}

export interface EventDef {
  name: string;
  description: string;
  schema: z.ZodType;
  /** Vendor-specific grouping (entity type, resource, trigger family). */
  group: string;
  /** The profiles that send this event; undefined = every profile. */
  profiles?: string[];
}

/** When a response counts as delivered. */
export type SuccessRule =
  { kind: "exact"; statuses: number[] } | { kind: "range"; min: number; max: number } | { kind: "any" };

export function isSuccess(rule: SuccessRule, status: number): boolean {
  switch (rule.kind) {
    case "exact":
      return rule.statuses.includes(status);
    case "range":
      return status >= rule.min && status <= rule.max;
    case "any":
      return true;
  }
}

export function describeSuccess(rule: SuccessRule): string {
  switch (rule.kind) {
    case "exact":
      return `only ${rule.statuses.join("/")}`;
    case "range":
      return `${rule.min}-${rule.max}`;
    case "any":
      return "any status";
  }
}

export type AuthSpec =
  | { kind: "none" }
  | { kind: "token"; header: string }
  | { kind: "hmac-sha256"; header: string; prefix: string };

const AUTH_HEADER_NAMES: Record<string, string> = {
  "x-benemen-token": "X-Benemen-Token",
  "x-voipbin-signature": "X-VoIPBIN-Signature",
};

/** A header's name as its vendor writes it (`X-VoIPBIN-Signature`), else as given. */
export function authHeaderName(header: string): string {
  return AUTH_HEADER_NAMES[header] ?? header;
}

/** How a vendor sends: data, not code paths. */
export interface TransportSpec {
  method: string;
  contentType: string;
  /** Headers every request carries besides content type and auth (lower-case names). */
  auth: AuthSpec;
  success: SuccessRule;
  timeoutMs: number;
  /** Waits before each retry; its length is the number of retries. */
  retrySchedule: number[];
  /** The vendor sends each event independently, so receivers may see neighbours swapped (`--reorder`). */
  unordered?: boolean;
  /** Where the vendor's real service refuses a target that pbxsim allows for testing. */
  targetRule?: (url: URL) => string | undefined;
  /**
   * The vendor's HTTP client follows redirects, as Go's net/http does: a 301, 302 or 303 is
   * followed with GET and no body (the headers stay), a 307 or 308 with the same method and body;
   * each hop carries a Referer; more than `max` redirects end the attempt with an error.
   */
  redirects?: { max: number };
}

/** One HTTP request, exactly as it will be sent. */
export interface EncodedRequest {
  method: string;
  /** The target URL, with whatever query the vendor appends (GET schemes). */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a vendor needs to turn one event into one request. */
export interface EncodeOptions {
  profile: string;
  url: string;
  secret?: string;
  /** The method the user configured, where the vendor lets its customers choose. */
  method?: string;
  /** Vendor options: `--option key=value`, then the target's own. */
  options?: Record<string, string>;
}

export interface ProjectionContext {
  rng: Rng;
  directory: Directory;
  profile: string;
  /** Vendor options from `--option key=value` (e.g. 3cx fqdn). */
  options?: Record<string, string>;
}

export interface RegionSpec {
  /** Caller numbers as this vendor's customers see them. */
  callerNumber(rng: Rng, profile: string): PhoneNumber;
  /** A remote party for outbound calls. */
  remoteNumber(rng: Rng, profile: string): PhoneNumber;
}

export interface TargetSettings {
  url: string;
  method?: string;
  /** Per-target vendor options (Acefone: content type, date format, time zone). */
  options?: Record<string, string>;
  /** A name for messages (the webhook's name in the vendor's portal). */
  name?: string;
  /** This target's own attempt timeout (Webitel's httpRequest `timeout`). */
  timeoutMs?: number;
  secret?: string;
  insecure?: boolean;
  headers?: Record<string, string>;
  /** Returns false for events the vendor's configuration would not send to this target. */
  accepts?: (event: VendorEvent) => boolean;
}

export interface ValidationResult {
  ok: boolean;
  event?: string;
  issues: string[];
}

export interface Vendor {
  id: string;
  displayName: string;
  profiles: string[];
  defaultProfile: string;
  /** Which call facts this vendor's events express; facts not listed are unsupported. */
  supports: Partial<Record<FactKind, "events" | "silent">>;
  events: EventDef[];
  directory(): Directory;
  region: RegionSpec;
  project(call: SimulatedCall, ctx: ProjectionContext): VendorEvent[];
  /** The schema of one event's JSON body in a profile, where it differs from `events[].schema`. */
  payloadSchema?(event: string, profile: string): z.ZodType;
  /** One event with faked values, for `pbxsim send`. */
  sample(eventName: string, ctx: ProjectionContext, start: number): VendorEvent;
  transport(profile: string): TransportSpec;
  encode(event: VendorEvent, opts: EncodeOptions): EncodedRequest;
  /** Methods a customer may configure for this vendor (first = default); undefined = fixed. */
  methods?(profile: string): string[];
  /** The `--option` keys this vendor takes, each with the values it takes. */
  options?: Record<string, string>;
  /** Throws a usage error for an `--option` value this vendor could not use. */
  checkOption?(key: string, value: string): void;
  /** Targets file section → targets. */
  parseTargets(section: unknown, file: string): TargetSettings[];
  /** Receiver side: does this request look like it came from this vendor? */
  detect(headers: Record<string, string | string[] | undefined>, body: unknown): boolean;
  /** Receiver side: the event name and the validation verdict for a parsed body. */
  validate(
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
    path?: string,
  ): ValidationResult;
  /** Receiver side: whether this body is one the vendor signs or tokens (VoIPBIN legacy never signs). */
  authApplies?(body: unknown): boolean;
  /** Receiver side: the answer the vendor wants for a valid delivery. */
  okResponse: { status: number; body?: string };
  /** Correlation id of the call an event belongs to, for grouping on the receiver. */
  callIdOf?(body: unknown): string | undefined;
  /** The key a receiver dedupes on. */
  dedupeKeyOf?(body: unknown): string | undefined;
}

/** A zod error's issues as `path: message` lines. */
export function issueLines(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string[] {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`);
}

/**
 * A vendor's section of a targets file, checked against its schema. A mistake is named by the
 * file and its place in the section (`acefone[1].date_format`), then `hint` says what the section holds.
 */
export function parseTargetsSection<T>(
  schema: z.ZodType<T>,
  section: unknown,
  file: string,
  vendorId: string,
  hint: string,
): T {
  const r = schema.safeParse(section, { reportInput: true });
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
  let message = i.message;
  let at: (string | number)[] = path;
  if (i.code === "unrecognized_keys") {
    const known = objectKeysAt(schema, path);
    message = `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}${
      known
        ? didYouMean(
            i.keys.flatMap((k) => closest(k, known, 1)),
            true,
          )
        : ""
    }`;
    at = [...path, i.keys[0]!];
  } else if (i.code === "invalid_type" && i.input === undefined) {
    // a key left out, most often one spelled otherwise beside it (`EndPoint`, `webhook_url`)
    let parent: unknown = section;
    for (const p of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[p];
    const name = String(path[path.length - 1]);
    const near =
      parent && typeof parent === "object" && !Array.isArray(parent)
        ? closest(name, Object.keys(parent), 1)
        : [];
    message = near.length ? `is required; "${near[0]}" is there: write it ${name}` : "is required";
  }
  throw new TargetsError(`${file}: ${vendorId}${targetsPath(path)}: ${message}. ${hint}`, [vendorId, ...at]);
}

/** `[1].trigger` for `[1, "trigger"]`: a place in a vendor's targets section. */
export function targetsPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

/** A string field of a parsed body, if the body is an object that has it. */
export function stringField(body: unknown, key: string): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/** A value as dedupe-key text: strings and numbers as they are, anything else (hostile objects) as empty. */
export function keyText(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

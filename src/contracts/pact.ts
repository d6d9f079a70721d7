import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonError } from "../core/json-error.js";
import { closest, didYouMean } from "../core/suggest.js";
import {
  HTTPResponseStatusClass,
  MatchersV3,
  MessageProviderPact,
  PactV4,
  SpecificationVersion,
  Verifier,
} from "@pact-foundation/pact";
import type { Request, Response, NextFunction } from "express";
import { Agent, request } from "undici";
import type { z } from "zod";
import { PbxsimError } from "../core/errors.js";
import { Rng } from "../core/random.js";
import { signatureHeaderValue } from "../core/signing.js";
import type { EventDef, Vendor, VendorEvent } from "../core/vendor.js";
import { getVendor, VENDORS } from "../vendors/registry.js";
import { formEncode } from "../core/encoding.js";

/**
 * The only module that knows Pact exists. The simulated vendor is the consumer (it sends the
 * request) and the webhook receiver is the provider. Contracts are generated from the vendors'
 * zod schemas and seeded builders, one Pact V4 file per vendor and profile.
 */

process.env.PACT_DO_NOT_TRACK ??= "true";

const here = dirname(fileURLToPath(import.meta.url));
export const CONTRACTS_DIR = resolve(here, "..", "..", "contracts");
export const PROVIDER = "webhook-receiver";
const CONTRACT_START = Date.UTC(2026, 0, 5, 7, 0, 0);
const { regex, integer, decimal, boolean, string, nullValue, equal, eachLike, like, matchStatus } = MatchersV3;

export function contractPath(vendor: string): string {
  return `/webhooks/${vendor}`;
}

export function consumerName(vendor: Vendor, profile: string): string {
  return vendor.profiles.length > 1 ? `${vendor.displayName} (${profile})` : vendor.displayName;
}

export function contractFile(vendor: string, profile: string, dir = CONTRACTS_DIR): string {
  return join(dir, `${vendor}-${profile}.json`);
}

/** The wire formats a vendor profile can use: one interaction per event and format. */
interface Variant {
  label?: string;
  method?: string;
  options?: Record<string, string>;
}

function variants(vendor: Vendor, profile: string): Variant[] {
  if (vendor.id === "3cx" && profile === "form") return [{ label: "GET query", method: "GET" }, { label: "POST form", method: "POST" }];
  if (vendor.id === "acefone") {
    return [
      { label: "POST JSON" },
      { label: "POST form", options: { content_type: "form" } },
      { label: "GET query", method: "GET" },
    ];
  }
  return [{}];
}

/** Events that open a call; every later event of a call needs the receiver to know the call first. */
const OPENING_EVENTS = new Set([
  "QueueCallInComing",
  "UserCallInComing",
  "UserCallOutGoing",
  "call_created",
  "activeflow_created",
  "groupcall_created",
  "ringing",
  "dialing",
  "call-received-on-server",
  "call-answered-by-agent",
  "dialer-call-connected-to-agent",
  "joined",
  "offering",
]);

// ---- matchers from the zod schemas ---------------------------------------------------------------

type ZodInternals = { _zod: { def: Record<string, unknown> & { type: string } } };

function def(schema: unknown): Record<string, unknown> & { type: string } {
  return (schema as ZodInternals)._zod.def;
}

/** Generous where the vendor varies (types, id and time patterns, enumerations), exact where it does not. */
export function matcherFor(schema: z.ZodType | undefined, value: unknown): unknown {
  if (value === null) return nullValue();
  if (!schema) return looseMatcher(value);
  const d = def(schema);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      return matcherFor(d.innerType as z.ZodType, value);
    case "literal":
      return equal(value);
    case "enum": {
      const entries = Object.values((d.entries as Record<string, string>) ?? {});
      return typeof value === "string" ? regex(`^(${entries.map(escapeRe).join("|")})$`, value) : equal(value);
    }
    case "string": {
      const checks = (d.checks as { _zod: { def: { check: string; pattern?: RegExp } } }[] | undefined) ?? [];
      const re = checks.find((c) => c._zod.def.check === "string_format" && c._zod.def.pattern)?._zod.def.pattern;
      return typeof value === "string" ? (re ? regex(re.source, value) : string(value)) : looseMatcher(value);
    }
    case "number":
      return typeof value === "number" ? (Number.isInteger(value) ? integer(value) : decimal(value)) : looseMatcher(value);
    case "boolean":
      return typeof value === "boolean" ? boolean(value) : looseMatcher(value);
    case "array": {
      if (!Array.isArray(value) || value.length === 0) return equal(value);
      // a list of alike items matches any length; a mixed list is matched item by item
      if (sameShape(value)) return eachLike(matcherFor(d.element as z.ZodType, value[0]), 1);
      return value.map((v) => matcherFor(d.element as z.ZodType, v));
    }
    case "object": {
      if (!value || typeof value !== "object" || Array.isArray(value)) return looseMatcher(value);
      const shape = (d.shape as Record<string, z.ZodType>) ?? {};
      const catchall = d.catchall as z.ZodType | undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = matcherFor(shape[k] ?? catchall, v);
      return out;
    }
    default:
      return looseMatcher(value);
  }
}

function shapeOf(v: unknown): string {
  if (Array.isArray(v)) return `[${v.length ? shapeOf(v[0]) : ""}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${k}:${shapeOf((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return v === null ? "null" : typeof v;
}

function sameShape(values: unknown[]): boolean {
  const first = shapeOf(values[0]);
  return values.every((v) => shapeOf(v) === first);
}

function looseMatcher(value: unknown): unknown {
  if (value === null) return nullValue();
  if (Array.isArray(value)) {
    if (!value.length) return equal(value);
    return sameShape(value) ? eachLike(looseMatcher(value[0]), 1) : value.map(looseMatcher);
  }
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, looseMatcher(v)]));
  }
  if (typeof value === "number") return Number.isInteger(value) ? integer(value) : decimal(value);
  if (typeof value === "boolean") return boolean(value);
  return like(value);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- generation ------------------------------------------------------------------------------------

export interface ContractInteraction {
  vendor: string;
  profile: string;
  event: string;
  description: string;
  state?: { name: string; params: Record<string, string> };
  method: string;
  path: string;
  query?: string;
  headers: Record<string, string>;
  body: string;
  payload: Record<string, unknown>;
  schema?: z.ZodType;
  status: number;
  statusClass?: "success";
}

/** The interactions of one vendor profile, from its seeded builders. */
export function contractInteractions(vendor: Vendor, profile: string): ContractInteraction[] {
  const out: ContractInteraction[] = [];
  const transport = vendor.transport(profile);
  const exact200 = transport.success.kind === "exact" && transport.success.statuses.length === 1;
  const events = vendor.events.filter((e) => !e.profiles || e.profiles.includes(profile));
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.name)) continue;
    seen.add(e.name);
    let ev: VendorEvent;
    try {
      ev = vendor.sample(e.name, { rng: new Rng(`contract/${vendor.id}/${profile}/${e.name}`), directory: vendor.directory(), profile }, CONTRACT_START);
    } catch {
      continue; // an event with no documented variables has nothing to contract
    }
    const callId = vendor.callIdOf?.(ev.payload);
    const state =
      callId && !OPENING_EVENTS.has(e.name) ? { name: `call ${callId} is known`, params: { callId } } : undefined;
    for (const v of variants(vendor, profile)) {
      const base = `http://127.0.0.1${contractPath(vendor.id)}${vendor.id === "acefone" ? `/${e.name}` : ""}`;
      const enc = vendor.encode(ev, { profile, url: base, method: v.method, options: v.options });
      const u = new URL(enc.url);
      // a GET whose query is a bare URL (3CX form recordings) has no key=value pair a contract can express
      if (enc.method === "GET" && u.search && !u.search.includes("=")) continue;
      out.push({
        vendor: vendor.id,
        profile,
        event: e.name,
        description: `${vendor.displayName} ${e.name}${vendor.profiles.length > 1 ? ` (${profile}${v.label ? `, ${v.label}` : ""})` : v.label ? ` (${v.label})` : ""}`,
        state,
        method: enc.method,
        path: u.pathname,
        query: u.search ? u.search.slice(1) : undefined,
        headers: enc.headers,
        body: enc.body,
        payload: ev.payload,
        schema: vendor.payloadSchema?.(e.name, profile) ?? (e as EventDef).schema,
        status: 200,
        statusClass: exact200 ? undefined : "success",
      });
    }
  }
  return out;
}

function queryTemplate(query: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const params = new URLSearchParams(query);
  if (![...params.keys()].length || !query.includes("=")) return out;
  // a JSON-encoded value (Acefone's nested values) is matched by type: its key order is not part of the contract
  for (const [k, v] of params) out[k] = /^[[{]/.test(v) ? string(v) : v;
  return out;
}

/** Writes the contract of one vendor profile: every interaction is played against Pact's mock server. */
export async function generateContract(vendorId: string, profile: string, dir = CONTRACTS_DIR): Promise<string> {
  const vendor = getVendor(vendorId);
  const work = mkdtempSync(join(tmpdir(), "pbxsim-pact-"));
  const consumer = consumerName(vendor, profile);
  try {
    const pact = new PactV4({ consumer, provider: PROVIDER, dir: work, spec: SpecificationVersion.SPECIFICATION_VERSION_V4, logLevel: (process.env.PBXSIM_PACT_LOG as "debug") ?? "error" });
    for (const it of contractInteractions(vendor, profile)) {
      let builder = pact.addInteraction();
      if (it.state) builder = builder.given(it.state.name, it.state.params);
      await builder
        .uponReceiving(it.description)
        .withRequest(it.method, it.path, (b) => {
          // header values are matched exactly: event header names and content types do not vary
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(it.headers)) headers[k === "content-type" ? "Content-Type" : k] = v;
          if (it.query) {
            const q = queryTemplate(it.query);
            if (Object.keys(q).length) b.query(q as Record<string, string>);
          }
          const ct = it.headers["content-type"] ?? "";
          if (it.body !== "") {
            if (ct.includes("json")) b.jsonBody(matcherFor(it.schema, JSON.parse(it.body)));
            else {
              // a text body (form, plain URL) compared as the vendor's content type, not as bytes
              (b as unknown as { interaction: { withRequestBody(body: string, ct: string): boolean } }).interaction.withRequestBody(
                it.body,
                ct,
              );
            }
          }
          if (Object.keys(headers).length) b.headers(headers);
        })
        .willRespondWith(it.statusClass ? matchStatus(it.status, HTTPResponseStatusClass.Success) : it.status)
        .executeTest(async (mock) => {
          const url = `${mock.url}${it.path}${it.query ? `?${it.query}` : ""}`;
          // a fresh connection per mock server: a pooled one could reach an earlier mock on a reused port
          const agent = new Agent({ pipelining: 0 });
          const res = await request(url, {
            method: it.method as "POST",
            headers: { ...it.headers, connection: "close" },
            body: it.body === "" ? undefined : it.body,
            dispatcher: agent,
          });
          const text = await res.body.text();
          await agent.close();
          // the mock records a matched request just after answering it
          await new Promise((r) => setTimeout(r, 30));
          if (res.statusCode !== it.status) {
            throw new Error(`the mock answered ${res.statusCode} to ${it.description}: ${text.slice(0, 800)}`);
          }
        });
    }
    const written = readdirSync(work).find((f) => f.endsWith(".json"));
    if (!written) throw new PbxsimError("IO", `no contract was written for ${vendorId} ${profile}`);
    mkdirSync(dir, { recursive: true });
    const target = contractFile(vendorId, profile, dir);
    const pactJson = JSON.parse(readFileSync(join(work, written), "utf8")) as Record<string, unknown>;
    writeFileSync(target, `${JSON.stringify(normalizePact(pactJson), null, 2)}\n`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Drops what varies between machines (library versions), so a regenerated contract is byte-identical. */
function normalizePact(pact: Record<string, unknown>): Record<string, unknown> {
  const metadata = (pact.metadata as Record<string, unknown>) ?? {};
  return { ...pact, metadata: { pactSpecification: metadata.pactSpecification ?? { version: "4.0" } } };
}

export async function generateAllContracts(dir = CONTRACTS_DIR, vendorIds?: string[]): Promise<string[]> {
  const jobs: [string, string][] = [];
  for (const v of VENDORS) {
    if (vendorIds && !vendorIds.includes(v.id)) continue;
    for (const p of v.profiles) jobs.push([v.id, p]);
  }
  // each vendor profile has its own mock servers, so they run side by side
  return Promise.all(jobs.map(([v, p]) => generateContract(v, p, dir)));
}

// ---- verification of a live receiver -----------------------------------------------------------------

export interface VerifyOptions {
  url: string;
  vendors?: string[];
  profile?: string;
  token?: string;
  secret?: string;
  /** Headers the receiver needs on every request (an API key of its own), lower-case names. */
  headers?: Record<string, string>;
  providerStatesUrl?: string;
  insecure?: boolean;
  brokerUrl?: string;
  providerVersion?: string;
  publish?: boolean;
  dir?: string;
}

export interface InteractionResult {
  vendor: string;
  profile: string;
  description: string;
  ok: boolean;
  detail: string;
}

/**
 * Puts in what cannot live in a contract file: the receiver's own path, the secret token, a
 * signature computed over the exact body bytes that are sent, and the receiver's own headers.
 */
export function requestFilter(
  vendor: Vendor,
  profile: string,
  target: URL,
  token?: string,
  secret?: string,
  headers: Record<string, string> = {},
) {
  const auth = vendor.transport(profile).auth;
  return (req: Request, _res: Response, next: NextFunction) => {
    const prefix = contractPath(vendor.id);
    const [path, query] = req.url.split("?") as [string, string | undefined];
    if (path.startsWith(prefix)) {
      const rest = path.slice(prefix.length);
      const base = target.pathname.replace(/\/$/, "");
      const own = target.search ? target.search.slice(1) : "";
      req.url = `${base}${rest || (base ? "" : "/")}${own || query ? `?${[own, query].filter(Boolean).join("&")}` : ""}`;
    }
    // the proxy parses bodies; send form bodies as the vendor encodes them, not re-serialized as JSON
    const ct = String(req.headers["content-type"] ?? "");
    let raw: Buffer | undefined;
    if (Buffer.isBuffer(req.body)) raw = req.body;
    else if (req.body && typeof req.body === "object" && Object.keys(req.body).length) {
      raw = Buffer.from(ct.includes("urlencoded") ? formEncode(req.body as Record<string, unknown>) : JSON.stringify(req.body));
      req.body = raw;
    }
    if (raw) req.headers["content-length"] = String(raw.length);
    for (const [name, value] of Object.entries(headers)) req.headers[name.toLowerCase()] = value;
    if (auth.kind === "token" && token) req.headers[auth.header] = token;
    if (auth.kind === "hmac-sha256" && secret) req.headers[auth.header] = signatureHeaderValue(auth.prefix, secret, raw ?? Buffer.alloc(0));
    next();
  };
}

function resultsFrom(json: string, vendor: Vendor, profile: string, descriptions: string[]): InteractionResult[] {
  let parsed: { result?: boolean; errors?: { interaction?: string; mismatch?: unknown }[]; output?: string[] };
  try {
    parsed = JSON.parse(json);
  } catch {
    return descriptions.map((d) => ({ vendor: vendor.id, profile, description: d, ok: false, detail: json.slice(0, 500) }));
  }
  // the verifier names a failed interaction "Verifying a pact between C and P[ Given S] - DESCRIPTION":
  // it is the longest description that ends it, so "call_created" does not take the failure of
  // "a call_created event"
  const failures = new Map<string, string>();
  for (const e of parsed.errors ?? []) {
    if (!e.interaction) continue;
    const d = descriptions
      .filter((x) => e.interaction!.endsWith(` - ${x}`))
      .reduce<string | undefined>((a, x) => (a === undefined || x.length > a.length ? x : a), undefined);
    if (d !== undefined) failures.set(d, describeMismatch(e.mismatch));
  }
  return descriptions.map((d) => {
    const detail = failures.get(d);
    return { vendor: vendor.id, profile, description: d, ok: detail === undefined, detail: detail ?? "passed" };
  });
}

function describeMismatch(m: unknown): string {
  if (!m || typeof m !== "object") return String(m ?? "failed");
  const o = m as { type?: string; mismatches?: { mismatch?: string; type?: string; expected?: unknown; actual?: unknown }[]; message?: string; error?: string };
  if (o.mismatches?.length) {
    return o.mismatches.map((x) => x.mismatch ?? `${x.type}: expected ${JSON.stringify(x.expected)}, got ${JSON.stringify(x.actual)}`).join("; ");
  }
  return o.message ?? o.error ?? JSON.stringify(m).slice(0, 400);
}

/** Runs the Pact verifier against a live receiver, one vendor profile at a time. Never throws for failures. */
export async function verifyReceiver(opts: VerifyOptions): Promise<InteractionResult[]> {
  let target: URL;
  try {
    target = new URL(opts.url);
  } catch {
    throw new PbxsimError("USAGE", `--url ${opts.url}: not a URL; give the receiver's full URL, e.g. http://127.0.0.1:8080/enreach`);
  }
  const vendors = (opts.vendors?.length ? opts.vendors : VENDORS.map((v) => v.id)).map(getVendor);
  const results: InteractionResult[] = [];
  for (const vendor of vendors) {
    const profiles = opts.profile ? [opts.profile] : vendor.profiles;
    for (const profile of profiles) {
      if (!vendor.profiles.includes(profile)) {
        throw new PbxsimError("USAGE", `--profile ${profile} is not a profile of ${vendor.id}${didYouMean(closest(profile, vendor.profiles, 1), true)}; its profiles are ${vendor.profiles.join(", ")}.`);
      }
      const file = contractFile(vendor.id, profile, opts.dir);
      let pact: { interactions?: { description: string }[] };
      try {
        pact = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        throw new PbxsimError("IO", `${file}: the contract is missing or unreadable; run \`pbxsim contracts generate\`.`);
      }
      const descriptions = (pact.interactions ?? []).map((i) => i.description);
      const verifier = new Verifier({
        provider: PROVIDER,
        providerBaseUrl: target.origin,
        pactUrls: [file],
        requestFilter: requestFilter(vendor, profile, target, opts.token, opts.secret, opts.headers),
        ...(opts.providerStatesUrl ? { providerStatesSetupUrl: opts.providerStatesUrl } : { stateHandlers: {} }),
        logLevel: "error",
        disableSslVerification: opts.insecure ?? false,
        validateSSL: !(opts.insecure ?? false),
        ...(opts.brokerUrl ? { pactBrokerUrl: opts.brokerUrl } : {}),
        ...(opts.providerVersion ? { providerVersion: opts.providerVersion } : {}),
        ...(opts.publish ? { publishVerificationResult: true } : {}),
      });
      try {
        const out = await verifier.verifyProvider();
        results.push(...resultsFrom(String(out), vendor, profile, descriptions));
      } catch (e) {
        results.push(...resultsFrom((e as Error).message, vendor, profile, descriptions));
      }
    }
  }
  return results;
}

// ---- the other direction: a receiver team's message pacts --------------------------------------------

/** What a message pact expects of one message: its description and, when given, its contents. */
interface ExpectedMessage {
  description: string;
  contents?: unknown;
  /** V4 asynchronous messages keep the contents under `content`. */
  type?: string;
}

/** A vendor event a message asks for, and the profile whose payloads answer it. */
interface MessageEvent {
  vendor: Vendor;
  event: string;
  profile: string;
}

/**
 * Verifies a receiver team's own asynchronous message pacts ("we expect QueueCallInArrived to carry
 * CallId") against real vendor payloads: pbxsim acts as the message provider from its builders. A
 * message is matched to a vendor event by the event name in its description or, failing that, by
 * a value of its contents that is an event name (`"type": "call_hungup"`); a pact whose provider is
 * named after a vendor is matched to that vendor's events only. `profile` picks the profile of
 * the vendors that have it (VoIPBIN `current`); the others use their default.
 */
export async function verifyMessagePacts(
  files: string[],
  opts: { profile?: string } = {},
): Promise<InteractionResult[]> {
  if (opts.profile && !VENDORS.some((v) => v.profiles.includes(opts.profile!)))
    throw new PbxsimError(
      "USAGE",
      `--profile ${opts.profile} is not a profile of any vendor; the profiles are ${[...new Set(VENDORS.flatMap((v) => v.profiles))].join(", ")}.`,
    );
  const results: InteractionResult[] = [];
  for (const file of files) {
    let pact: { provider?: { name?: string }; interactions?: ExpectedMessage[]; messages?: ExpectedMessage[] };
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new PbxsimError("IO", `${file}: cannot read the pact file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    try {
      pact = JSON.parse(text);
    } catch (e) {
      const { line, reason } = jsonError(text, e);
      throw new PbxsimError("IO", `${file}${line ? `:${line}` : ""}: the pact file is not valid JSON (${reason}).`);
    }
    const hint = VENDORS.find((v) => v.id === pact.provider?.name?.toLowerCase());
    const messages = [...(pact.interactions ?? []), ...(pact.messages ?? [])];
    const providers: Record<string, () => Promise<unknown>> = {};
    const found = new Map<string, MessageEvent>();
    for (const m of messages) {
      const d = m.description;
      const e = findEvent(d, hint) ?? eventInContents(messageContents(m), hint);
      if (!e) {
        results.push({ vendor: hint?.id ?? "?", profile: "-", description: d, ok: false, detail: `no ${hint ? `${hint.id} ` : "vendor "}event is named in this message: name one in its description (e.g. "a QueueCallInArrived event") or in its contents ("EventType": "QueueCallInArrived")` });
        continue;
      }
      const profile = opts.profile && e.vendor.profiles.includes(opts.profile) ? opts.profile : e.profile;
      // a vendor lists an event once per profile that sends it
      const senders = e.vendor.events.filter((x) => x.name === e.event).flatMap((x) => x.profiles ?? e.vendor.profiles);
      if (!senders.includes(profile)) {
        results.push({
          vendor: e.vendor.id,
          profile,
          description: d,
          ok: false,
          detail: `${e.vendor.id} ${profile} does not send ${e.event} (it is sent by ${senders.join(", ")})`,
        });
        continue;
      }
      found.set(d, { ...e, profile });
      providers[d] = async () =>
        e.vendor.sample(e.event, { rng: new Rng(`message/${d}`), directory: e.vendor.directory(), profile }, Date.now()).payload;
    }
    if (!found.size) continue;
    const provider = pact.provider?.name ?? PROVIDER;
    const verifier = new MessageProviderPact({ provider, pactUrls: [resolve(file)], messageProviders: providers, logLevel: "error" });
    const matched = [...found.keys()];
    const label = (r: InteractionResult): InteractionResult => {
      const e = found.get(r.description)!;
      return { ...r, vendor: e.vendor.id, profile: e.profile };
    };
    try {
      const out = await verifier.verify();
      results.push(...resultsFrom(String(out ?? "{}"), VENDORS[0]!, "-", matched).map(label));
    } catch (e) {
      results.push(...resultsFrom((e as Error).message, VENDORS[0]!, "-", matched).map(label));
    }
  }
  return results;
}

/** The contents a message expects: V3 messages hold them in `contents`, V4 ones in `contents.content`. */
function messageContents(m: ExpectedMessage): unknown {
  const c = m.contents as { content?: unknown } | undefined;
  return m.type?.startsWith("Asynchronous") || m.type?.startsWith("Synchronous") ? c?.content : c;
}

/** The event named by a top-level value of a message's contents, such as `"type": "call_hungup"`. */
function eventInContents(contents: unknown, hint: Vendor | undefined): MessageEvent | undefined {
  if (!contents || typeof contents !== "object" || Array.isArray(contents)) return undefined;
  for (const v of Object.values(contents))
    if (typeof v === "string") {
      const e = findEvent(v, hint, true);
      if (e) return e;
    }
  return undefined;
}

/**
 * The vendor event named in `text` (the longest name that appears as a word), among `hint`'s
 * events when a vendor is known; `exact`: the whole text is the name.
 */
function findEvent(text: string, hint?: Vendor, exact = false): MessageEvent | undefined {
  let best: MessageEvent | undefined;
  for (const v of hint ? [hint] : VENDORS) {
    for (const e of v.events) {
      const named = exact
        ? text === e.name
        : new RegExp(`(^|[^A-Za-z0-9_-])${escapeRe(e.name)}($|[^A-Za-z0-9_-])`).test(text);
      if (named && (!best || e.name.length > best.event.length)) {
        best = { vendor: v, event: e.name, profile: e.profiles?.[0] ?? v.defaultProfile };
      }
    }
  }
  return best;
}

/** Regenerates contracts into a temporary folder and lists those that differ from the committed ones. */
export async function staleContracts(dir = CONTRACTS_DIR): Promise<string[]> {
  const fresh = mkdtempSync(join(tmpdir(), "pbxsim-contracts-"));
  try {
    const files = await generateAllContracts(fresh);
    const stale: string[] = [];
    for (const f of files) {
      const name = f.slice(fresh.length + 1);
      let committed = "";
      try {
        committed = readFileSync(join(dir, name), "utf8");
      } catch {
        // missing counts as stale
      }
      if (committed !== readFileSync(f, "utf8")) stale.push(name);
    }
    return stale;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}



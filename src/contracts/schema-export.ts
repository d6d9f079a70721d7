import { z } from "zod";
import { isPbxsimError, PbxsimError } from "../core/errors.js";
import { Rng } from "../core/random.js";
import { closest, didYouMean } from "../core/suggest.js";
import {
  describeSuccess,
  type EncodedRequest,
  type EventDef,
  type TransportSpec,
  type Vendor,
  type VendorEvent,
} from "../core/vendor.js";
import { triggerPayloadSchema } from "../vendors/acefone/schemas.js";
import { getVendor, VENDORS } from "../vendors/registry.js";

/**
 * Contracts for people who build receivers: each vendor event's payload as a JSON Schema (draft 2020-12), and
 * every vendor's webhooks as one OpenAPI 3.1 document, both generated from the same zod schemas the receiver
 * validates with.
 *
 * The schemas describe the body as it arrives (zod's parse input): a value the vendor sends as JSON text inside a
 * form field is a string here. Checks zod runs in code (refinements across fields) have no JSON Schema form and
 * are left out; a value JSON Schema cannot describe at all becomes `{}` (any value).
 */

type JsonSchema = Record<string, unknown>;

const DIALECT = "https://json-schema.org/draft/2020-12/schema";
/** The instant samples are drawn at, so the document is the same on every run. */
export const EXAMPLE_START = Date.UTC(2026, 0, 5, 7);
const EXAMPLE_URL = "https://receiver.example.com/webhook";
const EXAMPLE_SECRET = "example-secret";

/** Header spellings as the vendors document them (pbxsim sends them lower-case; names are case-insensitive). */
const HEADER_SPELLING: Record<string, string> = {
  "x-benemen-event": "X-Benemen-Event",
  "x-benemen-token": "X-Benemen-Token",
  "x-voipbin-signature": "X-VoIPBIN-Signature",
};

function headerName(lower: string): string {
  return (
    HEADER_SPELLING[lower] ??
    lower
      .split("-")
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join("-")
  );
}

/** The media type without its parameters (`application/json; charset=utf-8` → `application/json`). */
function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

/** Text ending in a full stop (or the punctuation it already has). */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------------------------
// Which events, which schemas
// ---------------------------------------------------------------------------------------------------------------

/** A vendor's events; with a profile, only the events that profile sends. */
function eventsOf(vendor: Vendor, profile: string | undefined): EventDef[] {
  return profile === undefined
    ? vendor.events
    : vendor.events.filter((e) => e.profiles === undefined || e.profiles.includes(profile));
}

/** An event's name within its vendor, qualified by profile where the vendor's profiles send different bodies. */
function eventKey(vendor: Vendor, event: EventDef): string {
  return event.profiles !== undefined && vendor.profiles.length > 1
    ? `${event.profiles.join("+")}.${event.name}`
    : event.name;
}

/** One way an event's body can be encoded: its media type and the schema of that body. */
interface BodyVariant {
  mediaType: string;
  /** Unique within the vendor: the component name after `<vendor>.`. */
  key: string;
  title: string;
  schema: z.ZodType;
  /** Vendor options that make the sender use this encoding. */
  options?: Record<string, string>;
}

/**
 * The bodies an event can have in a profile, the default first. Acefone lets each webhook choose JSON or form
 * encoding, and Smartflo accounts send a few things the Acefone document does not (the trailing-space key, the
 * Dialer's M/D/YYYY stamps), so Acefone has a schema per profile and encoding; every other vendor has one body.
 */
function bodyVariants(vendor: Vendor, event: EventDef, profile: string | undefined): BodyVariant[] {
  const key = eventKey(vendor, event);
  const title = key === event.name ? event.name : `${event.name} (${event.profiles!.join(", ")})`;
  if (vendor.id === "acefone") {
    const smartflo = profile === "smartflo";
    const prefix = smartflo ? "smartflo." : "";
    const label = smartflo ? "Smartflo, " : "";
    const build = (encoding: "json" | "form") =>
      triggerPayloadSchema(event.name, { dateFormat: "default", encoding, smartfloQuirks: smartflo });
    return [
      {
        mediaType: "application/json",
        key: `${prefix}${event.name}`,
        title: smartflo ? `${event.name} (${label}JSON)` : event.name,
        schema: smartflo ? build("json") : event.schema,
        options: { content_type: "json" },
      },
      {
        mediaType: "application/x-www-form-urlencoded",
        key: `${prefix}${event.name}.form`,
        title: `${event.name} (${label}form)`,
        schema: build("form"),
        options: { content_type: "form" },
      },
    ];
  }
  const transport = vendor.transport(profile ?? event.profiles?.[0] ?? vendor.defaultProfile);
  return [{ mediaType: mediaType(transport.contentType), key, title, schema: event.schema }];
}

function checkProfile(vendor: Vendor, profile: string | undefined): string | undefined {
  if (profile === undefined || vendor.profiles.includes(profile)) return profile;
  throw new PbxsimError(
    "USAGE",
    `"${profile}" is not a profile of ${vendor.id}${didYouMean(closest(profile, vendor.profiles, 1), true)}; its profiles are: ${vendor.profiles.join(", ")}.`,
  );
}

function unknownEvent(vendor: Vendor, name: string, profile: string | undefined): PbxsimError {
  const names = [...new Set(eventsOf(vendor, profile).map((e) => e.name))];
  const where = profile === undefined ? vendor.id : `${vendor.id} profile ${profile}`;
  return new PbxsimError(
    "EVENT",
    `${where} has no event "${name}". ${didYouMean(closest(name, names))}Its events are: ${names.join(", ")}.`,
  );
}

/** The event of that name; without a profile, the one the vendor's default profile sends if there are several. */
function findEvent(vendor: Vendor, name: string, profile: string | undefined): EventDef {
  const candidates = eventsOf(vendor, profile).filter((e) => e.name === name);
  const chosen =
    candidates.find((e) => e.profiles === undefined || e.profiles.includes(vendor.defaultProfile)) ??
    candidates[0];
  if (!chosen) throw unknownEvent(vendor, name, profile);
  return chosen;
}

// ---------------------------------------------------------------------------------------------------------------
// zod → JSON Schema
// ---------------------------------------------------------------------------------------------------------------

/**
 * A string that a transform decodes before the rest of the schema checks it: the form bodies' JSON-encoded fields
 * (Acefone), the only decoding transform in the vendors' schemas.
 */
function decodedText(schema: z.core.$ZodTypes): z.core.$ZodType | undefined {
  const def = schema._zod.def;
  if (def.type !== "pipe") return undefined;
  const decode = (def.in as z.core.$ZodTypes)._zod.def;
  return decode.type === "pipe" &&
    decode.in._zod.def.type === "string" &&
    decode.out._zod.def.type === "transform"
    ? def.out
    : undefined;
}

/**
 * zod → JSON Schema, for the body as it arrives (zod's parse input). A JSON-encoded text field is a string whose
 * decoded value is given by `contentMediaType`/`contentSchema` (annotations: validators do not decode it).
 */
function convert(schema: z.core.$ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    override(ctx) {
      const decoded = decodedText(ctx.zodSchema);
      if (decoded === undefined) return;
      const { $schema: _dialect, ...content } = convert(decoded);
      Object.assign(ctx.jsonSchema, { contentMediaType: "application/json", contentSchema: content });
    },
  }) as JsonSchema;
}

/** Rewrites `$ref`s everywhere in a schema. */
function mapRefs(value: unknown, rewrite: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, rewrite));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "$ref" && typeof v === "string" ? rewrite(v) : mapRefs(v, rewrite);
    }
    return out;
  }
  return value;
}

/**
 * One event's schema, moved under a shared definitions section (`#/$defs/` or `#/components/schemas/`) as
 * `name`: definitions of its own become siblings named `<name>.<def>`, and its references follow them.
 */
function relocate(
  root: JsonSchema,
  name: string,
  base: string,
  sink: Record<string, JsonSchema>,
): JsonSchema {
  const { $schema: _dialect, $defs, ...rest } = root;
  const rewrite = (ref: string): string => {
    if (ref === "#") return `${base}${name}`;
    const m = /^#\/\$defs\/([^/]+)(.*)$/.exec(ref);
    return m ? `${base}${name}.${m[1]}${m[2]}` : ref;
  };
  for (const [defName, def] of Object.entries(($defs as Record<string, JsonSchema> | undefined) ?? {})) {
    sink[`${name}.${defName}`] = mapRefs(def, rewrite) as JsonSchema;
  }
  return mapRefs(rest, rewrite) as JsonSchema;
}

function titled(schema: JsonSchema, title: string, description: string): JsonSchema {
  return { ...schema, title, description };
}

/**
 * The JSON Schema (draft 2020-12) of one event's body, or of every event of a vendor (a `$defs` entry per event
 * and a `oneOf` over them). With a profile, the events and bodies of that profile; without one, the vendor's
 * default profile where an event exists in several.
 */
export function jsonSchemaFor(vendorId: string, eventName?: string, profile?: string): object {
  const vendor = getVendor(vendorId);
  const chosenProfile = checkProfile(vendor, profile);
  if (eventName !== undefined) {
    const event = findEvent(vendor, eventName, chosenProfile);
    const variant = bodyVariants(vendor, event, chosenProfile)[0]!;
    const { $schema: _dialect, ...schema } = convert(variant.schema);
    return { $schema: DIALECT, ...titled(schema, variant.title, event.description) };
  }
  const defs: Record<string, JsonSchema> = {};
  const oneOf: { $ref: string }[] = [];
  const seen = new Set<string>();
  for (const event of eventsOf(vendor, chosenProfile)) {
    const variant = bodyVariants(vendor, event, chosenProfile)[0]!;
    const body = relocate(convert(variant.schema), variant.key, "#/$defs/", defs);
    defs[variant.key] = titled(body, variant.title, event.description);
    // Events whose bodies are indistinguishable (Webitel's hooks, Acefone's hang-up aliases) share one branch,
    // or no body could ever match exactly one.
    const shape = JSON.stringify(body);
    if (!seen.has(shape)) {
      seen.add(shape);
      oneOf.push({ $ref: `#/$defs/${variant.key}` });
    }
  }
  const scope = chosenProfile === undefined ? "" : ` (profile ${chosenProfile})`;
  return {
    $schema: DIALECT,
    title: `${vendor.displayName} webhook events${scope}`,
    description: `Any one ${vendor.displayName} webhook body${scope}; each event's own schema is in $defs.`,
    $defs: defs,
    oneOf,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Samples as they go over the wire
// ---------------------------------------------------------------------------------------------------------------

type DecodedBody =
  | { kind: "json"; value: unknown }
  | { kind: "form"; value: Record<string, string> }
  | { kind: "raw"; value: string };

function decodeForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

/** The body of an encoded request, read back the way a receiver reads it; for a GET, its query string. */
function decodeRequest(req: EncodedRequest): DecodedBody {
  if (req.method === "GET" && req.body === "") {
    const q = req.url.indexOf("?");
    const query = q < 0 ? "" : req.url.slice(q + 1);
    return query.includes("=")
      ? { kind: "form", value: decodeForm(query) }
      : { kind: "raw", value: decodeURIComponent(query) };
  }
  const type = mediaType(req.headers["content-type"] ?? "");
  if (type.endsWith("json")) return { kind: "json", value: JSON.parse(req.body) as unknown };
  if (type === "application/x-www-form-urlencoded") return { kind: "form", value: decodeForm(req.body) };
  return { kind: "raw", value: req.body };
}

interface EncodedSample {
  event: VendorEvent;
  request: EncodedRequest;
  body: DecodedBody;
}

/** The vendor's own sample of an event, encoded as it would be sent; undefined when the vendor has none. */
function encodedSample(
  vendor: Vendor,
  eventName: string,
  profile: string,
  method: string,
  options?: Record<string, string>,
): EncodedSample | undefined {
  let event: VendorEvent;
  try {
    event = vendor.sample(
      eventName,
      { rng: new Rng(1), directory: vendor.directory(), profile, options },
      EXAMPLE_START,
    );
  } catch (e) {
    if (isPbxsimError(e) && e.code === "EVENT") return undefined;
    throw e;
  }
  const request = vendor.encode(event, {
    profile,
    url: EXAMPLE_URL,
    secret: EXAMPLE_SECRET,
    method,
    options,
  });
  return { event, request, body: decodeRequest(request) };
}

/** The method the vendor sends a body with: its default, or the first alternative when the default is GET. */
function bodyMethod(vendor: Vendor, profile: string, transport: TransportSpec): string {
  if (transport.method !== "GET") return transport.method;
  return vendor.methods?.(profile).find((m) => m !== "GET") ?? transport.method;
}

/**
 * The vendor's sample of an event in the shape `jsonSchemaFor` describes (the default body), as a receiver
 * parses it; undefined when the vendor has no sample for the event. A body that is not key=value pairs (3CX form's
 * recording URL) is given as the event's payload object.
 */
export function examplePayload(vendorId: string, eventName: string, profile?: string): unknown {
  const vendor = getVendor(vendorId);
  const chosenProfile = checkProfile(vendor, profile);
  const event = findEvent(vendor, eventName, chosenProfile);
  const p = chosenProfile ?? event.profiles?.[0] ?? vendor.defaultProfile;
  const variant = bodyVariants(vendor, event, chosenProfile)[0]!;
  const sample = encodedSample(vendor, event.name, p, bodyMethod(vendor, p, vendor.transport(p)), variant.options);
  if (!sample) return undefined;
  return sample.body.kind === "raw" ? sample.event.payload : sample.body.value;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI 3.1
// ---------------------------------------------------------------------------------------------------------------

function retries(t: TransportSpec): string {
  if (t.retrySchedule.length === 0) return "There is no retry.";
  const waits = t.retrySchedule.map((ms) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`));
  return `A failed attempt is retried ${t.retrySchedule.length} times, after ${waits.join(", ")}.`;
}

function responsesFor(vendor: Vendor, t: TransportSpec): Record<string, { description: string }> {
  const rule = t.success;
  if (rule.kind === "exact") {
    const body = vendor.okResponse.body === undefined ? ", no body" : "";
    return Object.fromEntries(
      rule.statuses.map((s) => [
        String(s),
        {
          description: `exactly ${s}${body}. Any other status counts as failed. ${retries(t)}`,
        },
      ]),
    );
  }
  return {
    "2XX": {
      description: `Delivered. ${vendor.displayName} counts ${describeSuccess(rule)} as delivered. ${retries(t)}`,
    },
  };
}

function securitySchemeName(vendor: Vendor): string {
  return `${vendor.id.replace(/[^A-Za-z0-9]/g, "")}Token`;
}

interface HeaderParameter {
  name: string;
  in: "header";
  required: boolean;
  description: string;
  schema: JsonSchema;
  example: string;
}

/** The headers the vendor sends besides the content type and a shared-secret token (a security scheme). */
function headerParameters(vendor: Vendor, t: TransportSpec, sample: EncodedSample): HeaderParameter[] {
  const params: HeaderParameter[] = [];
  for (const [lower, value] of Object.entries(sample.request.headers)) {
    if (lower === "content-type") continue;
    if (t.auth.kind === "token" && lower === t.auth.header) continue;
    if (t.auth.kind === "hmac-sha256" && lower === t.auth.header) {
      params.push({
        name: headerName(lower),
        in: "header",
        required: false,
        description: `${t.auth.prefix}<hex HMAC-SHA256 of the body>, keyed with the webhook's secret; sent when the webhook has a secret. Compute it over the raw body bytes and compare in constant time.`,
        schema: { type: "string", pattern: `^${escapeRegExp(t.auth.prefix)}[0-9a-f]{64}$` },
        example: value,
      });
      continue;
    }
    const isName = value === sample.event.name;
    params.push({
      name: headerName(lower),
      in: "header",
      required: true,
      description: isName ? "The event type (the same as the body's event name)." : `Sent by ${vendor.displayName}.`,
      schema: isName ? { type: "string", const: value } : { type: "string" },
      example: value,
    });
  }
  return params;
}

function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * An OpenAPI 3.1 document of the vendors' webhooks (all of them by default): a `webhooks` entry per vendor,
 * profile and event (`enreach.QueueCallInComing`, `voipbin.current.call_hangup`), each with the request the
 * vendor sends (method, content type, headers, body schema and a sample) and the responses it counts as delivered.
 */
export function openApiDocument(vendorIds?: string[]): object {
  const vendors = vendorIds === undefined ? [...VENDORS] : vendorIds.map((id) => getVendor(id));
  const schemas: Record<string, JsonSchema> = {};
  const securitySchemes: Record<string, JsonSchema> = {};
  const webhooks: Record<string, Record<string, unknown>> = {};

  const component = (vendor: Vendor, event: EventDef, variant: BodyVariant): string => {
    const name = `${vendor.id}.${variant.key}`;
    if (!(name in schemas)) {
      const body = relocate(convert(variant.schema), name, "#/components/schemas/", schemas);
      schemas[name] = titled(body, variant.title, event.description);
    }
    return name;
  };

  for (const vendor of vendors) {
    for (const profile of vendor.profiles) {
      const t = vendor.transport(profile);
      if (t.auth.kind === "token") {
        securitySchemes[securitySchemeName(vendor)] = {
          type: "apiKey",
          in: "header",
          name: headerName(t.auth.header),
          description: `The webhook's shared secret, sent as is when one is configured (${vendor.displayName}).`,
        };
      }
      const methods = vendor.methods?.(profile);
      const qualifier = vendor.profiles.length > 1 ? `${profile}.` : "";
      for (const event of eventsOf(vendor, profile)) {
        const key = `${vendor.id}.${qualifier}${event.name}`;
        const variants = bodyVariants(vendor, event, profile);
        const withBody = bodyMethod(vendor, profile, t);
        const about = `${sentence(event.description)} ${vendor.displayName}, profile ${profile}.`;
        const others =
          methods && methods.length > 1
            ? ` The webhook's method is configurable: ${methods.join(", ")}.`
            : "";

        const content: Record<string, JsonSchema> = {};
        let sample: EncodedSample | undefined;
        for (const variant of variants) {
          const name = component(vendor, event, variant);
          const s = encodedSample(vendor, event.name, profile, withBody, variant.options);
          sample ??= s;
          if (s?.body.kind === "raw") {
            // a body that is one value alone (3CX form's recording URL): that value's schema
            const only = Object.keys(s.event.payload);
            content[mediaType(s.request.headers["content-type"] ?? "text/plain")] = {
              schema:
                only.length === 1
                  ? { $ref: `#/components/schemas/${name}/properties/${only[0]!}` }
                  : { type: "string" },
              example: s.body.value,
            };
            continue;
          }
          content[variant.mediaType] = { schema: ref(name), ...(s ? { example: s.body.value } : {}) };
        }

        const common = {
          tags: [vendor.id],
          summary: event.description,
          parameters: sample ? headerParameters(vendor, t, sample) : [],
          ...(t.auth.kind === "token" ? { security: [{ [securitySchemeName(vendor)]: [] }, {}] } : {}),
          responses: responsesFor(vendor, t),
        };
        const operations: Record<string, unknown> = {};
        if (t.method === "GET") {
          // the key=value pairs travel in the query string
          const get = encodedSample(vendor, event.name, profile, "GET");
          const component0 = `${vendor.id}.${variants[0]!.key}`;
          const pairs = get?.body.kind === "form";
          operations.get = {
            ...common,
            operationId: key,
            description: `${about} ${
              pairs
                ? "Sent as GET with the body's key=value pairs in the query string."
                : "Sent as GET with the value alone as the query string."
            }${others}`,
            parameters: [
              ...common.parameters,
              ...(pairs
                ? [
                    {
                      name: "fields",
                      in: "query",
                      required: true,
                      style: "form",
                      explode: true,
                      schema: ref(component0),
                      example: get.body.value,
                    },
                  ]
                : []),
            ],
          };
        }
        if (withBody !== "GET") {
          operations[withBody.toLowerCase()] = {
            ...common,
            operationId: t.method === "GET" ? `${key}.${withBody.toLowerCase()}` : key,
            description: `${about} Sent as ${withBody} ${Object.keys(content).join(" or ")}.${others}`,
            requestBody: { required: true, description: event.description, content },
          };
        }
        webhooks[key] = operations;
      }
    }
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "pbxsim vendor webhooks",
      version: "1",
      summary: "The webhook requests PBX vendors send, as pbxsim simulates them",
      description:
        "One webhook per vendor, profile and event. Bodies are described as they arrive; " +
        "`example`s are pbxsim's own samples.",
    },
    jsonSchemaDialect: DIALECT,
    tags: vendors.map((v) => ({ name: v.id, description: v.displayName })),
    webhooks,
    components: { schemas, securitySchemes },
  };
}

import { createRequire } from "node:module";
import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { examplePayload, jsonSchemaFor, openApiDocument } from "../src/contracts/schema-export.js";
import { PbxsimError } from "../src/core/errors.js";
import type { Vendor } from "../src/core/vendor.js";
import { VENDORS } from "../src/vendors/registry.js";

/**
 * The exported contracts: every event's JSON Schema accepts the vendor's own sample, and the OpenAPI document is
 * valid OpenAPI 3.1 with a webhook per vendor, profile and event.
 */

// A draft 2020-12 validator: the ajv the OpenAPI validator itself is built on.
interface ValidateFunction {
  (data: unknown): boolean;
  errors?: unknown[] | null;
}
interface Ajv {
  compile(schema: object): ValidateFunction;
  addSchema(schema: object): Ajv;
  addKeyword(definition: { keyword: string }): Ajv;
  getSchema(ref: string): ValidateFunction | undefined;
  validateSchema(schema: object): boolean;
  errors?: unknown[] | null;
}
type AjvConstructor = new (opts?: Record<string, unknown>) => Ajv;

const requireHere = createRequire(import.meta.url);
const requireFromValidator = createRequire(requireHere.resolve("@seriousme/openapi-schema-validator"));
const ajv2020 = requireFromValidator("ajv/dist/2020") as { default: AjvConstructor };
const ajvFormats = requireFromValidator("ajv-formats") as { default: (ajv: Ajv) => Ajv };

function newAjv(): Ajv {
  return ajvFormats.default(
    new ajv2020.default({ strict: true, allowUnionTypes: true, code: { optimize: false } }),
  );
}

type Schema = Record<string, unknown>;

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

interface Case {
  vendor: Vendor;
  profile: string;
  event: string;
}

/** Every vendor × profile × event the vendor sends in that profile. */
const CASES: Case[] = VENDORS.flatMap((vendor) =>
  vendor.profiles.flatMap((profile) =>
    vendor.events
      .filter((e) => e.profiles === undefined || e.profiles.includes(profile))
      .map((e) => ({ vendor, profile, event: e.name })),
  ),
);

function webhookKey(c: Case): string {
  return `${c.vendor.id}.${c.vendor.profiles.length > 1 ? `${c.profile}.` : ""}${c.event}`;
}

function thrown(f: () => unknown): PbxsimError {
  try {
    f();
  } catch (e) {
    if (e instanceof PbxsimError) return e;
    throw e;
  }
  throw new Error("expected a PbxsimError");
}

// One OpenAPI document and one compile of its component schemas serve every check below: an event's exported
// schema must equal its component, so the component's validator is the exported schema's validator.
let doc: Schema;
let webhooks: Record<string, Record<string, Schema>>;
let schemas: Record<string, Schema>;
let ajv: Ajv;
const DOC_ID = "urn:pbxsim:openapi";
const componentByShape = new Map<string, string>();
const validators = new Map<string, ValidateFunction>();

function componentValidator(name: string): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`)!;
    validators.set(name, validate);
  }
  return validate;
}

/** The component a schema is, by content. */
function componentOf(schema: Schema): string | undefined {
  return componentByShape.get(JSON.stringify(schema));
}

beforeAll(() => {
  doc = openApiDocument() as Schema;
  webhooks = doc.webhooks as typeof webhooks;
  schemas = (doc.components as { schemas: typeof schemas }).schemas;
  for (const [name, schema] of Object.entries(schemas)) componentByShape.set(JSON.stringify(schema), name);
  ajv = newAjv();
  ajv.addKeyword({ keyword: "components" });
  ajv.addSchema({ $id: DOC_ID, components: { schemas } });
});

describe("jsonSchemaFor", () => {
  it("exports every event's schema, alone and in its vendor's oneOf, and each accepts the vendor's sample", () => {
    const noSample: string[] = [];
    for (const vendor of VENDORS) {
      for (const profile of [undefined, ...vendor.profiles]) {
        const all = jsonSchemaFor(vendor.id, undefined, profile) as Schema;
        expect(ajv.validateSchema(all), JSON.stringify(ajv.errors)).toBe(true);
        const defs = all.$defs as Record<string, Schema>;
        const oneOf = (all.oneOf as { $ref: string }[]).map((r) => r.$ref.replace("#/$defs/", ""));
        expect(all.$schema).toBe(DRAFT_2020_12);
        expect(oneOf.length).toBeGreaterThan(0);
        const events = vendor.events.filter(
          (e) => profile === undefined || e.profiles === undefined || e.profiles.includes(profile),
        );
        expect(Object.keys(defs)).toHaveLength(events.length);
        for (const def of Object.values(defs)) expect(def.$schema).toBeUndefined();
        if (profile === undefined) continue;

        for (const e of events) {
          const label = `${vendor.id}.${profile}.${e.name}`;
          const { $schema, ...alone } = jsonSchemaFor(vendor.id, e.name, profile) as Schema;
          expect($schema).toBe(DRAFT_2020_12);
          expect(alone.title, label).toContain(e.name);
          expect(alone.description).toBe(e.description);
          expect(alone.type).toBe("object");
          expect(Object.values(defs), `${label}: the same schema alone and in $defs`).toContainEqual(alone);
          const component = componentOf(alone);
          expect(component, `${label}: the same schema in the OpenAPI components`).toBeDefined();

          const payload = examplePayload(vendor.id, e.name, profile);
          if (payload === undefined) {
            noSample.push(label);
            continue;
          }
          const own = componentValidator(component!);
          expect(own(payload), `${label}: ${JSON.stringify(own.errors)}`).toBe(true);
          // oneOf: exactly one branch accepts it
          const matching = oneOf.filter((key) => componentValidator(componentOf(defs[key]!)!)(payload));
          expect(matching, label).toHaveLength(1);
        }
      }
    }
    // Acefone's undocumented session trigger has no variables to sample
    expect(noSample).toEqual([
      "acefone.acefone.session-call-answered",
      "acefone.smartflo.session-call-answered",
    ]);
  });

  it("rejects bodies that break the contract", () => {
    const enreach = componentValidator("enreach.QueueCallInComing");
    const good = examplePayload("enreach", "QueueCallInComing") as Schema;
    expect(enreach(good)).toBe(true);
    expect(enreach({ ...good, Unknown: 1 })).toBe(false);
    const { CallId: _drop, ...missing } = good;
    expect(enreach(missing)).toBe(false);
    expect(enreach({ ...good, Id: "NOT-A-GUID" })).toBe(false);

    // the two VoIPBIN generations send the same event names with different bodies
    const { $schema: _c, ...current } = jsonSchemaFor("voipbin", "call_created", "current") as Schema;
    const { $schema: _l, ...legacy } = jsonSchemaFor("voipbin", "call_created", "legacy") as Schema;
    expect(current).not.toEqual(legacy);
    expect(jsonSchemaFor("voipbin", "call_created")).toEqual({ $schema: DRAFT_2020_12, ...legacy });
    expect(
      componentValidator(componentOf(legacy)!)(examplePayload("voipbin", "call_created", "current")),
    ).toBe(false);
    expect(
      componentValidator(componentOf(current)!)(examplePayload("voipbin", "call_created", "legacy")),
    ).toBe(false);
  });

  it("names the valid vendors and events when asked for an unknown one", () => {
    const v = thrown(() => jsonSchemaFor("asterisk"));
    expect(v.code).toBe("VENDOR");
    expect(v.message).toContain("enreach, voipbin, 3cx, acefone, webitel");

    const e = thrown(() => jsonSchemaFor("enreach", "QueueCallInExploded"));
    expect(e.code).toBe("EVENT");
    expect(e.message).toContain("QueueCallInComing");

    // groupcall_* exist only in the current generation
    const p = thrown(() => jsonSchemaFor("voipbin", "groupcall_created", "legacy"));
    expect(p.code).toBe("EVENT");
    const listed = p.message.split("Its events are:")[1]!;
    expect(listed).toContain("call_hungup");
    expect(listed).not.toContain("groupcall_created");
    expect(() => jsonSchemaFor("voipbin", "groupcall_created")).not.toThrow();

    expect(thrown(() => jsonSchemaFor("voipbin", "call_created", "modern")).message).toContain(
      "legacy, current",
    );
    expect(thrown(() => openApiDocument(["enreach", "asterisk"])).code).toBe("VENDOR");
  });
});

describe("openApiDocument", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(doc.openapi).toBe("3.1.0");
  });

  it("has one webhook per vendor, profile and event, and nothing else", () => {
    expect(Object.keys(webhooks).sort()).toEqual(CASES.map(webhookKey).sort());
    for (const c of CASES) {
      const item = webhooks[webhookKey(c)]!;
      const method = c.vendor.transport(c.profile).method.toLowerCase();
      expect(item[method], webhookKey(c)).toBeDefined();
    }
  });

  it("gives every body a schema in components and an example that schema accepts", () => {
    let examples = 0;
    for (const [key, item] of Object.entries(webhooks)) {
      for (const op of Object.values(item)) {
        const body = op.requestBody as
          { content: Record<string, { schema: { $ref?: string }; example?: unknown }> } | undefined;
        for (const [type, media] of Object.entries(body?.content ?? {})) {
          const target = media.schema.$ref;
          expect(target, `${key} ${type}`).toMatch(/^#\/components\/schemas\//);
          if (media.example === undefined) continue;
          const validate = ajv.getSchema(`${DOC_ID}${target!}`)!;
          expect(validate(media.example), `${key} ${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
          examples++;
        }
      }
    }
    expect(examples).toBeGreaterThan(CASES.length);
  });

  it("describes Enreach's headers, token and 200-only rule", () => {
    const post = webhooks["enreach.QueueCallInComing"]!.post!;
    const params = post.parameters as Schema[];
    const event = params.find((p) => p.name === "X-Benemen-Event")!;
    expect(event).toMatchObject({ in: "header", required: true, schema: { const: "QueueCallInComing" } });
    expect(post.security).toEqual([{ enreachToken: [] }, {}]);
    const schemes = (doc.components as { securitySchemes: Record<string, Schema> }).securitySchemes;
    expect(schemes.enreachToken).toMatchObject({ type: "apiKey", in: "header", name: "X-Benemen-Token" });
    expect(Object.keys(post.responses as object)).toEqual(["200"]);
    expect((post.responses as Record<string, Schema>)["200"]!.description).toMatch(/^exactly 200, no body/);
    const body = post.requestBody as { content: Record<string, Schema> };
    expect(Object.keys(body.content)).toEqual(["application/json"]);
    expect(body.content["application/json"]!.schema).toEqual({
      $ref: "#/components/schemas/enreach.QueueCallInComing",
    });
    expect(post.summary).toBe(VENDORS[0]!.events.find((e) => e.name === "QueueCallInComing")!.description);
  });

  it("describes VoIPBIN current's signature, and none for legacy", () => {
    const current = webhooks["voipbin.current.call_hangup"]!.post!;
    const sig = (current.parameters as Schema[]).find((p) => p.name === "X-VoIPBIN-Signature")!;
    expect(sig.description).toContain("sha256=<hex HMAC-SHA256 of the body>");
    expect(sig.example).toMatch(new RegExp((sig.schema as { pattern: string }).pattern));
    expect(Object.keys(current.responses as object)).toEqual(["2XX"]);
    const legacy = webhooks["voipbin.legacy.call_hungup"]!.post!;
    // no signature; Go's client names itself in either generation
    expect((legacy.parameters as Schema[]).map((p) => [p.name, p.example])).toEqual([
      ["User-Agent", "Go-http-client/1.1"],
    ]);
    expect(legacy.security).toBeUndefined();
  });

  it("sends 3CX form as GET query pairs or a form body, and Acefone as JSON or form", () => {
    const ringing = webhooks["3cx.form.ringing"]!;
    const query = (ringing.get!.parameters as Schema[]).find((p) => p.in === "query")!;
    expect(query).toMatchObject({
      style: "form",
      explode: true,
      schema: { $ref: "#/components/schemas/3cx.form.ringing" },
    });
    const form = (ringing.post!.requestBody as { content: Record<string, Schema> }).content;
    expect(Object.keys(form)).toEqual(["application/x-www-form-urlencoded"]);
    const recording = (
      webhooks["3cx.form.recording"]!.post!.requestBody as { content: Record<string, Schema> }
    ).content;
    expect(recording["text/plain"]!.example).toMatch(/^https:\/\/.+\.mp3$/);

    const hangup = (
      webhooks["acefone.acefone.call-hangup"]!.post!.requestBody as { content: Record<string, Schema> }
    ).content;
    expect(Object.keys(hangup)).toEqual(["application/json", "application/x-www-form-urlencoded"]);
    const formExample = hangup["application/x-www-form-urlencoded"]!.example as Record<string, string>;
    for (const v of Object.values(formExample)) expect(typeof v).toBe("string");
    // a form field holding JSON text: a string, with the decoded value's schema as its content schema
    const callFlow = (schemas["acefone.call-hangup.form"]!.properties as Record<string, Schema>).call_flow!;
    expect(callFlow).toMatchObject({ type: "string", contentMediaType: "application/json" });
    const decoded = newAjv().compile(callFlow.contentSchema as Schema);
    expect(decoded(JSON.parse(formExample.call_flow!)), JSON.stringify(decoded.errors)).toBe(true);
    expect(decoded({ not: "a flow" })).toBe(false);
  });

  it("covers only the vendors asked for", () => {
    const only = openApiDocument(["webitel"]) as {
      webhooks: object;
      components: { securitySchemes: object };
    };
    expect(Object.keys(only.webhooks)).toEqual(VENDORS[4]!.events.map((e) => `webitel.${e.name}`));
    expect(only.components.securitySchemes).toEqual({});
  });
});

import { readFileSync } from "node:fs";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PbxsimError, ScenarioError } from "../src/core/errors.js";
import {
  createReceiver,
  parseBody,
  queryValue,
  type ReceivedRecord,
  validateRequest,
} from "../src/receiver/app.js";
import { builtinScenarioFiles, parseScenarioText } from "../src/scenario/load.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { playCall } from "./helpers/play.js";

/**
 * Property-based fuzzing of the two places that read untrusted text: the scenario loader (a
 * user's YAML) and the built-in receiver (whatever a sender puts on the wire). Runs are bounded
 * and seeded so a failure replays.
 */

const FILE = "fuzz.yaml";
const SEED = 20260105;

/** The loader's contract: a scenario, or a typed error whose message names the file. */
function loadOrExplain(text: string): void {
  try {
    const s = parseScenarioText(text, FILE, findVendor);
    expect(typeof s.id).toBe("string");
    expect(s.steps.length).toBeGreaterThan(0);
  } catch (e) {
    if (!(e instanceof PbxsimError)) {
      throw new Error(`not a PbxsimError: ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
    expect(e.message).toContain(FILE);
    if (e instanceof ScenarioError) expect(e.file).toBe(FILE);
  }
}

const realScenarios = builtinScenarioFiles().map((s) => readFileSync(s.file, "utf8"));

/** Random edits of a real scenario file: delete, duplicate or swap lines, swap or replace characters. */
const mutation = fc.record({
  source: fc.nat({ max: realScenarios.length - 1 }),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom(
        "delete-line",
        "duplicate-line",
        "swap-lines",
        "swap-chars",
        "replace-char",
        "insert",
      ),
      a: fc.nat(),
      b: fc.nat(),
      ch: fc.constantFrom(
        " ",
        "\t",
        ":",
        "-",
        "{",
        "}",
        "[",
        "]",
        "#",
        "&",
        "*",
        "!",
        "'",
        '"',
        "|",
        ">",
        "\n",
        "x",
        "0",
      ),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

function mutate(m: { source: number; edits: { kind: string; a: number; b: number; ch: string }[] }): string {
  let text = realScenarios[m.source]!;
  for (const e of m.edits) {
    const lines = text.split("\n");
    const i = e.a % lines.length;
    const j = e.b % lines.length;
    switch (e.kind) {
      case "delete-line":
        lines.splice(i, 1);
        text = lines.join("\n");
        break;
      case "duplicate-line":
        lines.splice(i, 0, lines[i]!);
        text = lines.join("\n");
        break;
      case "swap-lines":
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        text = lines.join("\n");
        break;
      default: {
        if (text.length === 0) break;
        const p = e.a % text.length;
        const q = e.b % text.length;
        const chars = [...text];
        if (e.kind === "swap-chars") [chars[p], chars[q]] = [chars[q]!, chars[p]!];
        else if (e.kind === "replace-char") chars[p] = e.ch;
        else chars.splice(p, 0, e.ch);
        text = chars.join("");
      }
    }
  }
  return text;
}

/** Values shaped like scenario files, mostly wrong in one place or another. */
const stepName = fc.constantFrom(
  "arrive",
  "ivr",
  "enqueue",
  "offer",
  "answer",
  "miss",
  "dial",
  "ringing",
  "connect",
  "transfer",
  "hangup",
  "wait",
  "talk",
  "availability",
  "callback",
  "branch",
  "repeat",
  "action",
  "disposition",
  "wrapup",
  "record",
  "overflow",
);
const scenarioish = fc.record(
  {
    vendor: fc.oneof(fc.constantFrom("enreach", "voipbin", "3cx", "acefone", "webitel"), fc.anything()),
    name: fc.oneof(fc.constantFrom("fuzz", "fuzz-1"), fc.anything()),
    description: fc.oneof(fc.constant("d"), fc.anything()),
    profiles: fc.anything(),
    call: fc.oneof(
      fc.record(
        { direction: fc.constantFrom("inbound", "outbound", "none", 3), queue: fc.anything() },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    steps: fc.oneof(
      fc.array(fc.dictionary(stepName, fc.anything(), { maxKeys: 2 }), { maxLength: 5 }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

describe("the scenario loader under fuzzing", () => {
  it("arbitrary strings load or fail with a typed error naming the file", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.lorem({ mode: "sentences" })),
        (text) => loadOrExplain(text),
      ),
      { numRuns: 200, seed: SEED },
    );
  });

  it("arbitrary YAML documents (fc.anything serialized) load or fail with a typed error", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false }), (value) => {
        let text: unknown;
        try {
          text = stringify(value);
        } catch {
          return; // not every JS value has a YAML form
        }
        if (typeof text === "string") loadOrExplain(text); // undefined has no document at all
      }),
      { numRuns: 200, seed: SEED },
    );
  });

  it("scenario-shaped YAML documents load or fail with a typed error", () => {
    fc.assert(
      fc.property(scenarioish, (value) => loadOrExplain(stringify(value))),
      { numRuns: 200, seed: SEED },
    );
  });

  it("mutations of the real scenario files load or fail with a typed error", () => {
    let loaded = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        const text = mutate(m);
        loadOrExplain(text);
        try {
          parseScenarioText(text, FILE, findVendor);
          loaded++;
        } catch {
          // judged by loadOrExplain
        }
      }),
      { numRuns: 200, seed: SEED },
    );
    // the mutations stay close enough to real files that some still load
    expect(loaded).toBeGreaterThan(0);
  });

  describe("YAML aliases", () => {
    it("an alias to an undefined anchor is a ScenarioError naming the file", () => {
      const text = "vendor: enreach\nname: fuzz\ndescription: d\nsteps: *missing\n";
      expect(() => parseScenarioText(text, FILE, findVendor)).toThrow(ScenarioError);
    });

    it("an alias bomb is a ScenarioError naming the file, not a ReferenceError", () => {
      const text = `vendor: enreach\nname: fuzz\ndescription: d\nx: &a 1s\nsteps: [${Array(150).fill("*a").join(", ")}]\n`;
      expect(() => parseScenarioText(text, FILE, findVendor)).toThrow(ScenarioError);
    });
  });
});

// ---- the receiver -------------------------------------------------------------------------------

/** Messages of JavaScript runtime errors: a handler crash the error middleware turned into a 4xx. */
const CRASH =
  /Cannot read propert|Cannot convert|is not a function|is not iterable|is not defined|Maximum call stack|Cannot destructure|toPrimitive/;

const interestingKey = fc.constantFrom(
  "type",
  "data",
  "EventType",
  "Id",
  "CallId",
  "CallBackId",
  "Event",
  "event",
  "id",
  "call_id",
  "uuid",
  "billing_circle",
  "attempt_id",
  "state",
  "timestamp",
  "start_stamp",
  "customer_id",
  "master_call_id",
  "status",
  "toString",
  "valueOf",
  "__proto__",
  "constructor",
);
const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.constantFrom(
    "call_created",
    "activeflow_updated",
    "QueueCallInComing",
    "NewCall",
    "answered",
    "https://pbx/webapi/recording/202601050700_1-x.wav",
  ),
);
const vendorishObject = fc.dictionary(
  interestingKey,
  fc.oneof(leaf, fc.dictionary(interestingKey, leaf, { maxKeys: 4 })),
  { maxKeys: 6 },
);
const bodyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  vendorishObject.map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
    .map((d) => new URLSearchParams(d).toString()),
);
const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/plain; charset=latin1",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
  ),
  fc.stringMatching(/^[a-z]{1,8}\/[a-z+.-]{1,12}$/),
);
const headerName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
  .filter(
    (n) =>
      ![
        "content-length",
        "content-type",
        "transfer-encoding",
        "host",
        "connection",
        "expect",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
      ].includes(n),
  );
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,30}$/);
const enreachEventName = fc.oneof(
  fc.constantFrom(
    "QueueCallInComing",
    "UserAvailability",
    "CallbackCreated",
    "UserStatus",
    "constructor",
    "__proto__",
    "toString",
  ),
  headerValue,
);
const path = fc
  .tuple(
    fc.constantFrom(
      "enreach",
      "voipbin",
      "3cx",
      "acefone",
      "webitel",
      "",
      "other",
      "ENREACH",
      "acefone/call-hangup",
    ),
    fc.option(fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/), { nil: undefined }),
    fc.option(
      fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9=&%._~:/-]{0,30}$/),
        fc
          .dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
          .map((d) => new URLSearchParams(d).toString()),
      ),
      { nil: undefined },
    ),
  )
  .map(
    ([vendor, rest, query]) => `/${vendor}${rest ? `/${rest}` : ""}${query !== undefined ? `?${query}` : ""}`,
  );
const wireRequest = fc.record({
  method: fc.constantFrom("post", "put", "get", "patch", "delete"),
  path,
  body: bodyText,
  contentType: fc.option(contentType, { nil: undefined }),
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
  enreachEvent: fc.option(enreachEventName, { nil: undefined }),
  enreachToken: fc.option(headerValue, { nil: undefined }),
  signature: fc.option(headerValue, { nil: undefined }),
  options: fc.record({
    token: fc.option(fc.constant("s3cret"), { nil: undefined }),
    secret: fc.option(fc.constant("sh4red"), { nil: undefined }),
    vendor: fc.option(fc.constantFrom("enreach", "voipbin", "3cx", "acefone", "webitel"), { nil: undefined }),
  }),
});

type WireRequest = typeof wireRequest extends fc.Arbitrary<infer T> ? T : never;

async function deliver(w: WireRequest): Promise<{ status: number; records: ReceivedRecord[] }> {
  const rx = createReceiver({ vendors: VENDORS, ...w.options });
  const records: ReceivedRecord[] = [];
  rx.events.on("record", (r) => records.push(r));
  const headers: Record<string, string> = { ...w.headers };
  if (w.enreachEvent !== undefined) headers["x-benemen-event"] = w.enreachEvent;
  if (w.enreachToken !== undefined) headers["x-benemen-token"] = w.enreachToken;
  if (w.signature !== undefined) headers["x-voipbin-signature"] = w.signature;
  let req = request(rx.app)[w.method](w.path).set(headers);
  if (w.contentType !== undefined) req = req.set("content-type", w.contentType);
  const res = await req.send(w.body);
  return { status: res.status, records };
}

/** Well-formed steps, each valid on its own; together they may tell a story that cannot happen. */
const wellFormedStep = fc.constantFrom<Record<string, unknown>>(
  { arrive: {} },
  { arrive: { target: "user" } },
  { enqueue: {} },
  { wait: "2s" },
  { talk: "30s" },
  { offer: {} },
  { offer: { agent: 2 } },
  { answer: {} },
  { answer: { agent: 2 } },
  { miss: {} },
  { miss: { reason: "rejected" } },
  { dial: {} },
  { ringing: {} },
  { connect: {} },
  { connect: { amd: "MACHINE" } },
  { transfer: { mode: "blind" } },
  { transfer: { mode: "attended", outcome: "cancelled" } },
  { transfer: { mode: "blind", to: "external" } },
  { hangup: { by: "caller" } },
  { hangup: { by: "agent" } },
  { hangup: { by: "system", cause: "timeout" } },
  { overflow: { to: "callback" } },
  { overflow: { to: "voicemail" } },
  { wrapup: { duration: "20s" } },
  { record: {} },
  { callback: { action: "create" } },
  { callback: { action: "attempt" } },
  { availability: { state: "Busy" } },
  { disposition: { value: [{ weight: 1, value: { value: "Sale" } }] } },
  { ivr: { digits: "1" } },
  { action: { type: "answer" } },
  { action: { type: "hangup" } },
  { repeat: { times: [1, 2], steps: [{ offer: {} }, { miss: {} }] } },
);

describe("stories made of well-formed steps", () => {
  it("simulate into requests every vendor's receiver accepts, or fail with a ScenarioError naming the file and line", () => {
    let played = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...VENDORS.map((v) => v.id)),
        fc.constantFrom("inbound", "outbound", "none"),
        fc.boolean(),
        fc.array(wellFormedStep, { minLength: 1, maxLength: 6 }),
        (id, direction, opening, rest) => {
          const vendor = findVendor(id)!;
          // most stories begin as a call does, so more of them get past the first step
          const first = direction === "inbound" ? { arrive: {} } : { dial: {} };
          const doc = {
            vendor: vendor.id,
            name: "fuzz",
            description: "d",
            call: { direction, queue: "any" },
            steps: opening ? [first, ...rest] : rest,
          };
          let scenario;
          try {
            scenario = parseScenarioText(stringify(doc), FILE, findVendor);
          } catch (e) {
            expect(e, String(e)).toBeInstanceOf(PbxsimError);
            return;
          }
          for (const profile of vendor.profiles) {
            let events;
            try {
              events = playCall(scenario, vendor, profile, 1).events;
            } catch (e) {
              // a story that cannot happen is the user's to fix: the file and the step's line
              if (!(e instanceof ScenarioError)) throw e;
              expect(e.file).toBe(FILE);
              expect(e.line).toBeGreaterThan(0);
              continue;
            }
            played++;
            for (const ev of events) {
              const enc = vendor.encode(ev, { profile, url: "http://127.0.0.1:9/hook", secret: "s3cret" });
              const verdict = validateRequest(vendor, enc);
              expect(
                verdict.issues,
                `${vendor.id} ${profile} ${ev.name} of ${JSON.stringify(doc.steps)}`,
              ).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 1500, seed: SEED },
    );
    // the property is about stories that play, not only about refusals
    expect(played).toBeGreaterThan(100);
  });
});

describe("the receiver's parsers under fuzzing", () => {
  it("parseBody never throws and always returns a verdict", () => {
    fc.assert(
      fc.property(bodyText, fc.option(fc.oneof(contentType, fc.string()), { nil: undefined }), (raw, ct) => {
        const r = parseBody(raw, ct);
        expect(typeof r.ok).toBe("boolean");
        if (!r.ok) expect(r.reason).toMatch(/^malformed JSON body/);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it("queryValue never throws for any URL", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.webUrl({ withQueryParameters: true, withFragments: true }),
          fc.string().map((s) => `/hook?${s}`),
          fc.string().map((s) => `/3cx?${encodeURIComponent(`https://pbx/webapi/recording/${s}`)}`),
        ),
        (url) => {
          queryValue(url);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });
});

describe("the receiver app under fuzzing", () => {
  it("answers every request with a status below 500", async () => {
    await fc.assert(
      fc.asyncProperty(wireRequest, async (w) => {
        const { status } = await deliver(w);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  it("never answers because its own code crashed", async () => {
    await fc.assert(
      fc.asyncProperty(wireRequest, async (w) => {
        const { records } = await deliver(w);
        for (const r of records) {
          const reason = r.issues.join("; ");
          expect(CRASH.test(reason), reason).toBe(false);
        }
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  /** Hostile but well-formed bodies that once crashed a vendor hook. */
  const crashes: { name: string; path: string; headers: Record<string, string>; body: unknown }[] = [
    {
      name: "Enreach: X-Benemen-Event: constructor",
      path: "/enreach",
      headers: { "x-benemen-event": "constructor" },
      body: {},
    },
    {
      name: "Enreach: EventType hasOwnProperty",
      path: "/enreach",
      headers: {},
      body: { EventType: "hasOwnProperty" },
    },
    {
      name: 'Enreach: EventType {toString: "x"}',
      path: "/enreach",
      headers: {},
      body: { EventType: { toString: "x" } },
    },
    { name: "VoIPBIN: type 1", path: "/voipbin", headers: {}, body: { type: 1 } },
    {
      name: 'VoIPBIN: data.id {toString: "x"}',
      path: "/voipbin",
      headers: {},
      body: { type: "call_created", data: { id: { toString: "x" } } },
    },
    {
      name: '3CX: Id {toString: "x"}',
      path: "/3cx",
      headers: {},
      body: { Event: "x", Id: { toString: "x" } },
    },
    {
      name: 'Acefone: call_id {toString: "x"}',
      path: "/acefone",
      headers: {},
      body: { call_id: { toString: "x" } },
    },
    {
      name: 'Webitel: timestamp {toString: "x"}',
      path: "/webitel",
      headers: {},
      body: { attempt_id: "a", state: "s", timestamp: { toString: "x" } },
    },
  ];

  it.each(crashes)("$name is judged by the vendor's validator, not by a crash", async (c) => {
    const rx = createReceiver({ vendors: VENDORS });
    const res = await request(rx.app)
      .post(c.path)
      .set(c.headers)
      .set("content-type", "application/json")
      .send(JSON.stringify(c.body));
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(res.body)).not.toMatch(CRASH);
    expect(rx.records[0]!.vendor).toBe(c.path.slice(1));
  });
});

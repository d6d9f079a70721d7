import { readFileSync } from "node:fs";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PbxsimError, ScenarioError } from "../src/core/errors.js";
import { createReceiver, parseBody, queryValue, type ReceivedRecord } from "../src/receiver/app.js";
import { builtinScenarioFiles, parseScenarioText } from "../src/scenario/load.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";

/**
 * Property-based fuzzing of the two places that read untrusted text: the scenario loader (a
 * user's YAML) and the built-in receiver (whatever a sender puts on the wire). Runs are bounded
 * and seeded so a failure replays.
 */

const FILE = "fuzz.yaml";
const SEED = 20260105;

/**
 * Known defect (see "YAML aliases" below): an alias the YAML parser accepts but cannot expand
 * escapes as yaml's own ReferenceError. The properties skip exactly that error so they keep
 * checking everything else; the it.fails tests below pin the defect itself.
 */
const isKnownAliasCrash = (e: unknown) =>
  e instanceof ReferenceError && /alias/i.test(e.message) && !(e instanceof PbxsimError);

/** The loader's contract: a scenario, or a typed error whose message names the file. */
function loadOrExplain(text: string): void {
  try {
    const s = parseScenarioText(text, FILE, findVendor);
    expect(typeof s.id).toBe("string");
    expect(s.steps.length).toBeGreaterThan(0);
  } catch (e) {
    if (isKnownAliasCrash(e)) return;
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
      kind: fc.constantFrom("delete-line", "duplicate-line", "swap-lines", "swap-chars", "replace-char", "insert"),
      a: fc.nat(),
      b: fc.nat(),
      ch: fc.constantFrom(" ", "\t", ":", "-", "{", "}", "[", "]", "#", "&", "*", "!", "'", '"', "|", ">", "\n", "x", "0"),
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
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.lorem({ mode: "sentences" })), (text) =>
        loadOrExplain(text),
      ),
      { numRuns: 4000 },
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
      { numRuns: 4000 },
    );
  });

  it("scenario-shaped YAML documents load or fail with a typed error", () => {
    fc.assert(
      fc.property(scenarioish, (value) => loadOrExplain(stringify(value))),
      { numRuns: 4000 },
    );
  });

  it("mutations of the real scenario files load or fail with a typed error", () => {
    fc.assert(
      fc.property(mutation, (m) => loadOrExplain(mutate(m))),
      { numRuns: 4000 },
    );
  });

  describe("YAML aliases", () => {
    // BUG (src/scenario/load.ts, parseScenarioText): doc.toJS() runs outside any error handling.
    // yaml reports an alias to an anchor that does not exist, and an alias bomb, only when the
    // document is converted, as a bare ReferenceError — not as a ScenarioError naming the file —
    // so the CLI prints "internal error" (exit 70) instead of a scenario error (exit 3).
    it.fails("an alias to an undefined anchor is a ScenarioError naming the file", () => {
      const text = "vendor: enreach\nname: fuzz\ndescription: d\nsteps: *missing\n";
      expect(() => parseScenarioText(text, FILE, findVendor)).toThrow(ScenarioError);
    });

    it.fails("an alias bomb is a ScenarioError naming the file, not a ReferenceError", () => {
      const text = `vendor: enreach\nname: fuzz\ndescription: d\nx: &a 1s\nsteps: [${Array(150).fill("*a").join(", ")}]\n`;
      expect(() => parseScenarioText(text, FILE, findVendor)).toThrow(ScenarioError);
    });

    it("the defect is the unconverted ReferenceError (so the properties above skip only it)", () => {
      let thrown: unknown;
      try {
        parseScenarioText("steps: *missing\n", FILE, findVendor);
      } catch (e) {
        thrown = e;
      }
      expect(isKnownAliasCrash(thrown)).toBe(true);
    });
  });
});

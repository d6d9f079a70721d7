import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseScenarioText, resolveScenarios, type Scenario } from "../src/scenario/load.js";
import { findVendor, getVendor } from "../src/vendors/registry.js";
import { playCall } from "./helpers/play.js";

/**
 * A scenario written with no time between its steps (an answer at the instant of its offer, a
 * disposition at the instant of the answer) must still send the vendor's events in the order the
 * call happened: each vendor's own delays (a VoIPBIN leg rings 900 ms after it is dialled,
 * Enreach's UserCallInArrived comes 90 ms after UserCallInComing, Acefone's CDRs 300 and 600 ms
 * after the hang-up) make the call wait, as the real one would.
 */

const DURATION = /^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$/;

/**
 * Every duration of a scenario's steps made zero, with the same random draws: a fixed duration
 * becomes 0s, a uniform one [0s, 0s], the others are clamped to at most 0s. The simulation then
 * takes the same branches and makes the same facts, all at the call's start.
 */
function withoutTime(s: Scenario): Scenario {
  const zero = (v: unknown): unknown => {
    if (typeof v === "string" && DURATION.test(v)) return "0s";
    if (Array.isArray(v)) return v.map(zero);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.uniform)) return { uniform: ["0s", "0s"] };
      for (const kind of ["normal", "lognormal", "exponential"])
        if (kind in o && Object.keys(o).length === 1) {
          const { min: _min, ...rest } = o[kind] as Record<string, unknown>;
          return { [kind]: { ...rest, max: "0s" } };
        }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, zero(x)]));
    }
    return v;
  };
  const doc = parse(readFileSync(s.file, "utf8")) as { steps: unknown };
  return parseScenarioText(stringify({ ...doc, steps: zero(doc.steps) }), s.file, findVendor);
}

/**
 * Status snapshots (Enreach's UserStatus and QueueStatus, VoIPBIN's agent status) follow their
 * changes on their own delays, and the legacy VoIPBIN activeflow is created about a second into
 * the call whatever the call does: neither orders the call.
 */
function callEvents(s: Scenario, profile: string, seed: number): { facts: string; events: string[] } {
  const { call, events: projected } = playCall(s, getVendor(s.vendor), profile, seed);
  const events = projected
    .map((e) => e.name)
    .filter(
      (n) =>
        !/Status$/.test(n) &&
        n !== "agent_status_updated" &&
        !(s.vendor === "voipbin" && profile === "legacy" && n === "activeflow_created"),
    );
  return { facts: call.facts.map((f) => f.kind).join(" "), events };
}

describe("steps with no time between them", () => {
  const scenarios = resolveScenarios(["*/*"], findVendor);
  const cases = scenarios.flatMap((s) => getVendor(s.vendor).profiles.map((p) => [s.id, p, s] as const));

  it.each(cases)(
    "%s (%s): the events come in the same order as with the scenario's own timing",
    (_, profile, s) => {
      const still = withoutTime(s);
      const bad: string[] = [];
      for (let seed = 1; seed <= 10; seed++) {
        const timed = callEvents(s, profile, seed);
        const instant = callEvents(still, profile, seed);
        // the same story, so the same events are due
        expect(instant.facts, `seed ${seed}`).toBe(timed.facts);
        if (instant.events.join(" ") !== timed.events.join(" "))
          bad.push(
            `seed ${seed}:\n  timed   ${timed.events.join(" ")}\n  instant ${instant.events.join(" ")}`,
          );
      }
      expect(bad).toEqual([]);
    },
  );
});

import type { SimulatedCall } from "../../src/core/model.js";
import { Rng } from "../../src/core/random.js";
import type { Vendor, VendorEvent } from "../../src/core/vendor.js";
import type { Scenario } from "../../src/scenario/load.js";
import { simulateCall } from "../../src/scenario/simulate.js";

/** One call of a scenario from one seed, simulated and projected into its vendor's events. */
export function playCall(
  scenario: Scenario,
  vendor: Vendor,
  profile: string,
  seed: number,
): { call: SimulatedCall; events: VendorEvent[] } {
  const rng = new Rng(seed);
  const directory = vendor.directory();
  const call = simulateCall({
    scenario,
    vendor,
    directory,
    rng: rng.fork("story"),
    key: "1",
    start: Date.UTC(2026, 0, 5, 9),
    profile,
  });
  return { call, events: vendor.project(call, { rng: rng.fork("ids"), directory, profile }) };
}

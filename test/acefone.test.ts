import { it } from "vitest";
import { planRun } from "../src/delivery/plan.js";
import { resolveScenarios } from "../src/scenario/load.js";
import { findVendor } from "../src/vendors/registry.js";

it("dump", () => {
  const scenarios = resolveScenarios(["acefone/*"], findVendor);
  console.log(scenarios.map((s) => s.id));
  const p = planRun({
    scenarios,
    targets: { byVendor: new Map(), fallback: { url: "http://127.0.0.1:9/hook?key=abc" } },
    seed: 1,
    start: Date.UTC(2026, 0, 5, 7),
    calls: 1,
    profile: "smartflo",
  });
  for (const c of p.calls) console.log(JSON.stringify({ ...c, summary: undefined }));
  for (const r of p.requests) console.log(r.call, r.at, r.event, r.method, r.url, JSON.stringify(r.headers), r.body);
});

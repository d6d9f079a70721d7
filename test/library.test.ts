import express from "express";
import { describe, expect, it } from "vitest";
import {
  deliverToApp,
  enreach,
  enreachSchemas,
  planRun,
  resolveScenarios,
  findVendor,
  Rng,
} from "../src/index.js";

/**
 * The library as a receiver team uses it in its own test suite: deliver scenarios straight
 * into its express app, in process, and assert on what the app stored.
 */

function myReceiverApp() {
  const calls = new Map<string, { events: string[]; caller?: string; answeredBy?: string }>();
  const seen = new Set<string>();
  const app = express();
  app.post("/webhooks/enreach", express.json(), (req, res) => {
    if (req.get("x-benemen-token") !== "s3cret") return res.status(401).end();
    const ev = req.body as {
      Id: string;
      EventType: string;
      CallId?: string;
      CallerNumber?: string;
      UserName?: string;
    };
    if (seen.has(ev.Id)) return res.status(200).end();
    seen.add(ev.Id);
    if (ev.CallId) {
      const c = calls.get(ev.CallId) ?? { events: [] };
      c.events.push(ev.EventType);
      c.caller ??= ev.CallerNumber;
      if (ev.EventType === "QueueCallInUserConnected") c.answeredBy = ev.UserName;
      calls.set(ev.CallId, c);
    }
    res.status(200).end();
  });
  return { app, calls };
}

describe("library API", () => {
  it("delivers scenarios into an express app in process", async () => {
    const { app, calls } = myReceiverApp();
    const r = await deliverToApp(app, {
      scenarios: ["enreach/queue-answered"],
      calls: 3,
      seed: 42,
      token: "s3cret",
      path: "/webhooks/enreach",
    });
    expect(r.summary.failed).toBe(0);
    expect(calls.size).toBe(3);
    for (const sim of r.calls) {
      const stored = [...calls.values()].find((c) => c.caller === sim.caller.e164);
      expect(stored?.events[0]).toBe("QueueCallInComing");
      expect(stored?.answeredBy).toBe(
        enreach.directory().agents.find((a) => a.key === sim.summary.answeredBy)?.email,
      );
    }
  });

  it("reports a receiver that answers the wrong status (Enreach wants exactly 200)", async () => {
    const app = express();
    app.post("/", (_req, res) => res.status(204).end());
    const r = await deliverToApp(app, {
      scenarios: ["enreach/outbound-answered"],
      seed: 1,
      retrySchedule: [1],
    });
    expect(r.summary.delivered).toBe(0);
    expect(r.results[0]!.attempts.map((a) => a.status)).toEqual([204, 204]);
  });

  it("exposes schemas and builders for fixtures", () => {
    const rng = new Rng(5);
    const ev = enreach.sample(
      "CallbackChanged",
      { rng, directory: enreach.directory(), profile: "default" },
      Date.UTC(2026, 0, 5),
    );
    expect(enreachSchemas.CallbackChangedSchema.parse(ev.payload).CallBackId).toMatch(/^[0-9a-f-]{36}$/);
    const plan = planRun({
      scenarios: resolveScenarios(["enreach/queue-missed"], findVendor),
      targets: { byVendor: new Map(), fallback: { url: "https://127.0.0.1/x" } },
      seed: 1,
      start: 0,
    });
    expect(plan.requests.at(-1)?.event).toBe("QueueStatus");
  });
});

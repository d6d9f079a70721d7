import express from "express";
import { describe, expect, it } from "vitest";
import { literalMaker } from "../src/core/literal.js";
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

describe("Rng", () => {
  /** A UUID drawn the plain way: 32 nibbles from `next()`, the version's replaced by 4, then the variant. */
  function plainUuid(rng: Rng): string {
    const chars = [...Array(32)].map(() => "0123456789abcdef"[Math.floor(rng.next() * 16)]!);
    chars[12] = "4";
    chars[16] = "89ab"[Math.floor(rng.next() * 4)]!;
    const s = chars.join("");
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  it("draws a UUID as 33 plain draws would, and leaves the stream where they would", () => {
    for (const seed of ["1", "7/shard/0/call/12/ids", "ünïcode/Ω", ""]) {
      const rng = new Rng(seed);
      const twin = new Rng(seed);
      for (let i = 0; i < 300; i++) {
        expect(rng.uuid()).toBe(plainUuid(twin));
        expect(rng.next()).toBe(twin.next());
        expect(rng.fork(i).seedText).toBe(`${seed}/${i}`);
      }
    }
  });

  it("gives the same values for a seed in every release", () => {
    const rng = new Rng(1);
    expect([rng.uuid(), rng.next(), rng.uuid()]).toEqual([
      "af39434b-bb65-4ed5-8e87-5e7b6c8c1dd2",
      0.16887033777311444,
      "dec338dc-09e5-44fb-a80d-86de7b033d3c",
    ]);
    const other = new Rng("ünïcode/Ω");
    expect([other.next(), other.uuid()]).toEqual([
      0.35484002088196576,
      "85b89029-6ca1-4c64-a456-4215600ade00",
    ]);
  });
});

describe("literalMaker", () => {
  it("makes fresh copies of a template, keys in order, whatever the keys hold", () => {
    const template = {
      b: "1",
      a: null,
      'q"uote\\': "line\nbreak \u2028 </script>",
      "": "",
      constructor: "c",
      "0": "zero",
    };
    const make = literalMaker(template);
    const one = make();
    const two = make();
    expect(one).not.toBe(two);
    expect(one).toEqual(template);
    expect(Object.keys(one)).toEqual(Object.keys(template));
    expect(JSON.stringify(one)).toBe(JSON.stringify(template));
    one.b = "changed";
    expect(make().b).toBe("1");
  });

  it("keeps __proto__ a plain key, and refuses values that are not strings or null", () => {
    const template = JSON.parse('{"__proto__": "", "x": null}') as Record<string, string | null>;
    const made = literalMaker(template)();
    expect(Object.hasOwn(made, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(JSON.stringify(made)).toBe('{"__proto__":"","x":null}');
    expect(() => literalMaker({ n: 1 } as unknown as Record<string, string>)).toThrow(
      /neither a string nor null/,
    );
  });
});

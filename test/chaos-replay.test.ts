import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyChaos, countFaults, parseChaos } from "../src/delivery/chaos.js";
import { planRun } from "../src/delivery/plan.js";
import { scrub } from "../src/core/redact.js";
import { recordLine, replayRequests, replayUrl, truthFile } from "../src/delivery/record.js";
import { deliverPlan } from "../src/delivery/run.js";
import { resolveScenarios } from "../src/scenario/load.js";
import { serve } from "../src/receiver/serve.js";
import { findVendor, VENDORS } from "../src/vendors/registry.js";
import { startServer, type TestServer } from "./helpers/servers.js";

/** Faults on the sending side, recordings and their replay, and the ground truth. */

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function plan(ids: string[], calls: number, seed = 1) {
  return planRun({
    scenarios: resolveScenarios(ids, findVendor),
    targets: { byVendor: new Map(), fallback: { url: "http://127.0.0.1:9/hook", secret: "s3cret" } },
    seed,
    start: Date.UTC(2026, 0, 5, 7),
    calls,
  });
}

describe("--chaos", () => {
  it("parses faults and explains bad ones", () => {
    expect(parseChaos("duplicate=0.1,delay=0.2:5s,bad-token=0.05")).toEqual({
      duplicate: 0.1,
      delay: { p: 0.2, ms: 5000 },
      badToken: 0.05,
    });
    expect(() => parseChaos("explode=0.1")).toThrow(/unknown fault "explode"/);
    expect(() => parseChaos("drop=2")).toThrow(/probability from 0 to 1/);
    // a fault without its probability is named as typed, and an empty one is not read as 0
    expect(() => parseChaos("duplicate")).toThrow(
      /^--chaos duplicate: give a probability from 0 to 1 \(duplicate=0\.05\)/,
    );
    expect(() => parseChaos("drop=")).toThrow(/^--chaos drop=: give a probability/);
    expect(() => parseChaos("delay=0.1")).toThrow(/probability:hold/);
  });

  it("produces each fault at its rate, lists every one, and is seeded", () => {
    const p = plan(["enreach/queue-answered", "voipbin/queue-answered"], 60);
    const n = p.requests.length;
    const spec = parseChaos("duplicate=0.1,delay=0.1:5s,malformed=0.1,bad-token=0.1,drop=0.1")!;
    const a = applyChaos(p.requests, spec, 7);
    const counts = countFaults(a.faults);
    for (const f of ["duplicate", "delay", "malformed", "drop"]) {
      // around 10 % of the requests each (binomial, wide bounds)
      expect(counts[f]).toBeGreaterThan(n * 0.05);
      expect(counts[f]).toBeLessThan(n * 0.15);
    }
    // bad-token counts only where there is a secret to spoil: Enreach's token, not VoIPBIN legacy
    const withToken = p.requests.filter((r) => r.vendor === "enreach").length;
    expect(counts["bad-token"]).toBeGreaterThan(withToken * 0.05);
    expect(counts["bad-token"]).toBeLessThan(withToken * 0.15);
    expect(a.unspoiled).toEqual(["voipbin"]);
    expect(a.requests.length).toBe(n - counts.drop! + counts.duplicate!);
    expect(applyChaos(p.requests, spec, 7)).toEqual(a);
    // a dropped request is gone; a duplicated one is there twice, later, with the same body
    const dup = a.faults.find((f) => f.fault === "duplicate")!;
    const body = p.requests[dup.planned]!.body;
    const copies = a.requests.filter((r) => r.body === body);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.at).toBeGreaterThan(copies[0]!.at);
    // bad-token: Enreach gets a wrong token
    for (const f of a.faults.filter((x) => x.fault === "bad-token")) {
      expect([f.vendor, f.detail]).toEqual(["enreach", "wrong token"]);
    }
    // malformed: truncated JSON
    const m = a.faults.find((f) => f.fault === "malformed")!;
    expect(() =>
      JSON.parse(
        a.requests.find((r) => r.call === m.call && r.event === m.event && !r.body.endsWith("}"))!.body,
      ),
    ).toThrow();
  });

  it("bad-token spoils the secret a vendor without auth of its own carries: a secret header, else a query secret", () => {
    const p = plan(["3cx/inbound-queue-answered"], 2);
    const withHeader = p.requests.map((r) => ({ ...r, headers: { ...r.headers, "x-api-key": "k3y" } }));
    const a = applyChaos(withHeader, { badToken: 1 }, 1);
    expect(a.unspoiled).toEqual([]);
    expect(a.requests.every((r) => r.headers["x-api-key"] === "pbxsim-wrong-secret")).toBe(true);
    expect(new Set(a.faults.map((f) => f.detail))).toEqual(new Set(["wrong x-api-key"]));
    const withQuery = p.requests.map((r) => ({ ...r, url: "http://127.0.0.1:9/h?tenant=t&token=s3cret" }));
    const q = applyChaos(withQuery, { badToken: 1 }, 1);
    expect(q.requests[0]!.url).toBe("http://127.0.0.1:9/h?tenant=t&token=pbxsim-wrong-secret");
    expect(q.faults[0]!.detail).toBe("wrong ?token=");
    // nothing to spoil: not a fault, and the caller is told which vendor
    const none = applyChaos(p.requests, { badToken: 1 }, 1);
    expect(none.faults).toEqual([]);
    expect(none.unspoiled).toEqual(["3cx"]);
    expect(none.requests.map((r) => [r.url, r.headers])).toEqual(p.requests.map((r) => [r.url, r.headers]));
  });

  it("reorder swaps neighbouring events of one call", () => {
    const p = plan(["enreach/queue-answered"], 10);
    const a = applyChaos(p.requests, { reorder: 0.5 }, 3);
    expect(a.faults.length).toBeGreaterThan(0);
    const f = a.faults[0]!;
    const call = a.requests.filter((r) => r.call === f.call).map((r) => r.event);
    const planned = p.requests.filter((r) => r.call === f.call).map((r) => r.event);
    expect(call).not.toEqual(planned);
    expect([...call].sort()).toEqual([...planned].sort());
  });
});

describe("--record and replay", () => {
  it("replays byte-identical bodies with today's token, or fresh ids consistently per call", async () => {
    const s = await startServer((_req, res) => res.writeHead(200).end());
    servers.push(s);
    const p = plan(["enreach/queue-answered"], 3);
    for (const r of p.requests) r.url = s.url;
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-rec-"));
    const rec = join(dir, "rec.ndjson");
    writeFileSync(rec, "");
    await deliverPlan(p, {
      speed: "max",
      token: "s3cret",
      onAttempt: (r, a) =>
        writeFileSync(rec, `${readFileSync(rec, "utf8")}${recordLine(r, a, ["s3cret"])}\n`),
    });
    expect(readFileSync(rec, "utf8")).not.toContain("s3cret");
    const original = s.requests.map((q) => q.body);

    const kept = replayRequests({ file: rec, url: s.url, token: "n3w" }).requests;
    expect(kept.map((r) => r.body)).toEqual(p.requests.map((r) => r.body));
    expect(kept.every((r) => r.headers["x-benemen-token"] === "n3w")).toBe(true);
    s.requests.length = 0;
    await deliverPlan({ calls: [], requests: kept, notices: [] }, { speed: "max" });
    expect(s.requests.map((q) => q.body).sort()).toEqual([...original].sort());

    const fresh = replayRequests({ file: rec, url: s.url, freshIds: true, seed: 5 }).requests;
    const callIds = (reqs: { body: string; call: string }[]) => {
      const m = new Map<string, string>();
      for (const r of reqs) {
        const id = JSON.parse(r.body).CallId as string | undefined;
        if (id && !m.has(r.call)) m.set(r.call, id);
      }
      return m;
    };
    const before = callIds(p.requests);
    const after = callIds(fresh);
    for (const [call, id] of after) {
      expect(id).not.toBe(before.get(call));
      // every event of a call carries the same fresh CallId
      const ids = fresh
        .filter((r) => r.call === call)
        .map((r) => JSON.parse(r.body).CallId as string | undefined);
      expect(new Set(ids.filter(Boolean))).toEqual(new Set([id]));
    }
  });

  it("redacts a secret standing as a value, never one inside a payload's own words", () => {
    expect(scrub('{"billsec":"12","recording_url":"https://x/r.mp3?token=ab"}', ["sec", "tok"])).toBe(
      '{"billsec":"12","recording_url":"https://x/r.mp3?token=ab"}',
    );
    expect(scrub('{"note":"sec","url":"https://h/p?token=tok&x=1","k":"tok"}', ["sec", "tok"])).toBe(
      '{"note":"[redacted]","url":"https://h/p?token=[redacted]&x=1","k":"[redacted]"}',
    );
    expect(scrub("s3cret s3crets xs3cret s3cret", ["s3cret"])).toBe("[redacted] s3crets xs3cret [redacted]");
    // a secret whose own edge is not a word character is found wherever it stands
    expect(scrub("a-b:c", ["-b:"])).toBe("a[redacted]c");
    expect(scrub("ab", ["ab"])).toBe("ab");
  });

  it("records bodies byte for byte when a short secret is part of the payload's words", () => {
    const p = planRun({
      scenarios: resolveScenarios(["acefone/inbound-ivr-answered"], findVendor),
      targets: { byVendor: new Map(), fallback: { url: "http://127.0.0.1:9/hook" } },
      seed: 3,
      start: Date.UTC(2026, 0, 5, 7),
      calls: 2,
    });
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-rec-"));
    const rec = join(dir, "rec.ndjson");
    const a = { attempt: 1, startedAt: 0, latencyMs: 1, status: 200, ok: true };
    writeFileSync(rec, p.requests.map((r) => `${recordLine(r, a, ["sec", "tok"])}\n`).join(""));
    expect(p.requests.some((r) => r.body.includes('"billsec"'))).toBe(true);
    const again = replayRequests({ file: rec }).requests;
    expect(again.map((r) => r.body)).toEqual(p.requests.map((r) => r.body));
  });

  it("replays what `pbxsim receive --record` captured: the recorded paths under a bare --url, spacing from the arrival times, auth given again, connection headers left to the new connection", async () => {
    const opts = { vendors: VENDORS, token: "tk", secret: "sk", port: 0 };
    const first = await serve(opts);
    const second = await serve(opts);
    try {
      const dir = mkdtempSync(join(tmpdir(), "pbxsim-rxrec-"));
      const rec = join(dir, "rx.ndjson");
      first.events.on("record", (r) => appendFileSync(rec, `${JSON.stringify(r)}\n`));
      const p = planRun({
        scenarios: resolveScenarios(["enreach/queue-answered", "voipbin/queue-answered"], findVendor),
        targets: {
          byVendor: new Map([
            ["enreach", [{ url: `${first.url}/enreach`, secret: "tk" }]],
            ["voipbin", [{ url: `${first.url}/voipbin?tenant=t1`, secret: "sk" }]],
          ]),
          fallback: undefined,
        },
        seed: 2,
        start: Date.UTC(2026, 0, 5, 7),
        calls: 1,
        profile: "voipbin=current",
      });
      await deliverPlan(p, { speed: "max" });
      // a request of no vendor is recorded too, and is not replayed
      await deliverPlan(
        {
          calls: [],
          notices: [],
          requests: [{ ...p.requests[0]!, url: `${first.url}/nobody`, headers: {}, body: "x" }],
        },
        { speed: "max", retrySchedule: [] },
      );
      const lines = readFileSync(rec, "utf8").trim().split("\n");
      expect(lines).toHaveLength(p.requests.length + 1);
      expect(() => replayRequests({ file: rec })).toThrow(
        /rx\.ndjson:1: a line of `pbxsim receive --record` holds the path, not the URL; give the receiver to send it to with --url/,
      );
      const again = replayRequests({ file: rec, url: second.url, token: "tk", secret: "sk" });
      expect(again.unrecognised).toBe(1);
      expect(again.requests).toHaveLength(p.requests.length);
      for (const r of again.requests) {
        expect(Object.keys(r.headers)).not.toContain("host");
        expect(Object.keys(r.headers)).not.toContain("content-length");
        expect(r.url.startsWith(`${second.url}/${r.vendor}`)).toBe(true);
      }
      expect(again.requests.filter((r) => r.vendor === "voipbin")[0]!.url).toBe(
        `${second.url}/voipbin?tenant=t1`,
      );
      expect(again.requests[0]!.at).toBe(0);
      expect(again.requests.at(-1)!.at).toBeGreaterThanOrEqual(0);
      // each request keeps the call the receiver saw it in (status events belong to none)
      expect(new Set(again.requests.filter((r) => r.call !== "-").map((r) => r.call)).size).toBe(2);
      await deliverPlan({ calls: [], requests: again.requests, notices: [] }, { speed: "max" });
      expect(second.counts.valid).toBe(p.requests.length);
      expect(second.records.every((r) => r.auth === "ok" && r.valid && r.status === 200)).toBe(true);
      // the same bodies, byte for byte (two calls in flight at once may interleave differently)
      expect(second.records.map((r) => r.body).sort()).toEqual(
        first.records
          .slice(0, -1)
          .map((r) => r.body)
          .sort(),
      );
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("replays a dead-letter file", async () => {
    const s = await startServer((_req, res) => res.writeHead(200).end());
    servers.push(s);
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-dl-"));
    const dl = join(dir, "dead.ndjson");
    const p = plan(["enreach/outbound-answered"], 1);
    for (const r of p.requests) r.url = "http://127.0.0.1:9/";
    await deliverPlan(p, { speed: "max", retrySchedule: [], deadLetterFile: dl, token: "s3cret" });
    const again = replayRequests({ file: dl, url: s.url, token: "s3cret" }).requests;
    expect(again).toHaveLength(p.requests.length);
    await deliverPlan({ calls: [], requests: again, notices: [] }, { speed: "max" });
    expect(s.requests).toHaveLength(p.requests.length);
    expect(s.requests.every((q) => q.headers["x-benemen-token"] === "s3cret")).toBe(true);
  });

  it("gives a redacted query secret back from --url, keeps the recorded query byte for byte, refuses the marker alone", async () => {
    // a GET's query is its payload: kept as recorded, encoding included
    const rec = "https://pbx.example/h?event=ringing&caller=%2B420%20111&token=[redacted]&x=a+b";
    expect(replayUrl(rec, "http://127.0.0.1:4780/3cx?token=s%3Dcr%20t", "f:1")).toBe(
      "http://127.0.0.1:4780/3cx?event=ringing&caller=%2B420%20111&token=s%3Dcr%20t&x=a+b",
    );
    // the older, percent-encoded marker too; --url's other values are added
    expect(
      replayUrl("https://a.example/p?key=%5Bredacted%5D", "http://127.0.0.1:1/q?key=k&tenant=t", "f:1"),
    ).toBe("http://127.0.0.1:1/q?key=k&tenant=t");
    // nothing redacted and no --url: the recorded URL as it is
    expect(replayUrl("https://a.example/p?b=1&a=2#x", undefined, "f:1")).toBe(
      "https://a.example/p?b=1&a=2#x",
    );
    expect(() => replayUrl(rec, undefined, "rec.ndjson:3")).toThrow(
      /rec\.ndjson:3: the recorded URL's "token" was redacted; give its value again with --url, e\.g\. --url 'https:\/\/pbx\.example\/h\?token=VALUE'/,
    );
    expect(() => replayUrl(rec, "http://127.0.0.1:1/h?other=1", "f:1")).toThrow(/"token" was redacted/);

    // end to end: recorded with the secret in the query, replayed with it given again
    const s = await startServer((_req, res) => res.writeHead(200).end());
    servers.push(s);
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-rq-"));
    const file = join(dir, "rec.ndjson");
    const p = plan(["enreach/outbound-answered"], 1);
    for (const r of p.requests) r.url = `${s.url}/enreach?token=Q-SECRET&tenant=t1`;
    await deliverPlan(p, {
      speed: "max",
      onAttempt: (r, a) => appendFileSync(file, `${recordLine(r, a, ["Q-SECRET"])}\n`),
    });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("Q-SECRET");
    expect(text).toContain("token=[redacted]&tenant=t1");
    expect(() => replayRequests({ file }).requests).toThrow(
      /rec\.ndjson:1: the recorded URL's "token" was redacted/,
    );
    const again = replayRequests({ file, url: `${s.url}/enreach?token=Q-SECRET` }).requests;
    await deliverPlan({ calls: [], requests: again, notices: [] }, { speed: "max" });
    // the first run and the replay, each with the secret in place
    expect(s.requests).toHaveLength(2 * p.requests.length);
    expect(s.requests.every((q) => q.url === "/enreach?token=Q-SECRET&tenant=t1")).toBe(true);
  });

  it("explains a file that is not a recording", () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-bad-"));
    const f = join(dir, "x.ndjson");
    writeFileSync(f, "hello\n");
    expect(() => replayRequests({ file: f }).requests).toThrow(/x.ndjson:1: not a JSON line/);
  });
});

describe("--truth", () => {
  it("one line per call whose ids, outcome and times match what the payloads say", () => {
    const p = plan(
      [
        "enreach/queue-answered",
        "enreach/queue-missed",
        "3cx/inbound-queue-answered",
        "webitel/inbound-queue-answered",
      ],
      5,
      2,
    );
    const lines = truthFile(p.calls, p.requests)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(p.calls.length);
    for (const t of lines) {
      const reqs = p.requests.filter((r) => r.call === t.call);
      if (t.vendor === "enreach") {
        const bodies = reqs.map((r) => JSON.parse(r.body));
        expect(t.callIds).toEqual([bodies.find((b) => b.CallId)!.CallId]);
        const connected = bodies.find((b) => b.EventType === "QueueCallInUserConnected");
        expect(t.outcome).toBe(connected ? "answered" : "abandoned");
        if (connected) {
          const end = bodies.find((b) => b.EventType === "QueueCallInDisconnected")!;
          const secs = (Date.parse(`${end.Timestamp}Z`) - Date.parse(`${connected.Timestamp}Z`)) / 1000;
          expect(Math.abs(secs - t.talkSec)).toBeLessThanOrEqual(1);
          expect(t.answeredBy).toContain(connected.UserName);
        }
      }
      if (t.vendor === "3cx") expect(t.callIds[0]).toMatch(/^\d{12}_\d+$/);
      if (t.vendor === "webitel") expect(t.callIds[0]).toMatch(/^\d+$/);
    }
  });
});

describe("--chaos on load", () => {
  it("injects the faults per call and reports them by kind", async () => {
    const s = await startServer((_req, res) => res.writeHead(200).end());
    servers.push(s);
    const { runLoad } = await import("../src/load/run.js");
    const { constantRate } = await import("../src/load/arrivals.js");
    const report = await runLoad({
      scenarios: resolveScenarios(["enreach/queue-answered"], findVendor).map((scenario) => ({
        scenario,
        weight: 1,
      })),
      targets: { byVendor: new Map(), fallback: { url: s.url, secret: "s3cret" } },
      rate: constantRate(100, "100/s"),
      arrivals: "constant",
      calls: 30,
      speed: "max",
      seed: 2,
      chaos: parseChaos("duplicate=0.1,drop=0.1")!,
    });
    const planned = report.requests.sent - (report.faults?.duplicate ?? 0) + (report.faults?.drop ?? 0);
    expect(report.faults?.duplicate).toBeGreaterThan(planned * 0.04);
    expect(report.faults?.drop).toBeGreaterThan(planned * 0.04);
    expect(s.requests).toHaveLength(report.requests.sent);
    expect(report.calls.completed).toBe(30);
  }, 30_000);
});

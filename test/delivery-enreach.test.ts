import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runScenarios } from "../src/delivery/run.js";
import { selfSignedCertificate } from "../src/receiver/serve.js";
import { startServer, type TestServer } from "./helpers/servers.js";

/** Enreach's transport rules, against real loopback servers. */

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(...args: Parameters<typeof startServer>) {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
const tmp = () => mkdtempSync(join(tmpdir(), "pbxsim-test-"));

describe("Enreach delivery", () => {
  it("sends POST JSON with X-Benemen-Event and X-Benemen-Token, compact bodies, keep-alive", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const r = await runScenarios({
      scenarios: ["enreach/queue-answered"],
      url: `${s.url}/hook`,
      token: "s3cret",
      seed: 1,
      speed: "max",
    });
    expect(r.summary.failed).toBe(0);
    expect(s.requests.length).toBe(r.plan.requests.length);
    for (const q of s.requests) {
      expect(q.method).toBe("POST");
      expect(q.url).toBe("/hook");
      expect(q.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(q.headers["x-benemen-token"]).toBe("s3cret");
      const body = JSON.parse(q.body);
      expect(q.headers["x-benemen-event"]).toBe(body.EventType);
      expect(q.body).toBe(JSON.stringify(body));
    }
    // in send order, matching the plan
    expect(s.requests.map((q) => q.headers["x-benemen-event"])).toEqual(r.plan.requests.map((p) => p.event));
  });

  it("omits X-Benemen-Token when no secret is configured", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    await runScenarios({ scenarios: ["enreach/outbound-answered"], url: s.url, seed: 2, speed: "max" });
    expect(s.requests.every((q) => q.headers["x-benemen-token"] === undefined)).toBe(true);
  });

  it.each([201, 202, 204, 500, 503])(
    "treats %i as not delivered: retries on the schedule, then dead-letters",
    async (status) => {
      const s = await server((_req, res) => res.writeHead(status).end());
      const dl = join(tmp(), "dead.ndjson");
      const r = await runScenarios({
        scenarios: ["enreach/outbound-unanswered"],
        url: s.url,
        token: "s3cret",
        seed: 3,
        speed: "max",
        retrySchedule: [5, 10, 20],
        deadLetterFile: dl,
      });
      const n = r.plan.requests.length;
      expect(r.summary.delivered).toBe(0);
      expect(r.summary.failed).toBe(n);
      expect(s.requests.length).toBe(n * 4);
      expect(r.summary.retried).toBe(n * 3);
      const lines = readFileSync(dl, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(n);
      expect(lines[0].attempts).toBe(4);
      expect(lines[0].lastStatus).toBe(status);
      expect(lines[0].headers["x-benemen-token"]).toBe("[redacted]");
      expect(readFileSync(dl, "utf8")).not.toContain("s3cret");
    },
  );

  it("counts only 200 as delivered: 500 twice then 200 is delivered on the third attempt", async () => {
    const seen = new Map<string, number>();
    const s = await server((req, res) => {
      const id = JSON.parse(req.body).Id as string;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      res.writeHead(n <= 2 ? 500 : 200).end();
    });
    const r = await runScenarios({
      scenarios: ["enreach/queue-answered"],
      url: s.url,
      seed: 4,
      speed: "max",
      retrySchedule: [5, 5, 5],
    });
    expect(r.summary.failed).toBe(0);
    expect(r.results.every((x) => x.attempts.length === 3 && x.attempts[2]!.status === 200)).toBe(true);
    // a retry carries the same body (same event Id)
    expect([...seen.values()].every((n) => n === 3)).toBe(true);
  });

  it("retries a timeout and reports it as a timeout", async () => {
    const s = await server((_req, res, n) => {
      if (n === 1) return; // never answers the first request
      res.writeHead(200).end();
    });
    const r = await runScenarios({
      scenarios: ["enreach/availability-change"],
      url: s.url,
      seed: 5,
      speed: "max",
      timeoutMs: 200,
      retrySchedule: [10],
    });
    const first = r.results[0]!;
    expect(first.attempts[0]!.error).toMatch(/timeout: no answer within 200ms/);
    expect(first.outcome).toBe("delivered");
    expect(r.summary.failed).toBe(0);
  });

  it("a retry of one event never holds back the later events of the call", async () => {
    const s = await server((req, res) => {
      const ev = req.headers["x-benemen-event"];
      res.writeHead(ev === "UserCallOutGoing" ? 503 : 200).end();
    });
    const r = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url: s.url,
      seed: 6,
      speed: 1000,
      retrySchedule: [60_000],
    });
    const events = s.requests.map((q) => q.headers["x-benemen-event"]);
    // the first event's retry (due 60 s / 1000 = 60 ms later) arrives after later events were already sent
    expect(events[0]).toBe("UserCallOutGoing");
    const retryIndex = events.lastIndexOf("UserCallOutGoing");
    expect(retryIndex).toBeGreaterThan(1);
    expect(r.results[0]!.attempts).toHaveLength(2);
  });

  it("honours due times scaled by --speed: nothing is sent before it is due", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const t = performance.now();
    const r = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url: s.url,
      seed: 8,
      speed: 1000,
    });
    const took = performance.now() - t;
    const last = r.plan.requests[r.plan.requests.length - 1]!.at;
    // due times are honoured: no request starts before its scaled due time (the engine's own clock)
    for (const res of r.results) {
      expect(res.attempts[0]!.startedAt).toBeGreaterThanOrEqual(res.request.at / 1000);
    }
    expect(s.requests).toHaveLength(r.plan.requests.length);
    expect(took).toBeGreaterThanOrEqual(last / 1000 - 5);
  });

  it("never starts a retry before its scaled wait has passed", async () => {
    const s = await server((_req, res) => res.writeHead(500).end());
    // waits of 2.5 ms at --speed 1000: the event loop's whole-millisecond clock would let a plain timer go early
    const schedule = Array.from({ length: 12 }, () => 2500);
    const r = await runScenarios({
      scenarios: ["enreach/availability-change"],
      url: s.url,
      seed: 11,
      speed: 1000,
      retrySchedule: schedule,
    });
    const attempts = r.results.flatMap((x) => x.attempts.map((a, i) => ({ a, prev: x.attempts[i - 1] })));
    expect(attempts.length).toBe(r.results.length * (schedule.length + 1));
    for (const { a, prev } of attempts) {
      if (!prev) continue;
      // the previous attempt ended no earlier than startedAt + latencyMs, and the wait starts then
      expect(a.startedAt - (prev.startedAt + prev.latencyMs)).toBeGreaterThanOrEqual(2.5);
    }
  }, 90_000);

  it("verifies TLS by default: a self-signed receiver is refused with a clear message", async () => {
    const s = await server((_req, res) => res.writeHead(200).end(), { https: true });
    const r = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url: s.url,
      seed: 9,
      speed: "max",
      retrySchedule: [],
    });
    expect(r.summary.delivered).toBe(0);
    expect(s.requests).toHaveLength(0);
    expect(r.results[0]!.attempts[0]!.error).toMatch(/certificate is not trusted.*--insecure.*--ca/);
  });

  it("accepts the self-signed receiver with insecure (InsecureSSL) or by trusting it with a CA file", async () => {
    const s = await server((_req, res) => res.writeHead(200).end(), { https: true });
    const a = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url: s.url,
      seed: 9,
      speed: "max",
      insecure: true,
    });
    expect(a.summary.failed).toBe(0);
    const ca = join(tmp(), "ca.pem");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(ca, (await selfSignedCertificate()).cert);
    const b = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url: s.url,
      seed: 9,
      speed: "max",
      caFile: ca,
    });
    expect(b.summary.failed).toBe(0);
  });

  it("counts a refused connection as failed, with the reason, and never throws", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const url = s.url;
    await s.close();
    servers = [];
    const r = await runScenarios({
      scenarios: ["enreach/outbound-answered"],
      url,
      seed: 10,
      speed: "max",
      retrySchedule: [1],
    });
    expect(r.summary.failed).toBe(r.plan.requests.length);
    expect(r.results[0]!.attempts[1]!.error).toMatch(/connection refused/);
  });

  it("sends only subscribed events when targets come from an Enreach configuration", async () => {
    const s = await server((_req, res) => res.writeHead(200).end());
    const { loadTargetsFile } = await import("../src/delivery/targets.js");
    const { enreachDirectory } = await import("../src/vendors/enreach/world.js");
    const dir = tmp();
    const queue = enreachDirectory().queues[0]!;
    const file = join(dir, "targets.yaml");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      file,
      [
        "enreach:",
        "  Webhook:",
        `    Endpoint: ${s.url}/wh`,
        "    InsecureSSL: false",
        "    Secret: s3cret",
        "  Subscriptions:",
        "    - EventType: QueueCallInComing",
        "      AllEntities: true",
        "    - EventType: QueueStatus",
        `      EntityId: ${queue.key}`,
      ].join("\n"),
    );
    const r = await runScenarios({
      scenarios: ["enreach/queue-answered"],
      targets: loadTargetsFile(file),
      seed: 11,
      calls: 6,
      speed: "max",
    });
    const events = s.requests.map((q) => JSON.parse(q.body));
    expect(new Set(events.map((e) => e.EventType))).toEqual(new Set(["QueueCallInComing", "QueueStatus"]));
    expect(events.filter((e) => e.EventType === "QueueCallInComing")).toHaveLength(6);
    expect(events.filter((e) => e.EventType === "QueueStatus").every((e) => e.EntityId === queue.key)).toBe(
      true,
    );
    expect(s.requests.every((q) => q.headers["x-benemen-token"] === "s3cret" && q.url === "/wh")).toBe(true);
    expect(r.summary.failed).toBe(0);
  });
});

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runScenarios, type RunResult } from "../src/delivery/run.js";
import { constantRate } from "../src/load/arrivals.js";
import type { LoadReport } from "../src/load/report.js";
import { type LoadOptions, runLoad } from "../src/load/run.js";
import { selfSignedCertificate } from "../src/receiver/serve.js";
import { parseScenarioText, resolveScenarios, type Scenario } from "../src/scenario/load.js";
import { findVendor } from "../src/vendors/registry.js";

/**
 * Faults from the receiver's side: real loopback servers that refuse, reset, stall, answer late,
 * answer 5xx/429/503, break the TLS handshake, vanish and come back; plus an unresolvable host and
 * interrupts. For `run` (runScenarios) and `load` (runLoad): nothing throws, nothing rejects
 * unhandled, every event is accounted for (sent = delivered + failed [+ cancelled]), retries follow
 * Enreach's rules (only 200 counts, the retry schedule, never Retry-After), and every failed or
 * cancelled event is in the dead-letter file with its last error.
 */

// ---- no unhandled rejection anywhere in this file ------------------------------------------------

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
});

// ---- misbehaving servers --------------------------------------------------------------------------

const closers: (() => Promise<void>)[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(closers.splice(0).map((c) => c()));
  expect(unhandled).toEqual([]);
});

interface Fault {
  url: string;
  port: number;
  /** Requests (or connections, for raw TCP servers) seen so far. */
  hits: number;
  close(): Promise<void>;
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Listens on loopback, tracks sockets so close() is immediate, and registers the close for afterEach. */
async function start(server: Server, scheme: "http" | "https", port = 0): Promise<Fault> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const p = await listen(server, port);
  let closed: Promise<void> | undefined;
  const fault: Fault = {
    url: `${scheme}://127.0.0.1:${p}`,
    port: p,
    hits: 0,
    close: () =>
      (closed ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
      })),
  };
  closers.push(fault.close);
  return fault;
}

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse, n: number, f: Fault) => void;

/** An HTTP(S) server whose handler runs after the whole request body was read. */
async function httpFault(handler: Handler, opts: { https?: boolean; port?: number } = {}): Promise<Fault> {
  // the listener needs the Fault that start() returns; requests only come after it exists
  const self: { fault?: Fault } = {};
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const fault = self.fault!;
      fault.hits++;
      handler(Object.assign(req, { body: Buffer.concat(chunks).toString("utf8") }), res, fault.hits, fault);
    });
  };
  let server: Server;
  if (opts.https) {
    const { cert, key } = await selfSignedCertificate();
    server = createHttpsServer({ cert, key }, listener);
  } else server = createServer(listener);
  self.fault = await start(server, opts.https ? "https" : "http", opts.port);
  return self.fault;
}

/** Answers `status` unless the response is already gone (the client timed out and left). */
function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}, body = "") {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, headers).end(body);
}

/** The attempt number of this event at the receiver, keyed by the Enreach event Id. */
function attemptCounter() {
  const seen = new Map<string, number>();
  return (body: string) => {
    const id = String((JSON.parse(body) as { Id?: unknown }).Id);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n;
  };
}

/** A port nothing listens on: bound once, then closed. */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  const p = await listen(s);
  await new Promise<void>((done) => s.close(() => done()));
  return p;
}

// ---- scenarios: short Enreach timelines ------------------------------------------------------------

/**
 * An Enreach agent changing availability `steps` times, one second (virtual) apart: each change is
 * UserAvailability then UserStatus 50 ms later, so the plan is 2 × steps events of one "call".
 */
function availability(steps: number): Scenario {
  const states = ["Available", "Busy", "DoNotDisturb", "OffWork"];
  const lines = Array.from(
    { length: steps },
    (_, i) => `  - availability: { agent: 1, state: ${states[i % states.length]}${i ? ", after: 1s" : ""} }`,
  );
  return parseScenarioText(
    [
      "vendor: enreach",
      `name: availability-${steps}`,
      "description: availability changes one second apart",
      "call:",
      "  direction: none",
      "  queue: any",
      "steps:",
      ...lines,
    ].join("\n"),
    `availability-${steps}.yaml`,
    findVendor,
  );
}

const tmp = () => mkdtempSync(join(tmpdir(), "pbxsim-faults-"));

interface DeadLetter {
  seq: number;
  event: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string;
  headers: Record<string, string>;
}

function readDeadLetters(file: string): DeadLetter[] {
  const text = readFileSync(file, "utf8").trim();
  return text ? text.split("\n").map((l) => JSON.parse(l) as DeadLetter) : [];
}

/**
 * The accounting rule of a run: every planned event has exactly one result; delivered + failed
 * (+ cancelled, only on an interrupt) = events; only a 200 delivers; a failed event used up the
 * schedule (unless interrupted); attempts and retries add up; and the dead-letter file lists every
 * failed event with its last error and every cancelled one as never sent.
 */
function expectAccounted(
  r: RunResult,
  o: { schedule: number[]; deadLetter?: string; interrupted?: boolean },
): DeadLetter[] {
  const s = r.summary;
  expect(r.results).toHaveLength(r.plan.requests.length);
  r.results.forEach((x, i) => expect(x.request.seq).toBe(i));
  expect(s.events).toBe(r.plan.requests.length);
  expect(s.delivered + s.failed + s.cancelled).toBe(s.events);
  if (!o.interrupted) expect(s.cancelled).toBe(0);
  let attempts = 0;
  let retried = 0;
  for (const x of r.results) {
    attempts += x.attempts.length;
    retried += Math.max(0, x.attempts.length - 1);
    x.attempts.forEach((a, i) => expect(a.attempt).toBe(i + 1));
    // only the last attempt may be ok, and an ok attempt is a 200
    x.attempts.slice(0, -1).forEach((a) => expect(a.ok).toBe(false));
    for (const a of x.attempts) if (a.ok) expect(a.status).toBe(200);
    if (x.outcome === "delivered") expect(x.attempts.at(-1)!.ok).toBe(true);
    if (x.outcome === "failed") {
      expect(x.attempts.length).toBeGreaterThan(0);
      expect(x.attempts.at(-1)!.ok).toBe(false);
      if (!o.interrupted) expect(x.attempts).toHaveLength(o.schedule.length + 1);
    }
    if (x.outcome === "cancelled") expect(x.attempts).toHaveLength(0);
  }
  expect(s.attempts).toBe(attempts);
  expect(s.retried).toBe(retried);
  if (!o.deadLetter) return [];
  const lines = readDeadLetters(o.deadLetter);
  expect(lines).toHaveLength(s.failed + s.cancelled);
  const bySeq = new Map(lines.map((l) => [l.seq, l]));
  for (const x of r.results) {
    const line = bySeq.get(x.request.seq);
    if (x.outcome === "delivered") {
      expect(line).toBeUndefined();
      continue;
    }
    expect(line, `event ${x.request.seq} (${x.outcome}) is dead-lettered`).toBeDefined();
    expect(line!.event).toBe(x.request.event);
    expect(line!.attempts).toBe(x.attempts.length);
    const last = x.attempts.at(-1);
    if (x.outcome === "cancelled") {
      expect(line!.lastError).toBe("never sent");
      expect(line!.lastStatus).toBeNull();
    } else if (last!.error) {
      expect(line!.lastError).toBe(last!.error);
      expect(line!.lastStatus).toBeNull();
    } else {
      expect(line!.lastStatus).toBe(last!.status);
      expect(line!.lastError).toBe(`status ${last!.status} is not success for enreach`);
    }
  }
  return lines;
}

// ---- run (runScenarios) ------------------------------------------------------------------------------

const SCHEDULE = [20, 40];

describe("run: transport faults", () => {
  it("connection refused: every attempt fails with the reason, retried on the schedule, dead-lettered", async () => {
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(2)],
      url: `http://127.0.0.1:${await deadPort()}/hook`,
      token: "s3cret",
      seed: 1,
      speed: "max",
      retrySchedule: SCHEDULE,
      deadLetterFile: dl,
    });
    expect(r.summary.failed).toBe(4);
    const lines = expectAccounted(r, { schedule: SCHEDULE, deadLetter: dl });
    for (const x of r.results)
      for (const a of x.attempts)
        expect(a.error).toBe("connection refused (ECONNREFUSED): nothing listens at that address");
    expect(lines.every((l) => l.headers["x-benemen-token"] === "[redacted]")).toBe(true);
    expect(readFileSync(dl, "utf8")).not.toContain("s3cret");
  });

  it("connection reset after the headers were read: failed as a reset, each attempt reached the receiver", async () => {
    let hits = 0;
    // destroy the socket as soon as the headers are in, before the body is read
    const server = createServer((req) => {
      hits++;
      req.socket.destroy();
    });
    const reset = await start(server, "http");
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: reset.url,
      seed: 2,
      speed: "max",
      retrySchedule: SCHEDULE,
      deadLetterFile: dl,
    });
    expect(r.summary.failed).toBe(2);
    expectAccounted(r, { schedule: SCHEDULE, deadLetter: dl });
    expect(hits).toBe(2 * (SCHEDULE.length + 1));
    for (const x of r.results)
      for (const a of x.attempts)
        expect(a.error).toMatch(/^connection reset by the receiver \((ECONNRESET|UND_ERR_SOCKET)\)$/);
  });

  it("a receiver that accepts and never answers: each attempt times out after timeoutMs, then dead-lettered", async () => {
    const f = await httpFault(() => undefined);
    const dl = join(tmp(), "dead.ndjson");
    const t = performance.now();
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 3,
      speed: "max",
      timeoutMs: 200,
      retrySchedule: [10],
      deadLetterFile: dl,
    });
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(r.summary.failed).toBe(2);
    expectAccounted(r, { schedule: [10], deadLetter: dl });
    expect(f.hits).toBe(4);
    for (const x of r.results)
      for (const a of x.attempts) {
        expect(a.error).toBe("timeout: no answer within 200ms");
        expect(a.latencyMs).toBeGreaterThanOrEqual(190);
        expect(a.latencyMs).toBeLessThan(2_000);
      }
  });

  it("slow headers (the answer comes after the timeout) count as a timeout, never as the late 200", async () => {
    const f = await httpFault((_req, res) => {
      setTimeout(() => answer(res, 200), 350);
    });
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 4,
      speed: "max",
      timeoutMs: 200,
      retrySchedule: [10],
      deadLetterFile: dl,
    });
    expect(r.summary.delivered).toBe(0);
    expectAccounted(r, { schedule: [10], deadLetter: dl });
    expect(
      r.results.flatMap((x) => x.attempts).every((a) => a.error === "timeout: no answer within 200ms"),
    ).toBe(true);
  });

  it("slow headers on the first attempt only: the retry delivers, the timeout stays in the history", async () => {
    const attemptOf = attemptCounter();
    const f = await httpFault((req, res) => {
      if (attemptOf(req.body) === 1) setTimeout(() => answer(res, 200), 350);
      else answer(res, 200);
    });
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 5,
      speed: "max",
      timeoutMs: 200,
      retrySchedule: [10],
    });
    expect(r.summary.delivered).toBe(2);
    expectAccounted(r, { schedule: [10] });
    for (const x of r.results) {
      expect(x.attempts.map((a) => a.status ?? a.error)).toEqual(["timeout: no answer within 200ms", 200]);
    }
  });

  it.each([500, 502, 504])(
    "%i: not delivered, retried on the schedule, dead-lettered with the status",
    async (status) => {
      const f = await httpFault((_req, res) =>
        answer(res, status, { "content-type": "text/plain" }, `upstream ${status}`),
      );
      const dl = join(tmp(), "dead.ndjson");
      const r = await runScenarios({
        scenarios: [availability(2)],
        url: f.url,
        seed: 6,
        speed: "max",
        retrySchedule: SCHEDULE,
        deadLetterFile: dl,
      });
      expect(r.summary.failed).toBe(4);
      expect(r.summary.statuses).toEqual({ [status]: 4 * (SCHEDULE.length + 1) });
      expect(f.hits).toBe(4 * (SCHEDULE.length + 1));
      const lines = expectAccounted(r, { schedule: SCHEDULE, deadLetter: dl });
      expect(lines.every((l) => l.lastStatus === status)).toBe(true);
      expect(r.results[0]!.attempts[0]!.responseBody).toBe(`upstream ${status}`);
    },
  );

  it.each([429, 503])(
    "%i with Retry-After: retried on Enreach's schedule (Retry-After is not Enreach's rule), then delivered",
    async (status) => {
      const attemptOf = attemptCounter();
      const f = await httpFault((req, res) => {
        if (attemptOf(req.body) <= 2) answer(res, status, { "retry-after": "3600" });
        else answer(res, 200);
      });
      const schedule = [30, 60];
      const t = performance.now();
      const r = await runScenarios({
        scenarios: [availability(1)],
        url: f.url,
        seed: 7,
        speed: 1,
        retrySchedule: schedule,
      });
      // an hour's Retry-After was not waited for
      expect(performance.now() - t).toBeLessThan(3_000);
      expect(r.summary.delivered).toBe(2);
      expectAccounted(r, { schedule });
      for (const x of r.results) {
        expect(x.attempts.map((a) => a.status)).toEqual([status, status, 200]);
        // each retry waited its slot of the schedule after the previous attempt ended
        for (let i = 1; i < x.attempts.length; i++) {
          const prev = x.attempts[i - 1]!;
          const gap = x.attempts[i]!.startedAt - (prev.startedAt + prev.latencyMs);
          expect(gap).toBeGreaterThanOrEqual(schedule[i - 1]! - 2);
          expect(gap).toBeLessThan(schedule[i - 1]! + 1_000);
        }
      }
    },
  );

  it("429 with Retry-After every time: failed after the schedule, dead-lettered with 429", async () => {
    const f = await httpFault((_req, res) => answer(res, 429, { "retry-after": "120" }));
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 8,
      speed: "max",
      retrySchedule: SCHEDULE,
      deadLetterFile: dl,
    });
    expect(r.summary.failed).toBe(2);
    const lines = expectAccounted(r, { schedule: SCHEDULE, deadLetter: dl });
    expect(lines.map((l) => l.lastError)).toEqual([
      "status 429 is not success for enreach",
      "status 429 is not success for enreach",
    ]);
  });
});

describe("run: TLS and name faults", () => {
  it("a plain TCP server on an https:// URL: a TLS handshake failure, explained", async () => {
    const server = createNetServer((s) => {
      f.hits++;
      s.on("error", () => undefined);
      s.once("data", () => s.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    });
    const f = await start(server, "https");
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 9,
      speed: "max",
      retrySchedule: [5],
      deadLetterFile: dl,
    });
    expect(r.summary.failed).toBe(2);
    expectAccounted(r, { schedule: [5], deadLetter: dl });
    for (const x of r.results)
      for (const a of x.attempts)
        expect(a.error).toMatch(/^TLS handshake failed \(.+\): is the receiver speaking plain HTTP/);
  });

  it("a self-signed certificate without insecure: refused before any request, with the way out", async () => {
    const f = await httpFault((_req, res) => answer(res, 200), { https: true });
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 10,
      speed: "max",
      retrySchedule: [5],
      deadLetterFile: dl,
    });
    expect(f.hits).toBe(0);
    expect(r.summary.failed).toBe(2);
    expectAccounted(r, { schedule: [5], deadLetter: dl });
    for (const x of r.results)
      for (const a of x.attempts) expect(a.error).toMatch(/certificate is not trusted.*--insecure.*--ca/);
    // the same receiver with insecure (Enreach's InsecureSSL) delivers
    const ok = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 10,
      speed: "max",
      insecure: true,
    });
    expect(ok.summary.delivered).toBe(2);
    expectAccounted(ok, { schedule: [] });
  });

  it("an unresolvable host: host not found, retried, dead-lettered", async () => {
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: "http://pbxsim-unresolvable.invalid/",
      seed: 11,
      speed: "max",
      retrySchedule: [5],
      timeoutMs: 3_000,
      deadLetterFile: dl,
    });
    expect(r.summary.failed).toBe(2);
    expectAccounted(r, { schedule: [5], deadLetter: dl });
    for (const x of r.results)
      for (const a of x.attempts) expect(a.error).toMatch(/^host not found \((ENOTFOUND|EAI_AGAIN)\)$/);
  });
});

describe("run: a receiver that goes down mid-run and comes back", () => {
  it("retries reach the restarted server on the same port: everything is delivered, nothing lost", async () => {
    const handler: Handler = (_req, res, n, f) => {
      answer(res, 200);
      // after its second request the receiver goes away for 250 ms
      if (n === 2)
        setImmediate(() => {
          void f.close().then(() => {
            setTimeout(() => {
              void httpFault((_q, s) => answer(s, 200), { port: f.port }).then((g) => {
                restarted = g;
              });
            }, 250);
          });
        });
    };
    let restarted: Fault | undefined;
    const first = await httpFault(handler);
    // speed 10: events 0, 5, 100, 105, 200, 205 ms; retries wait 100, 200, 400, 800 ms
    const schedule = [1_000, 2_000, 4_000, 8_000];
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(3)],
      url: first.url,
      seed: 12,
      speed: 10,
      retrySchedule: schedule,
      deadLetterFile: dl,
    });
    expect(first.hits).toBe(2);
    expect(restarted).toBeDefined();
    expect(r.summary.delivered).toBe(6);
    expectAccounted(r, { schedule, deadLetter: dl });
    expect(readDeadLetters(dl)).toHaveLength(0);
    // the events sent during the outage failed at first and were delivered by a retry
    const recovered = r.results.filter((x) => x.attempts.length > 1);
    expect(recovered.length).toBeGreaterThan(0);
    for (const x of recovered) expect(x.attempts[0]!.error).toMatch(/connection refused|connection reset/);
    expect(restarted!.hits).toBe(4);
  });
});

describe("run: interrupts", () => {
  it("aborting the signal mid-run cancels the events not yet sent and dead-letters them as never sent", async () => {
    const ac = new AbortController();
    const f = await httpFault((_req, res, n) => {
      // the interrupt comes while the second event is in flight: it still completes
      if (n === 2) ac.abort();
      setTimeout(() => answer(res, 200), 20);
    });
    const dl = join(tmp(), "dead.ndjson");
    const t = performance.now();
    const r = await runScenarios({
      scenarios: [availability(3)],
      url: f.url,
      seed: 13,
      speed: 5,
      retrySchedule: SCHEDULE,
      deadLetterFile: dl,
      signal: ac.signal,
    });
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(f.hits).toBe(2);
    expect(r.summary).toMatchObject({ events: 6, delivered: 2, failed: 0, cancelled: 4 });
    const lines = expectAccounted(r, { schedule: SCHEDULE, deadLetter: dl, interrupted: true });
    expect(lines.map((l) => l.seq)).toEqual([2, 3, 4, 5]);
  });

  it("an event waiting for a retry when the interrupt comes is failed (it was sent), the rest cancelled", async () => {
    const ac = new AbortController();
    const f = await httpFault((_req, res, n) => {
      // the first event gets a 500 and waits for its retry; the interrupt comes with the second
      answer(res, n === 1 ? 500 : 200);
      if (n === 2) ac.abort();
    });
    const dl = join(tmp(), "dead.ndjson");
    // speed 5: events at 0 and 10 ms, the next at 200 ms; the first event's retry is due 600 ms after its 500
    const r = await runScenarios({
      scenarios: [availability(3)],
      url: f.url,
      seed: 14,
      speed: 5,
      retrySchedule: [3_000],
      deadLetterFile: dl,
      signal: ac.signal,
    });
    expect(f.hits).toBe(2);
    expect(r.summary).toMatchObject({ events: 6, delivered: 1, failed: 1, cancelled: 4 });
    expect(r.results[0]!.outcome).toBe("failed");
    expect(r.results[0]!.attempts).toHaveLength(1);
    const lines = expectAccounted(r, { schedule: [3_000], deadLetter: dl, interrupted: true });
    expect(lines.find((l) => l.seq === 0)).toMatchObject({ attempts: 1, lastStatus: 500 });
  });
  it("an interrupt during a failing attempt ends the run promptly, not after the retry wait", async () => {
    const ac = new AbortController();
    const f = await httpFault((_req, res, n) => {
      if (n === 1) ac.abort(); // the interrupt comes while the first attempt is in flight
      answer(res, 500);
    });
    const t = performance.now();
    const r = await runScenarios({
      scenarios: [availability(1)],
      url: f.url,
      seed: 15,
      speed: 1,
      retrySchedule: [10_000],
      signal: ac.signal,
    });
    expect(r.summary).toMatchObject({ failed: 1, cancelled: 1 });
    // far below the retry wait, with room for a busy machine
    expect(performance.now() - t).toBeLessThan(3_000);
  });

  it("a signal aborted before the run starts sends nothing and cancels everything", async () => {
    const f = await httpFault((_req, res) => answer(res, 200));
    const dl = join(tmp(), "dead.ndjson");
    const r = await runScenarios({
      scenarios: [availability(2)],
      url: f.url,
      seed: 16,
      speed: "max",
      deadLetterFile: dl,
      signal: AbortSignal.abort(),
    });
    expect(f.hits).toBe(0);
    expect(r.summary).toMatchObject({ events: 4, cancelled: 4, attempts: 0 });
    expectAccounted(r, { schedule: [], deadLetter: dl, interrupted: true });
  });
});

// ---- load (runLoad) ------------------------------------------------------------------------------------

/** Load options around one short scenario, a fixed seed, and `calls` whole calls. */
function loadOptions(url: string, extra: Partial<LoadOptions>): LoadOptions {
  return {
    scenarios: [{ scenario: availability(1), weight: 1 }],
    targets: { byVendor: new Map(), fallback: { url } },
    rate: constantRate(50, "50/s"),
    arrivals: "constant",
    calls: 3,
    speed: "max",
    seed: 1,
    ...extra,
  };
}

/**
 * The load report's ledger: every request ends delivered, failed or cancelled; every attempt is
 * sent once and every attempt after the first is a retry; whole calls complete; failed requests
 * are dead-lettered with their last error.
 */
function expectLoadAccounted(
  report: LoadReport,
  o: { requests: number; deadLetter?: string; interrupted?: boolean },
): void {
  const q = report.requests;
  if (!o.interrupted) {
    expect(q.delivered + q.failed).toBe(o.requests);
    expect(q.cancelled).toBe(0);
    expect(q.sent).toBe(q.delivered + q.failed + q.retried);
  }
  expect(report.calls.completed).toBe(report.calls.started);
  expect(Object.values(report.statuses).reduce((a, b) => a + b, 0)).toBe(q.sent);
  expect(Object.values(report.errors).reduce((a, b) => a + b, 0)).toBe(q.failed);
  expect(report.timeline.reduce((s, b) => s + b.requests, 0)).toBe(q.sent);
  if (o.deadLetter) {
    // failed requests, and on an interrupt the cancelled ones too, each with why
    expect(report.deadLettered).toBe(q.failed + q.cancelled);
    const lines = readFileSync(o.deadLetter, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { attempts: number; lastError: string });
    expect(lines).toHaveLength(q.failed + q.cancelled);
    const interruptedLines = lines.filter((l) => /interrupted/.test(l.lastError));
    expect(interruptedLines).toHaveLength(q.cancelled);
    for (const l of lines)
      if (!interruptedLines.includes(l)) expect(Object.keys(report.errors)).toContain(l.lastError);
  }
}

describe("load: receiver faults", () => {
  it("connection refused: every request fails after its retries, all counted and dead-lettered", async () => {
    const dl = join(tmp(), "dead.ndjson");
    const report = await runLoad(
      loadOptions(`http://127.0.0.1:${await deadPort()}`, { retrySchedule: [1, 1], deadLetterFile: dl }),
    );
    expect(report.calls.started).toBe(3);
    expect(report.requests).toMatchObject({ sent: 18, delivered: 0, failed: 6, retried: 12, cancelled: 0 });
    expectLoadAccounted(report, { requests: 6, deadLetter: dl });
    expect(report.errors).toEqual({
      "connection refused (ECONNREFUSED): nothing listens at that address": 6,
    });
    const lines = readFileSync(dl, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { attempts: number });
    expect(lines.every((l) => l.attempts === 3)).toBe(true);
  });

  it("a failed GET is dead-lettered with its query (the payload), ready to replay", async () => {
    const f = await httpFault((_req, res) => answer(res, 500));
    const dl = join(tmp(), "dead.ndjson");
    const report = await runLoad(
      loadOptions(`${f.url}/acefone?tenant=7`, {
        scenarios: resolveScenarios(["acefone/inbound-ivr-answered"], findVendor).map((scenario) => ({
          scenario,
          weight: 1,
        })),
        calls: 1,
        method: "GET",
        retrySchedule: [],
        deadLetterFile: dl,
      }),
    );
    expect(report.requests.failed).toBeGreaterThan(0);
    expectLoadAccounted(report, { requests: report.requests.failed, deadLetter: dl });
    for (const line of readFileSync(dl, "utf8").trim().split("\n")) {
      const l = JSON.parse(line) as { method: string; url: string; lastStatus: number };
      expect(l.method).toBe("GET");
      expect(l.lastStatus).toBe(500);
      // the user's own parameter and Acefone's payload both stay in the URL
      expect(l.url).toMatch(/\/acefone\?tenant=7&.*call_id=/);
    }
  });

  it("a receiver that cannot keep up: the achieved request rate falls below the target", async () => {
    const f = await httpFault((_req, res) => {
      setTimeout(() => answer(res, 200), 20);
    });
    const report = await runLoad(
      loadOptions(f.url, { scenarios: [{ scenario: availability(2), weight: 1 }], calls: 5, maxInflight: 1 }),
    );
    const q = report.requests;
    expect(q.failed).toBe(0);
    // five arrivals 20 ms apart; at --speed max a call's requests fall due when it arrives,
    // all inside the window
    expect(report.windowMs).toBe(120);
    expect(q.due).toBe(20);
    expect(q.dueSent).toBe(20);
    expect(report.rates.targetRequestsPerSec).toBeCloseTo(20 / 0.12, 1);
    // one at a time, 20 ms each: sending them took about 400 ms, under a third of the time asked for
    expect(report.dueSentByMs).toBeGreaterThan(300);
    expect(report.rates.achievedRequestsPerSec).toBeLessThan(report.rates.targetRequestsPerSec / 2);
  });

  it("a receiver that never answers: each request times out after timeoutMs and fails", async () => {
    const f = await httpFault(() => undefined);
    const dl = join(tmp(), "dead.ndjson");
    const t = performance.now();
    const report = await runLoad(
      loadOptions(f.url, { calls: 2, timeoutMs: 200, retrySchedule: [], deadLetterFile: dl }),
    );
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(report.requests).toMatchObject({ sent: 4, delivered: 0, failed: 4, retried: 0 });
    expectLoadAccounted(report, { requests: 4, deadLetter: dl });
    expect(report.errors).toEqual({ "timeout: no answer within 200ms": 4 });
  });
  it("a 200 ms timeout gives up within about 200 ms, as run does", async () => {
    const f = await httpFault(() => undefined);
    const report = await runLoad(loadOptions(f.url, { calls: 1, timeoutMs: 200, retrySchedule: [] }));
    expect(report.errors).toEqual({ "timeout: no answer within 200ms": 2 });
    expect(report.latency.service.min).toBeGreaterThanOrEqual(190);
    expect(report.latency.service.max).toBeLessThan(450);
  });

  it("connection reset mid-request: failed as a reset, counted", async () => {
    const server = createServer((req) => req.socket.destroy());
    const f = await start(server, "http");
    const report = await runLoad(loadOptions(f.url, { calls: 2, retrySchedule: [1] }));
    expect(report.requests).toMatchObject({ sent: 8, delivered: 0, failed: 4, retried: 4 });
    expectLoadAccounted(report, { requests: 4 });
    for (const k of Object.keys(report.errors)) expect(k).toMatch(/^connection reset by the receiver/);
  });

  it("503 and 429 with Retry-After on the first attempt: retried once on the schedule, then delivered", async () => {
    const attemptOf = attemptCounter();
    let flip = 0;
    const f = await httpFault((req, res) => {
      if (attemptOf(req.body) === 1) answer(res, flip++ % 2 ? 429 : 503, { "retry-after": "3600" });
      else answer(res, 200);
    });
    const t = performance.now();
    const report = await runLoad(loadOptions(f.url, { calls: 3, retrySchedule: [50] }));
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(report.requests).toMatchObject({ sent: 12, delivered: 6, failed: 0, retried: 6 });
    expect(report.statuses).toEqual({ "200": 6, "429": 3, "503": 3 });
    expectLoadAccounted(report, { requests: 6 });
  });

  it("5xx with no retries left: failed and dead-lettered with the status", async () => {
    const f = await httpFault((_req, res) => answer(res, 502));
    const dl = join(tmp(), "dead.ndjson");
    const report = await runLoad(loadOptions(f.url, { retrySchedule: [1], deadLetterFile: dl }));
    expect(report.requests).toMatchObject({ sent: 12, delivered: 0, failed: 6, retried: 6 });
    expectLoadAccounted(report, { requests: 6, deadLetter: dl });
    expect(report.errors).toEqual({ "status 502": 6 });
  });

  it("a receiver that goes down and comes back: retries reach it, every request delivered", async () => {
    let restarted: Fault | undefined;
    const first = await httpFault((_req, res, n, f) => {
      answer(res, 200);
      if (n === 2)
        setImmediate(() => {
          void f.close().then(() => {
            setTimeout(() => {
              void httpFault((_q, s) => answer(s, 200), { port: f.port }).then((g) => {
                restarted = g;
              });
            }, 150);
          });
        });
    });
    // 10 calls/s: a call every 100 ms, its two requests 5 ms apart (speed 10); retries 100, 200, 400, 800 ms later
    const report = await runLoad(
      loadOptions(first.url, {
        calls: 4,
        rate: constantRate(10, "10/s"),
        speed: 10,
        retrySchedule: [1_000, 2_000, 4_000, 8_000],
      }),
    );
    expect(restarted).toBeDefined();
    expect(report.requests.failed).toBe(0);
    expect(report.requests.delivered).toBe(8);
    expect(report.requests.retried).toBeGreaterThan(0);
    expectLoadAccounted(report, { requests: 8 });
    expect(first.hits + restarted!.hits).toBe(8);
  });

  it("an interrupt stops new calls, cancels pending requests, and still accounts for everything", async () => {
    const f = await httpFault((_req, res) => answer(res, 200));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const dl = join(tmp(), "dead.ndjson");
    const t = performance.now();
    const report = await runLoad(
      loadOptions(f.url, {
        scenarios: [{ scenario: availability(4), weight: 1 }],
        calls: undefined,
        durationMs: 30_000,
        rate: constantRate(20, "20/s"),
        speed: 2,
        signal: ac.signal,
        deadLetterFile: dl,
      }),
    );
    expect(performance.now() - t).toBeLessThan(2_000);
    const q = report.requests;
    expect(report.calls.started).toBeGreaterThan(0);
    expect(q.cancelled).toBeGreaterThan(0);
    // with a healthy receiver nothing is retried: every request sent was delivered or failed once
    expect(q.sent).toBe(q.delivered + q.failed + q.retried);
    expect(q.failed).toBe(0);
    expect(f.hits).toBe(q.sent);
    // every call's 8 requests ended one way or the other
    expect(q.delivered + q.failed + q.cancelled).toBe(report.calls.started * 8);
    expectLoadAccounted(report, { requests: report.calls.started * 8, interrupted: true, deadLetter: dl });
    // the events not yet sent are dead-lettered whole, so a replay can finish the calls
    const first = JSON.parse(readFileSync(dl, "utf8").split("\n")[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ attempts: 0, lastStatus: null, lastError: "never sent: interrupted" });
    expect(first.url).toBe(f.url);
    expect(String(first.body)).toContain('"EventType"');
  });
  it("a signal aborted before the load starts sends nothing", async () => {
    const f = await httpFault((_req, res) => answer(res, 200));
    const report = await runLoad(loadOptions(f.url, { calls: 2, signal: AbortSignal.abort() }));
    expect(f.hits).toBe(0);
    expect(report.requests.sent).toBe(0);
  });
});

// ---- the command line ------------------------------------------------------------------------------

const BIN = resolve(__dirname, "..", "bin", "pbxsim.js");

interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function pbxsim(args: string[]): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Resolves when `cond` holds, polling every 10 ms; rejects after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the exit, killing the process if it outlives `ms`. */
async function exited(p: Spawned, ms: number) {
  const timer = setTimeout(() => p.child.kill("SIGKILL"), ms);
  try {
    return await p.exit;
  } finally {
    clearTimeout(timer);
  }
}

/** A load long enough to be interrupted: 30 s of calls at 10/s, at speed 20. */
const interruptedLoad = (url: string) => [
  "load",
  "enreach/outbound-answered",
  "--url",
  url,
  "--duration",
  "30s",
  "--rate",
  "10/s",
  "--speed",
  "20",
  "--seed",
  "1",
];

describe("CLI interrupts", () => {
  it("SIGINT to pbxsim run --speed 5 against a slow receiver: exit 130, summary, cancelled events dead-lettered", async () => {
    const f = await httpFault((_req, res) => {
      setTimeout(() => answer(res, 200), 150);
    });
    const dl = join(tmp(), "dead.ndjson");
    // seed 1: UserCallOutGoing and UserStatus at once, the rest 2.9 s and more (at speed 5) later
    const p = pbxsim([
      "run",
      "enreach/outbound-answered",
      "--url",
      f.url,
      "--speed",
      "5",
      "--seed",
      "1",
      "--dead-letter",
      dl,
    ]);
    await until(() => f.hits >= 2, 10_000, "the first two events");
    p.child.kill("SIGINT");
    const { code } = await exited(p, 10_000);
    expect(code).toBe(130);
    expect(p.stderr()).toMatch(/interrupted/);
    expect(p.stdout()).toMatch(/calls 1 {2}events 5 {2}delivered 2 {2}failed 0 {2}cancelled 3/);
    expect(f.hits).toBe(2);
    const lines = readDeadLetters(dl);
    expect(lines.map((l) => [l.seq, l.attempts, l.lastError])).toEqual([
      [2, 0, "never sent"],
      [3, 0, "never sent"],
      [4, 0, "never sent"],
    ]);
  });

  it("SIGINT to pbxsim load --duration 30s: exit 130 and the --report file written", async () => {
    const f = await httpFault((_req, res) => answer(res, 200));
    const dir = tmp();
    const reportFile = join(dir, "report.json");
    const p = pbxsim([
      ...interruptedLoad(f.url),
      "--report",
      reportFile,
      "--dead-letter",
      join(dir, "dead.ndjson"),
      "--quiet",
    ]);
    await until(() => f.hits >= 6, 10_000, "some load requests");
    p.child.kill("SIGINT");
    const { code } = await exited(p, 10_000);
    expect(code).toBe(130);
    expect(p.stdout()).toMatch(/load summary/);
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as LoadReport;
    expect(report.tool).toBe("pbxsim");
    expect(report.elapsedMs).toBeLessThan(30_000);
    expect(report.calls.started).toBeGreaterThan(0);
    expect(report.calls.completed).toBe(report.calls.started);
    const q = report.requests;
    expect(q.sent).toBe(f.hits);
    expect(q.sent).toBe(q.delivered + q.failed + q.retried);
    expect(q.cancelled).toBeGreaterThan(0);
    // the cancelled requests are in the dead-letter file, which replay reads back
    expect(report.deadLettered).toBe(q.cancelled);
    const dead = readFileSync(join(dir, "dead.ndjson"), "utf8").trim().split("\n");
    expect(dead).toHaveLength(q.cancelled);
    expect(p.stderr()).toMatch(/requests not yet sent are cancelled and written to .*dead\.ndjson/);
    // replaying the dead letters finishes the calls: every cancelled request arrives
    const calls = new Set(dead.map((l) => (JSON.parse(l) as { call: string }).call)).size;
    const hits = f.hits;
    const again = pbxsim(["replay", join(dir, "dead.ndjson"), "--url", f.url]);
    expect((await exited(again, 10_000)).code).toBe(0);
    expect(f.hits - hits).toBe(q.cancelled);
    expect(again.stdout()).toContain(`calls ${calls}  events ${q.cancelled}  delivered ${q.cancelled}`);
  });
});

describe("CLI interrupts of --workers", () => {
  it("SIGTERM to pbxsim load --workers 2 reaches the workers: exit 130, a merged report, every cancelled request dead-lettered", async () => {
    const f = await httpFault((_req, res) => answer(res, 200));
    const dir = tmp();
    const reportFile = join(dir, "report.json");
    const dead = join(dir, "dead.ndjson");
    const p = pbxsim([
      ...interruptedLoad(f.url),
      "--workers",
      "2",
      "--report",
      reportFile,
      "--dead-letter",
      dead,
    ]);
    // the parent shows the workers' progress summed (a line every 5 s off a terminal)
    await until(
      () => /requests \d+ .*\(percentiles: the worst of 2 workers\)/.test(p.stderr()),
      15_000,
      "progress",
    );
    // only the parent is signalled, as a container's PID 1 is
    p.child.kill("SIGTERM");
    const { code } = await exited(p, 15_000);
    expect(code).toBe(130);
    expect(p.stderr()).toMatch(/interrupted: the workers stop/);
    expect(p.stdout()).toMatch(/load summary/);
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as LoadReport;
    expect(report.config.shards).toHaveLength(2);
    expect(report.requests.sent).toBe(f.hits);
    expect(report.requests.cancelled).toBeGreaterThan(0);
    expect(readFileSync(dead, "utf8").trim().split("\n")).toHaveLength(report.requests.cancelled);
  });
});

describe("unhandled rejections", () => {
  it("none fired while this file ran", async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});

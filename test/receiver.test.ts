import request from "supertest";
import { describe, expect, it } from "vitest";
import { Rng } from "../src/core/random.js";
import { REDACTED } from "../src/core/redact.js";
import type { EncodedRequest, VendorEvent } from "../src/core/vendor.js";
import { createReceiver, type ReceiverOptions } from "../src/receiver/app.js";
import { enreach } from "../src/vendors/enreach/index.js";
import { enreachEventNames } from "../src/vendors/enreach/schemas.js";
import { VENDORS } from "../src/vendors/registry.js";
import { forgetOldest } from "../src/receiver/inspector.js";

/**
 * The built-in receiver, driven in-process with supertest: vendor detection, the Enreach token, schema
 * validation, the answers Enreach wants (exactly 200, no body), deduplication on the event Id and fault injection.
 */

const SECRET = "s3cret";
const DAY = Date.UTC(2026, 0, 5);

function sample(name: string, seed = 1): VendorEvent {
  return enreach.sample(
    name,
    { rng: new Rng(seed), directory: enreach.directory(), profile: "default" },
    DAY,
  );
}

/** An encoded sample event; `secret` null sends no token header. */
function encoded(name = "QueueCallInComing", seed = 1, secret: string | null = SECRET): EncodedRequest {
  return enreach.encode(sample(name, seed), {
    profile: "default",
    url: "http://127.0.0.1/",
    secret: secret ?? undefined,
  });
}

function receiver(opts: Partial<ReceiverOptions> = {}) {
  return createReceiver({ vendors: VENDORS, ...opts });
}

function post(app: Parameters<typeof request>[0], req: EncodedRequest, path = "/") {
  return request(app).post(path).set(req.headers).send(req.body);
}

/** The body with one property changed (or removed when `value` is undefined), re-encoded compactly. */
function tamper(req: EncodedRequest, key: string, value?: unknown): EncodedRequest {
  const body = JSON.parse(req.body) as Record<string, unknown>;
  if (value === undefined) delete body[key];
  else body[key] = value;
  return { ...req, body: JSON.stringify(body) };
}

describe("a valid Enreach delivery", () => {
  it.each(["/", "/enreach"])("posted to %s is answered 200 with an empty body and recorded", async (path) => {
    const r = receiver({ token: SECRET });
    const req = encoded();
    const res = await post(r.app, req, path);
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(r.records).toHaveLength(1);
    const rec = r.records[0]!;
    expect(rec.vendor).toBe("enreach");
    expect(rec.event).toBe("QueueCallInComing");
    expect(rec.valid).toBe(true);
    expect(rec.issues).toEqual([]);
    expect(rec.auth).toBe("ok");
    expect(rec.status).toBe(200);
    expect(rec.duplicate).toBe(false);
    expect(rec.method).toBe("POST");
    expect(rec.path).toBe(path);
    expect(rec.body).toBe(req.body);
    expect(rec.dedupeKey).toBe(JSON.parse(req.body).Id);
    expect(rec.callId).toBe(JSON.parse(req.body).CallId);
    expect(rec.headers["x-benemen-event"]).toBe("QueueCallInComing");
    expect(rec.headers["x-benemen-token"]).toBe(REDACTED);
    expect(JSON.stringify(r.records)).not.toContain(SECRET);
  });

  it("is recognised on /enreach without the event header, from the body's EventType", async () => {
    const r = receiver();
    const req = encoded();
    const res = await request(r.app)
      .post("/enreach")
      .set("content-type", "application/json; charset=utf-8")
      .send(req.body);
    expect(res.status).toBe(200);
    expect(r.records[0]!.event).toBe("QueueCallInComing");
  });

  it("rejects an X-Benemen-Event that differs from the body's EventType", async () => {
    const r = receiver();
    const req = encoded();
    const res = await post(r.app, {
      ...req,
      headers: { ...req.headers, "x-benemen-event": "QueueCallInArrived" },
    });
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/differs from the body's EventType/);
  });
});

describe("the token", () => {
  it("missing → 401, recorded as missing", async () => {
    const r = receiver({ token: SECRET });
    const res = await post(r.app, encoded("QueueCallInComing", 1, null));
    expect(res.status).toBe(401);
    expect(r.records[0]!.auth).toBe("missing");
    expect(r.records[0]!.status).toBe(401);
  });

  it("wrong → 401, recorded as bad, and the wrong value is not stored", async () => {
    const r = receiver({ token: SECRET });
    const res = await post(r.app, encoded("QueueCallInComing", 1, "guessed-token"));
    expect(res.status).toBe(401);
    expect(r.records[0]!.auth).toBe("bad");
    expect(r.records[0]!.headers["x-benemen-token"]).toBe(REDACTED);
    expect(JSON.stringify(r.records)).not.toContain("guessed-token");
  });

  it("a token of a different length is bad too", async () => {
    const r = receiver({ token: SECRET });
    const res = await post(r.app, encoded("QueueCallInComing", 1, `${SECRET}x`));
    expect(res.status).toBe(401);
    expect(r.records[0]!.auth).toBe("bad");
  });

  it("not configured → not checked, whatever the request carries", async () => {
    const r = receiver();
    expect((await post(r.app, encoded("QueueCallInComing", 1, "anything"))).status).toBe(200);
    expect((await post(r.app, encoded("QueueCallInComing", 2, null))).status).toBe(200);
    expect(r.records.map((x) => x.auth)).toEqual(["not-checked", "not-checked"]);
  });

  it("a rejected unauthenticated request does not make the real delivery a duplicate", async () => {
    const r = receiver({ token: SECRET });
    expect((await post(r.app, encoded("QueueCallInComing", 1, "guessed-token"))).status).toBe(401);
    expect((await post(r.app, encoded("QueueCallInComing", 1, SECRET))).status).toBe(200);
    expect(r.records[1]!.duplicate).toBe(false);
  });
});

describe("invalid requests", () => {
  it("a payload without a required field → 422 naming the field", async () => {
    const r = receiver();
    const res = await post(r.app, tamper(encoded(), "CallerNumber"));
    expect(res.status).toBe(422);
    expect(res.headers["content-type"]).toMatch(/json/);
    expect(res.body.issues.some((i: string) => i.startsWith("CallerNumber"))).toBe(true);
    expect(r.records[0]!.valid).toBe(false);
    expect(r.records[0]!.issues).toEqual(res.body.issues);
  });

  it("a Timestamp with Z → 422 naming Timestamp", async () => {
    const r = receiver();
    const req = encoded();
    const ts = JSON.parse(req.body).Timestamp as string;
    const res = await post(r.app, tamper(req, "Timestamp", `${ts}Z`));
    expect(res.status).toBe(422);
    expect(res.body.issues.some((i: string) => i.startsWith("Timestamp"))).toBe(true);
  });

  it("an unknown property → 422 (the schemas are strict)", async () => {
    const r = receiver();
    const res = await post(r.app, tamper(encoded(), "Extra", 1));
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/Extra/);
  });

  it("an unknown event type → 422", async () => {
    const r = receiver();
    const req = encoded();
    const res = await post(r.app, {
      ...req,
      headers: { ...req.headers, "x-benemen-event": "QueueCallInTeleported" },
    });
    expect(res.status).toBe(422);
    expect(res.body.issues.join("\n")).toMatch(/unknown Enreach event type "QueueCallInTeleported"/);
  });

  it("malformed JSON → 400 with a reason", async () => {
    const r = receiver();
    const req = encoded();
    const res = await post(r.app, { ...req, body: '{"Id": "x",' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/malformed JSON/);
    expect(r.records[0]!.status).toBe(400);
    expect(r.records[0]!.issues[0]).toMatch(/malformed JSON/);
  });

  it("a body over the limit → 413", async () => {
    const r = receiver({ bodyLimit: "1kb" });
    const req = encoded();
    const res = await post(r.app, tamper(req, "Padding", "x".repeat(2048)));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/too large/);
    expect(r.records[0]!.status).toBe(413);
    // the same event within the limit is fine
    expect((await post(r.app, req)).status).toBe(200);
  });

  it("an unknown vendor (no vendor path, no vendor header) → 404 with an explanation", async () => {
    const r = receiver();
    const res = await request(r.app)
      .post("/")
      .set("content-type", "application/json")
      .send('{"hello":"world"}');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/cannot tell which vendor/);
    expect(r.records[0]!.vendor).toBeNull();
  });

  it("only the configured vendor is accepted", async () => {
    const r = receiver({ vendor: "someone-else" });
    const res = await post(r.app, encoded());
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/accepts only someone-else/);
  });
});

describe("faults", () => {
  it("failFirst: 2 → 500, 500, then 200 for the same event", async () => {
    const r = receiver({ faults: { failFirst: 2 } });
    const req = encoded();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(r.app, req)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(new Set(r.records.map((x) => x.dedupeKey)).size).toBe(1);
    expect(r.records.map((x) => x.fault !== undefined)).toEqual([true, true, false]);
    // a different event has its own count
    expect((await post(r.app, encoded("QueueCallInComing", 2))).status).toBe(500);
  });

  it("status: 204 alone → every valid delivery gets 204", async () => {
    const r = receiver({ faults: { status: 204 } });
    for (const seed of [1, 2, 3]) {
      const res = await post(r.app, encoded("QueueCallInComing", seed));
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
    }
    expect((await post(r.app, encoded("QueueCallInComing", 1))).status).toBe(204);
    // an invalid one is still 422
    expect((await post(r.app, tamper(encoded(), "CallId"))).status).toBe(422);
  });

  it("failFirst: 1, status: 503 → 503, then 200", async () => {
    const r = receiver({ faults: { failFirst: 1, status: 503 } });
    const req = encoded();
    expect((await post(r.app, req)).status).toBe(503);
    expect((await post(r.app, req)).status).toBe(200);
    expect(r.records[0]!.fault).toMatch(/503/);
  });

  it("delayMs: 50 delays the answer", async () => {
    const r = receiver({ faults: { delayMs: 50 } });
    const t0 = performance.now();
    const res = await post(r.app, encoded());
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it("failRate: 1 always fails", async () => {
    const r = receiver({ faults: { failRate: 1 } });
    for (const seed of [1, 2, 3, 4, 5])
      expect((await post(r.app, encoded("QueueCallInComing", seed))).status).toBe(500);
  });

  it("failRate: 0 never fails", async () => {
    const r = receiver({ faults: { failRate: 0 } });
    for (const seed of [1, 2, 3, 4, 5])
      expect((await post(r.app, encoded("QueueCallInComing", seed))).status).toBe(200);
  });
});

describe("duplicates", () => {
  it("the same event twice → the second record is a duplicate, still answered 200", async () => {
    const r = receiver({ token: SECRET });
    const req = encoded();
    expect((await post(r.app, req)).status).toBe(200);
    expect((await post(r.app, req)).status).toBe(200);
    expect(r.records.map((x) => x.duplicate)).toEqual([false, true]);
    // another event is not a duplicate
    expect((await post(r.app, encoded("QueueCallInComing", 2))).status).toBe(200);
    expect(r.records[2]!.duplicate).toBe(false);
  });

  it("reset() forgets what was seen", async () => {
    const r = receiver();
    const req = encoded();
    await post(r.app, req);
    r.reset();
    expect(r.records).toHaveLength(0);
    await post(r.app, req);
    expect(r.records[0]!.duplicate).toBe(false);
  });
});

describe("every Enreach event type", () => {
  it("has 34 event types", () => {
    expect(enreachEventNames).toHaveLength(34);
  });

  it.each(enreachEventNames)("%s, sampled and posted, is accepted with 200", async (name) => {
    const r = receiver({ token: SECRET });
    const req = encoded(name, 3);
    expect(req.headers["x-benemen-event"]).toBe(name);
    const res = await post(r.app, req, "/enreach");
    expect(r.records[0]!.issues).toEqual([]);
    expect(res.status).toBe(200);
    expect(r.records[0]!.event).toBe(name);
    expect(r.records[0]!.valid).toBe(true);
  });
});

describe("health", () => {
  it("GET /health reports the number received", async () => {
    const r = receiver();
    await post(r.app, encoded());
    const res = await request(r.app).get("/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, received: 1 });
  });
});

describe("memory over a long run", () => {
  it("keep: only about the latest records stay in memory, while the counts cover every request", async () => {
    const r = receiver({ keep: 5 });
    for (let seed = 1; seed <= 23; seed++)
      await post(r.app, encoded("QueueCallInComing", seed, null), "/enreach");
    // the same event again: a duplicate, still found with the records it belonged to gone
    await post(r.app, encoded("QueueCallInComing", 1, null), "/enreach");
    await post(r.app, { ...encoded(), body: "{" }, "/enreach");
    expect(r.records.length).toBeGreaterThanOrEqual(5);
    expect(r.records.length).toBeLessThan(10);
    // the latest, in order
    expect(r.records.at(-1)!.seq).toBe(24);
    expect(r.records.map((x) => x.seq)).toEqual(r.records.map((_, i) => 25 - r.records.length + i));
    expect(r.records.at(-2)!.duplicate).toBe(true);
    expect(r.counts).toEqual({ received: 25, valid: 24, invalid: 1, duplicates: 1 });
    const health = await request(r.app).get("/health");
    expect(health.body).toEqual({ ok: true, received: 25 });
    r.reset();
    expect(r.counts).toEqual({ received: 0, valid: 0, invalid: 0, duplicates: 0 });
  });

  it("remembers the latest keys only, forgetting the oldest first", () => {
    const keys = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      keys.set(`k${i}`, i);
      forgetOldest(keys, 4);
    }
    expect([...keys.keys()]).toEqual(["k6", "k7", "k8", "k9"]);
    const set = new Set(["a", "b", "c"]);
    forgetOldest(set, 5);
    expect([...set]).toEqual(["a", "b", "c"]);
  });
});

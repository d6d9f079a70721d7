import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { Rng } from "../src/core/random.js";
import type { EncodedRequest } from "../src/core/vendor.js";
import type { PlannedRequest } from "../src/delivery/plan.js";
import { planFromOptions, runScenarios } from "../src/delivery/run.js";
import { createReceiver, type ReceivedRecord } from "../src/receiver/app.js";
import { eventTimeOf, parseEventTime } from "../src/receiver/inspector.js";
import { serve } from "../src/receiver/serve.js";
import { enreach } from "../src/vendors/enreach/index.js";
import { VENDORS } from "../src/vendors/registry.js";

/**
 * The live inspector of `pbxsim receive --ui`: its JSON and event-stream routes, the out-of-order
 * rule, and the page itself in headless Chromium, looked at the way a person would.
 */

const TOKEN = "s3cret";
const DAY = Date.UTC(2026, 0, 5);
const CHROMIUM = "/usr/bin/chromium";

/** A valid Enreach event, encoded with the token (or with `token` when given). */
function enreachRequest(name = "QueueCallInComing", seed = 1, token: string = TOKEN): EncodedRequest {
  const ev = enreach.sample(
    name,
    { rng: new Rng(seed), directory: enreach.directory(), profile: "default" },
    DAY,
  );
  return enreach.encode(ev, { profile: "default", url: "http://127.0.0.1/enreach", secret: token });
}

/** The body with some properties replaced, re-encoded compactly. */
function tamper<T extends EncodedRequest>(req: T, changes: Record<string, unknown>): T {
  const body = { ...(JSON.parse(req.body) as Record<string, unknown>), ...changes };
  return { ...req, body: JSON.stringify(body) };
}

/** The planned Enreach requests of one scenario, in due order. */
function enreachPlan(url = "http://127.0.0.1:1/enreach") {
  return planFromOptions({ scenarios: ["enreach/queue-answered"], url, token: TOKEN, seed: 7 }).plan.requests;
}

describe("the inspector's routes", () => {
  it("serve the records as JSON and are never recorded as deliveries", async () => {
    const rx = createReceiver({ vendors: VENDORS, token: TOKEN, ui: true });
    const req = enreachRequest();
    expect((await request(rx.app).post("/enreach").set(req.headers).send(req.body)).status).toBe(200);

    const res = await request(rx.app).get("/_pbxsim/records");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(rx.records)));
    expect((res.body as ReceivedRecord[])[0]).toMatchObject({
      vendor: "enreach",
      event: "QueueCallInComing",
      valid: true,
      auth: "ok",
      outOfOrder: false,
    });
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    const since = await request(rx.app).get("/_pbxsim/records?since=0");
    expect(since.body).toEqual([]);

    // webhook-looking requests to the inspector's path are refused, not taken for Enreach's
    const posted = await request(rx.app).post("/_pbxsim/").set(req.headers).send(req.body);
    expect(posted.status).toBe(405);
    expect((await request(rx.app).post("/_pbxsim/records").set(req.headers).send(req.body)).status).toBe(405);
    expect((await request(rx.app).get("/_pbxsim/nothing-here").set(req.headers)).status).toBe(404);
    const redirect = await request(rx.app).get("/_pbxsim?vendor=enreach");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe("/_pbxsim/?vendor=enreach");
    expect((await request(rx.app).get("/_pbxsim/")).status).toBe(200);
    expect(rx.records).toHaveLength(1);
  });

  it("exist only with the ui option", async () => {
    const rx = createReceiver({ vendors: VENDORS });
    const res = await request(rx.app).get("/_pbxsim/records");
    expect(res.status).toBe(404);
    expect(rx.records).toHaveLength(1);
  });

  it("serve a self-contained page: no outside resources, a strict content security policy", async () => {
    const rx = createReceiver({ vendors: VENDORS, ui: true });
    const res = await request(rx.app).get("/_pbxsim/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    const html = res.text;
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(img|iframe)\b/i);
    // the one link is an empty icon, so the browser asks no one for /favicon.ico
    expect(html.match(/<link\b[^>]*>/gi)).toEqual(['<link rel="icon" href="data:,">']);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain('data-testid="filter-vendor"');
    const csp = res.headers["content-security-policy"] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[^']+'/);
    expect(csp).not.toContain("unsafe-inline");
  });

  it("stream a snapshot, then each new record, as server-sent events", async () => {
    const rx = await serve({ vendors: VENDORS, ui: true, port: 0, token: TOKEN });
    const abort = new AbortController();
    try {
      const first = enreachRequest("QueueCallInComing", 1);
      await fetch(`${rx.url}/enreach`, { method: "POST", headers: first.headers, body: first.body });
      const res = await fetch(`${rx.url}/_pbxsim/events`, { signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      /** The next event of the stream, skipping comments and retry hints. */
      const next = async (): Promise<{ event: string; data: unknown }> => {
        for (;;) {
          const end = buffer.indexOf("\n\n");
          if (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event && data) return { event, data: JSON.parse(data) };
            continue;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error("the event stream ended");
          buffer += value;
        }
      };
      const snapshot = await next();
      expect(snapshot.event).toBe("snapshot");
      expect(snapshot.data).toMatchObject({ total: 1, records: [{ seq: 0, event: "QueueCallInComing" }] });

      const second = enreachRequest("QueueCallInArrived", 2);
      await fetch(`${rx.url}/enreach`, { method: "POST", headers: second.headers, body: second.body });
      const live = await next();
      expect(live.event).toBe("record");
      expect(live.data).toEqual(JSON.parse(JSON.stringify(rx.records[1])));
      expect(live.data).toMatchObject({
        seq: 1,
        vendor: "enreach",
        event: "QueueCallInArrived",
        valid: true,
      });
    } finally {
      abort.abort();
      await rx.close();
    }
  });
});

describe("out-of-order marking", () => {
  it("marks an event whose call already had a later event, and nothing else", async () => {
    const rx = createReceiver({ vendors: VENDORS, token: TOKEN });
    const [a, b, c] = enreachPlan().filter((r) => JSON.parse(r.body).CallId !== undefined);
    for (const r of [a!, c!, b!, c!])
      await request(rx.app).post("/enreach").set(r.headers).send(r.body).expect(200);
    expect(rx.records.map((r) => [r.event, r.outOfOrder, r.duplicate])).toEqual([
      [a!.event, false, false],
      [c!.event, false, false],
      [b!.event, true, false],
      // a repeat of the latest event is a duplicate, not late
      [c!.event, false, true],
    ]);
  });

  it("is not moved by deliveries that failed auth or validation, and resets with the receiver", async () => {
    const rx = createReceiver({ vendors: VENDORS, token: TOKEN });
    const [a, b] = enreachPlan().filter((r) => JSON.parse(r.body).CallId !== undefined);
    const forged = { ...b!, headers: { ...b!.headers, "x-benemen-token": "wrong" } };
    await request(rx.app).post("/enreach").set(forged.headers).send(forged.body).expect(401);
    const broken = tamper(b!, { QueueId: 42 });
    await request(rx.app).post("/enreach").set(broken.headers).send(broken.body).expect(422);
    await request(rx.app).post("/enreach").set(a!.headers).send(a!.body).expect(200);
    expect(rx.records.map((r) => r.outOfOrder)).toEqual([false, false, false]);
    await request(rx.app).post("/enreach").set(b!.headers).send(b!.body).expect(200);
    rx.reset();
    await request(rx.app).post("/enreach").set(a!.headers).send(a!.body).expect(200);
    expect(rx.records.map((r) => r.outOfOrder)).toEqual([false]);
  });

  it("reads each vendor's own time field and tolerates missing or odd ones", () => {
    expect(parseEventTime("2026-01-05T08:00:01.2301234")).toBeCloseTo(
      Date.UTC(2026, 0, 5, 8, 0, 1, 230) + 0.1234,
      3,
    );
    expect(parseEventTime("2026-01-05 08:00:01.5")).toBe(Date.UTC(2026, 0, 5, 8, 0, 1, 500));
    expect(parseEventTime("2026-01-05T10:00:00+02:00")).toBe(Date.UTC(2026, 0, 5, 8));
    expect(parseEventTime("1767596400609")).toBe(1767596400609);
    expect(parseEventTime("1767596400")).toBe(1767596400000);
    expect(parseEventTime("9999-01-01 00:00:00.000000")).toBeUndefined();
    for (const odd of [undefined, null, "", "soon", {}, [], Number.NaN])
      expect(parseEventTime(odd)).toBeUndefined();

    expect(eventTimeOf("enreach", { Timestamp: "2026-01-05T08:00:01" })).toBe(Date.UTC(2026, 0, 5, 8, 0, 1));
    const created = "2026-01-05 07:00:00.000000";
    expect(
      eventTimeOf("voipbin", { data: { tm_create: created, tm_update: "9999-01-01 00:00:00.000000" } }),
    ).toBe(Date.UTC(2026, 0, 5, 7));
    expect(eventTimeOf("voipbin", { data: { tm_create: created, tm_update: null } })).toBe(
      Date.UTC(2026, 0, 5, 7),
    );
    expect(eventTimeOf("voipbin", { data: { tm_update: "2026-01-05T07:00:02.5Z" } })).toBe(
      Date.UTC(2026, 0, 5, 7, 0, 2, 500),
    );
    expect(eventTimeOf("webitel", { timestamp: "1767596400609" })).toBe(1767596400609);
    expect(eventTimeOf("3cx", { Id: "1" })).toBeUndefined();
    expect(eventTimeOf("acefone", { start_stamp: "2026-01-05 12:30:00" })).toBeUndefined();
    for (const body of [undefined, null, "text", 42, { data: "x" }]) {
      expect(eventTimeOf("enreach", body)).toBeUndefined();
      expect(eventTimeOf("voipbin", body)).toBeUndefined();
    }
  });
});

/** The values of one attribute over every element a selector matches. */
function attrs(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return page.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);
}

function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

/** Count of events a person can see right now. */
function visibleEvents(page: Page): Promise<number> {
  return page.locator('[data-testid="event"]:visible').count();
}

describe("the inspector page in a browser", () => {
  it("shows every delivery grouped by vendor and call, filters them and updates live", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the inspector's browser test`,
      );
    }
    const started = Date.now();
    const rx = await serve({ vendors: VENDORS, ui: true, port: 0, token: TOKEN });
    const profile = mkdtempSync(join(tmpdir(), "pbxsim-chromium-"));
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        timeout: 15_000,
        viewport: { width: 1280, height: 900 },
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(8_000);
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));

      await page.goto(`${rx.url}/_pbxsim/`);
      await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
      await page.getByTestId("empty").waitFor({ state: "visible", timeout: 5000 });
      await page.evaluate(() => {
        (globalThis as { loadedOnce?: boolean }).loadedOnce = true;
      });

      // five vendors' calls, delivered while the page is open
      const scenarios: [string, string][] = [
        ["enreach", "enreach/queue-answered"],
        ["voipbin", "voipbin/queue-answered"],
        ["3cx", "3cx/inbound-queue-answered"],
        ["acefone", "acefone/inbound-ivr-answered"],
        ["webitel", "webitel/inbound-queue-answered"],
      ];
      let enreachRequests: PlannedRequest[] = [];
      for (const [vendor, scenario] of scenarios) {
        const run = await runScenarios({
          scenarios: [scenario],
          url: `${rx.url}/${vendor}`,
          token: TOKEN,
          speed: "max",
          seed: 7,
        });
        expect(run.summary.delivered, scenario).toBe(run.summary.events);
        if (vendor === "enreach") enreachRequests = run.plan.requests;
      }
      const send = (r: EncodedRequest) =>
        fetch(`${rx.url}/enreach`, { method: "POST", headers: r.headers, body: r.body });
      // one duplicate: the call's last event once more
      const callEvents = enreachRequests.filter((r) => JSON.parse(r.body).CallId !== undefined);
      const repeated = callEvents.at(-1)!;
      expect((await send(repeated)).status).toBe(200);
      // one invalid delivery, carrying markup that must stay text
      const markup = `<script>globalThis.pwned = 1</script><img src=x onerror="globalThis.pwned = 2">`;
      const invalid = tamper(enreachRequest("QueueCallInComing", 99), { QueueId: 42, CallerNumber: markup });
      expect((await send(invalid)).status).toBe(422);
      // one with the wrong token
      const forged = enreachRequest("QueueCallInComing", 98, "not-the-token");
      expect((await send(forged)).status).toBe(401);

      const total = rx.records.length;
      await page.locator(`[data-testid="counts"][data-total="${total}"]`).waitFor();

      // the page's own requests are not deliveries
      expect(rx.records.filter((r) => r.vendor === null || r.path.startsWith("/_pbxsim"))).toEqual([]);

      // a group per vendor, in the receiver's order
      expect(await attrs(page, '[data-testid="vendor-group"]', "data-vendor")).toEqual(
        VENDORS.map((v) => v.id),
      );
      expect(await texts(page, '[data-testid="vendor-name"]')).toEqual(VENDORS.map((v) => v.displayName));

      // a group per call: exactly the calls the receiver saw, plus "no call id" where events carry none
      for (const v of VENDORS) {
        const calls = await attrs(page, `[data-vendor="${v.id}"] [data-testid="call-group"]`, "data-call-id");
        const expected = new Set(rx.records.filter((r) => r.vendor === v.id).map((r) => r.callId ?? ""));
        expect(new Set(calls), v.id).toEqual(expected);
        expect(calls, v.id).toHaveLength(expected.size);
      }
      const enreachNoCall = page.locator(
        '[data-vendor="enreach"] [data-testid="call-group"][data-call-id=""]',
      );
      await expect(enreachNoCall.locator("h3").textContent()).resolves.toBe("no call id");

      // a call's timeline lists its events in arrival order
      const enreachCall = JSON.parse(callEvents[0]!.body).CallId as string;
      const callGroup = page.locator(`[data-testid="call-group"][data-call-id="${enreachCall}"]`);
      const enreachNames = await texts(page, `[data-call-id="${enreachCall}"] [data-testid="event-name"]`);
      expect(enreachNames).toEqual(
        rx.records.filter((r) => r.vendor === "enreach" && r.callId === enreachCall).map((r) => r.event),
      );
      expect(enreachNames.slice(0, 2)).toEqual(["QueueCallInComing", "QueueCallInArrived"]);
      const webitelNames = await texts(page, '[data-vendor="webitel"] [data-testid="event-name"]');
      expect(webitelNames).toEqual(["joined", "offering", "bridged", "processing", "leaving"]);
      await expect(callGroup.getByTestId("auth").first().textContent()).resolves.toBe("token ok");
      await expect(
        page.locator('[data-vendor="webitel"] [data-testid="auth"]').first().textContent(),
      ).resolves.toBe("auth not checked");

      // the invalid delivery: highlighted, with its schema issue in plain sight
      const bad = page.locator('[data-testid="event"][data-valid="false"][data-status="422"]');
      await expect(bad.count()).resolves.toBe(1);
      await expect(bad.getByTestId("validation").textContent()).resolves.toBe("invalid");
      await bad.getByTestId("issues").waitFor({ state: "visible", timeout: 5000 });
      await expect(bad.getByTestId("issues").textContent()).resolves.toContain("QueueId");
      expect(await bad.evaluate((el) => el.classList.contains("invalid"))).toBe(true);
      const issueColors = await bad
        .getByTestId("issues")
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor);
      expect(issueColors).not.toBe("rgba(0, 0, 0, 0)");

      // clicking it shows the headers and the body, as text, pretty-printed
      await bad.locator("summary").click();
      const body = bad.getByTestId("event-body");
      await body.waitFor({ state: "visible", timeout: 5000 });
      const bodyText = (await body.textContent()) ?? "";
      expect(bodyText).toContain(markup.replace(/"/g, '\\"'));
      expect(bodyText).toMatch(/^\{\n {2}"/);
      expect(await bad.locator("script, img").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
      await expect(bad.getByTestId("event-headers").textContent()).resolves.toContain("x-benemen-event");
      await expect(bad.getByTestId("event-headers").textContent()).resolves.not.toContain(TOKEN);

      // the duplicate: badged, on the repeated event of its call
      const dupes = page.locator('[data-testid="badge-duplicate"]');
      await expect(dupes.count()).resolves.toBe(1);
      const dupeEvent = callGroup.locator('[data-testid="event"][data-duplicate="true"]');
      await expect(dupeEvent.getAttribute("data-event")).resolves.toBe(repeated.event);
      await dupeEvent.getByTestId("badge-duplicate").waitFor({ state: "visible", timeout: 5000 });
      const refused = page.locator('[data-testid="event"][data-auth="bad"]');
      await expect(refused.count()).resolves.toBe(1);
      await expect(refused.getByTestId("auth").textContent()).resolves.toBe("token bad");

      // filters narrow the list
      await expect(visibleEvents(page)).resolves.toBe(total);
      await page.getByTestId("filter-vendor").selectOption("webitel");
      await expect(visibleEvents(page)).resolves.toBe(5);
      expect(await page.locator('[data-testid="vendor-group"]:visible').count()).toBe(1);
      await page.getByTestId("filter-event").fill("bridg");
      await expect(visibleEvents(page)).resolves.toBe(1);
      await page.getByTestId("filter-vendor").selectOption("");
      await page.getByTestId("filter-event").fill("queuecallin");
      await expect(visibleEvents(page)).resolves.toBe(
        rx.records.filter((r) => /QueueCallIn/.test(r.event ?? "")).length,
      );
      await page.getByTestId("filter-clear").click();
      const byOutcome: [string, number][] = [
        ["invalid", rx.records.filter((r) => !r.valid).length],
        ["auth-failed", 1],
        ["duplicates", 1],
        ["valid", rx.records.filter((r) => r.valid).length],
      ];
      for (const [outcome, n] of byOutcome) {
        await page.getByTestId("filter-outcome").selectOption(outcome);
        await expect(visibleEvents(page), outcome).resolves.toBe(n);
      }
      await page.getByTestId("filter-outcome").selectOption("out-of-order");
      await expect(visibleEvents(page)).resolves.toBe(0);
      await page.getByTestId("no-match").waitFor({ state: "visible", timeout: 5000 });
      await page.getByTestId("filter-clear").click();
      await expect(visibleEvents(page)).resolves.toBe(total);

      // a later delivery appears without a reload: an older event of the call, new id → out of order
      const late = tamper(callEvents[1]!, { Id: randomUUID() });
      expect((await send(late)).status).toBe(200);
      const lastOfCall = callGroup.locator('[data-testid="event"]').last();
      await page.locator(`[data-testid="counts"][data-total="${total + 1}"]`).waitFor();
      await expect(lastOfCall.getAttribute("data-event")).resolves.toBe(callEvents[1]!.event);
      await lastOfCall.getByTestId("badge-out-of-order").waitFor({ state: "visible", timeout: 5000 });
      await expect(lastOfCall.getByTestId("badge-duplicate").count()).resolves.toBe(0);
      expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);

      await page.getByTestId("filter-outcome").selectOption("out-of-order");
      await expect(visibleEvents(page)).resolves.toBe(1);
      await page.getByTestId("filter-clear").click();

      mkdirSync("test-artifacts", { recursive: true });
      await page.screenshot({ path: "test-artifacts/inspector.png", fullPage: true });
      expect(pageErrors).toEqual([]);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await context?.close();
      await rx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

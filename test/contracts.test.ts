import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { MatchersV3, MessageConsumerPact, PactV4 } from "@pact-foundation/pact";
import { afterAll, describe, expect, it } from "vitest";
import { missingFieldHandler, wrongStatus } from "../examples/defective-receivers.js";
import { createReferenceReceiver } from "../examples/reference-receiver/server.js";
import { CONTRACTS_DIR, staleContracts, verifyMessagePacts, verifyReceiver } from "../src/contracts/pact.js";
import { selfSignedCertificate } from "../src/receiver/serve.js";
import { VENDORS } from "../src/vendors/registry.js";

/** Pact contracts: generated, committed, kept fresh, and verified against real receivers both ways. */

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(app: RequestListener): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("contracts/", () => {
  it("holds a Pact V4 file for every vendor and profile, the vendor as consumer and the receiver as provider", () => {
    const files = readdirSync(CONTRACTS_DIR).sort();
    const expected = VENDORS.flatMap((v) => v.profiles.map((p) => `${v.id}-${p}.json`)).sort();
    expect(files).toEqual(expected);
    const enreach = JSON.parse(readFileSync(join(CONTRACTS_DIR, "enreach-default.json"), "utf8"));
    expect(enreach.metadata.pactSpecification.version).toBe("4.0");
    expect(enreach.provider.name).toBe("webhook-receiver");
    expect(enreach.interactions).toHaveLength(34);
    const connected = enreach.interactions.find((i: { description: string }) =>
      i.description.endsWith("QueueCallInUserConnected"),
    );
    // exact where Enreach does not vary, generous where it does, exactly 200 back
    expect(connected.request.headers["x-benemen-event"]).toEqual(["QueueCallInUserConnected"]);
    expect(connected.request.matchingRules.body["$.EventType"].matchers[0].match).toBe("equality");
    expect(connected.request.matchingRules.body["$.Timestamp"].matchers[0].match).toBe("regex");
    expect(connected.response.status).toBe(200);
    expect(connected.response.matchingRules).toBeUndefined();
    expect(connected.providerStates[0].name).toMatch(/^call [0-9a-f-]{36} is known$/);
    // vendors that accept any 2xx say so with a status-code matcher
    const voipbin = JSON.parse(readFileSync(join(CONTRACTS_DIR, "voipbin-current.json"), "utf8"));
    expect(voipbin.interactions[0].response.matchingRules.status.$.matchers[0]).toMatchObject({
      match: "statusCode",
      status: "success",
    });
    // one interaction per event and wire format
    const acefone = JSON.parse(readFileSync(join(CONTRACTS_DIR, "acefone-acefone.json"), "utf8"));
    expect(
      acefone.interactions.some((i: { description: string }) => i.description.includes("GET query")),
    ).toBe(true);
    expect(
      acefone.interactions.some((i: { description: string }) => i.description.includes("POST form")),
    ).toBe(true);
  });

  it("are not stale: regenerating them from the schemas and builders gives the committed bytes", async () => {
    expect(await staleContracts()).toEqual([]);
  }, 60_000);
});

describe("pbxsim verify (Pact verifier against a live receiver)", () => {
  it("the reference receiver passes every interaction of every vendor", async () => {
    const base = await listen(createReferenceReceiver({ enreachToken: "s3cret", voipbinSecret: "k3y" }));
    const results = [
      ...(await verifyReceiver({ url: `${base}/enreach`, vendors: ["enreach"], token: "s3cret" })),
      ...(await verifyReceiver({
        url: `${base}/voipbin`,
        vendors: ["voipbin"],
        profile: "current",
        secret: "k3y",
      })),
      ...(await verifyReceiver({ url: `${base}/3cx`, vendors: ["3cx"] })),
      ...(await verifyReceiver({ url: `${base}/acefone`, vendors: ["acefone"] })),
      ...(await verifyReceiver({ url: `${base}/webitel`, vendors: ["webitel"] })),
    ];
    expect(results.length).toBeGreaterThan(150);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 60_000);

  it("a receiver that answers 201 fails Enreach's exactly-200 rule, naming the status", async () => {
    const base = await listen(wrongStatus({ enreachToken: "s3cret" }));
    const results = await verifyReceiver({ url: `${base}/enreach`, vendors: ["enreach"], token: "s3cret" });
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(results[0]!.detail).toMatch(/200.*201|201.*200/);
  }, 30_000);

  it("a receiver without a handler for one event fails that interaction only, naming it", async () => {
    const base = await listen(missingFieldHandler({ enreachToken: "s3cret" }, "CallbackChanged"));
    const results = await verifyReceiver({ url: `${base}/enreach`, vendors: ["enreach"], token: "s3cret" });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.description)).toEqual(["Enreach (Benemen) CallbackChanged"]);
    expect(failed[0]!.detail).toMatch(/500/);
  }, 30_000);

  it("without the token the request filter would add, the receiver's 401s fail the verification", async () => {
    const base = await listen(createReferenceReceiver({ enreachToken: "s3cret" }));
    const results = await verifyReceiver({ url: `${base}/enreach`, vendors: ["enreach"] });
    expect(results.every((r) => !r.ok && /401/.test(r.detail))).toBe(true);
  }, 90_000);
});

describe("pbxsim verify-messages (a receiver team's own message pacts)", () => {
  async function messagePact(dir: string, description: string, content: Record<string, unknown>) {
    const pact = new MessageConsumerPact({
      consumer: "crm-receiver",
      provider: "pbxsim",
      dir,
      logLevel: "error",
    });
    await pact
      .expectsToReceive(description)
      .withContent(content)
      .verify(async () => undefined);
    return join(
      dir,
      readdirSync(dir).find((f) => f.endsWith(".json"))!,
    );
  }

  it("passes when the receiver's expectations hold for real vendor payloads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-msg-"));
    const file = await messagePact(dir, "a QueueCallInArrived event", {
      EventType: "QueueCallInArrived",
      CallId: MatchersV3.uuid("9cae633f-68d0-4315-8b9a-b83c7673d8dc"),
      QueueName: MatchersV3.string("Sample queue"),
    });
    const results = await verifyMessagePacts([file]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ vendor: "enreach", ok: true });
  }, 30_000);

  it("fails, naming the message, when the receiver expects a field the vendor never sends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-msg-"));
    const file = await messagePact(dir, "a QueueCallInArrived event", {
      EventType: "QueueCallInArrived",
      CallerName: MatchersV3.string("Jane"),
    });
    const results = await verifyMessagePacts([file]);
    expect(results[0]).toMatchObject({ ok: false, description: "a QueueCallInArrived event" });
    expect(results[0]!.detail).toMatch(/CallerName/);
  }, 30_000);

  /** A V4 pact of asynchronous messages from `provider`, as pact-js writes it. */
  async function v4MessagePact(provider: string, messages: [string, Record<string, unknown>][]) {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-msg4-"));
    const pact = new PactV4({ consumer: "crm-receiver", provider, dir, logLevel: "error" });
    for (const [description, content] of messages)
      await pact
        .addAsynchronousInteraction()
        .expectsToReceive(description, (b) => b.withJSONContent(content))
        .executeTest(async () => undefined);
    return join(
      dir,
      readdirSync(dir).find((f) => f.endsWith(".json"))!,
    );
  }

  it("finds the event in the message's contents, judges each message alone, and takes --profile", async () => {
    const { like, integer } = MatchersV3;
    const file = await v4MessagePact("voipbin", [
      // no event in the description: the contents name it
      ["a call ends", { type: "call_hangup", data: like({ id: like("x"), hangup_reason: like("normal") }) }],
      // the verifier's failure of the first must not reach the second, whose name ends it
      ["a call_created event", { type: "call_created", data: like({ caller_name: like("Jane") }) }],
      ["call_created", { type: "call_created", data: like({ id: like("x") }) }],
      // the current generation counts the service time; the legacy one does not send it
      ["queuecall_done", { type: "queuecall_done", data: like({ duration_service: integer(1000) }) }],
    ]);
    const verdicts = (rs: { description: string; ok: boolean; profile: string }[]) =>
      Object.fromEntries(rs.map((r) => [r.description, `${r.profile} ${r.ok ? "pass" : "fail"}`]));
    expect(verdicts(await verifyMessagePacts([file], { profile: "current" }))).toEqual({
      "a call ends": "current pass",
      "a call_created event": "current fail",
      call_created: "current pass",
      queuecall_done: "current pass",
    });
    // without --profile an event takes the first profile that sends it
    expect(verdicts(await verifyMessagePacts([file]))).toMatchObject({
      "a call ends": "current pass",
      call_created: "legacy pass",
    });
    const legacy = await verifyMessagePacts([file], { profile: "legacy" });
    expect(verdicts(legacy)).toEqual({
      "a call ends": "legacy fail",
      "a call_created event": "legacy fail",
      call_created: "legacy pass",
      queuecall_done: "legacy fail",
    });
    expect(legacy.find((r) => r.description === "a call ends")!.detail).toBe(
      "voipbin legacy does not send call_hangup (it is sent by current)",
    );
    expect(legacy.find((r) => r.description === "queuecall_done")!.detail).toMatch(/duration_service/);
    await expect(verifyMessagePacts([file], { profile: "nope" })).rejects.toThrow(/--profile nope/);
  }, 60_000);

  it("names a pact file that is not JSON with the line of the mistake, apart from one it cannot read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-msgpact-"));
    const broken = join(dir, "broken.json");
    writeFileSync(
      broken,
      '{\n  "consumer": { "name": "crm" },\n  "messages": [\n    { "description": "x" }\n  ]\n  "metadata": {}\n}\n',
    );
    await expect(verifyMessagePacts([broken])).rejects.toThrow(
      /broken\.json:6: the pact file is not valid JSON \(/,
    );
    await expect(verifyMessagePacts([join(dir, "none.json")])).rejects.toThrow(
      /none\.json: cannot read the pact file \(ENOENT\)/,
    );
  });
});

describe("the CLI", () => {
  const BIN = resolve(__dirname, "..", "bin", "pbxsim.js");
  const run = promisify(execFile);

  it("pbxsim verify --json reports every interaction and exits 0 for a conforming receiver", async () => {
    const base = await listen(createReferenceReceiver({ enreachToken: "s3cret" }));
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-junit-"));
    const junit = join(dir, "pact.xml");
    const r = await run(
      process.execPath,
      [
        BIN,
        "verify",
        "--url",
        `${base}/enreach`,
        "--vendor",
        "enreach",
        "--token",
        "s3cret",
        "--json",
        "--junit",
        junit,
      ],
      {
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ passed: 34, failed: 0 });
    expect(readFileSync(junit, "utf8")).toMatch(/<testsuite [^>]*tests="34"[^>]*failures="0"/);
  }, 60_000);

  it("pbxsim verify --header adds the receiver's own API key to every request, as a 3CX receiver needs", async () => {
    // 3CX sends no auth of its own: this receiver wants the key its owner configured
    const reference = createReferenceReceiver({});
    const base = await listen((req, res) => {
      if (req.headers["x-api-key"] !== "k-123") {
        res.writeHead(401).end();
        return;
      }
      reference(req, res);
    });
    const verify = (...more: string[]) =>
      run(process.execPath, [BIN, "verify", "--url", `${base}/3cx`, "--vendor", "3cx", "--json", ...more], {
        env: { ...process.env, NO_COLOR: "1" },
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const without = await verify();
    expect(without.code).toBe(1);
    const refused = JSON.parse(without.stdout) as { passed: number; failed: number };
    expect(refused.passed).toBe(0);
    // once for the vendor, whichever of its profiles was refused
    expect(without.stderr.split("\n").filter((l) => l.startsWith("hint:"))).toEqual([
      'hint: every event was answered 401: 3cx sends no credentials of its own, so the receiver checks one its admin configures: give it with --header "Authorization: …" (or the header it wants), or a ?token=… in --url.',
    ]);
    const withKey = await verify("--header", "X-Api-Key: k-123");
    expect(withKey.code).toBe(0);
    expect(withKey.stderr).not.toContain("hint:");
    expect(JSON.parse(withKey.stdout)).toMatchObject({ passed: refused.failed, failed: 0 });
    // a header that would break the request is refused before anything is sent
    const bad = await verify("--header", "X-Api-Key k-123");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--header "X-Api-Key k-123"/);
  }, 90_000);

  it("pbxsim check runs the battery, writes JUnit and exits 1 when a check fails", async () => {
    const good = await listen(createReferenceReceiver({ enreachToken: "s3cret" }));
    const bad = await listen(wrongStatus({ enreachToken: "s3cret" }));
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-check-"));
    const ok = await run(
      process.execPath,
      [
        BIN,
        "check",
        "--url",
        `${good}/enreach`,
        "--vendor",
        "enreach",
        "--token",
        "s3cret",
        "--json",
        "--junit",
        join(dir, "check.xml"),
      ],
      {
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    expect(JSON.parse(ok.stdout)).toMatchObject({ vendor: "enreach", failed: 0 });
    expect(readFileSync(join(dir, "check.xml"), "utf8")).toMatch(/<testsuite /);
    const failed = await run(
      process.execPath,
      [BIN, "check", "--url", `${bad}/enreach`, "--vendor", "enreach", "--token", "s3cret"],
      {
        env: { ...process.env, NO_COLOR: "1" },
      },
    ).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toMatch(/FAIL .*[\s\S]*201/);
  }, 60_000);

  it("pbxsim verify says at once when the receiver cannot be reached or is not trusted, and trusts --ca", async () => {
    const verify = (args: string[]) =>
      run(process.execPath, [BIN, "verify", "--vendor", "webitel", ...args], {
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 50_000,
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    // nothing listening: one message, not a verifier waiting 30 s on each interaction
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    // and the last JUnit report stays as it was, for verify and check alike
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-ca-"));
    const junit = join(dir, "last.xml");
    writeFileSync(junit, "<testsuites/>\n");
    const refused = await verify(["--url", `http://127.0.0.1:${port}/webitel`, "--junit", junit]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /--url http:\/\/127\.0\.0\.1:\d+: the receiver cannot be reached: connection refused/,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const check = await run(process.execPath, [
      BIN,
      "check",
      "--url",
      `http://127.0.0.1:${port}/`,
      "--vendor",
      "webitel",
      "--junit",
      junit,
    ]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(check).toMatchObject({
      code: 1,
      stdout: "",
      stderr: expect.stringMatching(/^pbxsim: --url .*cannot be reached: connection refused.*\n$/),
    });
    expect(readFileSync(junit, "utf8")).toBe("<testsuites/>\n");

    // a self-signed certificate: refused with the way out, then trusted through --ca
    const { cert, key } = await selfSignedCertificate();
    const tls = createHttpsServer({ cert, key }, createReferenceReceiver({}));
    servers.push(tls as unknown as Server);
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    const https = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/webitel`;
    const untrusted = await verify(["--url", https]);
    expect(untrusted.code).toBe(4);
    expect(untrusted.stderr).toMatch(
      /certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); pass --insecure/,
    );
    writeFileSync(join(dir, "ca.pem"), cert);
    const trusted = await verify(["--url", https, "--ca", join(dir, "ca.pem"), "--json"]);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ passed: 7, failed: 0 });

    // a receiver that goes away during the run: the run's error, not a hang
    const resets = await listen((req) => req.socket.destroy());
    const reset = await verify(["--url", `${resets}/webitel`]);
    expect(reset.code).toBe(1);
    expect(reset.stderr).toMatch(/the receiver stopped answering during the verification: connection reset/);
  }, 120_000);
});

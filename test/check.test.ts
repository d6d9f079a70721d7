import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express } from "express";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  crashesOnForm,
  malformedGives500,
  missingFieldHandler,
  rejectsDuplicates,
  tokenNotChecked,
  tooSlow,
  wrongStatus,
} from "../examples/defective-receivers.js";
import { createReferenceReceiver, main, type StoredEvent } from "../examples/reference-receiver/server.js";
import { type CheckResult, runChecks } from "../src/check/battery.js";
import { summaryLine, toJUnit } from "../src/check/junit.js";
import { credentialsHint } from "../src/cli/contracts-commands.js";
import { selfSignedCertificate } from "../src/receiver/serve.js";

/**
 * `pbxsim check` against real loopback servers: the reference receiver passes every check for
 * every vendor and profile, and each receiver with a planted defect fails on the rule it breaks.
 */

const TOKEN = "s3cret-token";
const SECRET = "whsec-voipbin";

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function listen(app: Express): Promise<string> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function failed(results: CheckResult[]): CheckResult[] {
  return results.filter((r) => !r.ok);
}

function explain(results: CheckResult[]): string {
  return failed(results)
    .map((r) => `${r.id}: ${r.detail}`)
    .join("\n");
}

describe.concurrent("the reference receiver", () => {
  const cases: { vendor: string; profile: string; options?: Record<string, string> }[] = [
    { vendor: "enreach", profile: "default" },
    { vendor: "voipbin", profile: "legacy" },
    { vendor: "voipbin", profile: "current" },
    { vendor: "3cx", profile: "k2m-json" },
    { vendor: "3cx", profile: "form" },
    { vendor: "acefone", profile: "acefone" },
    { vendor: "acefone", profile: "smartflo" },
    { vendor: "acefone", profile: "acefone", options: { content_type: "form" } },
    { vendor: "webitel", profile: "default" },
  ];

  it.each(cases)("passes every check for $vendor $profile $options", async ({ vendor, profile, options }) => {
    // legacy VoIPBIN signs nothing, so a legacy receiver has no secret configured
    const app = createReferenceReceiver({
      enreachToken: TOKEN,
      voipbinSecret: profile === "legacy" ? undefined : SECRET,
    });
    const base = await listen(app);
    const results = await runChecks({
      url: `${base}/${vendor}`,
      vendor,
      profile,
      token: vendor === "enreach" ? TOKEN : undefined,
      secret: vendor === "voipbin" ? SECRET : undefined,
      options,
      seed: 7,
    });
    expect(explain(results)).toBe("");
    const ids = results.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(["malformed", "duplicate", "out-of-order"]));
    expect(ids.filter((id) => id.startsWith("event:")).length).toBeGreaterThan(3);
    const skipped = results.filter((r) => r.skipped).map((r) => r.id);
    if (vendor === "enreach" || profile === "current") {
      expect(ids).toEqual(expect.arrayContaining(["auth:missing", "auth:wrong"]));
    } else {
      expect(skipped).toContain("auth");
      expect(results.find((r) => r.id === "auth")?.detail).toBe("vendor has no auth");
    }
    expect(skipped.filter((id) => id !== "auth" && id !== "event:session-call-answered")).toEqual([]);
    for (const r of results) expect(r.rule.length).toBeGreaterThan(20);
    // it stored each event once, duplicates included
    const events = app.locals.events as StoredEvent[];
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.key)).size).toBe(events.length);
  });

  it("skips the auth checks when no token is given", async () => {
    const base = await listen(createReferenceReceiver({}));
    const results = await runChecks({ url: `${base}/enreach`, vendor: "enreach" });
    expect(failed(results)).toEqual([]);
    const auth = results.find((r) => r.id === "auth")!;
    expect(auth.skipped).toBe(true);
    expect(auth.detail).toMatch(/no --token given/);
  });

  it("says what is likely missing when every event is refused with 401 and no credentials were given", async () => {
    const base = await listen(createReferenceReceiver({ enreachToken: TOKEN, voipbinSecret: SECRET }));
    const enreach = await runChecks({ url: `${base}/enreach`, vendor: "enreach" });
    expect(
      enreach.filter((r) => r.id.startsWith("event:") && !r.skipped).every((r) => r.status === 401),
    ).toBe(true);
    expect(credentialsHint(enreach, "enreach", undefined, false)).toMatch(
      /^every event was answered 401 and no --token was given: the receiver likely wants enreach's X-Benemen-Token; pass it with --token T\.$/,
    );
    // with a token given, or events accepted, there is nothing to hint
    expect(credentialsHint(enreach, "enreach", undefined, true)).toBeUndefined();
    const ok = await runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN });
    expect(credentialsHint(ok, "enreach", undefined, false)).toBeUndefined();
    const voipbin = await runChecks({ url: `${base}/voipbin`, vendor: "voipbin", profile: "current" });
    expect(credentialsHint(voipbin, "voipbin", "current", false)).toMatch(/no --secret was given/);
  });

  it("checks a vendor without auth of its own through the secret header its admin configures (--header)", async () => {
    // a 3CX receiver that wants its own bearer token in front of the reference receiver
    const guarded = express();
    guarded.use((req, res, next) =>
      req.headers.authorization === "Bearer k3y" ? next() : res.status(401).end(),
    );
    guarded.use(createReferenceReceiver({}));
    const base = await listen(guarded);
    const without = await runChecks({ url: `${base}/3cx`, vendor: "3cx" });
    expect(credentialsHint(without, "3cx", undefined, false)).toMatch(
      /3cx sends no credentials of its own, so the receiver checks one its admin configures: give it with --header "Authorization: …"/,
    );
    const results = await runChecks({
      url: `${base}/3cx`,
      vendor: "3cx",
      headers: { authorization: "Bearer k3y" },
    });
    expect(explain(results)).toBe("");
    const auth = results.filter((r) => r.id.startsWith("auth:"));
    expect(auth.map((r) => [r.id, r.ok])).toEqual([
      ["auth:missing", true],
      ["auth:wrong", true],
    ]);
    expect(auth[0]!.name).toBe("3cx/k2m-json rejects a missing authorization");
    expect(auth[1]!.detail).toMatch(/^answered 401 to a request with a wrong authorization/);
    // a receiver that does not check it fails both
    const open = await listen(createReferenceReceiver({}));
    const lax = await runChecks({
      url: `${open}/3cx`,
      vendor: "3cx",
      headers: { authorization: "Bearer k3y" },
    });
    expect(
      failed(lax)
        .map((r) => r.id)
        .sort(),
    ).toEqual(["auth:missing", "auth:wrong"]);
  });
});

describe.concurrent("receivers with a planted defect", () => {
  it("wrongStatus: 201 fails Enreach's exactly-200 rule", async () => {
    const base = await listen(wrongStatus({ enreachToken: TOKEN }));
    const results = await runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN });
    const bad = failed(results);
    expect(bad.map((r) => r.id)).toEqual(expect.arrayContaining(["event:UserCallInComing", "duplicate"]));
    const ev = bad.find((r) => r.id.startsWith("event:"))!;
    expect(ev.detail).toContain("201");
    expect(ev.detail).toContain("exactly 200");
    // the auth checks still pass: the defect is only the success status
    expect(bad.map((r) => r.id)).not.toContain("auth:missing");
    expect(bad.map((r) => r.id)).not.toContain("auth:wrong");
  });

  it("tokenNotChecked: a wrong token and a wrong signature get in", async () => {
    const base = await listen(tokenNotChecked({ enreachToken: TOKEN, voipbinSecret: SECRET }));
    const [enreach, voipbin] = await Promise.all([
      runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN }),
      runChecks({ url: `${base}/voipbin`, vendor: "voipbin", profile: "current", secret: SECRET }),
    ]);
    expect(failed(enreach).map((r) => r.id)).toEqual(["auth:missing", "auth:wrong"]);
    expect(enreach.find((r) => r.id === "auth:wrong")!.detail).toContain("wrong token accepted");
    expect(enreach.find((r) => r.id === "auth:missing")!.detail).toContain("missing token accepted");
    expect(failed(voipbin).map((r) => r.id)).toEqual(["auth:missing", "auth:wrong"]);
    expect(voipbin.find((r) => r.id === "auth:wrong")!.detail).toContain("wrong signature accepted");
  });

  it("crashesOnForm: fails 3CX's form scheme and Acefone's form option, not JSON", async () => {
    const base = await listen(crashesOnForm());
    const [form, json, acefoneForm] = await Promise.all([
      runChecks({ url: `${base}/3cx`, vendor: "3cx", profile: "form" }),
      runChecks({ url: `${base}/3cx`, vendor: "3cx", profile: "k2m-json" }),
      runChecks({ url: `${base}/acefone`, vendor: "acefone", options: { content_type: "form" } }),
    ]);
    expect(failed(json)).toEqual([]);
    for (const results of [form, acefoneForm]) {
      const bad = failed(results);
      expect(bad.map((r) => r.id)).toEqual(
        expect.arrayContaining(["malformed", "duplicate", "out-of-order"]),
      );
      expect(bad.find((r) => r.id === "malformed")!.detail).toMatch(
        /answered 500 .*must get a 4xx, not a 5xx/,
      );
      expect(bad.find((r) => r.id.startsWith("event:"))!.detail).toContain("answered 500");
    }
  });

  it("tooSlow: 1.5 s fails Webitel's 1 s timeout", async () => {
    const base = await listen(tooSlow());
    const results = await runChecks({ url: `${base}/webitel`, vendor: "webitel" });
    const events = results.filter((r) => r.id.startsWith("event:"));
    expect(events.length).toBe(7);
    for (const r of events) {
      expect(r.ok).toBe(false);
      expect(r.detail).toContain("timeout");
      expect(r.detail).toContain("1 s");
    }
    expect(results.find((r) => r.id === "malformed")!.detail).toContain("timeout");
  });

  it("rejectsDuplicates: 409 on the repeat fails the duplicate check only", async () => {
    const base = await listen(rejectsDuplicates({ enreachToken: TOKEN }));
    const results = await runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN });
    expect(failed(results).map((r) => r.id)).toEqual(["duplicate"]);
    expect(failed(results)[0]!.detail).toMatch(/second delivery \(same bytes\): answered 409/);
  });

  it("missingFieldHandler: 500 on CallbackChanged fails that event only", async () => {
    const base = await listen(missingFieldHandler({ enreachToken: TOKEN }));
    const results = await runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN });
    expect(failed(results).map((r) => r.id)).toEqual(["event:CallbackChanged"]);
    expect(failed(results)[0]!.detail).toContain("answered 500");
  });

  it("malformedGives500: fails the malformed check only", async () => {
    const base = await listen(malformedGives500({ enreachToken: TOKEN, voipbinSecret: SECRET }));
    const [enreach, voipbin] = await Promise.all([
      runChecks({ url: `${base}/enreach`, vendor: "enreach", token: TOKEN }),
      runChecks({ url: `${base}/voipbin`, vendor: "voipbin", profile: "current", secret: SECRET }),
    ]);
    for (const results of [enreach, voipbin]) {
      expect(failed(results).map((r) => r.id)).toEqual(["malformed"]);
      expect(failed(results)[0]!.detail).toMatch(/answered 500 to truncated JSON.*must get a 4xx, not a 5xx/);
    }
  });

  it("an Enreach answer with a body fails: Enreach wants 200 and nothing else", async () => {
    const app = express();
    app.post("/enreach", (_req, res) => {
      res.status(200).json({ ok: true });
    });
    app.all("/{*path}", (_req, res) => {
      res.status(400).end();
    });
    const base = await listen(app);
    const results = await runChecks({ url: `${base}/enreach`, vendor: "enreach" });
    const ev = results.find((r) => r.id === "event:QueueCallInComing")!;
    expect(ev.ok).toBe(false);
    expect(ev.detail).toContain("answered 200 with a 11-byte body");
    expect(ev.detail).toContain("no body");
  });

  it("a redirect on the webhook URL: VoIPBIN follows it without the body, and the check says so", async () => {
    const app = express();
    app.post("/voipbin", (_req, res) => res.redirect(301, "/voipbin/"));
    const base = await listen(app);
    const results = await runChecks({
      url: `${base}/voipbin`,
      vendor: "voipbin",
      profile: "current",
      secret: SECRET,
    });
    const events = failed(results).filter((r) => r.id.startsWith("event:"));
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]!.detail).toMatch(
      /answered 301 to \/voipbin\/: VoIPBIN \(current\) follows it with GET and no body, so the event reaches that URL without its body/,
    );
  });

  it("HTTPS with a self-signed certificate: refused at once unless insecure or its CA is given", async () => {
    const { cert, key } = await selfSignedCertificate();
    const server = createHttpsServer({ cert, key }, createReferenceReceiver());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/3cx`;
    await expect(runChecks({ url, vendor: "3cx" })).rejects.toMatchObject({
      code: "TLS",
      message: expect.stringMatching(/TLS: the receiver's certificate is not trusted .*--insecure/),
    });
    expect(failed(await runChecks({ url, vendor: "3cx", insecure: true }))).toEqual([]);
    const ca = join(mkdtempSync(join(tmpdir(), "pbxsim-ca-")), "ca.pem");
    writeFileSync(ca, cert);
    expect(failed(await runChecks({ url, vendor: "3cx", ca }))).toEqual([]);
  });

  it("nothing listening: one error that says so, not the same failure for every check", async () => {
    const base = await listen(createReferenceReceiver());
    await servers.pop()!.close();
    await expect(runChecks({ url: `${base}/3cx`, vendor: "3cx" })).rejects.toMatchObject({
      code: "DELIVERY",
      message: expect.stringMatching(/the receiver cannot be reached: connection refused/),
    });
  });
});

describe("JUnit output", () => {
  const results: CheckResult[] = [
    {
      id: "event:A",
      name: "enreach accepts A",
      vendor: "enreach",
      event: "A",
      rule: "r",
      ok: true,
      detail: "answered 200",
      durationMs: 3,
    },
    {
      id: "event:B",
      name: "enreach accepts B <&>",
      vendor: "enreach",
      event: "B",
      rule: "Enreach counts only exactly 200",
      ok: false,
      detail: `answered 201: "exactly 200" & <no body>\u0001`,
      durationMs: 5,
    },
    {
      id: "auth",
      name: "auth",
      vendor: "enreach",
      rule: "r",
      ok: true,
      skipped: true,
      detail: "vendor has no auth",
      durationMs: 0,
    },
  ];

  it("has the right counts and escapes text", () => {
    const xml = toJUnit("pbxsim check", results);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).toMatch(/<testsuites name="pbxsim check" tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml).toMatch(/<testsuite name="pbxsim check" tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<\/testcase>/g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml.match(/<skipped /g)).toHaveLength(1);
    expect(xml).toContain('message="answered 201: &quot;exactly 200&quot; &amp; &lt;no body&gt;"');
    expect(xml).toContain('name="enreach accepts B &lt;&amp;&gt;"');
    expect(xml).not.toContain("\u0001");
    // every element is closed: strip text and attributes, then the tags balance
    const tags = [...xml.replace(/<\?xml[^>]*\?>/, "").matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)];
    const stack: string[] = [];
    for (const [, close, name, self] of tags) {
      if (self) continue;
      if (close) expect(stack.pop()).toBe(name);
      else stack.push(name!);
    }
    expect(stack).toEqual([]);
  });

  it("summarises a run in one line", () => {
    expect(summaryLine(results)).toBe("3 checks: 1 passed, 1 failed, 1 skipped: event:B");
  });
});

describe("the reference receiver's main", () => {
  it("listens on PORT at 127.0.0.1 with the token from the environment", async () => {
    const server = await main({ PORT: "0", ENREACH_TOKEN: TOKEN });
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });
    const { address, port } = server.address() as AddressInfo;
    expect(address).toBe("127.0.0.1");
    const results = await runChecks({
      url: `http://127.0.0.1:${port}/enreach`,
      vendor: "enreach",
      token: TOKEN,
    });
    expect(explain(results)).toBe("");
  });

  it("`npm run example:receiver` starts it from a clone, as README says", async () => {
    const child = spawn("npm", ["run", "-s", "example:receiver"], {
      env: { ...process.env, PORT: "0", ENREACH_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        let errors = "";
        child.stdout.on("data", (d: Buffer) => {
          text += String(d);
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
          if (m) resolve(m[1]!);
        });
        child.stderr.on("data", (d: Buffer) => (errors += String(d)));
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${errors}`)));
      });
      const results = await runChecks({ url: `${url}/enreach`, vendor: "enreach", token: TOKEN });
      expect(explain(results)).toBe("");
    } finally {
      // npm runs node under a shell: end the whole group
      process.kill(-child.pid!, "SIGTERM");
    }
  }, 60_000);

  it("`npm run example:receiver` on a port in use, or with a PORT that is not one, says so in one line and exits 1", async () => {
    const busy = await main({ PORT: "0" });
    servers.push({
      close: () => new Promise<void>((resolve) => busy.close(() => resolve())),
    });
    const { port } = busy.address() as AddressInfo;
    for (const [PORT, said] of [
      [
        String(port),
        `reference receiver: 127.0.0.1:${port} is already in use: stop what listens there or set PORT to a free port (PORT=0 picks one).`,
      ],
      [
        "80a",
        "reference receiver: PORT=80a is not a port: give a number from 0 to 65535 (0 picks a free one).",
      ],
    ]) {
      const r = spawnSync("npm", ["run", "-s", "example:receiver"], {
        env: { ...process.env, PORT },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 1, stderr: said });
    }
  }, 60_000);

  it("the example CI workflow's pbxsim steps pass against it, run as written", async () => {
    const workflow = parseYaml(
      readFileSync(fileURLToPath(new URL("../examples/ci/pbxsim-contracts.yml", import.meta.url)), "utf8"),
    ) as { jobs: { contracts: { env: Record<string, string>; steps: { name?: string; run?: string }[] } } };
    const job = workflow.jobs.contracts;
    const steps = job.steps.filter((step) => step.name?.startsWith("pbxsim") && step.run);
    expect(steps.map((step) => step.name)).toEqual([
      "pbxsim verify (the Enreach contract)",
      "pbxsim check (the Enreach conformance battery)",
    ]);
    const base = await listen(createReferenceReceiver({ enreachToken: job.env.ENREACH_TOKEN }));
    // the job's working directory, and an npx that runs this checkout's pbxsim only when told not to install
    const dir = mkdtempSync(join(tmpdir(), "pbxsim-workflow-"));
    mkdirSync(join(dir, "shim"));
    writeFileSync(
      join(dir, "shim", "npx"),
      `#!/bin/sh\n[ "$1" = "--no-install" ] && [ "$2" = "pbxsim" ] || { echo "npx would fetch: $*" >&2; exit 127; }\nshift 2\nexec "${process.execPath}" "${fileURLToPath(new URL("../bin/pbxsim.js", import.meta.url))}" "$@"\n`,
      { mode: 0o755 },
    );
    const env = {
      ...process.env,
      ...job.env,
      // the job's receiver listens on 8080; this one on a free port
      RECEIVER_URL: job.env.RECEIVER_URL!.replace("http://127.0.0.1:8080", base),
      PATH: `${join(dir, "shim")}:${process.env.PATH}`,
      PACT_DO_NOT_TRACK: "true",
      NO_COLOR: "1",
    };
    for (const step of steps) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn("bash", ["-e", "-c", step.run!], {
          cwd: dir,
          env,
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += String(d)));
        child.on("exit", (code) => resolve({ code, stderr }));
      });
      expect(r.code, `${step.name}: ${r.stderr}`).toBe(0);
    }
    for (const report of ["reports/pact.xml", "reports/check.xml"]) {
      const xml = readFileSync(join(dir, report), "utf8");
      expect(xml).toMatch(/<testsuites[^>]* tests="[1-9]\d*"/);
      expect(xml).toMatch(/<testsuites[^>]* failures="0"/);
    }
  }, 120_000);
});

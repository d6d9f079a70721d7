import { createPrivateKey } from "node:crypto";
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { selfSignedCertificate } from "../src/receiver/serve.js";

/** The command line end to end: the compiled bin, real processes, real sockets on loopback. */

const BIN = resolve(__dirname, "..", "bin", "pbxsim.js");
const run = promisify(execFile);

async function cli(args: string[], opts: { timeout?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      timeout: opts.timeout ?? 20_000,
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

function noStack(stderr: string) {
  expect(stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
}

const tmp = () => mkdtempSync(join(tmpdir(), "pbxsim-cli-"));
/** Where the bad-input cases point their outputs, should one ever be written. */
const SCRATCH = tmp();
/** A load of one call to a port where nothing listens: the bad-input cases stop it before it starts. */
const LOAD_ONE = ["load", "enreach/queue-answered", "--url", "http://127.0.0.1:9/", "--calls", "1"];

/** A loopback port nothing listens on (it was free a moment ago). */
const closedPort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });

/** Starts `pbxsim receive` and resolves with its URL once it listens. */
function startReceiver(args: string[]): Promise<{ url: string; stop: () => Promise<string> }> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, [BIN, "receive", "--port", "0", ...args], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        resolveStart({
          url: m[1]!,
          stop: () =>
            new Promise((done) => {
              child.on("exit", () => done(stdout));
              child.kill("SIGINT");
            }),
        });
      }
    });
    child.on("exit", (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
  });
}

describe("pbxsim CLI", () => {
  it("--help lists the commands", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["list", "send", "run", "receive", "demo"]) expect(r.stdout).toContain(`pbxsim ${c}`);
  });

  it("every command's --help says what each of its options does", async () => {
    const top = (await cli(["--help"])).stdout;
    const commands = [...top.matchAll(/^ {2}pbxsim ([a-z-]+(?: [a-z-]+)?)/gm)].map((m) => m[1]!.split(" "));
    expect(commands.length).toBeGreaterThanOrEqual(12);
    const helps = await Promise.all(commands.map((c) => cli([...c, "--help"])));
    const bare: string[] = [];
    for (const [i, h] of helps.entries()) {
      expect(h.code).toBe(0);
      for (const line of h.stdout.split("\n")) {
        const m = /^\s+(?:-\w, )?--([a-z-]+)\s+\[(?:(?:string|number|boolean|array)\]|choices:)/.exec(line);
        if (m && m[1] !== "version") bare.push(`${commands[i]!.join(" ")} --${m[1]}`);
      }
    }
    expect(bare).toEqual([]);
  });

  it("lists vendors, scenarios and events, also as JSON", async () => {
    const v = await cli(["list", "vendors", "--json"]);
    const vendors = JSON.parse(v.stdout) as { id: string; success: string }[];
    expect(vendors.map((x) => x.id)).toContain("enreach");
    // a vendor whose profiles deliver by different rules shows each
    expect(Object.fromEntries(vendors.map((x) => [x.id, x.success]))).toMatchObject({
      enreach: "only 200",
      voipbin: "legacy any status, current 100-499",
      acefone: "200-299",
    });
    const s = await cli(["list", "scenarios", "--vendor", "enreach", "--json"]);
    const ids = JSON.parse(s.stdout).map((x: { id: string }) => x.id);
    for (const name of [
      "queue-answered",
      "queue-missed",
      "queue-overflow-callback",
      "callback-lifecycle",
      "queue-transfer",
      "user-direct-answered",
      "user-direct-unanswered",
      "outbound-answered",
      "outbound-unanswered",
      "availability-change",
    ]) {
      expect(ids).toContain(`enreach/${name}`);
    }
    const e = await cli(["list", "events", "--vendor", "enreach", "--json"]);
    expect(JSON.parse(e.stdout)).toHaveLength(34);
  });

  it("run expands a quoted pattern of scenario files as a shell would, and names one that matches nothing", async () => {
    const dir = tmp();
    const builtin = resolve(__dirname, "..", "scenarios", "enreach");
    for (const name of ["queue-answered.yaml", "queue-missed.yaml"])
      copyFileSync(join(builtin, name), join(dir, name));
    writeFileSync(join(dir, ".hidden.yaml"), "not: a scenario\n");
    const r = await cli(["run", join(dir, "queue-*.yaml"), "--dry-run", "--calls", "1", "--seed", "1"]);
    expect(r.code).toBe(0);
    const scenarios = new Set(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { scenario: string }).scenario),
    );
    expect([...scenarios].sort()).toEqual(["enreach/queue-answered", "enreach/queue-missed"]);
    const everything = await cli(["run", join(dir, "*.yaml"), "--dry-run", "--calls", "1", "--seed", "1"]);
    expect(everything.code).toBe(0);
    const none = await cli(["run", join(dir, "callback-*.yaml"), "--dry-run"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe(
      `pbxsim: ${join(dir, "callback-*.yaml")}: no scenario file matches this pattern; check the directory and the name\n`,
    );
  });

  it("run --dry-run --seed prints the same bytes twice, one NDJSON line per request", async () => {
    const a = await cli(["run", "enreach/*", "--dry-run", "--seed", "7"]);
    const b = await cli(["run", "enreach/*", "--dry-run", "--seed", "7"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = a.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(50);
    expect(Object.keys(lines[0])).toEqual([
      "seq",
      "at",
      "vendor",
      "profile",
      "scenario",
      "call",
      "event",
      "method",
      "url",
      "headers",
      "body",
    ]);
    lines.forEach((l, i) => {
      expect(l.seq).toBe(i);
      if (i > 0) expect(l.at).toBeGreaterThanOrEqual(lines[i - 1].at);
    });
    const c = await cli(["run", "enreach/*", "--dry-run", "--seed", "8"]);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it("without --seed prints the seed that repeats the run", async () => {
    const a = await cli(["run", "enreach/queue-answered", "--dry-run"]);
    const m = /--seed (\d+) --start (\S+)\)/.exec(a.stderr);
    expect(m).not.toBeNull();
    const b = await cli(["run", "enreach/queue-answered", "--dry-run", "--seed", m![1]!, "--start", m![2]!]);
    expect(b.stdout).toBe(a.stdout);
  });

  it("dry run shows the token (its job is the exact request)", async () => {
    const r = await cli([
      "run",
      "enreach/outbound-answered",
      "--dry-run",
      "--seed",
      "1",
      "--token",
      "s3cret",
      "--url",
      "https://127.0.0.1:9/x",
    ]);
    expect(JSON.parse(r.stdout.split("\n")[0]!).headers["x-benemen-token"]).toBe("s3cret");
  });

  it("3cx form: GET query strings appended to the user's own query, repeatable", async () => {
    const args = [
      "run",
      "3cx/*",
      "--profile",
      "form",
      "--dry-run",
      "--seed",
      "4",
      "--url",
      "https://127.0.0.1:9/h?key=abc",
      "--option",
      "fqdn=pbx.acme.test",
    ];
    const a = await cli(args);
    const b = await cli(args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = a.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(
      lines.every(
        (l) => l.method === "GET" && l.url.startsWith("https://127.0.0.1:9/h?key=abc&") && l.body === "",
      ),
    ).toBe(true);
    expect(lines.some((l) => l.url.includes("event=hangupincoming"))).toBe(true);
    expect(
      lines
        .filter((l) => l.event === "recording")
        .every(
          (l) =>
            l.url.endsWith(".mp3") && l.url.includes("?key=abc&https://pbx.acme.test:5001/webapi/recording/"),
        ),
    ).toBe(true);
  });

  it("schema all gives every vendor's JSON Schema document, keyed by vendor, as schema <vendor> does", async () => {
    const all = await cli(["schema", "all"]);
    expect(all.code).toBe(0);
    const docs = JSON.parse(all.stdout) as Record<string, { $schema: string }>;
    expect(Object.keys(docs)).toEqual(["enreach", "voipbin", "3cx", "acefone", "webitel"]);
    const one = await cli(["schema", "webitel"]);
    expect(docs.webitel).toEqual(JSON.parse(one.stdout));
    const bad = await cli(["schema", "all", "QueueCallInComing"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/schema all: an event or a --profile belongs to one vendor/);
  });

  it("send picks the profile that has the event (hangupincoming is form-only)", async () => {
    const r = await cli(["send", "3cx", "hangupincoming", "--dry-run", "--seed", "1"]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout);
    expect(line.profile).toBe("form");
    expect(line.url).toMatch(
      /\?event=hangupincoming&callerid=420\d{9}&user=\d+&did=DID-420222000320&trtype=NotDef&id=\d{12}_\d+-1$/,
    );
  });

  it("send sends the request the vendor's settings shape (--option), as run does", async () => {
    const args = [
      "--dry-run",
      "--seed",
      "1",
      "--option",
      "content_type=form",
      "--option",
      "date_format=epoch",
    ];
    const r = await cli(["send", "acefone", "call-hangup", ...args]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout);
    expect(line.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const body = new URLSearchParams(line.body);
    expect(body.get("start_stamp")).toMatch(/^\d{10}$/);
    const webitel = await cli([
      "send",
      "webitel",
      "joined",
      "--dry-run",
      "--option",
      'headers={"X-Source":"flow"}',
    ]);
    expect(JSON.parse(webitel.stdout).headers).toMatchObject({
      "x-source": "flow",
      "user-agent": "Go-http-client/1.1",
    });
  });

  it("send builds any event, applies --set and shows it with --dry-run", async () => {
    const r = await cli([
      "send",
      "enreach",
      "QueueCallInUserAllocated",
      "--dry-run",
      "--seed",
      "1",
      "--set",
      "CallerNumber=+358401234567",
    ]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout);
    const body = JSON.parse(line.body);
    expect(body.EventType).toBe("QueueCallInUserAllocated");
    expect(body.CallerNumber).toBe("+358401234567");
    expect(line.headers["x-benemen-event"]).toBe("QueueCallInUserAllocated");
  });

  it("send --set keeps a field's type: digits stay text in a text field, Field:=JSON forces a JSON value", async () => {
    const body = async (args: string[]) => {
      const r = await cli(["send", ...args, "--dry-run", "--seed", "1"]);
      expect(r.code).toBe(0);
      return { body: JSON.parse(JSON.parse(r.stdout).body), stderr: r.stderr };
    };
    // Acefone and Webitel send numbers as strings: a phone number or an id typed as digits stays one
    const acefone = await body(["acefone", "call-hangup", "--set", "call_to_number=918069010148"]);
    expect(acefone).toEqual({
      body: expect.objectContaining({ call_to_number: "918069010148" }),
      stderr: "",
    });
    const webitel = await body(["webitel", "joined", "--set", "queue_id=5", "--set", "member_id=77"]);
    expect(webitel.body).toMatchObject({ queue_id: "5", member_id: "77" });
    expect(webitel.stderr).toBe("");
    // a number field takes a number, null is null, and := says "this JSON, whatever the field holds"
    const enreach = await body([
      "enreach",
      "QueueStatus",
      "--set",
      "MaxWaitTime=7",
      "--set",
      "QueueName=null",
      "--set",
      "OrganizationId:=12",
    ]);
    expect(enreach.body).toMatchObject({ MaxWaitTime: 7, QueueName: null, OrganizationId: 12 });
    expect(enreach.stderr).toMatch(/no longer matches its schema/);
    const bad = await cli(["send", "enreach", "QueueStatus", "--dry-run", "--set", "MaxWaitTime:=seven"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--set "MaxWaitTime:=seven": "seven" is not JSON/);
    // a field the event does not have is added, with the one it most likely meant named
    const typo = await body(["acefone", "call-hangup", "--set", "hangup_caus=X"]);
    expect(typo.body).toMatchObject({ hangup_caus: "X" });
    expect(typo.stderr).toMatch(
      /^note: --set hangup_caus: call-hangup has no field "hangup_caus" \(did you mean hangup_cause\?\); it is added\.$/m,
    );
    // a new object on a dotted path is added the same way, told once; a text field is no object
    const deep = await body(["voipbin", "call_created", "--set", "data.sourc.x=1"]);
    expect(deep.body).toMatchObject({ data: { sourc: { x: 1 } } });
    expect(deep.stderr.split("\n").filter((l) => l.includes("has no field"))).toEqual([
      'note: --set data.sourc.x: call_created has no field "data.sourc" (did you mean source?); it is added.',
    ]);
    const text = await cli(["send", "voipbin", "call_created", "--dry-run", "--set", "data.id.x=1"]);
    expect(text.code).toBe(2);
    expect(text.stderr).toBe(
      `pbxsim: --set data.id.x: "data.id" in call_created holds a string, not an object; set it whole with --set data.id=… (or --set 'data.id:={…}' for JSON).\n`,
    );
  });

  it("send checks the request it sends, as a receiver reads it: a sample is quiet, a --set that breaks it is told", async () => {
    // Acefone's dates take their configured format only when encoded: the raw sample is not what is checked
    for (const event of ["call-answered-by-agent", "call-hangup", "dialer-disposition-updated"]) {
      const r = await cli(["send", "acefone", event, "--dry-run", "--seed", "1"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
    }
    const bad = await cli([
      "send",
      "acefone",
      "call-answered-by-agent",
      "--dry-run",
      "--seed",
      "1",
      "--set",
      "caller_id_number=abc",
    ]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain(
      "note: with --set the call-answered-by-agent request no longer matches its schema: caller_id_number: expected a phone number of digits",
    );
    const good = await cli(["send", "3cx", "hangupincoming", "--dry-run", "--set", "callerid=420777123456"]);
    expect(good.stderr).toBe("");
  });

  it("a secret a vendor does not send is told, not dropped without a word: send and run", async () => {
    const threecx = await cli(["send", "3cx", "dialing", "--dry-run", "--token", "abc"]);
    expect(threecx.code).toBe(0);
    expect(threecx.stdout).not.toContain("abc");
    expect(threecx.stderr).toBe(
      "note: 3cx sends no token or signature of its own, so --token/--secret is not sent; protect its endpoint as its users do, with --header or a key in the URL.\n",
    );
    const legacy = await cli(["send", "voipbin", "call_created", "--dry-run", "--secret", "abc"]);
    expect(legacy.stderr).toContain("note: voipbin legacy signs nothing, so its secret is not sent;");
    const current = await cli([
      "send",
      "voipbin",
      "call_created",
      "--dry-run",
      "--secret",
      "abc",
      "--profile",
      "current",
    ]);
    expect(current.stderr).toBe("");
    expect(current.stdout).toContain('"x-voipbin-signature":"sha256=');
    // a mix: Enreach uses the token, the others are named in one line
    const mix = await cli([
      "run",
      "enreach/queue-answered",
      "3cx/outbound-answered",
      "webitel/task-queue",
      "--url",
      "https://hooks.example.com/",
      "--token",
      "abc",
      "--calls",
      "1",
      "--seed",
      "1",
      "--dry-run",
    ]);
    expect(mix.code).toBe(0);
    expect(mix.stderr.split("\n").filter((l) => l.includes("not sent"))).toEqual([
      "note: 3cx and webitel send no token or signature of their own, so --token/--secret is not sent to them; protect their endpoints as their users do, with --header or a key in the URL.",
    ]);
    expect(mix.stdout).toContain('"x-benemen-token":"abc"');
  });

  it("send tells each failed attempt as it ends, with the wait before the next, and an interrupt ends the wait", async () => {
    // every attempt is refused, and Enreach retries after 5 s, 30 s, 2 m
    const closed = await closedPort();
    const child = spawn(
      process.execPath,
      [BIN, "send", "enreach", "UserCallInComing", "--url", `http://127.0.0.1:${closed}/enreach`],
      { env: { ...process.env, NO_COLOR: "1" } },
    );
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const waiting = new Promise<void>((done) =>
      child.stderr.on("data", (d) => {
        stderr += d;
        if (stderr.includes("next attempt in")) done();
      }),
    );
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    await waiting;
    // told before the 5 s wait, not after every retry
    expect(stderr).toMatch(
      /attempt 1: error: connection refused \(ECONNREFUSED\).* in [\d.]+ms; next attempt in 5s \(enreach's retry schedule: 5s, 30s, 2m; --retry-schedule none sends once\)/,
    );
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("interrupted: no further attempt");
    // the interrupt came during the wait: one attempt, no second
    expect(stdout).toMatch(/UserCallInComing → error: connection refused .*FAILED\n/);
    noStack(stderr);
  });

  it("run tells a retry that makes it wait a second or more as it is scheduled, per request", async () => {
    const closed = await closedPort();
    // at speed 100 a 100 s retry wait is 1 s of real time
    const args = ["run", "enreach/queue-answered", "--url", `http://127.0.0.1:${closed}/enreach`];
    const r = await cli([...args, "--speed", "100", "--retry-schedule", "100s", "--seed", "1"]);
    expect(r.code).toBe(1);
    const told = r.stderr.split("\n").filter((l) => l.includes("next attempt in"));
    expect(told).toHaveLength(14);
    expect(told[0]).toMatch(
      /^#0 call 1 enreach QueueCallInComing: attempt 1: error: connection refused \(ECONNREFUSED\).* in [\d.]+ms; next attempt in 1s$/,
    );
    expect(r.stdout).toContain("failed 14");
    // retries that do not make the run wait are not told
    const fast = await cli([...args, "--speed", "max", "--retry-schedule", "100s", "--seed", "1"]);
    expect(fast.stderr).not.toContain("next attempt in");
    expect(fast.stdout).toContain("failed 14");
  });

  it("secrets in the URL's query, a header and the signing key reach no output but the dry run", async () => {
    const rx = await startReceiver(["--secret", "SIGNKEY-5", "--record", join(tmp(), "rx.ndjson")]);
    const dir = tmp();
    const f = (n: string) => join(dir, n);
    const url = `${rx.url}/voipbin?token=QUERYSECRET-4&tenant=t1`;
    const common = ["--profile", "current", "--url", url, "--secret", "SIGNKEY-5"];
    const hdr = ["--header", "Authorization: Bearer HEADERSECRET-3"];
    const outputs: string[] = [];
    try {
      const run = await cli([
        "run",
        "voipbin/queue-answered",
        ...common,
        ...hdr,
        "--speed",
        "max",
        "--seed",
        "1",
        "--record",
        f("rec.ndjson"),
        "--out",
        f("out.json"),
        "--truth",
        f("truth.ndjson"),
      ]);
      expect(run.code).toBe(0);
      // real VoIPBIN refuses loopback targets: the note names the URL, its secret redacted
      expect(run.stderr).toContain("voipbin?token=[redacted]&tenant=t1: real VoIPBIN refuses");
      const load = await cli([
        "load",
        "voipbin/queue-answered",
        ...common,
        ...hdr,
        "--rate",
        "5/s",
        "--calls",
        "2",
        "--speed",
        "max",
        "--record",
        f("lrec.ndjson"),
        "--report",
        f("rep.json"),
        "--html",
        f("rep.html"),
        "--stats-file",
        f("st.ndjson"),
      ]);
      expect(load.code).toBe(0);
      const replay = await cli(["replay", f("rec.ndjson"), ...common.slice(2)]);
      expect(replay.code).toBe(0);
      const remote = await cli([
        "load",
        "voipbin/queue-answered",
        "--url",
        "http://10.0.0.1/x?token=QUERYSECRET-4",
        "--rate",
        "1/s",
        "--calls",
        "1",
      ]);
      expect(remote.code).toBe(2);
      expect(remote.stderr).toContain("http://10.0.0.1/x?token=[redacted]: not a loopback address");
      outputs.push(...[run, load, replay, remote].flatMap((r) => [r.stdout, r.stderr]));
      const rec = readFileSync(f("rec.ndjson"), "utf8");
      expect(rec).toContain("token=[redacted]&tenant=t1");
      for (const n of [
        "rec.ndjson",
        "out.json",
        "truth.ndjson",
        "lrec.ndjson",
        "rep.json",
        "rep.html",
        "st.ndjson",
      ])
        outputs.push(readFileSync(f(n), "utf8"));
    } finally {
      const rxOut = await rx.stop();
      outputs.push(rxOut);
    }
    // the receiver's own lines show the path with the query secret redacted
    expect(outputs.at(-1)).toMatch(/POST \/voipbin\?token=\[redacted\]&tenant=t1 voipbin /);
    for (const o of outputs) {
      expect(o).not.toMatch(/QUERYSECRET|HEADERSECRET|SIGNKEY/);
    }
    // the dry run is the one output that shows them
    const dry = await cli(["run", "voipbin/queue-answered", ...common, ...hdr, "--dry-run", "--seed", "1"]);
    expect(dry.stdout).toContain("token=QUERYSECRET-4");
    expect(dry.stdout).toContain("Bearer HEADERSECRET-3");
  });

  it("delivers every Enreach scenario live to `pbxsim receive --https --token`, refuses the self-signed certificate without --insecure, and dead-letters 204s", async () => {
    const caFile = join(tmp(), "ca.pem");
    const rx = await startReceiver(["--https", "--token", "s3cret", "--cert-out", caFile]);
    try {
      // the certificate it wrote is what a sender trusts with --ca: checks stay on
      expect(readFileSync(caFile, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
      const play = (scenario: string, ...flags: string[]) =>
        cli([
          "run",
          scenario,
          "--url",
          `${rx.url}/enreach`,
          "--token",
          "s3cret",
          "--speed",
          "max",
          "--seed",
          "3",
          ...flags,
        ]);
      const trusted = await play("enreach/outbound-answered", "--ca", caFile);
      expect(trusted.stderr).not.toMatch(/TLS|certificate|insecure/);
      expect(trusted.code).toBe(0);

      const ok = await play("enreach/*", "--insecure", "--json");
      expect(ok.code).toBe(0);
      const s = JSON.parse(ok.stdout);
      expect(s.failed).toBe(0);
      expect(s.delivered).toBe(s.events);
      expect(ok.stderr).toContain("real Enreach delivers to port 443 only");

      const refused = await cli([
        "run",
        "enreach/outbound-answered",
        "--url",
        rx.url,
        "--token",
        "s3cret",
        "--speed",
        "max",
        "--retry-schedule",
        "none",
        "--seed",
        "3",
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); pass --insecure/,
      );
      noStack(refused.stderr);
    } finally {
      await rx.stop();
    }
    const rx204 = await startReceiver(["--status", "204", "--quiet"]);
    try {
      const dir = tmp();
      const dl = join(dir, "dead.ndjson");
      const r = await cli([
        "run",
        "enreach/outbound-answered",
        "--url",
        rx204.url,
        "--token",
        "s3cret",
        "--speed",
        "max",
        "--retry-schedule",
        "10ms,10ms",
        "--dead-letter",
        dl,
        "--seed",
        "3",
        "--json",
      ]);
      expect(r.code).toBe(1);
      const s = JSON.parse(r.stdout);
      expect(s.delivered).toBe(0);
      expect(s.retried).toBe(s.events * 2);
      const lines = readFileSync(dl, "utf8").trim().split("\n");
      expect(lines).toHaveLength(s.events);
      expect(JSON.parse(lines[0]!).lastStatus).toBe(204);
      expect(readFileSync(dl, "utf8")).not.toContain("s3cret");
    } finally {
      await rx204.stop();
    }
  });

  it("receive --record writes NDJSON without the secret", async () => {
    const dir = tmp();
    const rec = join(dir, "rec.ndjson");
    const rx = await startReceiver(["--token", "s3cret", "--record", rec, "--quiet"]);
    try {
      const r = await cli([
        "run",
        "enreach/queue-answered",
        "--url",
        rx.url,
        "--token",
        "s3cret",
        "--speed",
        "max",
        "--seed",
        "2",
        "--quiet",
      ]);
      expect(r.code).toBe(0);
    } finally {
      await rx.stop();
    }
    const text = readFileSync(rec, "utf8");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => l.valid && l.vendor === "enreach" && l.auth === "ok")).toBe(true);
    expect(text).not.toContain("s3cret");
  });

  it("a mix with one --url takes --token and --secret both, each vendor its own kind; load's dead letters replay as their profile", async () => {
    const rx = await startReceiver(["--token", "tok-1", "--secret", "sek-2", "--quiet"]);
    const dir = tmp();
    try {
      const both = ["--url", rx.url, "--token", "tok-1", "--secret", "sek-2", "--profile", "voipbin=current"];
      const mix = ["voipbin/queue-answered", "enreach/queue-answered"];
      const run = await cli(["run", ...mix, ...both, "--speed", "max", "--json", "--quiet"]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).statuses).toEqual({ 200: expect.any(Number) });
      const load = await cli([
        "load",
        ...mix,
        ...both,
        "--calls",
        "6",
        "--rate",
        "10/s",
        "--speed",
        "max",
        // a seed whose six calls hold both vendors (a random one draws a single vendor 1 time in 32)
        "--seed",
        "1",
        "--report",
        join(dir, "rep.json"),
      ]);
      expect(load.code).toBe(0);
      const rep = JSON.parse(readFileSync(join(dir, "rep.json"), "utf8"));
      expect(Object.keys(rep.statuses)).toEqual(["200"]);
      const vendors = new Set(
        Object.values(rep.byEvent as Record<string, { vendor: string }>).map((e) => e.vendor),
      );
      expect([...vendors].sort()).toEqual(["enreach", "voipbin"]);
      for (const [vendor, event] of [
        ["voipbin", "call_created"],
        ["enreach", "QueueStatus"],
      ]) {
        const send = await cli(["send", vendor!, event!, ...both]);
        expect(send.code).toBe(0);
      }
    } finally {
      await rx.stop();
    }
    // a receiver that fails everything: load's dead letters name each request's profile, so a
    // replay signs the VoIPBIN current ones again
    const failing = await startReceiver(["--status", "500", "--quiet"]);
    const dead = join(dir, "dead.ndjson");
    try {
      const load = await cli([
        "load",
        "voipbin/queue-answered",
        "--url",
        failing.url,
        "--profile",
        "current",
        "--secret",
        "sek-2",
        "--calls",
        "1",
        "--rate",
        "1/s",
        "--speed",
        "max",
        "--retry-schedule",
        "none",
        "--dead-letter",
        dead,
      ]);
      expect(load.code).toBe(0);
    } finally {
      await failing.stop();
    }
    const lines = readFileSync(dead, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.profile === "current" && l.scenario === "voipbin/queue-answered")).toBe(true);
    expect(readFileSync(dead, "utf8")).not.toContain("sek-2");
    const again = await startReceiver(["--secret", "sek-2", "--quiet"]);
    try {
      const replay = await cli(["replay", dead, "--url", again.url, "--secret", "sek-2", "--json"]);
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({
        delivered: lines.length,
        statuses: { 200: lines.length },
      });
      // a file written before lines named their profile: the redacted signature header tells it
      const older = join(dir, "older.ndjson");
      writeFileSync(older, lines.map(({ profile: _, ...l }) => JSON.stringify(l)).join("\n"));
      const replayOld = await cli(["replay", older, "--url", again.url, "--secret", "sek-2", "--json"]);
      expect(JSON.parse(replayOld.stdout)).toMatchObject({ statuses: { 200: lines.length } });
    } finally {
      await again.stop();
    }
  }, 60_000);

  it("demo runs with nothing else and exits 0, for any vendor, and leaves no temporary files", async () => {
    const own = tmp();
    const r = await cli(["demo", "--seed", "1"], { env: { TMPDIR: own } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("QueueCallInComing");
    expect(r.stdout).toMatch(/receiver: (\d+) received, \1 valid, 0 invalid/);
    const voipbin = await cli(["demo", "--vendor", "voipbin", "--seed", "1"], { env: { TMPDIR: own } });
    expect(voipbin.code).toBe(0);
    expect(voipbin.stdout).toContain("call_created");
    expect(voipbin.stdout).toMatch(/calls 5 .*\n.*\nreceiver: (\d+) received, \1 valid, 0 invalid/);
    expect(readdirSync(own)).toEqual([]);
  });

  describe("bad input: one clear message, a documented exit code, no stack trace", () => {
    const cases: [string, string[], number, RegExp][] = [
      [
        "unknown scenario",
        ["run", "enreach/nope", "--dry-run"],
        3,
        /no scenario matches "enreach\/nope".*pbxsim list scenarios/,
      ],
      [
        "scenarios of an unknown vendor",
        ["run", "acme/*", "--dry-run"],
        3,
        /no scenario matches "acme\/\*"\. "acme" is not a vendor; ids are vendor\/name with vendor one of 3cx, acefone, enreach, voipbin, webitel\. Run/,
      ],
      [
        "a part of a scenario id",
        ["run", "enreach/queue", "--dry-run"],
        3,
        /Did you mean enreach\/queue-answered, enreach\/queue-missed, enreach\/queue-overflow-callback, enreach\/queue-transfer, 3cx\/inbound-queue-answered\?/,
      ],
      [
        "a scenario id with a word left out",
        ["run", "acefone/inbound-answered", "--dry-run"],
        3,
        /no scenario matches "acefone\/inbound-answered"\. Did you mean acefone\/inbound-ivr-answered, /,
      ],
      [
        "a mistyped vendor",
        ["run", "enrech", "--dry-run"],
        3,
        /no scenario matches "enrech"\. Did you mean enreach\/\*\?/,
      ],
      [
        "a mistyped event",
        ["send", "enreach", "QueueCallInComming", "--dry-run"],
        2,
        /enreach has no event "QueueCallInComming"\. Did you mean QueueCallInComing, UserCallInComing\? Its events:/,
      ],
      [
        "a mistyped flag",
        ["run", "enreach/queue-answered", "--dryrun"],
        2,
        /^pbxsim: unknown flag --dryrun \(did you mean --dry-run\?\)\. Run pbxsim --help/m,
      ],
      [
        "a mistyped flag yargs also names in camelCase",
        ["load", "enreach/queue-answered", "--max-inflights", "3"],
        2,
        /^pbxsim: unknown flag --max-inflights \(did you mean --max-inflight\?\)\. Run/m,
      ],
      [
        "a word too many",
        ["list", "events", "acefone"],
        2,
        /^pbxsim: "acefone": an argument this command does not take \(a flag needs its --\)\. Run/m,
      ],
      [
        "a negative value after a space",
        ["run", "enreach/queue-answered", "--reorder", "-5ms"],
        2,
        /^pbxsim: -5ms: a value that starts with "-" must follow its flag after "=" \(--flag=-5ms\)\. Run/m,
      ],
      [
        "a value not among a flag's choices",
        ["schema", "all", "--format", "opnapi"],
        2,
        /^pbxsim: --format opnapi: not one of json-schema, openapi \(did you mean openapi\?\)\. Run/m,
      ],
      [
        "a word not among a command's choices",
        ["list", "scenario"],
        2,
        /^pbxsim: "scenario": not one of vendors, scenarios, events, directory \(did you mean scenarios\?\)\. Run/m,
      ],
      [
        "a word for a number",
        ["run", "enreach/queue-answered", "--dry-run", "--calls", "abc"],
        2,
        /^pbxsim: --calls abc: give a whole number of at least 1\.$/m,
      ],
      [
        "a mistyped profile",
        ["run", "voipbin/queue-answered", "--profile", "curent", "--dry-run"],
        2,
        /^pbxsim: --profile curent is not a profile of voipbin \(did you mean current\?\); its profiles are: legacy, current\.$/m,
      ],
      [
        "an option no vendor takes",
        ["run", "3cx/outbound-answered", "--dry-run", "--option", "fqnd=pbx.example.com"],
        2,
        /^pbxsim: --option fqnd=pbx\.example\.com: no vendor takes "fqnd" \(did you mean fqdn\?\); the options are: fqdn \(3cx\), /m,
      ],
      // it was an internal error (exit 70) when the first request was encoded
      [
        "a Webitel body template that is not JSON",
        ["run", "webitel/task-queue", "--dry-run", "--option", "template={bad"],
        2,
        /^pbxsim: --option template=\{bad: not JSON \(.+\); write a JSON object, e\.g\. '\{"event":"\$\{state\}"\}'\.$/m,
      ],
      [
        "a word for a status",
        ["receive", "--port", "0", "--status", "abc"],
        2,
        /^pbxsim: --status abc: give an HTTP status code from 100 to 599\.$/m,
      ],
      // it was taken as NaN, and every auth check then failed
      [
        "a word for a status to reject",
        ["check", "--url", "http://127.0.0.1:9/", "--vendor", "enreach", "--reject-status", "abc"],
        2,
        /^pbxsim: --reject-status abc: give an HTTP status code from 100 to 599/m,
      ],
      ["a mistyped command", ["lod"], 2, /^pbxsim: Did you mean load\? Run pbxsim --help/m],
      [
        "unknown vendor",
        ["send", "acme", "X", "--dry-run"],
        2,
        /unknown vendor "acme". The vendors are: .*enreach/,
      ],
      [
        "a mistyped --vendor",
        ["demo", "--vendor", "acefon"],
        2,
        /unknown vendor "acefon". Did you mean acefone\? The vendors are/,
      ],
      ["unknown event", ["send", "enreach", "Nope", "--dry-run"], 2, /enreach has no event "Nope"/],
      [
        "bad URL",
        ["run", "enreach/queue-answered", "--url", "not a url"],
        2,
        /--url: "not a url" is not a URL/,
      ],
      [
        "bad speed",
        ["run", "enreach/queue-answered", "--dry-run", "--speed", "fast"],
        2,
        /--speed fast: give a positive number/,
      ],
      [
        "bad seed",
        ["run", "enreach/queue-answered", "--dry-run", "--seed", "-3"],
        2,
        /--seed -3: give a whole number/,
      ],
      [
        "bad header",
        ["run", "enreach/queue-answered", "--dry-run", "--header", "novalue"],
        2,
        /--header "novalue": write "Name: value"/,
      ],
      [
        "a header value with a line break (it would forge a header)",
        ["run", "enreach/queue-answered", "--dry-run", "--header", "X-Test: a\r\nHost: evil"],
        2,
        /--header "X-Test: a\\r\\nHost: evil": its value holds a line break; a header value is one line of printable ASCII/,
      ],
      [
        "two outputs in one file",
        [
          "run",
          "enreach/queue-answered",
          "--dry-run",
          "--record",
          join(SCRATCH, "same.ndjson"),
          "--out",
          `${SCRATCH}/./same.ndjson`,
        ],
        2,
        /--out and --record both name \S*same\.ndjson; give each output a file of its own/,
      ],
      [
        "a load report and its page in one file",
        [...LOAD_ONE, "--report", join(SCRATCH, "r.x"), "--html", `${SCRATCH}/./r.x`],
        2,
        /--report and --html both name \S*\/\.\/r\.x; give each output a file of its own/,
      ],
      [
        "a header name with a space",
        [...LOAD_ONE, "--header", "X Test: a"],
        2,
        /--header "X Test: a": the name "X Test" holds a character a header name cannot have/,
      ],
      [
        "a Webitel header template with a line break",
        ["run", "webitel/chat-queue", "--dry-run", "--option", 'headers={"X-A":"a\\nb"}'],
        2,
        /--option headers=\{"X-A":"a\\nb"\}: header X-A: its value holds a line break/,
      ],
      [
        "bad retry schedule",
        ["run", "enreach/queue-answered", "--dry-run", "--retry-schedule", "soon"],
        2,
        /--retry-schedule soon/,
      ],
      ["no target", ["run", "enreach/queue-answered"], 2, /run needs a target/],
      [
        "bad profile",
        ["run", "enreach/queue-answered", "--dry-run", "--profile", "x"],
        2,
        /--profile x is not a profile of enreach/,
      ],
      [
        "missing cert",
        ["receive", "--cert", "/nonexistent.pem", "--key", "/nonexistent.key"],
        4,
        /--cert \/nonexistent.pem: cannot read the file/,
      ],
      [
        "unknown command",
        ["frobnicate"],
        2,
        /^pbxsim: unknown command "frobnicate"; the commands are: list, send, run, .*load, report, replay, demo\. Run/m,
      ],
      // a word after contracts or report is the subcommand, not ignored (`contracts gen` regenerated the contracts)
      [
        "unknown subcommand",
        ["contracts", "gen"],
        2,
        /^pbxsim: contracts gen: no such subcommand; the one there is: pbxsim contracts generate\.$/m,
      ],
      [
        "unknown report subcommand",
        ["report", "frob", "a.json"],
        2,
        /^pbxsim: report frob: no such subcommand/m,
      ],
      [
        "a missing argument",
        ["report", "merge"],
        2,
        /^pbxsim: an argument is missing: pbxsim report merge <files\.\.>\. Run pbxsim report merge --help/m,
      ],
      [
        "a missing scenario",
        ["run"],
        2,
        /^pbxsim: an argument is missing: pbxsim run <scenarios\.\.>\. Run pbxsim run --help/m,
      ],
      // a value that starts with "-" is the flag's value, not another flag
      [
        "negative shard",
        ["load", "enreach/queue-answered", "--url", "http://127.0.0.1:9/", "--calls", "1", "--shard", "-1/2"],
        2,
        /--shard -1\/2: write INDEX\/COUNT/,
      ],
      ["negative seed", ["run", "enreach/queue-answered", "--dry-run", "--seed", "-5"], 2, /--seed -5: give/],
      [
        "a flag without its value",
        ["load", "enreach/queue-answered", "--url", "http://127.0.0.1:9/", "--duration"],
        2,
        /--duration needs a value/,
      ],
      [
        "method a vendor does not offer",
        ["run", "enreach/queue-answered", "--dry-run", "--method", "GET"],
        2,
        /--method GET: enreach always sends POST/,
      ],
      [
        "bad method",
        ["run", "3cx/outbound-answered", "--dry-run", "--method", "FETCH"],
        2,
        /--method FETCH: give GET, POST/,
      ],
      [
        "bad option",
        ["run", "3cx/outbound-answered", "--dry-run", "--option", "fqdn"],
        2,
        /--option "fqdn": write key=value/,
      ],
    ];
    it.each(cases)("%s", async (_name, args, code, message) => {
      const r = await cli(args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      noStack(r.stderr);
    });

    it("output paths that cannot be written, before anything is sent", async () => {
      const r = await cli([
        "run",
        "enreach/queue-answered",
        "--url",
        "http://127.0.0.1:9/",
        "--out",
        "/nonexistent-dir/report.json",
      ]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/--out \/nonexistent-dir\/report.json: cannot write there \(ENOENT\)/);
      const rec = await cli(["receive", "--port", "0", "--record", "/nonexistent-dir/rec.ndjson"]);
      expect(rec.code).toBe(5);
      noStack(rec.stderr);
    });

    it("targets files: missing, broken YAML with its line, an unknown vendor section, a bad field", async () => {
      const dir = tmp();
      const missing = await cli(["run", "enreach/queue-answered", "--targets", join(dir, "nope.yaml")]);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/--targets .*nope.yaml: cannot read the file/);
      const broken = join(dir, "broken.yaml");
      writeFileSync(broken, "enreach:\n  Webhook: { Endpoint: [unclosed\n");
      const b = await cli(["run", "enreach/queue-answered", "--targets", broken]);
      expect(b.code).toBe(3);
      expect(b.stderr).toMatch(/broken.yaml:\d+: YAML syntax error/);
      const unknown = join(dir, "unknown.yaml");
      writeFileSync(unknown, "acme:\n  url: http://127.0.0.1:9/\n");
      const u = await cli(["run", "enreach/queue-answered", "--targets", unknown]);
      expect(u.code).toBe(3);
      expect(u.stderr).toMatch(/"acme" is not a vendor/);
      const bad = join(dir, "bad.yaml");
      writeFileSync(
        bad,
        "enreach:\n  Webhook: { Endpoint: https://127.0.0.1:9/ }\n  Subscriptions:\n    - { EventType: NoSuchEvent, AllEntities: true }\n",
      );
      const x = await cli(["run", "enreach/queue-answered", "--targets", bad]);
      expect(x.code).toBe(3);
      expect(x.stderr).toMatch(
        /bad\.yaml:4: enreach\.Subscriptions\[0\]\.EventType: "NoSuchEvent" is not an Enreach event type/,
      );
      // each mistake is named with its line, a misspelt key with the spelling it needs
      const spelt: [string, RegExp][] = [
        [
          "enrech:\n  Webhook: { Endpoint: https://127.0.0.1:9/ }\n",
          /:1: "enrech" is not a vendor \(did you mean enreach\?\)/,
        ],
        [
          "enreach:\n  Webhook:\n    EndPoint: https://127.0.0.1:9/\n",
          /:3: enreach\.Webhook\.Endpoint: is required; "EndPoint" is there: write it Endpoint\. The enreach section/,
        ],
        [
          "voipbin: { webhook_url: http://127.0.0.1:9/ }\nenreach: { Webhook: { Endpoint: https://127.0.0.1:9/ } }\n",
          /:1: voipbin\.webhook_uri: is required; "webhook_url" is there: write it webhook_uri\./,
        ],
        [
          "enreach:\n  Webhook: { Endpoint: https://127.0.0.1:9/ }\n  Subscriptions:\n    - { EventType: QueueCallIncoming, AllEntities: true }\n",
          /:4: enreach\.Subscriptions\[0\]\.EventType: "QueueCallIncoming" is not an Enreach event type \(did you mean QueueCallInComing/,
        ],
        [
          "enreach:\n  Webhook: { Endpoint: ftp://127.0.0.1:9/ }\n  Subscriptions: [{ EventType: UserStatus, AllEntities: true }]\n",
          /:1: enreach: "ftp:\/\/127\.0\.0\.1:9\/" uses ftp:/,
        ],
      ];
      for (const [text, message] of spelt) {
        const f = join(dir, "spelt.yaml");
        writeFileSync(f, text);
        const r = await cli(["run", "enreach/queue-answered", "--dry-run", "--targets", f]);
        expect(r.code, text).toBe(3);
        expect(r.stderr).toMatch(message);
        noStack(r.stderr);
      }
      for (const res of [missing, b, u, x]) noStack(res.stderr);
    });

    it("load flags: a bad rate, duration, shard or threshold", async () => {
      const base = ["load", "enreach/queue-answered", "--url", "http://127.0.0.1:9/"];
      const cases: [string[], RegExp][] = [
        [["--rate", "fast", "--calls", "1"], /--rate fast: write calls per time unit/],
        [
          ["--rate", "0/s", "--calls", "1"],
          /--rate 0\/s: a rate of zero brings no call; give one above zero/,
        ],
        [["--rate", "1/s", "--duration", "soon"], /--duration soon: not a duration/],
        [["--rate", "1/s", "--calls", "1", "--shard", "3/2"], /--shard 3\/2: write INDEX\/COUNT/],
        [["--rate", "1/s", "--calls", "1", "--threshold", "p99 under 2s"], /p99 under 2s/],
        [["--rate", "1/s"], /load needs an end/],
        [
          ["--ramp", "5/s..40/s:6s"],
          /^pbxsim: load needs an end: --ramp 5\/s\.\.40\/s:6s holds 40\/s after its 6s, so add --duration 6s to stop at the ramp's end or a longer one to hold 40\/s, or give --calls N or a --phases file\.$/m,
        ],
        [["--rate", "1/s", "--duration", "0s"], /--duration 0s: give a duration above zero/],
        [["--rate", "1/s", "--calls", "1", "--timeout", "0ms"], /--timeout 0ms: give a duration above zero/],
        [["--rate", "1/s", "--calls", "1", "--seed", "abc"], /--seed abc: give a whole number from 0/],
      ];
      const phases = join(tmp(), "phases.yaml");
      writeFileSync(phases, "- { rate: 10/s, duration: 1m }\n\n- { ramp: 10/s..lots, duration: 2m }\n");
      cases.push([
        ["--phases", phases],
        /--phases .*phases\.yaml:3: phase 2: ramp to lots: write calls per time unit/,
      ]);
      for (const [args, msg] of cases) {
        const r = await cli([...base, ...args]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(msg);
        noStack(r.stderr);
      }
    }, 90_000);

    it("load scenario weights: a weight that is not a number above 0", async () => {
      const weights: [string, RegExp][] = [
        [
          "enreach/queue-answered=lots",
          /enreach\/queue-answered=lots: the weight after "=" must be a number above 0, e\.g\. enreach\/queue-answered=3/,
        ],
        ["enreach/queue-answered=0", /enreach\/queue-answered=0: a scenario's weight must be above 0/],
      ];
      for (const [arg, msg] of weights) {
        const r = await cli(["load", arg, "--url", "http://127.0.0.1:9/", "--rate", "1/s", "--calls", "1"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(msg);
        noStack(r.stderr);
      }
    }, 30_000);

    it("a broken scenario file names the file and line", async () => {
      const dir = tmp();
      const f = join(dir, "broken.yaml");
      writeFileSync(
        f,
        "vendor: enreach\nname: broken\ndescription: x\nsteps:\n  - arrive: {}\n  - frobnicate: {}\n",
      );
      const r = await cli(["run", f, "--dry-run"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/broken\.yaml:6: .*unknown step "frobnicate"/);
      noStack(r.stderr);
    });

    it("a mistake found while playing the story names the file as given, like every other", async () => {
      const dir = tmp();
      writeFileSync(
        join(dir, "mine.yaml"),
        "vendor: enreach\nname: mine\ndescription: x\ncall: { direction: inbound, queue: Nope }\nsteps:\n  - arrive: {}\n  - enqueue: {}\n",
      );
      const r = await cli(["run", "mine.yaml", "--dry-run"], { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^pbxsim: mine\.yaml:4: call\.queue: "Nope" is not a queue of enreach/);
      noStack(r.stderr);
    });

    it("a run stopped by a bad scenario leaves earlier --out, --record and --truth files as they were", async () => {
      const dir = tmp();
      const f = join(dir, "broken.yaml");
      writeFileSync(f, "vendor: enreach\nname: broken\nsteps:\n  - frobnicate: {}\n");
      const files = ["out.json", "rec.ndjson", "truth.ndjson"].map((n) => join(dir, n));
      for (const x of files) writeFileSync(x, "an earlier run\n");
      const r = await cli([
        "run",
        f,
        "--url",
        "http://127.0.0.1:9/",
        "--out",
        files[0]!,
        "--record",
        files[1]!,
        "--truth",
        files[2]!,
      ]);
      expect(r.code).toBe(3);
      noStack(r.stderr);
      for (const x of files) expect(readFileSync(x, "utf8")).toBe("an earlier run\n");
    });

    it("--profile in a mix: a bare name for the vendors that have it, vendor=profile for one, a clear refusal otherwise", async () => {
      const mix = ["run", "enreach/queue-answered", "voipbin/queue-answered", "3cx/inbound-queue-answered"];
      const profiles = (stdout: string) => [
        ...new Set(
          stdout
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as { vendor: string; profile: string })
            .map((l) => `${l.vendor}:${l.profile}`),
        ),
      ];
      const bare = await cli([...mix, "--dry-run", "--seed", "1", "--profile", "current"]);
      expect(bare.code).toBe(0);
      expect(profiles(bare.stdout).sort()).toEqual(["3cx:k2m-json", "enreach:default", "voipbin:current"]);
      const each = await cli([...mix, "--dry-run", "--seed", "1", "--profile", "voipbin=current,3cx=form"]);
      expect(each.code).toBe(0);
      expect(profiles(each.stdout).sort()).toEqual(["3cx:form", "enreach:default", "voipbin:current"]);
      const none = await cli([...mix, "--dry-run", "--profile", "smartflo"]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(
        /--profile smartflo: no vendor of this run has that profile \(enreach: default; voipbin: legacy, current; 3cx: k2m-json, form\)\. Name the vendor/,
      );
      const wrong = await cli([...mix, "--dry-run", "--profile", "voipbin=modern"]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(
        /--profile modern is not a profile of voipbin; its profiles are: legacy, current/,
      );
      const unknown = await cli([...mix, "--dry-run", "--profile", "acme=x"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/--profile acme=x: "acme" is not a vendor/);
      const single = await cli(["run", "enreach/queue-answered", "--dry-run", "--profile", "current"]);
      expect(single.stderr).toMatch(
        /--profile current is not a profile of enreach; its profiles are: default/,
      );
      for (const r of [none, wrong, unknown, single]) noStack(r.stderr);
    }, 90_000);

    it("a certificate file that is not PEM", async () => {
      const dir = tmp();
      const f = join(dir, "cert.pem");
      writeFileSync(f, "hello");
      const r = await cli(["receive", "--cert", f, "--key", f]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/not a PEM certificate/);
      // the pair given the wrong way round is named as such
      const { cert, key } = await selfSignedCertificate();
      writeFileSync(join(dir, "c.pem"), cert);
      writeFileSync(join(dir, "k.pem"), key);
      const swapped = await cli([
        "receive",
        "--port",
        "0",
        "--cert",
        join(dir, "k.pem"),
        "--key",
        join(dir, "c.pem"),
      ]);
      expect(swapped.code).toBe(4);
      expect(swapped.stderr).toMatch(
        /--cert .*k\.pem: holds a PEM private key, not a certificate\. Are --cert and --key the wrong way round\?/,
      );
      noStack(swapped.stderr);
      // a damaged certificate or an encrypted key is named, not the pair blamed
      const lines = cert.trim().split("\n");
      writeFileSync(join(dir, "damaged.pem"), [...lines.slice(0, 3), "!!!!", ...lines.slice(-1)].join("\n"));
      const encrypted = createPrivateKey(key).export({
        type: "pkcs8",
        format: "pem",
        cipher: "aes-128-cbc",
        passphrase: "x",
      });
      writeFileSync(join(dir, "enc.pem"), encrypted);
      const cases: [string, string, RegExp][] = [
        [
          "damaged.pem",
          "k.pem",
          /--cert .*damaged\.pem: cannot be read \(.+\); the file is damaged or cut short/,
        ],
        [
          "c.pem",
          "enc.pem",
          /--key .*enc\.pem: the key is encrypted; the receiver needs it without a passphrase/,
        ],
      ];
      for (const [c, k, message] of cases) {
        const r = await cli(["receive", "--port", "0", "--cert", join(dir, c), "--key", join(dir, k)]);
        expect(r.code).toBe(4);
        expect(r.stderr).toMatch(message);
        noStack(r.stderr);
      }
    });

    it("a port in use", async () => {
      const rx = await startReceiver(["--quiet"]);
      try {
        const port = new URL(rx.url).port;
        const r = await cli(["receive", "--port", port]);
        expect(r.code).toBe(6);
        expect(r.stderr).toMatch(new RegExp(`--port ${port}: the port is already in use`));
        noStack(r.stderr);
      } finally {
        await rx.stop();
      }
    });
  });
});

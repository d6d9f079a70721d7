import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { EXIT_CODES, PbxsimError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import type * as Commands from "./commands.js";
import type * as ContractsCommands from "./contracts-commands.js";
import type * as LoadCommands from "./load-commands.js";
import { err } from "./print.js";

/** The command line: yargs definitions only; each command calls into the library through commands.ts. */

// each command's module loads only when that command runs, so `--help`, a listing or a dry run
// does not pay for the HTTP client, the receiver or the load runner
const commands = (): Promise<typeof Commands> => import("./commands.js");
const contractsCommands = (): Promise<typeof ContractsCommands> => import("./contracts-commands.js");
const loadCommands = (): Promise<typeof LoadCommands> => import("./load-commands.js");

const transportFlags = (y: Argv) =>
  y
    .option("token", { type: "string", describe: "the vendor's shared token (Enreach: X-Benemen-Token)" })
    .option("secret", {
      type: "string",
      describe: "the vendor's signing secret (VoIPBIN current: X-VoIPBIN-Signature)",
    })
    .option("header", { type: "string", array: true, describe: 'extra header, "Name: value" (repeatable)' })
    .option("insecure", {
      type: "boolean",
      describe: "accept self-signed/untrusted certificates (Enreach's InsecureSSL)",
    })
    .option("ca", { type: "string", describe: "PEM file of a CA to trust" })
    .option("timeout", {
      type: "string",
      nargs: 1,
      describe: "attempt timeout (e.g. 10s); default: the vendor's",
    })
    .option("retry-schedule", {
      type: "string",
      describe: "waits before each retry, e.g. 5s,30s,2m, or none",
    })
    .option("profile", {
      type: "string",
      describe: "vendor profile (pbxsim list vendors); in a mix, per vendor: voipbin=current,3cx=form",
    })
    .option("option", {
      type: "string",
      array: true,
      describe: "vendor option key=value (3cx: fqdn=pbx.example.com)",
    })
    .option("method", {
      type: "string",
      describe: "HTTP method, where the vendor lets you choose (3cx form: GET or POST)",
    });

let lastCode: number | undefined;

/** Wraps a command so its exit code reaches main(). */
function act<A>(fn: (a: A) => number | Promise<number>): (a: A) => Promise<void> {
  return async (a) => {
    lastCode = await fn(a);
  };
}

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName("pbxsim")
    .usage(
      "$0 <command> [options]\n\nPBX webhook simulator: plays Enreach and other vendors' webhooks against your receiver.",
    )
    .command(
      "list [what]",
      "list vendors, scenarios, events, or a vendor's directory (queue and user ids)",
      (y) =>
        y
          .positional("what", {
            choices: ["vendors", "scenarios", "events", "directory"] as const,
            default: "vendors" as const,
          })
          .option("vendor", { type: "string", describe: "only this vendor" })
          .option("json", { type: "boolean", default: false, describe: "the list as JSON on stdout" })
          .example("$0 list scenarios --vendor enreach", "")
          .example("$0 list events --vendor enreach --json", ""),
      act(async (a) => (await commands()).listCommand(a.what, a.vendor, a.json)),
    )
    .command(
      "send <vendor> <event>",
      "send one event with faked fields",
      (y) =>
        transportFlags(
          y
            .positional("vendor", { type: "string", demandOption: true })
            .positional("event", { type: "string", demandOption: true })
            .option("url", { type: "string", describe: "receiver URL" })
            .option("set", {
              type: "string",
              array: true,
              describe: "override a field: Field=value (repeatable)",
            })
            .option("seed", { type: "string", nargs: 1, describe: "make the faked fields repeatable" })
            .option("dry-run", { type: "boolean", describe: "print the request instead of sending it" })
            .option("json", { type: "boolean", describe: "the result as JSON on stdout" }),
        ).example(
          "$0 send enreach QueueCallInComing --url https://127.0.0.1:4780 --insecure --token s3cret --set CallerNumber=+358401234567",
          "",
        ),
      act(async (a) =>
        (await commands()).sendCommand({ ...a, vendor: a.vendor as string, event: a.event as string }),
      ),
    )
    .command(
      "run <scenarios..>",
      "play scenarios against a receiver",
      (y) =>
        transportFlags(
          y
            .positional("scenarios", {
              type: "string",
              array: true,
              describe: "ids (enreach/queue-answered), globs ('enreach/*') or .yaml files",
            })
            .option("url", { type: "string", describe: "send every event here" })
            .option("targets", {
              type: "string",
              describe: "YAML file with each vendor's endpoint configuration",
            })
            .option("speed", {
              type: "string",
              nargs: 1,
              describe: 'divide real waiting by N, or "max" (default 1: real time)',
            })
            .option("calls", { type: "number", describe: "calls per scenario (default 1)" })
            .option("concurrency", { type: "number", describe: "calls in progress at once (default 1)" })
            .option("seed", { type: "string", nargs: 1, describe: "make the run repeatable, byte for byte" })
            .option("start", { type: "string", nargs: 1, describe: "virtual clock start (ISO time or now)" })
            .option("dead-letter", {
              type: "string",
              describe: "NDJSON file for events that exhausted their retries",
            })
            .option("dry-run", { type: "boolean", describe: "send nothing; print each request as NDJSON" })
            .option("out", {
              type: "string",
              describe: "write the run report (JSON) or the dry run (NDJSON) here",
            })
            .option("json", { type: "boolean", describe: "summary as JSON on stdout" })
            .option("quiet", { type: "boolean", describe: "no per-delivery lines on stderr" })
            .option("chaos", {
              type: "string",
              describe:
                "faults, e.g. duplicate=0.05,reorder=0.05,delay=0.1:5s,malformed=0.01,bad-token=0.01,drop=0.01",
            })
            .option("record", {
              type: "string",
              describe: "write every request and answer as NDJSON (secrets redacted)",
            })
            .option("truth", {
              type: "string",
              describe: "write what really happened, one NDJSON line per call",
            })
            .option("reorder", {
              type: "string",
              describe:
                "vendors that send events independently (voipbin): jitter due times by up to D (default 50ms) so neighbours swap",
            }),
        )
          .example("$0 run 'enreach/*' --dry-run --seed 7", "print every request, repeatably")
          .example(
            "$0 run enreach/queue-answered --url https://127.0.0.1:4780 --insecure --token s3cret --speed 50",
            "",
          ),
      act(async (a) => (await commands()).runCommand({ ...a, scenarios: (a.scenarios as string[]) ?? [] })),
    )
    .command(
      "receive",
      "run the built-in receiver",
      (y) =>
        y
          .option("port", { type: "number", describe: "port (default 4780; 0 = any free port)" })
          .option("host", { type: "string", describe: "address to bind (default 127.0.0.1)" })
          .option("https", {
            type: "boolean",
            describe: "serve HTTPS (a self-signed certificate unless --cert/--key)",
          })
          .option("cert", { type: "string", describe: "PEM certificate" })
          .option("key", { type: "string", describe: "PEM private key" })
          .option("cert-out", {
            type: "string",
            describe: "write the certificate served to this file, for senders' --ca",
          })
          .option("vendor", { type: "string", describe: "accept only this vendor" })
          .option("token", { type: "string", describe: "require this shared token (Enreach)" })
          .option("secret", { type: "string", describe: "require bodies signed with this secret (VoIPBIN)" })
          .option("fail-first", { type: "number", describe: "fail the first N attempts of every event" })
          .option("status", {
            type: "number",
            describe: "status for failures (default 500); alone: answer it always",
          })
          .option("delay", { type: "string", describe: "delay every answer (e.g. 200ms)" })
          .option("fail-rate", { type: "number", describe: "fail this fraction of deliveries (0..1)" })
          .option("record", { type: "string", describe: "write every delivery to this NDJSON file" })
          .option("quiet", { type: "boolean", describe: "no line per delivery on stdout" })
          .option("keep", {
            type: "number",
            describe: "records kept in memory for the inspector, the latest (default 10000)",
          })
          .option("ui", { type: "boolean", describe: "serve a live inspector page at /_pbxsim/" })
          .example("$0 receive --https --token s3cret", "")
          .example(
            "$0 receive --https --cert-out ca.pem",
            "senders then verify it: pbxsim run ... --ca ca.pem",
          )
          .example("$0 receive --ui", "watch deliveries arrive in a browser")
          .example("$0 receive --fail-first 2 --status 503", "watch retries happen"),
      act(async (a) => (await commands()).receiveCommand(a)),
    )
    .command(
      "contracts generate",
      "regenerate the Pact contracts in contracts/ from the vendor schemas and builders",
      (y) =>
        y.command(
          "generate",
          "regenerate the Pact contracts in contracts/ from the vendor schemas and builders",
          (g) =>
            g
              .option("dir", {
                type: "string",
                describe: "write them here instead of the package's contracts/",
              })
              .option("vendor", { type: "string", array: true, describe: "only these vendors" }),
          act(async (a) => (await contractsCommands()).contractsGenerateCommand(a)),
        ),
      () => {
        throw new PbxsimError(
          "USAGE",
          `contracts ${argv[1] ?? ""}: no such subcommand; the one there is: pbxsim contracts generate.`,
        );
      },
    )
    .command(
      "verify",
      "verify a live receiver against the vendors' Pact contracts",
      (y) =>
        y
          .option("url", {
            type: "string",
            describe: "the receiver under test (its path replaces the contracts' /webhooks/<vendor>)",
          })
          .option("vendor", { type: "string", array: true, describe: "only these vendors (default: all)" })
          .option("profile", { type: "string", describe: "only this profile" })
          .option("token", { type: "string", describe: "Enreach: the token the request filter adds" })
          .option("header", {
            type: "string",
            array: true,
            describe: 'a header the receiver needs on every request, "Name: value" (repeatable)',
          })
          .option("secret", {
            type: "string",
            describe: "VoIPBIN current: the secret the request filter signs with",
          })
          .option("provider-states-url", {
            type: "string",
            describe: "URL the verifier POSTs provider states to",
          })
          .option("insecure", { type: "boolean", describe: "accept a self-signed or untrusted certificate" })
          .option("ca", { type: "string", describe: "PEM file of a CA to trust" })
          .option("junit", { type: "string", describe: "write a JUnit XML report" })
          .option("json", { type: "boolean", describe: "the results as JSON on stdout" })
          .option("broker-url", { type: "string", describe: "Pact Broker base URL" })
          .option("provider-version", {
            type: "string",
            describe: "the receiver's version, for results published to the broker",
          })
          .option("publish", { type: "boolean", describe: "publish the verification results to the broker" })
          .example(
            "$0 verify --url http://127.0.0.1:8080/enreach --vendor enreach --token s3cret --junit pact.xml",
            "",
          ),
      act(async (a) => (await contractsCommands()).verifyCommand(a)),
    )
    .command(
      "verify-messages <files..>",
      "check your own V4 message pacts against real vendor payloads (pbxsim is the message provider)",
      (y) =>
        y
          .positional("files", { type: "string", array: true, describe: "V4 message pact files" })
          .option("profile", {
            type: "string",
            describe: "the payloads of this profile, for the vendors that have it (voipbin: current)",
          })
          .option("junit", { type: "string", describe: "write a JUnit XML report" })
          .option("json", { type: "boolean", describe: "the results as JSON on stdout" }),
      act(async (a) =>
        (await contractsCommands()).verifyMessagesCommand({ ...a, files: (a.files as string[]) ?? [] }),
      ),
    )
    .command(
      "check",
      "run the conformance battery against a live receiver",
      (y) =>
        y
          .option("url", { type: "string", describe: "the receiver under test" })
          .option("vendor", { type: "string", describe: "the vendor it receives (pbxsim list vendors)" })
          .option("profile", { type: "string", describe: "vendor profile (default: the vendor's)" })
          .option("token", { type: "string", describe: "the vendor's shared token (Enreach)" })
          .option("secret", { type: "string", describe: "the vendor's signing secret (VoIPBIN current)" })
          .option("header", {
            type: "string",
            array: true,
            describe: 'a header on every request, "Name: value" (a secret one is checked as the auth)',
          })
          .option("reject-status", {
            type: "number",
            array: true,
            describe: "statuses that count as rejecting bad auth (default 401 403)",
          })
          .option("option", {
            type: "string",
            array: true,
            describe: "vendor option key=value (3cx: fqdn=pbx.example.com)",
          })
          .option("insecure", { type: "boolean", describe: "accept a self-signed or untrusted certificate" })
          .option("ca", { type: "string", describe: "PEM file of a CA to trust" })
          .option("seed", { type: "string", nargs: 1, describe: "make the sent events repeatable" })
          .option("junit", { type: "string", describe: "write a JUnit XML report" })
          .option("json", { type: "boolean", describe: "the results as JSON on stdout" })
          .example(
            "$0 check --url http://127.0.0.1:8080/enreach --vendor enreach --token s3cret --junit check.xml",
            "",
          ),
      act(async (a) => (await contractsCommands()).checkCommand(a)),
    )
    .command(
      "schema <vendor> [event]",
      "export JSON Schema for a vendor's events, or an OpenAPI 3.1 document of their webhooks",
      (y) =>
        y
          .positional("vendor", { type: "string", describe: "a vendor id, or all" })
          .positional("event", { type: "string", describe: "one event (default: all of the vendor's)" })
          .option("format", {
            choices: ["json-schema", "openapi"] as const,
            default: "json-schema" as const,
            describe: "JSON Schema of each event, or one OpenAPI 3.1 document of the webhooks",
          })
          .option("profile", { type: "string", describe: "only this profile's events" })
          .example("$0 schema enreach QueueCallInComing", "")
          .example("$0 schema all --format openapi > webhooks.openapi.json", ""),
      act(async (a) =>
        (await contractsCommands()).schemaCommand({
          vendor: a.vendor as string,
          event: a.event as string | undefined,
          format: a.format,
          profile: a.profile,
        }),
      ),
    )
    .command(
      "load <scenarios..>",
      "load-test a receiver: whole calls per second, open arrivals, honest latency",
      (y) =>
        transportFlags(
          y
            .positional("scenarios", {
              type: "string",
              array: true,
              describe: "scenario[=weight] ids, globs or files; the mix may span vendors",
            })
            .option("url", { type: "string", describe: "send every vendor's events here" })
            .option("targets", {
              type: "string",
              describe: "YAML file with each vendor's endpoint configuration",
            })
            .option("rate", {
              type: "string",
              nargs: 1,
              describe: "new calls per time unit, e.g. 80/s (default 1/s)",
            })
            .option("ramp", { type: "string", nargs: 1, describe: "FROM..TO:DURATION, e.g. 10/s..80/s:2m" })
            .option("phases", { type: "string", describe: "YAML list of {rate|ramp, duration}" })
            .option("arrivals", { type: "string", describe: "poisson (default) or constant" })
            .option("duration", { type: "string", nargs: 1, describe: "how long new calls arrive, e.g. 10m" })
            .option("calls", {
              type: "number",
              describe: "stop after this many arrivals (blocked ones count)",
            })
            .option("max-calls", { type: "number", describe: "cap on simultaneous calls" })
            .option("max-lag", {
              type: "string",
              nargs: 1,
              describe: "skip new calls while the oldest waiting request is this late (default 10s; none)",
            })
            .option("max-inflight", { type: "number", describe: "cap on concurrent requests (default 256)" })
            .option("pipelining", {
              type: "number",
              describe: "requests per connection before an answer (HTTP/1.1 pipelining; default 1)",
            })
            .option("speed", {
              type: "string",
              nargs: 1,
              describe: "compress each call's timeline by N, or max",
            })
            .option("seed", { type: "string", nargs: 1, describe: "make the run's traffic repeatable" })
            .option("start", {
              type: "string",
              nargs: 1,
              describe: "virtual clock start for the payloads' times (ISO 8601; default now)",
            })
            .option("dead-letter", {
              type: "string",
              describe: "NDJSON file for requests that exhausted their retries or were cancelled",
            })
            .option("stats-file", { type: "string", describe: "periodic NDJSON snapshots" })
            .option("chaos", { type: "string", describe: "sending-side faults, as for run" })
            .option("truth", { type: "string", describe: "one NDJSON line per call: what really happened" })
            .option("record", {
              type: "string",
              describe: "every request and answer as NDJSON (secrets redacted)",
            })
            .option("report", { type: "string", describe: "JSON report (histograms included, mergeable)" })
            .option("html", { type: "string", describe: "self-contained HTML report" })
            .option("threshold", {
              type: "string",
              array: true,
              describe: "e.g. 'p99<250ms' 'errors<0.1%' 'rate>=95%' (exit 99 when breached)",
            })
            .option("workers", { type: "number", describe: "use N processes on this machine" })
            .option("shard", {
              type: "string",
              nargs: 1,
              describe: "run shard INDEX/COUNT (or JOB_COMPLETION_INDEX/JOB_COMPLETIONS)",
            })
            .option("allow-remote", { type: "boolean", describe: "allow a target that is not on loopback" })
            .option("json", { type: "boolean", describe: "the summary as JSON on stdout" })
            .option("quiet", { type: "boolean", describe: "no progress on stderr" })
            .option("outputs-ready", { type: "boolean", hidden: true }),
        ).example(
          "$0 load 'enreach/queue-*=3' voipbin/queue-answered=1 --url http://127.0.0.1:4780 --rate 80/s --duration 2m --speed 10 --threshold 'p99<250ms'",
          "",
        ),
      act(async (a) =>
        (await loadCommands()).loadCommand({ ...a, scenarios: (a.scenarios as string[]) ?? [] }, argv),
      ),
    )
    .command(
      "report merge <files..>",
      "merge the JSON reports of load shards exactly",
      (r) =>
        r.command(
          "merge <files..>",
          "merge the JSON reports of load shards exactly",
          (y) =>
            y
              .positional("files", { type: "string", array: true, describe: "the shards' --report files" })
              .option("out", {
                type: "string",
                alias: "report",
                describe: "write the merged JSON report here (--report, as load names it, is the same)",
              })
              .option("html", { type: "string", describe: "write the merged HTML report here" })
              .option("threshold", {
                type: "string",
                array: true,
                describe: "e.g. 'p99<250ms' 'errors<0.1%' (exit 99 when breached)",
              })
              .option("json", { type: "boolean", describe: "the summary as JSON on stdout" }),
          act(async (a) =>
            (await loadCommands()).reportMergeCommand({ ...a, files: (a.files as string[]) ?? [] }),
          ),
        ),
      () => {
        throw new PbxsimError(
          "USAGE",
          `report ${argv[1] ?? ""}: no such subcommand; the one there is: pbxsim report merge <files..>.`,
        );
      },
    )
    .command(
      "replay <file>",
      "send a recording (run/load/receive --record) or a dead-letter file again",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true })
          .option("url", {
            type: "string",
            describe: "send here instead of the recorded URL (a bare origin keeps the recorded path)",
          })
          .option("speed", {
            type: "string",
            nargs: 1,
            describe: "divide the recorded gaps by N, or max (default)",
          })
          .option("token", {
            type: "string",
            describe: "the vendor's shared token (Enreach), in place of the recorded one",
          })
          .option("secret", {
            type: "string",
            describe: "the signing secret (VoIPBIN current): bodies are signed afresh",
          })
          .option("keep-ids", { type: "boolean", describe: "byte-identical bodies (default)" })
          .option("fresh-ids", { type: "boolean", describe: "new ids, consistently per call" })
          .option("insecure", { type: "boolean", describe: "accept a self-signed or untrusted certificate" })
          .option("ca", { type: "string", describe: "PEM file of a CA to trust" })
          .option("seed", { type: "string", nargs: 1, describe: "make --fresh-ids repeatable" })
          .option("json", { type: "boolean", describe: "the summary as JSON on stdout" })
          .option("quiet", { type: "boolean", describe: "no per-delivery lines on stderr" }),
      act(async (a) => (await commands()).replayCommand({ ...a, file: a.file as string })),
    )
    .command(
      "demo",
      "start a receiver and play a few Enreach calls against it",
      (y) =>
        y
          .option("vendor", {
            type: "string",
            describe: "play another vendor's calls: a call of each of its first five scenarios",
          })
          .option("seed", { type: "string", nargs: 1, describe: "make the calls repeatable" })
          .option("json", { type: "boolean", describe: "the summary as JSON on stdout" }),
      act(async (a) => (await commands()).demoCommand(a)),
    )
    .demandCommand(
      1,
      "give a command: list, send, run, receive, demo, verify, check, contracts generate (pbxsim --help)",
    )
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100));
}

export async function main(argv = hideBin(process.argv)): Promise<number> {
  let code: number;
  try {
    const parser = buildCli(argv)
      .exitProcess(false)
      .fail((msg, e, context: unknown) => {
        // yargs' own errors (a flag without its value) are usage errors; any other is ours
        if (e && e.name !== "YError") throw e;
        const text = msg ?? e?.message ?? "";
        const missing = /^Not enough arguments following: (.+)$/.exec(text);
        const unknown = /^Unknown arguments?: (.+)$/.exec(text);
        // `Invalid values:\n  Argument: format, Given: "opnapi", Choices: "json-schema", "openapi"`
        const invalid = [...text.matchAll(/Argument: ([\w-]+), Given: "([^"]*)", Choices: (.+)/g)];
        if (invalid.length)
          throw new PbxsimError(
            "USAGE",
            `${invalid
              .map(([, name, given, list]) => {
                const choices = [...list!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
                const flag = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
                return `${flag ? `--${name} ${given}` : `"${given}"`}: not one of ${choices.join(", ")}${didYouMean(closest(given!, choices, 1), true)}`;
              })
              .join("; ")}. Run pbxsim --help for the commands and flags.`,
          );
        if (/^Not enough non-option arguments/.test(text)) {
          const usage = (context as { getUsage?: () => [string][] } | undefined)?.getUsage;
          const line = typeof usage === "function" ? usage.call(context)[0]?.[0] : undefined;
          throw new PbxsimError(
            "USAGE",
            `an argument is missing${line ? `: ${line.replace("$0", "pbxsim")}` : ""}. Run ${line ? line.replace("$0", "pbxsim").split(/ [<[]/)[0] : "pbxsim"} --help for its flags and examples.`,
          );
        }
        throw new PbxsimError(
          "USAGE",
          missing
            ? `--${missing[1]} needs a value. Run pbxsim --help for the commands and flags.`
            : unknown
              ? `${unknownFlags(unknown[1]!.split(", "), argv, context)} Run pbxsim --help for the commands and flags.`
              : `${/[.?]$/.test(text) ? text : `${text}.`} Run pbxsim --help for the commands and flags.`,
        );
      });
    lastCode = undefined;
    await parser.parseAsync();
    code = lastCode ?? 0;
  } catch (e) {
    code = reportError(e);
  }
  return code;
}

/**
 * The message for flags the command does not take, each with the flag it most likely meant. yargs
 * names a mistyped `--max-inflights` twice (and as `maxInflights`); it is named once. The flags the
 * command takes come from the context yargs hands its failure handler, when it has them.
 */
function unknownFlags(names: string[], argv: readonly string[], context: unknown): string {
  const kebab = (n: string) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const given = names.filter((n) => n === kebab(n) || !names.includes(kebab(n)));
  const isFlag = (n: string) =>
    argv.some(
      (a) =>
        a === `--${n}` ||
        a.startsWith(`--${n}=`) ||
        a === `--no-${n}` ||
        (n.length === 1 && /^-[^-]/.test(a) && a.includes(n)),
    );
  // yargs reads `--jitter -5ms` as the short flags -5, -m and -s
  const negative = argv.find((a) => /^-\d/.test(a) && [...a.slice(1)].some((c) => given.includes(c)));
  if (negative)
    return `${negative}: a value that starts with "-" must follow its flag after "=" (--flag=${negative}).`;
  const extra = given.filter((n) => !isFlag(n));
  if (extra.length === 1 && extra[0] === argv[0]) {
    const commands = (context as { getCommands?: () => [string][] } | undefined)?.getCommands;
    const names = typeof commands === "function" ? commands.call(context).map(([c]) => c.split(" ")[0]!) : [];
    return `unknown command ${JSON.stringify(argv[0])}${names.length ? `; the commands are: ${names.join(", ")}` : ""}.`;
  }
  if (extra.length)
    return `${extra.map((n) => JSON.stringify(n)).join(", ")}: ${extra.length === 1 ? "an argument" : "arguments"} this command does not take (a flag needs its --).`;
  const describe = (context as { getDescriptions?: () => Record<string, unknown> } | undefined)
    ?.getDescriptions;
  const known =
    typeof describe === "function"
      ? Object.keys(describe.call(context)).filter((k) => k !== "help" && k !== "version")
      : [];
  const each = given.map(
    (n) =>
      `${n.length === 1 ? "-" : "--"}${n}${didYouMean(
        closest(n, known, 1).map((k) => `--${k}`),
        true,
      )}`,
  );
  return `${given.length === 1 ? "unknown flag" : "unknown flags"} ${each.join(", ")}.`;
}

export function reportError(e: unknown): number {
  if (e instanceof PbxsimError) {
    err(`pbxsim: ${e.message}`);
    return EXIT_CODES[e.code];
  }
  const msg = e instanceof Error ? e.message : String(e);
  err(`pbxsim: internal error: ${msg}`);
  if (process.env.PBXSIM_DEBUG && e instanceof Error) err(e.stack ?? "");
  else err("Run again with PBXSIM_DEBUG=1 for details, and report it with the command you ran.");
  return EXIT_CODES.INTERNAL;
}

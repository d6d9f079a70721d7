import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { PbxsimError, ScenarioError } from "../core/errors.js";
import { expandFilePattern, globToRegExp } from "../core/glob.js";
import { closest, didYouMean } from "../core/suggest.js";
import type { FactKind } from "../core/model.js";
import type { Vendor } from "../core/vendor.js";
import { firstIssue, friendlyIssue, ScenarioFileSchema, type ScenarioFile, type Step } from "./schema.js";

/** A validated scenario, with enough of its source kept to point at lines in later errors. */
export interface Scenario extends ScenarioFile {
  /** `<vendor>/<name>` */
  id: string;
  file: string;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package's own scenarios folder (from src/ or dist/). */
export const BUILTIN_SCENARIO_DIR = resolve(here, "..", "..", "scenarios");

export type VendorLookup = (id: string) => Vendor | undefined;

export function parseScenarioText(text: string, path: string, vendors: VendorLookup): Scenario {
  const file = displayPath(path);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    const msg = e.message.split("\n")[0] ?? e.message;
    throw new ScenarioError(
      `YAML syntax error: ${msg}. Fix the YAML at that line (check indentation and quoting).`,
      {
        file,
        line,
      },
    );
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) return lineCounter.linePos(node.range[0]).line;
      if (n === 0) {
        const c = doc.contents as { range?: [number, number, number] } | null;
        return c?.range ? lineCounter.linePos(c.range[0]).line : undefined;
      }
    }
    return undefined;
  };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // an alias to a missing anchor, or too many aliases (an alias bomb)
    const msg = (e as Error).message.split("\n")[0];
    throw new ScenarioError(`YAML cannot be read: ${msg}. Check the anchors (&name) and aliases (*name).`, {
      file,
      line: 1,
    });
  }
  if (data === null || typeof data !== "object" || Array.isArray(data) || !isMap(doc.contents)) {
    throw new ScenarioError(
      "a scenario file is a YAML mapping with vendor, name, steps and optionally description and call; see scenarios/enreach/queue-answered.yaml",
      { file, line: 1 },
    );
  }
  const parsed = ScenarioFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issue = firstIssue(parsed.error.issues);
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    throw new ScenarioError(`${formatPath(path)}: ${friendlyIssue(issue)}`, {
      file,
      line: lineOf(resolveYamlPath(doc, path)),
    });
  }
  const s = parsed.data;
  const vendor = vendors(s.vendor);
  if (!vendor) {
    throw new ScenarioError(`unknown vendor "${s.vendor}". Run \`pbxsim list vendors\` to see the vendors.`, {
      file,
      line: lineOf(["vendor"]),
    });
  }
  for (const p of s.profiles ?? []) {
    if (!vendor.profiles.includes(p)) {
      throw new ScenarioError(
        `profiles: "${p}" is not a profile of ${vendor.id}${didYouMean(closest(p, vendor.profiles, 1), true)}; its profiles are ${vendor.profiles.join(", ")}`,
        { file, line: lineOf(["profiles"]) },
      );
    }
  }
  checkSupported(s.steps, ["steps"], vendor, (path, msg) => {
    throw new ScenarioError(msg, { file, line: lineOf(path) });
  });
  return { ...s, id: `${s.vendor}/${s.name}`, file: path, lineOf };
}

/** Step paths in zod issues are [steps, 3, "offer", "agent"]; in YAML they are the same. */
function resolveYamlPath(
  doc: ReturnType<typeof parseDocument>,
  path: (string | number)[],
): (string | number)[] {
  const out: (string | number)[] = [];
  for (const p of path) {
    const node = doc.getIn([...out, p], true);
    if (node === undefined && !isSeq(doc.getIn(out, true)) && !isMap(doc.getIn(out, true))) break;
    out.push(p);
  }
  return out;
}

function formatPath(path: (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const STEP_FACTS: Record<string, FactKind[]> = {
  arrive: ["arrive"],
  ivr: ["ivr", "dtmf"],
  enqueue: ["enqueue"],
  offer: ["offer"],
  answer: ["answer"],
  miss: ["miss"],
  dial: ["dial"],
  ringing: ["remote-ringing"],
  connect: ["remote-answer"],
  transfer: ["transfer-start", "transfer-end"],
  hangup: ["hangup"],
  overflow: ["overflow"],
  wrapup: ["wrapup-start", "wrapup-end"],
  record: ["recording"],
  callback: ["callback"],
  availability: ["availability"],
  disposition: ["disposition"],
  action: ["action"],
};

function checkSupported(
  steps: Step[],
  path: (string | number)[],
  vendor: Vendor,
  fail: (path: (string | number)[], msg: string) => never,
): void {
  steps.forEach((step, i) => {
    const here = [...path, i];
    if (step.type === "branch") {
      step.options.forEach((o, j) => {
        checkSupported(o.steps, [...here, "branch", j, "steps"], vendor, fail);
      });
      return;
    }
    if (step.type === "repeat") {
      checkSupported(step.steps, [...here, "repeat", "steps"], vendor, fail);
      return;
    }
    for (const fact of STEP_FACTS[step.type] ?? []) {
      if (!vendor.supports[fact]) {
        const ok = Object.entries(STEP_FACTS)
          .filter(([, fs]) => fs.every((f) => vendor.supports[f]))
          .map(([n]) => n);
        fail(
          here,
          `step "${step.type}" cannot be expressed by ${vendor.displayName}: it has no webhook event for it. Steps ${vendor.id} supports: ${ok.join(", ")}, wait, talk, branch, repeat`,
        );
      }
    }
  });
}

export function loadScenarioFile(file: string, vendors: VendorLookup): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(
      `cannot read the scenario file (${(e as NodeJS.ErrnoException).code ?? e}); check the path`,
      { file: displayPath(file) },
    );
  }
  return parseScenarioText(text, file, vendors);
}

/** Every built-in scenario id, sorted. */
export function builtinScenarioFiles(dir = BUILTIN_SCENARIO_DIR): { id: string; file: string }[] {
  const out: { id: string; file: string }[] = [];
  if (!existsSync(dir)) return out;
  for (const vendor of readdirSync(dir).sort()) {
    const vdir = join(dir, vendor);
    if (!statSync(vdir).isDirectory()) continue;
    for (const f of readdirSync(vdir).sort()) {
      if (/\.ya?ml$/.test(f)) out.push({ id: `${vendor}/${f.replace(/\.ya?ml$/, "")}`, file: join(vdir, f) });
    }
  }
  return out;
}

/**
 * Resolves CLI arguments to scenarios: ids (`enreach/queue-answered`), globs (`enreach/*`, `*`)
 * and paths to YAML files. Unknown names get a message that lists what exists.
 */
export function resolveScenarios(
  args: string[],
  vendors: VendorLookup,
  dir = BUILTIN_SCENARIO_DIR,
): Scenario[] {
  const all = builtinScenarioFiles(dir);
  const out: Scenario[] = [];
  for (const arg of args) {
    if (/\.ya?ml$/.test(arg) || (existsSync(arg) && statSync(arg).isFile())) {
      // a quoted pattern, which no shell expanded
      const files = expandFilePattern(arg);
      if (files.length === 0)
        throw new ScenarioError("no scenario file matches this pattern; check the directory and the name", {
          file: arg,
        });
      for (const file of files) out.push(loadScenarioFile(resolve(file), vendors));
      continue;
    }
    const re = globToRegExp(arg.includes("/") || arg.includes("*") ? arg : `${arg}/*`);
    const hits = all.filter((s) => re.test(s.id) || (!arg.includes("/") && s.id === arg));
    if (hits.length === 0) {
      const prefix = arg.includes("/") ? arg.split("/")[0]! : "";
      const known = [...new Set(all.map((s) => s.id.split("/")[0]!))].sort();
      // a vendor part that names no vendor: say so, rather than suggest scenarios of other vendors
      const vendor =
        prefix && !prefix.includes("*") && !vendors(prefix) && !known.includes(prefix)
          ? `"${prefix}" is not a vendor; ids are vendor/name with vendor one of ${known.join(", ")}. `
          : "";
      const needle = basename(arg).replace(/\*/g, "");
      // the named vendor's own scenarios first
      const mine = (id: string) => (prefix && id.startsWith(`${prefix}/`) ? 0 : 1);
      const contains =
        vendor || !needle
          ? []
          : all
              .filter((s) => s.id.includes(needle))
              .map((s) => s.id)
              .sort((a, b) => mine(a) - mine(b));
      // else the ids a typo or a left-out word away (`acefone/inbound-answered`); a bare name is
      // compared with the names, and with the vendors (`enrech`)
      const byName = new Map<string, string[]>();
      const add = (k: string, id: string) => byName.set(k, [...(byName.get(k) ?? []), id]);
      if (!prefix) {
        for (const v of known) add(v, `${v}/*`);
        for (const s of all) add(basename(s.id), s.id);
      } else for (const s of all) add(s.id, s.id);
      const near =
        contains.length || vendor || arg.includes("*")
          ? contains
          : closest(arg, [...byName.keys()]).flatMap((k) => byName.get(k)!);
      throw new PbxsimError(
        "SCENARIO",
        `no scenario matches "${arg}". ${vendor}${didYouMean(near.slice(0, 5))}Run \`pbxsim list scenarios\` for the ids, or pass a path to a .yaml file.`,
      );
    }
    for (const h of hits) out.push(loadScenarioFile(h.file, vendors));
  }
  return out;
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

import { readFileSync } from "node:fs";
import { type Document, LineCounter, parseDocument } from "yaml";
import { type ErrorCode, PbxsimError } from "./errors.js";

/**
 * Reads and parses a YAML file given by a flag (`--targets`, `--phases`). Errors name the flag
 * and the file, and a syntax error its line; `lineOf` turns a node's offset into its line.
 */
export function readYamlFile(
  file: string,
  flag: string,
  code: ErrorCode,
): { doc: Document.Parsed; data: unknown; lineOf: (offset: number) => number } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PbxsimError(
      code,
      `${flag} ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code}); check the path.`,
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new PbxsimError(
      code,
      `${file}${line ? `:${line}` : ""}: YAML syntax error: ${e.message.split("\n")[0]}. Fix the YAML there.`,
    );
  }
  return { doc, data: doc.toJS() as unknown, lineOf: (offset) => lineCounter.linePos(offset).line };
}

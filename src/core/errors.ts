/**
 * Typed errors with stable codes. The CLI maps each code to an exit code and prints the message
 * as one paragraph; user mistakes never show a stack trace.
 */
export type ErrorCode =
  "USAGE" | "SCENARIO" | "TARGETS" | "VENDOR" | "EVENT" | "TLS" | "IO" | "PORT_IN_USE" | "DELIVERY";

export const EXIT_CODES: Record<ErrorCode | "OK" | "UNDELIVERED" | "INTERNAL" | "INTERRUPTED", number> = {
  OK: 0,
  UNDELIVERED: 1,
  USAGE: 2,
  SCENARIO: 3,
  TARGETS: 3,
  VENDOR: 2,
  EVENT: 2,
  TLS: 4,
  IO: 5,
  PORT_IN_USE: 6,
  DELIVERY: 1,
  INTERNAL: 70,
  INTERRUPTED: 130,
};

export class PbxsimError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PbxsimError";
    this.code = code;
  }
}

export class ScenarioError extends PbxsimError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, where: { file?: string; line?: number } = {}) {
    const loc = where.file ? `${where.file}${where.line ? `:${where.line}` : ""}: ` : "";
    super("SCENARIO", `${loc}${message}`);
    this.name = "ScenarioError";
    this.file = where.file;
    this.line = where.line;
  }
}

/**
 * A mistake in a targets file section; `path` is where, from the vendor's section down
 * (`["acefone", 1, "trigger"]`), so the file's reader can name the line.
 */
export class TargetsError extends PbxsimError {
  readonly path: readonly (string | number)[];
  constructor(message: string, path: readonly (string | number)[]) {
    super("TARGETS", message);
    this.name = "TargetsError";
    this.path = path;
  }
}

export class UsageError extends PbxsimError {
  constructor(message: string) {
    super("USAGE", message);
    this.name = "UsageError";
  }
}

export function isPbxsimError(e: unknown): e is PbxsimError {
  return e instanceof PbxsimError;
}

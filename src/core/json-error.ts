/**
 * Where and why `JSON.parse(text)` failed, for a message that names the line: V8 says
 * "... at position 123" for long inputs, and quotes a short input whole
 * (`Unexpected token '}', "{"a":1,\n"b":}" is not valid JSON`), which would spill the file
 * over several lines of the message.
 */
export function jsonError(text: string, e: unknown): { line?: number; reason: string } {
  const message = e instanceof Error ? e.message : String(e);
  const at = /at position (\d+)/.exec(message);
  const reason = message.replace(/, ".*" is not valid JSON$/s, "").replace(/\s*\n\s*/g, " ");
  return at ? { line: text.slice(0, Number(at[1])).split("\n").length, reason } : { reason };
}

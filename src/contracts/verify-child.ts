import { type VerifyOptions, verifyMessagePacts, verifyReceiver } from "./pact.js";

/**
 * Runs a verification in a child process: the Pact verifier writes its own narrative to the
 * process's stdout, which the parent turns into progress on stderr; results come back as a message.
 */
process.on("message", async (msg: { kind: "http"; opts: VerifyOptions } | { kind: "messages"; files: string[]; profile?: string }) => {
  try {
    const results = msg.kind === "http" ? await verifyReceiver(msg.opts) : await verifyMessagePacts(msg.files, { profile: msg.profile });
    process.send?.({ ok: true, results });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    process.send?.({ ok: false, code: err.code, message: err.message ?? String(e) });
  }
});

import { describeError } from "../delivery/engine.js";
import { type VerifyOptions, verifyMessagePacts, verifyReceiver } from "./pact.js";

// The verifier's proxy throws when the receiver goes away during the run (it has no error
// handler); the parent gets that as the run's error rather than waiting for answers that never come.
process.on("uncaughtException", (e) => {
  process.send?.({
    ok: false,
    code: "DELIVERY",
    message: `the receiver stopped answering during the verification: ${describeError(e, 0)}`,
  });
});

/**
 * Runs a verification in a child process: the Pact verifier writes its own narrative to the
 * process's stdout, which the parent turns into progress on stderr; results come back as a message.
 */
// the parent is gone (interrupted or killed): nobody will read the results, and a verifier waiting
// on a receiver would otherwise keep this process alive
process.on("disconnect", () => process.kill(process.pid, "SIGKILL"));

process.on("message", async (msg: { kind: "http"; opts: VerifyOptions } | { kind: "messages"; files: string[]; profile?: string }) => {
  try {
    const results = msg.kind === "http" ? await verifyReceiver(msg.opts) : await verifyMessagePacts(msg.files, { profile: msg.profile });
    process.send?.({ ok: true, results });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    process.send?.({ ok: false, code: err.code, message: err.message ?? String(e) });
  }
});

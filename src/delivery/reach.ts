import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { PbxsimError } from "../core/errors.js";
import { describeError, trustedCas } from "./engine.js";

/** How long the check that the receiver can be reached waits for a connection. */
const REACH_TIMEOUT_MS = 5000;

/**
 * Connects to the receiver once, with the trust the run will use, and sends nothing. The
 * verifier reaches the receiver through a proxy that never answers when the receiver cannot be
 * reached, so an unreachable or untrusted receiver would mean a wait of 30 s per interaction instead
 * of one message; `check` would fail every check with the same transport error.
 */
export async function reachReceiver(target: URL, insecure: boolean, caFile?: string): Promise<void> {
  const https = target.protocol === "https:";
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const port = Number(target.port) || (https ? 443 : 80);
  const ca = caFile ? trustedCas(caFile) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = https
        ? tlsConnect({
            host,
            port,
            servername: isIP(host) ? undefined : host,
            rejectUnauthorized: !insecure,
            ca,
          })
        : netConnect({ host, port });
      socket.setTimeout(REACH_TIMEOUT_MS, () =>
        socket.destroy(Object.assign(new Error("timeout"), { code: "TimeoutError" })),
      );
      socket.once(https ? "secureConnect" : "connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", reject);
    });
  } catch (e) {
    const why = describeError(e, REACH_TIMEOUT_MS, caFile);
    if (why.startsWith("TLS")) throw new PbxsimError("TLS", `--url ${target.origin}: ${why}.`);
    throw new PbxsimError(
      "DELIVERY",
      `--url ${target.origin}: the receiver cannot be reached: ${why}. Start the receiver first.`,
    );
  }
}

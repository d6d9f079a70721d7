import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { PbxsimError } from "../core/errors.js";
import { createReceiver, type Receiver, type ReceiverOptions } from "./app.js";

export interface ServeOptions extends ReceiverOptions {
  port?: number;
  /** Defaults to 127.0.0.1: the receiver is not reachable from other machines unless asked. */
  host?: string;
  https?: boolean;
  certFile?: string;
  keyFile?: string;
}

export interface RunningReceiver extends Receiver {
  server: Server;
  url: string;
  /** PEM of the certificate in use (HTTPS only), e.g. to trust it with --ca. */
  certPem?: string;
  close(): Promise<void>;
}

function readPem(file: string, flag: string, marker: RegExp, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PbxsimError(
      "TLS",
      `${flag} ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code}). Give the path of a PEM ${what}, or leave out --cert/--key to use a generated self-signed certificate.`,
    );
  }
  if (!marker.test(text)) {
    // a PEM file of another kind: most often --cert and --key given the wrong way round
    const held = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
    throw new PbxsimError(
      "TLS",
      held
        ? `${flag} ${file}: holds a PEM ${held.toLowerCase()}, not a ${what}.${/PRIVATE KEY|CERTIFICATE/.test(held) ? " Are --cert and --key the wrong way round?" : ""}`
        : `${flag} ${file}: not a PEM ${what} (no "-----BEGIN ...-----" line). Convert it to PEM, e.g. with openssl.`,
    );
  }
  return text;
}

/** A self-signed certificate for localhost and 127.0.0.1, made once per process. */
let selfSigned: Promise<{ cert: string; key: string }> | undefined;
export function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  selfSigned ??= generate([{ name: "commonName", value: "localhost" }], {
    days: 30,
    keySize: 2048,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  } as Parameters<typeof generate>[1]).then((p) => ({ cert: p.cert, key: p.private }));
  return selfSigned;
}

/** Starts the receiver on a real socket. Port 0 picks a free port. */
export async function serve(opts: ServeOptions): Promise<RunningReceiver> {
  const receiver = createReceiver(opts);
  const host = opts.host ?? "127.0.0.1";
  let server: Server;
  let certPem: string | undefined;
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) {
      throw new PbxsimError(
        "USAGE",
        "--cert and --key go together: give both PEM files, or neither for a self-signed certificate.",
      );
    }
    const cert = readPem(opts.certFile, "--cert", /-----BEGIN CERTIFICATE-----/, "certificate");
    const key = readPem(opts.keyFile, "--key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/, "private key");
    // each file readable on its own first, so a damaged one is named rather than the pair blamed
    for (const [flag, file, read] of [
      ["--cert", opts.certFile, () => new X509Certificate(cert)],
      ["--key", opts.keyFile, () => createPrivateKey(key)],
    ] as const) {
      try {
        read();
      } catch (e) {
        throw new PbxsimError(
          "TLS",
          flag === "--key" && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)
            ? `--key ${file}: the key is encrypted; the receiver needs it without a passphrase (\`openssl pkey -in ${file} -out key.pem\`).`
            : `${flag} ${file}: cannot be read (${(e as Error).message}); the file is damaged or cut short. Export it again.`,
        );
      }
    }
    try {
      server = createHttpsServer({ cert, key }, receiver.app) as unknown as Server;
    } catch (e) {
      throw new PbxsimError(
        "TLS",
        `--cert/--key: the certificate and key do not work together (${(e as Error).message}).`,
      );
    }
    certPem = cert;
  } else if (opts.https) {
    const pair = await selfSignedCertificate();
    server = createHttpsServer({ cert: pair.cert, key: pair.key }, receiver.app) as unknown as Server;
    certPem = pair.cert;
  } else {
    server = createHttpServer(receiver.app);
  }
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") {
        reject(
          new PbxsimError(
            "PORT_IN_USE",
            `--port ${opts.port}: the port is already in use on ${host}. Stop whatever listens there, or pick another port (--port 0 picks a free one).`,
          ),
        );
      } else if (e.code === "EACCES") {
        reject(
          new PbxsimError(
            "PORT_IN_USE",
            `--port ${opts.port}: not allowed to listen there (EACCES); ports below 1024 need privileges. Use a port above 1024.`,
          ),
        );
      } else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND") {
        reject(new PbxsimError("USAGE", `--host ${host}: not an address of this machine (${e.code}).`));
      } else reject(e);
    };
    server.once("error", onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const scheme = certPem ? "https" : "http";
  const shownHost = host.includes(":")
    ? `[${host}]`
    : host === "127.0.0.1" || host === "0.0.0.0"
      ? "127.0.0.1"
      : host;
  return {
    ...receiver,
    server,
    certPem,
    url: `${scheme}://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

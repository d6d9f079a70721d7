import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { selfSignedCertificate } from "../../src/receiver/serve.js";

/** A real loopback server whose handler a test scripts; records every request it got. */
export interface TestServer {
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage["headers"]; body: string; at: number }[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse, n: number) => unknown;

export async function startServer(handler: Handler, opts: { https?: boolean } = {}): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        at: performance.now(),
      });
      void handler(Object.assign(req, { body }), res, requests.length);
    });
  };
  let server: Server;
  if (opts.https) {
    const { cert, key } = await selfSignedCertificate();
    server = createHttpsServer({ cert, key }, listener) as unknown as Server;
  } else server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.https ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

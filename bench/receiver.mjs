// A minimal webhook receiver for the benchmark: reads each request body and answers 200 with no
// body. Listens on loopback only, on BENCH_RECEIVER_PORT or a free port, and prints
// `{"port":N}` on stdout once it is listening. Plain JavaScript so it runs on any Node >= 20
// without a TypeScript loader.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  req.on("end", () => {
    res.writeHead(200, { "content-length": "0" });
    res.end();
  });
  req.on("error", () => res.destroy());
  req.resume(); // read and discard the body
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

server.listen(Number(process.env.BENCH_RECEIVER_PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// stop with the benchmark, however it ends: its end of stdin closes
process.stdin.on("end", stop);
process.stdin.resume();

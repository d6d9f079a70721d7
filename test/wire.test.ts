import { createServer as createHttps } from "node:https";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { selfSignedCertificate } from "../src/receiver/serve.js";
import { type Conn, encodeRequest, WirePool, type WireJob } from "../src/load/wire.js";

/** The load runner's HTTP/1.1 client against scripted loopback servers: framing, reuse, failures, TLS. */

type Outcome = { status: number } | { error: string; code?: string };

function job(wire: Buffer, head = false): WireJob & { outcome: Promise<Outcome> } {
  let settle!: (o: Outcome) => void;
  const outcome = new Promise<Outcome>((r) => (settle = r));
  const j = {
    wire,
    head,
    done: false,
    conn: null as Conn | null,
    outcome,
    answered(status: number) {
      j.done = true;
      settle({ status });
    },
    failed(err: Error) {
      j.done = true;
      settle({ error: err.message, code: (err as { code?: string }).code });
    },
  };
  return j;
}

/** A raw TCP server: `answer` gets each complete request (head and body) and the socket. */
async function rawServer(answer: (request: string, socket: Socket, index: number) => void) {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let buf = "";
    socket.setEncoding("latin1");
    socket.on("error", () => undefined);
    socket.on("data", (d: string) => {
      buf += d;
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const request = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        requests.push(request);
        answer(request, socket, requests.length - 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
  return {
    url,
    requests,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const pools: WirePool[] = [];
const newPool = (connections = 1, pipelining = 1, ca?: string) => {
  const p = new WirePool({ connections, pipelining, ...(ca ? { ca: [ca] } : {}) });
  pools.push(p);
  return p;
};
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

const post = (url: URL, body = "{}") =>
  encodeRequest("POST", url.pathname, url.host, { "Content-Type": "application/json" }, body);

/** Posts one request on the pool's connection to `url` and waits for its outcome. */
async function sendOne(pool: WirePool, url: URL): Promise<Outcome> {
  const j = job(post(url));
  pool.endpoint(url, false).send(j);
  return j.outcome;
}

/** Writes `text` in pieces of `size` bytes, a few ms apart, to split frames at awkward places. */
function dribble(socket: Socket, text: string, size: number): void {
  let i = 0;
  const next = () => {
    if (socket.destroyed) return;
    socket.write(text.slice(i, i + size), "latin1");
    i += size;
    if (i < text.length) setTimeout(next, 1);
  };
  next();
}

describe("the request", () => {
  it("is written as given: request line, host, the headers in their case, keep-alive, byte length and body", async () => {
    const s = await rawServer((_, socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    try {
      const body = '{"city":"Äänekoski"}';
      const j = job(
        encodeRequest(
          "POST",
          "/hook?a=1",
          s.url.host,
          { "Content-Type": "application/json", "X-Token": "t" },
          body,
        ),
      );
      newPool().endpoint(s.url, false).send(j);
      expect(await j.outcome).toEqual({ status: 200 });
      expect(Buffer.from(s.requests[0]!, "latin1").toString("utf8")).toBe(
        `POST /hook?a=1 HTTP/1.1\r\nhost: ${s.url.host}\r\nContent-Type: application/json\r\nX-Token: t\r\nconnection: keep-alive\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    } finally {
      await s.close();
    }
  });

  it("keeps a given Host, drops framing headers it writes itself, and refuses a header that breaks lines", () => {
    const wire = encodeRequest(
      "GET",
      "/x",
      "127.0.0.1:1",
      { Host: "crm.test", "Content-Length": "99", connection: "close" },
      "",
    );
    expect(wire.toString("latin1")).toBe(
      "GET /x HTTP/1.1\r\nHost: crm.test\r\nconnection: keep-alive\r\n\r\n",
    );
    expect(encodeRequest("POST", "/x", "h", {}, "").toString("latin1")).toContain(
      "content-length: 0\r\n\r\n",
    );
    expect(() => encodeRequest("POST", "/x", "h", { "X-A": "1\r\nX-B: 2" }, "")).toThrow(/X-A.*line break/);
    // header text is written byte for byte (latin1), the body in UTF-8
    const mixed = encodeRequest("POST", "/x", "h", { "X-City": "Jyväskylä" }, "ä");
    expect(mixed.includes(Buffer.from("X-City: Jyväskylä\r\n", "latin1"))).toBe(true);
    expect(mixed.subarray(-2)).toEqual(Buffer.from("ä", "utf8"));
    expect(mixed.toString("latin1")).toContain("content-length: 2\r\n\r\n");
  });

  it("refuses a header name that is empty or holds a colon or space, and keeps every request's bytes its own", () => {
    expect(() => encodeRequest("POST", "/x", "h", { "X-A:B": "1" }, "")).toThrow(/"X-A:B".*colon/);
    expect(() => encodeRequest("POST", "/x", "h", { "": "1" }, "")).toThrow(/cannot be empty/);
    // thousands of requests, small and large, cut from shared slabs: each keeps its own bytes
    const made: { wire: Buffer; body: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      const body = (i % 97 === 0 ? "é" : "x").repeat(i % 500 === 0 ? 20_000 : (i * 37) % 900);
      made.push({ wire: encodeRequest("POST", `/r${i}`, "h", { "X-N": String(i) }, body), body });
    }
    for (const [i, { wire, body }] of made.entries()) {
      const text = wire.toString("utf8");
      expect(text.startsWith(`POST /r${i} HTTP/1.1\r\nhost: h\r\nX-N: ${i}\r\n`)).toBe(true);
      expect(text.endsWith(`content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)).toBe(true);
    }
  });
});

describe("answers", () => {
  it("frames answers by length, chunks, interim 100 and 204, split anywhere, on one reused connection", async () => {
    const answers = [
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
      "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!",
    ];
    const s = await rawServer((_, socket, i) => dribble(socket, answers[i]!, 3));
    const pool = newPool();
    try {
      const statuses: Outcome[] = [];
      for (let i = 0; i < answers.length; i++) {
        statuses.push(await sendOne(pool, s.url));
      }
      expect(statuses).toEqual([
        { status: 200 },
        { status: 202 },
        { status: 201 },
        { status: 204 },
        { status: 500 },
      ]);
      expect(s.connections()).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("reads an answer without length to the end of the connection, and opens a new one after Connection: close or HTTP/1.0", async () => {
    const answers = [
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length here",
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ];
    const s = await rawServer((_, socket, i) => {
      socket.write(answers[i]!);
      if (i === 0) socket.end();
    });
    const pool = newPool();
    try {
      for (let i = 0; i < answers.length; i++) {
        expect(await sendOne(pool, s.url)).toEqual({ status: 200 });
      }
      // the first three each closed their connection; the fourth kept its own for the fifth
      expect(s.connections()).toBe(4);
    } finally {
      await s.close();
    }
  });

  it("stops reusing a connection before the receiver's keep-alive timeout", async () => {
    const s = await rawServer((_, socket) =>
      socket.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n"),
    );
    const pool = newPool();
    try {
      for (let i = 0; i < 2; i++) {
        expect(await sendOne(pool, s.url)).toEqual({ status: 200 });
      }
      expect(s.connections()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("reads each answer's own head when answers repeat and differ only in a header or the status", async () => {
    const keep = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: Sun, 22 Nov 2026 10:37:39 GMT\r\n\r\n";
    const answers = [
      keep,
      keep,
      keep.replace("Content-Length: 0", "Connection: close\r\nContent-Length: 0"),
      keep,
      keep.replace("200 OK", "503 Service Unavailable"),
      keep.replace("Content-Length: 0", "Content-Length: 2") + "ok",
      keep,
    ];
    const s = await rawServer((_, socket, i) => socket.write(answers[i]!));
    const pool = newPool();
    try {
      const outcomes: Outcome[] = [];
      for (let i = 0; i < answers.length; i++) outcomes.push(await sendOne(pool, s.url));
      expect(outcomes.map((o) => ("status" in o ? o.status : o.error))).toEqual([
        200, 200, 200, 200, 503, 200, 200,
      ]);
      // only the third answer closed its connection; the 2-byte body did not run into the next answer
      expect(s.connections()).toBe(2);
    } finally {
      await s.close();
    }
  });
  it("fails on a broken answer, a connection closed mid-answer, and a refused connection", async () => {
    const s = await rawServer((_, socket, i) => {
      if (i === 0) socket.write("SIP/2.0 200 OK\r\n\r\n");
      else if (i === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
      else {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        socket.end();
      }
    });
    const pool = newPool();
    try {
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 3; i++) {
        outcomes.push(await sendOne(pool, s.url));
      }
      expect(outcomes[0]).toMatchObject({
        error: expect.stringMatching(/not an HTTP\/1.x status line: "SIP\/2.0/),
      });
      expect(outcomes[1]).toMatchObject({ error: expect.stringMatching(/bad content-length "x"/) });
      expect(outcomes[2]).toMatchObject({ code: "ECONNRESET" });
    } finally {
      await s.close();
    }
    expect(await sendOne(pool, s.url)).toMatchObject({ code: "ECONNREFUSED" });
  });
});

describe("connections", () => {
  it("pipelines up to N requests on one connection and matches answers in order", async () => {
    const s = await rawServer((_, socket, i) => {
      // answer only once all three have arrived, so they were written before the first answer
      if (i === 2)
        for (const status of [200, 201, 202])
          socket.write(`HTTP/1.1 ${status} X\r\nContent-Length: 1\r\n\r\n.`);
    });
    const pool = newPool(1, 3);
    try {
      const jobs = [0, 1, 2].map(() => job(post(s.url)));
      for (const j of jobs) pool.endpoint(s.url, false).send(j);
      expect(await Promise.all(jobs.map((j) => j.outcome))).toEqual([
        { status: 200 },
        { status: 201 },
        { status: 202 },
      ]);
      expect(s.connections()).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("queues requests beyond the connection limit and sends them as connections free up", async () => {
    const s = await rawServer((_, socket) =>
      setTimeout(() => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 5),
    );
    const pool = newPool(2);
    try {
      const jobs = Array.from({ length: 9 }, () => job(post(s.url)));
      for (const j of jobs) pool.endpoint(s.url, false).send(j);
      for (const o of await Promise.all(jobs.map((j) => j.outcome))) expect(o).toEqual({ status: 200 });
      expect(s.connections()).toBe(2);
    } finally {
      await s.close();
    }
  });

  it("closing a connection fails what it carried, naming the request at fault", async () => {
    const s = await rawServer(() => undefined); // never answers
    const pool = newPool(1, 2);
    try {
      const [a, b] = [job(post(s.url)), job(post(s.url))];
      pool.endpoint(s.url, false).send(a);
      pool.endpoint(s.url, false).send(b);
      await new Promise((r) => setTimeout(r, 20));
      const timeout = Object.assign(new Error("request timed out"), { name: "TimeoutError" });
      a.conn!.destroy(timeout, a);
      expect(await a.outcome).toEqual({ error: "request timed out", code: undefined });
      expect(await b.outcome).toMatchObject({
        error: expect.stringMatching(/earlier request on it timed out/),
      });
    } finally {
      await s.close();
    }
  });
});

describe("TLS", () => {
  it("verifies certificates unless told not to, and trusts a given CA", async () => {
    const { cert, key } = await selfSignedCertificate();
    const server = createHttps({ cert, key }, (req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-length": "0" }).end());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = new URL(`https://localhost:${(server.address() as AddressInfo).port}/hook`);
    try {
      const verified = job(post(url));
      newPool().endpoint(url, false).send(verified);
      expect(await verified.outcome).toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
      const insecure = job(post(url));
      newPool().endpoint(url, true).send(insecure);
      expect(await insecure.outcome).toEqual({ status: 200 });
      const trusted = job(post(url));
      newPool(1, 1, cert).endpoint(url, false).send(trusted);
      expect(await trusted.outcome).toEqual({ status: 200 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

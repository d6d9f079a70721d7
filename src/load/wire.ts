import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, createSecureContext, type SecureContext } from "node:tls";
import { PbxsimError } from "../core/errors.js";

/**
 * The load runner's HTTP/1.1 client: keep-alive connections pooled per origin, each request
 * written as one pre-encoded buffer, answers read by a small parser that keeps only what the
 * runner needs (the status, and where the answer ends). Bodies of answers are skipped.
 *
 * A request is a `WireJob`: the pool writes it on a connection and calls `answered` or `failed`
 * exactly once, unless the job was settled by its owner first (a deadline), which the pool sees
 * through `done`.
 */
export interface WireJob {
  /** The whole request: request line, headers, blank line and body. */
  readonly wire: Buffer;
  /** A HEAD request: its answer has no body whatever its headers say. */
  readonly head: boolean;
  /** Settled (answered, failed or expired); the pool skips such a job. */
  readonly done: boolean;
  /** The connection carrying the request once it is written; set by the pool. */
  conn: Conn | null;
  /** `location`: the answer's Location header, when it has one. */
  answered(status: number, location?: string): void;
  failed(err: Error): void;
}

export interface WireOptions {
  /** Connections per origin. */
  connections: number;
  /** Requests written on one connection before its first answer arrives. */
  pipelining: number;
  /** The certificates to trust in place of Node's default roots (`trustedCas` with --ca). */
  ca?: readonly string[];
}

/** How long an idle connection is reused when the receiver names no keep-alive timeout. */
const DEFAULT_KEEP_ALIVE_MS = 4000;
/** Reuse stops this long before the receiver's own keep-alive timeout closes the connection. */
const KEEP_ALIVE_MARGIN_MS = 1000;
const MAX_HEAD_BYTES = 16 * 1024;
const CRLF2 = "\r\n\r\n";
/** Where plain TCP connections read into; each read is parsed before the next one. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const enum Body {
  None,
  Length,
  ChunkSize,
  ChunkData,
  Trailer,
  UntilClose,
}

function wireError(message: string, code?: string): Error {
  const e = new Error(message) as Error & { code?: string };
  if (code) e.code = code;
  return e;
}

/** Header names already checked: a run sends the same few names again and again. */
const goodNames = new Set<string>();
/** Requests are cut from slabs like this one, as Node's own buffer pool does, but larger. */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabAt = 0;

/** `bytes` fresh bytes of a slab, 8-byte aligned, or a buffer of their own when that many would not fit. */
function take(bytes: number): Buffer {
  if (bytes > SLAB_BYTES / 4) return Buffer.allocUnsafe(bytes);
  if (slabAt + bytes > SLAB_BYTES) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + bytes);
  slabAt = (slabAt + bytes + 7) & ~7;
  return out;
}

/** Throws the error of a header that would break the request's framing. */
function checkHeader(name: string, value: string): void {
  if (!goodNames.has(name)) {
    if (/[\r\n\0:\s]/.test(name) || name === "")
      throw new PbxsimError(
        "USAGE",
        `header ${JSON.stringify(name)}: a header name cannot be empty or hold a line break, a colon or a space; fix the header in the targets file or --header.`,
      );
    goodNames.add(name);
  }
  if (/[\r\n\0]/.test(value))
    throw new PbxsimError(
      "USAGE",
      `header ${JSON.stringify(name)}: its value cannot hold a line break or a NUL character; fix the header in the targets file or --header.`,
    );
}

/**
 * The bytes of one request (head in latin1, as HTTP/1.1 clients write header text; body in UTF-8),
 * written straight into a slab. They live outside the JavaScript heap, so requests waiting for
 * their due time cost the garbage collector nothing. Header names and values are checked so none
 * can break the framing.
 */
export function encodeRequest(
  method: string,
  path: string,
  hostHeader: string,
  headers: Record<string, string>,
  body: string,
): Buffer {
  let lines = "";
  let host = true;
  for (const name in headers) {
    const value = headers[name]!;
    checkHeader(name, value);
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "connection" || lower === "transfer-encoding") continue;
    if (lower === "host") host = false;
    lines += `${name}: ${value}\r\n`;
  }
  const bodyBytes = body === "" ? 0 : Buffer.byteLength(body);
  let head = `${method} ${path} HTTP/1.1\r\n${host ? `host: ${hostHeader}\r\n` : ""}${lines}connection: keep-alive\r\n`;
  if (bodyBytes > 0 || method === "POST" || method === "PUT" || method === "PATCH")
    head += `content-length: ${bodyBytes}\r\n`;
  head += "\r\n";
  // latin1 writes one byte per character: the head's length is its size in bytes
  const out = take(head.length + bodyBytes);
  out.write(head, 0, "latin1");
  if (bodyBytes > 0) out.write(body, head.length, "utf8");
  return out;
}

/** What an answer's status line and headers say about its framing. */
interface Head {
  status: number;
  /** The body's length, or -1 when no content-length was given. */
  length: number;
  chunked: boolean;
  /** Whether the connection stays open after this answer (before the body's framing is known). */
  keepAlive: boolean;
  /** How long the connection may idle, from a `keep-alive: timeout=N` header. */
  keepAliveMs: number | undefined;
  /** The Location header (a redirect's target). */
  location: string | undefined;
}

/**
 * The last head block read and what it said. A receiver answers alike again and again, its head
 * changing only with its Date header, once a second; the same text needs no second reading.
 */
let lastHead: { text: string; head: Head } | undefined;

/**
 * Reads the status line and headers of `s` from `start` to `end` (the blank line), keeping only
 * the headers that frame the answer. A string is the message of a malformed head.
 */
function readHead(s: string, start: number, end: number): Head | string {
  const text = s.slice(start, end);
  if (lastHead !== undefined && lastHead.text === text) return lastHead.head;
  if (!s.startsWith("HTTP/1.", start) || s.charCodeAt(start + 8) !== 32)
    return `not an HTTP/1.x status line: ${JSON.stringify(s.slice(start, Math.min(end, start + 40)))}`;
  const http10 = s.charCodeAt(start + 7) === 48;
  const status = Number(s.slice(start + 9, start + 12));
  if (!Number.isInteger(status) || status < 100 || status > 999)
    return `a bad status code in ${JSON.stringify(s.slice(start, Math.min(end, start + 40)))}`;
  let length = -1;
  let chunked = false;
  let connection = "";
  let keepAliveMs: number | undefined;
  let location: string | undefined;
  let line = s.indexOf("\r\n", start);
  while (line >= 0 && line < end) {
    const next = s.indexOf("\r\n", line + 2);
    const lineEnd = next < 0 || next > end ? end : next;
    const colon = s.indexOf(":", line + 2);
    if (colon > 0 && colon < lineEnd) {
      const nameLen = colon - line - 2;
      // only the few headers that frame the answer (and a redirect's target) matter; compare
      // lengths before the text
      if (nameLen === 14 || nameLen === 17 || nameLen === 10 || nameLen === 8) {
        const name = s.slice(line + 2, colon).toLowerCase();
        const value = s.slice(colon + 1, lineEnd).trim();
        if (name === "content-length") {
          if (!/^\d{1,15}$/.test(value)) return `a bad content-length ${JSON.stringify(value.slice(0, 40))}`;
          length = Number(value);
        } else if (name === "transfer-encoding") chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        else if (name === "connection") connection = value.toLowerCase();
        else if (name === "location") location = value;
        else if (name === "keep-alive") {
          const m = /timeout=(\d+)/i.exec(value);
          if (m) keepAliveMs = Math.max(0, Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS);
        }
      }
    }
    line = next < 0 || next >= end ? -1 : next;
  }
  const head: Head = {
    status,
    length,
    chunked,
    keepAlive: http10 ? connection.includes("keep-alive") : !connection.includes("close"),
    keepAliveMs,
    location,
  };
  lastHead = { text, head };
  return head;
}

/** One keep-alive connection and the parser of its answers. */
export class Conn {
  /** Requests written and not yet answered, oldest first. */
  readonly busy: WireJob[] = [];
  idleSince = 0;
  keepAliveMs = DEFAULT_KEEP_ALIVE_MS;
  closed = false;
  private error: Error | undefined;
  // parser state
  private rest = "";
  private inHead = true;
  private body = Body.None;
  private remaining = 0;
  private status = 0;
  private location: string | undefined;
  private keepAlive = true;

  /** `ownReader`: the socket delivers its bytes to `read` itself (a plain TCP socket's `onread`). */
  constructor(
    readonly socket: Socket,
    private readonly endpoint: Endpoint,
    ownReader: boolean,
  ) {
    socket.setNoDelay(true);
    if (!ownReader) {
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => this.read(d));
    }
    socket.on("end", () => this.ended());
    socket.on("error", (e: Error) => {
      this.error ??= e;
    });
    socket.on("close", () => this.lost());
  }

  write(job: WireJob): void {
    job.conn = this;
    this.busy.push(job);
    this.socket.write(job.wire);
  }

  /** Closes the connection; `culprit` fails with `err`, the other unanswered requests with a closed-connection error. */
  destroy(err: Error, culprit?: WireJob): void {
    if (this.closed) return;
    this.closed = true;
    this.error = err;
    this.failAll(culprit);
    this.socket.destroy();
    this.endpoint.dropped(this);
  }

  private failAll(culprit?: WireJob): void {
    const jobs = this.busy.splice(0);
    const err = this.error ?? wireError("the receiver closed the connection before answering", "ECONNRESET");
    for (const job of jobs) {
      if (job.done) continue;
      job.failed(
        job === culprit || culprit === undefined
          ? err
          : wireError("the connection was closed after an earlier request on it timed out"),
      );
    }
  }

  private ended(): void {
    // an answer without length ends with the connection
    if (!this.inHead && this.body === Body.UntilClose) this.finish();
  }

  private lost(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll();
    this.endpoint.dropped(this);
  }

  private fail(message: string): void {
    this.destroy(wireError(`bad answer from the receiver: ${message}`, "HPE_INVALID"));
  }

  /**
   * Reads a chunk of answers. When pipelining, the requests those answers set off on this
   * connection leave in one write.
   */
  read(chunk: string): void {
    if (this.endpoint.pipelining === 1) return this.parse(chunk);
    this.socket.cork();
    try {
      this.parse(chunk);
    } finally {
      this.socket.uncork();
    }
  }

  private parse(chunk: string): void {
    const s = this.rest === "" ? chunk : this.rest + chunk;
    this.rest = "";
    let pos = 0;
    while (pos < s.length && !this.closed) {
      if (this.inHead) {
        const end = s.indexOf(CRLF2, pos);
        if (end < 0) {
          if (s.length - pos > MAX_HEAD_BYTES) return this.fail("a header block larger than 16 KiB");
          this.rest = s.slice(pos);
          return;
        }
        if (this.busy.length === 0) return this.fail("an answer to no request");
        if (!this.parseHead(s, pos, end)) return;
        pos = end + 4;
        continue;
      }
      switch (this.body) {
        case Body.Length:
        case Body.ChunkData: {
          const take = Math.min(this.remaining, s.length - pos);
          pos += take;
          this.remaining -= take;
          if (this.remaining > 0) return;
          if (this.body === Body.Length) this.finish();
          else this.body = Body.ChunkSize;
          break;
        }
        case Body.ChunkSize:
        case Body.Trailer: {
          const eol = s.indexOf("\r\n", pos);
          if (eol < 0) {
            if (s.length - pos > MAX_HEAD_BYTES) return this.fail("a chunk line larger than 16 KiB");
            this.rest = s.slice(pos);
            return;
          }
          const line = s.slice(pos, eol);
          pos = eol + 2;
          if (this.body === Body.Trailer) {
            if (line === "") this.finish();
            break;
          }
          const semi = line.indexOf(";");
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          const size = /^[0-9A-Fa-f]{1,12}$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
          if (!Number.isFinite(size))
            return this.fail(`a bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
          if (size === 0) this.body = Body.Trailer;
          else {
            this.body = Body.ChunkData;
            this.remaining = size + 2; // the data and its CRLF
          }
          break;
        }
        case Body.UntilClose:
          pos = s.length;
          break;
        default:
          this.finish();
      }
    }
  }

  /** Reads a status line and headers; false when the connection was closed for a bad answer. */
  private parseHead(s: string, start: number, end: number): boolean {
    const head = readHead(s, start, end);
    if (typeof head === "string") {
      this.fail(head);
      return false;
    }
    const { status, length, chunked } = head;
    if (head.keepAliveMs !== undefined) this.keepAliveMs = head.keepAliveMs;
    if (status < 200) {
      if (status === 101) {
        this.fail("an unexpected protocol switch (101)");
        return false;
      }
      return true; // an interim answer: the real one follows
    }
    this.status = status;
    this.location = head.location;
    this.keepAlive = head.keepAlive;
    this.inHead = false;
    const job = this.busy[0]!;
    if (job.head || status === 204 || status === 304) this.body = Body.None;
    else if (chunked) this.body = Body.ChunkSize;
    else if (length >= 0) {
      this.body = Body.Length;
      this.remaining = length;
    } else {
      this.body = Body.UntilClose;
      this.keepAlive = false;
    }
    if (this.body === Body.None || (this.body === Body.Length && length === 0)) this.finish();
    return true;
  }

  /** The answer at the head of the queue is complete. */
  private finish(): void {
    this.inHead = true;
    this.body = Body.None;
    const job = this.busy.shift()!;
    const status = this.status;
    if (!this.keepAlive) {
      this.closed = true;
      this.socket.destroy();
      this.failAll();
      this.endpoint.dropped(this);
      if (!job.done) job.answered(status, this.location);
      return;
    }
    // the connection is handed on before the answer is reported, so whatever the report sends
    // next can reuse it
    if (this.busy.length === 0) this.idleSince = performance.now();
    this.endpoint.freed(this);
    if (!job.done) job.answered(status, this.location);
  }
}

/** The connections to one origin, and the requests waiting for one. */
export class Endpoint {
  private readonly conns = new Set<Conn>();
  private readonly idle: Conn[] = [];
  private queue: WireJob[] = [];
  private queueHead = 0;
  readonly hostHeader: string;
  readonly pipelining: number;
  private readonly host: string;
  private readonly port: number;
  private readonly secureContext: SecureContext | undefined;

  constructor(
    url: URL,
    private readonly secure: boolean,
    /** Certificates go unchecked (--insecure, or the target's own setting). */
    readonly insecure: boolean,
    private readonly opts: WireOptions,
  ) {
    this.hostHeader = url.host;
    this.pipelining = opts.pipelining;
    this.host = url.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(url.port || (secure ? 443 : 80));
    // made once: a `ca` list on each connect would parse every root certificate again
    this.secureContext = secure && opts.ca ? createSecureContext({ ca: [...opts.ca] }) : undefined;
  }

  send(job: WireJob): void {
    const conn = this.reusable() ?? this.open();
    if (conn) conn.write(job);
    else this.queue.push(job);
  }

  /** An idle connection still inside its keep-alive window, else a busy one with room to pipeline. */
  private reusable(): Conn | undefined {
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (c.closed) continue;
      if (performance.now() - c.idleSince < c.keepAliveMs) return c;
      c.closed = true; // the receiver may be closing it: do not race it
      c.socket.destroy();
      this.conns.delete(c);
    }
    if (this.opts.pipelining > 1 && this.conns.size >= this.opts.connections) {
      let best: Conn | undefined;
      for (const c of this.conns)
        if (!c.closed && c.busy.length < this.opts.pipelining && (!best || c.busy.length < best.busy.length))
          best = c;
      return best;
    }
    return undefined;
  }

  private open(): Conn | undefined {
    if (this.conns.size >= this.opts.connections) return undefined;
    let conn: Conn;
    if (this.secure) {
      const socket = tlsConnect({
        host: this.host,
        port: this.port,
        ...(isIP(this.host) ? {} : { servername: this.host }),
        rejectUnauthorized: !this.insecure,
        ...(this.secureContext ? { secureContext: this.secureContext } : {}),
        ALPNProtocols: ["http/1.1"],
      });
      conn = new Conn(socket, this, false);
    } else {
      // bytes go from the kernel into one shared buffer and straight to the parser, which copies
      // what it keeps: no stream machinery and no buffer per read
      const socket = netConnect({
        host: this.host,
        port: this.port,
        onread: {
          buffer: READ_BUFFER,
          callback: (n) => {
            conn.read(READ_BUFFER.toString("latin1", 0, n));
            return true;
          },
        },
      });
      conn = new Conn(socket, this, true);
    }
    this.conns.add(conn);
    return conn;
  }

  /** A connection finished an answer: it takes the next waiting request, or goes idle. */
  freed(conn: Conn): void {
    while (this.queueHead < this.queue.length && conn.busy.length < this.opts.pipelining) {
      const job = this.queue[this.queueHead++]!;
      if (!job.done) conn.write(job);
    }
    this.compact();
    if (conn.busy.length === 0) this.idle.push(conn);
  }

  /** A connection closed: waiting requests get a new one. */
  dropped(conn: Conn): void {
    this.conns.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    while (this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead]!;
      if (job.done) {
        this.queueHead++;
        continue;
      }
      const c = this.open();
      if (!c) break;
      this.queueHead++;
      c.write(job);
    }
    this.compact();
  }

  private compact(): void {
    if (this.queueHead === this.queue.length) {
      if (this.queueHead) {
        this.queue = [];
        this.queueHead = 0;
      }
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  close(): void {
    for (const c of this.conns) {
      c.closed = true;
      c.socket.destroy();
    }
    this.conns.clear();
    this.idle.length = 0;
  }
}

/** Endpoints by origin and TLS settings. */
export class WirePool {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(private readonly opts: WireOptions) {}

  endpoint(url: URL, insecure: boolean): Endpoint {
    const secure = url.protocol === "https:";
    const key = `${url.origin} ${secure && insecure ? "insecure" : ""}`;
    let e = this.endpoints.get(key);
    if (!e) {
      if (!secure && url.protocol !== "http:")
        throw new PbxsimError("USAGE", `${url.protocol} URL ${url.origin}: give an http:// or https:// URL.`);
      e = new Endpoint(url, secure, insecure, this.opts);
      this.endpoints.set(key, e);
    }
    return e;
  }

  close(): void {
    for (const e of this.endpoints.values()) e.close();
    this.endpoints.clear();
  }
}

/**
 * A reference webhook receiver for the five PBX vendors pbxsim simulates, small enough to copy.
 *
 *   POST /enreach   Enreach (Benemen): X-Benemen-Token checked in constant time; exactly 200, no body
 *   *    /voipbin   VoIPBIN: X-VoIPBIN-Signature (HMAC-SHA256 of the raw body) checked when a secret is set
 *   *    /3cx       3CX WebhooksApi add-on: JSON, form bodies or GET query strings
 *   *    /acefone   Acefone / Tata Smartflo: JSON, form bodies or GET query strings
 *   *    /webitel   Webitel flow schema httpRequest: JSON by default
 *
 * What every vendor needs from a receiver, and what this one does:
 *   - authenticate before anything else (401);
 *   - answer a body it cannot read with 400, never 500;
 *   - answer a valid event with 200 at once, with no body;
 *   - accept duplicates: dedupe on the vendor's id, store once, still answer 200;
 *   - accept events in any order: never reject an event because an earlier one of its call is missing.
 *
 * Validation uses pbxsim's vendor schemas; replace `vendor.validate` with your own checks if you
 * do not want pbxsim as a dependency. Stored events live in `app.locals.events` (memory only).
 *
 * Run it from a clone of pbxsim: PORT=8080 ENREACH_TOKEN=... VOIPBIN_SECRET=... npm run example:receiver
 * (or, where tsx is installed: npx tsx examples/reference-receiver/server.ts).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { findVendor, type Vendor } from "../../src/index.js";

export interface ReferenceReceiverOptions {
  /** Enreach's webhook Secret, sent in clear as X-Benemen-Token. Unset: the token is not checked. */
  enreachToken?: string;
  /** The VoIPBIN customer's webhook_secret. Unset: signatures are not checked (the legacy generation signs nothing). */
  voipbinSecret?: string;
  /** Request body size limit; default 1 MB. */
  bodyLimit?: string;
}

export interface StoredEvent {
  vendor: string;
  event: string | undefined;
  /** The key duplicates are recognised by. */
  key: string;
  receivedAt: string;
  body: unknown;
}

const VENDOR_IDS = ["enreach", "voipbin", "3cx", "acefone", "webitel"] as const;

export function createReferenceReceiver(opts: ReferenceReceiverOptions = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const events: StoredEvent[] = [];
  const seen = new Set<string>();
  app.locals.events = events;
  app.locals.duplicates = 0;

  // every vendor's body is read raw: the VoIPBIN signature covers the exact bytes
  app.use(express.raw({ type: () => true, limit: opts.bodyLimit ?? "1mb" }));

  for (const id of VENDOR_IDS) {
    const vendor = findVendor(id)!;
    app.all([`/${id}`, `/${id}/{*rest}`], (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

      // 1. authenticate
      const denied = authenticate(id, req, raw, opts);
      if (denied) return res.status(401).json({ error: denied });

      // 2. parse: JSON, a form body, a bare text body, or a GET query string
      const parsed = parseBody(req, raw);
      if (!parsed.ok) return res.status(400).json({ error: parsed.reason });

      // 3. validate against the vendor's schema
      const verdict = vendor.validate(parsed.value, req.headers, req.baseUrl + req.path);
      if (!verdict.ok) return res.status(400).json({ error: "not a valid event", issues: verdict.issues });

      // 4. store once, however often it arrives and in whatever order
      const key = `${id}:${dedupeKey(vendor, parsed.value, raw)}`;
      if (seen.has(key)) app.locals.duplicates = (app.locals.duplicates as number) + 1;
      else {
        seen.add(key);
        events.push({
          vendor: id,
          event: verdict.event,
          key,
          receivedAt: new Date().toISOString(),
          body: parsed.value,
        });
      }

      // 5. answer at once: exactly 200, no body (Enreach insists; the others are happy with it)
      return res.status(200).end();
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: `unknown path; the vendors are at /${VENDOR_IDS.join(", /")}` });
  });

  // body-parser errors (too large, broken charset) are the sender's fault: 4xx, never 500
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
    res.status(status).json({ error: err.message });
  });

  return app;
}

/** The reason to refuse the request, or undefined when it is authentic (or nothing is configured). */
function authenticate(
  vendor: string,
  req: Request,
  raw: Buffer,
  opts: ReferenceReceiverOptions,
): string | undefined {
  if (vendor === "enreach" && opts.enreachToken !== undefined) {
    const token = req.get("x-benemen-token");
    if (token === undefined) return "X-Benemen-Token missing";
    if (!sameSecret(token, opts.enreachToken)) return "X-Benemen-Token wrong";
  }
  if (vendor === "voipbin" && opts.voipbinSecret !== undefined) {
    const signature = req.get("x-voipbin-signature");
    if (signature === undefined) return "X-VoIPBIN-Signature missing";
    const expected = `sha256=${createHmac("sha256", opts.voipbinSecret).update(raw).digest("hex")}`;
    if (!sameSecret(signature, expected)) return "X-VoIPBIN-Signature wrong";
  }
  return undefined;
}

/** Constant-time comparison; hashing first makes both sides the same length, so length leaks nothing. */
function sameSecret(received: string, expected: string): boolean {
  const a = createHash("sha256").update(received).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parseBody(req: Request, raw: Buffer): Parsed {
  const text = raw.toString("utf8");
  const type = (req.get("content-type") ?? "").toLowerCase();
  // GET webhooks (3CX's form scheme, Acefone's GET option) carry their data in the query string
  if (text === "") return { ok: true, value: queryData(req.originalUrl) };
  if (type.includes("application/x-www-form-urlencoded")) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type.includes("json") || type === "") {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (e) {
      return { ok: false, reason: `malformed JSON: ${(e as Error).message}` };
    }
  }
  // 3CX's form scheme posts a finished recording as nothing but its URL
  if (type.startsWith("text/plain")) return { ok: true, value: text.trim() };
  return { ok: false, reason: `unsupported content type ${type}` };
}

/** key=value pairs, or a bare recording URL (3CX's form scheme sends `?https://…/recording/….mp3`). */
function queryData(url: string): unknown {
  const i = url.indexOf("?");
  if (i < 0 || i === url.length - 1) return undefined;
  const query = url.slice(i + 1);
  const bare = query.split("&").find((p) => !p.includes("=") && /^https?(:|%3A)/i.test(p));
  if (bare !== undefined) {
    try {
      return decodeURIComponent(bare);
    } catch {
      return bare;
    }
  }
  return Object.fromEntries(new URLSearchParams(query));
}

/** The vendor's documented dedupe key (Enreach: Id; VoIPBIN: type+id+status), else the body's hash. */
function dedupeKey(vendor: Vendor, body: unknown, raw: Buffer): string {
  return vendor.dedupeKeyOf?.(body) ?? createHash("sha256").update(raw).digest("hex");
}

/** Listens on PORT (default 8080) at HOST (default 127.0.0.1). */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const app = createReferenceReceiver({
    enreachToken: env.ENREACH_TOKEN || undefined,
    voipbinSecret: env.VOIPBIN_SECRET || undefined,
  });
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT=${env.PORT} is not a port: give a number from 0 to 65535 (0 picks a free one).`);
  const host = env.HOST ?? "127.0.0.1";
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `${host}:${port} is already in use: stop what listens there or set PORT to a free port (PORT=0 picks one).`
            : e.code === "EACCES"
              ? `${host}:${port}: not allowed to listen there; choose a port above 1023 with PORT.`
              : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND"
                ? `HOST=${host} is not an address of this machine; leave HOST unset for 127.0.0.1.`
                : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  console.log(`reference receiver listening on http://${host}:${actual}/{${VENDOR_IDS.join(",")}}`);
  return server;
}

/** Starts the receiver from the command line: a failure is one line on stderr and exit status 1. */
export function start(): void {
  main().catch((e: unknown) => {
    console.error(`reference receiver: ${(e as Error).message}`);
    process.exit(1);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) start();

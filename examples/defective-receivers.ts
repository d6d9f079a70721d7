/**
 * Receivers with one planted defect each: the reference receiver with a single mistake that real
 * integrations make. `pbxsim check` should fail each of them on exactly the rule it breaks.
 */
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import { createReferenceReceiver, type ReferenceReceiverOptions } from "./reference-receiver/server.js";

/** The reference receiver behind one middleware that plants the defect. */
function withDefect(defect: RequestHandler, opts: ReferenceReceiverOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(defect);
  app.use(createReferenceReceiver(opts));
  return app;
}

/** Rewrites one status code as the response goes out. */
function mapStatus(from: number, to: number): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const status = res.status.bind(res);
    res.status = (code: number) => status(code === from ? to : code);
    next();
  };
}

function isForm(req: Request): boolean {
  const type = (req.get("content-type") ?? "").toLowerCase();
  return type.includes("x-www-form-urlencoded") || (req.method === "GET" && req.originalUrl.includes("?"));
}

/** Answers 201 where 200 is due: Enreach counts only exactly 200 as delivered. */
export function wrongStatus(opts: ReferenceReceiverOptions = {}): Express {
  return withDefect(mapStatus(200, 201), opts);
}

/** Never compares X-Benemen-Token (nor VoIPBIN's signature): any token, or none, gets in. */
export function tokenNotChecked(opts: ReferenceReceiverOptions = {}): Express {
  return createReferenceReceiver({ ...opts, enreachToken: undefined, voipbinSecret: undefined });
}

/** Crashes (500) on form bodies and GET query strings: 3CX's form scheme and Acefone's form option. */
export function crashesOnForm(opts: ReferenceReceiverOptions = {}): Express {
  return withDefect((req, res, next) => {
    if (isForm(req)) {
      res.status(500).json({ error: "TypeError: Cannot read properties of undefined (reading 'event')" });
      return;
    }
    next();
  }, opts);
}

/** Does its work before answering, 1.5 s per request: too slow for Webitel's 1 s httpRequest timeout. */
export function tooSlow(opts: ReferenceReceiverOptions = {}, delayMs = 1_500): Express {
  return withDefect((_req, _res, next) => {
    setTimeout(next, delayMs);
  }, opts);
}

/** Answers 409 Conflict to a body it has seen before, instead of accepting the repeat. */
export function rejectsDuplicates(opts: ReferenceReceiverOptions = {}): Express {
  const seen = new Set<string>();
  const app = express();
  app.disable("x-powered-by");
  app.use(express.raw({ type: () => true }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
    const key = `${req.method} ${req.originalUrl}\n${body}`;
    if (seen.has(key)) {
      res.status(409).json({ error: "duplicate event" });
      return;
    }
    seen.add(key);
    next();
  });
  app.use(createReferenceReceiver(opts));
  return app;
}

/** Has no handler for one event type and crashes on it (500): Enreach's CallbackChanged by default. */
export function missingFieldHandler(opts: ReferenceReceiverOptions = {}, event = "CallbackChanged"): Express {
  return withDefect((req, res, next) => {
    if (req.get("x-benemen-event") === event) {
      res.status(500).json({ error: `TypeError: Cannot read properties of undefined (reading 'CallId')` });
      return;
    }
    next();
  }, opts);
}

/** Lets the body parser's error escape as a 500 instead of answering a malformed body with 400. */
export function malformedGives500(opts: ReferenceReceiverOptions = {}): Express {
  return withDefect(mapStatus(400, 500), opts);
}

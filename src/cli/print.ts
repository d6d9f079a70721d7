import type { SimulatedCall } from "../core/model.js";
import type { ReceivedRecord } from "../receiver/app.js";
import type { Attempt, DeliveryResult } from "../delivery/engine.js";
import { formatDuration } from "../core/duration.js";

/** The only place that writes to the terminal: results on stdout, progress and notices on stderr. */
export const out = (s: string) => process.stdout.write(`${s}\n`);
export const err = (s: string) => process.stderr.write(`${s}\n`);

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

export function fmtOffset(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `+${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `+${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export function deliveryLine(r: DeliveryResult): string {
  const last = r.attempts[r.attempts.length - 1];
  const verdict =
    r.outcome === "delivered"
      ? green("delivered")
      : r.outcome === "failed"
        ? red("FAILED")
        : yellow("cancelled");
  const status =
    last?.status !== undefined ? String(last.status) : last?.error ? `error: ${last.error}` : "-";
  const tries = r.attempts.length > 1 ? ` after ${r.attempts.length} attempts` : "";
  return `#${r.request.seq} call ${r.request.call} ${r.request.vendor} ${r.request.event} → ${status}${via(last)} ${verdict}${tries}`;
}

/** The redirects an attempt followed: ` (via 301 → GET http://…/x/)`. */
function via(a: Attempt | undefined): string {
  const hops = a?.redirects ?? [];
  if (hops.length === 0) return "";
  const shown = hops.slice(0, 3).map((h) => `${h.status} → ${h.method} ${h.to}`);
  return ` (via ${shown.join(", ")}${hops.length > 3 ? `, and ${hops.length - 3} more` : ""})`;
}

/** One attempt as it ends, with the wait before the next one when a retry follows. */
export function attemptLine(a: Attempt, retryInMs?: number): string {
  const what = a.status !== undefined ? `status ${a.status}` : `error: ${a.error ?? "-"}`;
  const next = retryInMs === undefined ? "" : `; next attempt in ${formatDuration(retryInMs)}`;
  return `attempt ${a.attempt}: ${what}${via(a)} in ${a.latencyMs.toFixed(1)}ms${next}`;
}

/** The demo's per-call timeline: what was sent, what the receiver answered, whether it validated. */
export function timeline(
  call: SimulatedCall,
  results: readonly DeliveryResult[],
  recordsByBody: Map<string, ReceivedRecord[]>,
): string[] {
  const lines: string[] = [];
  const s = call.summary;
  const head = `${bold(`call ${call.key}`)}  ${call.scenario}  ${call.caller.e164} → ${call.dialled.e164}  ${s.outcome}${s.talkMs ? `, talk ${Math.round(s.talkMs / 1000)}s` : ""}${s.waitMs ? `, wait ${Math.round(s.waitMs / 1000)}s` : ""}`;
  lines.push(head);
  const t0 = results[0]?.request.at ?? 0;
  for (const r of results) {
    const statuses = r.attempts.map((a) => (a.status !== undefined ? String(a.status) : "err")).join(",");
    const rec = recordsByBody.get(r.request.body)?.[0];
    const valid = rec
      ? rec.valid
        ? green("valid")
        : red(`INVALID: ${rec.issues.join("; ")}`)
      : dim("not recorded");
    const lat = r.attempts[r.attempts.length - 1]?.latencyMs;
    lines.push(
      `  ${fmtOffset(r.request.at - t0).padStart(8)}  ${r.request.event.padEnd(30)} ${r.outcome === "delivered" ? green(statuses) : red(statuses)}  ${valid}${lat !== undefined ? dim(`  ${lat.toFixed(1)}ms`) : ""}`,
    );
  }
  return lines;
}

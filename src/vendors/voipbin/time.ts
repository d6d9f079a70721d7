/**
 * VoIPBIN timestamps from epoch microseconds: the legacy `YYYY-MM-DD HH:MM:SS.ffffff` and Go's
 * RFC 3339 with trailing zeros of the fraction trimmed. Non-negative safe integers are rendered from
 * lookup tables and a cached calendar day, and the texts of recent values are remembered (a call's
 * webhooks repeat the same creation, ringing and answer times); anything else goes through
 * `Date#toISOString`.
 */

import { PAD3, utcText } from "../../core/utc-text.js";

/** `PAD3` with trailing zeros trimmed ("" for 0). */
const TRIM3 = PAD3.map((s) => s.replace(/0+$/, ""));

function fast(us: number): boolean {
  return us >= 0 && Number.isSafeInteger(us);
}

/** Recently rendered values per format, in slots chosen by the value's low bits. */
const MEMO_SLOTS = 256;

class Memo {
  private readonly keys: number[] = new Array<number>(MEMO_SLOTS).fill(-1);
  private readonly texts: string[] = new Array<string>(MEMO_SLOTS).fill("");

  get(us: number, render: (us: number) => string): string {
    const slot = us % MEMO_SLOTS;
    if (this.keys[slot] === us) return this.texts[slot]!;
    const text = render(us);
    this.keys[slot] = us;
    this.texts[slot] = text;
    return text;
  }
}

const legacyMemo = new Memo();
const rfc3339Memo = new Memo();

/** Legacy format: `2026-01-05 07:00:00.000423`. */
export function legacyTime(us: number): string {
  if (!fast(us)) {
    const iso = new Date(Math.floor(us / 1000)).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}${String(us % 1000).padStart(3, "0")}`;
  }
  return legacyMemo.get(us, renderLegacy);
}

function renderLegacy(us: number): string {
  const { date, clock, millis } = utcText(Math.floor(us / 1000));
  return `${date} ${clock}.${PAD3[millis]!}${PAD3[us % 1000]!}`;
}

/** Go's RFC 3339 with trailing zeros of the fraction trimmed: `2026-01-05T07:00:00.000423Z`. */
export function rfc3339(us: number): string {
  if (!fast(us)) {
    const iso = new Date(Math.floor(us / 1000)).toISOString();
    const frac = `${iso.slice(20, 23)}${String(us % 1000).padStart(3, "0")}`.replace(/0+$/, "");
    return `${iso.slice(0, 19)}${frac ? `.${frac}` : ""}Z`;
  }
  return rfc3339Memo.get(us, renderRfc3339);
}

function renderRfc3339(us: number): string {
  const { date, clock, millis } = utcText(Math.floor(us / 1000));
  const usOfMs = us % 1000;
  const frac = usOfMs ? `.${PAD3[millis]!}${TRIM3[usOfMs]!}` : millis ? `.${TRIM3[millis]!}` : "";
  return `${date}T${clock}${frac}Z`;
}

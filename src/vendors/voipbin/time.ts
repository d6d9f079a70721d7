/**
 * VoIPBIN timestamps from epoch microseconds: the legacy `YYYY-MM-DD HH:MM:SS.ffffff` and Go's
 * RFC 3339 with trailing zeros of the fraction trimmed. Non-negative safe integers are rendered from
 * lookup tables and a cached calendar day, and the texts of recent values are remembered (a call's
 * webhooks repeat the same creation, ringing and answer times); anything else goes through
 * `Date#toISOString`.
 */

const MS_PER_DAY = 86_400_000;

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
/** `PAD3` with trailing zeros trimmed ("" for 0). */
const TRIM3 = PAD3.map((s) => s.replace(/0+$/, ""));

/** The calendar day (days since the epoch) last rendered and its `YYYY-MM-DD`. */
let cachedDay = Number.NaN;
let cachedDate = "";

function dateText(day: number): string {
  if (day !== cachedDay) {
    cachedDate = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    cachedDay = day;
  }
  return cachedDate;
}

/** `HH:MM:SS` of a second of the day. */
function clockText(secondOfDay: number): string {
  const s = secondOfDay % 60;
  const minutes = (secondOfDay - s) / 60;
  const m = minutes % 60;
  const h = (minutes - m) / 60;
  return `${PAD2[h]!}:${PAD2[m]!}:${PAD2[s]!}`;
}

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

/** Date text, clock text and milliseconds of the second of a microsecond instant. */
function instantParts(us: number): { date: string; clock: string; msOfSecond: number } {
  const ms = Math.floor(us / 1000);
  const day = Math.floor(ms / MS_PER_DAY);
  const msOfDay = ms - day * MS_PER_DAY;
  const msOfSecond = msOfDay % 1000;
  return { date: dateText(day), clock: clockText((msOfDay - msOfSecond) / 1000), msOfSecond };
}

function renderLegacy(us: number): string {
  const { date, clock, msOfSecond } = instantParts(us);
  return `${date} ${clock}.${PAD3[msOfSecond]!}${PAD3[us % 1000]!}`;
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
  const { date, clock, msOfSecond } = instantParts(us);
  const usOfMs = us % 1000;
  const frac = usOfMs ? `.${PAD3[msOfSecond]!}${TRIM3[usOfMs]!}` : msOfSecond ? `.${TRIM3[msOfSecond]!}` : "";
  return `${date}T${clock}${frac}Z`;
}

/**
 * Text parts of a UTC instant for the vendors' timestamp formats, built from lookup tables and a
 * cached calendar day instead of `Date#toISOString` and string surgery on every call.
 */

const DAY_MS = 86_400_000;

/** "00".."99". */
export const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
/** "000".."999". */
export const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** The calendar day (days since the epoch) last asked for, and its `YYYY-MM-DD`. */
let cachedDay = Number.NaN;
let cachedDate = "";

export interface UtcText {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS` */
  clock: string;
  /** Milliseconds of the second, 0..999. */
  millis: number;
}

/** The UTC date, clock and milliseconds of a whole, non-negative epoch millisecond. */
export function utcText(epochMs: number): UtcText {
  const day = Math.floor(epochMs / DAY_MS);
  if (day !== cachedDay) {
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
    cachedDay = day;
  }
  const msOfDay = epochMs - day * DAY_MS;
  const millis = msOfDay % 1000;
  const second = (msOfDay - millis) / 1000;
  const s = second % 60;
  const minutes = (second - s) / 60;
  const m = minutes % 60;
  const h = (minutes - m) / 60;
  return { date: cachedDate, clock: `${PAD2[h]!}:${PAD2[m]!}:${PAD2[s]!}`, millis };
}

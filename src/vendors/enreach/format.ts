const DAY_MS = 86_400_000;
/** The first millisecond of year 10000: later instants are written with an expanded year. */
const YEAR_10000_MS = 253_402_300_800_000;

/** "00".."59", for hours, minutes and seconds. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
/** "000".."999", for milliseconds. */
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `YYYY-MM-DDT` of each UTC day seen so far, by day number since the epoch. */
const dayPrefixes = new Map<number, string>();
const MAX_CACHED_DAYS = 1024;

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/**
 * .NET round-trip DateTime without an offset, as Enreach serialises it: UTC, fractional
 * seconds of up to 7 digits (ticks) with trailing zeros trimmed, no `Z`.
 * Instants from 1970 to 9999 are formatted from the cached date and the time of day;
 * any other value goes through `Date.toISOString`, which throws on an invalid time.
 */
export function dotNetDateTime(epochMs: number, subMsTicks = ""): string {
  let main: string;
  let ms: string;
  if (epochMs >= 0 && epochMs < YEAR_10000_MS) {
    const t = Math.floor(epochMs); // Date truncates a fractional time: the floor, as it is not negative
    const day = Math.floor(t / DAY_MS);
    const msOfDay = t - day * DAY_MS;
    const sec = Math.floor(msOfDay / 1000);
    main = `${dayPrefix(day)}${TWO_DIGITS[Math.floor(sec / 3600)]}:${TWO_DIGITS[Math.floor(sec / 60) % 60]}:${TWO_DIGITS[sec % 60]}`;
    ms = THREE_DIGITS[msOfDay - sec * 1000]!;
  } else {
    const iso = new Date(epochMs).toISOString(); // 2026-01-05T08:00:01.230Z
    const dot = iso.lastIndexOf(".");
    main = iso.slice(0, dot);
    ms = iso.slice(dot + 1, -1);
  }
  const digits = subMsTicks ? `${ms}${subMsTicks}`.slice(0, 7) : ms;
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48 /* "0" */) end--;
  return end === 0 ? main : `${main}.${digits.slice(0, end)}`;
}

/** DateTime.MaxValue, used for open-ended availability states. */
export const DOTNET_MAX_DATETIME = "9999-12-31T23:59:59.9999999";

import { PAD3, utcText } from "../../core/utc-text.js";

/** The first millisecond of year 10000: later instants are written with an expanded year. */
const YEAR_10000_MS = 253_402_300_800_000;

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
    const t = utcText(Math.floor(epochMs)); // Date truncates a fractional time: the floor, as it is not negative
    main = `${t.date}T${t.clock}`;
    ms = PAD3[t.millis]!;
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

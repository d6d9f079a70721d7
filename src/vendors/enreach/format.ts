/**
 * .NET round-trip DateTime without an offset, as Enreach serialises it: UTC, fractional
 * seconds of up to 7 digits (ticks) with trailing zeros trimmed, no `Z`.
 */
export function dotNetDateTime(epochMs: number, subMsTicks = ""): string {
  const iso = new Date(epochMs).toISOString(); // 2026-01-05T08:00:01.230Z
  const [main, ms = "000"] = iso.slice(0, -1).split(".");
  const frac = `${ms}${subMsTicks}`.slice(0, 7).replace(/0+$/, "");
  return frac ? `${main}.${frac}` : (main as string);
}

/** DateTime.MaxValue, used for open-ended availability states. */
export const DOTNET_MAX_DATETIME = "9999-12-31T23:59:59.9999999";

import * as hdr from "hdr-histogram-js";

/**
 * Latency statistics in HDR histograms (values in microseconds, 3 significant digits), so
 * percentiles are exact to 0.1 % and reports from several processes merge exactly.
 */

export type Histogram = hdr.Histogram;

const HIGHEST_US = 3_600_000_000; // one hour

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  const h = hdr.decodeFromCompressedBase64(s, 64, false);
  return h;
}

export interface HistogramSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const ms = (us: number) => Math.round(us) / 1000;

/** One percentile in ms, without the full pass the mean needs (cheap enough for live snapshots). */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : ms(h.getValueAtPercentile(p));
}

export function summarizeHistogram(h: Histogram): HistogramSummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

export interface EncodedStats extends HistogramSummary {
  /** The HDR histogram (µs), compressed base64, for exact merging. */
  histogram: string;
}

export function encodeStats(h: Histogram): EncodedStats {
  return { ...summarizeHistogram(h), histogram: encodeHistogram(h) };
}

/** Adds histograms exactly (not averages). */
export function mergeEncoded(list: readonly EncodedStats[]): EncodedStats {
  const h = newHistogram();
  for (const e of list) h.add(decodeHistogram(e.histogram));
  return encodeStats(h);
}

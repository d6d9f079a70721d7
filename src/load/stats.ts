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

/**
 * The counting state of an hdr-histogram-js 3 histogram (JsHistogram over a typed array). The
 * library's `recordValue` finds a value's slot with `log2` and `pow`; `recordFast` finds the same
 * slot with integer bit operations, five to ten times faster, and writes it here. Seven values are
 * recorded per request, so this is on the load runner's hot path.
 */
interface CountingState {
  _counts: Float64Array;
  _totalCount: number;
  maxValue: number;
  minNonZeroValue: number;
  unitMagnitude: number;
  subBucketHalfCountMagnitude: number;
  subBucketHalfCount: number;
  countsArrayLength: number;
}

/** Records `us` (an integer from 1 to 2^32 - 1) through the library's own path. */
function recordSlow(h: Histogram, us: number): void {
  h.recordValue(us);
}

/**
 * Records `us` (an integer from 1 to 2^32 - 1) as `recordValue` does: the bucket is the value's
 * highest set bit above the sub-bucket range, the sub-bucket the value shifted down by the bucket.
 * Histograms with a unit above 1 µs, or a value beyond their range, take the library's path.
 */
function recordFast(h: Histogram, us: number): void {
  const c = h as unknown as CountingState;
  if (c.unitMagnitude !== 0) return recordSlow(h, us);
  const m = c.subBucketHalfCountMagnitude;
  const bucket = Math.max(0, 31 - Math.clz32(us) - m);
  const index = ((bucket + 1) << m) + (us >>> bucket) - c.subBucketHalfCount;
  if (index >= c.countsArrayLength) return recordSlow(h, us);
  c._counts[index]!++;
  c._totalCount++;
  if (us > c.maxValue) c.maxValue = us;
  if (us < c.minNonZeroValue) c.minNonZeroValue = us;
}

/**
 * The fast path, once it has been seen to count exactly as the library does on values across the
 * whole range (bucket edges included); the library's own path otherwise, such as after an update
 * that changes its internals.
 */
const recordUs: (h: Histogram, us: number) => void = (() => {
  try {
    const probe = [1, 2, 3, 1023, 1024, 2047, 2048, 2049, 4095, 65_537, 1_000_000, 2 ** 31 + 7, HIGHEST_US];
    const mine = newHistogram();
    const theirs = newHistogram();
    if (!((mine as unknown as CountingState)._counts instanceof Float64Array)) return recordSlow;
    for (const v of probe) {
      recordFast(mine, v);
      theirs.recordValue(v);
    }
    const same =
      encodeHistogram(mine) === encodeHistogram(theirs) &&
      mine.totalCount === theirs.totalCount &&
      mine.maxValue === theirs.maxValue &&
      mine.minNonZeroValue === theirs.minNonZeroValue;
    return same ? recordFast : recordSlow;
  } catch {
    return recordSlow;
  }
})();

/** Whether values are recorded through the fast path (for the tests). */
export const fastRecording = recordUs === recordFast;

/** Milliseconds as whole microseconds within the histograms' range. */
const toUs = (ms: number): number => Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));

export function recordMs(h: Histogram, ms: number): void {
  recordUs(h, toUs(ms));
}

/** Records through the library's own path only (for the tests, to compare). */
export function recordMsSlow(h: Histogram, ms: number): void {
  recordSlow(h, toUs(ms));
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

/**
 * The mean as the library's `mean` computes it: each recorded slot counted at the middle of its
 * range of equivalent values, summed in ascending order, so the result is the same float. The
 * library's getter walks an iterator over every slot below the maximum, with an object update and
 * three range look-ups per step: about 3 ms for a histogram of latencies up to 20 ms, a stall of the
 * loop each time a report sums its histograms. Here the slot's value and range come from its index.
 */
function meanDirect(h: Histogram): number {
  const c = h as unknown as CountingState;
  const total = c._totalCount;
  if (total === 0) return 0;
  const m = c.subBucketHalfCountMagnitude;
  const half = c.subBucketHalfCount;
  const counts = c._counts;
  let sum = 0;
  let seen = 0;
  for (let i = 0; i < c.countsArrayLength && seen < total; i++) {
    const n = counts[i]!;
    if (n === 0) continue;
    seen += n;
    // the slot's bucket and sub-bucket, as the library's valueFromIndex finds them
    let bucket = (i >> m) - 1;
    let sub = (i & (half - 1)) + half;
    if (bucket < 0) {
      sub -= half;
      bucket = 0;
    }
    const size = 2 ** (bucket + c.unitMagnitude);
    sum += (sub * size + Math.floor(size / 2)) * n;
  }
  return sum / total;
}

let meanOf: ((h: Histogram) => number) | undefined;

/**
 * The direct mean, once it has been seen to equal the library's on a histogram with a value in
 * every bucket (checked on first use, not at start-up); the library's getter otherwise.
 */
function mean(h: Histogram): number {
  meanOf ??= (() => {
    const library = (x: Histogram) => x.mean;
    try {
      if (!((h as unknown as CountingState)._counts instanceof Float64Array)) return library;
      const probe = newHistogram();
      for (let v = 1; v < 2 ** 22; v = Math.ceil(v * 1.37) + 1) {
        recordUs(probe, v);
        recordUs(probe, v + 1);
      }
      recordUs(probe, 2048);
      return meanDirect(probe) === probe.mean ? meanDirect : library;
    } catch {
      return library;
    }
  })();
  return meanOf(h);
}

/** Whether the mean is read directly from the counts (for the tests). */
export function fastMean(): boolean {
  mean(newHistogram());
  return meanOf === meanDirect;
}

/** The library's own mean (for the tests, to compare). */
export function meanMsLibrary(h: Histogram): number {
  return ms(h.mean);
}

/** One percentile in ms, without the full pass the mean needs (cheap enough for live snapshots). */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : ms(h.getValueAtPercentile(p));
}

export function summarizeHistogram(h: Histogram): HistogramSummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    mean: ms(mean(h)),
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

import {
  bucketRange,
  COARSE_RELATIVE_ERROR,
  FINE_RELATIVE_ERROR,
  fineBucketRange,
} from '../analytics/histogram';
import type { MetricAggregate } from '../analytics/store';
import { estimateQuantile, type CountedRange, type QuantileEstimate } from '../stats';

/** The quantiles every duration metric reports per variant; p95 is the one its comparisons test. */
export const REPORTED_QUANTILES = [0.5, 0.95, 0.99] as const;
export const TESTED_QUANTILE = 0.95;

export interface ValueDistribution {
  /** 'fine' (0.54 % buckets) when every value is in the fine histogram, else 'coarse' (4.4 %). */
  readonly resolution: 'fine' | 'coarse';
  /** The most a reported quantile is off the exact sample quantile, relative (half a bucket). */
  readonly relativeError: number;
  readonly ranges: readonly CountedRange[];
}

/**
 * A duration metric's values as counted ranges. The fine histogram is used when it holds every value; values
 * counted before it existed are only in the coarse one, which is then read instead (its bound is 2.2 %).
 */
export function valueDistribution(values: MetricAggregate['values']): ValueDistribution {
  const fine = values.fine ?? {};
  const fineCount = Object.values(fine).reduce((a, b) => a + b, 0);
  if (fineCount === values.count && fineCount > 0) {
    return {
      resolution: 'fine',
      relativeError: FINE_RELATIVE_ERROR,
      ranges: toRanges(fine, fineBucketRange),
    };
  }
  return {
    resolution: 'coarse',
    relativeError: COARSE_RELATIVE_ERROR,
    ranges: toRanges(values.histogram, bucketRange),
  };
}

function toRanges(
  histogram: Readonly<Record<number, number>>,
  range: (bucket: number) => { lower: number; upper: number; middle: number },
): CountedRange[] {
  return Object.entries(histogram)
    .filter(([, count]) => count > 0)
    .map(([bucket, count]) => ({ ...range(Number(bucket)), count }));
}

/** The reported quantiles with their intervals at 1 − α; null ones when there are no values. */
export function reportedQuantiles(
  distribution: ValueDistribution,
  alpha: number,
): { readonly quantile: number; readonly estimate: QuantileEstimate | null }[] {
  return REPORTED_QUANTILES.map((quantile) => ({
    quantile,
    estimate: estimateQuantile(distribution.ranges, quantile, alpha),
  }));
}

import { binomialQuantile, normalQuantile } from './distributions';

/**
 * Quantiles of values kept as counts per range (a histogram), with what the counts can prove about them.
 *
 * The counts know, for every range edge, exactly how many values lie below it. So the value of rank k (the k-th
 * smallest) is known to lie in one range, the first whose cumulative count reaches k: whatever the values
 * inside the ranges, `bracket` holds the exact sample quantile, and the estimate (the range's middle) is within
 * half a range of it. With log-spaced ranges of ratio r, that is a relative error of at most √r − 1.
 *
 * Confidence intervals for the population quantile ξ_q are distribution-free, from order statistics (Conover,
 * "Practical Nonparametric Statistics", 3rd ed., §3.2; no bootstrap): the number B of values ≤ ξ_q is
 * Binomial(n, q), so [x₍ₗ₎, x₍ᵤ₎] with l = F⁻¹(α/2) and u = F⁻¹(1 − α/2) + 1 (F the Binomial(n, q) cdf) covers
 * ξ_q with probability ≥ 1 − α for any continuous distribution. The interval here runs from the lower edge of
 * x₍ₗ₎'s range to the upper edge of x₍ᵤ₎'s, so it contains [x₍ₗ₎, x₍ᵤ₎] and covers at least as often.
 * It assumes independent values: values of one unit that resemble each other make it too narrow.
 */
type Interval = readonly [lower: number, upper: number];

export interface CountedRange {
  /** Every value counted here is in [lower, upper). */
  readonly lower: number;
  readonly upper: number;
  /** What the range stands for (its geometric middle for log-spaced ranges). */
  readonly middle: number;
  readonly count: number;
}

export interface QuantileEstimate {
  readonly quantile: number;
  /** Values counted. */
  readonly n: number;
  /** The middle of the range that holds x₍ₖ₎, k = ⌈q·n⌉ (the nearest-rank sample quantile). */
  readonly value: number;
  /** That range: the exact sample quantile is in it. */
  readonly bracket: Interval;
  /**
   * Covers the population quantile with probability ≥ 1 − α (order statistics); null when n is too small for
   * the ranks to exist on one side (e.g. below 72 values for a 95% interval of the 95th percentile).
   */
  readonly interval: Interval | null;
  /**
   * The standard error of the estimate, from the 95% order-statistic ranks: (x₍ᵤ₎ − x₍ₗ₎) / (2 · 1.96), read at
   * the ranges' middles (Price & Bonett 2001 use the same idea). null without a spread or enough values.
   */
  readonly standardError: number | null;
}

/** The ranges in increasing order, empty ones dropped; throws on overlapping or malformed ones. */
function sorted(ranges: readonly CountedRange[]): CountedRange[] {
  const out = ranges.filter((r) => r.count > 0).sort((a, b) => a.lower - b.lower);
  out.forEach((r, i) => {
    if (!Number.isSafeInteger(r.count) || !(r.lower <= r.middle && r.middle <= r.upper)) {
      throw new RangeError(`malformed range [${r.lower}, ${r.upper}) × ${r.count}`);
    }
    if (i > 0 && r.lower < out[i - 1]!.upper) throw new RangeError('ranges overlap');
  });
  return out;
}

/** The range holding the value of each rank asked (1-based, increasing). */
function rangesOfRanks(ranges: readonly CountedRange[], ranks: readonly number[]): CountedRange[] {
  const out: CountedRange[] = [];
  let seen = 0;
  let next = 0;
  for (const range of ranges) {
    seen += range.count;
    while (next < ranks.length && seen >= ranks[next]!) {
      out.push(range);
      next++;
    }
  }
  return out;
}

/** Ranks (l, u) of the distribution-free interval at level 1 − α, possibly outside [1, n]. */
export function orderStatisticRanks(n: number, q: number, alpha: number): { lower: number; upper: number } {
  return { lower: binomialQuantile(alpha / 2, n, q), upper: binomialQuantile(1 - alpha / 2, n, q) + 1 };
}

const STANDARD_ERROR_LEVEL = 0.05;

export function estimateQuantile(
  ranges: readonly CountedRange[],
  q: number,
  alpha = 0.05,
): QuantileEstimate | null {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be in (0, 1) (${q})`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (${alpha})`);
  const ordered = sorted(ranges);
  const n = ordered.reduce((a, r) => a + r.count, 0);
  if (n === 0) return null;
  const k = Math.max(1, Math.ceil(q * n));
  const interval = orderStatisticRanks(n, q, alpha);
  const spread = orderStatisticRanks(n, q, STANDARD_ERROR_LEVEL);
  const inside = (rank: number) => rank >= 1 && rank <= n;
  const wanted = [k, interval.lower, interval.upper, spread.lower, spread.upper].filter(inside);
  const ranks = [...new Set(wanted)].sort((a, b) => a - b);
  const found = rangesOfRanks(ordered, ranks);
  const at = new Map(ranks.map((rank, i) => [rank, found[i]!]));
  const holder = at.get(k)!;
  const bounded = inside(interval.lower) && inside(interval.upper);
  const deviation =
    inside(spread.lower) && inside(spread.upper)
      ? (at.get(spread.upper)!.middle - at.get(spread.lower)!.middle) /
        (2 * normalQuantile(1 - STANDARD_ERROR_LEVEL / 2))
      : 0;
  return {
    quantile: q,
    n,
    value: holder.middle,
    bracket: [holder.lower, holder.upper],
    interval: bounded ? [at.get(interval.lower)!.lower, at.get(interval.upper)!.upper] : null,
    standardError: deviation > 0 && Number.isFinite(deviation) ? deviation : null,
  };
}

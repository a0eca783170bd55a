import type { SampleSummary } from './summary';

/**
 * A ratio metric per variant (a `mean` metric: Σ values / Σ valued events over the units that have any), from
 * per-unit sums: unit i contributes a numerator nᵢ (its values' sum) and a denominator dᵢ (their count).
 */
export interface RatioSummary {
  /** Units with a denominator. */
  readonly n: number;
  readonly numerator: number;
  readonly denominator: number;
  readonly numeratorSquares: number;
  readonly denominatorSquares: number;
  /** Σ nᵢ·dᵢ */
  readonly products: number;
}

/**
 * The delta method for R = Σn / Σd, as a sample of "linearized" per-unit values with mean R and variance
 *
 *   v = (s²_n − 2·R·s_nd + R²·s²_d) / d̄²      (sample variances and covariance, n − 1),
 *
 * so that v / n is the delta-method variance of R̂ and Welch's test on two such samples is the usual ratio
 * metric test (GrowthBook, Deng et al. 2018). null when it is undefined: fewer than 2 units, or no denominator.
 */
export function linearizeRatio(ratio: RatioSummary): SampleSummary | null {
  const { n } = ratio;
  if (n < 2 || ratio.denominator <= 0) return null;
  const meanN = ratio.numerator / n;
  const meanD = ratio.denominator / n;
  const r = ratio.numerator / ratio.denominator;
  const varN = (ratio.numeratorSquares - n * meanN * meanN) / (n - 1);
  const varD = (ratio.denominatorSquares - n * meanD * meanD) / (n - 1);
  const cov = (ratio.products - n * meanN * meanD) / (n - 1);
  const variance = Math.max(0, (varN - 2 * r * cov + r * r * varD) / (meanD * meanD));
  return { n, sum: n * r, sumSquares: (n - 1) * variance + n * r * r };
}

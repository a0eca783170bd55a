import { centeredSquares, checkSample, type CovariateSummary, type SampleSummary } from './summary';

/**
 * CUPED (Deng, Xu, Kohavi & Walker, 2013): subtract from each unit's value x the part its pre-exposure
 * covariate y predicts, x̃ = x − θ (y − ȳ), with θ = cov(x, y) / var(y). The adjusted means keep their
 * expectations (y is independent of the assignment), and the variance shrinks by the factor 1 − ρ².
 */

export interface CupedVariant {
  readonly metric: SampleSummary;
  /** Units without pre-exposure data count with y = 0 (the aggregator's choice), never left out. */
  readonly covariate: CovariateSummary;
}

export interface CupedAdjustment {
  /** Shared by all variants, so the adjustment does not differ by variant. 0 when y has no variance. */
  readonly theta: number;
  /** ȳ over all units of all variants. */
  readonly covariateMean: number;
  /** Σx̃ and Σx̃² per variant, in input order: feed them to welchTTest as they are. */
  readonly variants: readonly SampleSummary[];
}

/**
 * Adjusts every variant with one θ: Σ cov(x, y) within variants over Σ var(y) within variants. Pooling
 * within variants, rather than over all units at once, keeps the treatment effect on x out of θ.
 * Everything follows exactly from the aggregates: Σx̃ = Σx − θ(Σy − nȳ) and
 * Σ(x̃ − x̃̄)² = Sxx − 2θ Sxy + θ² Syy, with S the centred sums within the variant.
 */
export function cupedAdjust(variants: readonly CupedVariant[]): CupedAdjustment {
  const centred = variants.map(({ metric, covariate }, i) => {
    checkSample(metric, `variant ${i}`);
    checkCovariate(covariate, `variant ${i}`);
    const { n, sum } = metric;
    return {
      n,
      sum,
      sumY: covariate.sum,
      sxx: centeredSquares(n, sum, metric.sumSquares),
      syy: centeredSquares(n, covariate.sum, covariate.sumSquares),
      sxy: n > 0 ? covariate.sumProducts - (sum * covariate.sum) / n : 0,
    };
  });
  const units = centred.reduce((a, v) => a + v.n, 0);
  const covariateMean = units > 0 ? centred.reduce((a, v) => a + v.sumY, 0) / units : 0;
  const syy = centred.reduce((a, v) => a + v.syy, 0);
  const theta = syy > 0 ? centred.reduce((a, v) => a + v.sxy, 0) / syy : 0;
  if (theta === 0) return { theta, covariateMean, variants: variants.map((v) => v.metric) };

  return {
    theta,
    covariateMean,
    variants: centred.map(({ n, sum, sumY, sxx, syy: s, sxy }) => {
      if (n === 0) return { n, sum: 0, sumSquares: 0 };
      const adjustedSum = sum - theta * (sumY - n * covariateMean);
      const adjustedSxx = Math.max(0, sxx - 2 * theta * sxy + theta * theta * s);
      return { n, sum: adjustedSum, sumSquares: adjustedSxx + (adjustedSum * adjustedSum) / n };
    }),
  };
}

function checkCovariate(covariate: CovariateSummary, label: string): void {
  const { sum, sumSquares, sumProducts } = covariate;
  if (!Number.isFinite(sum) || !Number.isFinite(sumProducts)) {
    throw new RangeError(`${label}: covariate sums must be finite (${sum}, ${sumProducts})`);
  }
  if (!Number.isFinite(sumSquares) || sumSquares < 0) {
    throw new RangeError(`${label}: covariate sumSquares must be finite and ≥ 0 (${sumSquares})`);
  }
}

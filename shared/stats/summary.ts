/**
 * What the statistics read: aggregates per variant and metric, as the results API keeps them, never raw
 * values (SPEC §2.5). A conversion metric's values are 0 or 1, so its `sum` is the number of converted
 * units (and `sumSquares` equals `sum`).
 */

/** Per-unit values of one variant for one metric: n units, Σx, Σx². */
export interface SampleSummary {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/** For CUPED: the pre-exposure covariate y of the same n units: Σy, Σy², Σxy. */
export interface CovariateSummary {
  readonly sum: number;
  readonly sumSquares: number;
  readonly sumProducts: number;
}

export interface Moments {
  readonly n: number;
  /** null without units. */
  readonly mean: number | null;
  /** The sample variance (n − 1 denominator); null below 2 units. */
  readonly variance: number | null;
}

export function summarize(sample: SampleSummary): Moments {
  checkSample(sample);
  const { n, sum, sumSquares } = sample;
  return {
    n,
    mean: n > 0 ? sum / n : null,
    variance: n > 1 ? centeredSquares(n, sum, sumSquares) / (n - 1) : null,
  };
}

/**
 * Σ(x − x̄)² from Σx and Σx², floored at 0: when every value is equal, rounding can leave a tiny negative
 * difference.
 */
export function centeredSquares(n: number, sum: number, sumSquares: number): number {
  return n > 0 ? Math.max(0, sumSquares - (sum * sum) / n) : 0;
}

/**
 * Aggregates come from our own storage, so a bad one is a bug, not a client error: a RangeError (→ 500)
 * rather than a figure computed from nonsense.
 */
export function checkSample(sample: SampleSummary, label = 'sample'): void {
  const { n, sum, sumSquares } = sample;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${label}: n must be a whole number ≥ 0 (${n})`);
  if (!Number.isFinite(sum)) throw new RangeError(`${label}: sum must be finite (${sum})`);
  if (!Number.isFinite(sumSquares) || sumSquares < 0) {
    throw new RangeError(`${label}: sumSquares must be finite and ≥ 0 (${sumSquares})`);
  }
}

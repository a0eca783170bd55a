import { chiSquareSf } from './distributions';

/** SPEC §2.5: a sample-ratio mismatch is flagged below p = 0.001. */
export const SRM_THRESHOLD = 0.001;

export interface SampleRatioMismatch {
  /** Σ (observed − expected)² / expected; null when a variant with weight 0 has units (no finite value). */
  readonly chiSquare: number | null;
  /** Variants with a positive weight, less one. */
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** pValue < threshold: the units are not split as the weights say, so the comparisons are suspect. */
  readonly mismatch: boolean;
}

/**
 * Chi-square goodness of fit of the units per variant against the weights (scipy.stats.chisquare with
 * expected = total × weight / Σweights). Weights are in any unit (basis points in Switchyard).
 *
 * A variant with weight 0 expects no units: with none it is left out of the test; with some, units are
 * reaching a variant they cannot be assigned to, which is a mismatch whatever the others show (p = 0).
 * With no units, or a single variant left, there is nothing to test: p = 1.
 */
export function sampleRatioMismatch(
  observedUnits: readonly number[],
  weights: readonly number[],
  threshold: number = SRM_THRESHOLD,
): SampleRatioMismatch {
  if (observedUnits.length !== weights.length) {
    throw new RangeError(`${observedUnits.length} unit counts for ${weights.length} weights`);
  }
  if (observedUnits.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    throw new RangeError(`unit counts must be whole numbers ≥ 0 (${observedUnits.join(', ')})`);
  }
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new RangeError(`weights must be finite and ≥ 0 (${weights.join(', ')})`);
  }
  const totalWeight = weights.reduce((a, w) => a + w, 0);
  if (!(totalWeight > 0)) throw new RangeError('at least one weight must be positive');

  const groups = observedUnits.map((observed, i) => ({ observed, weight: weights[i]! }));
  const degreesOfFreedom = groups.filter((g) => g.weight > 0).length - 1;
  if (groups.some((g) => g.weight === 0 && g.observed > 0)) {
    return { chiSquare: null, degreesOfFreedom, pValue: 0, mismatch: true };
  }
  const total = observedUnits.reduce((a, o) => a + o, 0);
  if (total === 0 || degreesOfFreedom === 0) {
    return { chiSquare: 0, degreesOfFreedom, pValue: 1, mismatch: false };
  }
  let chiSquare = 0;
  for (const { observed, weight } of groups) {
    if (weight === 0) continue;
    const expected = (total * weight) / totalWeight;
    chiSquare += (observed - expected) ** 2 / expected;
  }
  const pValue = chiSquareSf(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, mismatch: pValue < threshold };
}

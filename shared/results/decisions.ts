import type { AnalysisSettings } from '../experiments/analysis';
import type { MetricRole } from '../experiments/schema';
import {
  adjustPValues,
  mixtureConfidenceSequence,
  oneSidedMixtureSprtPValue,
  type Comparison,
  type Correction,
  type Direction,
  type Interval,
} from '../stats';
import type { RunningBound } from './bounds';

/**
 * The decision rule (docs/statistics.md): which p-value decides each comparison, in which family it is corrected,
 * and what a significant one means. Pure: the service gives it the comparisons of this read and the running
 * bounds, merged with this read's looks.
 *
 * - Primary metric: one family across the treatment arms, corrected by `settings.correction` (Holm by
 *   default). Sequential: the running minimum of the always-valid p-value, and the direction of the effect at
 *   the look that set it. Fixed horizon: the fixed-horizon p-value, and nothing is significant before the
 *   planned sample size.
 * - Guardrail metrics: harm only, one-sided, always valid in both modes (guardrails are watched at every read),
 *   one family per guardrail across the arms, corrected like the primary.
 * - Secondary metrics: one family of every arm × secondary metric, Benjamini–Hochberg by default.
 */
export type Outcome = 'better' | 'worse' | 'inconclusive';

export type DecisionBasis = 'always-valid' | 'fixed-horizon' | 'always-valid-harm';

export interface Decision {
  readonly basis: DecisionBasis;
  readonly correction: Correction;
  /** The p-value the decision reads, before correction. */
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly significant: boolean;
  readonly outcome: Outcome;
}

/**
 * The sample each arm needs before a read's look enters the running bounds (docs/statistics.md §4, "When looks
 * start counting"). The always-valid tests rest on a normal approximation of each arm's mean; with a handful of
 * conversions (or a few valued events) an arm's variance is badly underestimated — 3 conversions against 0 make a
 * confidence sequence wholly on one side — and a running bound keeps that forever. Skipping looks never harms the
 * guarantee (the running minimum over fewer looks is never lower), so looks wait for these counts.
 */
export const MIN_LOOK_SAMPLE = {
  /** Units with a value, every metric type. */
  units: 100,
  /** Conversion metrics: converted and not-converted units, each (n·p ≥ 30 and n·(1 − p) ≥ 30). */
  outcomes: 30,
  /** duration_p95: values, so that ≥ 10 lie beyond the tested 95th percentile. */
  values: 200,
} as const;

/** What an arm's aggregate says about its sample, for `lookReady`. */
export interface ArmSample {
  readonly units: number;
  /** Conversion metrics: converted units. */
  readonly conversions?: number;
  /** duration_p95: the values counted. */
  readonly values?: number;
}

/** Whether every arm of a comparison has the minimum sample (`MIN_LOOK_SAMPLE`) for its look to count. */
export function lookReady(arms: readonly ArmSample[]): boolean {
  return arms.every(
    ({ units, conversions, values }) =>
      units >= MIN_LOOK_SAMPLE.units &&
      (conversions === undefined ||
        (conversions >= MIN_LOOK_SAMPLE.outcomes && units - conversions >= MIN_LOOK_SAMPLE.outcomes)) &&
      (values === undefined || values >= MIN_LOOK_SAMPLE.values),
  );
}

/** This read's figures for the running bound of one comparison; null when it has no standard error yet. */
export function lookOf(
  comparison: Comparison,
  direction: Direction,
  sequenceAlpha: number,
): RunningBound | null {
  const { absoluteEffect: effect, standardError: se, mixingVariance, sequentialPValue: p } = comparison;
  if (effect === null || se === null || mixingVariance === null || p === null) return null;
  const variance = se * se;
  if (!(variance > 0) || !Number.isFinite(variance)) return null;
  const [lo, hi] = mixtureConfidenceSequence({ effect, variance, mixingVariance, alpha: sequenceAlpha });
  // Harm is the effect moving against the metric's direction: one-sided, H0 "no harm".
  const harm = direction === 'increase' ? -effect : effect;
  const h = oneSidedMixtureSprtPValue({ effect: harm, variance, mixingVariance });
  if (![lo, hi, h].every(Number.isFinite)) return null;
  return { p, s: Math.sign(effect), h, lo, hi, up: lo > 0, down: hi < 0 };
}

/** The running intersection to show: null before any look, and when it is empty (the effect moved over time). */
export function confidenceSequenceOf(bound: RunningBound | undefined): Interval | null {
  return bound === undefined || bound.lo > bound.hi ? null : [bound.lo, bound.hi];
}

export interface FamilyMember {
  readonly comparison: Comparison;
  readonly bound: RunningBound | undefined;
  readonly direction: Direction;
}

/**
 * Decides one family: the decision p-values, corrected together, each compared with α. `horizonReached`: the
 * fixed-horizon tests count only at the planned sample size.
 */
export function decideFamily(
  role: MetricRole,
  members: readonly FamilyMember[],
  settings: AnalysisSettings,
  horizonReached: boolean,
): Decision[] {
  const basis: DecisionBasis =
    role === 'guardrail' ? 'always-valid-harm' : settings.sequential ? 'always-valid' : 'fixed-horizon';
  const correction: Correction = role === 'secondary' ? settings.secondaryCorrection : settings.correction;
  const raw = members.map(({ comparison, bound }) => {
    if (basis === 'fixed-horizon') return comparison.pValue;
    if (bound === undefined) return null;
    return basis === 'always-valid-harm' ? bound.h : bound.p;
  });
  const adjusted = adjustPValues(raw, correction);
  return members.map(({ comparison, bound, direction }, i) => {
    const p = adjusted[i]!;
    // Significant both ways at different reads (a read's own sequence wholly above 0, another's wholly below): the
    // effect changed sign over time (or the data reached the aggregates unevenly), and no direction can be
    // claimed. Deciding nothing there only lowers the error rates. A guardrail harm still stands: caution first.
    const unstable = basis === 'always-valid' && bound !== undefined && bound.up && bound.down;
    const counts = (basis !== 'fixed-horizon' || horizonReached) && !unstable;
    const significant = counts && p !== null && p <= settings.alpha;
    // The direction of a rejection: for the always-valid p-value, the effect's sign at the look that set it.
    const sign = basis === 'always-valid' ? (bound?.s ?? 0) : Math.sign(comparison.absoluteEffect ?? 0);
    const good = direction === 'increase' ? sign > 0 : sign < 0;
    const outcome: Outcome = !significant
      ? 'inconclusive'
      : basis === 'always-valid-harm'
        ? 'worse'
        : sign === 0
          ? 'inconclusive'
          : good
            ? 'better'
            : 'worse';
    return {
      basis,
      correction,
      pValue: raw[i]!,
      adjustedPValue: p,
      significant: outcome !== 'inconclusive',
      outcome,
    };
  });
}

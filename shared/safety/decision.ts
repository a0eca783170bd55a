import { linearizeRatio, type RatioSummary } from '../stats/ratio';
import { oneSidedMixtureSprtPValue } from '../stats/sequential';

/**
 * The safety monitor's decision rule (SPEC §2.7), a pure function of the figures of one flag: is the guarded
 * variation (the one being rolled out) hurting?
 *
 * - **Absolute thresholds**, over the last `windowMinutes`: its error rate (error events ÷ latency events) above
 *   `maxErrorRate`, or its p95 latency above `maxLatencyP95Ms`, once it has served `minSampleSize` requests in the
 *   window. These are the operator's limits, compared as measured.
 * - **Regressions against the control** (the variation it replaces), since the current stage began, once each side
 *   has `minSampleSize` requests: the error rate and the mean latency per request, each a ratio of per-unit sums
 *   (the delta method: the unit is the unit of analysis, so one unit's burst of errors counts as one correlated
 *   observation, not as many independent ones). Harm means the guarded variation is worse than the control by more
 *   than the tolerated `maxRelativeRegression`: θ = R_guarded − (1 + m)·R_control > 0. Each is an always-valid
 *   one-sided mixture SPRT at α/2 (Bonferroni over the two), so a monitor that looks every minute raises a false
 *   alarm with probability at most α over all its looks at one stage, however many there are.
 *
 * p95 has no sequential test: quantiles from a histogram have no per-unit sums. A tail that moves the p95 moves
 * the mean latency too, which is what the regression test sees; the p95 itself is checked against its limit.
 */

export interface SafetyThresholds {
  /** 0–1: error events ÷ latency events. */
  readonly maxErrorRate: number;
  readonly maxLatencyP95Ms: number;
  /** Tolerated relative regression against the control (0.1: +10 %). */
  readonly maxRelativeRegression: number;
  /** Requests (latency events) a variation needs before any check looks at it. */
  readonly minSampleSize: number;
  /** The false-alarm rate across all looks at one stage. */
  readonly alpha: number;
}

/** One variation over the monitor's window. */
export interface WindowFigures {
  /** Latency events: one per request measured. */
  readonly requests: number;
  readonly errors: number;
  /** null without latency values. */
  readonly latencyP95Ms: number | null;
}

/**
 * One variation's per-unit sums since the stage began (shared/analytics: per flag × variation × unit-hour cells):
 * for each unit, e its error events, l its latency events, s the sum of its latency values.
 */
export interface UnitSums {
  readonly units: number;
  /** Σe, Σl, Σs */
  readonly errors: number;
  readonly requests: number;
  readonly latencySum: number;
  /** Σe², Σl², Σs² */
  readonly errorSquares: number;
  readonly requestSquares: number;
  readonly latencySquares: number;
  /** Σe·l, Σs·l */
  readonly errorRequestProducts: number;
  readonly latencyRequestProducts: number;
}

export const NO_UNITS: UnitSums = {
  units: 0,
  errors: 0,
  requests: 0,
  latencySum: 0,
  errorSquares: 0,
  requestSquares: 0,
  latencySquares: 0,
  errorRequestProducts: 0,
  latencyRequestProducts: 0,
};

export interface VariationFigures {
  readonly variation: string;
  readonly window: WindowFigures;
  readonly sinceStage: UnitSums;
}

export interface HealthInput {
  readonly thresholds: SafetyThresholds;
  /** The variation being rolled out (or, without a rollout, each variation the flag serves in turn). */
  readonly guarded: VariationFigures;
  /** The variation it replaces; absent when nothing is left to compare with (100 %, or no rollout). */
  readonly control?: VariationFigures | undefined;
}

export type CheckName = 'error_rate' | 'latency_p95' | 'error_rate_regression' | 'latency_regression';

export interface CheckResult {
  readonly check: CheckName;
  readonly variation: string;
  /** The guarded variation's figure: a rate, milliseconds, or for regressions its ratio to the control. */
  readonly observed: number | null;
  /** The limit it is held to (for regressions: 1 + maxRelativeRegression, as a ratio to the control). */
  readonly limit: number;
  /** Regressions only: the always-valid one-sided p-value, and the level it is compared with. */
  readonly pValue?: number;
  readonly level?: number;
  /** False while the sample is too small to judge. */
  readonly evaluated: boolean;
  readonly breached: boolean;
  readonly message: string;
}

export interface HealthAssessment {
  readonly healthy: boolean;
  readonly checks: readonly CheckResult[];
  /** The breached checks' messages, joined: the rollback's reason. */
  readonly reason: string | null;
}

/** The mixture's spread as a share of the pooled level: regressions of around ±50 % are what it is tuned for. */
const MIXING_RELATIVE_EFFECT = 0.5;

export function assessHealth(input: HealthInput): HealthAssessment {
  const { thresholds, guarded, control } = input;
  const checks: CheckResult[] = [
    absoluteErrorRate(thresholds, guarded),
    absoluteLatency(thresholds, guarded),
  ];
  if (control !== undefined) {
    const level = thresholds.alpha / 2;
    checks.push(
      regression('error_rate_regression', thresholds, level, guarded, control, errorRatio),
      regression('latency_regression', thresholds, level, guarded, control, latencyRatio),
    );
  }
  const breached = checks.filter((c) => c.breached);
  return {
    healthy: breached.length === 0,
    checks,
    reason: breached.length === 0 ? null : breached.map((c) => c.message).join('; '),
  };
}

function absoluteErrorRate(t: SafetyThresholds, v: VariationFigures): CheckResult {
  const { requests, errors } = v.window;
  const evaluated = requests >= t.minSampleSize;
  const observed = requests > 0 ? errors / requests : null;
  const breached = evaluated && observed !== null && observed > t.maxErrorRate;
  return {
    check: 'error_rate',
    variation: v.variation,
    observed,
    limit: t.maxErrorRate,
    evaluated,
    breached,
    message: !evaluated
      ? `${v.variation}: ${requests} of ${t.minSampleSize} requests needed to judge its error rate`
      : `${v.variation}: error rate ${percent(observed ?? 0)} ${breached ? '>' : '≤'} ${percent(t.maxErrorRate)} ` +
        `over ${requests} requests`,
  };
}

function absoluteLatency(t: SafetyThresholds, v: VariationFigures): CheckResult {
  const { requests, latencyP95Ms } = v.window;
  const evaluated = requests >= t.minSampleSize && latencyP95Ms !== null;
  const breached = evaluated && latencyP95Ms > t.maxLatencyP95Ms;
  return {
    check: 'latency_p95',
    variation: v.variation,
    observed: latencyP95Ms,
    limit: t.maxLatencyP95Ms,
    evaluated,
    breached,
    message: !evaluated
      ? `${v.variation}: ${requests} of ${t.minSampleSize} requests needed to judge its p95 latency`
      : `${v.variation}: p95 latency ${round(latencyP95Ms)} ms ${breached ? '>' : '≤'} ${t.maxLatencyP95Ms} ms ` +
        `over ${requests} requests`,
  };
}

/** Per-unit ratio sums for the error rate (errors per request) and the mean latency per request. */
const errorRatio = (s: UnitSums): RatioSummary => ({
  n: s.units,
  numerator: s.errors,
  denominator: s.requests,
  numeratorSquares: s.errorSquares,
  denominatorSquares: s.requestSquares,
  products: s.errorRequestProducts,
});
const latencyRatio = (s: UnitSums): RatioSummary => ({
  n: s.units,
  numerator: s.latencySum,
  denominator: s.requests,
  numeratorSquares: s.latencySquares,
  denominatorSquares: s.requestSquares,
  products: s.latencyRequestProducts,
});

/** The linearized ratio: its estimate and the variance of that estimate, or null when it is undefined. */
function ratioEstimate(
  summary: RatioSummary,
): { ratio: number; variance: number; unitVariance: number } | null {
  const linear = linearizeRatio(summary);
  if (linear === null) return null;
  const ratio = linear.sum / linear.n;
  const unitVariance = Math.max(0, (linear.sumSquares - linear.n * ratio * ratio) / (linear.n - 1));
  return { ratio, variance: unitVariance / linear.n, unitVariance };
}

function regression(
  check: 'error_rate_regression' | 'latency_regression',
  t: SafetyThresholds,
  level: number,
  guarded: VariationFigures,
  control: VariationFigures,
  ratioOf: (s: UnitSums) => RatioSummary,
): CheckResult {
  const what = check === 'error_rate_regression' ? 'error rate' : 'mean latency';
  const limit = 1 + t.maxRelativeRegression;
  const base = { check, variation: guarded.variation, limit, level } as const;
  const g = guarded.sinceStage;
  const c = control.sinceStage;
  const enough = g.requests >= t.minSampleSize && c.requests >= t.minSampleSize;
  const treated = enough ? ratioEstimate(ratioOf(g)) : null;
  const baseline = enough ? ratioEstimate(ratioOf(c)) : null;
  if (treated === null || baseline === null) {
    return {
      ...base,
      observed: null,
      evaluated: false,
      breached: false,
      message:
        `${guarded.variation} vs ${control.variation}: ${Math.min(g.requests, c.requests)} of ` +
        `${t.minSampleSize} requests per side needed to compare their ${what}`,
    };
  }
  const observed = baseline.ratio > 0 ? treated.ratio / baseline.ratio : null;
  const effect = treated.ratio - limit * baseline.ratio;
  const variance = treated.variance + limit * limit * baseline.variance;
  const pValue = sprtPValue(effect, variance, treated, baseline);
  const breached = pValue <= level;
  const ratioText = observed === null ? `${round(treated.ratio)} vs 0` : `×${round(observed)}`;
  return {
    ...base,
    observed,
    pValue,
    evaluated: true,
    breached,
    message:
      `${guarded.variation} vs ${control.variation}: ${what} ${ratioText} ` +
      `(${breached ? 'significantly above' : 'not significantly above'} ×${round(limit)}, ` +
      `always-valid p = ${pValue.toPrecision(2)})`,
  };
}

function sprtPValue(
  effect: number,
  variance: number,
  treated: { ratio: number; unitVariance: number },
  baseline: { ratio: number; unitVariance: number },
): number {
  if (!(variance > 0)) {
    // Both sides without spread (every unit alike): harm is then plain to see, or absent.
    return effect > 0 ? 0 : 1;
  }
  // τ: half the pooled level (a ±50 % regression), or when the level is 0 a twentieth of the per-unit spread.
  const level = (treated.ratio + baseline.ratio) / 2;
  const spread = Math.sqrt((treated.unitVariance + baseline.unitVariance) / 2);
  const tau = level > 0 ? MIXING_RELATIVE_EFFECT * level : 0.05 * spread;
  if (!(tau > 0)) return effect > 0 ? 0 : 1;
  return oneSidedMixtureSprtPValue({ effect, variance, mixingVariance: tau * tau });
}

const percent = (rate: number) => `${round(rate * 100)} %`;
const round = (value: number) => Number(value.toPrecision(3));

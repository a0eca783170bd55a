import { cupedAdjust, type CupedAdjustment } from './cuped';
import { normalCdf, normalQuantile, normalSf, studentTQuantile, studentTSf } from './distributions';
import { defaultMixingVariance, mixtureSprtPValue } from './sequential';
import {
  centeredSquares,
  checkSample,
  summarize,
  type CovariateSummary,
  type SampleSummary,
} from './summary';

export type Interval = readonly [lower: number, upper: number];
export type Direction = 'increase' | 'decrease';
export type TestKind = 'welch-t' | 'two-proportion-z' | 'quantile-z';

export interface ComparisonOptions {
  /** Two-sided level: the intervals cover 1 − alpha. @default 0.05 (95% intervals) */
  readonly alpha?: number;
  /**
   * Which way is better for the metric; 'decrease' turns chanceToBeatControl around.
   * @default 'increase'
   */
  readonly direction?: Direction;
  /**
   * τ² of the always-valid p-value, in squared metric units.
   * @default defaultMixingVariance(control variance, treatment variance)
   */
  readonly mixingVariance?: number;
}

/**
 * One treatment against the control. A figure is null where its formula is undefined, never NaN or
 * Infinity: every figure without units on either side; relative figures when the control mean is 0;
 * everything built on the standard error when it is 0 (no variation) or unknown (Welch below 2 units).
 */
export interface Comparison {
  readonly test: TestKind;
  /** Treatment mean − control mean (a difference of conversion rates for the z-test). */
  readonly absoluteEffect: number | null;
  /** absoluteEffect ± q·SE: Student t with Welch–Satterthwaite df (Welch), normal (z-test, Wald). */
  readonly absoluteCI: Interval | null;
  /** Treatment mean / control mean − 1. */
  readonly relativeEffect: number | null;
  /**
   * Delta method: Var(m̂t/m̂c) ≈ Vt/(nt·mc²) + mt²·Vc/(nc·mc⁴), normal quantile. It is symmetric and can
   * reach below −100% when the control mean is poorly known.
   */
  readonly relativeCI: Interval | null;
  /** √(Vc/nc + Vt/nt), the standard error behind the intervals, chance to beat and sequential p-value. */
  readonly standardError: number | null;
  /** t (Welch) or z (pooled, as statsmodels' proportions_ztest; quantiles: the difference over its SE). */
  readonly statistic: number | null;
  /** Welch–Satterthwaite degrees of freedom; null for the z-tests. */
  readonly degreesOfFreedom: number | null;
  /** Two-sided, fixed-horizon: valid only when looked at once, at the planned sample size. */
  readonly pValue: number | null;
  /**
   * P(treatment is better than control) under a flat prior and the normal approximation:
   * Φ(effect / SE), or Φ(−effect / SE) when the metric's direction is 'decrease'.
   */
  readonly chanceToBeatControl: number | null;
  /**
   * Always-valid (mixture SPRT) p-value of this look, for looking while the experiment runs; see sequential.ts.
   * Its guarantee is about the running minimum over looks, which shared/results keeps.
   */
  readonly sequentialPValue: number | null;
  /** τ², the variance of the mixture behind sequentialPValue (squared metric units). */
  readonly mixingVariance: number | null;
}

/** Per-arm figures the shared part of a comparison needs; variances are per unit. */
interface Arms {
  readonly nc: number;
  readonly mc: number;
  readonly vc: number;
  readonly nt: number;
  readonly mt: number;
  readonly vt: number;
}

interface TestFigures {
  readonly statistic: number | null;
  readonly degreesOfFreedom: number | null;
  readonly pValue: number | null;
  /** The quantile of the absolute interval: t (Welch) or normal. */
  readonly quantile: number;
  /** The normal quantile of the relative (delta-method) interval. */
  readonly normalQuantile: number;
}

/**
 * Welch's unequal-variances t-test on the means (scipy.stats.ttest_ind_from_stats, equal_var=False),
 * from the sample variances (n − 1).
 */
export function welchTTest(
  control: SampleSummary,
  treatment: SampleSummary,
  options: ComparisonOptions = {},
): Comparison {
  checkSample(control, 'control');
  checkSample(treatment, 'treatment');
  const alpha = checkOptions(options);
  const c = summarize(control);
  const t = summarize(treatment);
  if (c.mean === null || t.mean === null) return unknown('welch-t');
  if (c.variance === null || t.variance === null) return pointEstimates('welch-t', c.mean, t.mean);

  const arms: Arms = { nc: c.n, mc: c.mean, vc: c.variance, nt: t.n, mt: t.mean, vt: t.variance };
  const shareC = arms.vc / arms.nc;
  const shareT = arms.vt / arms.nt;
  const se = Math.sqrt(shareC + shareT);
  if (se === 0) return pointEstimates('welch-t', c.mean, t.mean);
  // Welch–Satterthwaite, on the shares scaled to at most 1 so that their squares cannot underflow.
  const scale = Math.max(shareC, shareT);
  const [a, b] = [shareC / scale, shareT / scale];
  const df = (a + b) ** 2 / (a ** 2 / (arms.nc - 1) + b ** 2 / (arms.nt - 1));
  const statistic = (t.mean - c.mean) / se;
  return compare('welch-t', arms, se, options, {
    statistic,
    degreesOfFreedom: df,
    pValue: Math.min(1, 2 * studentTSf(Math.abs(statistic), df)),
    quantile: studentTQuantile(1 - alpha / 2, df),
    normalQuantile: normalQuantile(1 - alpha / 2),
  });
}

/**
 * The two-proportion z-test for conversion metrics; reads n and sum (the converted units) only. The
 * p-value uses the pooled standard error under H0, as statsmodels' proportions_ztest does; the intervals
 * use the unpooled (Wald) one, p(1 − p)/n per arm, as statsmodels' confint_proportions_2indep(method='wald').
 */
export function twoProportionZTest(
  control: SampleSummary,
  treatment: SampleSummary,
  options: ComparisonOptions = {},
): Comparison {
  checkConversions(control, 'control');
  checkConversions(treatment, 'treatment');
  const alpha = checkOptions(options);
  if (control.n === 0 || treatment.n === 0) return unknown('two-proportion-z');
  const pc = control.sum / control.n;
  const pt = treatment.sum / treatment.n;
  const arms: Arms = {
    nc: control.n,
    mc: pc,
    vc: pc * (1 - pc),
    nt: treatment.n,
    mt: pt,
    vt: pt * (1 - pt),
  };
  const pooled = (control.sum + treatment.sum) / (control.n + treatment.n);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const statistic = pooledSe > 0 ? (pt - pc) / pooledSe : null;
  const figures: TestFigures = {
    statistic,
    degreesOfFreedom: null,
    pValue: statistic === null ? null : Math.min(1, 2 * normalSf(Math.abs(statistic))),
    quantile: normalQuantile(1 - alpha / 2),
    normalQuantile: normalQuantile(1 - alpha / 2),
  };
  const se = Math.sqrt(arms.vc / arms.nc + arms.vt / arms.nt);
  if (se === 0) return { ...pointEstimates('two-proportion-z', pc, pt), ...outcome(figures) };
  return compare('two-proportion-z', arms, se, options, figures);
}

export interface CompareOptions extends ComparisonOptions {
  /** 'two-proportion-z' for conversion metrics, 'welch-t' for the others. */
  readonly test: 'welch-t' | 'two-proportion-z';
  /**
   * The pre-exposure covariate of each variant, in the same order: the comparisons run on CUPED-adjusted
   * figures, with the test of the metric's family (adjusted conversions keep the z-test: see meansZTest).
   * Covariates that explain nothing (θ = 0: no pre-exposure data, or no variation in it) leave every figure
   * as without them.
   */
  readonly covariates?: {
    readonly control: CovariateSummary;
    readonly treatments: readonly CovariateSummary[];
  };
}

export interface ControlComparisons {
  /** One per treatment, in input order. */
  readonly comparisons: readonly Comparison[];
  /** The CUPED adjustment (control first, then the treatments) when it was applied (θ ≠ 0). */
  readonly cuped: CupedAdjustment | null;
}

/**
 * Every treatment against the control, each at level alpha on its own: no multiple-comparison
 * correction here (shared/stats/multiple.ts adjusts the p-values of a family afterwards).
 */
export function compareToControl(
  control: SampleSummary,
  treatments: readonly SampleSummary[],
  options: CompareOptions,
): ControlComparisons {
  const { test, covariates, ...rest } = options;
  const plain = () => {
    const run = test === 'welch-t' ? welchTTest : twoProportionZTest;
    return { comparisons: treatments.map((t) => run(control, t, rest)), cuped: null };
  };
  if (covariates === undefined) return plain();
  if (covariates.treatments.length !== treatments.length) {
    throw new RangeError(`${covariates.treatments.length} covariates for ${treatments.length} treatments`);
  }
  const cuped = cupedAdjust([
    { metric: control, covariate: covariates.control },
    ...treatments.map((metric, i) => ({ metric, covariate: covariates.treatments[i]! })),
  ]);
  if (cuped.theta === 0) return plain();
  const [adjustedControl, ...adjustedTreatments] = cuped.variants;
  const run = test === 'welch-t' ? welchTTest : meansZTest;
  return {
    comparisons: adjustedTreatments.map((t) => run(adjustedControl!, t, rest)),
    cuped,
  };
}

/**
 * The two-proportion z-test generalised to any values, for CUPED-adjusted conversions: per-arm variances with
 * the n denominator (p(1 − p) for 0/1 values), the statistic standardised by the variance of all units of
 * both arms about their common mean (p̄(1 − p̄) for 0/1 values), the intervals by the unpooled one. On 0/1
 * values it is twoProportionZTest exactly; adjusted values are not 0/1, so it takes sums, not conversions.
 */
export function meansZTest(
  control: SampleSummary,
  treatment: SampleSummary,
  options: ComparisonOptions = {},
): Comparison {
  checkSample(control, 'control');
  checkSample(treatment, 'treatment');
  const alpha = checkOptions(options);
  if (control.n === 0 || treatment.n === 0) return unknown('two-proportion-z');
  const mc = control.sum / control.n;
  const mt = treatment.sum / treatment.n;
  const arms: Arms = {
    nc: control.n,
    mc,
    vc: centeredSquares(control.n, control.sum, control.sumSquares) / control.n,
    nt: treatment.n,
    mt,
    vt: centeredSquares(treatment.n, treatment.sum, treatment.sumSquares) / treatment.n,
  };
  const units = control.n + treatment.n;
  const pooled =
    centeredSquares(units, control.sum + treatment.sum, control.sumSquares + treatment.sumSquares) / units;
  const pooledSe = Math.sqrt(pooled * (1 / control.n + 1 / treatment.n));
  const statistic = pooledSe > 0 ? (mt - mc) / pooledSe : null;
  const figures: TestFigures = {
    statistic,
    degreesOfFreedom: null,
    pValue: statistic === null ? null : Math.min(1, 2 * normalSf(Math.abs(statistic))),
    quantile: normalQuantile(1 - alpha / 2),
    normalQuantile: normalQuantile(1 - alpha / 2),
  };
  const se = Math.sqrt(arms.vc / arms.nc + arms.vt / arms.nt);
  if (se === 0) return { ...pointEstimates('two-proportion-z', mc, mt), ...outcome(figures) };
  return compare('two-proportion-z', arms, se, options, figures);
}

/** A quantile of one arm: its estimate, the values behind it and its standard error (shared/stats/quantile.ts). */
export interface QuantileSummary {
  readonly n: number;
  readonly value: number;
  readonly standardError: number | null;
}

/**
 * Two quantiles (the same q) compared by a z-test on their difference, with the standard errors the
 * order-statistic intervals give: asymptotically normal (Bahadur), and no bootstrap. Relative figures by the
 * delta method as for means, and the always-valid p-value on the same difference and variance.
 */
export function quantileZTest(
  control: QuantileSummary | null,
  treatment: QuantileSummary | null,
  options: ComparisonOptions = {},
): Comparison {
  const alpha = checkOptions(options);
  if (control === null || treatment === null) return unknown('quantile-z');
  const { value: mc, standardError: sc } = control;
  const { value: mt, standardError: st } = treatment;
  if (sc === null || st === null) return pointEstimates('quantile-z', mc, mt);
  const se = Math.sqrt(sc * sc + st * st);
  if (!(se > 0)) return pointEstimates('quantile-z', mc, mt);
  const statistic = (mt - mc) / se;
  // Per-"unit" variances n·SE², so that the shared formulas (relative interval, default τ²) apply as they are.
  const arms: Arms = {
    nc: control.n,
    mc,
    vc: control.n * sc * sc,
    nt: treatment.n,
    mt,
    vt: treatment.n * st * st,
  };
  return compare('quantile-z', arms, se, options, {
    statistic,
    degreesOfFreedom: null,
    pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))),
    quantile: normalQuantile(1 - alpha / 2),
    normalQuantile: normalQuantile(1 - alpha / 2),
  });
}

function compare(
  test: TestKind,
  arms: Arms,
  se: number,
  options: ComparisonOptions,
  figures: TestFigures,
): Comparison {
  const { mc, mt, vc, vt } = arms;
  const effect = mt - mc;
  const better = options.direction === 'decrease' ? -effect : effect;
  const mixingVariance = options.mixingVariance ?? defaultMixingVariance(vc, vt);
  return finite({
    ...pointEstimates(test, mc, mt),
    absoluteCI: [effect - figures.quantile * se, effect + figures.quantile * se],
    relativeCI: relativeInterval(arms, figures.normalQuantile),
    standardError: se,
    ...outcome(figures),
    chanceToBeatControl: normalCdf(better / se),
    sequentialPValue: sequentialPValue(effect, se * se, mixingVariance),
    mixingVariance: mixingVariance > 0 ? mixingVariance : null,
  });
}

/** Null rather than a RangeError when V or the default τ² underflow to 0 (values near 1e-160). */
function sequentialPValue(effect: number, variance: number, mixingVariance: number): number | null {
  const usable = (v: number) => v > 0 && Number.isFinite(v);
  if (!usable(variance) || !usable(mixingVariance) || !Number.isFinite(effect)) return null;
  return mixtureSprtPValue({ effect, variance, mixingVariance });
}

/**
 * Values at the edge of the doubles (a control mean of 5e-324, a standard error that underflows) can
 * still overflow a ratio: such a figure is reported as unknown, like the undefined ones.
 */
function finite(comparison: Comparison): Comparison {
  const scalar = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  const interval = (v: Interval | null) => (v !== null && v.every(Number.isFinite) ? v : null);
  return {
    test: comparison.test,
    absoluteEffect: scalar(comparison.absoluteEffect),
    absoluteCI: interval(comparison.absoluteCI),
    relativeEffect: scalar(comparison.relativeEffect),
    relativeCI: interval(comparison.relativeCI),
    standardError: scalar(comparison.standardError),
    statistic: scalar(comparison.statistic),
    degreesOfFreedom: scalar(comparison.degreesOfFreedom),
    pValue: scalar(comparison.pValue),
    chanceToBeatControl: scalar(comparison.chanceToBeatControl),
    sequentialPValue: scalar(comparison.sequentialPValue),
    mixingVariance: scalar(comparison.mixingVariance),
  };
}

/** The delta-method interval of mt/mc − 1; null when the control mean is 0 or the ratio has no spread. */
function relativeInterval({ nc, mc, vc, nt, mt, vt }: Arms, quantile: number): Interval | null {
  if (mc === 0) return null;
  const ratioVariance = vt / (nt * mc * mc) + (mt * mt * vc) / (nc * mc ** 4);
  if (!(ratioVariance > 0) || !Number.isFinite(ratioVariance)) return null;
  const half = quantile * Math.sqrt(ratioVariance);
  const relative = mt / mc - 1;
  return [relative - half, relative + half];
}

/** What a test reports, without the quantiles used to build the intervals. */
function outcome({ statistic, degreesOfFreedom, pValue }: TestFigures) {
  return { statistic, degreesOfFreedom, pValue };
}

function pointEstimates(test: TestKind, mc: number, mt: number): Comparison {
  return finite({
    ...unknown(test),
    absoluteEffect: mt - mc,
    relativeEffect: mc === 0 ? null : mt / mc - 1,
  });
}

function unknown(test: TestKind): Comparison {
  return {
    test,
    absoluteEffect: null,
    absoluteCI: null,
    relativeEffect: null,
    relativeCI: null,
    standardError: null,
    statistic: null,
    degreesOfFreedom: null,
    pValue: null,
    chanceToBeatControl: null,
    sequentialPValue: null,
    mixingVariance: null,
  };
}

/** Checks what a caller may get wrong, before any figure is computed. */
function checkOptions({ alpha = 0.05, mixingVariance }: ComparisonOptions): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (${alpha})`);
  if (mixingVariance !== undefined && !(mixingVariance > 0 && Number.isFinite(mixingVariance))) {
    throw new RangeError(`mixingVariance must be finite and > 0 (${mixingVariance})`);
  }
  return alpha;
}

function checkConversions(sample: SampleSummary, label: string): void {
  checkSample(sample, label);
  if (sample.sum < 0 || sample.sum > sample.n || !Number.isSafeInteger(sample.sum)) {
    throw new RangeError(
      `${label}: conversions must be a whole number in [0, n] (${sample.sum} of ${sample.n})`,
    );
  }
}

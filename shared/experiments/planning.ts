import type { MetricType } from '../metrics/schema';
import { power, sampleSize, simultaneousLevel, type PowerInput } from '../stats';
import type { AnalysisSettings } from './analysis';
import { BASIS_POINTS } from './schema';

/**
 * Planning (issue 15): how many units the primary metric needs for the analysis settings — a minimum detectable
 * effect (relative) with a target power at the level each arm is tested at — how long that takes at a given
 * traffic, and the power the units seen so far give. The formulas are shared/stats/power.ts's; the level is
 * α / arms under Holm and Bonferroni (Holm rejects at least what Bonferroni does, so the plan is conservative).
 */

export interface PlanVariant {
  readonly key: string;
  readonly weight: number;
  readonly isControl: boolean;
}

/** What the plan assumes of the primary metric in the control: from the settings, or measured. */
export interface Baseline {
  readonly mean: number;
  readonly standardDeviation: number;
  readonly source: 'settings' | 'control';
}

/** Observed figures of one variant on the primary metric, for progress and achieved power. */
export interface ObservedVariant {
  readonly units: number;
  readonly mean: number | null;
  readonly variance: number | null;
}

export interface PlannedVariant {
  readonly variant: string;
  readonly plannedUnits: number;
  readonly units: number;
  /** Treatments: the power the units so far give against the minimum detectable effect. */
  readonly achievedPower: number | null;
}

export interface Plan {
  readonly metricKey: string;
  readonly sequential: boolean;
  readonly minimumDetectableEffect: number;
  readonly power: number;
  /** The level each treatment is tested at in the plan. */
  readonly alphaPerComparison: number;
  readonly baseline: Baseline;
  readonly variants: readonly PlannedVariant[];
  /** Units the experiment needs in all, split by the weights. */
  readonly totalUnits: number;
  /** min over variants of units / planned units, at most 1. */
  readonly progress: number;
  readonly reached: boolean;
  /** Units entering the experiment per day, and where that figure comes from. */
  readonly unitsPerDay: number | null;
  readonly unitsPerDaySource: 'query' | 'measured' | null;
  readonly expectedDays: number | null;
  readonly remainingDays: number | null;
  /** The smallest achieved power over the treatments. */
  readonly achievedPower: number | null;
}

/** Why a plan cannot be made: the field at fault and what is wrong, for a 400 or a note in the results. */
export interface PlanningProblem {
  readonly path: string;
  readonly message: string;
}

/** Metric types a plan can be made for: quantiles have no variance formula here. */
const PLANNABLE: readonly MetricType[] = ['conversion', 'count', 'sum', 'mean'];

/**
 * What keeps a plan from being made with these settings and this primary metric (checked on write when the
 * horizon is fixed, since the verdict then waits for the plan).
 */
export function planningProblems(
  settings: AnalysisSettings,
  primary: { readonly key: string; readonly type: MetricType } | undefined,
): PlanningProblem[] {
  if (settings.minimumDetectableEffect === undefined) return [];
  if (primary === undefined) {
    return [
      {
        path: 'primaryMetric',
        message: 'is required to plan a sample size (analysis.minimumDetectableEffect)',
      },
    ];
  }
  if (!PLANNABLE.includes(primary.type)) {
    return [{ path: 'analysis', message: `a ${primary.type} primary metric cannot be planned for` }];
  }
  const baseline = settings.baseline;
  if (baseline === undefined) return [];
  if (primary.type === 'conversion') {
    if (!(baseline.mean > 0 && baseline.mean < 1)) {
      return [{ path: 'analysis.baseline.mean', message: 'is a conversion rate: it must be in (0, 1)' }];
    }
    return [];
  }
  if (baseline.standardDeviation === undefined) {
    return [
      {
        path: 'analysis.baseline.standardDeviation',
        message: `is required for a ${primary.type} primary metric (a conversion rate implies its own)`,
      },
    ];
  }
  return [];
}

/** The baseline of the settings, with a conversion rate's standard deviation √(p(1 − p)). */
export function settingsBaseline(settings: AnalysisSettings, type: MetricType): Baseline | null {
  const baseline = settings.baseline;
  if (baseline === undefined) return null;
  if (type === 'conversion') {
    const p = baseline.mean;
    return p > 0 && p < 1 ? { mean: p, standardDeviation: Math.sqrt(p * (1 - p)), source: 'settings' } : null;
  }
  return baseline.standardDeviation === undefined
    ? null
    : { mean: baseline.mean, standardDeviation: baseline.standardDeviation, source: 'settings' };
}

export interface PlanRequest {
  readonly metricKey: string;
  readonly type: MetricType;
  readonly direction: 'increase' | 'decrease';
  readonly settings: AnalysisSettings;
  readonly variants: readonly PlanVariant[];
  readonly baseline: Baseline;
  /** Per variant key, what has been seen (nothing for a draft). */
  readonly observed: Readonly<Record<string, ObservedVariant>>;
  /** Units entering the experiment per day, if known. */
  readonly unitsPerDay: { readonly value: number; readonly source: 'query' | 'measured' } | null;
}

/** The plan, or null when the settings have no minimum detectable effect or the metric cannot be planned. */
export function plan(request: PlanRequest): Plan | null {
  const { settings, variants, baseline, type } = request;
  const mde = settings.minimumDetectableEffect;
  if (mde === undefined || !PLANNABLE.includes(type)) return null;
  const control = variants.find((v) => v.isControl);
  const treatments = variants.filter((v) => !v.isControl && v.weight > 0);
  if (control === undefined || control.weight === 0 || treatments.length === 0) return null;
  const alpha = simultaneousLevel(settings.alpha, treatments.length, settings.correction);
  const totalWeight = variants.reduce((a, v) => a + v.weight, 0);

  // Units the experiment needs for each treatment to reach the power: its own need over its share.
  let total = 0;
  for (const treatment of treatments) {
    const ratio = control.weight / treatment.weight;
    const input = planningInput(type, request.direction, baseline, mde, alpha, settings.sequential, ratio);
    if (input === null) return null;
    const units = sampleSize({ ...input, target: settings.power, ratio });
    if (units === null) return null;
    total = Math.max(total, (units * totalWeight) / treatment.weight);
  }
  const planned = new Map(variants.map((v) => [v.key, Math.ceil((total * v.weight) / totalWeight - 1e-9)]));
  const totalUnits = [...planned.values()].reduce((a, b) => a + b, 0);
  const observed = (key: string): ObservedVariant =>
    request.observed[key] ?? { units: 0, mean: null, variance: null };
  /**
   * The power at the units seen so far, against the minimum detectable effect on the measured control mean:
   * conversions with the rates that effect implies (as planned), other metrics with the measured variances.
   */
  const achieved = (treatment: PlanVariant): number | null => {
    const c = observed(control.key);
    const t = observed(treatment.key);
    if (c.mean === null || c.variance === null || c.mean === 0 || c.units < 2 || t.units < 2) return null;
    const units = { controlUnits: c.units, treatmentUnits: t.units };
    if (type === 'conversion') {
      if (!(c.mean > 0 && c.mean < 1)) return null;
      const measured: Baseline = {
        mean: c.mean,
        standardDeviation: Math.sqrt(c.variance),
        source: 'control',
      };
      const ratio = c.units / t.units;
      const input = planningInput(type, request.direction, measured, mde, alpha, settings.sequential, ratio);
      return input === null ? null : power({ ...input, ...units });
    }
    if (t.variance === null) return null;
    return power({
      effect: mde * Math.abs(c.mean),
      controlVariance: c.variance,
      treatmentVariance: t.variance,
      alpha,
      sequential: settings.sequential,
      ...units,
    });
  };
  const planVariants = variants.map((v): PlannedVariant => ({
    variant: v.key,
    plannedUnits: planned.get(v.key)!,
    units: observed(v.key).units,
    achievedPower: v.isControl || v.weight === 0 ? null : achieved(v),
  }));
  const weighted = planVariants.filter((v) => v.plannedUnits > 0);
  const progress = Math.min(1, ...weighted.map((v) => v.units / v.plannedUnits));
  const rate = request.unitsPerDay;
  const remaining =
    rate === null || !(rate.value > 0)
      ? null
      : Math.max(
          0,
          ...weighted.map(
            (v) =>
              (v.plannedUnits - v.units) /
              ((rate.value * variants.find((x) => x.key === v.variant)!.weight) / totalWeight),
          ),
        );
  const powers = planVariants.flatMap((v) => (v.achievedPower === null ? [] : [v.achievedPower]));
  return {
    metricKey: request.metricKey,
    sequential: settings.sequential,
    minimumDetectableEffect: mde,
    power: settings.power,
    alphaPerComparison: alpha,
    baseline,
    variants: planVariants,
    totalUnits,
    progress,
    reached: weighted.every((v) => v.units >= v.plannedUnits),
    unitsPerDay: rate?.value ?? null,
    unitsPerDaySource: rate?.source ?? null,
    expectedDays: rate === null || !(rate.value > 0) ? null : totalUnits / rate.value,
    remainingDays: remaining,
    achievedPower: powers.length > 0 ? Math.min(...powers) : null,
  };
}

/**
 * The power input for a relative effect `mde` on `baseline`: conversions move the rate in the better direction
 * (the other one when that leaves (0, 1)) and are standardised under H0 by the pooled rate; other metrics keep
 * the baseline's standard deviation in both arms. `ratio`: control units per treatment unit.
 */
function planningInput(
  type: MetricType,
  direction: 'increase' | 'decrease',
  baseline: Baseline,
  mde: number,
  alpha: number,
  sequential: boolean,
  ratio: number,
): PowerInput | null {
  const effect = mde * Math.abs(baseline.mean);
  if (type !== 'conversion') {
    const variance = baseline.standardDeviation ** 2;
    return { effect, controlVariance: variance, treatmentVariance: variance, alpha, sequential };
  }
  const p = baseline.mean;
  const better = direction === 'increase' ? p + effect : p - effect;
  const moved = better > 0 && better < 1 ? better : direction === 'increase' ? p - effect : p + effect;
  if (!(moved > 0 && moved < 1)) return null;
  const pooled = (moved + p * ratio) / (1 + ratio);
  return {
    effect,
    controlVariance: p * (1 - p),
    treatmentVariance: moved * (1 - moved),
    nullVariances: { control: pooled * (1 - pooled), treatment: pooled * (1 - pooled) },
    alpha,
    sequential,
  };
}

/** Units entering the experiment per day from the eligible units per day: traffic share times layer share. */
export function unitsEnteringPerDay(
  eligiblePerDay: number,
  experiment: {
    readonly trafficAllocation: number;
    readonly layerRange?: readonly [number, number] | undefined;
  },
): number {
  const layerShare =
    experiment.layerRange === undefined
      ? 1
      : (experiment.layerRange[1] - experiment.layerRange[0]) / BASIS_POINTS;
  return (eligiblePerDay * experiment.trafficAllocation * layerShare) / BASIS_POINTS;
}

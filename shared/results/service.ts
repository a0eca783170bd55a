import type { ExperimentAggregates, MetricAggregate } from '../analytics/store';
import type { ConfigReader } from '../config/repository';
import { NotFoundError } from '../errors';
import { analysisOf, type AnalysisSettings } from '../experiments/analysis';
import {
  plan as planOf,
  settingsBaseline,
  unitsEnteringPerDay,
  type Baseline,
  type ObservedVariant,
  type Plan,
} from '../experiments/planning';
import type { Experiment } from '../experiments/requests';
import { metricsOf, type MetricRole } from '../experiments/schema';
import type { Metric } from '../metrics/schema';
import {
  compareToControl,
  linearizeRatio,
  quantileZTest,
  sampleRatioMismatch,
  simultaneousLevel,
  SRM_THRESHOLD,
  summarize,
  type Comparison,
  type Correction,
  type Interval,
  type SampleSummary,
  type TestKind,
} from '../stats';
import {
  boundKey,
  tightenStoredBounds,
  type BoundStore,
  type RunningBound,
  type RunningBounds,
} from './bounds';
import {
  confidenceSequenceOf,
  decideFamily,
  lookOf,
  lookReady,
  MIN_LOOK_SAMPLE,
  type ArmSample,
  type Decision,
  type DecisionBasis,
  type FamilyMember,
  type Outcome,
} from './decisions';
import { reportedQuantiles, TESTED_QUANTILE, valueDistribution } from './quantiles';
import { verdictOf, type Verdict } from './verdict';

/** Where results read their aggregates: one Query per experiment (O(variants × metrics) items). */
export interface AggregateReader {
  readExperimentAggregates(experimentKey: string): Promise<ExperimentAggregates>;
}

export interface QuantileFigure {
  readonly quantile: number;
  /** Within `relativeError` of the exact sample quantile (null without values). */
  readonly value: number | null;
  /** The histogram bucket that holds the exact sample quantile. */
  readonly bracket: Interval | null;
  /** Covers the population quantile with probability ≥ 1 − alpha (order statistics); null with too few values. */
  readonly interval: Interval | null;
}

export interface VariantFigures {
  readonly variant: string;
  readonly isControl: boolean;
  /** Units with a value for this metric (every exposed unit for conversion, count and sum). */
  readonly units: number;
  readonly mean: number | null;
  readonly variance: number | null;
  /** conversion: converted units; duration_p95: the 95th percentile of the values. */
  readonly conversions?: number;
  readonly p95?: number | null;
  /** duration_p95: p50, p95, p99 of the values with their intervals. */
  readonly quantiles?: readonly QuantileFigure[];
}

export interface VariantComparison extends Comparison {
  readonly variant: string;
  /** Significant under the experiment's decision rule (metric.decision): outcome is not 'inconclusive'. */
  readonly significant: boolean;
  /** Running minimum of the always-valid two-sided p-value over every read (stored: it never rises). */
  readonly alwaysValidPValue: number | null;
  /** Running minimum of the always-valid one-sided p-value for harm (the metric moving the bad way). */
  readonly harmPValue: number | null;
  /** Running intersection of the confidence sequences of absoluteEffect, at metric.decision.sequenceLevel. */
  readonly confidenceSequence: Interval | null;
  /** The decision's p-value after the correction of its family. */
  readonly adjustedPValue: number | null;
  readonly outcome: Outcome;
}

export interface MetricResults {
  readonly metricKey: string;
  readonly name: string;
  readonly type: Metric['type'];
  readonly direction: Metric['direction'];
  readonly role: MetricRole;
  readonly test: TestKind | null;
  readonly cuped: { readonly theta: number } | null;
  readonly variants: readonly VariantFigures[];
  /** Each treatment against the control (duration_p95: on the 95th percentile). */
  readonly comparisons: readonly VariantComparison[];
  /** How the comparisons are decided: the p-value read, its correction, α and the confidence sequences' level. */
  readonly decision: {
    readonly basis: DecisionBasis;
    readonly correction: Correction;
    readonly alpha: number;
    readonly sequenceLevel: number;
  };
  /** duration_p95: how close the reported quantiles are to the exact ones. */
  readonly quantiles?: {
    readonly tested: number;
    readonly resolution: 'fine' | 'coarse';
    readonly relativeError: number;
  };
  /** Why there are no comparisons although there is data (aggregates the statistics cannot use). */
  readonly problem?: string;
  /** What an analyst should know about these figures (e.g. CUPED asked for but not applied). */
  readonly notes?: readonly string[];
}

export type VerdictStatus = Verdict['status'];

export interface ExperimentResults {
  readonly experimentKey: string;
  readonly status: Experiment['status'];
  readonly generatedAt: string;
  /** The decisions' α (analysis.alpha); fixed-horizon intervals are at 1 − alpha. */
  readonly alpha: number;
  readonly analysis: AnalysisSettings;
  readonly variants: readonly { key: string; isControl: boolean; weight: number; units: number }[];
  readonly sampleRatioMismatch: {
    readonly chiSquare: number | null;
    readonly pValue: number;
    readonly threshold: number;
    readonly mismatch: boolean;
  };
  readonly metrics: readonly MetricResults[];
  /** The primary metric's plan, when analysis.minimumDetectableEffect is set. */
  readonly plan: Plan | null;
  readonly verdict: Verdict;
}

export interface ResultsOptions {
  /** CUPED with each unit's pre-exposure value of the metric as covariate, where such data exist. */
  readonly cuped?: boolean;
  /** Eligible units per day, for the plan's expected duration (else: measured since the start). */
  readonly dailyUnits?: number;
}

const EMPTY: MetricAggregate = {
  variant: '',
  metricKey: '',
  n: 0,
  sum: 0,
  sumSquares: 0,
  conversions: 0,
  covariate: { sum: 0, sumSquares: 0, sumProducts: 0 },
  ratio: { numerator: 0, denominator: 0, numeratorSquares: 0, denominatorSquares: 0, products: 0 },
  values: { count: 0, sum: 0, sumSquares: 0, histogram: {} },
};

/** No usable sample: every figure of a comparison with it is null. */
const NO_SAMPLE: SampleSummary = { n: 0, sum: 0, sumSquares: 0 };

const HOUR_MS = 3_600_000;

/** A metric's figures before the decision: its comparisons and the bound key each one's look goes to. */
interface Measured {
  readonly results: Omit<MetricResults, 'comparisons' | 'decision'>;
  readonly comparisons: readonly {
    readonly variant: string;
    readonly comparison: Comparison;
    readonly key: string;
    /** Every arm of the comparison has the minimum sample for this read's look to count (`lookReady`). */
    readonly ready: boolean;
  }[];
}

/**
 * `GET /api/v1/experiments/{key}/results` (SPEC §2.5; docs/statistics.md): from the aggregates only, per metric
 * and variant the units, mean and variance (duration metrics: quantiles with intervals), each treatment against
 * the control — a two-proportion z-test for conversions, Welch's t-test for count and sum per unit, a mean metric
 * as the ratio Σ values / Σ valued events through the delta method, a z-test on the 95th percentile for duration
 * metrics, CUPED when asked and pre-exposure data exist — the always-valid figures merged into their stored
 * running bounds, the decision rule of the experiment's analysis settings, the sample-ratio-mismatch check, the
 * plan and a verdict.
 */
export class ResultsService {
  constructor(
    private readonly experiments: ConfigReader<Experiment>,
    private readonly metrics: ConfigReader<Metric>,
    private readonly aggregates: AggregateReader,
    private readonly bounds: BoundStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async results(key: string, options: ResultsOptions = {}): Promise<ExperimentResults> {
    const experiment = await this.experiments.get(key);
    if (experiment === null) throw new NotFoundError(`No experiment ${key}`);
    const [aggregates, stored, definitionList] = await Promise.all([
      this.aggregates.readExperimentAggregates(key),
      this.bounds.read(key),
      this.metrics.list(),
    ]);
    const settings = analysisOf(experiment);
    const unitsOf = (variant: string) => aggregates.variants[variant]?.units ?? 0;
    const variants = experiment.variants.map((v) => ({
      key: v.key,
      isControl: v.isControl,
      weight: v.weight,
      units: unitsOf(v.key),
    }));
    const srm = sampleRatioMismatch(
      variants.map((v) => v.units),
      variants.map((v) => v.weight),
      SRM_THRESHOLD,
    );
    const treatments = experiment.variants.filter((v) => !v.isControl).length;
    const armLevel = simultaneousLevel(settings.alpha, treatments, settings.correction);
    const definitions = new Map(definitionList.map((m) => [m.key, m]));
    const measured = metricsOf(experiment).flatMap(({ key: metricKey, role }) => {
      const metric = definitions.get(metricKey);
      if (metric === undefined) return [];
      const sequenceAlpha = role === 'secondary' ? settings.alpha : armLevel;
      return [
        {
          metric,
          role,
          sequenceAlpha,
          ...this.measure(experiment, metric, role, aggregates, options.cuped === true, settings.alpha),
        },
      ];
    });

    // This read's looks, merged into the stored running bounds (persisted once the experiment has started).
    const looks: Record<string, RunningBound> = {};
    for (const m of measured) {
      for (const { comparison, key: boundAt, ready } of m.comparisons) {
        if (!ready) continue;
        const look = lookOf(comparison, m.metric.direction, m.sequenceAlpha);
        if (look !== null) looks[boundAt] = look;
      }
    }
    const bounds: RunningBounds = await tightenStoredBounds(
      this.bounds,
      key,
      stored,
      looks,
      experiment.status !== 'DRAFT',
    );

    const primary = measured.find((m) => m.role === 'primary');
    const plan =
      primary === undefined
        ? null
        : this.planFor(experiment, settings, primary.metric, primary.results, variants, options);
    const horizonReached = settings.sequential || plan?.reached === true;

    // Families: the primary's arms; each guardrail's arms; every secondary comparison together.
    const decisions = new Map<string, Decision>();
    const decide = (role: MetricRole, group: typeof measured) => {
      const members = group.flatMap((m) =>
        m.comparisons.map((c): FamilyMember & { key: string } => ({
          comparison: c.comparison,
          bound: bounds[c.key],
          direction: m.metric.direction,
          // A metric may be both secondary and a guardrail: one bound, two decisions.
          key: `${role}|${c.key}`,
        })),
      );
      decideFamily(role, members, settings, horizonReached).forEach((d, i) =>
        decisions.set(members[i]!.key, d),
      );
    };
    for (const m of measured) if (m.role !== 'secondary') decide(m.role, [m]);
    decide(
      'secondary',
      measured.filter((m) => m.role === 'secondary'),
    );

    const metrics: MetricResults[] = measured.map((m) => ({
      ...m.results,
      ...withNotes(
        m.results.notes,
        m.comparisons.flatMap((c) => boundNotes(c.variant, bounds[c.key], c.ready)),
      ),
      comparisons: m.comparisons.map(({ variant, comparison, key: boundAt }) => {
        const decision = decisions.get(`${m.role}|${boundAt}`)!;
        const bound = bounds[boundAt];
        return {
          ...comparison,
          variant,
          significant: decision.significant,
          alwaysValidPValue: bound?.p ?? null,
          harmPValue: bound?.h ?? null,
          confidenceSequence: confidenceSequenceOf(bound),
          adjustedPValue: decision.adjustedPValue,
          outcome: decision.outcome,
        };
      }),
      decision: {
        basis:
          m.role === 'guardrail'
            ? 'always-valid-harm'
            : settings.sequential
              ? 'always-valid'
              : 'fixed-horizon',
        correction: m.role === 'secondary' ? settings.secondaryCorrection : settings.correction,
        alpha: settings.alpha,
        sequenceLevel: 1 - m.sequenceAlpha,
      },
    }));
    const sampleRatio = {
      chiSquare: srm.chiSquare,
      pValue: srm.pValue,
      threshold: SRM_THRESHOLD,
      mismatch: srm.mismatch,
    };
    return {
      experimentKey: key,
      status: experiment.status,
      generatedAt: this.now().toISOString(),
      alpha: settings.alpha,
      analysis: settings,
      variants,
      sampleRatioMismatch: sampleRatio,
      metrics,
      plan,
      verdict: verdictOf({ variants, srm: sampleRatio, metrics, settings, plan }),
    };
  }

  /** One metric's figures and comparisons (no decision yet); a metric its aggregates do not fit says why. */
  private measure(
    experiment: Experiment,
    metric: Metric,
    role: MetricRole,
    aggregates: ExperimentAggregates,
    cuped: boolean,
    alpha: number,
  ): Measured {
    try {
      return metric.type === 'duration_p95'
        ? this.measureQuantiles(experiment, metric, role, aggregates, alpha)
        : this.measureMeans(experiment, metric, role, aggregates, cuped, alpha);
    } catch (error) {
      // Aggregates the test refuses (e.g. counted under another definition of a recreated metric): say so
      // for this metric instead of failing the whole page.
      if (!(error instanceof RangeError)) throw error;
      return {
        results: {
          ...identity(metric, role),
          test: null,
          cuped: null,
          variants: [],
          problem: `aggregates do not fit this metric's definition: ${error.message}`,
        },
        comparisons: [],
      };
    }
  }

  private measureMeans(
    experiment: Experiment,
    metric: Metric,
    role: MetricRole,
    aggregates: ExperimentAggregates,
    cuped: boolean,
    alpha: number,
  ): Measured {
    const of = (variant: string) => aggregates.variants[variant]?.metrics[metric.key] ?? EMPTY;
    // A mean metric is a ratio (Σ values / Σ valued events): compared through its delta-method linearization.
    const ratio = metric.type === 'mean';
    const sample = (variant: string): SampleSummary =>
      ratio ? (linearizeRatio({ n: of(variant).n, ...of(variant).ratio }) ?? NO_SAMPLE) : of(variant);
    const control = experiment.variants.find((v) => v.isControl)!;
    const treatments = experiment.variants.filter((v) => !v.isControl);
    const figures = experiment.variants.map((v): VariantFigures => {
      const moments = summarize(sample(v.key));
      return {
        variant: v.key,
        isControl: v.isControl,
        units: of(v.key).n,
        mean: moments.mean,
        variance: moments.variance,
        ...(metric.type === 'conversion' ? { conversions: of(v.key).conversions } : {}),
      };
    });
    const test: 'welch-t' | 'two-proportion-z' =
      metric.type === 'conversion' ? 'two-proportion-z' : 'welch-t';
    // CUPED adjusts per-unit values; a ratio metric's linearized values have no covariate of their own.
    const adjust = cuped && !ratio;
    const compared = compareToControl(
      sample(control.key),
      treatments.map((t) => sample(t.key)),
      {
        test,
        alpha,
        direction: metric.direction,
        ...(adjust
          ? {
              covariates: {
                control: of(control.key).covariate,
                treatments: treatments.map((t) => of(t.key).covariate),
              },
            }
          : {}),
      },
    );
    const notes =
      cuped && compared.cuped === null
        ? [
            ratio
              ? 'CUPED does not apply to a mean (ratio) metric: figures are unadjusted.'
              : 'CUPED not applied: no unit has pre-exposure data for this metric (θ = 0), so the figures are unadjusted.',
          ]
        : [];
    const mode = compared.cuped === null ? 'plain' : 'cuped';
    const armOf = (variant: string): ArmSample => ({
      units: of(variant).n,
      ...(metric.type === 'conversion' ? { conversions: of(variant).conversions } : {}),
    });
    return {
      results: {
        ...identity(metric, role),
        test,
        cuped: compared.cuped === null ? null : { theta: compared.cuped.theta },
        variants: figures,
        ...(notes.length > 0 ? { notes } : {}),
      },
      comparisons: compared.comparisons.map((comparison, i) => ({
        variant: treatments[i]!.key,
        comparison,
        key: boundKey(mode, metric.key, treatments[i]!.key),
        ready: lookReady([armOf(control.key), armOf(treatments[i]!.key)]),
      })),
    };
  }

  /** duration_p95: quantiles per variant with intervals, and the 95th percentiles compared by a z-test. */
  private measureQuantiles(
    experiment: Experiment,
    metric: Metric,
    role: MetricRole,
    aggregates: ExperimentAggregates,
    alpha: number,
  ): Measured {
    const of = (variant: string) => aggregates.variants[variant]?.metrics[metric.key] ?? EMPTY;
    const distributions = new Map(
      experiment.variants.map((v) => [v.key, valueDistribution(of(v.key).values)]),
    );
    const resolution = [...distributions.values()].some((d) => d.resolution === 'coarse') ? 'coarse' : 'fine';
    const relativeError = Math.max(...[...distributions.values()].map((d) => d.relativeError));
    const tested = new Map<string, { n: number; value: number; standardError: number | null } | null>();
    const figures = experiment.variants.map((v): VariantFigures => {
      const aggregate = of(v.key);
      const moments = summarize({
        n: aggregate.values.count,
        sum: aggregate.values.sum,
        sumSquares: aggregate.values.sumSquares,
      });
      const quantiles = reportedQuantiles(distributions.get(v.key)!, alpha);
      const p95 = quantiles.find((q) => q.quantile === TESTED_QUANTILE)!.estimate;
      tested.set(
        v.key,
        p95 === null ? null : { n: p95.n, value: p95.value, standardError: p95.standardError },
      );
      return {
        variant: v.key,
        isControl: v.isControl,
        units: aggregate.n,
        mean: moments.mean,
        variance: moments.variance,
        p95: p95?.value ?? null,
        quantiles: quantiles.map(({ quantile, estimate }) => ({
          quantile,
          value: estimate?.value ?? null,
          bracket: estimate?.bracket ?? null,
          interval: estimate?.interval ?? null,
        })),
      };
    });
    const control = experiment.variants.find((v) => v.isControl)!;
    const treatments = experiment.variants.filter((v) => !v.isControl);
    return {
      results: {
        ...identity(metric, role),
        test: 'quantile-z',
        cuped: null,
        variants: figures,
        quantiles: { tested: TESTED_QUANTILE, resolution, relativeError },
      },
      comparisons: treatments.map((t) => ({
        variant: t.key,
        comparison: quantileZTest(tested.get(control.key)!, tested.get(t.key)!, {
          alpha,
          direction: metric.direction,
        }),
        key: boundKey('plain', metric.key, t.key),
        ready: lookReady([control.key, t.key].map((v) => ({ units: of(v).n, values: of(v).values.count }))),
      })),
    };
  }

  /**
   * The primary metric's plan: the baseline of the settings, else (sequential mode only: a fixed horizon is
   * planned before the start) the control's measured mean and standard deviation; units per day from the query
   * (eligible units, times the traffic and layer shares) or measured since the start.
   */
  private planFor(
    experiment: Experiment,
    settings: AnalysisSettings,
    metric: Metric,
    primary: Measured['results'],
    variants: readonly { key: string; units: number }[],
    options: ResultsOptions,
  ): Plan | null {
    if (settings.minimumDetectableEffect === undefined) return null;
    const control = primary.variants.find((v) => v.isControl);
    const measuredBaseline: Baseline | null =
      control !== undefined && control.mean !== null && control.variance !== null && control.variance > 0
        ? { mean: control.mean, standardDeviation: Math.sqrt(control.variance), source: 'control' }
        : null;
    const baseline =
      settingsBaseline(settings, metric.type) ?? (settings.sequential ? measuredBaseline : null);
    if (baseline === null) return null;
    const observed: Record<string, ObservedVariant> = Object.fromEntries(
      primary.variants.map((v) => [v.variant, { units: v.units, mean: v.mean, variance: v.variance }]),
    );
    try {
      return planOf({
        metricKey: metric.key,
        type: metric.type,
        direction: metric.direction,
        settings,
        variants: experiment.variants,
        baseline,
        observed,
        unitsPerDay: this.unitsPerDay(experiment, variants, options),
      });
    } catch (error) {
      // Figures no power formula takes (a variance of aggregates that do not fit): no plan, not a failed page.
      if (!(error instanceof RangeError)) throw error;
      return null;
    }
  }

  private unitsPerDay(
    experiment: Experiment,
    variants: readonly { units: number }[],
    options: ResultsOptions,
  ): { value: number; source: 'query' | 'measured' } | null {
    if (options.dailyUnits !== undefined) {
      return { value: unitsEnteringPerDay(options.dailyUnits, experiment), source: 'query' };
    }
    if (experiment.startedAt === undefined) return null;
    const end = experiment.endedAt === undefined ? this.now().getTime() : Date.parse(experiment.endedAt);
    const elapsed = end - Date.parse(experiment.startedAt);
    const units = variants.reduce((a, v) => a + v.units, 0);
    if (!(elapsed >= HOUR_MS) || units === 0) return null;
    return { value: (units * 24 * HOUR_MS) / elapsed, source: 'measured' };
  }
}

/** What a running bound says that the figures alone do not. */
function boundNotes(variant: string, bound: RunningBound | undefined, ready: boolean): string[] {
  const waiting = ready
    ? []
    : [
        `${variant}: this read does not count toward the always-valid figures yet — each arm needs ` +
          `${MIN_LOOK_SAMPLE.units} units (conversions: ${MIN_LOOK_SAMPLE.outcomes} converted and ` +
          `${MIN_LOOK_SAMPLE.outcomes} not; durations: ${MIN_LOOK_SAMPLE.values} values) before a normal ` +
          'approximation holds.',
      ];
  if (bound === undefined) return waiting;
  return [...waiting, ...settledNotes(variant, bound)];
}

function settledNotes(variant: string, bound: RunningBound): string[] {
  if (bound.up && bound.down) {
    return [
      `${variant}: significant in both directions at different reads — the effect changed sign over time, or ` +
        'data reached the aggregates unevenly; no direction is claimed.',
    ];
  }
  if (bound.lo > bound.hi) {
    return [
      `${variant}: the confidence sequences of different reads no longer overlap — the difference has grown or ` +
        'shrunk over time (values still accruing after exposure, or a changing effect); no interval is shown, ' +
        'and decisions rest on the always-valid p-value.',
    ];
  }
  return [];
}

/** The metric's notes with more appended; no `notes` field when there are none. */
function withNotes(
  notes: readonly string[] | undefined,
  more: readonly string[],
): { notes?: readonly string[] } {
  const all = [...(notes ?? []), ...more];
  return all.length === 0 ? {} : { notes: all };
}

function identity(metric: Metric, role: MetricRole) {
  return {
    metricKey: metric.key,
    name: metric.name,
    type: metric.type,
    direction: metric.direction,
    role,
  };
}

import type { ConfigReader } from '../config/repository';
import { NotFoundError } from '../errors';
import type { Experiment } from '../experiments/requests';
import { metricsOf, type MetricRole } from '../experiments/schema';
import type { Metric } from '../metrics/schema';
import {
  compareToControl,
  sampleRatioMismatch,
  summarize,
  SRM_THRESHOLD,
  linearizeRatio,
  type Comparison,
  type SampleSummary,
  type TestKind,
} from '../stats';
import { histogramQuantile } from '../analytics/histogram';
import type { ExperimentAggregates, MetricAggregate } from '../analytics/store';

/** Where results read their aggregates: one Query per experiment (O(variants × metrics) items). */
export interface AggregateReader {
  readExperimentAggregates(experimentKey: string): Promise<ExperimentAggregates>;
}

export const ALPHA = 0.05;

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
}

export interface VariantComparison extends Comparison {
  readonly variant: string;
  /** p < 0.05 on the fixed-horizon test. */
  readonly significant: boolean;
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
  /** Each treatment against the control (none for duration_p95, which reports percentiles only). */
  readonly comparisons: readonly VariantComparison[];
  /** Why there are no comparisons although there is data (aggregates the statistics cannot use). */
  readonly problem?: string;
}

export type VerdictStatus = 'NO_DATA' | 'SAMPLE_RATIO_MISMATCH' | 'WINNER' | 'LOSER' | 'INCONCLUSIVE';

export interface ExperimentResults {
  readonly experimentKey: string;
  readonly status: Experiment['status'];
  readonly generatedAt: string;
  readonly alpha: number;
  readonly variants: readonly { key: string; isControl: boolean; weight: number; units: number }[];
  readonly sampleRatioMismatch: {
    readonly chiSquare: number | null;
    readonly pValue: number;
    readonly threshold: number;
    readonly mismatch: boolean;
  };
  readonly metrics: readonly MetricResults[];
  readonly verdict: { readonly status: VerdictStatus; readonly message: string };
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

const percent = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const pValueText = (p: number | null) => (p === null ? 'n/a' : p < 0.0001 ? '< 0.0001' : p.toFixed(4));

/**
 * `GET /api/v1/experiments/{key}/results` (SPEC §2.5): from the aggregates only, per metric and variant the
 * units, mean and variance, and each treatment against the control — a two-proportion z-test for conversions,
 * Welch's t-test otherwise (count and sum per unit; a mean metric as the ratio Σ values / Σ valued events, through
 * the delta method, its variance being that of the linearized per-unit values), with CUPED when asked (the covariate is
 * each unit's value of the same metric before exposure) — plus the sample-ratio-mismatch check on exposed
 * units and a plain-language verdict on the primary metric.
 */
export class ResultsService {
  constructor(
    private readonly experiments: ConfigReader<Experiment>,
    private readonly metrics: ConfigReader<Metric>,
    private readonly aggregates: AggregateReader,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async results(key: string, options: { cuped?: boolean } = {}): Promise<ExperimentResults> {
    const experiment = await this.experiments.get(key);
    if (experiment === null) throw new NotFoundError(`No experiment ${key}`);
    const aggregates = await this.aggregates.readExperimentAggregates(key);
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
    const definitions = new Map((await this.metrics.list()).map((m) => [m.key, m]));
    const metrics = metricsOf(experiment).flatMap(({ key: metricKey, role }) => {
      const metric = definitions.get(metricKey);
      if (metric === undefined) return [];
      try {
        return [this.metricResults(experiment, metric, role, aggregates, options.cuped === true)];
      } catch (error) {
        // Aggregates the test refuses (e.g. counted under another definition of a recreated metric): say so
        // for this metric instead of failing the whole page.
        if (!(error instanceof RangeError)) throw error;
        return [
          {
            metricKey,
            name: metric.name,
            type: metric.type,
            direction: metric.direction,
            role,
            test: null,
            cuped: null,
            variants: [],
            comparisons: [],
            problem: `aggregates do not fit this metric's definition: ${error.message}`,
          },
        ];
      }
    });
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
      alpha: ALPHA,
      variants,
      sampleRatioMismatch: sampleRatio,
      metrics,
      verdict: verdict(variants, sampleRatio, metrics),
    };
  }

  private metricResults(
    experiment: Experiment,
    metric: Metric,
    role: MetricRole,
    aggregates: ExperimentAggregates,
    cuped: boolean,
  ): MetricResults {
    const of = (variant: string) => aggregates.variants[variant]?.metrics[metric.key] ?? EMPTY;
    // A mean metric is a ratio (Σ values / Σ valued events): compared through its delta-method linearization.
    const ratio = metric.type === 'mean';
    const sample = (variant: string): SampleSummary =>
      ratio ? (linearizeRatio({ n: of(variant).n, ...of(variant).ratio }) ?? NO_SAMPLE) : of(variant);
    const control = experiment.variants.find((v) => v.isControl)!;
    const treatments = experiment.variants.filter((v) => !v.isControl);
    const figures = experiment.variants.map((v): VariantFigures => {
      const aggregate = of(v.key);
      if (metric.type === 'duration_p95') {
        const moments = summarize({
          n: aggregate.values.count,
          sum: aggregate.values.sum,
          sumSquares: aggregate.values.sumSquares,
        });
        return {
          variant: v.key,
          isControl: v.isControl,
          units: aggregate.n,
          mean: moments.mean,
          variance: moments.variance,
          p95: histogramQuantile(aggregate.values.histogram, 0.95),
        };
      }
      const moments = summarize(sample(v.key));
      return {
        variant: v.key,
        isControl: v.isControl,
        units: aggregate.n,
        mean: moments.mean,
        variance: moments.variance,
        ...(metric.type === 'conversion' ? { conversions: aggregate.conversions } : {}),
      };
    });
    const base = {
      metricKey: metric.key,
      name: metric.name,
      type: metric.type,
      direction: metric.direction,
      role,
      variants: figures,
    };
    if (metric.type === 'duration_p95') return { ...base, test: null, cuped: null, comparisons: [] };

    const test: TestKind = metric.type === 'conversion' && !cuped ? 'two-proportion-z' : 'welch-t';
    const compared = compareToControl(
      sample(control.key),
      treatments.map((t) => sample(t.key)),
      {
        test,
        alpha: ALPHA,
        direction: metric.direction,
        // CUPED adjusts per-unit values; a ratio metric's linearized values have no covariate of their own.
        ...(cuped && !ratio
          ? {
              covariates: {
                control: of(control.key).covariate,
                treatments: treatments.map((t) => of(t.key).covariate),
              },
            }
          : {}),
      },
    );
    return {
      ...base,
      test,
      cuped: compared.cuped === null ? null : { theta: compared.cuped.theta },
      comparisons: compared.comparisons.map((c, i) => ({
        ...c,
        variant: treatments[i]!.key,
        significant: c.pValue !== null && c.pValue < ALPHA,
      })),
    };
  }
}

/** One sentence an analyst can act on, from the primary metric (else the first one). */
function verdict(
  variants: ExperimentResults['variants'],
  srm: ExperimentResults['sampleRatioMismatch'],
  metrics: readonly MetricResults[],
): ExperimentResults['verdict'] {
  const units = variants.reduce((a, v) => a + v.units, 0);
  if (units === 0) return { status: 'NO_DATA', message: 'No exposures yet.' };
  if (srm.mismatch) {
    return {
      status: 'SAMPLE_RATIO_MISMATCH',
      message:
        `Sample ratio mismatch (p = ${pValueText(srm.pValue)}): units do not follow the variant weights, so ` +
        'assignment or exposure logging is broken somewhere; do not trust these results until it is fixed.',
    };
  }
  const primary = metrics.find((m) => m.role === 'primary') ?? metrics[0];
  if (primary === undefined || primary.comparisons.length === 0) {
    return { status: 'INCONCLUSIVE', message: `${units} units exposed; no metric to compare.` };
  }
  const better = (c: VariantComparison) =>
    c.absoluteEffect !== null &&
    (primary.direction === 'increase' ? c.absoluteEffect > 0 : c.absoluteEffect < 0);
  const significant = primary.comparisons.filter((c) => c.significant);
  const winners = significant.filter(better);
  const describe = (c: VariantComparison) =>
    `${c.variant} ${percent(c.relativeEffect)} on ${primary.name} (95% CI ${percent(c.relativeCI?.[0] ?? null)} ` +
    `to ${percent(c.relativeCI?.[1] ?? null)}, p = ${pValueText(c.pValue)})`;
  const guardrails = metrics
    .filter((m) => m.role === 'guardrail')
    .flatMap((m) =>
      m.comparisons
        .filter((c) => c.significant && c.absoluteEffect !== null)
        .filter((c) => (m.direction === 'increase' ? c.absoluteEffect! < 0 : c.absoluteEffect! > 0))
        .map((c) => `${c.variant} harms guardrail ${m.name}`),
    );
  const caveat = guardrails.length === 0 ? '' : ` But ${guardrails.join('; ')}.`;
  if (winners.length > 0) {
    return { status: 'WINNER', message: `Beats control: ${winners.map(describe).join('; ')}.${caveat}` };
  }
  if (significant.length > 0) {
    return {
      status: 'LOSER',
      message: `Worse than control: ${significant.map(describe).join('; ')}.${caveat}`,
    };
  }
  const tested = primary.comparisons.filter((c) => c.pValue !== null);
  if (tested.length === 0) {
    return {
      status: 'INCONCLUSIVE',
      message: `Not enough data on ${primary.name} for a test yet (${units} units).${caveat}`,
    };
  }
  const best = [...tested].sort((a, b) => a.pValue! - b.pValue!)[0]!;
  return {
    status: 'INCONCLUSIVE',
    message: `No significant difference on ${primary.name} yet (${units} units; closest: ${describe(best)}).${caveat}`,
  };
}

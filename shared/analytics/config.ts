import type { ExperimentStatus } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import type { Metric, MetricType } from '../metrics/schema';

/**
 * What the event processor needs of the configuration: the experiments (key, status, variants, metric keys)
 * and the metric definitions. The pure aggregation code takes it as a plain object; the Lambda loads it from
 * the config table and keeps it for a short while (`CachedAnalysisConfig`).
 */
export interface AnalysisExperiment {
  readonly key: string;
  readonly status: ExperimentStatus;
  readonly variants: readonly string[];
  /** Primary, secondary and guardrail metrics, once each, in that order. */
  readonly metrics: readonly string[];
}

export interface AnalysisMetric {
  readonly key: string;
  readonly type: MetricType;
  readonly eventName: string;
  readonly valueProperty?: string;
  readonly window?: { readonly hours: number };
}

export interface AnalysisConfig {
  readonly experiments: ReadonlyMap<string, AnalysisExperiment>;
  readonly metrics: ReadonlyMap<string, AnalysisMetric>;
  /** Track event name → the properties some metric reads its value from (the events worth keeping). */
  readonly eventNames: ReadonlyMap<string, readonly string[]>;
}

type ExperimentLike = Pick<
  Experiment,
  'key' | 'status' | 'variants' | 'primaryMetric' | 'secondaryMetrics' | 'guardrailMetrics'
>;
type MetricLike = Pick<Metric, 'key' | 'type' | 'eventName' | 'valueProperty' | 'window'>;

export function analysisConfig(
  experiments: readonly ExperimentLike[],
  metrics: readonly MetricLike[],
): AnalysisConfig {
  const eventNames = new Map<string, Set<string>>();
  for (const metric of metrics) {
    const properties = eventNames.get(metric.eventName) ?? new Set<string>();
    if (metric.valueProperty !== undefined) properties.add(metric.valueProperty);
    eventNames.set(metric.eventName, properties);
  }
  return {
    experiments: new Map(
      experiments.map((e) => [
        e.key,
        {
          key: e.key,
          status: e.status,
          variants: e.variants.map((v) => v.key),
          metrics: [
            ...new Set([
              ...(e.primaryMetric === undefined ? [] : [e.primaryMetric]),
              ...(e.secondaryMetrics ?? []),
              ...(e.guardrailMetrics ?? []),
            ]),
          ],
        },
      ]),
    ),
    metrics: new Map(
      metrics.map((m) => [
        m.key,
        {
          key: m.key,
          type: m.type,
          eventName: m.eventName,
          ...(m.valueProperty === undefined ? {} : { valueProperty: m.valueProperty }),
          ...(m.window === undefined ? {} : { window: { hours: m.window.hours } }),
        },
      ]),
    ),
    eventNames: new Map([...eventNames].map(([name, properties]) => [name, [...properties].sort()])),
  };
}

/**
 * Whether the processor still changes an experiment's aggregates: every status but ARCHIVED. An archived
 * experiment's aggregates are frozen (no unit adds or removes anything), as are those of a metric taken off an
 * experiment, or of an experiment deleted from the configuration.
 */
export function isLive(experiment: AnalysisExperiment | undefined): experiment is AnalysisExperiment {
  return experiment !== undefined && experiment.status !== 'ARCHIVED';
}

export interface ConfigLists {
  listExperiments(): Promise<readonly ExperimentLike[]>;
  listMetrics(): Promise<readonly MetricLike[]>;
}

/**
 * The configuration as the Lambda sees it: loaded on first use, then reused for `ttlMs` (30 s). A change to an
 * experiment or metric reaches the processor within that time; events processed meanwhile use the previous
 * configuration, like any event processed before the change. A failed reload keeps the previous copy.
 */
export class CachedAnalysisConfig {
  private cached: { config: AnalysisConfig; at: number } | undefined;

  constructor(
    private readonly source: ConfigLists,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<AnalysisConfig> {
    const now = this.now();
    if (this.cached !== undefined && now - this.cached.at < this.ttlMs) return this.cached.config;
    try {
      const [experiments, metrics] = await Promise.all([
        this.source.listExperiments(),
        this.source.listMetrics(),
      ]);
      this.cached = { config: analysisConfig(experiments, metrics), at: now };
    } catch (error) {
      if (this.cached === undefined) throw error;
    }
    return this.cached.config;
  }
}

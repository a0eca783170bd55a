import type { ExperimentStatus } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import { metricsOf } from '../experiments/schema';
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
          metrics: [...new Set(metricsOf(e).map((m) => m.key))],
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

/** What the processor asks of its configuration source. */
export interface ConfigRequest {
  /**
   * The batch has track events no metric of the copy it got reads: reload now, unless the copy is already very
   * recent (a metric counts events from when the processor knows it; page views nobody measures are common).
   */
  readonly fresh?: boolean;
  /**
   * The batch has exposures to an experiment the copy it got does not know: only a copy whose load began after
   * this request will do — it knows every experiment that existed when the batch's events were sent — so the
   * exposures of an experiment started a moment ago are never dropped. Waits for the next load slot when one
   * ran less than `freshAfterMs` ago; fails (the batch is retried) when that load fails.
   */
  readonly current?: boolean;
}

export interface CachedAnalysisConfigOptions {
  /**
   * How long a loaded configuration is reused when nothing asks for a fresh one.
   * @default 30_000
   */
  readonly ttlMs?: number;
  /**
   * Loads asked for by `fresh` or `current` are at least this far apart: a batch full of events nobody configured
   * (page views no metric reads, exposures to a made-up experiment) costs the config table at most one reload
   * this often, per execution environment.
   * @default 1_000
   */
  readonly freshAfterMs?: number;
  /** Injected by tests. @default Date.now */
  readonly now?: () => number;
  /** Injected by tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The configuration as the Lambda sees it: loaded on first use, then reused for `ttlMs` (30 s). A change to an
 * experiment or metric reaches the processor within that time; events processed meanwhile use the previous
 * configuration, like any event processed before the change — except events that only a newer configuration
 * could use: for a metric created since the load the processor asks for a fresh copy (`get({ fresh: true })`,
 * reloaded unless younger than `freshAfterMs`), for an experiment created since, a copy loaded after it asked
 * (`get({ current: true })`). Concurrent callers share one load. A failed reload keeps the previous copy, except
 * for `current`, which fails rather than drop exposures.
 */
export class CachedAnalysisConfig {
  private cached: { config: AnalysisConfig; at: number } | undefined;
  /** The last load tried, successful or not (fresh loads are rate-limited on it). */
  private attemptedAt = -Infinity;
  /** The load under way, and when it began. */
  private loading: { at: number; done: Promise<void> } | undefined;
  private readonly ttlMs: number;
  private readonly freshAfterMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly source: ConfigLists,
    options: CachedAnalysisConfigOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.freshAfterMs = options.freshAfterMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async get(request: ConfigRequest = {}): Promise<AnalysisConfig> {
    if (request.current === true) return this.loadedSince(this.now());
    const now = this.now();
    if (this.cached !== undefined) {
      const fresh = request.fresh === true && now - this.attemptedAt >= this.freshAfterMs;
      if (!fresh && now - this.cached.at < this.ttlMs) return this.cached.config;
    }
    if (this.loading !== undefined) await this.loading.done.catch(() => undefined);
    else await this.load(now);
    if (this.cached === undefined) throw new Error('the analysis configuration could not be loaded');
    return this.cached.config;
  }

  /** A copy whose load began at or after `askedAt`: joins such a load, else waits for the next load slot. */
  private async loadedSince(askedAt: number): Promise<AnalysisConfig> {
    for (;;) {
      if (this.cached !== undefined && this.cached.at >= askedAt) return this.cached.config;
      const loading = this.loading;
      if (loading !== undefined) {
        await loading.done.catch(() => undefined);
        if (loading.at >= askedAt && !(this.cached !== undefined && this.cached.at >= askedAt)) {
          throw new Error('the analysis configuration could not be reloaded');
        }
        continue;
      }
      const wait = this.attemptedAt + this.freshAfterMs - this.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      await this.load(this.now());
      if (this.cached === undefined || this.cached.at < askedAt) {
        throw new Error('the analysis configuration could not be reloaded');
      }
    }
  }

  /** One load; concurrent callers wait for it. A failure keeps the previous copy (the first load's is thrown). */
  private async load(now: number): Promise<void> {
    this.attemptedAt = now;
    const done = (async () => {
      const [experiments, metrics] = await Promise.all([
        this.source.listExperiments(),
        this.source.listMetrics(),
      ]);
      this.cached = { config: analysisConfig(experiments, metrics), at: now };
    })();
    this.loading = { at: now, done };
    try {
      await done;
    } catch (error) {
      if (this.cached === undefined) throw error;
    } finally {
      this.loading = undefined;
    }
  }
}

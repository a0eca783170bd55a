import type { ConfigReader, ConfigRepository } from '../config/repository';
import { VersionedResourceService } from '../config/service';
import { matchesQuery } from '../config/versioning';
import { ConflictError } from '../errors';
import type { Experiment } from '../experiments/requests';
import { metricsOf } from '../experiments/schema';
import { paginate, type Page } from '../pagination';
import { metricInputSchema, type ListMetricsQuery, type Metric, type MetricInput } from './schema';

/**
 * What decides a unit's value: once an experiment has measured the metric (any status but DRAFT), these stay
 * as they are — its aggregates were built event by event under this definition, and its results are read under
 * it. Name, description and tags may change.
 */
const MEASURING_FIELDS = ['type', 'eventName', 'valueProperty', 'window'] as const;

/** Whether an experiment measures `metric` as its primary, a secondary or a guardrail metric. */
export function measures(experiment: Experiment, metric: string): boolean {
  return metricsOf(experiment).some((m) => m.key === metric);
}

/** Metric definitions (SPEC §2.5): one that any experiment measures cannot be deleted. */
export class MetricsService extends VersionedResourceService<Metric> {
  constructor(
    metrics: ConfigRepository<Metric>,
    private readonly experiments: ConfigReader<Experiment>,
  ) {
    super(metrics, metricInputSchema);
  }

  async list(query: ListMetricsQuery): Promise<Page<Metric>> {
    const all = (await this.repository.list()).filter(
      (m) =>
        (query.type === undefined || m.type === query.type) &&
        (query.tag === undefined || m.tags.includes(query.tag)) &&
        matchesQuery(query.q, m.key, m.name, m.description, m.eventName),
    );
    return paginate(all, query);
  }

  /** What decides a unit's value stays once an experiment has measured the metric. */
  protected override async checkChange(before: Metric, after: MetricInput): Promise<void> {
    const changed = MEASURING_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
    if (changed.length === 0) return;
    const measuring = await this.experimentsMeasuring(before.key, (status) => status !== 'DRAFT');
    if (measuring.length > 0) {
      throw new ConflictError(
        `${changed.join(', ')} of metric ${before.key} cannot change once experiments have measured it ` +
          `(${measuring.join(', ')}): their results are aggregated under the current definition; ` +
          'create a new metric instead',
        { fields: changed, experiments: measuring },
      );
    }
  }

  /** Keys of the experiments in the given statuses that measure the metric. */
  private async experimentsMeasuring(
    key: string,
    inStatus: (status: Experiment['status']) => boolean,
  ): Promise<string[]> {
    return (await this.experiments.list())
      .filter((e) => inStatus(e.status) && measures(e, key))
      .map((e) => e.key);
  }

  /**
   * Refused (409 naming them) while any experiment measures the metric, whatever its status: a DRAFT would start
   * without it and its results silently leave it out, a running or finished one reads its results under it. A
   * draft can drop the metric or be deleted; a started experiment keeps its metrics for good.
   */
  protected override async checkRemove(before: Metric): Promise<void> {
    const users = (await this.experiments.list()).filter((e) => measures(e, before.key));
    if (users.length > 0) {
      const named = users.map((e) => `${e.key} (${e.status})`).join(', ');
      throw new ConflictError(
        `metric ${before.key} is measured by experiments ${named}: take it off the drafts (or delete them); ` +
          'an experiment that has started keeps its metrics for its results',
        { experiments: users.map((e) => ({ key: e.key, status: e.status })) },
      );
    }
  }
}

import { auditRecord, type ChangeContext } from '../audit/actor';
import type { ConfigRepository } from '../config/repository';
import { expectedVersion, matchesQuery, validateDocument } from '../config/versioning';
import { ConflictError, NotFoundError } from '../errors';
import { LOCKED_STATUSES } from '../experiments/lifecycle';
import type { Experiment } from '../experiments/requests';
import { metricsOf } from '../experiments/schema';
import { paginate, type Page } from '../pagination';
import { metricInputSchema, type ListMetricsQuery, type Metric, type MetricInput } from './schema';

const resource = (key: string) => ({ kind: 'metric', key });

export interface MetricChange {
  readonly context: ChangeContext;
  readonly version?: number;
  readonly ifMatch?: string;
}

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

/** Metric definitions (SPEC §2.5): one measured by a running experiment cannot be deleted. */
export class MetricsService {
  constructor(
    private readonly metrics: ConfigRepository<Metric>,
    private readonly experiments: ConfigRepository<Experiment>,
  ) {}

  async list(query: ListMetricsQuery): Promise<Page<Metric>> {
    const all = (await this.metrics.list()).filter(
      (m) =>
        (query.type === undefined || m.type === query.type) &&
        (query.tag === undefined || m.tags.includes(query.tag)) &&
        matchesQuery(query.q, m.key, m.name, m.description, m.eventName),
    );
    return paginate(all, query);
  }

  async get(key: string): Promise<Metric> {
    const metric = await this.metrics.get(key);
    if (metric === null) throw new NotFoundError(`No metric ${key}`);
    return metric;
  }

  async create(input: MetricInput, context: ChangeContext): Promise<Metric> {
    const now = new Date().toISOString();
    const metric: Metric = { ...input, createdBy: context.actor, createdAt: now, updatedAt: now, version: 1 };
    return this.metrics.create(
      metric,
      auditRecord(context, 'metric.create', resource(metric.key), null, metric),
    );
  }

  /** `replace`: the body is the whole metric; otherwise only the fields sent change. */
  async update(
    key: string,
    fields: Partial<Omit<MetricInput, 'key'>>,
    change: MetricChange,
    replace = false,
  ): Promise<Metric> {
    const before = await this.get(key);
    const version = expectedVersion(change.version, change.ifMatch);
    if (version !== before.version) {
      throw new ConflictError(`metric ${key} is at version ${before.version}, not ${version}: read it again`);
    }
    const { createdBy, createdAt, updatedAt: _u, version: _v, ...current } = before;
    const input = validateDocument(
      metricInputSchema,
      replace ? { ...fields, key } : { ...current, ...fields, key },
    );
    const changed = MEASURING_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(input[f]));
    if (changed.length > 0) {
      const measuring = await this.experimentsMeasuring(key, (status) => status !== 'DRAFT');
      if (measuring.length > 0) {
        throw new ConflictError(
          `${changed.join(', ')} of metric ${key} cannot change once experiments have measured it ` +
            `(${measuring.join(', ')}): their results are aggregated under the current definition; ` +
            'create a new metric instead',
          { fields: changed, experiments: measuring },
        );
      }
    }
    const after: Metric = {
      ...input,
      createdBy,
      createdAt,
      updatedAt: new Date().toISOString(),
      version: version + 1,
    };
    return this.metrics.replace(
      after,
      auditRecord(change.context, 'metric.update', resource(key), before, after),
    );
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

  /** Refused while an ACTIVE or PAUSED experiment measures the metric: its results would lose it. */
  async remove(key: string, change: MetricChange): Promise<void> {
    const before = await this.get(key);
    const running = await this.experimentsMeasuring(key, (status) => LOCKED_STATUSES.includes(status));
    if (running.length > 0) {
      throw new ConflictError(
        `metric ${key} is measured by running experiments ${running.join(', ')}: complete them first`,
      );
    }
    const version =
      change.version ??
      (change.ifMatch === undefined ? before.version : expectedVersion(undefined, change.ifMatch));
    await this.metrics.remove(
      key,
      version,
      auditRecord(change.context, 'metric.delete', resource(key), before, null),
    );
  }
}

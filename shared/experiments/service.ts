import type { ChangeContext } from '../audit/actor';
import type { ConfigReader, ConfigRepository } from '../config/repository';
import { clientFields, matchesQuery, mergeChange, type VersionedChange } from '../config/versioning';
import { ConflictError, ValidationError } from '../errors';
import type { Flag } from '../flags/requests';
import { logger } from '../observability';
import { paginate, type Page } from '../pagination';
import type { Layer } from '../layers/requests';
import type { Metric } from '../metrics/schema';
import { segmentKeysOf } from '../rules';
import type { Segment } from '../segments/requests';
import { ExperimentExactTime, type ExactTimeScheduler } from './exact-time';
import {
  checkLockedFields,
  FINISHED_STATUSES,
  rangesOverlap,
  servingFlag,
  transition,
  type ExperimentAction,
} from './lifecycle';
import { analysisOf } from './analysis';
import { planningProblems } from './planning';
import { withAnalysis, type Experiment, type ExperimentView, type ListExperimentsQuery } from './requests';
import { experimentInputSchema, metricsOf, type ExperimentInput } from './schema';

export type ExperimentFieldsChange = Partial<Omit<ExperimentInput, 'key' | 'startAt' | 'endAt'>>;

/** The fields of a stored experiment a client sent (server-managed fields stripped). */
function inputOf(experiment: Experiment): ExperimentInput {
  return clientFields(withAnalysis(experiment), 'status', 'startedAt', 'endedAt');
}

/**
 * Experiments (SPEC §2.4): versioned, checked against layers, flags and each other, every change audited.
 * After a committed change that moves the experiment's schedule or status, its exact-time schedules follow
 * (`exactTime`; none by default, and for the jobs, whose transitions leave no schedule to change).
 */
export class ExperimentsService {
  constructor(
    private readonly experiments: ConfigRepository<Experiment>,
    private readonly layers: ConfigReader<Layer>,
    private readonly flags: ConfigReader<Flag>,
    private readonly metrics: ConfigReader<Metric>,
    private readonly segments: ConfigReader<Segment>,
    private readonly exactTime: ExactTimeScheduler = new ExperimentExactTime(),
  ) {}

  async list(query: ListExperimentsQuery): Promise<Page<ExperimentView>> {
    const all = (await this.experiments.list()).filter(
      (e) =>
        (query.status === undefined || e.status === query.status) &&
        (query.tag === undefined || e.tags.includes(query.tag)) &&
        matchesQuery(query.q, e.key, e.name, e.description),
    );
    return paginate(all.map(withAnalysis), query);
  }

  async get(key: string): Promise<ExperimentView> {
    return withAnalysis(await this.experiments.require(key));
  }

  async create(input: ExperimentInput, context: ChangeContext): Promise<ExperimentView> {
    await this.checkReferences(input);
    const created = await this.experiments.create({ ...input, status: 'DRAFT' }, context);
    if (hasSchedule(created)) await this.followSchedule(created);
    return withAnalysis(created);
  }

  /** PUT: every editable field from the body (the schedule is kept). */
  replace(key: string, fields: ExperimentFieldsChange, change: VersionedChange): Promise<ExperimentView> {
    return this.edit(key, fields, change, true);
  }

  /** PATCH: only the fields sent. */
  update(key: string, fields: ExperimentFieldsChange, change: VersionedChange): Promise<ExperimentView> {
    return this.edit(key, fields, change, false);
  }

  private async edit(
    key: string,
    fields: ExperimentFieldsChange,
    change: VersionedChange,
    replace: boolean,
  ): Promise<ExperimentView> {
    const before = await this.experiments.forChange(key, change);
    const current = inputOf(before);
    // The schedule is not the body's to change (PUT …/schedule is): a PUT keeps it.
    const schedule = { startAt: current.startAt, endAt: current.endAt };
    const input = mergeChange(
      experimentInputSchema,
      current,
      replace ? { ...fields, ...schedule } : fields,
      replace,
    );
    checkLockedFields(before, input);
    await this.checkReferences(input);
    return withAnalysis(
      await this.save(before, { ...before, ...blankOptional, ...input }, 'update', change.context),
    );
  }

  async remove(key: string, change: VersionedChange): Promise<void> {
    const before = await this.experiments.require(key);
    if (before.status !== 'DRAFT') {
      throw new ConflictError(
        `experiment ${key} is ${before.status}: only a DRAFT can be deleted; archive instead`,
      );
    }
    await this.experiments.remove(before, change);
    if (hasSchedule(before)) await this.afterCommit(key, () => this.exactTime.remove(key));
  }

  /**
   * start, pause, resume, complete, archive (SPEC §2.4), by a person or by the scheduler
   * (`systemChange('scheduler', …)`): the same code, audited as `experiment.<action>`.
   */
  async transition(
    key: string,
    action: ExperimentAction,
    change: VersionedChange,
    now: Date = new Date(),
  ): Promise<ExperimentView> {
    const before = await this.experiments.forChange(key, change);
    // The settings the results will be judged by are stored with the experiment from its start (an experiment
    // created before they existed gets the defaults, explicitly).
    const next = { ...transition(before, action, now), analysis: analysisOf(before) };
    const after = await this.save(before, next, action, change.context, now);
    if (hasSchedule(after)) await this.followSchedule(after, now);
    return withAnalysis(after);
  }

  /** Set (or clear) startAt/endAt; only in DRAFT or PAUSED. */
  async schedule(
    key: string,
    times: { startAt?: string | undefined; endAt?: string | undefined },
    change: VersionedChange,
  ): Promise<ExperimentView> {
    const before = await this.experiments.forChange(key, change);
    if (before.status !== 'DRAFT' && before.status !== 'PAUSED') {
      throw new ConflictError(
        `experiment ${key} is ${before.status}: it can be scheduled only while DRAFT or PAUSED`,
      );
    }
    // A paused experiment has started: only its end can be scheduled (resuming is a person's decision).
    if (before.status === 'PAUSED' && times.startAt !== undefined && times.startAt !== before.startAt) {
      throw new ConflictError(
        `experiment ${key} is PAUSED: it has started already, so only endAt can be scheduled; resume it by hand`,
        { field: 'startAt' },
      );
    }
    const input = mergeChange(experimentInputSchema, inputOf(before), {
      startAt: times.startAt,
      endAt: times.endAt,
    });
    const { startAt: _s, endAt: _e, ...rest } = before;
    const after: Experiment = {
      ...rest,
      ...(input.startAt === undefined ? {} : { startAt: input.startAt }),
      ...(input.endAt === undefined ? {} : { endAt: input.endAt }),
    };
    const saved = await this.save(before, after, 'schedule', change.context);
    // A cleared schedule still has schedules to delete.
    if (hasSchedule(before) || hasSchedule(saved)) await this.followSchedule(saved);
    return withAnalysis(saved);
  }

  private followSchedule(experiment: Experiment, now?: Date): Promise<void> {
    return this.afterCommit(experiment.key, () => this.exactTime.sync(experiment, now));
  }

  /**
   * The change is committed: a Scheduler failure must not turn it into an error for the caller (who would
   * retry a change already made). It is logged, and the 15-minute sweep makes the transition instead.
   */
  private async afterCommit(key: string, update: () => Promise<void>): Promise<void> {
    try {
      await update();
    } catch (error) {
      logger.error('exact-time schedules not updated; the sweep will start or end the experiment', {
        experimentKey: key,
        error,
      });
    }
  }

  private save(
    before: Experiment,
    next: Experiment,
    action: string,
    context: ChangeContext,
    now: Date = new Date(),
  ): Promise<Experiment> {
    return this.experiments.replace(before, dropUndefined(next), context, action, now);
  }

  /**
   * Every metric an experiment names must exist: results are computed from their definitions. A plan
   * (analysis.minimumDetectableEffect) must be possible for the primary metric.
   */
  private async checkMetrics(input: ExperimentInput): Promise<void> {
    const named = metricsOf(input);
    const definitions = new Map((named.length === 0 ? [] : await this.metrics.list()).map((m) => [m.key, m]));
    const missing = named.filter((m) => !definitions.has(m.key));
    if (missing.length > 0) {
      throw new ValidationError(
        `no metric ${[...new Set(missing.map((m) => m.key))].join(', ')}: create the metric first`,
        missing.map((m) => ({ path: `body.${m.path}`, message: `no metric ${m.key}` })),
      );
    }
    const primary = input.primaryMetric === undefined ? undefined : definitions.get(input.primaryMetric);
    const problems = planningProblems(input.analysis, primary);
    if (problems.length > 0) {
      throw new ValidationError(
        problems.map((p) => `body.${p.path}: ${p.message}`).join('; '),
        problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
      );
    }
  }

  /**
   * The flag, metrics and layer exist; the flag serves no other unfinished experiment; the layer range overlaps
   * no other running or draft experiment of the layer.
   */
  /** Segments named by the eligibility conditions exist (as for flags' rules): an unknown one would match nobody. */
  private async checkSegments(input: ExperimentInput): Promise<void> {
    if (input.conditions === undefined) return;
    const named = [...segmentKeysOf(input.conditions)];
    if (named.length === 0) return;
    const known = new Set(await this.segments.keys());
    const missing = named.filter((k) => !known.has(k));
    if (missing.length > 0) {
      const message = `unknown segment ${missing.join(', ')}`;
      throw new ValidationError(`body.conditions: ${message}`, [{ path: 'body.conditions', message }]);
    }
  }

  private async checkReferences(input: ExperimentInput): Promise<void> {
    let listed: Promise<Experiment[]> | undefined;
    const others = async () =>
      (await (listed ??= this.experiments.list())).filter((e) => e.key !== input.key);
    if (input.flagKey !== undefined) {
      const flag = await this.flags.get(input.flagKey);
      if (flag === null) {
        throw new ValidationError(`body.flagKey: no flag ${input.flagKey}`, [
          { path: 'body.flagKey', message: `no flag ${input.flagKey}` },
        ]);
      }
      // The experiment serves the flag's variations: each variant names one by its key.
      const variations = new Set(flag.variations.map((v) => v.key));
      const strangers = input.variants.filter((v) => !variations.has(v.key)).map((v) => v.key);
      if (strangers.length > 0) {
        const message =
          `variants ${strangers.join(', ')} are not variations of flag ${flag.key} ` +
          `(${[...variations].join(', ')}): a flag-backed experiment's variant keys are its variation keys`;
        throw new ValidationError(`body.variants: ${message}`, [{ path: 'body.variants', message }]);
      }
      // A flag serves one experiment at a time, or its answers and the exposures would disagree.
      const [rival] = servingFlag(await others(), input.flagKey);
      if (rival !== undefined) {
        throw new ConflictError(
          `flag ${input.flagKey} is already served by experiment ${rival.key} (${rival.status}): ` +
            'complete or delete it first',
          { field: 'flagKey', experiment: rival.key },
        );
      }
    }
    await this.checkMetrics(input);
    await this.checkSegments(input);
    if (input.layer === undefined || input.layerRange === undefined) return;
    if ((await this.layers.get(input.layer)) === null) {
      throw new ValidationError(`body.layer: no layer ${input.layer}`, [
        { path: 'body.layer', message: `no layer ${input.layer}` },
      ]);
    }
    const range = input.layerRange;
    const clash = (await others()).find(
      (e) =>
        e.layer === input.layer &&
        e.layerRange !== undefined &&
        !FINISHED_STATUSES.includes(e.status) &&
        rangesOverlap(e.layerRange, range),
    );
    if (clash !== undefined) {
      throw new ConflictError(
        `layerRange [${range.join(', ')}) overlaps experiment ${clash.key} ` +
          `([${clash.layerRange!.join(', ')}) in layer ${input.layer})`,
        { field: 'layerRange', experiment: clash.key },
      );
    }
  }
}

/** Optional input fields a PUT may drop: cleared before the new input is spread over the stored experiment. */
const blankOptional = {
  conditions: undefined,
  layer: undefined,
  layerRange: undefined,
  primaryMetric: undefined,
  flagKey: undefined,
  salt: undefined,
};

/** Schedules can exist only for an experiment with a startAt or endAt. */
function hasSchedule(experiment: Experiment): boolean {
  return experiment.startAt !== undefined || experiment.endAt !== undefined;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

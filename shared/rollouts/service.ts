import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ChangeContext } from '../audit/actor';
import type { UserPrincipal } from '../auth/principal';
import type { ConfigRepository } from '../config/repository';
import { clientFields, mergeChange, type VersionedChange } from '../config/versioning';
import { ConflictError, ForbiddenError, ValidationError } from '../errors';
import type { Flag } from '../flags/requests';
import { logger } from '../observability';
import { paginate, type Page } from '../pagination';
import { RolloutExactTime } from './exact-time';
import {
  checkAction,
  EDITABLE_STATUSES,
  enterStage,
  isNextStageDue,
  isStartDue,
  runningScheduleOf,
} from './lifecycle';
import { isMetricTriggerMet, metricTriggerStatus, type StageMetrics } from './metric-trigger';
import type { ListRolloutsQuery, RolloutSchedule } from './requests';
import { rolloutInputSchema, type RolloutInput, type Stage } from './schema';
import { bucketByOf, replacedVariation, sameServe, stageSplit } from './split';
import { isTriggerMetric } from './triggers';

/** The client fields of a stored schedule (what a PUT is merged into). */
function inputOf(schedule: RolloutSchedule): RolloutInput {
  return clientFields(
    schedule,
    'status',
    'currentStage',
    'replacedVariation',
    'startedAt',
    'stageStartedAt',
    'history',
  );
}

/** Stages compared by content (DynamoDB does not keep the order of a map's keys; deep equality ignores it). */
const sameStage = (a: Stage, b: Stage) => isDeepStrictEqual(a, b);

/** A flag change lost to a concurrent one is re-read and made again this many times. */
const FLAG_ATTEMPTS = 3;

/**
 * Rollout schedules (SPEC §2.6): a ramp of one variation over a flag's fallthrough, stage by stage.
 *
 * Entering a stage is two versioned, audited changes, each one DynamoDB transaction with its audit entry: the
 * flag's fallthrough first (`flag.rollout`), then the schedule (`rollout.advance`). Not one transaction: the
 * repository commits one resource with one audit entry, and the flag change must be computed from the flag as
 * stored. The order makes a failure between the two harmless: the schedule still says the stage is to be
 * entered, and entering it again finds the flag already serving that split and leaves it alone (no second flag
 * version), so the job's next run (or a person's next advance) completes it. The one window left: a person who
 * pauses the schedule between the two writes pauses it one stage behind its flag; `PUT`/`rollBack` still act on it.
 *
 * After every committed change of a schedule (and after the stages the job enters), its one exact-time schedule
 * follows (`exactTime`: EventBridge Scheduler in AWS, none by default and on the local platform).
 */
export class RolloutsService {
  constructor(
    private readonly rollouts: ConfigRepository<RolloutSchedule>,
    private readonly flags: ConfigRepository<Flag>,
    private readonly exactTime: RolloutExactTime = new RolloutExactTime(),
    /** Measures `metric` triggers; without it (the HTTP function, the exact-time target) they wait for the job. */
    private readonly stageMetrics?: StageMetrics,
  ) {}

  /**
   * Whether the job has something to do with the schedule at `now`: a PENDING one's startAt has come, or an
   * ACTIVE one's next stage is due — by the clock, or (`metric`) by the rolled-out variation's figures since the
   * current stage began.
   */
  async isDue(schedule: RolloutSchedule, now: Date): Promise<boolean> {
    return isStartDue(schedule, now) || (await this.isNextStageDue(schedule, now));
  }

  private async isNextStageDue(schedule: RolloutSchedule, now: Date): Promise<boolean> {
    if (isNextStageDue(schedule, now)) return true;
    const next = schedule.stages[schedule.currentStage + 1];
    if (
      this.stageMetrics === undefined ||
      schedule.status !== 'ACTIVE' ||
      schedule.stageStartedAt === undefined ||
      next?.trigger.type !== 'metric' ||
      !isTriggerMetric(next.trigger.metric)
    ) {
      return false;
    }
    const { stageStartedAt } = schedule;
    const measure = await this.stageMetrics.measure(
      { flagKey: schedule.flagKey, variation: schedule.variation, stageStartedAt },
      next.trigger.metric,
      now,
    );
    const met = isMetricTriggerMet(next.trigger, measure);
    logger.info('rollout metric trigger', {
      rollout: schedule.key,
      stage: schedule.currentStage + 1,
      met,
      status: metricTriggerStatus(next.trigger, measure),
    });
    return met;
  }

  async list(query: ListRolloutsQuery): Promise<Page<RolloutSchedule>> {
    const all = (await this.rollouts.list()).filter(
      (s) =>
        (query.flagKey === undefined || s.flagKey === query.flagKey) &&
        (query.status === undefined || s.status === query.status),
    );
    return paginate(all, query);
  }

  /** Every schedule (the job's input). */
  all(): Promise<RolloutSchedule[]> {
    return this.rollouts.list();
  }

  get(id: string): Promise<RolloutSchedule> {
    return this.rollouts.require(id);
  }

  async create(
    input: RolloutInput,
    context: ChangeContext,
    principal: UserPrincipal,
    now: Date = new Date(),
  ): Promise<RolloutSchedule> {
    await this.checkFlag(input, principal);
    checkFuture(input, -1, now);
    const { key, ...fields } = input;
    const created = await this.rollouts.create(
      { ...fields, key: key ?? `ro-${randomUUID()}`, status: 'PENDING', currentStage: -1, history: [] },
      context,
      now,
    );
    // Without a startAt there is nothing to schedule, and nothing scheduled yet to delete.
    if (created.startAt !== undefined) await this.followSchedule(created, now);
    return created;
  }

  /** PUT: only while PENDING or PAUSED; once started, the flag, the variation and the entered stages are locked. */
  async replace(
    id: string,
    fields: Omit<RolloutInput, 'key'>,
    change: VersionedChange,
    now: Date = new Date(),
  ): Promise<RolloutSchedule> {
    const before = await this.rollouts.forChange(id, change);
    await this.owned(before.flagKey, change.principal);
    if (!EDITABLE_STATUSES.includes(before.status)) {
      throw new ConflictError(
        `rollout schedule ${id} is ${before.status}: it can be changed only while ${EDITABLE_STATUSES.join(' or ')}` +
          (before.status === 'ACTIVE' ? ' (pause it first)' : ''),
        { status: before.status },
      );
    }
    const input = mergeChange(rolloutInputSchema, { ...inputOf(before), key: before.key }, fields, true);
    if (before.status !== 'PENDING') checkLocked(before, input);
    await this.checkFlag(input, change.principal);
    checkFuture(input, before.currentStage, now);
    const { startAt: _startAt, ...kept } = before;
    const { key: _key, ...changed } = input;
    const after = await this.rollouts.replace(
      before,
      { ...kept, ...dropUndefined(changed) },
      change.context,
      'update',
      now,
    );
    return this.followSchedule(after, now);
  }

  /** Not while ACTIVE: pause it (or let it complete) first. */
  async remove(id: string, change: VersionedChange): Promise<void> {
    const before = await this.rollouts.require(id);
    await this.owned(before.flagKey, change.principal);
    if (before.status === 'ACTIVE') {
      throw new ConflictError(`rollout schedule ${id} is ACTIVE: pause it before deleting it`, {
        status: before.status,
      });
    }
    await this.rollouts.remove(before, change);
    await this.afterCommit(id, () => this.exactTime.remove(id));
  }

  /** `POST …/advance`: a PENDING schedule starts (stage 0), an ACTIVE one enters its next stage now. */
  async advance(id: string, change: VersionedChange, now: Date = new Date()): Promise<RolloutSchedule> {
    const before = await this.rollouts.forChange(id, change);
    await this.owned(before.flagKey, change.principal);
    checkAction(before, 'advance');
    const after =
      before.status === 'PENDING'
        ? await this.start(before, change.context, now)
        : await this.enter(before, before.currentStage + 1, change.context, now);
    return this.followSchedule(after, now);
  }

  async pause(id: string, change: VersionedChange, now: Date = new Date()): Promise<RolloutSchedule> {
    const before = await this.rollouts.forChange(id, change);
    await this.owned(before.flagKey, change.principal);
    checkAction(before, 'pause');
    const after = await this.rollouts.replace(
      before,
      { ...before, status: 'PAUSED' },
      change.context,
      'pause',
      now,
    );
    return this.followSchedule(after, now);
  }

  /**
   * PAUSED → ACTIVE. The current stage's soak starts again (`stageStartedAt` = now): a pause usually means
   * something looked wrong, so a `time` trigger does not fire the moment the ramp resumes.
   */
  async resume(id: string, change: VersionedChange, now: Date = new Date()): Promise<RolloutSchedule> {
    const before = await this.rollouts.forChange(id, change);
    await this.owned(before.flagKey, change.principal);
    checkAction(before, 'resume');
    const after: RolloutSchedule = { ...before, status: 'ACTIVE', stageStartedAt: now.toISOString() };
    return this.followSchedule(
      await this.rollouts.replace(before, after, change.context, 'resume', now),
      now,
    );
  }

  /**
   * For the safety monitor (SPEC §2.7) and a person's manual rollback: the flag back to the previous stage's share
   * (`previous`; 0 % before the second stage) or to 0 % (`zero`), the schedule ROLLED_BACK, recorded in its
   * history; both changes audited.
   */
  async rollBack(
    id: string,
    options: { readonly to: 'previous' | 'zero' },
    change: VersionedChange,
    now: Date = new Date(),
  ): Promise<RolloutSchedule> {
    const before = await this.rollouts.forChange(id, change);
    await this.owned(before.flagKey, change.principal);
    checkAction(before, 'rollBack');
    const stage = options.to === 'zero' ? -1 : before.currentStage - 1;
    const percentage = before.stages[stage]?.percentage ?? 0;
    await this.applyShare(before, percentage, change.context, now);
    const after: RolloutSchedule = {
      ...before,
      status: 'ROLLED_BACK',
      history: [
        ...before.history,
        { stage, percentage, at: now.toISOString(), by: change.context.actor, action: 'rollBack' },
      ],
    };
    return this.followSchedule(
      await this.rollouts.replace(before, after, change.context, 'rollBack', now),
      now,
    );
  }

  /**
   * What the job does with one schedule at `now`: start it if its startAt has come, then enter every stage that is
   * due, one audited change each. A stage entered now starts its own soak now, so in one run only the stages whose
   * triggers need no time (PT0S, an `at` in the past) follow it. Returns the schedule as stored at the end. The
   * exact-time schedule follows the last stage committed, also when a later one failed; nothing due, nothing synced
   * (an early, repeated or stale fire of the schedule changes nothing).
   */
  async advanceDue(schedule: RolloutSchedule, context: ChangeContext, now: Date): Promise<RolloutSchedule> {
    let current = schedule;
    try {
      if (isStartDue(current, now)) current = await this.start(current, context, now);
      while (await this.isNextStageDue(current, now)) {
        current = await this.enter(current, current.currentStage + 1, context, now);
      }
    } finally {
      if (current !== schedule) await this.followSchedule(current, now);
    }
    return current;
  }

  /** Bring the schedule's exact-time schedule in line with it, once the change is committed. */
  private async followSchedule(schedule: RolloutSchedule, now: Date): Promise<RolloutSchedule> {
    await this.afterCommit(schedule.key, () => this.exactTime.sync(schedule, now));
    return schedule;
  }

  /**
   * The change is committed: a Scheduler failure must not turn it into an error for the caller (who would retry a
   * change already made). It is logged, and the 5-minute job enters the stage instead.
   */
  private async afterCommit(key: string, update: () => Promise<void>): Promise<void> {
    try {
      await update();
    } catch (error) {
      logger.error('exact-time schedule not updated; the 5-minute job will advance the rollout', {
        rollout: key,
        error,
      });
    }
  }

  /** PENDING → stage 0: records the variation being replaced, if the flag has no other running schedule. */
  private async start(before: RolloutSchedule, context: ChangeContext, now: Date): Promise<RolloutSchedule> {
    const rival = runningScheduleOf(await this.rollouts.list(), before.flagKey, before.key);
    if (rival !== undefined) {
      throw new ConflictError(
        `flag ${before.flagKey} is already ramped by rollout schedule ${rival.key} (${rival.status}): ` +
          'complete, roll back or delete it first',
        { flagKey: before.flagKey, rollout: rival.key },
      );
    }
    const flag = await this.flagOf(before);
    const replaced = replacedVariation(flag.fallthrough, before.variation);
    if (replaced === null) {
      throw new ConflictError(
        `flag ${flag.key}'s fallthrough serves ${before.variation} to everyone already: nothing to roll out`,
        { flagKey: flag.key },
      );
    }
    return this.enter({ ...before, replacedVariation: replaced }, 0, context, now, before);
  }

  /** Enter `stage`: the flag's split first, then the schedule (see the class comment). */
  private async enter(
    schedule: RolloutSchedule,
    stage: number,
    context: ChangeContext,
    now: Date,
    stored: RolloutSchedule = schedule,
  ): Promise<RolloutSchedule> {
    const after = enterStage(schedule, stage, now, context.actor);
    await this.applyShare(after, after.stages[stage]!.percentage, context, now);
    return this.rollouts.replace(stored, after, context, 'advance', now);
  }

  /**
   * Give the rolled-out variation `percentage` of the flag's fallthrough; its rules, targeting and everything else
   * stay. A flag already serving that split is left alone (so a retried stage makes no second flag version); a flag
   * changed meanwhile is re-read, never overwritten.
   */
  private async applyShare(
    schedule: RolloutSchedule,
    percentage: number,
    context: ChangeContext,
    now: Date,
  ): Promise<void> {
    const replaced = schedule.replacedVariation;
    if (replaced === undefined) throw new Error(`rollout ${schedule.key} has not started`);
    for (let attempt = 1; ; attempt++) {
      const flag = await this.flagOf(schedule);
      const target = stageSplit(schedule.variation, replaced, percentage, bucketByOf(flag.fallthrough));
      if (sameServe(flag.fallthrough, target)) return;
      try {
        await this.flags.replace(flag, { ...flag, fallthrough: target }, context, 'rollout', now);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= FLAG_ATTEMPTS) throw error;
      }
    }
  }

  private async flagOf(schedule: RolloutSchedule): Promise<Flag> {
    const flag = await this.flags.get(schedule.flagKey);
    if (flag === null) {
      throw new ConflictError(
        `flag ${schedule.flagKey} of rollout schedule ${schedule.key} no longer exists`,
        {
          flagKey: schedule.flagKey,
        },
      );
    }
    return flag;
  }

  /** The flag exists and has the variation (400 otherwise); a developer must own it (SPEC §1). */
  private async checkFlag(input: RolloutInput, principal: UserPrincipal | undefined): Promise<void> {
    const flag = await this.flags.get(input.flagKey);
    if (flag === null) {
      throw new ValidationError(`body.flagKey: no flag ${input.flagKey}`, [
        { path: 'body.flagKey', message: `no flag ${input.flagKey}` },
      ]);
    }
    const variations = flag.variations.map((v) => v.key);
    if (!variations.includes(input.variation)) {
      const message = `flag ${flag.key} has no variation ${input.variation} (it has ${variations.join(', ')})`;
      throw new ValidationError(`body.variation: ${message}`, [{ path: 'body.variation', message }]);
    }
    checkOwner(flag, principal);
  }

  /** A developer acts only on schedules of flags they own; admins on any; the job (no principal) too. */
  private async owned(flagKey: string, principal: UserPrincipal | undefined): Promise<void> {
    if (principal?.role !== 'developer') return;
    const flag = await this.flags.get(flagKey);
    if (flag !== null) checkOwner(flag, principal);
  }
}

function checkOwner(flag: Flag, principal: UserPrincipal | undefined): void {
  if (principal?.role === 'developer' && flag.owner !== principal.sub) {
    throw new ForbiddenError(`You do not own flag ${flag.key}: ask its owner or an admin`);
  }
}

/** `at` triggers of the stages not entered yet, and a PENDING schedule's startAt, are not in the past (400). */
function checkFuture(input: RolloutInput, enteredUpTo: number, now: Date): void {
  const issues: { path: string; message: string }[] = [];
  input.stages.forEach((stage, i) => {
    if (
      i > enteredUpTo &&
      stage.trigger.type === 'at' &&
      Date.parse(stage.trigger.timestamp) < now.getTime()
    ) {
      issues.push({ path: `body.stages.${i}.trigger.timestamp`, message: 'is in the past' });
    }
  });
  if (enteredUpTo < 0 && input.startAt !== undefined && Date.parse(input.startAt) < now.getTime()) {
    issues.push({ path: 'body.startAt', message: 'is in the past (omit it and advance to start now)' });
  }
  if (issues.length > 0) throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
}

/** Once started, the flag, the variation and every stage entered are history: a PUT may not rewrite them. */
function checkLocked(before: RolloutSchedule, after: RolloutInput): void {
  const locked = (field: string, why: string) =>
    new ConflictError(`${field} is locked: ${why}`, { field, status: before.status });
  if (after.flagKey !== before.flagKey) throw locked('flagKey', `the schedule is ${before.status}`);
  if (after.variation !== before.variation) throw locked('variation', `the schedule is ${before.status}`);
  for (let i = 0; i <= before.currentStage; i++) {
    const was = before.stages[i]!;
    const is = after.stages[i];
    if (is === undefined || !sameStage(was, is))
      throw locked(`stages.${i}`, `stage ${i} was entered already`);
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

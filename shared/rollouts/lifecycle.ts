import { ConflictError } from '../errors';
import { isTriggerDue, triggerDueAt, type Trigger } from './triggers';

/** SPEC §2.6: PENDING → ACTIVE → (PAUSED ↔ ACTIVE) → COMPLETED | ROLLED_BACK. */
export const ROLLOUT_STATUSES = ['PENDING', 'ACTIVE', 'PAUSED', 'COMPLETED', 'ROLLED_BACK'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** `advance` starts a PENDING schedule (stage 0) or enters the next stage; the last one completes it. */
export const ROLLOUT_ACTIONS = ['advance', 'pause', 'resume', 'rollBack'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

const FROM: Record<RolloutAction, readonly RolloutStatus[]> = {
  advance: ['PENDING', 'ACTIVE'],
  pause: ['ACTIVE'],
  resume: ['PAUSED'],
  rollBack: ['ACTIVE', 'PAUSED'],
};

/** The schedule holds its flag: no other schedule of the flag may start, nor may it be deleted. */
export const RUNNING_STATUSES: readonly RolloutStatus[] = ['ACTIVE', 'PAUSED'];

/** A PUT may change the schedule only while it is not moving the flag. */
export const EDITABLE_STATUSES: readonly RolloutStatus[] = ['PENDING', 'PAUSED'];

export function allowedActions(status: RolloutStatus): RolloutAction[] {
  return ROLLOUT_ACTIONS.filter((a) => FROM[a].includes(status));
}

/** 409 naming the allowed actions unless `action` is legal from the schedule's status. */
export function checkAction(schedule: { key: string; status: RolloutStatus }, action: RolloutAction): void {
  if (FROM[action].includes(schedule.status)) return;
  const allowed = allowedActions(schedule.status);
  throw new ConflictError(
    `rollout schedule ${schedule.key} is ${schedule.status}: cannot ${action}; ` +
      (allowed.length === 0 ? 'no action is allowed' : `allowed: ${allowed.join(', ')}`),
    { status: schedule.status, action, allowed },
  );
}

export interface HistoryEntry {
  readonly stage: number;
  readonly percentage: number;
  readonly at: string;
  readonly by: string;
  /** Why the share changed: `advance` (a stage entered) or `rollBack`. */
  readonly action: 'advance' | 'rollBack';
}

/** What the lifecycle reads and writes of a schedule. */
export interface RolloutState {
  readonly key: string;
  readonly status: RolloutStatus;
  readonly stages: readonly { readonly percentage: number; readonly trigger: Trigger }[];
  readonly currentStage: number;
  readonly startAt?: string | undefined;
  readonly startedAt?: string | undefined;
  readonly stageStartedAt?: string | undefined;
  readonly history: readonly HistoryEntry[];
}

/** The schedule after entering `stage` at `now` (by `actor`): ACTIVE, or COMPLETED when it is the last. Pure. */
export function enterStage<T extends RolloutState>(schedule: T, stage: number, now: Date, actor: string): T {
  const target = schedule.stages[stage];
  if (target === undefined) throw new Error(`rollout ${schedule.key} has no stage ${stage}`);
  const at = now.toISOString();
  return {
    ...schedule,
    status: stage === schedule.stages.length - 1 ? 'COMPLETED' : 'ACTIVE',
    currentStage: stage,
    startedAt: schedule.startedAt ?? at,
    stageStartedAt: at,
    history: [
      ...schedule.history,
      { stage, percentage: target.percentage, at, by: actor, action: 'advance' },
    ],
  };
}

/** Whether the job should start a PENDING schedule now: its startAt has come. */
export function isStartDue(schedule: RolloutState, now: Date): boolean {
  return (
    schedule.status === 'PENDING' &&
    schedule.startAt !== undefined &&
    Date.parse(schedule.startAt) <= now.getTime()
  );
}

/**
 * Whether an ACTIVE schedule's next stage is due at `now`: its trigger is met, counted from when the current stage
 * began (SPEC §2.6). A PAUSED, finished or PENDING schedule never is.
 */
export function isNextStageDue(schedule: RolloutState, now: Date): boolean {
  if (schedule.status !== 'ACTIVE' || schedule.stageStartedAt === undefined) return false;
  const next = schedule.stages[schedule.currentStage + 1];
  return next !== undefined && isTriggerDue(next.trigger, schedule.stageStartedAt, now);
}

/**
 * The instant the job will next act on the schedule by the clock: a PENDING schedule's startAt, an ACTIVE one's
 * next stage when its trigger is `time` (the current stage's start + the duration) or `at`; null otherwise (no
 * startAt, PAUSED, finished, a `manual` or `metric` next trigger, no next stage). isStartDue and isNextStageDue
 * turn true at this instant.
 */
export function nextDueAt(schedule: RolloutState): Date | null {
  if (schedule.status === 'PENDING') {
    return schedule.startAt === undefined ? null : new Date(schedule.startAt);
  }
  if (schedule.status !== 'ACTIVE' || schedule.stageStartedAt === undefined) return null;
  const next = schedule.stages[schedule.currentStage + 1];
  const due = next === undefined ? null : triggerDueAt(next.trigger, schedule.stageStartedAt);
  return due === null ? null : new Date(due);
}

/** The running (ACTIVE or PAUSED) schedule of a flag other than `exceptKey`, if any: there is one at most. */
export function runningScheduleOf<S extends { key: string; flagKey: string; status: RolloutStatus }>(
  schedules: readonly S[],
  flagKey: string,
  exceptKey?: string,
): S | undefined {
  return schedules.find(
    (s) => s.flagKey === flagKey && s.key !== exceptKey && RUNNING_STATUSES.includes(s.status),
  );
}

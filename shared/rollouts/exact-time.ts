import * as z from 'zod';
import { resourceKeySchema } from '../rules/schema';
import {
  NoOneTimeSchedules,
  SCHEDULE_SUFFIXES,
  scheduleName,
  type OneTimeSchedules,
} from '../schedules/one-time';
import { nextDueAt, type RolloutState } from './lifecycle';

/**
 * Exact-time schedules of rollouts (SPEC §2.6): ONE EventBridge Scheduler one-time schedule per rollout schedule, at
 * the next instant the job would act on it by the clock (lifecycle.ts nextDueAt), kept in step by RolloutsService
 * after every committed change, including each stage the job or the schedule's own fire enters. It invokes the
 * same target as experiments' schedules (lambdas/experiment-scheduler), which runs the job's code on that one
 * rollout. The 5-minute job (advancer.ts) repairs whatever the schedules miss.
 */

/** What a rollout's schedule delivers to lambdas/experiment-scheduler (the schedule's target Input). */
export const rolloutFireSchema = z.strictObject({ rolloutKey: resourceKeySchema });
export type RolloutFire = z.output<typeof rolloutFireSchema>;

/** The name of a rollout's schedule: `-stage` tells it from an experiment's `-start`/`-end` of the same key. */
export function rolloutScheduleName(rolloutKey: string): string {
  return scheduleName(rolloutKey, SCHEDULE_SUFFIXES.rolloutStage);
}

/** When the rollout's schedule should fire, or null when it should not exist. Times already past are the job's. */
export function plannedFire(schedule: RolloutState, now: Date): Date | null {
  const due = nextDueAt(schedule);
  return due !== null && due.getTime() > now.getTime() ? due : null;
}

/** A rollout's one schedule, in the group of `schedules` (none by default: the local platform). */
export class RolloutExactTime {
  constructor(private readonly schedules: OneTimeSchedules = new NoOneTimeSchedules()) {}

  /** Create, move or delete the rollout's schedule to match its status, stage and triggers. */
  async sync(schedule: RolloutState, now: Date = new Date()): Promise<void> {
    const at = plannedFire(schedule, now);
    const name = rolloutScheduleName(schedule.key);
    if (at === null) return this.schedules.delete(name);
    const fire: RolloutFire = { rolloutKey: schedule.key };
    await this.schedules.put({
      name,
      at,
      input: fire,
      description:
        schedule.status === 'PENDING'
          ? `start rollout schedule ${schedule.key}`
          : `stage ${schedule.currentStage + 1} of rollout schedule ${schedule.key}`,
      // The fire itself moves this schedule to the next stage: the Scheduler must not delete it after firing
      // (a deletion landing after the move would drop the next stage). sync deletes it once nothing is ahead.
      deleteAfterFiring: false,
    });
  }

  /** Delete the rollout's schedule (the rollout schedule was deleted). */
  remove(rolloutKey: string): Promise<void> {
    return this.schedules.delete(rolloutScheduleName(rolloutKey));
  }
}

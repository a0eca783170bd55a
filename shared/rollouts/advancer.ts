import { systemChange } from '../audit/actor';
import { ConflictError } from '../errors';
import { logger } from '../observability';
import { isNextStageDue, isStartDue } from './lifecycle';
import type { RolloutSchedule } from './requests';
import type { RolloutsService } from './service';

export interface AdvanceResult {
  /** Schedules started or moved on (each stage one audited change of the flag and one of the schedule). */
  readonly advanced: string[];
  /** Changed by someone else twice in a row, or refused (another schedule runs on the flag): next run. */
  readonly skipped: string[];
  /** Failed for another reason (logged); the others are not held up by it. */
  readonly failed: string[];
}

const isDue = (schedule: RolloutSchedule, now: Date) =>
  isStartDue(schedule, now) || isNextStageDue(schedule, now);

/**
 * The rollout job (SPEC §2.6, every 5 minutes): starts every PENDING schedule whose startAt has passed and enters
 * every stage whose trigger is met, as `system:rollouts`. A schedule changed meanwhile (409) is read again and
 * retried once, never overwritten. Running it twice changes nothing the second time: a stage entered is no longer
 * due, and a flag already at a stage's split is not written again.
 */
export async function advanceRollouts(
  service: RolloutsService,
  requestId: string,
  now: Date = new Date(),
): Promise<AdvanceResult> {
  return advanceSchedules(service, await service.all(), requestId, now);
}

/**
 * The job's code on the given schedules (all of them for the job, the one whose exact-time schedule fired for
 * lambdas/experiment-scheduler): each one not due at `now` is left alone, so a fire that is early, late, repeated or
 * stale changes nothing unless something is due.
 */
export async function advanceSchedules(
  service: RolloutsService,
  schedules: readonly RolloutSchedule[],
  requestId: string,
  now: Date = new Date(),
): Promise<AdvanceResult> {
  const result: AdvanceResult = { advanced: [], skipped: [], failed: [] };
  const context = systemChange('rollouts', requestId);
  for (const listed of schedules) {
    let schedule = listed;
    for (let attempt = 1; isDue(schedule, now); attempt++) {
      try {
        await service.advanceDue(schedule, context, now);
        result.advanced.push(schedule.key);
        break;
      } catch (error) {
        if (error instanceof ConflictError && attempt < 2) {
          schedule = await service.get(schedule.key);
          continue;
        }
        if (error instanceof ConflictError) result.skipped.push(schedule.key);
        else {
          logger.error('rollout schedule not advanced', { rollout: schedule.key, error });
          result.failed.push(schedule.key);
        }
        break;
      }
    }
  }
  return result;
}

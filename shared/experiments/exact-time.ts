import * as z from 'zod';
import { resourceKeySchema } from '../rules/schema';
import {
  NoOneTimeSchedules,
  SCHEDULE_SUFFIXES,
  scheduleName as oneTimeScheduleName,
  settleAll,
  type OneTimeSchedules,
} from '../schedules/one-time';
import { canTransition, FINISHED_STATUSES } from './lifecycle';
import type { Experiment } from './requests';

/**
 * The exact-time half of SPEC §2.4's scheduler: one EventBridge Scheduler one-time schedule per pending
 * transition (`start` at startAt, `complete` at endAt), kept in step with the experiment by
 * ExperimentsService after every committed change. The other half, the 15-minute sweep
 * (shared/experiments/sweep.ts), repairs whatever these schedules miss; both end in the same transition code.
 * The schedules themselves (names, create-or-move, delete) are shared/schedules/one-time.ts's.
 */
export interface ExactTimeScheduler {
  /** Make the experiment's one-time schedules match its startAt/endAt and status (create, move or delete). */
  sync(experiment: Experiment, now?: Date): Promise<void>;
  /** Delete the experiment's schedules (it was deleted). */
  remove(experimentKey: string): Promise<void>;
}

/** The transitions a one-time schedule fires, and the suffix of its name. */
export const SCHEDULED_ACTIONS = {
  start: SCHEDULE_SUFFIXES.experimentStart,
  complete: SCHEDULE_SUFFIXES.experimentEnd,
} as const;
export type ScheduledAction = keyof typeof SCHEDULED_ACTIONS;
const ACTIONS = Object.keys(SCHEDULED_ACTIONS) as ScheduledAction[];

/** What an experiment's schedule delivers to lambdas/experiment-scheduler (the schedule's target Input). */
export const exactTimeFireSchema = z.object({
  experimentKey: resourceKeySchema,
  action: z.enum(ACTIONS),
});
export type ExactTimeFire = z.output<typeof exactTimeFireSchema>;

/**
 * When each schedule should fire, or null when it should not exist. A start only while the experiment
 * can still start (DRAFT: resuming a PAUSED one is a person's decision, as in the sweep's dueAction); an
 * end while it has not finished (a DRAFT's end is kept, so an experiment started on time still ends on
 * time without anyone syncing again). Times already past are left to the sweep.
 */
export function plannedSchedules(
  experiment: Pick<Experiment, 'status' | 'startAt' | 'endAt'>,
  now: Date,
): Record<ScheduledAction, Date | null> {
  const future = (iso: string | undefined) =>
    iso !== undefined && Date.parse(iso) > now.getTime() ? new Date(iso) : null;
  return {
    start: canTransition(experiment.status, 'start') ? future(experiment.startAt) : null,
    complete: FINISHED_STATUSES.includes(experiment.status) ? null : future(experiment.endAt),
  };
}

/** The name of an experiment's `start` or `end` schedule (see shared/schedules/one-time.ts scheduleName). */
export function scheduleName(experimentKey: string, action: ScheduledAction): string {
  return oneTimeScheduleName(experimentKey, SCHEDULED_ACTIONS[action]);
}

/** An experiment's start and end schedules, in the group of `schedules` (none by default: the local platform). */
export class ExperimentExactTime implements ExactTimeScheduler {
  constructor(private readonly schedules: OneTimeSchedules = new NoOneTimeSchedules()) {}

  async sync(experiment: Experiment, now: Date = new Date()): Promise<void> {
    const plan = plannedSchedules(experiment, now);
    await settleAll(
      ACTIONS.map((action) => {
        const at = plan[action];
        const name = scheduleName(experiment.key, action);
        if (at === null) return this.schedules.delete(name);
        const fire: ExactTimeFire = { experimentKey: experiment.key, action };
        return this.schedules.put({
          name,
          at,
          input: fire,
          description: `${action} experiment ${experiment.key}`,
          // A start or end fires once: nothing moves the schedule it fired from.
          deleteAfterFiring: true,
        });
      }),
    );
  }

  async remove(experimentKey: string): Promise<void> {
    await settleAll(ACTIONS.map((action) => this.schedules.delete(scheduleName(experimentKey, action))));
  }
}

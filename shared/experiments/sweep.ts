import { systemChange } from '../audit/actor';
import { ConflictError } from '../errors';
import type { ExperimentAction } from './lifecycle';
import { canTransition } from './lifecycle';
import type { Experiment } from './requests';
import type { ExperimentsService } from './service';

/** What the schedule asks of an experiment now: start it, end it, or nothing. */
export function dueAction(experiment: Experiment, now: Date): ExperimentAction | null {
  const at = now.getTime();
  const endDue = experiment.endAt !== undefined && Date.parse(experiment.endAt) <= at;
  if (endDue && canTransition(experiment.status, 'complete')) return 'complete';
  const startDue = experiment.startAt !== undefined && Date.parse(experiment.startAt) <= at;
  if (startDue && !endDue && canTransition(experiment.status, 'start')) return 'start';
  return null;
}

export interface SweepResult {
  readonly started: string[];
  readonly completed: string[];
  /** Changed by someone else meanwhile: left for the next sweep. */
  readonly skipped: string[];
}

/**
 * The repair sweep of SPEC §2.4 (every 15 minutes): starts and ends every experiment whose time has come,
 * through the same transition code a person uses, audited as `system:scheduler`. Running it twice changes
 * nothing the second time: an experiment already moved has no due action left.
 */
export async function sweepSchedules(
  service: ExperimentsService,
  experiments: readonly Experiment[],
  requestId: string,
  now: Date = new Date(),
): Promise<SweepResult> {
  const result: SweepResult = { started: [], completed: [], skipped: [] };
  for (const experiment of experiments) {
    const action = dueAction(experiment, now);
    if (action === null) continue;
    try {
      await service.transition(
        experiment.key,
        action,
        { context: systemChange('scheduler', requestId), version: experiment.version },
        now,
      );
      (action === 'start' ? result.started : result.completed).push(experiment.key);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      result.skipped.push(experiment.key);
    }
  }
  return result;
}

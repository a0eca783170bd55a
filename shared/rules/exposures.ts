import type { CompiledRuleset } from './compile';
import type { Assignment, EvaluationResult } from './types';

/** The name every exposure event carries; the experiment and variant are fields of their own. */
export const EXPOSURE_EVENT_NAME = '$exposure';

/** One unit served one experiment variant: what becomes an `exposure` event (SPEC §2.4). */
export interface Exposure {
  readonly experimentKey: string;
  readonly variant: string;
  readonly unitId: string;
}

/**
 * The exposures in a set of answers: assignments in an experiment, and flags an experiment served. The
 * evaluation service and the SDKs' local mode both log exactly these, one per answer: here so that both run
 * the same code.
 */
export function exposuresOf(
  ruleset: CompiledRuleset,
  context: Readonly<Record<string, unknown>>,
  answers: readonly (Assignment | EvaluationResult)[],
  unitId?: string,
): Exposure[] {
  const exposures: Exposure[] = [];
  for (const answer of answers) {
    const served =
      'inExperiment' in answer
        ? answer.inExperiment
          ? { experimentKey: answer.experimentKey, variant: answer.variant }
          : null
        : answer.experimentKey === undefined
          ? null
          : { experimentKey: answer.experimentKey, variant: answer.variation };
    if (served === null || served.variant === null) continue;
    const unit = unitId ?? ruleset.experiment(served.experimentKey)?.unitOf(context);
    if (unit !== undefined) exposures.push({ ...served, variant: served.variant, unitId: unit });
  }
  return exposures;
}

/** An exposure as an event of `POST /api/v1/events` and the stream (shared/events/schema.ts validates it). */
export interface ExposureEventBody {
  readonly eventId: string;
  readonly type: 'exposure';
  readonly name: typeof EXPOSURE_EVENT_NAME;
  readonly unitId: string;
  readonly timestamp: string;
  readonly experimentKey: string;
  readonly variant: string;
}

/** The event of one exposure, with the id it keeps through every retry (so it counts once downstream). */
export function exposureEvent(exposure: Exposure, eventId: string, timestamp: string): ExposureEventBody {
  return {
    eventId,
    type: 'exposure',
    name: EXPOSURE_EVENT_NAME,
    unitId: exposure.unitId,
    timestamp,
    experimentKey: exposure.experimentKey,
    variant: exposure.variant,
  };
}

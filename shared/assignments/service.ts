import type { Assignment, CompiledRuleset, EvaluationResult } from '../rules';
import type { RulesetSource } from '../rulesets/source';
import type { Exposure, ExposureLog } from './exposures';
import type { AssignBody } from './schema';

/** The exposures in a set of answers: assignments in an experiment, and flags an experiment served. */
export function exposuresOf(
  ruleset: CompiledRuleset,
  context: Record<string, unknown>,
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

/** `POST /api/v1/assignments` (SPEC §2.4): the same compiled ruleset, revision and caches as evaluation. */
export class AssignmentService {
  constructor(
    private readonly source: RulesetSource,
    private readonly exposures: ExposureLog,
  ) {}

  async assign(body: AssignBody): Promise<{ revision: number; assignments: Assignment[] }> {
    const ruleset = await this.source.get();
    const context = body.context ?? {};
    const assignments = ruleset.assign(context, body.experiments, body.unitId);
    await this.exposures.log(exposuresOf(ruleset, context, assignments, body.unitId));
    return { revision: ruleset.revision, assignments };
  }
}

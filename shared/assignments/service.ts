import { exposuresOf, notRunning, type Assignment, type CompiledRuleset } from '../rules';
import type { SdkCaller } from '../auth/principal';
import type { RulesetSource } from '../rulesets/source';
import type { ExposureLog } from './exposures';
import { ValidationError } from '../errors';
import type { AssignBody } from './schema';
import { unitIdIssue } from './units';

// The engine's, shared with the SDKs' local mode; re-exported for the evaluation service.
export { exposuresOf };

/** 400 naming the attribute when a unit id of the context is longer than events take (shared/assignments/units.ts). */
export function refuseLongUnits(ruleset: CompiledRuleset, context: Readonly<Record<string, unknown>>): void {
  const issue = unitIdIssue(ruleset, context);
  if (issue !== null) throw new ValidationError(`${issue.path}: ${issue.message}`, [issue]);
}

/** `POST /api/v1/assignments` (SPEC §2.4): the same compiled ruleset, revision and caches as evaluation. */
export class AssignmentService {
  constructor(
    private readonly source: RulesetSource,
    private readonly exposures: ExposureLog,
  ) {}

  /**
   * Client keys (browsers, apps) see the experiments they could see through flags: those that back no flag,
   * or back a client-side one. Others answer NOT_RUNNING, as a hidden flag answers FLAG_NOT_FOUND.
   */
  async assign(
    caller: SdkCaller,
    body: AssignBody,
  ): Promise<{ revision: number; assignments: Assignment[] }> {
    const ruleset = await this.source.get();
    const context = body.context ?? {};
    refuseLongUnits(ruleset, context);
    const visible = (key: string) => {
      if (caller.keyType === 'server') return true;
      const flagKey = ruleset.experiment(key)?.flagKey;
      return flagKey === undefined || ruleset.flag(flagKey)?.clientSide === true;
    };
    const assignments = ruleset
      .assign(context, body.experiments ?? ruleset.experiments.filter(visible), body.unitId)
      .map((a) => (visible(a.experimentKey) ? a : notRunning(a.experimentKey)));
    await this.exposures.log(exposuresOf(ruleset, context, assignments, body.unitId));
    return { revision: ruleset.revision, assignments };
  }
}

import type { FieldIssue } from '../errors';
import { MAX_UNIT_ID_LENGTH } from '../events/schema';
import type { CompiledRuleset } from '../rules';

/** The attributes every flag split and experiment may take its unit from (SPEC §2.3). */
const DEFAULT_UNIT_ATTRIBUTES = ['targetingKey', 'userId'] as const;

/** The message for a unit id over the limit, wherever it was found. */
export function unitIdTooLong(length: number): string {
  return (
    `a unit id takes at most ${MAX_UNIT_ID_LENGTH} characters (this one has ${length}): ` +
    'events refuse longer ones, so its exposures would be lost'
  );
}

/**
 * The first unit id of `context` over {@link MAX_UNIT_ID_LENGTH} characters, as an issue on its attribute
 * (`body.context.<attribute>`), or null: `targetingKey` and `userId`, then the unit attribute of every running
 * experiment of the ruleset (an experiment may bucket by any attribute). `/evaluate`, `/assignments` and OFREP
 * refuse such a context, so no assignment is answered whose exposure the events stream would refuse.
 */
export function unitIdIssue(
  ruleset: CompiledRuleset,
  context: Readonly<Record<string, unknown>>,
): FieldIssue | null {
  for (const attribute of DEFAULT_UNIT_ATTRIBUTES) {
    const value = Object.hasOwn(context, attribute) ? context[attribute] : undefined;
    if (typeof value === 'string' && value.length > MAX_UNIT_ID_LENGTH) {
      return { path: `body.context.${attribute}`, message: unitIdTooLong(value.length) };
    }
  }
  for (const key of ruleset.experiments) {
    const experiment = ruleset.experiment(key);
    const unit = experiment?.unitOf(context);
    if (experiment !== undefined && unit !== undefined && unit.length > MAX_UNIT_ID_LENGTH) {
      return { path: `body.context.${experiment.unitAttribute}`, message: unitIdTooLong(unit.length) };
    }
  }
  return null;
}

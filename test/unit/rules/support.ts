import { compileRuleset } from '../../../shared/rules';
import type { Condition, EvaluationResult, RulesetFlag, RulesetSegment, Serve } from '../../../shared/rules';

export const ON_OFF = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

export function booleanFlag(key: string, fields: Partial<RulesetFlag> = {}): RulesetFlag {
  return {
    key,
    kind: 'boolean',
    variations: ON_OFF,
    enabled: true,
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    rules: [],
    ...fields,
  };
}

/** Whether a single clause matches a context, through the whole engine. */
export function clauseMatcher(
  clause: Condition,
  segments: RulesetSegment[] = [],
): (context: unknown) => boolean {
  const engine = compileRuleset({
    revision: 1,
    hashVersion: 1,
    segments,
    flags: [booleanFlag('f', { rules: [{ id: 'r', conditions: clause, serve: { variation: 'on' } }] })],
  });
  return (context) => {
    const result = engine.evaluate('f', context);
    if (result.reason === 'ERROR')
      throw new Error(`unexpected error ${result.errorCode}: ${result.errorMessage}`);
    return result.reason === 'TARGETING_MATCH';
  };
}

export function rolloutFlag(key: string, percentOn: number, extra: Partial<Serve> = {}): RulesetFlag {
  const weight = Math.round(percentOn * 100);
  return booleanFlag(key, {
    fallthrough: {
      allocations: [
        { variation: 'on', weight },
        { variation: 'off', weight: 10_000 - weight },
      ],
      ...extra,
    } as Serve,
  });
}

export function fields(result: EvaluationResult): Partial<EvaluationResult> {
  const { flagKey: _flagKey, errorMessage: _message, ...rest } = result;
  return rest;
}

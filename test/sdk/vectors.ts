import { rulesetView } from '../../shared/evaluation/flag-facts';
import type { EvaluationDetails, FlagValue } from '@openfeature/web-sdk';
import type { FlagKind } from '../../sdk/js/src';
import type { ExposureLog } from '../../shared/assignments';
import { EvaluationService } from '../../shared/evaluation/service';
import type { UsageRecorder } from '../../shared/evaluation/usage';
import {
  compileRuleset,
  type EvaluationResult,
  type Ruleset,
  type RulesetExperiment,
  type RulesetFlag,
} from '../../shared/rules';
import type { RulesetSource } from '../../shared/rulesets/source';

/**
 * What vectors.test.ts (the sources) and package.test.ts (the built packages) share to run the evaluation vectors,
 * and in particular to run them through the OpenFeature web provider, which knows only OFREP bulk answers: the
 * platform's own OFREP code computes each answer from the vector's ruleset, and the provider's resolution is held
 * to the vector's expectation in OFREP's terms.
 */

export type VectorExpectation = Omit<EvaluationResult, 'flagKey' | 'errorMessage'>;

/** One case of test/vectors/evaluation.json. */
export interface EvaluationCase {
  description: string;
  flagKey: string;
  context: unknown;
  options?: { kind?: FlagKind; clientSideOnly?: boolean };
  expected: VectorExpectation;
}

/** The kind a case asks for: its own, else its flag's. */
export function kindOf(ruleset: Ruleset, c: EvaluationCase): FlagKind {
  return c.options?.kind ?? ruleset.flags.find((f) => f.key === c.flagKey)?.kind ?? 'boolean';
}

/** The caller's default for each kind: what a typed getter answers on ERROR. */
export const DEFAULTS: Record<FlagKind, boolean | string | number | { default: boolean }> = {
  boolean: false,
  string: '<default>',
  number: -1,
  json: { default: true },
};

export type KeyType = 'server' | 'client';

/**
 * The platform's OFREP bulk evaluation (shared/evaluation/service.ts) over `ruleset`, in-process, with the
 * statuses the evaluation function gives (lambdas/evaluation/handler.ts): what a page gets from the API.
 */
export function platformOfrep(ruleset: Ruleset) {
  const compiled = compileRuleset(ruleset);
  const source = {
    get: async () => compiled,
    body: async () => ({ revision: ruleset.revision, body: JSON.stringify(ruleset) }),
    view: async () => ({ revision: ruleset.revision, view: rulesetView(ruleset) }),
  } as unknown as RulesetSource;
  const usage = { record: () => undefined } as unknown as UsageRecorder;
  const exposures: ExposureLog = { log: async () => undefined };
  const service = new EvaluationService(source, usage, exposures);
  return async (keyType: KeyType, requestBody: string, ifNoneMatch?: string): Promise<Response> => {
    const answer = await service.ofrepBulk({ keyType }, requestBody, ifNoneMatch);
    if ('outcome' in answer) return Response.json(answer.body, { status: 400 });
    if (answer.unchanged) return new Response(null, { status: 304, headers: { etag: answer.etag } });
    return Response.json(answer.value, { headers: { etag: answer.etag } });
  };
}

/** A fetch answered by {@link platformOfrep}; the bearer names the key type (`Bearer client`: a client key). */
export function ofrepFetch(ruleset: Ruleset): typeof fetch {
  const ofrep = platformOfrep(ruleset);
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init.headers);
    if (init.method !== 'POST' || url.pathname !== '/ofrep/v1/evaluate/flags') {
      return new Response(null, { status: 404 });
    }
    const keyType = headers.get('authorization') === 'Bearer client' ? 'client' : 'server';
    return ofrep(keyType, init.body as string, headers.get('if-none-match') ?? undefined);
  };
}

/** What of a web client's details is compared with a vector. */
export function webDetails(
  details: Pick<EvaluationDetails<FlagValue>, 'value' | 'variant' | 'reason' | 'errorCode' | 'flagMetadata'>,
) {
  return {
    value: details.value,
    variant: details.variant,
    reason: details.reason,
    errorCode: details.errorCode,
    metadata: {
      switchyardReason: details.flagMetadata.switchyardReason,
      ruleId: details.flagMetadata.ruleId,
      experimentKey: details.flagMetadata.experimentKey,
    },
  };
}

/**
 * What the web provider must resolve for an expectation, with our reasons in OFREP's terms
 * (docs/architecture.md, OFREP): DEFAULT is STATIC for a flag that serves everyone one variation (no rules,
 * prerequisites, split or experiment) and UNKNOWN otherwise; PREREQUISITE_FAILED is DISABLED; the rest are
 * OFREP's own. Ours stays in `metadata.switchyardReason`. Error codes keep their names: the vectors' are OFREP's
 * (PARSE_ERROR, TARGETING_KEY_MISSING, GENERAL), FLAG_NOT_FOUND (the flag is not in the answer) or TYPE_MISMATCH
 * (asked as another kind: the provider's own check). A failure's metadata is not the vector's: OFREP's failures
 * carry no rule, and a TYPE_MISMATCH keeps the metadata of the answer the provider holds for that flag.
 */
export function webExpectation(
  expected: VectorExpectation,
  kind: FlagKind,
  flag: RulesetFlag | undefined,
  experiments: readonly RulesetExperiment[],
) {
  if (expected.reason === 'ERROR') {
    return {
      value: DEFAULTS[kind],
      variant: undefined,
      reason: 'ERROR',
      errorCode: expected.errorCode,
      metadata: expect.any(Object) as unknown,
    };
  }
  const contextFree =
    flag !== undefined &&
    flag.rules.length === 0 &&
    (flag.prerequisites ?? []).length === 0 &&
    'variation' in flag.fallthrough &&
    !experiments.some((e) => e.flagKey === flag.key);
  const reasons: Partial<Record<string, string>> = {
    DEFAULT: contextFree ? 'STATIC' : 'UNKNOWN',
    PREREQUISITE_FAILED: 'DISABLED',
  };
  return {
    value: expected.value,
    variant: expected.variation,
    reason: reasons[expected.reason] ?? expected.reason,
    errorCode: undefined,
    metadata: {
      switchyardReason: expected.reason,
      ruleId: expected.ruleId,
      experimentKey: expected.experimentKey,
    },
  };
}

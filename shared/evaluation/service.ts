import { createHash } from 'node:crypto';
import type { CompiledRuleset, EvaluationResult } from '../rules';
import type { RulesetSource } from '../rulesets/source';
import { exposuresOf } from '../assignments/service';
import type { ExposureLog } from '../assignments/exposures';
import type { SdkCaller } from '../auth/principal';
import type { UsageRecorder } from './usage';

/**
 * A read the caller may already hold: `etag` names the answer (equal tags, equal answers), and when the caller
 * sent a matching tag the answer is `unchanged` and not built at all. The HTTP layer makes it a 304.
 */
export type Conditional<T> =
  | { readonly unchanged: true; readonly etag: string }
  | { readonly unchanged: false; readonly etag: string; readonly value: T };

/** OFREP's error body (open-feature/protocol), and the evaluation success body. */
export interface OfrepError {
  readonly key?: string;
  readonly errorCode: string;
  readonly errorDetails: string;
}
export interface OfrepSuccess {
  readonly key: string;
  readonly value: unknown;
  readonly reason: string;
  readonly variant: string | null;
  readonly metadata: Record<string, unknown>;
}

/**
 * The outcome of one OFREP flag evaluation: `evaluated`, or why not — the context is not an object
 * (`invalidContext`), the flag is unknown or hidden (`flagNotFound`), or evaluation failed (`failed`).
 */
export type OfrepAnswer =
  | { readonly outcome: 'evaluated'; readonly body: OfrepSuccess }
  | { readonly outcome: 'invalidContext' | 'flagNotFound' | 'failed'; readonly body: OfrepError };

const invalidContext = (key?: string): OfrepAnswer => ({
  outcome: 'invalidContext',
  body: {
    ...(key === undefined ? {} : { key }),
    errorCode: 'INVALID_CONTEXT',
    errorDetails: 'context must be a JSON object',
  },
});

const notFound = (flagKey: string): EvaluationResult => ({
  flagKey,
  value: null,
  variation: null,
  reason: 'ERROR',
  errorCode: 'FLAG_NOT_FOUND',
  errorMessage: `No flag ${flagKey}`,
});

function isContext(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An entity tag per revision and (for evaluations) per context: equal tags mean equal answers. */
function etag(revision: number, ...parts: unknown[]): string {
  if (parts.length === 0) return `"${revision}"`;
  const digest = createHash('sha1').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
  return `"${revision}-${digest}"`;
}

function matchesEtag(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === tag || t.trim() === '*');
}

/** Flag evaluation for SDKs: the Switchyard API, the ruleset download and OFREP. */
export class EvaluationService {
  constructor(
    private readonly source: RulesetSource,
    private readonly usage: UsageRecorder,
    private readonly exposures: ExposureLog,
  ) {}

  private visible(ruleset: CompiledRuleset, caller: SdkCaller, flagKey: string): boolean {
    const info = ruleset.flag(flagKey);
    return info !== undefined && (caller.keyType === 'server' || info.clientSide);
  }

  /** Evaluates, counts usage, and logs an exposure for every flag a running experiment served. */
  private async evaluateKeys(
    ruleset: CompiledRuleset,
    caller: SdkCaller,
    context: Record<string, unknown>,
    flagKeys?: readonly string[],
  ) {
    const keys =
      flagKeys ?? ruleset.flags.filter((f) => caller.keyType === 'server' || f.clientSide).map((f) => f.key);
    const results = keys.map((key) =>
      this.visible(ruleset, caller, key) ? ruleset.evaluate(key, context) : notFound(key),
    );
    this.usage.record(results.filter((r) => r.errorCode !== 'FLAG_NOT_FOUND').map((r) => r.flagKey));
    await this.exposures.log(exposuresOf(ruleset, context, results));
    return results;
  }

  async evaluate(caller: SdkCaller, context: Record<string, unknown>, flagKeys?: readonly string[]) {
    const ruleset = await this.source.get();
    return {
      revision: ruleset.revision,
      results: await this.evaluateKeys(ruleset, caller, context, flagKeys),
    };
  }

  /** The compiled ruleset (its JSON text) for local evaluation, tagged by revision. */
  async ruleset(ifNoneMatch: string | undefined): Promise<Conditional<string>> {
    const { revision, body } = await this.source.body();
    const tag = etag(revision);
    if (matchesEtag(ifNoneMatch, tag)) return { unchanged: true, etag: tag };
    return { unchanged: false, etag: tag, value: body };
  }

  /** OFREP single-flag evaluation. */
  async ofrepFlag(caller: SdkCaller, key: string, context: unknown): Promise<OfrepAnswer> {
    if (context !== undefined && !isContext(context)) return invalidContext(key);
    const ruleset = await this.source.get();
    const [result] = await this.evaluateKeys(ruleset, caller, context ?? {}, [key]);
    return ofrepAnswer(result!, ruleset.revision);
  }

  /**
   * OFREP bulk evaluation of every visible flag, tagged by revision, key type and context: a caller holding
   * the tag gets `unchanged` and no exposure is logged, since nothing was served again.
   */
  async ofrepBulk(
    caller: SdkCaller,
    context: unknown,
    ifNoneMatch: string | undefined,
  ): Promise<Conditional<{ flags: (OfrepSuccess | OfrepError)[] }> | OfrepAnswer> {
    if (context !== undefined && !isContext(context)) return invalidContext();
    const ruleset = await this.source.get();
    const tag = etag(ruleset.revision, caller.keyType, context ?? {});
    if (matchesEtag(ifNoneMatch, tag)) return { unchanged: true, etag: tag };
    const flags = (await this.evaluateKeys(ruleset, caller, context ?? {})).map(
      (r) => ofrepAnswer(r, ruleset.revision).body,
    );
    return { unchanged: false, etag: tag, value: { flags } };
  }
}

/** One result in OFREP's shape. */
function ofrepAnswer(result: EvaluationResult, revision: number): OfrepAnswer {
  const { flagKey: key } = result;
  if (result.errorCode === undefined) {
    return {
      outcome: 'evaluated',
      body: {
        key,
        value: result.value,
        reason: result.reason,
        variant: result.variation,
        metadata: { revision, ...(result.ruleId === undefined ? {} : { ruleId: result.ruleId }) },
      },
    };
  }
  const errorDetails = result.errorMessage ?? result.errorCode;
  if (result.errorCode === 'FLAG_NOT_FOUND') {
    return { outcome: 'flagNotFound', body: { key, errorCode: 'FLAG_NOT_FOUND', errorDetails } };
  }
  const errorCode = ['PARSE_ERROR', 'TARGETING_KEY_MISSING'].includes(result.errorCode)
    ? result.errorCode
    : 'GENERAL';
  return { outcome: 'failed', body: { key, errorCode, errorDetails } };
}

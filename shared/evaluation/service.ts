import { createHash } from 'node:crypto';
import type { CompiledRuleset, EvaluationResult } from '../rules';
import type { RulesetSource } from '../rulesets/source';
import { HttpResponse } from '../http/response';
import { exposuresOf, type ExposureLog } from '../assignments';
import type { UsageRecorder } from './usage';

/** What evaluation needs to know about the caller: client keys see only client-side flags (SPEC §2.1). */
export interface SdkCaller {
  readonly keyType: 'server' | 'client';
}

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

  /** The compiled ruleset for local evaluation (server keys only), with ETag / If-None-Match. */
  async ruleset(ifNoneMatch: string | undefined): Promise<HttpResponse> {
    const { revision, body } = await this.source.body();
    const tag = etag(revision);
    if (matchesEtag(ifNoneMatch, tag)) return new HttpResponse(304, undefined, { etag: tag });
    return HttpResponse.text(200, body, 'application/json; charset=utf-8', {
      etag: tag,
      'cache-control': 'no-cache',
    });
  }

  /** OFREP single-flag evaluation: 200 success, 400 evaluation failure, 404 flag not found. */
  async ofrepFlag(caller: SdkCaller, key: string, context: unknown): Promise<HttpResponse> {
    if (context !== undefined && !isContext(context)) {
      return new HttpResponse(400, {
        key,
        errorCode: 'INVALID_CONTEXT',
        errorDetails: 'context must be a JSON object',
      });
    }
    const ruleset = await this.source.get();
    const [result] = await this.evaluateKeys(ruleset, caller, context ?? {}, [key]);
    return ofrepResult(result!, ruleset.revision, true);
  }

  /** OFREP bulk evaluation of every visible flag, with an ETag per revision and context. */
  async ofrepBulk(
    caller: SdkCaller,
    context: unknown,
    ifNoneMatch: string | undefined,
  ): Promise<HttpResponse> {
    if (context !== undefined && !isContext(context)) {
      return new HttpResponse(400, {
        errorCode: 'INVALID_CONTEXT',
        errorDetails: 'context must be a JSON object',
      });
    }
    const ruleset = await this.source.get();
    const tag = etag(ruleset.revision, caller.keyType, context ?? {});
    if (matchesEtag(ifNoneMatch, tag)) return new HttpResponse(304, undefined, { etag: tag });
    const flags = (await this.evaluateKeys(ruleset, caller, context ?? {})).map(
      (r) => ofrepResult(r, ruleset.revision, false).body,
    );
    return new HttpResponse(200, { flags }, { etag: tag });
  }
}

/** One result in OFREP's shape; `single` decides whether errors become 400/404 statuses. */
function ofrepResult(result: EvaluationResult, revision: number, single: boolean): HttpResponse {
  const { flagKey: key } = result;
  if (result.errorCode === undefined) {
    return new HttpResponse(200, {
      key,
      value: result.value,
      reason: result.reason,
      variant: result.variation,
      metadata: { revision, ...(result.ruleId === undefined ? {} : { ruleId: result.ruleId }) },
    });
  }
  const errorDetails = result.errorMessage ?? result.errorCode;
  if (result.errorCode === 'FLAG_NOT_FOUND') {
    return new HttpResponse(single ? 404 : 200, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails });
  }
  const errorCode = ['PARSE_ERROR', 'TARGETING_KEY_MISSING'].includes(result.errorCode)
    ? result.errorCode
    : 'GENERAL';
  return new HttpResponse(single ? 400 : 200, { key, errorCode, errorDetails });
}

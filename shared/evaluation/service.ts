import { createHash } from 'node:crypto';
import type { CompiledRuleset, EvaluationContext, EvaluationResult } from '../rules';
import type { RulesetObjects } from '../rulesets/objects';
import type { RulesetSource } from '../rulesets/source';
import { exposuresOf, refuseLongUnits } from '../assignments/service';
import { unitIdIssue } from '../assignments/units';
import type { ExposureLog } from '../assignments/exposures';
import type { SdkCaller } from '../auth/principal';
import { factsOf, type FlagFacts } from './flag-facts';
import {
  readOfrepRequest,
  toOfrep,
  type OfrepFailure,
  type OfrepRequestError,
  type OfrepResult,
  type OfrepSuccess,
} from './ofrep';
import type { UsageRecorder } from './usage';

/**
 * A read the caller may already hold: `etag` names the answer (equal tags, equal answers), and when the caller
 * sent a matching tag the answer is `unchanged` and not sent again. The HTTP layer makes it a 304.
 */
export type Conditional<T> =
  | { readonly unchanged: true; readonly etag: string }
  | { readonly unchanged: false; readonly etag: string; readonly value: T };

/**
 * The ruleset download: the body inline, or — when it is larger than a response may be — `location`, a
 * short-lived URL to read it from (shared/rulesets/objects.ts). The HTTP layer makes the latter a 302.
 */
export type RulesetAnswer =
  Conditional<string> | { readonly unchanged: false; readonly etag: string; readonly location: string };

/** Where the ruleset download sends bodies above `inlineMaxBytes`. */
export interface LargeRulesets {
  readonly objects: RulesetObjects;
  readonly inlineMaxBytes: number;
}

/**
 * The answer to one OFREP request: a flag's result (see ./ofrep.ts), or `badRequest` when the body cannot be
 * evaluated at all (not a JSON object, or a context that is not one). The HTTP layer picks the status.
 */
export type OfrepAnswer =
  | OfrepResult
  | { readonly outcome: 'badRequest'; readonly body: OfrepRequestError & { readonly key?: string } };

/**
 * OFREP's answer to a context with a unit id longer than events take (shared/assignments/units.ts): INVALID_CONTEXT
 * naming the attribute, or null.
 */
function longUnit(ruleset: CompiledRuleset, context: EvaluationContext, key?: string): OfrepAnswer | null {
  const issue = unitIdIssue(ruleset, context);
  if (issue === null) return null;
  const errorDetails = `${issue.path.replace(/^body\./, '')}: ${issue.message}`;
  return {
    outcome: 'badRequest',
    body: { ...(key === undefined ? {} : { key }), errorCode: 'INVALID_CONTEXT', errorDetails },
  };
}

/** OFREP's bulk answer: every flag the caller may see, evaluated or failed. */
export interface OfrepBulk {
  readonly flags: readonly (OfrepSuccess | OfrepFailure)[];
}

const notFound = (flagKey: string): EvaluationResult => ({
  flagKey,
  value: null,
  variation: null,
  reason: 'ERROR',
  errorCode: 'FLAG_NOT_FOUND',
  errorMessage: `No flag ${flagKey}`,
});

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 22);

function matchesEtag(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === tag || t.trim() === '*');
}

/** Flag evaluation for SDKs: the Switchyard API, the ruleset download and OFREP. */
export class EvaluationService {
  /** The flags' facts (change identity, …) of the last revision seen, each derived on first use. */
  private facts: { readonly revision: number; readonly of: (key: string) => FlagFacts | undefined } | null =
    null;

  constructor(
    private readonly source: RulesetSource,
    private readonly usage: UsageRecorder,
    private readonly exposures: ExposureLog,
    private readonly large?: LargeRulesets,
  ) {}

  private visible(ruleset: CompiledRuleset, caller: SdkCaller, flagKey: string): boolean {
    const info = ruleset.flag(flagKey);
    return info !== undefined && (caller.keyType === 'server' || info.clientSide);
  }

  /** Every flag the caller may see, or the named ones (those it may not see are not found). */
  private resultsFor(
    ruleset: CompiledRuleset,
    caller: SdkCaller,
    context: EvaluationContext,
    flagKeys?: readonly string[],
  ): EvaluationResult[] {
    const keys =
      flagKeys ?? ruleset.flags.filter((f) => caller.keyType === 'server' || f.clientSide).map((f) => f.key);
    return keys.map((key) =>
      this.visible(ruleset, caller, key) ? ruleset.evaluate(key, context) : notFound(key),
    );
  }

  /** Results handed to a caller: usage is counted, and an exposure logged for every flag an experiment served. */
  private async served(ruleset: CompiledRuleset, context: EvaluationContext, results: EvaluationResult[]) {
    this.usage.record(results.filter((r) => r.errorCode !== 'FLAG_NOT_FOUND').map((r) => r.flagKey));
    await this.exposures.log(exposuresOf(ruleset, context, results));
  }

  private async evaluateKeys(
    ruleset: CompiledRuleset,
    caller: SdkCaller,
    context: EvaluationContext,
    flagKeys?: readonly string[],
  ) {
    const results = this.resultsFor(ruleset, caller, context, flagKeys);
    await this.served(ruleset, context, results);
    return results;
  }

  /**
   * The current ruleset and the facts of its flags, both of one revision. The facts read only the definitions
   * they need (a flag, its prerequisites, their segments and experiments), parsed on demand.
   */
  private async snapshot(): Promise<{
    ruleset: CompiledRuleset;
    facts: (key: string) => FlagFacts | undefined;
  }> {
    const ruleset = await this.source.get();
    if (this.facts?.revision === ruleset.revision) return { ruleset, facts: this.facts.of };
    const { revision, view } = await this.source.view();
    this.facts = { revision, of: factsOf(view) };
    // The source may have moved on between the two reads: then take the revision the facts describe.
    return revision === ruleset.revision ? { ruleset, facts: this.facts.of } : this.snapshot();
  }

  async evaluate(caller: SdkCaller, context: Record<string, unknown>, flagKeys?: readonly string[]) {
    const ruleset = await this.source.get();
    refuseLongUnits(ruleset, context);
    return {
      revision: ruleset.revision,
      results: await this.evaluateKeys(ruleset, caller, context, flagKeys),
    };
  }

  /**
   * The compiled ruleset (its JSON text) for local evaluation, tagged by revision; a body above the inline limit
   * is stored (once per revision) and answered by its URL. Its length in UTF-16 units bounds its bytes from
   * below, so the byte count is taken only near the limit.
   */
  async ruleset(ifNoneMatch: string | undefined): Promise<RulesetAnswer> {
    const { revision, body } = await this.source.body();
    const tag = `"${revision}"`;
    if (matchesEtag(ifNoneMatch, tag)) return { unchanged: true, etag: tag };
    const large = this.large;
    if (
      large !== undefined &&
      body.length * 3 > large.inlineMaxBytes &&
      Buffer.byteLength(body, 'utf8') > large.inlineMaxBytes
    ) {
      return { unchanged: false, etag: tag, location: await large.objects.url(revision, body) };
    }
    return { unchanged: false, etag: tag, value: body };
  }

  /** OFREP single-flag evaluation of the request body's text. */
  async ofrepFlag(caller: SdkCaller, key: string, requestBody: string | undefined): Promise<OfrepAnswer> {
    const request = readOfrepRequest(requestBody);
    if ('error' in request) return { outcome: 'badRequest', body: { key, ...request.error } };
    const { ruleset, facts } = await this.snapshot();
    const refused = longUnit(ruleset, request.context, key);
    if (refused !== null) return refused;
    const [result] = await this.evaluateKeys(ruleset, caller, request.context, [key]);
    return toOfrep(result!, facts(key));
  }

  /**
   * OFREP bulk evaluation of every flag the caller may see, tagged by a digest of the answer itself: the tag
   * moves only when what this caller gets moves (a value, a variant, a reason, a flag's change identity, a flag
   * appearing or going), never because a flag it cannot see changed. A caller holding the tag gets `unchanged`,
   * and nothing is counted or logged as an exposure, since nothing was served again.
   */
  async ofrepBulk(
    caller: SdkCaller,
    requestBody: string | undefined,
    ifNoneMatch: string | undefined,
  ): Promise<Conditional<OfrepBulk> | OfrepAnswer> {
    const request = readOfrepRequest(requestBody);
    if ('error' in request) return { outcome: 'badRequest', body: request.error };
    const { ruleset, facts } = await this.snapshot();
    const refused = longUnit(ruleset, request.context);
    if (refused !== null) return refused;
    const results = this.resultsFor(ruleset, caller, request.context);
    const value: OfrepBulk = {
      // Only flags the caller may see are evaluated, so none is FLAG_NOT_FOUND (nor could OFREP list one).
      flags: results.flatMap((r) => {
        const answer = toOfrep(r, facts(r.flagKey));
        return answer.outcome === 'flagNotFound' ? [] : [answer.body];
      }),
    };
    const tag = `"${digest(JSON.stringify(value))}"`;
    if (matchesEtag(ifNoneMatch, tag)) return { unchanged: true, etag: tag };
    await this.served(ruleset, request.context, results);
    return { unchanged: false, etag: tag, value };
  }
}

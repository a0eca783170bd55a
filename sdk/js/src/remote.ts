import type { Assignment, EvaluationResult } from '../../../shared/rules';
import type { Outcome, Transport } from './http';
import type { ErrorCode, EvaluationContext, SdkAssignment } from './types';

export interface CacheOptions {
  /**
   * How long an answer for one context is reused.
   * @default 10000
   */
  readonly ttlMs?: number;
  /**
   * Contexts kept (least recently used evicted first).
   * @default 1000
   */
  readonly maxContexts?: number;
}

/** SPEC §2: resource keys. A key that cannot exist is not sent (it would fail its whole batch with 400). */
const KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The API's limit on flags per evaluate request. */
const MAX_FLAGS_PER_REQUEST = 1000;

type RemoteResult =
  EvaluationResult | Readonly<Omit<EvaluationResult, 'errorCode'> & { errorCode: ErrorCode }>;

interface CacheEntry {
  expiresAt: number;
  readonly results: Map<string, EvaluationResult>;
}

interface Batch {
  readonly flags: Set<string>;
  readonly answer: Promise<Map<string, RemoteResult>>;
}

function failure(flagKey: string, errorCode: ErrorCode, errorMessage: string): RemoteResult {
  return { flagKey, value: null, variation: null, reason: 'ERROR', errorCode, errorMessage };
}

/** JSON with object keys sorted: equal contexts, equal cache keys. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Why an outcome is not an answer, as an error message. */
function problem(outcome: Outcome): string {
  if (!outcome.ok) return outcome.message;
  if (outcome.status === 401 || outcome.status === 403) return `the API key was refused (${outcome.status})`;
  return `the API answered ${outcome.status}`;
}

/**
 * Remote mode: `POST /api/v1/evaluate` and `POST /api/v1/assignments`. Answers are cached per context for
 * `ttlMs` (least recently used contexts evicted beyond `maxContexts`); flags asked for the same context in the
 * same tick go in one request, and a flag already on its way is not asked again. Only the flags asked for are
 * requested, so the API logs exposures for exactly those. Failures answer ERROR results; nothing throws.
 */
export class RemoteEvaluator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly batches = new Map<string, Batch>();
  private readonly ttlMs: number;
  private readonly maxContexts: number;

  constructor(
    private readonly transport: Transport,
    cache: CacheOptions | false,
    private readonly now: () => number,
  ) {
    this.ttlMs = cache === false ? 0 : Math.max(0, cache.ttlMs ?? 10_000);
    this.maxContexts = cache === false ? 0 : Math.max(0, cache.maxContexts ?? 1000);
  }

  async evaluate(flagKey: string, context: EvaluationContext): Promise<RemoteResult> {
    const [result] = await this.evaluateMany([flagKey], context);
    return result!;
  }

  async evaluateMany(flagKeys: readonly string[], context: EvaluationContext): Promise<RemoteResult[]> {
    let key: string;
    try {
      key = stableJson(context);
    } catch (error) {
      const message = `context cannot be sent as JSON: ${(error as Error).message}`;
      return flagKeys.map((flagKey) => failure(flagKey, 'INVALID_CONTEXT', message));
    }
    const cached = this.fresh(key);
    const answers = new Map<string, Promise<RemoteResult>>();
    for (const flagKey of flagKeys) {
      if (answers.has(flagKey)) continue;
      const hit = cached?.results.get(flagKey);
      if (hit !== undefined) answers.set(flagKey, Promise.resolve(hit));
      else if (typeof flagKey !== 'string' || !KEY_PATTERN.test(flagKey)) {
        answers.set(flagKey, Promise.resolve(failure(String(flagKey), 'FLAG_NOT_FOUND', 'no such flag')));
      } else answers.set(flagKey, this.request(key, context, flagKey));
    }
    return Promise.all(flagKeys.map((flagKey) => answers.get(flagKey)!));
  }

  /** Every flag the key may see for this context (fills the cache too). */
  async evaluateAll(context: EvaluationContext): Promise<RemoteResult[] | { error: RemoteResult }> {
    let key: string;
    try {
      key = stableJson(context);
    } catch (error) {
      return {
        error: failure('', 'INVALID_CONTEXT', `context cannot be sent as JSON: ${(error as Error).message}`),
      };
    }
    const outcome = await this.transport.send('POST', '/api/v1/evaluate', { body: { context } });
    const results = this.parse(outcome);
    if ('error' in results) return { error: failure('', results.code, results.error) };
    this.store(key, results);
    return results;
  }

  async assign(
    context: EvaluationContext,
    experiments: readonly string[] | undefined,
    unitId: string | undefined,
  ): Promise<SdkAssignment[]> {
    const failed = (errorCode: ErrorCode, errorMessage: string): SdkAssignment[] =>
      (experiments ?? []).map((experimentKey) => ({
        experimentKey,
        variant: null,
        payload: null,
        inExperiment: false,
        reason: 'ERROR',
        errorCode,
        errorMessage,
      }));
    const outcome = await this.transport.send('POST', '/api/v1/assignments', {
      body: {
        context,
        ...(experiments === undefined ? {} : { experiments }),
        ...(unitId === undefined ? {} : { unitId }),
      },
    });
    if (!outcome.ok || outcome.status !== 200) return failed('GENERAL', problem(outcome));
    try {
      const { assignments } = JSON.parse(outcome.text) as { assignments: Assignment[] };
      if (!Array.isArray(assignments)) throw new Error('no assignments in the answer');
      return assignments;
    } catch (error) {
      return failed('PARSE_ERROR', `unreadable answer: ${(error as Error).message}`);
    }
  }

  private fresh(key: string): CacheEntry | undefined {
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.cache.delete(key);
      return undefined;
    }
    // Least recently used order: a hit moves to the end.
    this.cache.delete(key);
    this.cache.set(key, entry);
    return entry;
  }

  private store(key: string, results: readonly EvaluationResult[]): void {
    if (this.maxContexts === 0 || this.ttlMs === 0) return;
    let entry = this.fresh(key);
    if (entry === undefined) {
      entry = { expiresAt: this.now() + this.ttlMs, results: new Map() };
      this.cache.set(key, entry);
      while (this.cache.size > this.maxContexts) this.cache.delete(this.cache.keys().next().value!);
    }
    for (const result of results) entry.results.set(result.flagKey, result);
  }

  /** Joins (or starts) this tick's request for the context. */
  private async request(key: string, context: EvaluationContext, flagKey: string): Promise<RemoteResult> {
    let batch = this.batches.get(key);
    if (batch !== undefined && !batch.flags.has(flagKey) && batch.flags.size >= MAX_FLAGS_PER_REQUEST) {
      batch = undefined;
    }
    if (batch === undefined) {
      const flags = new Set<string>();
      const answer = Promise.resolve().then(() => {
        // Sent after this tick's synchronous callers joined; later callers start a new batch.
        if (this.batches.get(key)?.flags === flags) this.batches.delete(key);
        return this.send(key, context, [...flags]);
      });
      batch = { flags, answer };
      this.batches.set(key, batch);
    }
    batch.flags.add(flagKey);
    const results = await batch.answer;
    return results.get(flagKey) ?? failure(flagKey, 'GENERAL', 'the API did not answer this flag');
  }

  private async send(
    key: string,
    context: EvaluationContext,
    flags: readonly string[],
  ): Promise<Map<string, RemoteResult>> {
    const outcome = await this.transport.send('POST', '/api/v1/evaluate', { body: { context, flags } });
    const results = this.parse(outcome);
    if ('error' in results) {
      return new Map(flags.map((flagKey) => [flagKey, failure(flagKey, results.code, results.error)]));
    }
    this.store(key, results);
    return new Map(results.map((r) => [r.flagKey, r]));
  }

  private parse(outcome: Outcome): EvaluationResult[] | { error: string; code: ErrorCode } {
    if (!outcome.ok || outcome.status !== 200) return { error: problem(outcome), code: 'GENERAL' };
    try {
      const { results } = JSON.parse(outcome.text) as { results: EvaluationResult[] };
      if (!Array.isArray(results)) throw new Error('no results in the answer');
      return results;
    } catch (error) {
      return { error: `unreadable answer: ${(error as Error).message}`, code: 'PARSE_ERROR' };
    }
  }
}

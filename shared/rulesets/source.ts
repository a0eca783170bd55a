import { compileRuleset, type CompiledRuleset, type Ruleset } from '../rules';
import { logger } from '../observability';
import type { RulesetCache } from './cache';
import type { RulesetRepository } from './repository';

const EMPTY: Ruleset = { revision: 0, hashVersion: 1, flags: [], segments: [] };

/**
 * Where evaluation gets its ruleset: L1, this execution environment's compiled copy, revalidated at most
 * every `revalidateMs` against the cache's current revision (DynamoDB's pointer when the cache has none or is
 * down); a new revision's body comes from the cache, else DynamoDB. If the lookups fail, the L1 copy keeps
 * serving: evaluation answers from the last good ruleset rather than erroring.
 */
export class RulesetSource {
  private compiled: CompiledRuleset | null = null;
  private compiledBody: string | null = null;
  private checkedAt = 0;
  private refreshing: Promise<CompiledRuleset> | null = null;

  constructor(
    private readonly repository: RulesetRepository,
    private readonly cache: RulesetCache,
    private readonly revalidateMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<CompiledRuleset> {
    if (this.compiled !== null && this.now() - this.checkedAt < this.revalidateMs) return this.compiled;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refresh(): Promise<CompiledRuleset> {
    try {
      const revision =
        (await this.cache.currentRevision()) ?? (await this.repository.current())?.revision ?? 0;
      if (this.compiled === null || revision !== this.compiled.revision) {
        const body = revision === 0 ? JSON.stringify(EMPTY) : await this.load(revision);
        this.compiled = compileRuleset(JSON.parse(body) as Ruleset);
        this.compiledBody = body;
      }
      this.checkedAt = this.now();
      return this.compiled;
    } catch (error) {
      if (this.compiled === null) throw error;
      logger.error('ruleset refresh failed; serving the last good revision', {
        revision: this.compiled.revision,
        error: (error as Error).message,
      });
      this.checkedAt = this.now();
      return this.compiled;
    }
  }

  private async load(revision: number): Promise<string> {
    const cached = await this.cache.body(revision);
    if (cached !== null) return cached;
    const body = await this.repository.body(revision);
    await this.cache.store(revision, body);
    return body;
  }

  /** The raw body of the current revision, for SDKs that evaluate locally (`GET /api/v1/sdk/ruleset`). */
  async body(): Promise<{ revision: number; body: string }> {
    const compiled = await this.get();
    return { revision: compiled.revision, body: this.compiledBody ?? JSON.stringify(EMPTY) };
  }
}

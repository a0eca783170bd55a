import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { Ruleset } from '../../shared/rules';
import { createHash } from 'node:crypto';
import {
  buildRulesetContent,
  type RulesetConfiguration,
  type RulesetContent,
} from '../../shared/rulesets/document';
import type { LegacyRulesetRepository as RulesetRepository, RulesetPointer } from './repository';

function contentHash(content: RulesetContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * Today's (before issue 17 goal 1) publisher, kept for the bench's before-figures only (bench/scale.ts): it
 * rebuilds and rewrites the whole document on every change.
 */

/** Compiles the configuration into the next ruleset revision, when its content changed. */
export class RulesetPublisher {
  constructor(
    private readonly configuration: () => Promise<RulesetConfiguration>,
    private readonly rulesets: RulesetRepository,
  ) {}

  /**
   * Publish the configuration as the next revision unless the current one already has the same content.
   * Safe to run twice and concurrently: the loser of a race re-reads and finds nothing to do.
   */
  async publishIfChanged(
    now: Date = new Date(),
  ): Promise<{ published: boolean; ruleset: Ruleset; pointer: RulesetPointer }> {
    for (let attempt = 0; ; attempt++) {
      const content = buildRulesetContent(await this.configuration());
      const hash = contentHash(content);
      const current = await this.rulesets.current();
      if (current !== null && current.hash === hash) {
        return { published: false, ruleset: { revision: current.revision, ...content }, pointer: current };
      }
      const revision = (current?.revision ?? 0) + 1;
      try {
        const pointer = await this.rulesets.write(revision, hash, content, current, now);
        return { published: true, ruleset: { revision, ...content }, pointer };
      } catch (error) {
        const lostRace = error instanceof TransactionCanceledException;
        if (!lostRace || attempt >= 4) throw error;
      }
    }
  }
}

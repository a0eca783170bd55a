import { z } from 'zod';
import { createDocumentClient } from '../aws/clients';
import { parseEnv } from '../env';
import { noCache, RedisRulesetCache, type RulesetCache } from './cache';
import { readRulesetConfiguration, RulesetPublisher } from './publisher';
import { RulesetRepository } from './repository';

/** Publisher and evaluation: the two tables, and the cache when one is configured. */
export const rulesetEnvSchema = z.object({
  /** Only the publisher reads the configuration; evaluation reads published rulesets only. */
  TABLE_CONFIG: z.string().min(1).optional(),
  TABLE_RULESETS: z.string().min(1),
  /** `rediss://…:6379` for ElastiCache Serverless; unset = no shared cache (local platform without Redis). */
  CACHE_URL: z.string().url().optional(),
});

export function rulesetDependencies(): { repository: RulesetRepository; cache: RulesetCache } {
  const env = parseEnv(rulesetEnvSchema);
  return {
    repository: new RulesetRepository(createDocumentClient(), env.TABLE_RULESETS),
    cache: env.CACHE_URL === undefined ? noCache : new RedisRulesetCache(env.CACHE_URL),
  };
}

/** The publisher: reads the configuration, writes revisions and the cache. */
export function publisherDependencies(): { publisher: RulesetPublisher; cache: RulesetCache } {
  const env = parseEnv(rulesetEnvSchema.required({ TABLE_CONFIG: true }));
  const { repository, cache } = rulesetDependencies();
  const doc = createDocumentClient();
  return {
    publisher: new RulesetPublisher(() => readRulesetConfiguration(doc, env.TABLE_CONFIG), repository),
    cache,
  };
}

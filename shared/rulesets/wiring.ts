import { z } from 'zod';
import { createDocumentClient } from '../aws/clients';
import { parseEnv } from '../env';
import { noCache, RedisRulesetCache, type RulesetCache } from './cache';
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
    repository: new RulesetRepository(createDocumentClient(), env.TABLE_RULESETS, env.TABLE_CONFIG),
    cache: env.CACHE_URL === undefined ? noCache : new RedisRulesetCache(env.CACHE_URL),
  };
}

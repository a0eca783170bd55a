import { createDocumentClient } from '../aws/clients';
import type { EnvOf } from '../environment';
import { noCache, RedisRulesetCache, type RulesetCache } from './cache';
import { RulesetRepository } from './repository';

/**
 * Publisher and evaluation: the rulesets table, the config table (only the publisher reads the configuration;
 * evaluation reads published rulesets only), and the cache when one is configured.
 */
export type RulesetEnv = EnvOf<'table:rulesets' | 'cache'> & Partial<EnvOf<'table:config'>>;

export function rulesetDependencies(env: RulesetEnv): { repository: RulesetRepository; cache: RulesetCache } {
  return {
    repository: new RulesetRepository(createDocumentClient(), env.TABLE_RULESETS, env.TABLE_CONFIG),
    cache: env.CACHE_URL === undefined ? noCache : new RedisRulesetCache(env.CACHE_URL),
  };
}

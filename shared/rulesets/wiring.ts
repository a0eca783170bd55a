import { createDocumentClient } from '../aws/clients';
import type { EnvOf } from '../environment';
import { noCache, RedisRulesetCache, type RulesetCache } from './cache';
import { dynamoConfiguration, RulesetPublisher } from './publisher';
import { RulesetRepository } from './repository';

/** Publisher and evaluation: the rulesets table, and the cache when one is configured. */
export type RulesetEnv = EnvOf<'table:rulesets' | 'cache'>;

export function rulesetDependencies(env: RulesetEnv): { repository: RulesetRepository; cache: RulesetCache } {
  return {
    repository: new RulesetRepository(createDocumentClient(), env.TABLE_RULESETS),
    cache: env.CACHE_URL === undefined ? noCache : new RedisRulesetCache(env.CACHE_URL),
  };
}

/** The publisher also reads the configuration (evaluation reads published rulesets only). */
export function publisherDependencies(env: RulesetEnv & EnvOf<'table:config'>): {
  publisher: RulesetPublisher;
  cache: RulesetCache;
} {
  const { repository, cache } = rulesetDependencies(env);
  const doc = createDocumentClient();
  return {
    publisher: new RulesetPublisher(dynamoConfiguration(doc, env.TABLE_CONFIG), repository),
    cache,
  };
}

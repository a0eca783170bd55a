import type Redis from 'ioredis';
import { logger } from '../observability';

/**
 * The shared cache in front of DynamoDB for published rulesets (ElastiCache Serverless Valkey in AWS,
 * redis-server or nothing locally): `ruleset:current` → revision, what every instance checks every 500 ms
 * instead of reading DynamoDB's pointer. Bodies no longer go through it: instances read the entries a revision
 * changed from DynamoDB (shared/rulesets/source.ts). Every call fails fast and returns null on trouble: a cache
 * outage must degrade to DynamoDB, never to an error.
 */
export interface RulesetCache {
  currentRevision(): Promise<number | null>;
  /** Move `ruleset:current` to `revision`, never back. */
  advance(revision: number): Promise<void>;
  close(): Promise<void>;
}

export const noCache: RulesetCache = {
  currentRevision: async () => null,
  advance: async () => undefined,
  close: async () => undefined,
};

/**
 * ioredis is loaded with the first call, not at cold start: a function that never reaches the cache (or reaches it
 * only after answering from its module-scope copy) does not pay for loading it.
 */
export class RedisRulesetCache implements RulesetCache {
  private client: Promise<Redis> | null = null;
  private closed = false;

  /** `url`: `redis://host:port` or `rediss://host:port` (TLS, as ElastiCache Serverless requires). */
  constructor(private readonly url: string) {}

  private connection(): Promise<Redis> {
    this.client ??= import('ioredis').then(({ default: Redis }) => {
      const redis = new Redis(this.url, {
        lazyConnect: true,
        connectTimeout: 500,
        commandTimeout: 250,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      });
      redis.on('error', (error: Error) =>
        logger.debug('ruleset cache unavailable', { error: error.message }),
      );
      return redis;
    });
    return this.client;
  }

  private async attempt<T>(what: string, run: (redis: Redis) => Promise<T>): Promise<T | null> {
    try {
      if (this.closed) throw new Error('cache closed');
      const redis = await this.connection();
      if (redis.status === 'wait') await redis.connect();
      return await run(redis);
    } catch (error) {
      logger.warn('ruleset cache call failed; falling back to DynamoDB', {
        what,
        error: (error as Error).message,
      });
      return null;
    }
  }

  async currentRevision(): Promise<number | null> {
    const value = await this.attempt('get current', (redis) => redis.get('ruleset:current'));
    const revision = value === null ? NaN : Number(value);
    return Number.isInteger(revision) && revision > 0 ? revision : null;
  }

  async advance(revision: number): Promise<void> {
    await this.attempt('advance', async (redis) => {
      // Only move the pointer forward: a late publisher must not move it back.
      await redis.eval(
        "local c = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
        1,
        'ruleset:current',
        String(revision),
      );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.client !== null) (await this.client).disconnect();
  }
}

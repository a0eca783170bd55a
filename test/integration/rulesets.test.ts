import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/db/keys';
import type { Flag } from '../../shared/flags/requests';
import { noCache, RedisRulesetCache } from '../../shared/rulesets/cache';
import { readRulesetConfiguration, RulesetPublisher } from '../../shared/rulesets/publisher';
import { chunkString, RulesetRepository } from '../../shared/rulesets/repository';
import { RulesetSource } from '../../shared/rulesets/source';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { startTestRedis, type TestRedis } from '../support/redis';

const engines = requireEngines(['java', 'redis']);

const flag = (key: string, enabled: boolean, extra: Partial<Flag> = {}): Flag => ({
  key,
  name: key,
  description: '',
  tags: [],
  kind: 'boolean',
  variations: [
    { key: 'on', value: true },
    { key: 'off', value: false },
  ],
  enabled,
  offVariation: 'off',
  fallthrough: { variation: 'on' },
  rules: [],
  clientSide: false,
  prerequisites: [],
  temporary: true,
  owner: 'o',
  createdBy: 'o',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  ...extra,
});

engines.describe('ruleset publishing and lookup against DynamoDB Local and redis-server', () => {
  let dynamo: TestDynamo;
  let redis: TestRedis;
  let repo: RulesetRepository;
  let publisher: RulesetPublisher;

  const putFlag = (f: Flag) =>
    dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableNames.config,
        Item: {
          pk: keys.config.resource('flag', f.key),
          sk: keys.config.meta,
          gsi1pk: 'KIND#flag',
          gsi1sk: f.key,
          ...f,
        },
      }),
    );

  beforeAll(async () => {
    [dynamo, redis] = await Promise.all([startTestDynamo(), startTestRedis()]);
    repo = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    publisher = new RulesetPublisher(
      () => readRulesetConfiguration(dynamo.doc, dynamo.tableNames.config),
      repo,
    );
  }, scaledMs(60_000));
  afterAll(async () => {
    await redis?.stop();
    await dynamo?.stop();
  });

  it('publishes revision 1, then nothing until the content changes', async () => {
    await putFlag(flag('checkout', false));
    const first = await publisher.publishIfChanged();
    expect(first).toMatchObject({ published: true, pointer: { revision: 1 } });
    expect(first.ruleset.flags.map((f) => f.key)).toEqual(['checkout']);
    expect(first.ruleset.flags[0]).not.toHaveProperty('owner');
    expect((await publisher.publishIfChanged()).published).toBe(false);
    // Server-side fields (version, timestamps) are not content: no new revision.
    await putFlag(flag('checkout', false, { version: 2, updatedAt: '2026-02-01T00:00:00.000Z' }));
    expect((await publisher.publishIfChanged()).published).toBe(false);
    await putFlag(flag('checkout', true));
    expect(await publisher.publishIfChanged()).toMatchObject({ published: true, pointer: { revision: 2 } });
    expect(JSON.parse(await repo.body(2))).toMatchObject({
      revision: 2,
      hashVersion: 1,
      flags: [{ key: 'checkout', enabled: true }],
    });
  });

  it('lets concurrent publishers agree on one revision', async () => {
    await putFlag(flag('race', true));
    const results = await Promise.all([
      publisher.publishIfChanged(),
      publisher.publishIfChanged(),
      publisher.publishIfChanged(),
    ]);
    expect(results.filter((r) => r.published)).toHaveLength(1);
    expect(new Set(results.map((r) => r.pointer.revision))).toEqual(new Set([3]));
    expect((await repo.current())?.revision).toBe(3);
  });

  it('stores large rulesets in chunks under the item limit, never splitting a surrogate pair', async () => {
    const big = Array.from({ length: 60 }, (_, i) =>
      flag(`big-${i}`, true, {
        kind: 'json',
        variations: [
          { key: 'on', value: { blob: `${'🚀'.repeat(3000)}${'x'.repeat(1001)}` } },
          { key: 'off', value: { blob: '' } },
        ],
      }),
    );
    for (const f of big) await putFlag(f);
    const { pointer, ruleset } = await publisher.publishIfChanged();
    expect(pointer.chunks).toBeGreaterThan(1);
    expect(JSON.parse(await repo.body(pointer.revision))).toEqual(ruleset);
    for (const piece of chunkString('a🚀b🚀', 2))
      expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('serves evaluation from the cache, sees a new revision within the revalidation interval, and survives the cache going down', async () => {
    const cache = new RedisRulesetCache(redis.url);
    let now = 0;
    const source = new RulesetSource(repo, cache, 2000, () => now);
    const published = await publisher.publishIfChanged();
    await cache.store(published.pointer.revision, JSON.stringify(published.ruleset));
    const first = await source.get();
    expect(first.revision).toBe(published.pointer.revision);
    expect(first.evaluate('checkout', { targetingKey: 'u1' })).toMatchObject({
      value: true,
      reason: 'DEFAULT',
    });

    await putFlag(flag('checkout', false));
    const next = await publisher.publishIfChanged();
    await cache.store(next.pointer.revision, JSON.stringify(next.ruleset));
    expect((await source.get()).revision).toBe(first.revision); // within the interval: L1
    now += 2001;
    const refreshed = await source.get();
    expect(refreshed.revision).toBe(next.pointer.revision);
    expect(refreshed.evaluate('checkout', { targetingKey: 'u1' })).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });

    // The cache goes away: lookups fall back to DynamoDB, no error.
    await redis.stop();
    await putFlag(flag('checkout', true, { rules: [] }));
    await putFlag(flag('after-outage', true));
    const third = await publisher.publishIfChanged();
    now += 2001;
    const degraded = await source.get();
    expect(degraded.revision).toBe(third.pointer.revision);
    expect(degraded.evaluate('after-outage', {})).toMatchObject({ value: true });
    await cache.close();
  });

  it('serves the last good ruleset when DynamoDB and the cache both fail', async () => {
    let now = 0;
    const source = new RulesetSource(repo, noCache, 1000, () => now);
    const good = await source.get();
    const broken = new RulesetSource(
      new RulesetRepository(dynamo.doc, 'no-such-table'),
      noCache,
      1000,
      () => now,
    );
    await expect(broken.get()).rejects.toThrow();
    // A source that once loaded keeps serving after its store disappears.
    (source as unknown as { repository: RulesetRepository }).repository = new RulesetRepository(
      dynamo.doc,
      'gone',
    );
    now += 5000;
    expect((await source.get()).revision).toBe(good.revision);
  });
});

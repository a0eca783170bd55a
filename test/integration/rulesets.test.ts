import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ENTRY_SHARDS, keys } from '../../shared/db/keys';
import type { Flag } from '../../shared/flags/requests';
import { compileRuleset, type Ruleset } from '../../shared/rules';
import { IncrementalRuleset } from '../../shared/rules/incremental';
import { noCache, RedisRulesetCache } from '../../shared/rulesets/cache';
import { buildRulesetContent } from '../../shared/rulesets/document';
import {
  dynamoConfiguration,
  readRulesetConfiguration,
  RulesetPublisher,
  type ConfigurationReader,
  type PublishOutcome,
  type ResourceRef,
} from '../../shared/rulesets/publisher';
import {
  chunkString,
  INLINE_TEXT_BYTES,
  RulesetRepository,
  type StoredEntry,
} from '../../shared/rulesets/repository';
import { RulesetSource } from '../../shared/rulesets/source';
import { putConfigItem } from '../support/config-items';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { startTestRedis, type TestRedis } from '../support/redis';
import {
  answersOf,
  CONTEXTS,
  EXPERIMENT_KEYS,
  FLAG_KEYS,
  LAYER_KEYS,
  randomExperiment,
  randomFlag,
  randomLayer,
  randomSegment,
  SEGMENT_KEYS,
  seeded,
} from '../support/ruleset-changes';

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

const serverFields = {
  name: 'n',
  description: '',
  tags: [],
  createdBy: 'o',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
};

engines.describe('ruleset publishing and lookup against DynamoDB Local and redis-server', () => {
  let dynamo: TestDynamo;
  let redis: TestRedis;
  let repo: RulesetRepository;
  let config: ConfigurationReader;
  let publisher: RulesetPublisher;

  const put = (kind: ResourceRef['kind'], item: { key: string } & Record<string, unknown>) =>
    putConfigItem(dynamo.doc, dynamo.tableNames.config, kind, item);
  const remove = (kind: ResourceRef['kind'], key: string) =>
    dynamo.doc.send(
      new DeleteCommand({
        TableName: dynamo.tableNames.config,
        Key: { pk: keys.config.resource(kind, key), sk: keys.config.meta },
      }),
    );
  const putFlag = (f: Flag) => put('flag', f as unknown as { key: string });
  const changeFlag = async (f: Flag) => {
    await putFlag(f);
    return publisher.publishChanges([{ kind: 'flag', key: f.key }]);
  };
  /** What a full rebuild of the configuration as it is now gives: the document and its compiled form. */
  const rebuilt = async () => {
    const revision = (await repo.current())?.revision ?? 0;
    const content = buildRulesetContent(await readRulesetConfiguration(dynamo.doc, dynamo.tableNames.config));
    return JSON.stringify({ revision, ...content });
  };
  const expectEquivalent = async (source: RulesetSource) => {
    const expected = await rebuilt();
    const compiled = await source.get();
    expect((await source.body()).body).toBe(expected);
    expect(answersOf(compiled)).toEqual(answersOf(compileRuleset(JSON.parse(expected) as Ruleset)));
  };

  beforeAll(async () => {
    [dynamo, redis] = await Promise.all([startTestDynamo(), startTestRedis()]);
    repo = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    config = dynamoConfiguration(dynamo.doc, dynamo.tableNames.config);
    publisher = new RulesetPublisher(config, repo);
  }, scaledMs(60_000));
  afterAll(async () => {
    await redis?.stop();
    await dynamo?.stop();
  });

  it('publishes revision 1, then only the entries whose wire form changed', async () => {
    await putFlag(flag('checkout', false));
    // No pointer yet: the first publish is a full one, whatever the change named.
    expect(await publisher.publishChanges([{ kind: 'flag', key: 'checkout' }])).toMatchObject({
      published: true,
      revision: 1,
    });
    const [entry] = await repo.entries(['flag#checkout']);
    expect(JSON.parse(entry!.text!)).not.toHaveProperty('owner');
    expect((await publisher.publishAll()).published).toBe(false);
    // Server-side fields (version, timestamps) are not content: no new revision.
    expect(
      (await changeFlag(flag('checkout', false, { version: 2, updatedAt: '2026-02-01T00:00:00.000Z' })))
        .published,
    ).toBe(false);
    expect(await changeFlag(flag('checkout', true))).toMatchObject({
      published: true,
      revision: 2,
      writes: 1,
    });
    expect(await repo.deltas(2, 2)).toEqual([{ revision: 2, changes: ['flag#checkout'] }]);
    const source = new RulesetSource(repo, noCache, 0);
    expect(JSON.parse((await source.body()).body)).toMatchObject({
      revision: 2,
      hashVersion: 1,
      flags: [{ key: 'checkout', enabled: true }],
    });
  });

  it('lets concurrent publishers agree: one revision per change, the loser reads again', async () => {
    // Both publishers read the pointer and the configuration before either writes (their first reads only:
    // the loser's second attempt goes through).
    let waiting: (() => void)[] = [];
    let gated = 0;
    const gate = (): Promise<void> => {
      if (++gated > 2) return Promise.resolve();
      return new Promise((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) {
          waiting.forEach((r) => r());
          waiting = [];
        }
      });
    };
    const gatedConfig: ConfigurationReader = {
      all: () => config.all(),
      get: async (kind, key) => {
        const read = await config.get(kind, key);
        await gate();
        return read;
      },
    };
    const racing = () => new RulesetPublisher(gatedConfig, repo);
    const start = (await publisher.publishAll()).revision;

    await putFlag(flag('race', true));
    const same = await Promise.all([
      racing().publishChanges([{ kind: 'flag', key: 'race' }]),
      racing().publishChanges([{ kind: 'flag', key: 'race' }]),
    ]);
    expect(same.filter((r) => r.published)).toHaveLength(1);
    expect((await repo.current())?.revision).toBe(start + 1);

    gated = 0;
    await putFlag(flag('race-a', true));
    await putFlag(flag('race-b', true));
    const different = await Promise.all([
      racing().publishChanges([{ kind: 'flag', key: 'race-a' }]),
      racing().publishChanges([{ kind: 'flag', key: 'race-b' }]),
    ]);
    expect(different.every((r) => r.published)).toBe(true);
    expect((await repo.current())?.revision).toBe(start + 3);
    expect((await repo.deltas(start + 2, start + 3)).flatMap((d) => d.changes).sort()).toEqual([
      'flag#race-a',
      'flag#race-b',
    ]);
    await expectEquivalent(new RulesetSource(repo, noCache, 0));
  });

  it('splits a change larger than one transaction into revisions an instance catches up through', async () => {
    const source = new RulesetSource(repo, noCache, 0);
    await expectEquivalent(source);
    const before = (await repo.current())!.revision;
    const many = Array.from({ length: 230 }, (_, i) =>
      flag(`bulk-${String(i).padStart(3, '0')}`, i % 2 === 0),
    );
    for (const f of many) await putFlag(f);
    const outcome = await publisher.publishChanges(many.map((f) => ({ kind: 'flag' as const, key: f.key })));
    expect(outcome).toMatchObject({ published: true, revisions: 3, writes: 230, revision: before + 3 });
    await expectEquivalent(source);
    expect(source.lastRefresh).toMatchObject({ kind: 'delta', revision: before + 3, entries: 230 });

    // Deleting them: tombstones, in revisions too.
    for (const f of many) await remove('flag', f.key);
    expect(await publisher.publishAll()).toMatchObject({ revisions: 3, writes: 230 });
    await expectEquivalent(source);
    expect(source.lastRefresh).toMatchObject({ kind: 'delta' });
  });

  it('loads everything again when a delta it needs has expired', async () => {
    const source = new RulesetSource(repo, noCache, 0);
    await source.get();
    await changeFlag(flag('checkout', false, { rules: [] }));
    const { revision } = await changeFlag(flag('gap', true));
    await dynamo.doc.send(
      new DeleteCommand({
        TableName: dynamo.tableNames.rulesets,
        Key: { pk: keys.rulesets.deltas, sk: keys.rulesets.delta(revision - 1) },
      }),
    );
    await expectEquivalent(source);
    expect(source.lastRefresh).toMatchObject({ kind: 'full', revision });
  });

  it('keeps an entry above the inline size in a blob, never splitting a surrogate pair', async () => {
    const big = flag('big', true, {
      kind: 'json',
      variations: [
        { key: 'on', value: { blob: `${'🚀'.repeat(30_000)}${'x'.repeat(1001)}` } },
        { key: 'off', value: { blob: '' } },
      ],
    });
    await changeFlag(big);
    const item = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.tableNames.rulesets, Key: keys.rulesets.entry('flag', 'big') }),
    );
    expect(item.Item?.text).toBeUndefined();
    expect(item.Item?.blob).toMatchObject({ parts: expect.any(Number) });
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(INLINE_TEXT_BYTES);
    await expectEquivalent(new RulesetSource(repo, noCache, 0));
    for (const piece of chunkString('a🚀b🚀', 2))
      expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it(
    'gives, change after change, the same document and answers as a full rebuild (random changes)',
    async () => {
      const random = seeded(7);
      const warm = new RulesetSource(repo, noCache, 0);
      await warm.get();
      for (let step = 0; step < 40; step++) {
        const refs: ResourceRef[] = [];
        for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
          const roll = random();
          const drop = random() < 0.2;
          if (roll < 0.45) {
            const key = FLAG_KEYS[Math.floor(random() * FLAG_KEYS.length)]!;
            if (drop) await remove('flag', key);
            else
              await put('flag', {
                ...randomFlag(random, key),
                ...serverFields,
                owner: 'o',
                temporary: true,
                prerequisites: [],
              });
            refs.push({ kind: 'flag', key });
          } else if (roll < 0.7) {
            const key = SEGMENT_KEYS[Math.floor(random() * SEGMENT_KEYS.length)]!;
            if (drop) await remove('segment', key);
            else await put('segment', { ...randomSegment(random, key), ...serverFields });
            refs.push({ kind: 'segment', key });
          } else if (roll < 0.9) {
            const index = Math.floor(random() * EXPERIMENT_KEYS.length);
            const key = EXPERIMENT_KEYS[index]!;
            if (drop) await remove('experiment', key);
            else {
              const status = random() < 0.6 ? 'ACTIVE' : random() < 0.5 ? 'PAUSED' : 'DRAFT';
              await put('experiment', { ...randomExperiment(random, key, index), ...serverFields, status });
            }
            refs.push({ kind: 'experiment', key });
          } else {
            const key = LAYER_KEYS[Math.floor(random() * LAYER_KEYS.length)]!;
            if (drop) await remove('layer', key);
            else await put('layer', { ...randomLayer(random, key), ...serverFields });
            refs.push({ kind: 'layer', key });
          }
        }
        await publisher.publishChanges(refs);
        // Incremental publishing leaves nothing for a full comparison to find.
        if (step % 10 === 9) expect((await publisher.publishAll()).published).toBe(false);
        await expectEquivalent(warm);
        if (step % 10 === 9) await expectEquivalent(new RulesetSource(repo, noCache, 0));
      }
    },
    scaledMs(60_000),
  );

  it('serves evaluation from the cached pointer, sees a new revision within the revalidation interval, and survives the cache going down', async () => {
    const cache = new RedisRulesetCache(redis.url);
    let now = 0;
    const source = new RulesetSource(repo, cache, 2000, () => now);
    const published = await changeFlag(flag('checkout', true));
    await cache.advance(published.revision);
    const first = await source.get();
    expect(first.revision).toBe(published.revision);
    expect(first.evaluate('checkout', { targetingKey: 'u1' })).toMatchObject({
      value: true,
      reason: 'DEFAULT',
    });

    const next = await changeFlag(flag('checkout', false));
    await cache.advance(next.revision);
    expect((await source.get()).revision).toBe(first.revision); // within the interval: L1
    now += 2001;
    const refreshed = await source.get();
    expect(refreshed.revision).toBe(next.revision);
    expect(refreshed.evaluate('checkout', { targetingKey: 'u1' })).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
    // The previous revision, held by a request in flight, is unchanged.
    expect(first.evaluate('checkout', { targetingKey: 'u1' })).toMatchObject({ value: true });

    // The cache goes away: lookups fall back to DynamoDB, no error.
    await redis.stop();
    await putFlag(flag('checkout', true));
    await putFlag(flag('after-outage', true));
    const third = await publisher.publishChanges([
      { kind: 'flag', key: 'checkout' },
      { kind: 'flag', key: 'after-outage' },
    ]);
    now += 2001;
    const degraded = await source.get();
    expect(degraded.revision).toBe(third.revision);
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
    await changeFlag(flag('checkout', false));
    now += 5000;
    expect((await source.get()).revision).toBe(good.revision);
  });

  it('does not load everything again at every revalidation when the cache names a revision the table lacks', async () => {
    const stored = (await repo.current())!.revision;
    // After a table restore: the cache still names a later revision, whose deltas the table never had.
    const ahead = { ...noCache, currentRevision: async () => stored + 50 };
    const scans = jest.spyOn(repo, 'scanEntries');
    try {
      const source = new RulesetSource(repo, ahead, 0);
      expect((await source.get()).revision).toBe(stored);
      expect(scans).toHaveBeenCalledTimes(1);
      await source.get();
      await source.get();
      expect(scans).toHaveBeenCalledTimes(1);
      // A real change still arrives: the table's pointer moved, so the instance loads it.
      const { revision } = await changeFlag(flag('restored', true));
      expect((await source.get()).revision).toBe(revision);
      await expectEquivalent(source);
    } finally {
      scans.mockRestore();
    }
  });

  it('after an apply that failed part-way, keeps serving what it held, then loads everything into a new engine', async () => {
    const source = new RulesetSource(repo, noCache, 0);
    const held = await source.get();
    const { revision } = await changeFlag(flag('spoiled', true));
    const apply = jest
      .spyOn(IncrementalRuleset.prototype, 'apply')
      .mockRejectedValueOnce(new Error('out of memory half-way'));
    try {
      expect((await source.get()).revision).toBe(held.revision);
      expect(apply).toHaveBeenCalledTimes(1);
    } finally {
      apply.mockRestore();
    }
    expect((await source.get()).revision).toBe(revision);
    expect(source.lastRefresh).toMatchObject({ kind: 'full', revision });
    await expectEquivalent(source);
  });

  it('ends a full load that overlaps a publish at the newest revision, with the answers of a fresh full load', async () => {
    // A flag in every entry partition, so that the publish changes partitions the load reads before it and after.
    const changed: string[] = [];
    const partitions = new Set<string>();
    for (let i = 0; partitions.size < ENTRY_SHARDS; i++) {
      const key = `overlap-${i}`;
      const { pk } = keys.rulesets.entry('flag', key);
      if (!partitions.has(pk)) changed.push(key);
      partitions.add(pk);
    }
    for (const key of changed) await putFlag(flag(key, true));
    await putFlag(flag('overlap-doomed', true));
    const read = await publisher.publishChanges(
      [...changed, 'overlap-doomed'].map((key) => ({ kind: 'flag' as const, key })),
    );
    expect(read.published).toBe(true);

    // The configuration moves on; it is published while the instance's full load is half-way through its scan.
    for (const key of changed) await putFlag(flag(key, false, { offVariation: 'on' }));
    await remove('flag', 'overlap-doomed');
    await putFlag(flag('overlap-born', true));
    const refs = [...changed, 'overlap-doomed', 'overlap-born'].map((key) => ({
      kind: 'flag' as const,
      key,
    }));
    let overlapping: PublishOutcome | undefined;
    const before: StoredEntry[] = [];
    const after: StoredEntry[] = [];
    const loading = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    jest.spyOn(loading, 'scanEntries').mockImplementation((onPage, kind) =>
      repo.scanEntries(async (page) => {
        // The first page was read before the publish. The repository reads 4 partitions at a time and waits for
        // each page's handler, so the partitions after the first 4 are read after it.
        if (overlapping === undefined) {
          before.push(...page);
          overlapping = await publisher.publishChanges(refs);
        } else after.push(...page);
        await onPage(page);
      }, kind),
    );

    const source = new RulesetSource(loading, noCache, 0);
    const loaded = await source.get();
    expect(overlapping).toMatchObject({ published: true, revisions: 1, revision: read.revision + 1 });
    // The overlap happened: the scan saw a changed entry as it was at the pointer it read, and entries newer.
    expect(before.some((e) => changed.includes(e.key) && e.rev === read.revision)).toBe(true);
    expect(after.some((e) => e.rev === overlapping!.revision)).toBe(true);
    expect(loaded.revision).toBe(overlapping!.revision);
    expect(source.lastRefresh).toMatchObject({ kind: 'delta', revision: overlapping!.revision });
    expect(loaded.evaluate('overlap-doomed', {})).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
    expect(loaded.evaluate('overlap-born', {})).toMatchObject({ value: true });
    for (const key of changed)
      expect(loaded.evaluate(key, {})).toMatchObject({ reason: 'DISABLED', value: true });

    const fresh = new RulesetSource(repo, noCache, 0);
    expect(answersOf(loaded)).toEqual(answersOf(await fresh.get()));
    expect((await source.body()).body).toBe((await fresh.body()).body);
    await expectEquivalent(source);
  });

  it('takes an entry a delta names whose item is gone (its tombstone expired) for a deletion', async () => {
    await putFlag(flag('ephemeral', true));
    await putFlag(flag('bystander', true));
    await publisher.publishChanges([
      { kind: 'flag', key: 'ephemeral' },
      { kind: 'flag', key: 'bystander' },
    ]);
    const source = new RulesetSource(repo, noCache, 0);
    const held = await source.get();
    expect(held.evaluate('ephemeral', {})).toMatchObject({ value: true });

    await remove('flag', 'ephemeral');
    const { revision } = await publisher.publishChanges([{ kind: 'flag', key: 'ephemeral' }]);
    expect(await repo.deltas(revision, revision)).toEqual([{ revision, changes: ['flag#ephemeral'] }]);
    expect(await repo.entries(['flag#ephemeral'])).toEqual([
      { kind: 'flag', key: 'ephemeral', rev: revision, text: null },
    ]);
    // What the TTL does to the tombstone: the item goes entirely.
    await dynamo.doc.send(
      new DeleteCommand({
        TableName: dynamo.tableNames.rulesets,
        Key: keys.rulesets.entry('flag', 'ephemeral'),
      }),
    );
    expect(await repo.entries(['flag#ephemeral'])).toEqual([]);

    const caught = await source.get();
    expect(source.lastRefresh).toMatchObject({ kind: 'delta', revision, entries: 1 });
    expect(caught.revision).toBe(revision);
    expect(caught.evaluate('ephemeral', {})).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    const others = held.flags.map((f) => f.key).filter((key) => key !== 'ephemeral');
    expect(others).toContain('bystander');
    expect(caught.flags.map((f) => f.key)).toEqual(others);
    for (const context of CONTEXTS) {
      expect(caught.evaluateAll(context, others)).toEqual(held.evaluateAll(context, others));
    }
    expect(caught.assign(CONTEXTS[0])).toEqual(held.assign(CONTEXTS[0]));
    // The revision held before is as it was.
    expect(held.evaluate('ephemeral', {})).toMatchObject({ value: true });
    await expectEquivalent(source);
  });

  it('catches up over several revisions at once, a flag deleted and created again among them, as a fresh full load', async () => {
    await putFlag(flag('phoenix', true));
    await putFlag(flag('steady', true));
    await putFlag(flag('needs-phoenix', true, { prerequisites: [{ flagKey: 'phoenix', variation: 'on' }] }));
    await publisher.publishChanges(
      ['phoenix', 'steady', 'needs-phoenix'].map((key) => ({ kind: 'flag' as const, key })),
    );
    const source = new RulesetSource(repo, noCache, 0);
    const held = await source.get();
    expect(held.evaluate('needs-phoenix', {})).toMatchObject({ reason: 'DEFAULT', value: true });
    const start = held.revision;

    const publish = async (...keys: string[]) =>
      expect(
        await publisher.publishChanges(keys.map((key) => ({ kind: 'flag' as const, key }))),
      ).toMatchObject({ published: true, revisions: 1 });
    await putFlag(flag('fleeting', true));
    await putFlag(flag('steady', false));
    await publish('fleeting', 'steady');
    await remove('flag', 'phoenix');
    await publish('phoenix');
    await remove('flag', 'fleeting');
    await publish('fleeting');
    // Back, serving `off`: the flag that needs it `on` fails its prerequisite.
    await putFlag(flag('phoenix', true, { fallthrough: { variation: 'off' } }));
    await publish('phoenix');
    await putFlag(flag('steady', true, { offVariation: 'on' }));
    await putFlag(flag('newcomer', false));
    await publish('steady', 'newcomer');
    expect((await repo.current())!.revision).toBe(start + 5);

    const caught = await source.get();
    expect(caught.revision).toBe(start + 5);
    expect(source.lastRefresh).toMatchObject({ kind: 'delta', revision: start + 5, entries: 4 });
    expect(caught.evaluate('phoenix', {})).toMatchObject({ reason: 'DEFAULT', value: false });
    expect(caught.evaluate('needs-phoenix', {})).toMatchObject({ reason: 'PREREQUISITE_FAILED' });
    expect(caught.evaluate('fleeting', {})).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
    expect(held.evaluate('phoenix', {})).toMatchObject({ reason: 'DEFAULT', value: true });

    const fresh = new RulesetSource(repo, noCache, 0);
    const full = await fresh.get();
    expect(fresh.lastRefresh).toMatchObject({ kind: 'full', revision: start + 5 });
    expect(answersOf(caught)).toEqual(answersOf(full));
    expect((await source.body()).body).toBe((await fresh.body()).body);
    await expectEquivalent(source);
  });
});

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { putConfigItem } from '../support/config-items';
import { scaledMs } from '../../local/timing';
import { compileRuleset, type Ruleset } from '../../shared/rules';
import { noCache } from '../../shared/rulesets/cache';
import { dynamoConfiguration, RulesetPublisher } from '../../shared/rulesets/publisher';
import {
  MAX_WRITES_PER_REVISION,
  RulesetRepository,
  type EntryWrite,
  type RulesetPointer,
} from '../../shared/rulesets/repository';
import { RulesetSource } from '../../shared/rulesets/source';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { STORED_FLAG_FIELDS } from '../support/config-items';
import { requireEngines } from '../support/engines';
import { booleanFlag } from '../support/flags';
import { answersOf } from '../support/ruleset-changes';
import { writeWholeDocument } from '../support/whole-document';

const engines = requireEngines(['java']);

const stored = STORED_FLAG_FIELDS;

/** A flag as the config table holds it: serving `on` to everyone but the rules' matches. */
const flagItem = (key: string, fields: Record<string, unknown>) => ({
  key,
  ...stored,
  ...booleanFlag(key, { fallthrough: { variation: 'on' }, rules: [], prerequisites: [], clientSide: false }),
  ...fields,
});

/**
 * The move to the entries layout (issue 17, goal 1), against DynamoDB Local: a table whose pointer names a whole
 * document (as every deployment before entries has) keeps being served while the publisher stages the entries, and
 * the pointer moves once, so no instance ever serves a ruleset half written.
 */
engines.describe('ruleset layout upgrade: whole documents → entries', () => {
  let dynamo: TestDynamo;
  /** Pointer reads after each staging transaction: what a reader would have seen meanwhile. */
  const seenWhileStaging: (RulesetPointer | null)[] = [];

  class ObservedRepository extends RulesetRepository {
    override async stageEntries(
      previous: RulesetPointer | null,
      writes: readonly EntryWrite[],
      now: Date,
    ): Promise<void> {
      await super.stageEntries(previous, writes, now);
      seenWhileStaging.push(await this.current());
    }
  }

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());

  const putConfig = (kind: 'flag' | 'segment', item: { key: string } & Record<string, unknown>) =>
    putConfigItem(dynamo.doc, dynamo.tableNames.config, kind, item);

  it('serves the whole document, stages every entry without moving the pointer, then moves it once', async () => {
    await putConfig('segment', {
      ...stored,
      name: 'beta',
      key: 'beta',
      included: ['u-1'],
      excluded: [],
    });
    // More flags than one transaction takes: the move is staged over several.
    const flags = Array.from({ length: MAX_WRITES_PER_REVISION + 60 }, (_, i) => {
      const rules =
        i % 10 === 0
          ? [{ id: 'r', conditions: { op: 'in_segment', values: ['beta'] }, serve: { variation: 'off' } }]
          : [];
      return flagItem(`flag-${String(i).padStart(3, '0')}`, { enabled: i % 3 !== 0, rules });
    });
    for (const flag of flags) await putConfig('flag', flag);
    const body = await writeWholeDocument(dynamo, 7);

    const repo = new ObservedRepository(dynamo.doc, dynamo.tableNames.rulesets);
    const source = new RulesetSource(repo, noCache, 0);
    const before = await source.get();
    expect(before.revision).toBe(7);
    expect(answersOf(before)).toEqual(answersOf(compileRuleset(JSON.parse(body) as Ruleset)));
    expect((await source.body()).body).toBe(body);

    const publisher = new RulesetPublisher(dynamoConfiguration(dynamo.doc, dynamo.tableNames.config), repo);
    expect(await publisher.publishAll()).toMatchObject({ published: true, revision: 8, revisions: 1 });
    // Staged in more than one transaction, and the pointer still named the whole document after each.
    expect(seenWhileStaging.length).toBeGreaterThan(1);
    for (const pointer of seenWhileStaging)
      expect(pointer).toMatchObject({ revision: 7, hash: 'whole-document' });
    expect(await repo.current()).toMatchObject({ revision: 8, layout: 'entries' });

    // The revision that moved the layout has no delta: the instance loads every entry, and serves the same.
    const after = await source.get();
    expect(source.lastRefresh).toMatchObject({ kind: 'full', revision: 8 });
    const expected = JSON.stringify({ ...JSON.parse(body), revision: 8 });
    expect((await source.body()).body).toBe(expected);
    expect(answersOf(after)).toEqual(answersOf(compileRuleset(JSON.parse(expected) as Ruleset)));

    // From now on a change is one small revision.
    await putConfig('flag', flagItem('flag-001', { enabled: false }));
    expect(await publisher.publishChanges([{ kind: 'flag', key: 'flag-001' }])).toMatchObject({
      revision: 9,
      revisions: 1,
      writes: 1,
    });
    expect((await source.get()).evaluate('flag-001', { targetingKey: 'u-2' }).value).toBe(false);
    expect(source.lastRefresh).toMatchObject({ kind: 'delta', revision: 9, entries: 1 });
  });

  it('refuses to stage for a pointer that has moved: a late publisher cannot overwrite entries being served', async () => {
    const repo = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    const stale: RulesetPointer = { revision: 7, publishedAt: '2026-01-01T00:00:00.000Z' };
    await expect(
      repo.stageEntries(stale, [{ kind: 'flag', key: 'flag-001', text: '{"stale":true}' }], new Date()),
    ).rejects.toBeInstanceOf(TransactionCanceledException);
    expect((await repo.entries(['flag#flag-001']))[0]?.text).not.toBe('{"stale":true}');
  });
});

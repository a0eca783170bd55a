import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { scaledMs } from '../../local/timing';
import { keys } from '../../shared/db/keys';
import { logger } from '../../shared/observability';
import { dynamoConfiguration, RulesetPublisher } from '../../shared/rulesets/publisher';
import { noCache } from '../../shared/rulesets/cache';
import { RulesetRepository, type EntryKind } from '../../shared/rulesets/repository';
import { RulesetSource } from '../../shared/rulesets/source';
import { putConfigItem, STORED_FLAG_FIELDS } from '../support/config-items';
import { startTestDynamo, type TestDynamo } from '../support/dynamo';
import { requireEngines } from '../support/engines';
import { booleanFlag } from '../support/flags';
import { writeWholeDocument } from '../support/whole-document';

const engines = requireEngines(['java']);

/** DELTA_TTL_SECONDS, restated: how long a retired blob stays readable. */
const DAY = 24 * 3600;
const expiryFor = (now: Date) => Math.floor(now.getTime() / 1000) + DAY;

const stored = STORED_FLAG_FIELDS;

/**
 * A JSON flag as the config table holds it whose `on` value is `fill` repeated `times` times: 100 000 characters
 * make a wire form above 32 KiB (a blob) in two parts; 10 make one stored inline.
 */
const jsonFlag = (key: string, fill: string, times = 100_000) => ({
  key,
  ...stored,
  ...booleanFlag(key, {
    kind: 'json',
    variations: [
      { key: 'on', value: { blob: fill.repeat(times) } },
      { key: 'off', value: { blob: '' } },
    ],
    fallthrough: { variation: 'on' },
    rules: [],
    prerequisites: [],
    clientSide: false,
  }),
});

/**
 * Retirement of the blobs that replaced large entries leave behind (issue 17 follow-up), against DynamoDB Local:
 * their parts get `expiresAt` (the table's TTL) once nothing points at them, never while something does.
 */
engines.describe('ruleset blobs: retired when replaced, kept while pointed at', () => {
  let dynamo: TestDynamo;
  let repo: RulesetRepository;
  let publisher: RulesetPublisher;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    repo = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    publisher = new RulesetPublisher(dynamoConfiguration(dynamo.doc, dynamo.tableNames.config), repo);
    await publisher.publishAll();
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());

  const putFlag = (flag: { key: string }) =>
    putConfigItem(dynamo.doc, dynamo.tableNames.config, 'flag', flag);
  const publishFlag = async (flag: { key: string }, now = new Date(), by = publisher) => {
    await putFlag(flag);
    return by.publishChanges([{ kind: 'flag', key: flag.key }], now);
  };
  /** The blob hash the entry item points at (undefined: inline, a tombstone or no item). */
  const blobOf = async (kind: EntryKind, key: string): Promise<string | undefined> => {
    const out = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.tableNames.rulesets, Key: keys.rulesets.entry(kind, key) }),
    );
    return (out.Item?.blob as { hash: string } | undefined)?.hash;
  };
  /** `expiresAt` of each part of the blob, in part order (undefined: none). */
  const expiriesOf = async (hash: string): Promise<(number | undefined)[]> => {
    const out = await dynamo.doc.send(
      new QueryCommand({
        TableName: dynamo.tableNames.rulesets,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `BLOB#${hash}` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((part) => part.expiresAt as number | undefined);
  };
  const textOf = async (key: string) => (await repo.entries([`flag#${key}`]))[0]?.text;

  it('retires the parts of a replaced large entry, and leaves the new ones without an expiry', async () => {
    await publishFlag(jsonFlag('replaced', 'a'));
    const a = (await blobOf('flag', 'replaced'))!;
    expect(await expiriesOf(a)).toEqual([undefined, undefined]);

    const now = new Date();
    expect(await publishFlag(jsonFlag('replaced', 'b'), now)).toMatchObject({ published: true, writes: 1 });
    const b = (await blobOf('flag', 'replaced'))!;
    expect(b).not.toBe(a);
    expect(await expiriesOf(a)).toEqual([expiryFor(now), expiryFor(now)]);
    expect(await expiriesOf(b)).toEqual([undefined, undefined]);
    expect(await textOf('replaced')).toContain('bbbb');
  });

  it('retires the blob of a deleted large entry', async () => {
    await publishFlag(jsonFlag('deleted', 'c'));
    const c = (await blobOf('flag', 'deleted'))!;
    await dynamo.doc.send(
      new DeleteCommand({
        TableName: dynamo.tableNames.config,
        Key: { pk: keys.config.resource('flag', 'deleted'), sk: keys.config.meta },
      }),
    );
    const now = new Date();
    expect(await publisher.publishChanges([{ kind: 'flag', key: 'deleted' }], now)).toMatchObject({
      published: true,
    });
    expect(await textOf('deleted')).toBeNull();
    expect(await expiriesOf(c)).toEqual([expiryFor(now), expiryFor(now)]);
  });

  it('retires the blob when the entry becomes small enough to sit in its item (found by the sweep)', async () => {
    await publishFlag(jsonFlag('shrunk', 'd'));
    const d = (await blobOf('flag', 'shrunk'))!;
    await putFlag(jsonFlag('shrunk', 'd', 10));
    const now = new Date();
    // The repair sweep this time: it finds the change by comparing everything.
    expect(await publisher.publishAll(now)).toMatchObject({ published: true, writes: 1 });
    expect(await blobOf('flag', 'shrunk')).toBeUndefined();
    expect(await textOf('shrunk')).toContain('"dddddddddd"');
    expect(await expiriesOf(d)).toEqual([expiryFor(now), expiryFor(now)]);
  });

  it('leaves a blob the entry points at again without an expiry (A → B → A), and refuses to retire it', async () => {
    await publishFlag(jsonFlag('reverted', 'e'));
    const e = (await blobOf('flag', 'reverted'))!;
    await publishFlag(jsonFlag('reverted', 'f'));
    const f = (await blobOf('flag', 'reverted'))!;
    expect(await expiriesOf(e)).toEqual([expect.any(Number), expect.any(Number)]);

    const now = new Date();
    await publishFlag(jsonFlag('reverted', 'e'), now);
    expect(await blobOf('flag', 'reverted')).toBe(e);
    expect(await expiriesOf(e)).toEqual([undefined, undefined]);
    expect(await expiriesOf(f)).toEqual([expiryFor(now), expiryFor(now)]);

    // A late retirement of the text the entry holds again: its condition fails, nothing changes, no error.
    const eText = (await textOf('reverted'))!;
    expect(await repo.retireBlob('flag', 'reverted', eText, new Date())).toBe(false);
    expect(await expiriesOf(e)).toEqual([undefined, undefined]);
  });

  it('ends with no expiry on a blob a stale retirement hit between storing it and the revision that points at it', async () => {
    await publishFlag(jsonFlag('raced', 'g'));
    const g = (await blobOf('flag', 'raced'))!;
    const gText = (await textOf('raced'))!;
    await publishFlag(jsonFlag('raced', 'h'));

    // The reverting publisher's client runs the other publisher's late retirement of G just before the revision's
    // transaction: G's parts are stored again by then, and the entry still points at H.
    const racingDoc = DynamoDBDocumentClient.from(dynamo.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const send = racingDoc.send.bind(racingDoc) as (command: unknown) => Promise<unknown>;
    let seenDuringRace: (number | undefined)[] | undefined;
    racingDoc.send = (async (command: unknown) => {
      if (command instanceof TransactWriteCommand && seenDuringRace === undefined) {
        expect(await repo.retireBlob('flag', 'raced', gText, new Date())).toBe(true);
        seenDuringRace = await expiriesOf(g);
      }
      return send(command);
    }) as typeof racingDoc.send;
    const racing = new RulesetPublisher(
      dynamoConfiguration(dynamo.doc, dynamo.tableNames.config),
      new RulesetRepository(racingDoc, dynamo.tableNames.rulesets),
    );

    expect(await publishFlag(jsonFlag('raced', 'g'), new Date(), racing)).toMatchObject({ published: true });
    expect(await blobOf('flag', 'raced')).toBe(g);
    // The race happened: the stale retirement did mark G's parts…
    expect(seenDuringRace).toEqual([expect.any(Number), expect.any(Number)]);
    // …and the publisher that pointed the entry at G took the expiry back after its commit.
    expect(await expiriesOf(g)).toEqual([undefined, undefined]);
  });

  it('publishes even when settling blobs fails, and logs it', async () => {
    class FailingRepository extends RulesetRepository {
      override retireBlob(): Promise<boolean> {
        // What a throttled transaction throws: the publisher must not take it for a pointer that moved.
        return Promise.reject(
          new TransactionCanceledException({
            message: 'Transaction cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'ThrottlingError' }],
          }),
        );
      }
      override keepBlob(): Promise<boolean> {
        return Promise.reject(new Error('keep failed'));
      }
    }
    const failing = new RulesetPublisher(
      dynamoConfiguration(dynamo.doc, dynamo.tableNames.config),
      new FailingRepository(dynamo.doc, dynamo.tableNames.rulesets),
    );
    await publishFlag(jsonFlag('unsettled', 'i'));
    const i = (await blobOf('flag', 'unsettled'))!;
    const before = (await repo.current())!.revision;
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      expect(await publishFlag(jsonFlag('unsettled', 'j'), new Date(), failing)).toMatchObject({
        published: true,
        revision: before + 1,
        revisions: 1,
      });
      expect(logged).toHaveBeenCalledWith(
        expect.stringContaining('ruleset blobs not settled'),
        expect.objectContaining({ revision: before + 1, error: expect.stringContaining('keep failed') }),
      );
    } finally {
      logged.mockRestore();
    }
    expect(await textOf('unsettled')).toContain('jjjj');
    // Garbage left rather than a failed publish.
    expect(await expiriesOf(i)).toEqual([undefined, undefined]);
  });

  /** Set `expiresAt` on every part of a blob, or delete them all: what a late retirement, then the TTL, do. */
  const partsOf = async (hash: string) =>
    (
      await dynamo.doc.send(
        new QueryCommand({
          TableName: dynamo.tableNames.rulesets,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `BLOB#${hash}` },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const expireParts = async (hash: string, expiresAt: number) => {
    for (const part of await partsOf(hash)) {
      await dynamo.doc.send(
        new UpdateCommand({
          TableName: dynamo.tableNames.rulesets,
          Key: { pk: part.pk, sk: part.sk },
          UpdateExpression: 'SET expiresAt = :at',
          ExpressionAttributeValues: { ':at': expiresAt },
        }),
      );
    }
  };
  const deleteParts = async (hash: string) => {
    for (const part of await partsOf(hash)) {
      await dynamo.doc.send(
        new DeleteCommand({ TableName: dynamo.tableNames.rulesets, Key: { pk: part.pk, sk: part.sk } }),
      );
    }
  };

  it('the sweep takes the expiry back from a blob its entry points at (a keep that never happened)', async () => {
    await publishFlag(jsonFlag('unkept', 'k'));
    const k = (await blobOf('flag', 'unkept'))!;
    // A stale retirement landed and the reverting publisher's keep failed: expiring under its entry.
    await expireParts(k, expiryFor(new Date()));
    expect(await expiriesOf(k)).toEqual([expect.any(Number), expect.any(Number)]);
    await publisher.publishAll();
    expect(await blobOf('flag', 'unkept')).toBe(k);
    expect(await expiriesOf(k)).toEqual([undefined, undefined]);
  });

  it('writes again an entry whose blob parts are gone, so that instances load it again', async () => {
    await publishFlag(jsonFlag('lost', 'l'));
    const l = (await blobOf('flag', 'lost'))!;
    await deleteParts(l);
    // An instance refuses to read a ruleset without that entry rather than serve one.
    await expect(repo.entries(['flag#lost'])).rejects.toThrow(/blob parts missing/);
    const before = (await repo.current())!.revision;
    expect(await publisher.publishAll()).toMatchObject({ published: true, revision: before + 1 });
    expect(await blobOf('flag', 'lost')).toBe(l);
    expect(await expiriesOf(l)).toEqual([undefined, undefined]);
    const ruleset = await new RulesetSource(repo, noCache, 0).get();
    expect(ruleset.evaluate('lost', {})).toMatchObject({
      variation: 'on',
      value: { blob: 'l'.repeat(100_000) },
    });
  });

  it('a change published for an entry whose blob is gone writes it again too', async () => {
    await publishFlag(jsonFlag('lost-too', 'p'));
    const p = (await blobOf('flag', 'lost-too'))!;
    await deleteParts(p);
    // The same definition again (a no-op change by content): the entry is still rewritten, its parts stored.
    expect(await publisher.publishChanges([{ kind: 'flag', key: 'lost-too' }])).toMatchObject({
      published: true,
      writes: 1,
    });
    expect(await textOf('lost-too')).toContain('pppp');
  });

  it('does not create a part when retiring a blob whose parts are already gone', async () => {
    await publishFlag(jsonFlag('gone', 'm'));
    const mText = (await textOf('gone'))!;
    const m = (await blobOf('flag', 'gone'))!;
    await publishFlag(jsonFlag('gone', 'n'));
    await deleteParts(m);
    expect(await repo.retireBlob('flag', 'gone', mText, new Date())).toBe(false);
    expect(await partsOf(m)).toEqual([]);
  });
});

engines.describe('ruleset blobs: the whole document the entries layout replaced expires', () => {
  let dynamo: TestDynamo;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  }, scaledMs(60_000));
  afterAll(() => dynamo?.stop());

  it('sets expiresAt on every chunk of the last whole-document revision after the pointer moves', async () => {
    for (const key of ['one', 'two', 'three']) {
      await putConfigItem(dynamo.doc, dynamo.tableNames.config, 'flag', jsonFlag(key, key, 200));
    }
    await writeWholeDocument(dynamo, 7);
    const chunks = async () =>
      (
        await dynamo.doc.send(
          new QueryCommand({
            TableName: dynamo.tableNames.rulesets,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'REVISION#000000000007' },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [];
    expect((await chunks()).length).toBeGreaterThan(1);
    expect((await chunks()).every((c) => c.expiresAt === undefined)).toBe(true);

    const repo = new RulesetRepository(dynamo.doc, dynamo.tableNames.rulesets);
    const publisher = new RulesetPublisher(dynamoConfiguration(dynamo.doc, dynamo.tableNames.config), repo);
    const now = new Date();
    expect(await publisher.publishAll(now)).toMatchObject({ published: true, revision: 8 });
    expect(await repo.current()).toMatchObject({ revision: 8, layout: 'entries' });
    const retired = await chunks();
    expect(retired.map((c) => c.expiresAt as number | undefined)).toEqual(retired.map(() => expiryFor(now)));
    // Still readable meanwhile, for instances serving revision 7.
    expect(JSON.parse(await repo.wholeDocument(7))).toMatchObject({ revision: 7 });
  });
});

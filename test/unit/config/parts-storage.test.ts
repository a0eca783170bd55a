import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AuditRepository, type FoundEntry } from '../../../shared/audit/repository';
import { MAX_RESOURCE_BYTES } from '../../../shared/config/limits';
import { ConfigRepository, scanConfiguration } from '../../../shared/config/repository';
import type { Versioned } from '../../../shared/config/versioning';
import { splitUtf8 } from '../../../shared/db/parts';

/**
 * How resources and audit entries larger than a DynamoDB item (400 KB) are stored: the resource's JSON in parts
 * beside its META item, the entry's before/after in parts beside the entry, all in the change's one transaction.
 */
interface Thing extends Versioned {
  readonly name: string;
  readonly ids: string[];
}

const context = { actor: 'sub-1', actorName: null, requestId: 'req-1' };
const doc = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const audit = new AuditRepository(client, 'audit');
const things = new ConfigRepository<Thing>(client, 'config', audit, 'segment');

beforeEach(() => doc.reset());
afterAll(() => doc.restore());

const transactions = () =>
  doc.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
/** Roughly what DynamoDB counts: every item's JSON (attribute names and values). */
const bytesOf = (items: readonly unknown[]) =>
  items.reduce<number>((n, i) => n + Buffer.byteLength(JSON.stringify(i)), 0);
const ids = (n: number, length = 43) => Array.from({ length: n }, (_, i) => String(i).padStart(length, 'u'));
const big = (n = 20_000): Omit<Thing, 'version' | 'createdAt' | 'updatedAt' | 'createdBy'> => ({
  key: 'big',
  name: 'Big',
  ids: ids(n),
});

describe('a resource larger than an item', () => {
  it('is created as META with its versioned fields and parts of version 1, audited whole beside the entry', async () => {
    doc.on(TransactWriteCommand).resolves({});
    const created = await things.create(big(), context);
    const [items = []] = transactions();
    const puts = items.map((i) => i.Put);
    expect(puts[0]).toMatchObject({
      TableName: 'config',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'SEGMENT#big', sk: 'META', gsi1pk: 'KIND#segment', key: 'big', version: 1, parts: 3 },
    });
    expect(puts[0]?.Item).not.toHaveProperty('ids');
    expect(puts.slice(1, 4).map((p): unknown[] => [p?.Item?.pk, p?.Item?.sk])).toEqual([
      ['SEGMENT#big', 'PART#000000000001#0000'],
      ['SEGMENT#big', 'PART#000000000001#0001'],
      ['SEGMENT#big', 'PART#000000000001#0002'],
    ]);
    expect(
      JSON.parse(
        puts
          .slice(1, 4)
          .map((p) => String(p?.Item?.data))
          .join(''),
      ),
    ).toEqual(created);
    // The entry keeps its indexes and says how many parts hold before/after, in a partition of their own.
    expect(puts[4]).toMatchObject({
      TableName: 'audit',
      Item: { action: 'segment.create', gsi1pk: 'ACTOR#sub-1', bodyParts: 3 },
    });
    expect(puts[4]?.Item).not.toHaveProperty('after');
    const entryId = String(puts[4]?.Item?.id);
    expect(puts.slice(5).map((p): unknown[] => [p?.Item?.pk, p?.Item?.sk, p?.ConditionExpression])).toEqual([
      [`AUDITBODY#${entryId}`, 'PART#0000', 'attribute_not_exists(pk)'],
      [`AUDITBODY#${entryId}`, 'PART#0001', 'attribute_not_exists(pk)'],
      [`AUDITBODY#${entryId}`, 'PART#0002', 'attribute_not_exists(pk)'],
    ]);
    for (const item of items) expect(bytesOf([item])).toBeLessThan(400 * 1024);
  });

  it('is replaced with the old version’s parts deleted, read from META when this process never saw them', async () => {
    doc.on(TransactWriteCommand).resolves({});
    doc.on(GetCommand).resolves({ Item: { version: 4, parts: 3 } });
    const stored: Thing = { ...big(), createdBy: 'a', createdAt: 'x', updatedAt: 'x', version: 4 };
    const after = await things.replace(stored, { ...big(), name: 'Bigger' }, context);
    const [items = []] = transactions();
    expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
    expect(items[0]?.Put).toMatchObject({
      ExpressionAttributeValues: { ':expected': 4 },
      Item: { version: 5, parts: 3 },
    });
    expect(items.filter((i) => i.Delete).map((i) => i.Delete?.Key)).toEqual([
      { pk: 'SEGMENT#big', sk: 'PART#000000000004#0000' },
      { pk: 'SEGMENT#big', sk: 'PART#000000000004#0001' },
      { pk: 'SEGMENT#big', sk: 'PART#000000000004#0002' },
    ]);

    // The next change knows `after`'s parts without reading them, and deletes them with the resource.
    doc.resetHistory();
    await things.remove(after, { context });
    const [removal = []] = transactions();
    expect(doc.commandCalls(GetCommand)).toHaveLength(0);
    expect(removal.map((i): unknown => (i.Delete ? i.Delete.Key?.sk : i.Put?.Item?.sk))).toEqual([
      'META',
      'PART#000000000005#0000',
      'PART#000000000005#0001',
      'PART#000000000005#0002',
      expect.stringMatching(/Z#/), // the audit entry
      'PART#0000',
      'PART#0001',
      'PART#0002',
    ]);
  });

  it('keeps the largest allowed update (1 MiB before and after) within DynamoDB’s 4 MB per transaction', async () => {
    doc.on(TransactWriteCommand).resolves({});
    doc.on(GetCommand).resolves({ Item: { version: 1, parts: 4 } });
    const fullest = { ...big(0), ids: ['x'.repeat(MAX_RESOURCE_BYTES - 40)] };
    expect(Buffer.byteLength(JSON.stringify(fullest))).toBeLessThanOrEqual(MAX_RESOURCE_BYTES);
    const stored: Thing = { ...fullest, createdBy: 'a', createdAt: 'x', updatedAt: 'x', version: 1 };
    await things.replace(stored, { ...fullest, name: 'Gib' }, context);
    const [items = []] = transactions();
    expect(bytesOf(items)).toBeGreaterThan(3 * MAX_RESOURCE_BYTES);
    expect(bytesOf(items)).toBeLessThan(4_000_000);
    expect(items.length).toBeLessThanOrEqual(100);
  });

  it('is read back from its parts, and read again when a change replaced them in between', async () => {
    const resource: Thing = { ...big(), createdBy: 'a', createdAt: 'x', updatedAt: 'x', version: 2 };
    const parts = splitUtf8(JSON.stringify(resource)).map((data, i) => ({
      pk: 'SEGMENT#big',
      sk: `PART#000000000002#000${i}`,
      data,
    }));
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'SEGMENT#big', sk: 'META', key: 'big', version: 1, parts: 3 } })
      .resolves({ Item: { pk: 'SEGMENT#big', sk: 'META', key: 'big', version: 2, parts: parts.length } });
    doc
      .on(QueryCommand)
      .resolvesOnce({ Items: [] }) // version 1's parts: gone
      .resolves({ Items: parts });
    expect(await things.get('big')).toEqual(resource);
    expect(doc.commandCalls(QueryCommand)[1]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'SEGMENT#big', ':prefix': 'PART#000000000002#' },
      ConsistentRead: true,
    });
  });

  it('is joined from the parts a Scan of the table meets, beside inline resources', async () => {
    const resource: Thing = { ...big(), createdBy: 'a', createdAt: 'x', updatedAt: 'x', version: 7 };
    const parts = splitUtf8(JSON.stringify(resource)).map((data, i) => ({
      pk: 'SEGMENT#big',
      sk: `PART#000000000007#000${i}`,
      data,
    }));
    const small = {
      pk: 'SEGMENT#small',
      sk: 'META',
      gsi1pk: 'KIND#segment',
      key: 'small',
      version: 1,
      ids: [],
    };
    doc.on(ScanCommand).resolves({
      Items: [
        parts[2]!,
        small,
        parts[0]!,
        { pk: 'SEGMENT#big', sk: 'META', key: 'big', version: 7, parts: 3 },
        parts[1]!,
      ],
    });
    const byKind = await scanConfiguration(client, 'config');
    expect(byKind.get('segment')).toEqual([{ key: 'small', version: 1, ids: [] }, resource]);
  });
});

describe('audit entries with bodies stored beside them', () => {
  const entry = (id: string, bodyParts?: number): FoundEntry => ({
    id,
    at: '2026-01-01T00:00:00.000Z',
    actor: 'a',
    actorName: null,
    action: 'segment.update',
    resourceKind: 'segment',
    resourceKey: 'big',
    before: null,
    after: null,
    requestId: 'r',
    ...(bodyParts === undefined ? {} : { bodyParts }),
  });

  it('reads them back for a page within its budget; past it, says they were left out', async () => {
    const body = JSON.stringify({ before: { ids: ids(10) }, after: { ids: ids(11) } });
    const parts = splitUtf8(body, 200);
    doc.on(QueryCommand).resolves({ Items: parts.map((data, i) => ({ sk: `PART#${i}`, data })) });
    const small = { ...entry('2'), before: { name: 'a' }, after: { name: 'b' } };
    const budget = Buffer.byteLength(body) + 100;
    const read = await audit.withBodies(
      [entry('1', parts.length), small, entry('3', parts.length), small],
      budget,
    );
    expect(read[0]).toEqual({ ...entry('1'), before: { ids: ids(10) }, after: { ids: ids(11) } });
    expect(read[0]).not.toHaveProperty('bodyParts');
    expect(read[1]).toEqual(small);
    expect(read[2]).toEqual({ ...entry('3'), bodyOmitted: true });
    expect(read[3]).toEqual(small);
    expect(doc.commandCalls(QueryCommand)).toHaveLength(1);
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': 'AUDITBODY#1',
    });
    // The first entry of a page always comes whole, whatever the budget.
    expect((await audit.withBodies([small], 1))[0]).toEqual(small);
  });

  it('fails loudly rather than answering half a body', async () => {
    doc.on(QueryCommand).resolves({ Items: [{ sk: 'PART#0000', data: '{' }] });
    await expect(audit.withBodies([entry('1', 2)])).rejects.toThrow('audit entry 1 has 1 of 2 parts');
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { keys } from '../../../shared/db/keys';
import { changedResources } from '../../../shared/rulesets/changes';
import {
  INLINE_TEXT_BYTES,
  MAX_BYTES_PER_REVISION,
  MAX_WRITES_PER_REVISION,
  RulesetRepository,
  revisionBatches,
  type EntryWrite,
} from '../../../shared/rulesets/repository';

const record = (pk: string, sk = 'META'): DynamoDBRecord => ({
  eventName: 'MODIFY',
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } },
});

describe('config stream records → ruleset resources', () => {
  it('names each flag, segment, experiment and layer once, parts included, and ignores other kinds', () => {
    expect(
      changedResources([
        record('FLAG#checkout'),
        record('FLAG#checkout', 'PART#000000000002#0001'),
        record('SEGMENT#beta'),
        record('EXPERIMENT#exp-1'),
        record('LAYER#main'),
        record('METRIC#revenue'),
        record('ROLLOUT#ro-1'),
        record('SAFETY#ROLLBACKS', '2026-01-01T00:00:00Z#x'),
      ]),
    ).toEqual([
      { kind: 'flag', key: 'checkout' },
      { kind: 'segment', key: 'beta' },
      { kind: 'experiment', key: 'exp-1' },
      { kind: 'layer', key: 'main' },
    ]);
  });
});

describe('revisions within DynamoDB transaction limits', () => {
  const write = (i: number, text: string | null = '{}'): EntryWrite => ({ kind: 'flag', key: `f${i}`, text });

  it('holds at most MAX_WRITES_PER_REVISION writes, in order', () => {
    const batches = revisionBatches(Array.from({ length: 250 }, (_, i) => write(i)));
    expect(batches.map((b) => b.length)).toEqual([MAX_WRITES_PER_REVISION, MAX_WRITES_PER_REVISION, 54]);
    expect(batches.flat().map((w) => w.key)).toEqual(Array.from({ length: 250 }, (_, i) => `f${i}`));
  });

  it('holds at most MAX_BYTES_PER_REVISION of inline text; text that goes to a blob counts for nothing', () => {
    const inline = 'x'.repeat(INLINE_TEXT_BYTES);
    const perRevision = Math.floor(MAX_BYTES_PER_REVISION / INLINE_TEXT_BYTES);
    const batches = revisionBatches(Array.from({ length: perRevision + 1 }, (_, i) => write(i, inline)));
    expect(batches.map((b) => b.length)).toEqual([perRevision, 1]);
    const blobs = revisionBatches(
      Array.from({ length: 90 }, (_, i) => write(i, 'y'.repeat(INLINE_TEXT_BYTES + 1))),
    );
    expect(blobs.map((b) => b.length)).toEqual([90]);
  });
});

describe('RulesetRepository.writeRevision', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(doc);
  beforeEach(() => {
    mock.reset();
    mock.on(TransactWriteCommand).resolves({});
    mock.on(BatchWriteCommand).resolves({});
  });
  const now = new Date('2026-03-01T00:00:00.000Z');
  const expiresAt = now.getTime() / 1000 + 24 * 3600;

  it('writes the entries, the delta and the pointer in one transaction conditioned on the previous revision', async () => {
    const repo = new RulesetRepository(doc, 'rulesets');
    const pointer = await repo.writeRevision(
      { revision: 41, publishedAt: '', layout: 'entries' },
      [
        { kind: 'segment', key: 'beta', text: '{"key":"beta"}' },
        { kind: 'flag', key: 'old', text: null },
      ],
      now,
    );
    expect(pointer).toEqual({ revision: 42, publishedAt: now.toISOString(), layout: 'entries' });
    const calls = mock.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.TransactItems).toEqual([
      {
        Put: {
          TableName: 'rulesets',
          Item: { ...keys.rulesets.entry('segment', 'beta'), rev: 42, text: '{"key":"beta"}' },
        },
      },
      {
        Put: {
          TableName: 'rulesets',
          Item: { ...keys.rulesets.entry('flag', 'old'), rev: 42, deleted: true, expiresAt },
        },
      },
      {
        Put: {
          TableName: 'rulesets',
          Item: {
            pk: 'DELTAS',
            sk: '000000000042',
            revision: 42,
            changes: ['segment#beta', 'flag#old'],
            expiresAt,
          },
        },
      },
      {
        Put: {
          TableName: 'rulesets',
          Item: {
            pk: 'CURRENT',
            sk: 'CURRENT',
            revision: 42,
            publishedAt: now.toISOString(),
            layout: 'entries',
          },
          ConditionExpression: 'revision = :previous',
          ExpressionAttributeValues: { ':previous': 41 },
        },
      },
    ]);
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('puts a large entry in a blob before the transaction, which then names it', async () => {
    const repo = new RulesetRepository(doc, 'rulesets');
    const text = JSON.stringify({
      key: 'huge',
      included: Array.from({ length: 20_000 }, (_, i) => `unit-${i}`),
    });
    await repo.writeRevision(null, [{ kind: 'segment', key: 'huge', text }], now);
    const parts = mock
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => c.args[0].input.RequestItems!.rulesets!.map((r) => r.PutRequest!.Item!));
    expect(parts.map((p) => p.data as string).join('')).toBe(text);
    for (const part of parts) expect(Buffer.byteLength(JSON.stringify(part))).toBeLessThan(400 * 1024);
    const [entry, , current] = mock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(entry!.Put!.Item).toMatchObject({
      rev: 1,
      blob: { hash: expect.any(String), parts: parts.length },
    });
    expect(entry!.Put!.Item!.text).toBeUndefined();
    expect(current!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    // Transactions start after the blob is complete.
    expect(mock.calls().findIndex((c) => c.args[0] instanceof TransactWriteCommand)).toBe(
      mock.calls().length - 1,
    );
  });
});

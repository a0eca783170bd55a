import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { DynamoDBStreamEvent, KinesisStreamEvent } from 'aws-lambda';
import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { createDynamoClient } from '../../shared/aws/clients';
import { createKinesisClient } from '../../shared/aws/kinesis';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);
const recorded = () =>
  (globalThis as { __switchyardRecorded?: { functionName: string; event: unknown }[] })
    .__switchyardRecorded ?? [];

async function eventually<T>(probe: () => T | undefined, timeoutMs = scaledMs(15_000)): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

engines.describe('local platform wiring: streams, Kinesis and timers reach the real handlers', () => {
  let platform: TestPlatform;
  const entry = 'test/support/recording-handler.ts';

  beforeAll(async () => {
    platform = await startTestPlatform({
      // The recording handler keeps what it receives in memory, which the tests read: in this process.
      inProcess: true,
      streamFunctions: [
        {
          name: 'config-recorder',
          entry,
          source: { kind: 'tableStream', table: 'config' },
          batchSize: 10,
          maxAttempts: 3,
          failures: 'location',
        },
        {
          name: 'events-recorder',
          entry,
          source: { kind: 'events' },
          batchSize: 100,
          maxAttempts: 3,
          failures: 'records',
        },
      ],
      scheduledFunctions: [{ name: 'tick-recorder', entry, everyMinutes: 1 }],
      msPerMinute: 300,
    });
  }, scaledMs(60_000));

  afterAll(async () => {
    await platform?.stop();
  });

  it('delivers config table changes as DynamoDB stream events, re-delivering a failed record', async () => {
    const dynamo = createDynamoClient();
    for (const [key, note] of [
      ['a', 'ok'],
      ['b', 'fail-once'],
      ['c', 'ok'],
    ] as const) {
      await dynamo.send(
        new PutItemCommand({
          TableName: platform.tableNames.config,
          Item: { pk: { S: `FLAG#${key}` }, sk: { S: 'META' }, note: { S: note } },
        }),
      );
    }
    dynamo.destroy();
    const keysSeen = await eventually(() => {
      const keys = recorded()
        .filter((r) => r.functionName === 'config-recorder')
        .flatMap((r) => (r.event as DynamoDBStreamEvent).Records.map((rec) => rec.dynamodb?.Keys?.pk?.S));
      return keys.filter((k) => k === 'FLAG#c').length > 0 && keys.filter((k) => k === 'FLAG#b').length >= 2
        ? keys
        : undefined;
    });
    // b failed once and was delivered again, with c after it; a was never re-delivered.
    expect(keysSeen.filter((k) => k === 'FLAG#a')).toHaveLength(1);
    expect(keysSeen.filter((k) => k === 'FLAG#b')).toHaveLength(2);
    const first = recorded().find((r) => r.functionName === 'config-recorder')!.event as DynamoDBStreamEvent;
    expect(first.Records[0]).toMatchObject({ eventSource: 'aws:dynamodb', eventName: 'INSERT' });
    expect(first.Records[0]?.dynamodb?.NewImage?.note).toEqual({ S: 'ok' });
  });

  it('delivers Kinesis records as Lambda Kinesis events', async () => {
    const track = (unitId: string, name: string) => ({
      eventId: randomUUID(),
      type: 'track',
      name,
      unitId,
      timestamp: new Date().toISOString(),
    });
    const kinesis = createKinesisClient();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: platform.eventsStreamName,
        Records: [
          // Valid events: the platform's own event processor reads the same stream.
          { PartitionKey: 'u1', Data: Buffer.from(JSON.stringify(track('u1', 'signup'))) },
          { PartitionKey: 'u2', Data: Buffer.from(JSON.stringify(track('u2', 'purchase'))) },
        ],
      }),
    );
    kinesis.destroy();
    const names = await eventually(() => {
      const all = recorded()
        .filter((r) => r.functionName === 'events-recorder')
        .flatMap((r) => (r.event as KinesisStreamEvent).Records)
        .map(
          (rec) => (JSON.parse(Buffer.from(rec.kinesis.data, 'base64').toString()) as { name: string }).name,
        );
      return all.length >= 2 ? all : undefined;
    });
    expect(names.sort()).toEqual(['purchase', 'signup']);
  });

  it('runs scheduled jobs on timers with EventBridge-shaped events', async () => {
    const ticks = await eventually(() => {
      const all = recorded().filter((r) => r.functionName === 'tick-recorder');
      return all.length >= 2 ? all : undefined;
    });
    expect(ticks[0]?.event).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  });
});

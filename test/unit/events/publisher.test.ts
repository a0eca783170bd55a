import {
  KinesisClient,
  PutRecordsCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import { EventIngestService } from '../../../shared/events/ingest';
import { EventPublisher } from '../../../shared/events/publisher';
import type { SwitchyardEvent } from '../../../shared/events/schema';
import { putRecordsEvents } from '../../support/kinesis-mock';

const kinesis = mockClient(KinesisClient);
const noSleep = async () => undefined;

function track(unitId = 'u1', extra: Partial<SwitchyardEvent> = {}): SwitchyardEvent {
  return {
    eventId: randomUUID(),
    type: 'track',
    name: 'purchase',
    unitId,
    timestamp: new Date().toISOString(),
    ...extra,
  } as SwitchyardEvent;
}

/** The eventIds of each PutRecords call, in call order. */
function putCalls(): string[][] {
  return putRecordsEvents(kinesis).map((events) => events.map((e) => e.eventId));
}

beforeEach(() => kinesis.reset());

describe('EventPublisher', () => {
  const publisher = () => new EventPublisher(new KinesisClient({}), 'events', {}, noSleep);

  it('puts events with the unit as partition key, in one call up to 500 records', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-0' })),
    }));
    const events = Array.from({ length: 501 }, (_, i) => track(`unit-${i}`));
    const result = await publisher().publish(events);
    expect(result).toEqual({ calls: 2, failed: [] });
    const [first, second] = kinesis.commandCalls(PutRecordsCommand);
    expect(first!.args[0].input.Records).toHaveLength(500);
    expect(second!.args[0].input.Records).toHaveLength(1);
    expect(first!.args[0].input).toMatchObject({ StreamName: 'events' });
    expect(first!.args[0].input.Records![7]!.PartitionKey).toBe('unit-7');
  });

  it('retries only the records Kinesis refused, keeping their eventIds', async () => {
    const events = [track('a'), track('b'), track('c')];
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
          { SequenceNumber: '3', ShardId: 's' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4', ShardId: 's' }] });
    const result = await publisher().publish(events);
    expect(result.failed).toEqual([]);
    expect(putCalls()).toEqual([events.map((e) => e.eventId), [events[1]!.eventId]]);
  });

  it('gives up after its attempts and names what was not stored and why', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }));
    const events = [track('a'), track('b')];
    const result = await new EventPublisher(
      new KinesisClient({}),
      'events',
      { maxAttempts: 3 },
      noSleep,
    ).publish(events);
    expect(result.calls).toBe(3);
    expect(result.failed).toEqual(
      events.map((e) => ({ eventId: e.eventId, error: 'ProvisionedThroughputExceededException' })),
    );
  });
});

describe('EventIngestService', () => {
  const server = { keyType: 'server' as const };
  const service = () =>
    new EventIngestService(new EventPublisher(new KinesisClient({}), 'events', {}, noSleep));

  it('accepts the good events and refuses each bad one with its position and reason', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));
    const good = track('u1', { value: 12.5 });
    const exposure = {
      ...track('u2'),
      type: 'exposure',
      name: '$exposure',
      experimentKey: 'checkout',
      variant: 'control',
    };
    const answer = await service().ingest(server, [
      good,
      { ...track(), eventId: 'not-a-uuid' },
      { ...good },
      { ...track(), timestamp: new Date(Date.now() + 3 * 86_400_000).toISOString() },
      exposure,
      { ...track(), properties: { blob: 'x'.repeat(33 * 1024) } },
      { ...track(), type: 'exposure' },
      'not an object',
      { ...track(), timestamp: new Date(Date.now() - 31 * 86_400_000).toISOString() },
      { ...track(), value: 1e13 },
    ]);
    expect(answer.accepted).toEqual([good.eventId, exposure.eventId]);
    expect(answer.refused.map((r) => [r.index, r.code])).toEqual([
      [1, 'INVALID'],
      [2, 'DUPLICATE'],
      [3, 'OUT_OF_RANGE'],
      [5, 'TOO_LARGE'],
      [6, 'INVALID'],
      [7, 'INVALID'],
      [8, 'OUT_OF_RANGE'],
      [9, 'INVALID'],
    ]);
    expect(answer.refused[0]!.message).toMatch(/eventId/);
    expect(answer.refused[4]!.message).toMatch(/experimentKey/);
    expect(putCalls()).toEqual([[good.eventId, exposure.eventId]]);
  });

  it('refuses as NOT_STORED what the stream would not take, so the SDK sends it again', async () => {
    const events = [track('a'), track('b')];
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [
        { SequenceNumber: '1', ShardId: 's' },
        { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' },
      ],
    });
    const answer = await new EventIngestService(
      new EventPublisher(new KinesisClient({}), 'events', { maxAttempts: 1 }, noSleep),
    ).ingest(server, events);
    expect(answer.accepted).toEqual([events[0]!.eventId]);
    expect(answer.refused).toEqual([
      {
        index: 1,
        eventId: events[1]!.eventId,
        code: 'NOT_STORED',
        message: expect.stringMatching(/InternalFailure/),
      },
    ]);
  });

  it('refuses a request over 1 MiB as a whole (413)', async () => {
    const big = Array.from({ length: 40 }, () => ({
      ...track(),
      properties: { blob: 'x'.repeat(30 * 1024) },
    }));
    await expect(service().ingest(server, big)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(putCalls()).toEqual([]);
  });

  it('takes exposures from server keys only', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));
    const exposure = { ...track('u'), type: 'exposure', name: '$exposure', experimentKey: 'e', variant: 'v' };
    const plain = track('u');
    const answer = await service().ingest({ keyType: 'client' }, [exposure, plain]);
    expect(answer.accepted).toEqual([plain.eventId]);
    expect(answer.refused).toMatchObject([{ index: 0, code: 'NOT_ALLOWED' }]);
  });
});

import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import type * as HandlerModule from '../../../lambdas/events/handler';
import { apiEvent, lambdaContext, setHttpEnv } from '../../support/api-event';
import { documentValidator } from '../../support/openapi-validator';

setHttpEnv();
process.env.MAX_BODY_BYTES = String(1024 * 1024);
process.env.EVENTS_STREAM_NAME = 'events';
process.env.AWS_REGION = 'us-east-1';

const kinesis = mockClient(KinesisClient);

// Loaded after the environment and the mock are in place, as a cold start would.
let handler: typeof HandlerModule.handler;
beforeAll(async () => {
  ({ handler } = await import('../../../lambdas/events/handler'));
});

const track = () => ({
  eventId: randomUUID(),
  type: 'track',
  name: 'purchase',
  unitId: 'u1',
  timestamp: new Date().toISOString(),
});

async function post(events: unknown[]) {
  const event = apiEvent({
    method: 'POST',
    resource: '/api/v1/events',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  event.requestContext.authorizer = { keyId: 'k1', keyType: 'server', principalId: 'k1' };
  const result = await handler(event, lambdaContext);
  // Every answer, 503 included, is one the OpenAPI document declares (status, Retry-After, body).
  documentValidator().check({
    method: 'POST',
    path: '/api/v1/events',
    status: result.statusCode,
    headers: new Headers(result.headers),
    text: result.body,
  });
  return {
    status: result.statusCode,
    headers: result.headers,
    json: JSON.parse(result.body) as Record<string, unknown>,
  };
}

describe('POST /api/v1/events: the status says whether anything was stored', () => {
  beforeEach(() => kinesis.reset());

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the stream stored nothing (an outage)', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const events = [track(), track(), { ...track(), eventId: 'not-a-uuid' }];
    const res = await post(events);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The events stream is unavailable: none of the 2 valid events was stored; send them again',
      requestId: 'req-123',
    });
    // Every event with its reason, so a client still learns which ones are invalid for good.
    expect((res.json.details as { refused: { index: number; code: string }[] }).refused).toEqual([
      expect.objectContaining({ index: 0, code: 'NOT_STORED' }),
      expect.objectContaining({ index: 1, code: 'NOT_STORED' }),
      expect.objectContaining({ index: 2, code: 'INVALID' }),
    ]);
  }, 20_000);

  it('asks for a shorter wait when every record was throttled', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: input.Records.length,
      Records: input.Records.map(() => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard',
      })),
    }));
    const res = await post([track()]);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
  }, 20_000);

  it('stays 200 with per-event results when some events were stored', async () => {
    const [first, second] = [track(), track()];
    // The stream takes the first event and keeps refusing the second.
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => ({
      Records: input.Records.map((r) =>
        Buffer.from(r.Data).toString().includes(second.eventId)
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }
          : { SequenceNumber: '1', ShardId: 's' },
      ),
    }));
    const res = await post([first, second]);
    expect(res.status).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json).toMatchObject({
      accepted: [first.eventId],
      refused: [{ index: 1, eventId: second.eventId, code: 'NOT_STORED' }],
    });
  }, 20_000);

  it('stays 200 when every event was refused for its own reasons (nothing to store, no outage)', async () => {
    const res = await post([{ ...track(), eventId: 'nope' }]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: [], refused: [{ index: 0, code: 'INVALID' }] });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});

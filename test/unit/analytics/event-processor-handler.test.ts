import type { Context, KinesisStreamEvent } from 'aws-lambda';

const mockProcess = jest.fn();
jest.mock('../../../shared/analytics/wiring', () => ({
  // Called at import (cold start), before this module's own code runs: reach the mock lazily.
  eventProcessorDependencies: () => ({ process: (...args: unknown[]): unknown => mockProcess(...args) }),
}));
// The environment is the wiring's business, mocked above.
jest.mock('../../../shared/functions', () => ({ functionEnv: () => ({}) }));

import { handler } from '../../../lambdas/event-processor/handler';

const context = { awsRequestId: 'r', functionName: 'event-processor' } as Context;
const event = (sequences: string[]): KinesisStreamEvent => ({
  Records: sequences.map((sequenceNumber) => ({
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'u',
      sequenceNumber,
      data: Buffer.from('{}').toString('base64'),
      approximateArrivalTimestamp: 0,
    },
  })),
});

describe('event processor handler', () => {
  beforeEach(() => mockProcess.mockReset());

  it('passes every record to the processor, by sequence number, and reports none when all went through', async () => {
    mockProcess.mockResolvedValue({ failed: new Map(), stats: {} });
    await expect(handler(event(['1', '2']), context)).resolves.toEqual({ batchItemFailures: [] });
    expect(mockProcess).toHaveBeenCalledWith([
      { id: '1', data: Buffer.from('{}').toString('base64') },
      { id: '2', data: Buffer.from('{}').toString('base64') },
    ]);
  });

  it('reports the records the processor could not finish as batch item failures', async () => {
    mockProcess.mockResolvedValue({ failed: new Map([['2', 'not indexed']]), stats: {} });
    await expect(handler(event(['1', '2', '3']), context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: '2' }],
    });
  });

  it('fails the invocation when every record failed, so Lambda retries and bisects the batch', async () => {
    mockProcess.mockResolvedValue({
      failed: new Map([
        ['1', 'aggregate transaction failed'],
        ['2', 'aggregate transaction failed'],
      ]),
      stats: {},
    });
    await expect(handler(event(['1', '2']), context)).rejects.toThrow(/All records failed/);
  });
});

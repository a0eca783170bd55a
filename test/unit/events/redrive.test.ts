import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { recordsOfFailure, redrive } from '../../../shared/events/redrive';
import { S3FailureStore } from '../../../shared/events/s3-failures';

const s3 = mockClient(S3Client);
const kinesis = mockClient(KinesisClient);

/** An object as Lambda's S3 on-failure destination writes it: metadata, and the invocation event as JSON text. */
const failureObject = (records: { data: string; partitionKey: string }[]) =>
  JSON.stringify({
    version: '1.0',
    timestamp: '2026-12-07T03:00:00.000Z',
    requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 1200 },
    KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: records.length },
    payload: JSON.stringify({
      Records: records.map((r) => ({
        kinesis: { data: Buffer.from(r.data).toString('base64'), partitionKey: r.partitionKey },
      })),
    }),
  });
/** An object body: what S3FailureStore reads of it. */
const body = (text: string) =>
  ({ transformToString: () => Promise.resolve(text) }) as unknown as GetObjectCommandOutput['Body'];

beforeEach(() => {
  s3.reset();
  kinesis.reset();
});

describe('recordsOfFailure', () => {
  it('reads the records of an S3 failure object (payload as JSON text) and of a local one (payload as object)', () => {
    const text = failureObject([{ data: '{"eventId":"a"}', partitionKey: 'u1' }]);
    expect(recordsOfFailure(text)).toEqual([{ data: Buffer.from('{"eventId":"a"}'), partitionKey: 'u1' }]);
    const document = JSON.parse(text) as { payload: string };
    const local = JSON.stringify({ ...document, payload: JSON.parse(document.payload) as unknown });
    expect(recordsOfFailure(local)).toEqual(recordsOfFailure(text));
  });

  it('refuses a document without the invocation event, naming what is missing', () => {
    expect(() => recordsOfFailure(JSON.stringify({ requestContext: {} }))).toThrow(/payload/);
    expect(() => recordsOfFailure(JSON.stringify({ payload: { Records: [{ kinesis: {} }] } }))).toThrow(
      /partitionKey|data/,
    );
  });
});

describe('redrive from the failures bucket', () => {
  it('puts every object’s records back, moves each under redriven/ only once all its records are back, and leaves a failing one for the next run', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'aws/lambda/b.json', LastModified: new Date('2026-12-07T02:00:00Z') },
        { Key: 'redriven/old.json', LastModified: new Date('2026-12-01T00:00:00Z') },
        { Key: 'aws/lambda/a.json', LastModified: new Date('2026-12-07T01:00:00Z') },
      ],
    });
    s3.on(GetObjectCommand, { Key: 'aws/lambda/a.json' }).callsFake(() => ({
      Body: body(
        failureObject([
          { data: 'one', partitionKey: 'u1' },
          { data: 'two', partitionKey: 'u2' },
        ]),
      ),
    }));
    s3.on(GetObjectCommand, { Key: 'aws/lambda/b.json' }).callsFake(() => ({
      Body: body(failureObject([{ data: 'three', partitionKey: 'u3' }])),
    }));
    // a.json: Kinesis refuses one record once (throttled), then takes it. b.json: refused every time.
    let calls = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: { PartitionKey: string }[] }) => {
      calls++;
      return {
        Records: input.Records.map((r) =>
          r.PartitionKey === 'u3' || (r.PartitionKey === 'u2' && calls === 1)
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
            : { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
        ),
      };
    });
    const store = new S3FailureStore(new S3Client({}), 'failures');
    const outcome = await redrive(store, new KinesisClient({}), 'events', {
      maxAttempts: 3,
      sleep: () => Promise.resolve(),
    });
    expect(outcome.redriven).toBe(1);
    expect(outcome.records).toBe(2);
    expect(outcome.problems).toEqual([
      { id: 'aws/lambda/b.json', error: expect.stringMatching(/^1 of 1 records not put back: Provisioned/) },
    ]);
    // Oldest first; the records byte for byte with their partition keys.
    const puts = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    expect(puts[0]).toEqual({
      StreamName: 'events',
      Records: [
        { Data: Buffer.from('one'), PartitionKey: 'u1' },
        { Data: Buffer.from('two'), PartitionKey: 'u2' },
      ],
    });
    expect(puts[1]!.Records).toEqual([{ Data: Buffer.from('two'), PartitionKey: 'u2' }]);
    // Only a.json moved, copied then deleted; b.json and redriven/ untouched.
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'failures', Key: 'redriven/aws/lambda/a.json', CopySource: 'failures/aws/lambda/a.json' },
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'failures', Key: 'aws/lambda/a.json' },
    ]);
  });
});

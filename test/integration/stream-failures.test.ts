import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { recordsOfFailure, redrive } from '../../shared/events/redrive';
import { DirectoryFailureStore } from '../../local/failure-store';
import { ensureStream, startKinesisLocal, type KinesisLocal } from '../../local/kinesis';
import { freePort } from '../../local/ports';
import { pollKinesisStream, type StreamFailure, type StreamPoller } from '../../local/streams';
import { scaledMs } from '../../local/timing';
import { eventually } from '../support/http';

/**
 * The local event source mapping's failure path, on kinesalite (issue 16, "Nothing accepted is lost"): a batch that
 * keeps failing is retried — split in two when the invocation throws — until its records are as old as the mapping
 * allows, then kept whole in the failure store; the redrive puts the records back on the stream, byte for byte
 * with their partition keys, and they are delivered again.
 */
describe('stream failures: retried until expired, kept whole, redriven', () => {
  let kinesalite: KinesisLocal;
  let kinesis: KinesisClient;
  let dir: string;
  let poller: StreamPoller | undefined;
  const stream = 'failures-test';

  beforeAll(async () => {
    kinesalite = await startKinesisLocal({ port: await freePort() });
    kinesis = new KinesisClient({
      endpoint: kinesalite.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // kinesalite speaks HTTP/1.1 (the Kinesis client's default handler is HTTP/2).
      requestHandler: new NodeHttpHandler(),
    });
    await ensureStream(kinesis, stream, 1);
    dir = await mkdtemp(join(tmpdir(), 'switchyard-failures-'));
  }, scaledMs(30_000));

  afterAll(async () => {
    await poller?.stop();
    kinesis?.destroy();
    await kinesalite?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(
    'keeps every record of a batch that never succeeds, and delivers them again after a redrive',
    async () => {
      const sent = Array.from({ length: 5 }, (_, i) => ({
        data: Buffer.from(JSON.stringify({ n: i, text: `record ${i} ✓` })),
        partitionKey: `unit-${i}`,
      }));
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: sent.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
      );

      let failing = true;
      const batchSizes: number[] = [];
      const delivered: { data: string; partitionKey: string }[] = [];
      const store = new DirectoryFailureStore(dir);
      const written: StreamFailure[] = [];
      poller = pollKinesisStream(
        kinesis,
        stream,
        (event: KinesisStreamEvent) => {
          batchSizes.push(event.Records.length);
          if (failing) return Promise.reject(new Error('the analytics table is down'));
          for (const r of event.Records)
            delivered.push({ data: r.kinesis.data, partitionKey: r.kinesis.partitionKey });
          return Promise.resolve();
        },
        {
          functionName: 'event-processor',
          batchSize: 100,
          maxAttempts: Infinity,
          maxRecordAgeMs: 1500,
          intervalMs: 20,
          maxBackoffMs: 100,
          onFailure: async (failure) => {
            written.push(failure);
            await store.write(failure);
          },
          log: () => undefined,
        },
      );

      // Retried (not dropped after a few attempts) until the records pass their age limit, then kept.
      const kept = await eventually(
        'every record is in the failure store',
        async () => {
          const files = await store.list();
          const records = (
            await Promise.all(files.map(async (f) => recordsOfFailure(await store.read(f))))
          ).flat();
          return records.length === sent.length ? records : undefined;
        },
        scaledMs(20_000),
      );
      expect(kept.map((r) => r.data.toString('utf8'))).toEqual(sent.map((r) => r.data.toString('utf8')));
      expect(kept.map((r) => r.partitionKey)).toEqual(sent.map((r) => r.partitionKey));
      expect(written.every((f) => f.requestContext.condition === 'RecordAgeExceeded')).toBe(true);
      // The whole batch was tried first, then split in two when it threw (bisectBatchOnError).
      expect(batchSizes[0]).toBe(5);
      expect(batchSizes).toContain(3);
      expect(batchSizes).toContain(1);
      // Many deliveries over the 1.5 s age limit: retries until expiry, not a fixed count.
      expect(batchSizes.length).toBeGreaterThan(8);
      expect(delivered).toEqual([]);

      // The store is healthy again: the redrive puts the records back and the poller delivers them.
      failing = false;
      const outcome = await redrive(store, kinesis, stream);
      expect(outcome).toEqual({ redriven: written.length, records: sent.length, problems: [] });
      await eventually(
        'the redriven records are delivered',
        async () => delivered.length === sent.length,
        scaledMs(10_000),
      );
      expect(delivered).toEqual(
        sent.map((r) => ({ data: r.data.toString('base64'), partitionKey: r.partitionKey })),
      );
      expect(await store.list()).toEqual([]);
      expect((await readdir(join(dir, 'redriven'))).length).toBe(written.length);
      // Idempotent: a second run finds nothing to do.
      expect(await redrive(store, kinesis, stream)).toEqual({ redriven: 0, records: 0, problems: [] });
    },
    scaledMs(60_000),
  );
});

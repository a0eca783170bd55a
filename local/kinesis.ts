import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import kinesalite from 'kinesalite';
import { Deadline, waitFor } from './timing';

export interface KinesisLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** kinesalite in this process: in memory, or LevelDB files under `path`. */
export async function startKinesisLocal(options: { port: number; path?: string }): Promise<KinesisLocal> {
  if (options.path !== undefined) mkdirSync(options.path, { recursive: true });
  const server: Server = kinesalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Create the events stream unless it exists, and wait until it is ACTIVE. */
export async function ensureStream(client: KinesisClient, streamName: string, shards: number): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitFor(
    new Deadline(`Kinesis stream ${streamName} becoming ACTIVE`, 5_000),
    async () =>
      (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
        .StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
    50,
  );
}

/**
 * `npm run redrive`: puts the event batches the event processor gave up on back on the events stream
 * (shared/events/redrive.ts; docs/architecture.md, "Failed event batches"). Safe to repeat: the processor counts
 * every event once, and a batch is marked redriven only once all its records are back.
 *
 * - AWS: `npm run redrive -- --bucket <EventFailuresBucketName> --stream <EventsStreamName>` (stack outputs of
 *   the stage's stateful stack; the default credential chain and region).
 * - Local platform: `npm run redrive -- --dir <failures dir> --kinesis-endpoint <url> --stream <name>` — `npm start`
 *   prints this line with its own values.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseArgs } from 'node:util';
import { DirectoryFailureStore } from '../local/failure-store';
import { redrive, type FailureStore } from '../shared/events/redrive';
import { S3FailureStore } from '../shared/events/s3-failures';

const USAGE = [
  'Usage: npm run redrive -- --bucket BUCKET --stream STREAM',
  '       npm run redrive -- --dir DIR --kinesis-endpoint URL --stream STREAM',
].join('\n');

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        bucket: { type: 'string' },
        dir: { type: 'string' },
        stream: { type: 'string' },
        'kinesis-endpoint': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.stream === undefined) fail('--stream is required');
  if ((values.bucket === undefined) === (values.dir === undefined))
    fail('give exactly one of --bucket and --dir');
  const endpoint = values['kinesis-endpoint'];
  const kinesis =
    endpoint === undefined
      ? new KinesisClient({})
      : new KinesisClient({
          endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          requestHandler: new NodeHttpHandler(),
        });
  const s3 = values.bucket === undefined ? null : new S3Client({});
  const store: FailureStore =
    s3 !== null ? new S3FailureStore(s3, values.bucket!) : new DirectoryFailureStore(values.dir!);
  try {
    const outcome = await redrive(store, kinesis, values.stream);
    console.log(JSON.stringify(outcome, null, 2));
    if (outcome.problems.length > 0) process.exitCode = 1;
  } finally {
    kinesis.destroy();
    s3?.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

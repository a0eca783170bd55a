import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type PlatformOptions, type RunningPlatform } from '../../local/platform';
import { stopWhenFileEnds } from './cleanup';
import { sharedDynamoEndpoint } from './shared-engines';

/**
 * The local platform for an end-to-end test file: in memory (nothing on disk), on a free port, with its tables
 * under a prefix of its own in the run's shared DynamoDB Local (they are deleted when it stops). It is
 * stopped when the file ends even if the file's `beforeAll` timed out while it was starting.
 */
export function startTestPlatform(options: Partial<PlatformOptions> = {}): Promise<RunningPlatform> {
  const shared = sharedDynamoEndpoint();
  return stopWhenFileEnds(() =>
    startPlatform({
      port: 0,
      memory: true,
      // Unused in memory (nothing is written); a path that exists nowhere, to prove it.
      dataDir: join(tmpdir(), `switchyard-unused-${randomUUID()}`),
      ...(shared === undefined
        ? {}
        : { dynamoEndpoint: shared, tablePrefix: `e2e-${randomUUID().slice(0, 8)}` }),
      ...options,
    }),
  );
}

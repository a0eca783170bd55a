import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { deleteTables, ensureTables, startDynamoLocal } from '../../local/dynamodb';
import { freePort } from '../../local/ports';
import { TABLE_IDS, type TableId } from '../../shared/db/tables';
import { stopWhenFileEnds } from './cleanup';
import { sharedDynamoEndpoint } from './shared-engines';

export interface TestDynamo {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tableNames: Record<TableId, string>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Every table of shared/db/tables.ts under a prefix of this file's own, in the run's shared DynamoDB Local
 * (test/support/global-setup.ts), or in a DynamoDB Local of its own when there is none. `stop()` deletes the
 * tables (and stops that engine); it also runs by itself when the file ends, even if a hook timed out.
 */
export function startTestDynamo(): Promise<TestDynamo> {
  return stopWhenFileEnds(async () => {
    const client = (endpoint: string) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
    const shared = sharedDynamoEndpoint();
    const engine = shared === undefined ? await startDynamoLocal(client, { port: await freePort() }) : null;
    const dynamo = client(shared ?? engine!.endpoint);
    const suffix = randomUUID().slice(0, 8);
    const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `test-${suffix}-${id}`])) as Record<
      TableId,
      string
    >;
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      try {
        if (engine === null) await deleteTables(dynamo, tableNames);
      } finally {
        dynamo.destroy();
        await engine?.stop();
      }
    };
    try {
      await ensureTables(dynamo, tableNames);
    } catch (error) {
      await stop();
      throw error;
    }
    return {
      client: dynamo,
      doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      tableNames,
      stop,
    };
  });
}

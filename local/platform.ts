import { createDynamoClient } from '../shared/aws/clients';
import { createKinesisClient } from '../shared/aws/kinesis';
import { SHUTDOWN_DEADLINE_MS } from '../shared/aws/shutdown';
import { createDynamoStreamsClient } from '../shared/aws/streams';
import { TABLE_IDS, type TableId } from '../shared/db/tables';
import {
  baseEnvironment,
  cacheCapability,
  eventsCapability,
  httpCapability,
  notificationsCapability,
  rulesetObjectsCapability,
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
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deleteTables, ensureTables, relayDynamoLocal, startDynamoLocal } from './dynamodb';
import { CONSOLE_DIST } from './console';
import { LocalGateway } from './gateway';
import { LocalIdentity, LOCAL_REGION } from './identity';
import { ensureStream, startKinesisLocal } from './kinesis';
import { FunctionRuntime, lambdaContext } from './lambda-runtime';
import { freePort } from './ports';
import { DirectoryFailureStore } from './failure-store';
import { pollDynamoStream, pollKinesisStream, type PollerOptions, type StreamPoller } from './streams';
import { elapsed } from './timing';
import { serveTokens } from './token-endpoint';
import type { DynamoDBStreamEvent, KinesisStreamEvent, ScheduledEvent } from 'aws-lambda';

export const LOCAL_STAGE = 'local';
export const EVENTS_STREAM_NAME = 'switchyard-local-events';
export const LOCAL_MAX_BODY_BYTES = 1024 * 1024;

export interface PlatformOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Where DynamoDB Local and kinesalite keep their files and the token signing key and users live. */
  readonly dataDir: string;
  /**
   * Keep everything in memory and write nothing to disk: tables, streams, the signing key and the users.
   * Tokens then come from the platform's loopback token endpoint (`tokenPort`).
   */
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
  /**
   * How long each engine may take to answer at start-up, in ms (`--engine-timeout`,
   * `SWITCHYARD_ENGINE_TIMEOUT`).
   * @default its idle-machine budget times the machine's time scale (local/timing.ts)
   */
  readonly engineTimeoutMs?: number;
  /**
   * An already running DynamoDB Local to use instead of starting one (the tests share one per run), reached
   * through a relay that the platform closes when it stops. The platform then creates its tables under
   * `tablePrefix` and deletes them when it stops.
   */
  readonly dynamoEndpoint?: string;
  /** @default 'switchyard-local' */
  readonly tablePrefix?: string;
  /**
   * An already running kinesalite to use instead of starting one (the fault suite puts a relay it can cut in
   * front of it). The platform creates its stream there and leaves the engine running when it stops.
   */
  readonly kinesisEndpoint?: string;
  /**
   * How old a stream record may get before a batch that keeps failing goes to the failure directory, as the
   * deployed event source mappings' maximumRecordAge (tests shrink it).
   * @default 24 hours (kinesalite's retention, as the stream's in AWS)
   */
  readonly maxRecordAgeMs?: number;
  /**
   * Rulesets above this many bytes are not sent inline by `GET /api/v1/sdk/ruleset` but stored and redirected to
   * (shared/rulesets/objects.ts; tests shrink it to take that path with a small ruleset).
   * @default 5 MiB, as in AWS
   */
  readonly rulesetInlineMaxBytes?: number;
}

export interface RunningPlatform {
  readonly url: string;
  readonly identity: LocalIdentity;
  readonly tableNames: Readonly<Record<TableId, string>>;
  readonly eventsStreamName: string;
  /** An in-memory platform's token endpoint on 127.0.0.1 (`npm run token -- --port N`); null on disk. */
  readonly tokenPort: number | null;
  /**
   * The safety notifications' outbox: one JSON line per rollback, what SNS and EventBridge would have received
   * (`<dataDir>/outbox/notifications.ndjson`; with `memory`, in a temporary directory removed on stop).
   */
  readonly outboxFile: string;
  /**
   * Batches of a stream kept whole after their retries ran out (`failures: 'records'`), one directory per function:
   * `<dataDir>/failures/<function>/` (with `memory`, a temporary directory). `npm run redrive` replays them.
   */
  readonly failuresDir: string;
  /** kinesalite's endpoint (for `npm run redrive -- --kinesis-endpoint`). */
  readonly kinesisEndpoint: string;
  stop(): Promise<void>;
}

/** kinesalite keeps records 24 hours, as a Kinesis stream does by default. */
const DEFAULT_MAX_RECORD_AGE_MS = 24 * 3_600_000;

export function localTableNames(prefix = 'switchyard-local'): Record<TableId, string> {
  return Object.fromEntries(TABLE_IDS.map((id) => [id, `${prefix}-${id}`])) as Record<TableId, string>;
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
  outboxFile: string,
  rulesetObjects: { dir: string; secret: string; inlineMaxBytes?: number },
) {
  // One local value per capability: a new capability does not compile until it says what it is here.
  const capabilities: { [K in Exclude<CapabilityId, `table:${TableId}`>]: Readonly<Record<string, string>> } =
    {
      http: httpCapability.render({ corsAllowedOrigins: ['*'], maxBodyBytes: LOCAL_MAX_BODY_BYTES }),
      events: eventsCapability.render(EVENTS_STREAM_NAME),
      users: usersCapability.render({ kind: 'local', file: userDirectoryFile }),
      cache: process.env.REDIS_URL === undefined ? {} : cacheCapability.render(process.env.REDIS_URL),
      // No EventBridge Scheduler locally: the jobs' timers alone start and end experiments and enter rollout
      // stages (the exact-time target does not run locally).
      exactTime: {},
      exactTimeTarget: {},
      // No search domain locally; OPENSEARCH_URL set in the shell points the sink at a plain OpenSearch.
      search: {},
      // No SNS or EventBridge locally: safety notifications are appended to the outbox file.
      notifications: notificationsCapability.render({ kind: 'local', outboxFile }),
      // No S3 locally: large rulesets are files the gateway serves behind signed URLs.
      rulesetObjects: rulesetObjectsCapability.render({ kind: 'local', ...rulesetObjects }),
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

/**
 * Promise.all that waits for every phase to settle before it fails, so that an engine still starting when
 * another phase fails has registered its stop before the platform stops everything.
 */
async function allStarted(phases: readonly Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(phases);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Start DynamoDB Local, kinesalite, the stream pollers, the job timers and the local API Gateway. What does
 * not depend on each other starts side by side (the engines, bundling the functions, the signing key), and
 * each phase is logged with its duration.
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((error: unknown) => log(`stop failed: ${String(error)}`));
    stops.length = 0;
  };
  const startedAt = Date.now();
  /** Runs one start-up phase and logs "<phase> <seconds>" when it is done. */
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const since = Date.now();
    const result = await run();
    log(`${name} ${elapsed(since)}`);
    return result;
  };

  try {
    const streamFunctions = [...STREAM_FUNCTIONS, ...(options.streamFunctions ?? [])];
    const jobs = [...SCHEDULED_FUNCTIONS, ...(options.scheduledFunctions ?? [])];
    const functions = new FunctionRuntime();
    stops.push(async () => functions.dispose());

    // The engines' ports are chosen first, so that the environment (their endpoints) is known before they
    // answer: the functions' cold starts (CPU in this process) then overlap the engines' start-up (Java).
    const identity = await phase('signing key', async () => {
      const created = new LocalIdentity(options.memory ? null : join(dataDir, 'identity'));
      stops.push(async () => created.dispose());
      return created;
    });
    const dynamoPort = options.dynamoEndpoint === undefined ? await freePort() : null;
    const relay =
      options.dynamoEndpoint === undefined ? null : await relayDynamoLocal(options.dynamoEndpoint);
    if (relay !== null) stops.push(() => relay.stop());
    const kinesisEndpoint = options.kinesisEndpoint ?? `http://127.0.0.1:${await freePort()}`;
    const tableNames = localTableNames(options.tablePrefix);
    // In memory, nothing goes to the data directory: the outbox is a temporary file (created by the first
    // notification), removed when the platform stops.
    const outboxDir = options.memory
      ? join(tmpdir(), `switchyard-outbox-${randomUUID()}`)
      : join(dataDir, 'outbox');
    if (options.memory) stops.push(() => rm(outboxDir, { recursive: true, force: true }));
    const outboxFile = join(outboxDir, 'notifications.ndjson');
    const failuresDir = options.memory
      ? join(tmpdir(), `switchyard-failures-${randomUUID()}`)
      : join(dataDir, 'failures');
    if (options.memory) stops.push(() => rm(failuresDir, { recursive: true, force: true }));
    const rulesetObjects = {
      dir: options.memory ? join(tmpdir(), `switchyard-rulesets-${randomUUID()}`) : join(dataDir, 'rulesets'),
      secret: randomBytes(32).toString('base64url'),
    };
    if (options.memory) stops.push(() => rm(rulesetObjects.dir, { recursive: true, force: true }));
    configureEnvironment(
      {
        dynamo: relay?.endpoint ?? `http://127.0.0.1:${dynamoPort}`,
        kinesis: kinesisEndpoint,
      },
      tableNames,
      identity.directoryFile,
      outboxFile,
      {
        ...rulesetObjects,
        ...(options.rulesetInlineMaxBytes === undefined
          ? {}
          : { inlineMaxBytes: options.rulesetInlineMaxBytes }),
      },
    );

    // Side by side: DynamoDB Local, kinesalite, and bundling then loading the functions.
    await allStarted([
      dynamoPort === null
        ? Promise.resolve()
        : phase('dynamodb local ready', async () => {
            const engine = await startDynamoLocal(
              (endpoint) =>
                new DynamoDBClient({
                  endpoint,
                  region: LOCAL_REGION,
                  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
                }),
              {
                port: dynamoPort,
                ...(options.memory ? {} : { path: join(dataDir, 'dynamodb') }),
                ...(options.engineTimeoutMs === undefined ? {} : { timeoutMs: options.engineTimeoutMs }),
              },
            );
            stops.push(() => engine.stop());
          }),
      options.kinesisEndpoint !== undefined
        ? Promise.resolve()
        : phase('kinesalite ready', async () => {
            const engine = await startKinesisLocal({
              port: Number(new URL(kinesisEndpoint).port),
              ...(options.memory ? {} : { path: join(dataDir, 'kinesis') }),
            });
            stops.push(() => engine.stop());
          }),
      (async () => {
        await phase('functions bundled', () =>
          functions.bundle([
            ...LOCAL_FUNCTION_ENTRIES,
            ...(options.streamFunctions ?? []).map((f) => f.entry),
            ...(options.scheduledFunctions ?? []).map((j) => j.entry),
          ]),
        );
        await phase('functions loaded', async () => functions.load());
      })(),
    ]);

    const dynamo = createDynamoClient();
    const kinesis = createKinesisClient();
    const streams = createDynamoStreamsClient();
    stops.push(async () => {
      dynamo.destroy();
      kinesis.destroy();
      streams.destroy();
    });
    if (options.dynamoEndpoint !== undefined) stops.push(() => deleteTables(dynamo, tableNames));

    await allStarted([
      phase('tables', () => ensureTables(dynamo, tableNames)),
      phase('events stream', () => ensureStream(kinesis, EVENTS_STREAM_NAME, 2)),
    ]);

    const pollers: StreamPoller[] = [];
    stops.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });
    await phase('stream pollers', async () => {
      for (const fn of streamFunctions) {
        const failures = new DirectoryFailureStore(join(failuresDir, fn.name));
        const pollerOptions: PollerOptions = {
          functionName: fn.name,
          batchSize: fn.batchSize,
          maxAttempts: fn.maxAttempts === 'untilExpired' ? Infinity : fn.maxAttempts,
          maxRecordAgeMs: options.maxRecordAgeMs ?? DEFAULT_MAX_RECORD_AGE_MS,
          // The config stream carries changes someone waits to see (a publish per batch): polled more often.
          intervalMs: fn.source.kind === 'tableStream' ? 100 : 200,
          log,
          // 'location' (an SQS message in AWS): the local platform only logs where the batch was.
          ...(fn.failures === 'records' ? { onFailure: (failure) => failures.write(failure) } : {}),
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
    });

    const msPerMinute = options.msPerMinute ?? 60_000;
    // A job still running when the platform stops is awaited, so that it never outlives the engines.
    const runningJobs = new Set<Promise<void>>();
    for (const job of jobs) {
      const handler = functions.get<ScheduledEvent, void>(job.entry);
      let running: Promise<void> | null = null;
      const timer = setInterval(() => {
        // A run still going when the next tick comes: the tick is skipped (a short local minute must not pile up
        // runs of a job that takes longer than it, as the safety monitor did with a slow DynamoDB Local).
        if (running !== null) return;
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
        const run = handler(event, lambdaContext(job.name)).catch((error: unknown) =>
          log(`${job.name} failed: ${String(error)}`),
        );
        runningJobs.add(run);
        running = run;
        void run.finally(() => {
          runningJobs.delete(run);
          running = null;
        });
      }, job.everyMinutes * msPerMinute);
      stops.push(async () => {
        clearInterval(timer);
        await Promise.allSettled([...runningJobs]);
      });
    }

    // After the gateway has closed (no new requests) and before the pollers and engines stop: the functions
    // send what they kept in memory (exposures) or count it as lost, as on Lambda's SIGTERM.
    stops.push(() => functions.shutdown(SHUTDOWN_DEADLINE_MS));
    const gateway = new LocalGateway({
      identity,
      functions,
      stage: LOCAL_STAGE,
      corsAllowedOrigins: ['*'],
      log,
      authorizerCacheSeconds: options.authorizerCacheSeconds,
      consoleDir: CONSOLE_DIST,
      rulesetObjects,
    });
    const host = options.host ?? '127.0.0.1';
    const port = await phase('gateway listening', () => gateway.listen(options.port, host));
    stops.push(() => gateway.close());
    const tokens = options.memory ? await serveTokens(identity) : null;
    if (tokens !== null) stops.push(() => tokens.close());
    log(`ready ${elapsed(startedAt)}`);

    return {
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      identity,
      tableNames,
      eventsStreamName: EVENTS_STREAM_NAME,
      tokenPort: tokens?.port ?? null,
      outboxFile,
      failuresDir,
      kinesisEndpoint,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

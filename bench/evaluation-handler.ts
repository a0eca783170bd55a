/**
 * Warm handler time of `POST /api/v1/evaluate` for a 100-flag ruleset, and of `POST /api/v1/assignments` for
 * its 20 running experiments (exposures put on kinesalite, one PutRecords per call): the real evaluation
 * function (bundled as Lambda runs it) against DynamoDB Local, called in process with the event API Gateway
 * would send after the API-key authorizer. Reports medians and p99, and the minified size of the bundle.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleFunctions } from './bundle-budgets';
import { ensureTables, startDynamoLocal } from '../local/dynamodb';
import { ensureStream, startKinesisLocal } from '../local/kinesis';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { experimentSpecs, rulesetExperiments } from './assignments';
import { freePort } from '../local/ports';
import { keys } from '../shared/db/keys';
import { TABLE_IDS, tableEnvName, type TableId } from '../shared/db/tables';
import { dynamoConfiguration, RulesetPublisher } from '../shared/rulesets/publisher';
import { RulesetRepository } from '../shared/rulesets/repository';
import { buildFlagSpecs, buildUsers, switchyardRuleset } from './engine-workload';
import { summarize } from './stats';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };

/** DynamoDB Local and kinesalite, seeded with the bench ruleset and published; the environment the evaluation function needs. */
export interface EvaluationStores {
  readonly revision: number;
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startEvaluationStores(): Promise<EvaluationStores> {
  const engine = await startDynamoLocal(
    (endpoint) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials }),
    { port: await freePort() },
  );
  const kinesisLocal = await startKinesisLocal({ port: await freePort() });
  const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials });
  const doc = DynamoDBDocumentClient.from(client);
  const tableNames = Object.fromEntries(TABLE_IDS.map((id) => [id, `bench-${id}`])) as Record<
    TableId,
    string
  >;
  const stop = async () => {
    client.destroy();
    await engine.stop();
    await kinesisLocal.stop();
  };
  try {
    await ensureTables(client, tableNames);
    const ruleset = switchyardRuleset(buildFlagSpecs());
    const now = new Date().toISOString();
    const { experiments, layers } = rulesetExperiments(experimentSpecs());
    // Configuration items as the management API stores them: the fields evaluation reads, plus the rest.
    // (`resourceKind`, not `kind`: flags have a `kind` of their own.)
    const seeded = [
      ...ruleset.flags.map((flag) => ({
        resourceKind: 'flag' as const,
        ...flag,
        description: '',
        tags: [],
        temporary: true,
        owner: 'bench',
      })),
      ...experiments.map((e) => ({
        resourceKind: 'experiment' as const,
        status: 'ACTIVE',
        ...e,
        variants: e.variants.map((v) => ({ ...v, name: v.key })),
      })),
      ...layers.map((l) => ({ resourceKind: 'layer' as const, ...l })),
    ];
    for (const { resourceKind, ...item } of seeded) {
      await doc.send(
        new PutCommand({
          TableName: tableNames.config,
          Item: {
            pk: keys.config.resource(resourceKind, item.key),
            sk: keys.config.meta,
            gsi1pk: keys.config.kind(resourceKind),
            gsi1sk: item.key,
            ...item,
            name: item.key,
            createdBy: 'bench',
            createdAt: now,
            updatedAt: now,
            version: 1,
          },
        }),
      );
    }
    const published = await new RulesetPublisher(
      dynamoConfiguration(doc, tableNames.config),
      new RulesetRepository(doc, tableNames.rulesets),
    ).publishAll();

    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesisLocal.endpoint,
      EVENTS_STREAM_NAME: 'bench-events',
      STAGE: 'bench',
      CORS_ALLOWED_ORIGINS: '',
      MAX_BODY_BYTES: '1048576',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // As in AWS: large rulesets go to S3 (the 100-flag bench ruleset is sent inline).
      RULESET_OBJECTS: 's3',
      RULESET_BUCKET_NAME: 'bench-rulesets',
      ...Object.fromEntries(TABLE_IDS.map((id) => [tableEnvName(id), tableNames[id]])),
    };
    const kinesis = new KinesisClient({
      endpoint: kinesisLocal.endpoint,
      region: 'us-east-1',
      credentials,
      requestHandler: new NodeHttpHandler(),
    });
    await ensureStream(kinesis, 'bench-events', 2);
    kinesis.destroy();
    return { revision: published.revision, env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The evaluation function as API Gateway calls it, in process. */
export type EvaluationHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<{ statusCode: number; body: string }>;

export const benchContext = {
  awsRequestId: 'bench',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

/** The event API Gateway sends for `POST path` after the API-key authorizer (a server key). */
export function benchEvent(path: string, i: number, body: unknown): APIGatewayProxyEvent {
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: JSON.stringify(body),
    requestContext: {
      requestId: `bench-${i}`,
      authorizer: { principalId: 'key', keyId: 'key', keyType: 'server' },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The 1000 bench users as evaluation contexts (with a `userId`, which experiments assign by). */
export function benchUsers() {
  return buildUsers(1000).map((u) => ({ ...u, userId: u.targetingKey }));
}

/** The evaluation function bundled as Lambda runs it, loaded in process (the stores' env must be set first). */
export async function loadEvaluationHandler() {
  const { FunctionRuntime } = await import('../local/lambda-runtime');
  const runtime = new FunctionRuntime();
  const entry = 'lambdas/evaluation/handler.ts';
  await runtime.prepare([entry]);
  const handler: EvaluationHandler = runtime.get<APIGatewayProxyEvent, { statusCode: number; body: string }>(
    entry,
  );
  return { runtime, handler };
}

/** One call of `POST path`, its handler time in ns; an answer other than 200 is an error. */
export async function timedCall(
  handler: EvaluationHandler,
  path: string,
  i: number,
  body: unknown,
): Promise<{ ns: number; body: string }> {
  const start = process.hrtime.bigint();
  const res = await handler(benchEvent(path, i, body), benchContext);
  const ns = Number(process.hrtime.bigint() - start);
  if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}: ${res.body}`);
  return { ns, body: res.body };
}

export async function benchEvaluationHandler(runs = 3000): Promise<object> {
  const stores = await startEvaluationStores();
  try {
    Object.assign(process.env, stores.env);
    delete process.env.CACHE_URL;
    const { runtime, handler } = await loadEvaluationHandler();
    const users = benchUsers();
    /** Warm-up, then `runs` timed calls; the first answer is returned for the figures. */
    const timeRoute = async (path: string, body: (i: number) => unknown) => {
      for (let i = 0; i < 300; i++) await handler(benchEvent(path, i, body(i)), benchContext);
      const samples: number[] = [];
      let first: unknown = null;
      for (let i = 0; i < runs; i++) {
        const res = await timedCall(handler, path, i, body(i));
        samples.push(res.ns);
        first ??= JSON.parse(res.body);
      }
      return { first, summary: summarize(samples) };
    };
    const evaluate = await timeRoute('/api/v1/evaluate', (i) => ({ context: users[i % users.length] }));
    const assign = await timeRoute('/api/v1/assignments', (i) => ({ context: users[i % users.length] }));
    const flagsPerCall = (evaluate.first as { results: unknown[] }).results.length;
    const assignments = (assign.first as { assignments: { inExperiment: boolean }[] }).assignments;
    runtime.dispose();

    // The bundle as the CDK app builds it (lib/constructs/function-bundling.ts), so the figure is the one the
    // evaluation function's budget (bench/bundle-budgets.ts) holds.
    const bundleDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-bundle-'));
    const code = await bundleFunctions(bundleDir)
      .then((files) => readFileSync(files.evaluation))
      .finally(() => rmSync(bundleDir, { recursive: true, force: true }));
    return {
      description:
        'warm POST /api/v1/evaluate through the full middy chain, 100 flags, DynamoDB Local, no Redis',
      revision: stores.revision,
      flagsPerCall,
      ...evaluate.summary,
      assignHandler: {
        description:
          'warm POST /api/v1/assignments, all 20 running experiments for one context, exposures put on ' +
          'kinesalite by the background sender (the answer does not wait for it)',
        experimentsPerCall: assignments.length,
        ...assign.summary,
      },
      evaluationBundleBytes: code.byteLength,
      evaluationBundleGzipBytes: gzipSync(code).byteLength,
    };
  } finally {
    await stores.stop();
  }
}

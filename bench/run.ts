/**
 * `npm run bench [-- engine assign evaluate exposures events safety sdk coldstart delivery propagation scale]`: prints one JSON document with the figures the issues ask for. Each benchmark warms up,
 * then reports medians and p99 (the machines are shared; single runs mean little).
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { summarize } from './stats';

function event(path: string, claims?: Record<string, string>): APIGatewayProxyEvent {
  return {
    resource: path,
    path,
    httpMethod: 'GET',
    // The token the Cognito authorizer verified travels too: the handler reads the groups from it.
    headers: claims ? { Authorization: `Bearer ${unsignedToken(claims)}` } : {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'bench',
      authorizer: claims ? { claims } : undefined,
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** A JWT whose payload is `claims` with Cognito's groups array and an expiry (the signature is not read here). */
function unsignedToken(claims: Record<string, string>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = {
    ...claims,
    'cognito:groups': (claims['cognito:groups'] ?? '').split(',').filter(Boolean),
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

const context = {
  awsRequestId: 'bench',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

type Handler = (e: APIGatewayProxyEvent, c: Context) => Promise<{ statusCode: number }>;

async function warmHandler(handler: Handler, e: APIGatewayProxyEvent, runs: number) {
  for (let i = 0; i < 500; i++) await handler(e, context);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const res = await handler(e, context);
    samples.push(Number(process.hrtime.bigint() - start));
    if (res.statusCode !== 200)
      throw new Error(`unexpected status ${res.statusCode}: ${JSON.stringify(res)}`);
  }
  return summarize(samples);
}

async function main(): Promise<void> {
  Object.assign(process.env, {
    STAGE: 'bench',
    CORS_ALLOWED_ORIGINS: '*',
    MAX_BODY_BYTES: '1048576',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // users/me reads only the token's claims; the directory and audit table are never touched here.
    USER_DIRECTORY: 'local',
    LOCAL_USER_DIRECTORY_FILE: '/nonexistent/users.json',
    TABLE_AUDIT: 'unused',
  });
  // Loaded after the environment is set, as a cold start would.
  const { FunctionRuntime } = await import('../local/lambda-runtime');
  const runtime = new FunctionRuntime();
  await runtime.prepare(['lambdas/system/handler.ts', 'lambdas/users/handler.ts']);
  const system = runtime.get<APIGatewayProxyEvent, { statusCode: number }>('lambdas/system/handler.ts');
  const users = runtime.get<APIGatewayProxyEvent, { statusCode: number }>('lambdas/users/handler.ts');

  const only = process.argv.slice(2);
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  const result: Record<string, unknown> = {
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  };
  result.httpChain = {
    description: 'warm in-process handler time through the full middy chain (µs)',
    health: await warmHandler(system, event('/health'), 5000),
    usersMe: await warmHandler(
      users,
      event('/api/v1/users/me', { sub: 'u', 'cognito:groups': 'viewer' }),
      5000,
    ),
  };
  runtime.dispose();
  // Issue 4: the engine against its peers on one workload, and the warm evaluation handler.
  if (wanted('engine')) result.engine = await (await import('./engine')).benchEngine();
  // Issue 5: assignments per second for a 20-experiment ruleset, in process, beside GrowthBook.
  if (wanted('assign')) result.assignments = (await import('./assignments')).benchAssignments();
  if (wanted('evaluate')) {
    result.evaluateHandler = await (await import('./evaluation-handler')).benchEvaluationHandler();
  }
  // Issue 17 (goal 4): warm /assignments (exposures) against /evaluate, p50/p99.
  if (wanted('exposures')) result.exposures = await (await import('./exposures')).benchExposures();
  // Issue 6: events per second through the event processor (10 000-event batches), DynamoDB writes per batch.
  if (wanted('events'))
    result.eventProcessor = await (await import('./event-processor')).benchEventProcessor();
  // Issue 13: the safety monitor's run time per 1 000 monitored flags.
  if (wanted('safety')) result.safetyMonitor = await (await import('./safety-monitor')).benchSafetyMonitor();
  // Issue 14: local-mode evaluations per second through the SDK beside the engine's own; the package's sizes.
  if (wanted('sdk')) result.sdk = await (await import('./sdk')).benchSdk();
  // Issue 17 (goal 3): bundle sizes, require() and the first evaluation after a cold start, against budgets.
  if (wanted('coldstart')) result.coldStart = await (await import('./coldstart')).benchColdStart();
  // Issue 17 (goal 2): the ruleset download's size, compressed size and path (inline or 302) by flag count.
  if (wanted('delivery'))
    result.rulesetDelivery = (await import('./ruleset-delivery')).benchRulesetDelivery();
  // Issue 17 (goal 1): 50 000 flags + 5 000 segments: publish one change, apply it, event-loop blocks, heap.
  if (wanted('scale')) result.scale = await (await import('./scale')).benchScale();
  // Issue 17 (goal 5): change → visible on the local platform, p50/p95.
  if (wanted('propagation')) result.propagation = await (await import('./propagation')).benchPropagation();
  console.log(JSON.stringify(result, null, 2));
  if (Object.values(result).some((r) => (r as { budgetExceeded?: boolean }).budgetExceeded === true))
    process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Cold start (issue 17, goal 3): every function bundled as the CDK app bundles it (lib/constructs/function-bundling.ts),
 * its minified size against its budget (bench/bundle-budgets.ts), the time `require()` of the bundle takes in a fresh
 * Node process, and — for the evaluation function, against DynamoDB Local holding the 100-flag bench ruleset — the
 * time of the first `POST /api/v1/evaluate` after that require. Medians over `runs` fresh processes each.
 * `budgetExceeded` is true (and `npm run bench -- coldstart` exits non-zero) when a bundle or a time passes its budget.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { FUNCTIONS, FUNCTION_NAMES } from '../shared/functions';
import { LAZY_MODULES, lazyModuleFiles } from '../lib/constructs/function-bundling';
import { BUNDLE_BUDGETS, COLD_START_BUDGETS, LAZY_MODULE_BUDGETS, bundleFunctions } from './bundle-budgets';
import { median, round } from './stats';

const REPO_ROOT = resolve(__dirname, '..');

/**
 * An environment that satisfies every function's capabilities (shared/environment.ts): loading a bundle parses it,
 * as a cold start does. Nothing is reached at load; the evaluation run overrides the stores with live ones.
 */
const LOAD_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  STAGE: 'bench',
  POWERTOOLS_SERVICE_NAME: 'switchyard',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_TRACE_ENABLED: 'false',
  CORS_ALLOWED_ORIGINS: '',
  MAX_BODY_BYTES: '1048576',
  EVENTS_STREAM_NAME: 'bench-events',
  USER_DIRECTORY: 'local',
  LOCAL_USER_DIRECTORY_FILE: '/nonexistent/users.json',
  SAFETY_NOTIFIER: 'local',
  SAFETY_OUTBOX_FILE: '/nonexistent/outbox.ndjson',
  TABLE_CONFIG: 'bench-config',
  TABLE_AUDIT: 'bench-audit',
  TABLE_RULESETS: 'bench-rulesets',
  TABLE_ANALYTICS: 'bench-analytics',
  TABLE_API_KEYS: 'bench-apiKeys',
  // As in AWS: large rulesets go to S3 (nothing is reached unless one passes the inline limit).
  RULESET_OBJECTS: 's3',
  RULESET_BUCKET_NAME: 'bench-rulesets',
};

/** As in Lambda with active tracing: the tracer is loaded (it finds no trace context here, and traces nothing). */
const TRACED_ENV: Record<string, string> = {
  ...LOAD_ENV,
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  POWERTOOLS_TRACE_ENABLED: 'true',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

/** The child: require the bundle, then (optionally) one evaluate; prints the times in ms. */
const CHILD = `
const { performance } = require('node:perf_hooks');
const [file, evaluate] = process.argv.slice(2);
const t0 = performance.now();
const { handler } = require(file);
const t1 = performance.now();
if (evaluate !== '1') { console.log(JSON.stringify({ requireMs: t1 - t0 })); process.exit(0); }
const event = {
  resource: '/api/v1/evaluate', path: '/api/v1/evaluate', httpMethod: 'POST',
  headers: { 'content-type': 'application/json' }, multiValueHeaders: {}, queryStringParameters: null,
  multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null, isBase64Encoded: false,
  body: JSON.stringify({ context: { targetingKey: 'user-1', userId: 'user-1', country: 'DE', plan: 'pro' } }),
  requestContext: { requestId: 'cold', authorizer: { principalId: 'key', keyId: 'key', keyType: 'server' } },
};
const context = { awsRequestId: 'cold', functionName: 'evaluation', getRemainingTimeInMillis: () => 10000 };
handler(event, context).then((res) => {
  const t2 = performance.now();
  if (res.statusCode !== 200) { console.error(res.statusCode, res.body); process.exit(2); }
  const flags = JSON.parse(res.body).results.length;
  console.log(JSON.stringify({ requireMs: t1 - t0, firstEvaluationMs: t2 - t1, flags }));
  process.exit(0);
}, (error) => { console.error(error); process.exit(3); });
`;

interface ChildTimes {
  requireMs: number;
  firstEvaluationMs?: number;
  flags?: number;
}

function runChild(
  script: string,
  file: string,
  evaluate: boolean,
  env: Record<string, string>,
): Promise<ChildTimes> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [script, file, evaluate ? '1' : '0'],
      // The runtime's own flag, as SwitchyardFunction sets it.
      {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`${file}: ${error.message}\n${stderr}`));
        else done(JSON.parse(stdout.trim().split('\n').pop()!) as ChildTimes);
      },
    );
  });
}

export async function benchColdStart(
  runs = 5,
): Promise<{ budgetExceeded: boolean; [figure: string]: unknown }> {
  // Inside node_modules, so the external @aws-sdk/* resolve from the bundles as from the Lambda runtime.
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'switchyard-coldstart', randomUUID());
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'child.cjs');
  writeFileSync(script, CHILD);
  try {
    const files = await bundleFunctions(dir);
    const bundles: Record<string, object> = {};
    const exceeded: string[] = [];
    for (const name of FUNCTION_NAMES) {
      const file = files[name];
      const bytes = statSync(file).size;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await runChild(script, file, false, LOAD_ENV)).requireMs);
      const budget = BUNDLE_BUDGETS[name];
      if (bytes > budget) exceeded.push(`${name}: ${bytes} B > ${budget} B`);
      bundles[name] = {
        entry: FUNCTIONS[name].entry,
        bytes,
        budgetBytes: budget,
        gzipBytes: gzipSync(readFileSync(file)).byteLength,
        sourceMapBytes: statSync(`${file}.map`).size,
        requireMedianMs: round(median(times), 1),
      };
    }
    // Shipped beside the bundles, loaded only when needed (the cache's client, the tracer where tracing is on).
    const lazyModules: Record<string, object> = {};
    for (const module of LAZY_MODULES) {
      const file = join(dir, lazyModuleFiles(module).main);
      const bytes = statSync(file).size;
      const budget = LAZY_MODULE_BUDGETS[module.name] ?? 0;
      if (bytes > budget) exceeded.push(`${module.name} (lazy): ${bytes} B > ${budget} B`);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await runChild(script, file, false, LOAD_ENV)).requireMs);
      lazyModules[module.name] = { bytes, budgetBytes: budget, requireMedianMs: round(median(times), 1) };
    }
    // Informational: the evaluation bundle's require() where tracing is on (in Lambda, tracing active), which
    // loads the tracer and the X-Ray SDK at cold start. The budget is for the bundle alone (tracing off).
    const tracedTimes: number[] = [];
    for (let i = 0; i < runs; i++)
      tracedTimes.push((await runChild(script, files.evaluation, false, TRACED_ENV)).requireMs);
    const evaluation = await firstEvaluation(script, files.evaluation, runs);
    const evaluationRequire = (bundles.evaluation as { requireMedianMs: number }).requireMedianMs;
    if (evaluationRequire > COLD_START_BUDGETS.evaluationRequireMs)
      exceeded.push(
        `evaluation require(): ${evaluationRequire} ms > ${COLD_START_BUDGETS.evaluationRequireMs} ms`,
      );
    if (evaluation.firstEvaluationMedianMs > COLD_START_BUDGETS.firstEvaluationMs)
      exceeded.push(
        `first evaluation: ${evaluation.firstEvaluationMedianMs} ms > ${COLD_START_BUDGETS.firstEvaluationMs} ms`,
      );
    return {
      description:
        'every function bundled as the CDK app does (minified, external source map, @aws-sdk/* external; ioredis and ' +
        'the tracer beside the bundles in node_modules/, loaded only when needed); ' +
        `require() and the first POST /evaluate after it (100 flags, DynamoDB Local, no cache): medians over ${runs} fresh node processes`,
      runs,
      budgets: COLD_START_BUDGETS,
      bundles,
      lazyModules,
      evaluationRequireWithTracingMedianMs: round(median(tracedTimes), 1),
      evaluationColdStart: evaluation,
      budgetExceeded: exceeded.length > 0,
      exceeded,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function firstEvaluation(script: string, file: string, runs: number) {
  const { startEvaluationStores } = await import('./evaluation-handler');
  const stores = await startEvaluationStores();
  try {
    const samples: ChildTimes[] = [];
    for (let i = 0; i < runs; i++)
      samples.push(await runChild(script, file, true, { ...LOAD_ENV, ...stores.env }));
    const requires = samples.map((s) => s.requireMs);
    const firsts = samples.map((s) => s.firstEvaluationMs!);
    return {
      flagsServed: samples[0]!.flags,
      requireMedianMs: round(median(requires), 1),
      firstEvaluationMedianMs: round(median(firsts), 1),
      requirePlusFirstEvaluationMedianMs: round(
        median(samples.map((s) => s.requireMs + s.firstEvaluationMs!)),
        1,
      ),
      firstEvaluationSamplesMs: firsts.map((v) => round(v, 1)),
    };
  } finally {
    await stores.stop();
  }
}

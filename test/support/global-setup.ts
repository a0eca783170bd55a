import type { Config } from '@jest/types';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamodb';
import { bundleFunctionEntries, PREBUILT_FUNCTIONS_ENV } from '../../local/lambda-runtime';
import { freePort } from '../../local/ports';
import { measuredLoadScale, MEASURED_TIME_SCALE_ENV } from '../../local/timing';
import { LOCAL_FUNCTION_ENTRIES } from '../../shared/functions';
import { buildConsole } from './console-build';
import { SHARED_DYNAMO_ENV } from './shared-engines';

/**
 * Once per `npm test`: one DynamoDB Local (a JVM, ~2 s to start and ~175 MB) for every test file, instead of
 * one per file. Each file creates its tables under a prefix of its own and deletes them when it ends
 * (test/support/dynamo.ts, test/support/platform.ts). The workers find it in SWITCHYARD_TEST_DYNAMODB_ENDPOINT;
 * global-teardown.ts stops it, so that Jest exits by itself.
 *
 * The same run bundles every function once for all the local platforms the files start (PREBUILT_FUNCTIONS_ENV).
 *
 * Skipped when Java is missing (the suites that need it then skip loudly, or fail under CI=true: see
 * engines.ts) and when the run selects only unit or infrastructure tests.
 */
declare global {
  var __switchyardSharedDynamo: DynamoLocal | undefined;
  var __switchyardPrebuiltFunctions: string | undefined;
}

const ENGINE_FREE = /(^|\/)test\/(unit|infra)(\/|$)/;

function needsEngines(globalConfig: Config.GlobalConfig): boolean {
  const patterns = globalConfig.testPathPatterns.patterns;
  return patterns.length === 0 || !patterns.every((pattern) => ENGINE_FREE.test(pattern));
}

/** The browser tests serve the console: built here once, not by each file (console-build.ts says why). */
function needsConsole(globalConfig: Config.GlobalConfig): boolean {
  const patterns = globalConfig.testPathPatterns.patterns;
  return patterns.length === 0 || patterns.some((pattern) => /browser/.test(pattern));
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  // As in jest-env.ts (which runs in the workers, not here): the SDK's Node 22 notice is known noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Measured once here and handed to the workers: no deadline of the run assumes a quieter machine than this
  // (each still follows the load when it rises; SWITCHYARD_TIME_SCALE, when set, overrides both).
  process.env[MEASURED_TIME_SCALE_ENV] = measuredLoadScale().toFixed(2);
  if (!needsEngines(globalConfig)) return;
  if (needsConsole(globalConfig)) buildConsole();
  // Every function bundled once for the run's ~25 local platforms (each bundled them itself: 2–3 s of esbuild
  // per platform); a platform still bundles what is not here (a test's own stream or scheduled functions).
  const prebuilt = join(
    resolve(__dirname, '..', '..'),
    'node_modules',
    '.cache',
    'switchyard-functions',
    `run-${randomUUID()}`,
  );
  await bundleFunctionEntries(LOCAL_FUNCTION_ENTRIES, prebuilt);
  globalThis.__switchyardPrebuiltFunctions = prebuilt;
  process.env[PREBUILT_FUNCTIONS_ENV] = prebuilt;
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error !== undefined || java.status !== 0) return;
  const engine = await startDynamoLocal(
    (endpoint) =>
      new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    { port: await freePort() },
  );
  globalThis.__switchyardSharedDynamo = engine;
  process.env[SHARED_DYNAMO_ENV] = engine.endpoint;
}

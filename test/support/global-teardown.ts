import { rmSync } from 'node:fs';
import { PREBUILT_FUNCTIONS_ENV } from '../../local/lambda-runtime';
import { SHARED_DYNAMO_ENV } from './shared-engines';

/** Stops what global-setup.ts started: nothing of the run outlives it. */
export default async function globalTeardown(): Promise<void> {
  const engine = globalThis.__switchyardSharedDynamo;
  globalThis.__switchyardSharedDynamo = undefined;
  delete process.env[SHARED_DYNAMO_ENV];
  await engine?.stop();
  const prebuilt = globalThis.__switchyardPrebuiltFunctions;
  globalThis.__switchyardPrebuiltFunctions = undefined;
  delete process.env[PREBUILT_FUNCTIONS_ENV];
  if (prebuilt !== undefined) rmSync(prebuilt, { recursive: true, force: true });
}

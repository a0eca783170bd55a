import { SHARED_DYNAMO_ENV } from './shared-engines';

/** Stops what global-setup.ts started: nothing of the run outlives it. */
export default async function globalTeardown(): Promise<void> {
  const engine = globalThis.__switchyardSharedDynamo;
  globalThis.__switchyardSharedDynamo = undefined;
  delete process.env[SHARED_DYNAMO_ENV];
  await engine?.stop();
}

import type { Context } from 'aws-lambda';
import { build, stop as stopEsbuild } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A Lambda context as the runtime would pass it, for a function that runs in this process. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type LambdaFunction<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

const REPO_ROOT = resolve(__dirname, '..');

/**
 * Runs functions the way Lambda does: each entry is bundled by esbuild (as NodejsFunction does for the
 * CDK app, `@aws-sdk/*` left to the runtime) and loaded once, as a cold start, after the platform has set
 * the environment. Bundling is also what makes ESM-only dependencies such as middy 7 load here.
 */
export class FunctionRuntime {
  private readonly loaded = new Map<string, LambdaFunction>();
  /** The `shutdown(deadlineMs)` exports of the loaded functions: what they do on Lambda's SIGTERM. */
  private readonly shutdownHooks = new Map<string, (deadlineMs: number) => Promise<void>>();
  /** Bundled but not loaded yet: bundling needs no environment, loading is the cold start that reads it. */
  private readonly bundled = new Map<string, string>();
  /**
   * Inside the repository's node_modules, so that the externals (`@aws-sdk/*`) resolve from the bundles as
   * they do from the runtime in Lambda; one folder per runtime, so parallel platforms never share bundles.
   */
  readonly buildDir = join(REPO_ROOT, 'node_modules', '.cache', 'switchyard-functions', randomUUID());

  /**
   * Remove the bundles (they are rebuilt at every start) and stop esbuild's service process, which would
   * otherwise outlive the platform (one per test file); the next build starts a new one.
   */
  dispose(): void {
    rmSync(this.buildDir, { recursive: true, force: true });
    void stopEsbuild();
  }

  /** Bundle and load every entry (relative to the repository root). */
  async prepare(entries: readonly string[]): Promise<void> {
    await this.bundle(entries);
    this.load();
  }

  /**
   * Bundle every entry in one esbuild run, without loading them; the local platform does this while its
   * engines start, since it does not depend on the environment they provide. An entry already bundled in the
   * directory named by `PREBUILT_FUNCTIONS_ENV` (the test run builds every function once there, for all its
   * platforms) is taken from it.
   */
  async bundle(entries: readonly string[]): Promise<void> {
    const pending = [...new Set(entries)].filter((e) => !this.loaded.has(e) && !this.bundled.has(e));
    const prebuilt = process.env[PREBUILT_FUNCTIONS_ENV];
    const toBuild: string[] = [];
    for (const entry of pending) {
      const file = prebuilt ? join(prebuilt, `${bundleName(entry)}.js`) : undefined;
      if (file !== undefined && existsSync(file)) this.bundled.set(entry, file);
      else toBuild.push(entry);
    }
    if (toBuild.length === 0) return;
    const files = await bundleFunctionEntries(toBuild, this.buildDir);
    for (const [entry, file] of files) this.bundled.set(entry, file);
  }

  /** Load every bundled entry: their module scope runs now, as a cold start, and reads the environment. */
  load(): void {
    for (const [entry, file] of this.bundled) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the bundle is the point
      const module = require(file) as Record<string, unknown>;
      const fn = module.handler;
      if (typeof fn !== 'function') throw new Error(`${entry} does not export a function named handler`);
      this.loaded.set(entry, fn as LambdaFunction);
      if (typeof module.shutdown === 'function')
        this.shutdownHooks.set(entry, module.shutdown as (deadlineMs: number) => Promise<void>);
      this.bundled.delete(entry);
    }
  }

  /**
   * What Lambda's SIGTERM does before an execution environment goes: every function that exports
   * `shutdown(deadlineMs)` finishes (or counts as lost) the work it kept past its answers, within the deadline.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    await Promise.all([...this.shutdownHooks.values()].map((hook) => hook(deadlineMs)));
  }

  get<E, R>(entry: string): LambdaFunction<E, R> {
    const fn = this.loaded.get(entry);
    if (fn === undefined) throw new Error(`Function ${entry} was not prepared`);
    return fn as LambdaFunction<E, R>;
  }
}

/**
 * Names a directory of bundles already built from this source tree by `bundleFunctionEntries`: the test run
 * (test/support/global-setup.ts) builds every function once and its platforms load them from there, instead of
 * each platform bundling the same sources again.
 */
export const PREBUILT_FUNCTIONS_ENV = 'SWITCHYARD_PREBUILT_FUNCTIONS';

function bundleName(entry: string): string {
  return entry.replace(/\.ts$/, '').replace(/[/\\]/g, '__');
}

/**
 * Bundle `entries` (relative to the repository root) into `outdir` in one esbuild run, as NodejsFunction does for
 * the CDK app (`@aws-sdk/*` left to the runtime); the bundle file of each entry. `outdir` must sit inside the
 * repository's node_modules, so that the externals resolve from the bundles as they do from the runtime in Lambda.
 */
export async function bundleFunctionEntries(
  entries: readonly string[],
  outdir: string,
): Promise<Map<string, string>> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(entries.map((entry) => [bundleName(entry), join(REPO_ROOT, entry)])),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['@aws-sdk/*'],
    nodePaths: [join(REPO_ROOT, 'node_modules')],
    logLevel: 'error',
  });
  return new Map(entries.map((entry) => [entry, join(outdir, `${bundleName(entry)}.js`)]));
}

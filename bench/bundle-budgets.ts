/**
 * Size budgets of the function bundles (minified bytes, as lib/constructs/function-bundling.ts builds them) and the
 * cold-start budgets of the evaluation function (issue 17, goal 3). `npm run bench -- coldstart` and
 * test/unit/bundling/lazy-modules.test.ts fail when one is passed: raise a budget only with a reason in the commit.
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  FUNCTION_BUNDLING,
  LAZY_MODULE_BUILD,
  LAZY_MODULES,
  lazyModuleFiles,
  lazyModuleSource,
} from '../lib/constructs/function-bundling';
import { FUNCTIONS, FUNCTION_NAMES, type FunctionName } from '../shared/functions';

const KB = 1000;

/** Per function: the evaluation function's is the issue's 300 KB; the others', today's size plus headroom. */
export const BUNDLE_BUDGETS: Readonly<Record<FunctionName, number>> = {
  system: 2000 * KB,
  users: 2000 * KB,
  audit: 2000 * KB,
  'feature-flags': 2000 * KB,
  segments: 2000 * KB,
  layers: 2000 * KB,
  metrics: 2000 * KB,
  experiments: 2000 * KB,
  'rollout-schedules': 2000 * KB,
  safety: 2000 * KB,
  'api-keys': 2000 * KB,
  evaluation: 300 * KB,
  events: 2000 * KB,
  'api-key-authorizer': 2000 * KB,
  'ruleset-publisher': 2000 * KB,
  'event-processor': 2000 * KB,
  'experiment-sweep': 2000 * KB,
  'safety-monitor': 2000 * KB,
  'rollout-advancer': 2000 * KB,
  'experiment-scheduler': 2000 * KB,
  'search-setup': 2000 * KB,
};

/**
 * The packages shipped beside the bundles and loaded only when needed (LAZY_MODULES): today's size plus headroom,
 * so one that grows (or a new dependency pulled into it) is seen.
 */
export const LAZY_MODULE_BUDGETS: Readonly<Record<string, number>> = {
  ioredis: 200 * KB,
  '@aws-lambda-powertools/tracer': 200 * KB,
};

/** Medians on this machine (2 shared cores): the evaluation bundle's require(), and its first evaluation after it. */
export const COLD_START_BUDGETS = { evaluationRequireMs: 150, firstEvaluationMs: 250 } as const;

const REPO_ROOT = resolve(__dirname, '..');

/**
 * Bundle every function into `dir` (one esbuild run) and the lazy modules into `dir/node_modules`, where the
 * bundles find them as in Lambda; the bundle file of each function.
 */
export async function bundleFunctions(dir: string): Promise<Record<FunctionName, string>> {
  await bundleLazyModules(dir);
  await build({
    entryPoints: Object.fromEntries(
      FUNCTION_NAMES.map((name) => [name, join(REPO_ROOT, FUNCTIONS[name].entry)]),
    ),
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: FUNCTION_BUNDLING.target,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap ? 'linked' : false,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    external: [...FUNCTION_BUNDLING.externalModules],
    logLevel: 'error',
  });
  return Object.fromEntries(FUNCTION_NAMES.map((name) => [name, join(dir, `${name}.js`)])) as Record<
    FunctionName,
    string
  >;
}

/** Each lazy module bundled as the CDK app's `afterBundling` hook does it; its main file under `dir`. */
export async function bundleLazyModules(dir: string): Promise<Record<string, string>> {
  const mains: Record<string, string> = {};
  for (const module of LAZY_MODULES) {
    const files = lazyModuleFiles(module);
    await build({
      ...LAZY_MODULE_BUILD,
      mainFields: [...LAZY_MODULE_BUILD.mainFields],
      external: [...LAZY_MODULE_BUILD.external],
      stdin: { contents: lazyModuleSource(module), resolveDir: REPO_ROOT, loader: 'js' },
      outfile: join(dir, files.main),
      sourcemap: FUNCTION_BUNDLING.sourceMap ? 'linked' : false,
      logLevel: 'error',
    });
    for (const [file, source] of Object.entries(files.subpaths)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), source);
    }
    mains[module.name] = join(dir, files.main);
  }
  return mains;
}

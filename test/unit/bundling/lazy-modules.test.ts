import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUNDLE_BUDGETS, bundleFunctions, bundleLazyModules } from '../../../bench/bundle-budgets';
import { LAZY_MODULES, lazyModuleCommands, lazyModuleFiles } from '../../../lib/constructs/function-bundling';
import { FUNCTION_NAMES } from '../../../shared/functions';
import { tracingMiddleware, tracingPossible } from '../../../shared/observability';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** What the lazy modules resolve to, and what they export, from a file in `dir` (a child: a clean module cache). */
function probe(dir: string): Record<string, string> {
  const script = join(dir, 'probe.cjs');
  writeFileSync(
    script,
    `const out = {};
     for (const name of ['ioredis', '@aws-lambda-powertools/tracer', '@aws-lambda-powertools/tracer/middleware']) {
       const m = require(name);
       out[name] = require.resolve(name) + ' ' + Object.keys(m).filter((k) => typeof m[k] === 'function').sort().join(',');
     }
     console.log(JSON.stringify(out));`,
  );
  return JSON.parse(execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' })) as Record<
    string,
    string
  >;
}

describe('lazy modules (shipped beside the bundles, outside them)', () => {
  let dir: string;
  beforeEach(() => {
    // Outside the repository: nothing but the written files can answer a require.
    dir = mkdtempSync(join(tmpdir(), 'lazy-modules-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are written where require() finds them in Lambda, with the exports the code uses', async () => {
    await bundleLazyModules(dir);
    const found = probe(dir);
    expect(found.ioredis).toMatch(new RegExp(`^${dir}/node_modules/ioredis/index\\.js .*\\bdefault\\b`));
    expect(found['@aws-lambda-powertools/tracer']).toMatch(/tracer\/index\.js .*\bTracer\b/);
    expect(found['@aws-lambda-powertools/tracer/middleware']).toMatch(
      /tracer\/middleware\.js .*\bcaptureLambdaHandler\b/,
    );
  });

  it("the CDK app's afterBundling commands write the same files", () => {
    for (const command of lazyModuleCommands(REPO_ROOT, dir)) execFileSync('bash', ['-c', command]);
    for (const module of LAZY_MODULES)
      expect(statSync(join(dir, lazyModuleFiles(module).main)).size).toBeGreaterThan(0);
    expect(Object.keys(probe(dir))).toHaveLength(3);
  });

  it('are external to every function bundle, and every bundle is within its budget', async () => {
    const files = await bundleFunctions(dir);
    for (const name of FUNCTION_NAMES)
      expect(statSync(files[name]).size).toBeLessThanOrEqual(BUNDLE_BUDGETS[name]);
    // Loaded by name at run time (a dynamic import stays one in CommonJS output for Node 22), not inlined;
    // asserted on booleans so that a failure does not print the whole bundle.
    const evaluation = readFileSync(files.evaluation, 'utf8');
    expect(/(require|import)\("ioredis"\)/.test(evaluation)).toBe(true);
    expect(evaluation.includes('require("@aws-lambda-powertools/tracer")')).toBe(true);
    expect(evaluation.includes('AWSXRay')).toBe(false);
  });
});

describe('tracing', () => {
  const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };

  it('is possible in Lambda unless POWERTOOLS_TRACE_ENABLED is false, as the tracer decides', () => {
    expect(tracingPossible(lambda)).toBe(true);
    expect(tracingPossible({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
    expect(tracingPossible({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingPossible({ ...lambda, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingPossible({})).toBe(false);
  });

  it('adds the tracer middleware only where tracing is possible', () => {
    expect(tracingMiddleware({ POWERTOOLS_TRACE_ENABLED: 'false', ...lambda })).toBeUndefined();
    expect(tracingMiddleware({})).toBeUndefined();
    const middleware = tracingMiddleware(lambda);
    expect(typeof middleware?.before).toBe('function');
    expect(typeof middleware?.after).toBe('function');
    expect(typeof middleware?.onError).toBe('function');
  });
});

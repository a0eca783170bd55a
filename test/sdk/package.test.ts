import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledMs } from '../../local/timing';
import { installPackage, SDK_GZIP_BUDGET_BYTES, type EntrySize } from '../../sdk/js/scripts/bundle';
import { buildPackage as buildWebProvider } from '../../sdk/openfeature-web/scripts/build';
import type { Ruleset } from '../../shared/rules';
import evaluation from '../vectors/evaluation.json';
import {
  DEFAULTS,
  kindOf,
  platformOfrep,
  webDetails,
  webExpectation,
  type EvaluationCase,
  type KeyType,
} from './vectors';

/**
 * The packages as npm would ship them: each built into a scratch directory laid out like an installation
 * (`node_modules/@switchyard/…` beside its OpenFeature peer), then loaded by plain Node as ESM and as CommonJS,
 * type-checked from a consumer's files, and packed (dry run). @switchyard/sdk first, then
 * @switchyard/openfeature-web.
 */
const ROOT = join(__dirname, '../..');

function node(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * What tsc says about a consumer's `files` (written into `dir`) compiled against the installed package: strict,
 * node16 resolution, and skipLibCheck false, so the shipped declarations are checked too. Only lines naming the
 * package or a consumer file are kept (the peer's own declarations are not ours to fix).
 */
function consumerTypeErrors(dir: string, packageName: string, files: Record<string, string>): string[] {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'node16',
        moduleResolution: 'node16',
        noEmit: true,
        types: [],
        lib: ['ES2022', 'DOM'],
        skipLibCheck: false,
      },
      files: Object.keys(files),
    }),
  );
  const tsc = require.resolve('typescript/bin/tsc');
  let output = '';
  try {
    node([tsc, '-p', 'tsconfig.json'], dir);
  } catch (error) {
    output = String((error as { stdout?: string }).stdout);
  }
  const consumers = Object.keys(files);
  return output
    .split('\n')
    .filter((line) => line.includes(packageName) || consumers.some((file) => line.startsWith(file)));
}

/** The name and the sorted file list `npm pack` would ship from `packageDir` (a dry run, no scripts). */
function packed(packageDir: string): { name: string; files: string[] } {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: packageDir,
      encoding: 'utf8',
    }),
  ) as { name: string; files: { path: string }[] }[];
  return { name: pack!.name, files: pack!.files.map((f) => f.path).sort() };
}

let scratch: string;
let installed: string;
let sizes: EntrySize[];

/** A script run by the built package: every evaluation vector, through the main entry and the provider. */
const vectorScript = (load: string) => `
${load}
const vectors = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(join(ROOT, 'test/vectors/evaluation.json'))}, 'utf8'));
const fetch = async () => ({ status: 304, headers: { get: () => null }, text: async () => '' });
const client = sdk.createClient({ mode: 'local', baseUrl: 'https://x.test', apiKey: 'k', fetch, ruleset: vectors.ruleset, pollIntervalMs: 0 });
let mismatches = 0;
for (const c of vectors.cases) {
  if (c.options) continue;
  const [r] = client.evaluateAll(c.context, [c.flagKey]);
  const { errorMessage, flagKey, ...got } = r;
  if (JSON.stringify(got, Object.keys(got).sort()) !== JSON.stringify(c.expected, Object.keys(c.expected).sort())) mismatches++;
}
const provider = new openfeature.SwitchyardProvider(client);
console.log(JSON.stringify({ cases: vectors.cases.length, mismatches, sameClient: provider.client === client, status: client.status }));
client.close();
`;

describe('the @switchyard/sdk package', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'switchyard-sdk-package-'));
    ({ packageDir: installed, sizes } = await installPackage(scratch));
  }, scaledMs(120_000));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads as CommonJS and answers every evaluation vector', () => {
    const out = node(
      [
        '-e',
        vectorScript(
          `const sdk = require('@switchyard/sdk'); const openfeature = require('@switchyard/sdk/openfeature');`,
        ),
      ],
      scratch,
    );
    expect(JSON.parse(out)).toEqual({ cases: 243, mismatches: 0, sameClient: true, status: 'ready' });
  });

  it('loads as ESM and answers every evaluation vector', () => {
    const script = vectorScript(
      `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);` +
        `const sdk = await import('@switchyard/sdk'); const openfeature = await import('@switchyard/sdk/openfeature');`,
    );
    const file = join(scratch, 'check.mjs');
    writeFileSync(file, script);
    expect(JSON.parse(node([file], scratch))).toEqual({
      cases: 243,
      mismatches: 0,
      sameClient: true,
      status: 'ready',
    });
  });

  it('uses nothing from Node in the main entry (browsers, edge runtimes)', () => {
    for (const format of ['mjs', 'cjs']) {
      const code = readFileSync(join(installed, `dist/index.${format}`), 'utf8');
      expect(code).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b|["']node:|__dirname/);
      expect(code).not.toMatch(/from ["'](?!\.)/); // no imports at all: zero runtime dependencies
    }
  });

  it('has types a consumer compiles against, for both entries', () => {
    expect(
      consumerTypeErrors(scratch, '@switchyard/sdk', {
        'consumer.ts': `import { createClient, type EvaluationDetails, type LocalClient } from '@switchyard/sdk';
import { SwitchyardProvider } from '@switchyard/sdk/openfeature';
const client: LocalClient = createClient({ mode: 'local', baseUrl: 'https://x.test', apiKey: 'k' });
const details: EvaluationDetails<boolean> = client.getBooleanDetails('f', { targetingKey: 'u' }, false);
const remote = createClient({ baseUrl: 'https://x.test', apiKey: 'k' });
const later: Promise<string> = remote.getStringValue('f', {}, 'd');
const provider = new SwitchyardProvider(client);
export { details, later, provider };
`,
      }),
    ).toEqual([]);
  });

  it('packs the built files and types, and nothing else', () => {
    const { name, files } = packed(installed);
    expect(name).toBe('@switchyard/sdk');
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'package.json',
        'dist/index.mjs',
        'dist/index.cjs',
        'dist/openfeature.mjs',
        'dist/openfeature.cjs',
        'dist/types/index.d.ts',
        'dist/types/client.d.ts',
        'dist/types/openfeature/index.d.ts',
        'dist/types/engine/index.d.ts',
        'dist/types/engine/compile.d.ts',
      ]),
    );
    expect(files.every((f) => f === 'README.md' || f === 'package.json' || f.startsWith('dist/'))).toBe(true);
  });

  it(`stays small: the SDK with its engine within ${SDK_GZIP_BUDGET_BYTES / 1024} KiB gzipped, the provider under 2 KiB`, () => {
    const size = (entry: string) => sizes.find((s) => s.entry === entry)!;
    expect(size('index').gzipBytes).toBeLessThanOrEqual(SDK_GZIP_BUDGET_BYTES);
    expect(size('openfeature').gzipBytes).toBeLessThan(2 * 1024);
  });
});

/**
 * A script run by the built web provider with the peer's OpenFeature: every case of `file` (a context and the
 * OFREP answer the platform gives for it), resolved as a page would after setting that context.
 */
const webVectorScript = (load: string, file: string) => `
${load}
const { cases } = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));
let current = { answer: { status: 200, body: { flags: [] } } };
const fetch = async () =>
  new Response(JSON.stringify(current.answer.body), { status: current.answer.status, headers: { 'content-type': 'application/json' } });
const GET = { boolean: 'getBooleanDetails', string: 'getStringDetails', number: 'getNumberDetails', json: 'getObjectDetails' };
(async () => {
  const provider = new web.SwitchyardWebProvider({ baseUrl: 'https://x.test', apiKey: 'k', fetch, pollIntervalMs: 0 });
  await OpenFeature.setProviderAndWait('package', provider);
  const client = OpenFeature.getClient('package');
  const results = [];
  for (const c of cases) {
    current = c;
    await OpenFeature.setContext('package', c.context);
    const { value, variant, reason, errorCode, flagMetadata } = client[GET[c.kind]](c.flagKey, c.defaultValue);
    results.push({ value, variant, reason, errorCode, flagMetadata });
  }
  console.log(JSON.stringify({ status: client.providerStatus, results }));
  await OpenFeature.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('the @switchyard/openfeature-web package', () => {
  const ruleset = evaluation.ruleset as unknown as Ruleset;
  // As in vectors.test.ts: the cases whose context is an object (OpenFeature's and OFREP's only kind).
  const cases = (evaluation.cases as unknown as EvaluationCase[]).filter(
    (c) => typeof c.context === 'object' && c.context !== null && !Array.isArray(c.context),
  );
  let webScratch: string;
  let packageDir: string;
  let casesFile: string;

  beforeAll(async () => {
    webScratch = mkdtempSync(join(tmpdir(), 'switchyard-web-package-'));
    packageDir = join(webScratch, 'node_modules/@switchyard/openfeature-web');
    await buildWebProvider(join(packageDir, 'dist'));
    for (const file of ['package.json', 'README.md']) {
      cpSync(join(ROOT, 'sdk/openfeature-web', file), join(packageDir, file));
    }
    mkdirSync(join(webScratch, 'node_modules/@openfeature'), { recursive: true });
    for (const peer of ['web-sdk', 'core']) {
      symlinkSync(
        join(ROOT, 'node_modules/@openfeature', peer),
        join(webScratch, 'node_modules/@openfeature', peer),
      );
    }
    // Each case's answer is the platform's OFREP bulk answer for its context (client-key cases with a client key).
    const ofrep = platformOfrep(ruleset);
    const answers = [];
    for (const c of cases) {
      const keyType: KeyType = c.options?.clientSideOnly === true ? 'client' : 'server';
      const response = await ofrep(keyType, JSON.stringify({ context: c.context }));
      const kind = kindOf(ruleset, c);
      answers.push({
        flagKey: c.flagKey,
        kind,
        defaultValue: DEFAULTS[kind],
        context: c.context,
        answer: { status: response.status, body: await response.json() },
      });
    }
    casesFile = join(webScratch, 'cases.json');
    writeFileSync(casesFile, JSON.stringify({ cases: answers }));
  }, scaledMs(120_000));
  afterAll(() => rmSync(webScratch, { recursive: true, force: true }));

  const expectations = () =>
    cases.map((c) => {
      const flag = ruleset.flags.find((f) => f.key === c.flagKey);
      return webExpectation(c.expected, kindOf(ruleset, c), flag, ruleset.experiments ?? []);
    });
  const run = (args: string[]) => {
    const out = JSON.parse(node(args, webScratch)) as {
      status: string;
      results: Parameters<typeof webDetails>[0][];
    };
    return { status: out.status, results: out.results.map(webDetails) };
  };

  it('runs all but the three evaluation vectors whose context is not an object', () => {
    expect(cases.length).toBe(evaluation.cases.length - 3);
  });

  it('loads as CommonJS and resolves every one of those vectors from the platform’s OFREP answers', () => {
    const script = webVectorScript(
      `const web = require('@switchyard/openfeature-web'); const { OpenFeature } = require('@openfeature/web-sdk');`,
      casesFile,
    );
    expect(run(['-e', script])).toEqual({ status: 'READY', results: expectations() });
  });

  it('loads as ESM and resolves every one of those vectors from the platform’s OFREP answers', () => {
    const file = join(webScratch, 'check.mjs');
    writeFileSync(
      file,
      webVectorScript(
        `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);` +
          `const web = await import('@switchyard/openfeature-web'); const { OpenFeature } = await import('@openfeature/web-sdk');`,
        casesFile,
      ),
    );
    expect(run([file])).toEqual({ status: 'READY', results: expectations() });
  });

  it('uses nothing from Node, and imports only its peer', () => {
    for (const format of ['mjs', 'cjs']) {
      const code = readFileSync(join(packageDir, `dist/index.${format}`), 'utf8');
      expect(code).not.toMatch(/\bprocess\.|\bBuffer\b|["']node:|__dirname/);
      const imported = [...code.matchAll(/(?:\brequire\(|\bfrom )["']([^"']+)["']/g)].map((m) => m[1]);
      expect(new Set(imported)).toEqual(new Set(['@openfeature/web-sdk']));
    }
  });

  it('has types a consumer compiles against, as CommonJS and as ESM', () => {
    const consumer = `import { OpenFeature } from '@openfeature/web-sdk';
import { SwitchyardWebProvider, type SwitchyardWebProviderOptions } from '@switchyard/openfeature-web';
const options: SwitchyardWebProviderOptions = { baseUrl: 'https://x.test', apiKey: 'sy_client', pollIntervalMs: 0 };
const provider = new SwitchyardWebProvider(options);
const ready: Promise<void> = OpenFeature.setProviderAndWait(provider);
const flag: boolean = OpenFeature.getClient().getBooleanValue('f', false);
export { flag, ready };
`;
    expect(
      consumerTypeErrors(webScratch, '@switchyard/openfeature-web', {
        'consumer.ts': consumer,
        'consumer.mts': consumer,
      }),
    ).toEqual([]);
  });

  it('packs the bundles and their declarations, and nothing else', () => {
    const { name, files } = packed(packageDir);
    expect(name).toBe('@switchyard/openfeature-web');
    expect(files).toEqual([
      'README.md',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.mts',
      'dist/index.mjs',
      'package.json',
    ]);
  });
});

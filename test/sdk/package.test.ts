import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledMs } from '../../local/timing';
import { installPackage, type EntrySize } from '../../sdk/js/scripts/bundle';

/**
 * The package as npm would ship it: built into a scratch directory laid out like an installation
 * (`node_modules/@switchyard/sdk` and the peer `@openfeature/server-sdk`), then loaded by plain Node as ESM and as
 * CommonJS, type-checked from a consumer's file, and packed (dry run).
 */
const ROOT = join(__dirname, '../..');

let scratch: string;
let installed: string;
let sizes: EntrySize[];

function node(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

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
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { createClient, type EvaluationDetails, type LocalClient } from '@switchyard/sdk';
import { SwitchyardProvider } from '@switchyard/sdk/openfeature';
const client: LocalClient = createClient({ mode: 'local', baseUrl: 'https://x.test', apiKey: 'k' });
const details: EvaluationDetails<boolean> = client.getBooleanDetails('f', { targetingKey: 'u' }, false);
const remote = createClient({ baseUrl: 'https://x.test', apiKey: 'k' });
const later: Promise<string> = remote.getStringValue('f', {}, 'd');
const provider = new SwitchyardProvider(client);
export { details, later, provider };
`,
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
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
        files: ['consumer.ts'],
      }),
    );
    // skipLibCheck: false checks the shipped declarations too (the peer's own are not ours to fix).
    const tsc = require.resolve('typescript/bin/tsc');
    let output = '';
    try {
      node([tsc, '-p', 'tsconfig.json'], scratch);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(
      output.split('\n').filter((line) => line.includes('@switchyard/sdk') || line.startsWith('consumer')),
    ).toEqual([]);
  });

  it('packs the built files and types, and nothing else', () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: installed,
        encoding: 'utf8',
      }),
    ) as { name: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path).sort();
    expect(packed[0]!.name).toBe('@switchyard/sdk');
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

  it('stays small: the SDK with its engine under 16 KB gzipped, the provider under 2 KB', () => {
    const size = (entry: string) => sizes.find((s) => s.entry === entry)!;
    expect(size('index').gzipBytes).toBeLessThan(16 * 1024);
    expect(size('openfeature').gzipBytes).toBeLessThan(2 * 1024);
  });
});

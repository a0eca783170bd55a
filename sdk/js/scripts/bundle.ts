import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

/**
 * Builds @switchyard/sdk: ESM and CommonJS bundles of each entry (the engine from shared/rules bundled in, no
 * runtime dependency), and declarations. esbuild (already the project's bundler) writes the code; `tsc
 * --emitDeclarationOnly` the types, which are then laid out as the package ships them:
 *
 *   dist/index.{mjs,cjs}          the SDK            dist/types/index.d.ts
 *   dist/openfeature.{mjs,cjs}    the server provider dist/types/openfeature/index.d.ts
 *                                                     dist/types/engine/*.d.ts   (shared/rules' types)
 *
 * The provider entry imports the SDK as `@switchyard/sdk` (the package itself), so an application that uses
 * both loads one copy of the client, and `@openfeature/server-sdk` stays the application's (a peer).
 */
const PACKAGE = join(__dirname, '..');
const ROOT = join(PACKAGE, '../..');

const ENTRIES = [
  { name: 'index', source: 'src/index.ts', platform: 'neutral' as const },
  { name: 'openfeature', source: 'src/openfeature/index.ts', platform: 'node' as const },
];

/** In the provider entry, the SDK is the package's own main entry rather than a second copy. */
const sdkAsPackage: Plugin = {
  name: 'sdk-as-package',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/(client|index)$/ }, (args) =>
      args.importer.includes(`${join('src', 'openfeature')}`)
        ? { path: '@switchyard/sdk', external: true }
        : undefined,
    );
  },
};

export interface EntrySize {
  readonly entry: string;
  /** The ESM bundle as shipped. */
  readonly bytes: number;
  /** Minified by esbuild, as an application's bundler would. */
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
}

async function bundle(outDir: string): Promise<void> {
  for (const entry of ENTRIES) {
    for (const format of ['esm', 'cjs'] as const) {
      await build({
        entryPoints: [join(PACKAGE, entry.source)],
        outfile: join(outDir, `${entry.name}.${format === 'esm' ? 'mjs' : 'cjs'}`),
        bundle: true,
        format,
        platform: entry.platform,
        target: ['es2020', 'node18'],
        external: ['@openfeature/server-sdk', '@switchyard/sdk'],
        plugins: [sdkAsPackage],
        sourcemap: true,
        legalComments: 'none',
        logLevel: 'silent',
      });
    }
  }
}

/** `tsc --emitDeclarationOnly`, then the engine's declarations moved beside the SDK's. */
function declarations(outDir: string): void {
  const scratch = mkdtempSync(join(tmpdir(), 'switchyard-sdk-types-'));
  try {
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(PACKAGE, 'tsconfig.json'),
        '--noEmit',
        'false',
        '--declaration',
        '--emitDeclarationOnly',
        '--outDir',
        scratch,
      ],
      { stdio: 'inherit' },
    );
    const types = join(outDir, 'types');
    cpSync(join(scratch, relative(ROOT, join(PACKAGE, 'src'))), types, { recursive: true });
    cpSync(join(scratch, 'shared/rules'), join(types, 'engine'), { recursive: true });
    for (const file of listFiles(types)) {
      const depth = relative(types, file).split('/').length - 1;
      const engine = depth === 0 ? './engine' : `${'../'.repeat(depth)}engine`;
      const text = readFileSync(file, 'utf8').replace(/(['"])(?:\.\.\/)+shared\/rules\1/g, `$1${engine}$1`);
      writeFileSync(file, text);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

/** Each entry's size as shipped, minified and gzipped (minified). */
export async function measureSizes(outDir: string): Promise<EntrySize[]> {
  const sizes: EntrySize[] = [];
  for (const entry of ENTRIES) {
    const file = join(outDir, `${entry.name}.mjs`);
    const minified = await build({
      entryPoints: [file],
      bundle: false,
      minify: true,
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const code = minified.outputFiles[0]!.contents;
    sizes.push({
      entry: entry.name,
      bytes: readFileSync(file).length,
      minifiedBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
    });
  }
  return sizes;
}

/** Builds the package into `outDir` (default sdk/js/dist); `types: false` skips the declarations (faster). */
export async function buildPackage(
  outDir = join(PACKAGE, 'dist'),
  { types = true }: { types?: boolean } = {},
): Promise<EntrySize[]> {
  rmSync(outDir, { recursive: true, force: true });
  await bundle(outDir);
  if (types) declarations(outDir);
  return measureSizes(outDir);
}

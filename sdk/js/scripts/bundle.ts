import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** The SDK's main entry (client and engine), minified and gzipped: the issue's 15 KB, read as 15 KiB. */
export const SDK_GZIP_BUDGET_BYTES = 15 * 1024;

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

/**
 * Each entry's size as shipped, minified and gzipped (minified); and `remote-only`, what an application that uses
 * only `RemoteClient` (a browser) carries once its bundler has dropped the unused engine.
 */
export async function measureSizes(outDir: string): Promise<EntrySize[]> {
  const minify = async (code: string, bytes: number, entry: string): Promise<EntrySize> => {
    const minified = await build({
      stdin: { contents: code, resolveDir: outDir, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      external: ['@openfeature/server-sdk', '@switchyard/sdk'],
      write: false,
      logLevel: 'silent',
    });
    const output = minified.outputFiles[0]!.contents;
    return { entry, bytes, minifiedBytes: output.length, gzipBytes: gzipSync(output, { level: 9 }).length };
  };
  const sizes: EntrySize[] = [];
  for (const entry of ENTRIES) {
    const file = join(outDir, `${entry.name}.mjs`);
    sizes.push(await minify(readFileSync(file, 'utf8'), readFileSync(file).length, entry.name));
  }
  sizes.push(await minify(`export { RemoteClient } from './index.mjs';`, 0, 'remote-only'));
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

/**
 * The package as an application gets it: built into `<dir>/node_modules/@switchyard/sdk` (package.json, README,
 * dist) beside links to the project's `@openfeature/server-sdk` and `@openfeature/core` (the peer), so that plain
 * Node resolves `@switchyard/sdk`, `@switchyard/sdk/openfeature` and the peer from `dir` (tests, benchmarks).
 */
export async function installPackage(
  dir: string,
  options: { types?: boolean } = {},
): Promise<{ packageDir: string; sizes: EntrySize[] }> {
  const packageDir = join(dir, 'node_modules/@switchyard/sdk');
  mkdirSync(packageDir, { recursive: true });
  const sizes = await buildPackage(join(packageDir, 'dist'), options);
  cpSync(join(PACKAGE, 'package.json'), join(packageDir, 'package.json'));
  cpSync(join(PACKAGE, 'README.md'), join(packageDir, 'README.md'));
  mkdirSync(join(dir, 'node_modules/@openfeature'), { recursive: true });
  for (const peer of ['server-sdk', 'core']) {
    symlinkSync(join(ROOT, 'node_modules/@openfeature', peer), join(dir, 'node_modules/@openfeature', peer));
  }
  return { packageDir, sizes };
}

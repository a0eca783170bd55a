import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/**
 * Builds the package into dist/: ESM (`index.mjs`) and CommonJS (`index.cjs`) bundles of src/ by esbuild, with
 * `@openfeature/web-sdk` left to the application (a peer dependency: one OpenFeature per page), and the
 * declarations by tsc — one self-contained `index.d.ts`, shipped as `index.d.mts` and `index.d.cts` (one per module format).
 * Run by `npm run build` and before `npm pack` / `npm publish`.
 */
const root = join(__dirname, '..');

/** What both bundles share (also used by the size report and the static-page example). */
export const bundleOptions = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  platform: 'neutral',
  target: 'es2020',
  external: ['@openfeature/web-sdk'],
  logLevel: 'warning',
} satisfies BuildOptions;

/** Builds the package into `dist` (default sdk/openfeature-web/dist; the package test builds into a scratch copy). */
export async function buildPackage(dist = join(root, 'dist')): Promise<void> {
  rmSync(dist, { recursive: true, force: true });
  await Promise.all([
    build({ ...bundleOptions, format: 'esm', outfile: join(dist, 'index.mjs') }),
    build({ ...bundleOptions, format: 'cjs', outfile: join(dist, 'index.cjs') }),
  ]);
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      join(dist, 'types'),
    ],
    {
      stdio: 'inherit',
    },
  );
  const declarations = join(dist, 'types/index.d.ts');
  // Private members are emitted without types, so the public surface needs only @openfeature/web-sdk's types;
  // a relative import here would point into files the package does not ship.
  if (/from '\.\.?\//.test(readFileSync(declarations, 'utf8'))) {
    throw new Error(`${declarations} imports a module of its own: make the public types self-contained`);
  }
  copyFileSync(declarations, join(dist, 'index.d.mts'));
  copyFileSync(declarations, join(dist, 'index.d.cts'));
  rmSync(join(dist, 'types'), { recursive: true });
}

if (require.main === module) {
  buildPackage().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

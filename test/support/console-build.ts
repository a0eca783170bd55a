import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Set by global-setup.ts once it has built the console for the run: the browser test files do not build again. */
export const CONSOLE_BUILT_ENV = 'SWITCHYARD_TEST_CONSOLE_BUILT';

/**
 * The console as the sources say now (the build of `npm ci` may be older): Vite takes a few seconds. Once per run,
 * in the global setup, when the run includes the browser tests: two files building into console/dist side by side
 * race (one empties the folder the other's platform serves, and Vite refuses a second build process).
 */
export function buildConsole(): void {
  if (process.env[CONSOLE_BUILT_ENV] === '1') return;
  const build = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'console'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  process.env[CONSOLE_BUILT_ENV] = '1';
}

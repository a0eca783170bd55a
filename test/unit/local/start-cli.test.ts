import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

/** `npm start`'s program refuses bad options before it starts anything (no engine needed). */
const start = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/local.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm start: options', () => {
  it('lists --ms-per-minute in its usage', () => {
    const help = start('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('[--ms-per-minute N]');
  });

  it.each(['0', '-5', 'fast', ''])('refuses --ms-per-minute %j with exit code 2 and says why', (value) => {
    const run = start(`--ms-per-minute=${value}`);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `Invalid --ms-per-minute ${JSON.stringify(value)}: a number of milliseconds >= 1`,
    );
    expect(run.stdout).not.toContain('Starting');
  });
});

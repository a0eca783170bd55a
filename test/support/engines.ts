import { spawnSync } from 'node:child_process';

/** Debian's Chromium, which the browser tests drive through playwright-core (no browser download). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Integration and end-to-end tests need real engines: Java (DynamoDB Local), redis-server, python3 (3.9+, the
 * Python SDK's tests) and Chromium (the browser tests). Where one is missing on a developer machine the suite is
 * skipped and says why in the run's summary (a todo test named "SKIPPED: …", which jest.skip-reporter.js lists
 * after the summary); with CI=true it fails instead, so CI can never go green without running them.
 */
const probes = {
  java: { command: 'java', args: ['-version'], install: 'openjdk-17-jre-headless' },
  redis: { command: 'redis-server', args: ['--version'], install: 'redis-server' },
  // The Python SDK (sdk/python) supports 3.9+; Debian's python3, and pip for its packaging test.
  python: {
    command: 'python3',
    args: ['-c', 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)'],
    install: 'python3 python3-pip',
  },
  chromium: { command: CHROMIUM_PATH, args: ['--version'], install: 'chromium' },
} as const;

export type Engine = keyof typeof probes;

/** The title prefix of the todo test that carries a skipped suite's reason (the reporter looks for it). */
export const SKIPPED_PREFIX = 'SKIPPED:';

export function requireEngines(engines: readonly Engine[]): { describe: jest.Describe; missing: Engine[] } {
  const missing = engines.filter((engine) => {
    const { command, args } = probes[engine];
    const result = spawnSync(command, args, { stdio: 'ignore' });
    return result.error !== undefined || result.status !== 0;
  });
  if (missing.length === 0) return { describe, missing };
  const commands = missing.map((engine) => `\`${probes[engine].command}\``).join(' and ');
  const packages = missing.map((engine) => probes[engine].install).join(' ');
  const reason =
    `${commands} not found, so these tests cannot run ` +
    `(install with \`sudo apt-get install -y ${packages}\`; .ci/run does it)`;
  if (process.env.CI === 'true') throw new Error(`MISSING ENGINES under CI=true: ${reason}`);
  console.warn(`\n${'!'.repeat(80)}\n${SKIPPED_PREFIX} ${reason}\n${'!'.repeat(80)}\n`);
  const skipped = ((name: string, fn: () => void) => {
    describe.skip(name, fn);
    describe(name, () => it.todo(`${SKIPPED_PREFIX} ${reason}`));
  }) as jest.Describe;
  return { describe: skipped, missing };
}

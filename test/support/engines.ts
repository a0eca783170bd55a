import { spawnSync } from 'node:child_process';

/**
 * Integration and end-to-end tests need real engines: Java (DynamoDB Local) and redis-server. Where one is
 * missing on a developer machine the suite says so loudly and skips; with CI=true it fails instead, so CI
 * can never go green without running them.
 */
const probes = {
  java: ['java', ['-version']],
  redis: ['redis-server', ['--version']],
} as const;

export type Engine = keyof typeof probes;

export function requireEngines(engines: readonly Engine[]): { describe: jest.Describe; missing: Engine[] } {
  const missing = engines.filter((engine) => {
    const [command, args] = probes[engine];
    const result = spawnSync(command, args, { stdio: 'ignore' });
    return result.error !== undefined || result.status !== 0;
  });
  if (missing.length === 0) return { describe, missing };
  const message = `MISSING ENGINES: ${missing.join(', ')} — these tests cannot run (see .ci/run for how CI installs them)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n${'!'.repeat(80)}\n${message}; SKIPPING\n${'!'.repeat(80)}\n`);
  return { describe: describe.skip, missing };
}

/**
 * `npm run test:prism [-- <jest arguments>]`: the end-to-end suites with Stoplight Prism as a validating proxy in
 * front of every test platform (test/support/prism.ts), then a summary of what Prism found, as JSON. Exits 1
 * when Prism reports any answer that the OpenAPI document does not declare, or when the tests fail.
 *
 * Prism is not a dependency of the project (its current releases need Node 24): the first run installs the
 * pinned version below into `.switchyard/tools/prism` from the npm registry. `--prism PATH` uses another copy
 * (the path of its `dist/index.js`). Requests the document does not describe are counted apart: the tests send
 * bad input on purpose, and the local platform's own routes (`/local/…`, the console at `/`) are not part of
 * the public API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PRISM_CLI_ENV, PRISM_LOG_ENV } from '../test/support/prism';

const PRISM_VERSION = '5.14.2';
const ROOT = resolve(__dirname, '..');
const DEFAULT_SUITES = ['test/e2e', 'test/browser'];

function installedPrism(): string {
  const prefix = join(ROOT, '.switchyard', 'tools', 'prism');
  const cli = join(prefix, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
  if (existsSync(cli)) return cli;
  mkdirSync(prefix, { recursive: true });
  console.error(`Installing @stoplight/prism-cli@${PRISM_VERSION} into ${prefix} …`);
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', `@stoplight/prism-cli@${PRISM_VERSION}`],
    { stdio: 'inherit' },
  );
  if (npm.status !== 0 || !existsSync(cli)) throw new Error('Installing Prism failed (see above)');
  return cli;
}

interface Finding {
  readonly side: 'request' | 'response';
  readonly route: string;
  readonly message: string;
}

/** Prism logs `[HTTP SERVER] get /path … Request received` and then the request's `Violation: …` lines. */
function findings(logDir: string): { requests: number; found: Finding[] } {
  let requests = 0;
  const found: Finding[] = [];
  for (const name of readdirSync(logDir).filter((file) => file.endsWith('.log'))) {
    let route = '?';
    for (const line of readFileSync(join(logDir, name), 'utf8').split('\n')) {
      const received = /\[HTTP SERVER\] (\w+) (\S+) .*Request received/.exec(line);
      if (received !== null) {
        requests += 1;
        route = `${received[1]!.toUpperCase()} ${received[2]!.split('?')[0]!}`;
        continue;
      }
      const violation = /Violation: (request|response)(.*)$/.exec(line);
      if (violation !== null) {
        found.push({ side: violation[1] as Finding['side'], route, message: violation[2]!.trim() });
      }
    }
  }
  return { requests, found };
}

function grouped(list: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { route, message } of list) {
    // Ids and generated keys (anything with a digit or an escape) grouped, so that the summary lists routes.
    const key = `${route.replace(/\/[^/]*[0-9%][^/]*/g, '/{id}')} — ${message}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--prism');
  const cli = at >= 0 ? resolve(args.splice(at, 2)[1] ?? '') : installedPrism();
  const logDir = mkdtempSync(join(tmpdir(), 'switchyard-prism-'));
  const jestArgs = args.length > 0 ? args : DEFAULT_SUITES;
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...jestArgs], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, [PRISM_CLI_ENV]: cli, [PRISM_LOG_ENV]: logDir },
  });
  const { requests, found } = findings(logDir);
  const responses = found.filter((finding) => finding.side === 'response');
  const undescribed = found.filter((finding) => finding.side === 'request');
  const summary = {
    prism: PRISM_VERSION,
    suites: jestArgs,
    testsPassed: jest.status === 0,
    requestsThroughPrism: requests,
    responseViolations: responses.length,
    responseViolationsByRoute: grouped(responses),
    requestViolations: undescribed.length,
    requestViolationsByRoute: grouped(undescribed),
    logs: logDir,
  };
  console.log(JSON.stringify(summary, null, 2));
  process.exit(jest.status === 0 && responses.length === 0 && requests > 0 ? 0 : 1);
}

main();

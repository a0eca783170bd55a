import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { request } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const engines = requireEngines(['java']);
const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

engines.describe('an in-memory platform (npm start -- --memory) writes nothing, tokens included', () => {
  let platform: TestPlatform;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'sy-memory-')), 'data');
  /** Where `npm run token` runs: its default data directory (.switchyard) would appear here. */
  const cwd = mkdtempSync(join(tmpdir(), 'sy-memory-cwd-'));

  /** `npm run token -- …args` as a user runs it, from an empty directory. */
  const token = async (...args: string[]) =>
    (
      await run(
        process.execPath,
        [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'bin/token.ts'), ...args],
        {
          cwd,
          timeout: scaledMs(30_000),
        },
      )
    ).stdout.trim();

  beforeAll(async () => {
    platform = await startTestPlatform({ memory: true, dataDir });
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'serves tokens from its loopback token endpoint, for users that live in its memory',
    async () => {
      expect(platform.tokenPort).toEqual(expect.any(Number));
      const admin = await token('--role', 'admin', '--port', String(platform.tokenPort));
      const users = await request(platform.url, 'GET', '/api/v1/users', { credential: admin });
      expect(users.status).toBe(200);
      expect((users.json.items as { email: string }[]).map((u) => u.email)).toEqual([
        'admin@switchyard.local',
      ]);
      // The same user signs in again, rather than a second one being created.
      const again = await token('--role', 'admin', '--port', String(platform.tokenPort));
      expect((await request(platform.url, 'GET', '/api/v1/users/me', { credential: again })).status).toBe(
        200,
      );
      expect((await request(platform.url, 'GET', '/api/v1/users', { credential: again })).json.total).toBe(1);
    },
    scaledMs(60_000),
  );

  it.each([['--expires-in', '-5'], ['--expires-in=-5']])(
    'takes a negative expiry (%s %s): the token is already expired',
    async (...args) => {
      const expired = await token('--role', 'viewer', ...args, '--port', String(platform.tokenPort));
      const res = await request(platform.url, 'GET', '/api/v1/users/me', { credential: expired });
      expect(res.status).toBe(401);
    },
    scaledMs(30_000),
  );

  it('leaves nothing on disk once stopped', async () => {
    await platform.stop();
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

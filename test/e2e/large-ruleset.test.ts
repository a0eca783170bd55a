import { createClient, type LocalClient } from '../../sdk/js/src';
import { booleanFlag } from '../support/flags';
import { documentValidator } from '../support/openapi-validator';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually, request } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { upstreamOf } from '../support/prism';

const engines = requireEngines(['java']);

/**
 * Issue 17, goal 2: a ruleset larger than a response may carry is stored and redirected to. The platform's inline
 * limit is lowered to 2 KB so that a few flags take that path; in AWS it is 5 MiB and the store is S3.
 */
const INLINE_MAX_BYTES = 2048;
const RULESET = '/api/v1/sdk/ruleset';

engines.describe('a ruleset too large for a response (local platform)', () => {
  let platform: TestPlatform;
  /** The platform itself, not a validating proxy in front of it (`npm run test:prism`): Prism follows redirects. */
  let base = '';
  let serverKey = '';
  let adminToken = '';
  const url = () => base;
  const admin = apiCaller(url, () => adminToken);
  const clients: LocalClient[] = [];

  /** The ruleset route as a client that does not follow redirects sees it, checked against the document. */
  const askRuleset = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${RULESET}`, {
      headers: { authorization: `Bearer ${serverKey}`, ...headers },
      redirect: 'manual',
    });
    const text = await res.text();
    documentValidator().check({
      method: 'GET',
      path: RULESET,
      status: res.status,
      headers: res.headers,
      text,
    });
    return { status: res.status, headers: res.headers };
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ rulesetInlineMaxBytes: INLINE_MAX_BYTES });
    base = upstreamOf(platform.url);
    adminToken = (await platform.identity.signIn({ role: 'admin' })).token;
    serverKey = (await admin('POST', '/api/v1/api-keys', { name: 'backend', type: 'server' })).json
      .secret as string;
    for (let i = 0; i < 12; i++) {
      const created = await admin(
        'POST',
        '/api/v1/feature-flags',
        booleanFlag(`flag-${i}`, {
          // A rule each, so that a dozen flags pass the lowered inline limit (only what evaluation reads is published).
          rules: [
            {
              id: 'staff',
              conditions: { attribute: 'email', op: 'ends_with', values: ['@staff.example'] },
              serve: { variation: 'on' },
            },
          ],
          fallthrough: { variation: i % 2 === 0 ? 'on' : 'off' },
        }),
      );
      expect(created.status).toBe(201);
    }
    await eventually(
      'all twelve flags are published',
      async () => {
        const res = await askRuleset();
        if (res.status !== 302) return undefined;
        const stored = await fetch(new URL(res.headers.get('location')!, base));
        const body = (await stored.json()) as { flags: unknown[] };
        return body.flags.length === 12 ? true : undefined;
      },
      60_000,
    );
  }, 180_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await platform?.stop();
  });

  it('answers 302 with a signed same-origin Location and the ETag; the body there needs no credentials', async () => {
    const res = await askRuleset();
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/local\/rulesets\/\d+\.json\?expires=\d+&signature=[\w-]+$/);
    const etag = res.headers.get('etag')!;
    const stored = await fetch(new URL(location, base));
    expect(stored.status).toBe(200);
    const text = await stored.text();
    expect(Buffer.byteLength(text)).toBeGreaterThan(INLINE_MAX_BYTES);
    const body = JSON.parse(text) as { revision: number; flags: { key: string }[] };
    expect(etag).toBe(`"${body.revision}"`);
    expect(body.flags.map((f) => f.key).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `flag-${i}`).sort(),
    );
  });

  it('still answers 304 to the ETag of the stored body', async () => {
    const first = await askRuleset();
    const again = await request(base, 'GET', RULESET, {
      credential: serverKey,
      headers: { 'If-None-Match': first.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('refuses a Location whose signature was changed, and a client key the ruleset itself', async () => {
    const location = new URL((await askRuleset()).headers.get('location')!, base);
    location.searchParams.set('signature', 'A'.repeat(43));
    const forged = await fetch(location);
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ code: 'FORBIDDEN' });
    const clientKey = (await admin('POST', '/api/v1/api-keys', { name: 'web', type: 'client' })).json
      .secret as string;
    expect((await request(base, 'GET', RULESET, { credential: clientKey })).status).toBe(403);
  });

  it('the SDK in local mode follows it, evaluates as the API does, and then polls with 304s', async () => {
    const downloads: string[] = [];
    const client = createClient({
      mode: 'local',
      baseUrl: base,
      apiKey: serverKey,
      logger: { warn: () => undefined, error: () => undefined },
      pollIntervalMs: 0,
      fetch: async (target, init) => {
        const res = await fetch(target, init);
        downloads.push(`${new URL(target).pathname} ${res.status}`);
        return res;
      },
    });
    clients.push(client);
    await client.waitForReady();
    for (let i = 0; i < 12; i++) {
      const served = await request(base, 'POST', '/api/v1/evaluate', {
        credential: serverKey,
        body: { context: { targetingKey: 'u1' }, flags: [`flag-${i}`] },
      });
      const [result] = served.json.results as { value: unknown }[];
      expect(client.getBooleanValue(`flag-${i}`, { targetingKey: 'u1' }, i % 2 === 1)).toBe(result!.value);
    }
    await client.refresh();
    await client.refresh();
    const revision = /^\/local\/rulesets\/(\d+)\.json/.exec(downloads[1] ?? '')?.[1];
    expect(downloads).toEqual([
      `${RULESET} 302`,
      `/local/rulesets/${revision}.json 200`,
      `${RULESET} 304`,
      `${RULESET} 304`,
    ]);
  });
});

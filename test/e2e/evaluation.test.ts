import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { eventually, request, PUBLISH_BUDGET_MS } from '../support/http';

const engines = requireEngines(['java']);
const AUTHORIZER_TTL_SECONDS = 2;

interface Result {
  flagKey: string;
  value: unknown;
  variation: string | null;
  reason: string;
  ruleId?: string;
  errorCode?: string;
}

engines.describe('flag evaluation end to end on the local platform', () => {
  let platform: TestPlatform;
  let admin: string;
  let serverKey: string;
  let serverKeyId: string;
  let clientKey: string;

  const call = (method: string, path: string, auth: Record<string, string>, body?: unknown) =>
    request(platform.url, method, path, { headers: auth, body });
  const asAdmin = () => ({ Authorization: `Bearer ${admin}` });
  const withKey = (key: string) => ({ Authorization: `Bearer ${key}` });
  const evaluate = async (key: string, context: Record<string, unknown>, flags?: string[]) =>
    (await call('POST', '/api/v1/evaluate', withKey(key), { context, ...(flags ? { flags } : {}) })).json as {
      revision: number;
      results: Result[];
    };

  beforeAll(async () => {
    platform = await startTestPlatform({
      authorizerCacheSeconds: AUTHORIZER_TTL_SECONDS,
    });
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    const server = await call('POST', '/api/v1/api-keys', asAdmin(), { name: 'backend', type: 'server' });
    serverKey = server.json.secret as string;
    serverKeyId = server.json.id as string;
    clientKey = (await call('POST', '/api/v1/api-keys', asAdmin(), { name: 'web', type: 'client' })).json
      .secret as string;
    const created = await call('POST', '/api/v1/feature-flags', asAdmin(), {
      key: 'new-checkout',
      name: 'New checkout',
      kind: 'string',
      variations: [
        { key: 'control', value: 'old' },
        { key: 'treatment', value: 'new' },
        { key: 'internal', value: 'staff' },
      ],
      enabled: true,
      offVariation: 'control',
      rules: [
        {
          id: 'staff',
          conditions: { attribute: 'email', op: 'ends_with', values: ['@switchyard.dev'] },
          serve: { variation: 'internal' },
        },
      ],
      fallthrough: {
        allocations: [
          { variation: 'treatment', weight: 3000 },
          { variation: 'control', weight: 7000 },
        ],
      },
    });
    expect(created.status).toBe(201);
    await call('POST', '/api/v1/feature-flags', asAdmin(), {
      key: 'banner',
      name: 'Banner',
      kind: 'boolean',
      variations: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      enabled: true,
      clientSide: true,
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    });
    // The publisher turns the config stream into a ruleset revision.
    await eventually(
      'the ruleset carries both flags',
      async () => {
        const { results } = await evaluate(serverKey, { targetingKey: 'probe' });
        return results.length === 2 ? true : undefined;
      },
      scaledMs(PUBLISH_BUDGET_MS),
    );
  }, scaledMs(90_000));

  afterAll(async () => {
    await OpenFeature.close();
    await platform?.stop();
  });

  it(
    'serves the rule’s variation to its units and splits the rest 30/70',
    async () => {
      const counts: Record<string, number> = { internal: 0, treatment: 0, control: 0 };
      for (let i = 0; i < 1000; i++) {
        const email = i % 10 === 0 ? `u${i}@switchyard.dev` : `u${i}@example.com`;
        const { results } = await evaluate(serverKey, { targetingKey: `user-${i}`, email }, ['new-checkout']);
        const result = results[0]!;
        if (i % 10 === 0)
          expect(result).toMatchObject({
            variation: 'internal',
            value: 'staff',
            reason: 'TARGETING_MATCH',
            ruleId: 'staff',
          });
        else expect(result.reason).toBe('SPLIT');
        counts[result.variation!] = (counts[result.variation!] ?? 0) + 1;
      }
      expect(counts.internal).toBe(100);
      // 900 split units, p = 0.3: sd ≈ 13.7; allow 4 sd.
      expect(Math.abs(counts.treatment! - 270)).toBeLessThan(55);
      expect(counts.treatment! + counts.control!).toBe(900);
    },
    scaledMs(60_000),
  );

  it('is deterministic per unit and says so when the unit is missing', async () => {
    const a = await evaluate(serverKey, { targetingKey: 'sticky' }, ['new-checkout']);
    const b = await evaluate(serverKey, { targetingKey: 'sticky' }, ['new-checkout']);
    expect(a.results).toEqual(b.results);
    const missing = await evaluate(serverKey, { country: 'FR' }, ['new-checkout']);
    expect(missing.results[0]).toMatchObject({ reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    const unknown = await evaluate(serverKey, { targetingKey: 'x' }, ['nope']);
    expect(unknown.results[0]).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('takes unit ids as events do: at most 256 characters, else 400 naming the field (issue 16)', async () => {
    const huge = 'u'.repeat(100 * 1024);
    for (const [path, body, field] of [
      ['/api/v1/evaluate', { context: { targetingKey: huge } }, 'body.context.targetingKey'],
      ['/api/v1/assignments', { context: { userId: huge } }, 'body.context.userId'],
      ['/api/v1/assignments', { unitId: huge }, 'body.unitId'],
    ] as const) {
      const res = await call('POST', path, withKey(serverKey), body);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.json.message).toMatch(new RegExp(`^${field.replaceAll('.', '\\.')}: `));
    }
    const ofrep = await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', withKey(serverKey), {
      context: { targetingKey: huge },
    });
    expect(ofrep.status).toBe(400);
    expect(ofrep.json).toMatchObject({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT' });
    const longest = await call('POST', '/api/v1/evaluate', withKey(serverKey), {
      context: { targetingKey: 'u'.repeat(256) },
    });
    expect(longest.status).toBe(200);
  });

  it('shows client keys only client-side flags, and the ruleset only to server keys', async () => {
    const { results } = await evaluate(clientKey, { targetingKey: 'x' });
    expect(results.map((r) => r.flagKey)).toEqual(['banner']);
    expect((await evaluate(clientKey, { targetingKey: 'x' }, ['new-checkout'])).results[0]?.errorCode).toBe(
      'FLAG_NOT_FOUND',
    );
    expect((await call('GET', '/api/v1/sdk/ruleset', withKey(clientKey))).status).toBe(403);
  });

  it('serves the compiled ruleset with an ETag and 304 when unchanged', async () => {
    const first = await call('GET', '/api/v1/sdk/ruleset', withKey(serverKey));
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ hashVersion: 1, revision: expect.any(Number) });
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${String(first.json.revision)}"`);
    const again = await call('GET', '/api/v1/sdk/ruleset', { ...withKey(serverKey), 'If-None-Match': etag });
    expect(again.status).toBe(304);
  });

  it('makes a flag change visible to evaluation within 5 seconds', async () => {
    const flag = (await call('GET', '/api/v1/feature-flags/new-checkout', asAdmin())).json;
    const started = Date.now();
    await call('POST', '/api/v1/feature-flags/new-checkout/toggle', asAdmin(), { version: flag.version });
    await eventually(
      'the toggle reaches evaluation',
      async () => {
        const { results } = await evaluate(serverKey, { targetingKey: 'user-1' }, ['new-checkout']);
        return results[0]?.reason === 'DISABLED' ? true : undefined;
      },
      5000,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const now = (await call('GET', '/api/v1/feature-flags/new-checkout', asAdmin())).json;
    await call('POST', '/api/v1/feature-flags/new-checkout/toggle', asAdmin(), { version: now.version });
  });

  it('refuses requests without a key, with an unknown key, and with a Cognito token', async () => {
    expect((await call('POST', '/api/v1/evaluate', {}, { context: {} })).status).toBe(401);
    expect((await call('POST', '/api/v1/evaluate', withKey('sy_server_nope'), { context: {} })).status).toBe(
      401,
    );
    expect((await call('POST', '/api/v1/evaluate', asAdmin(), { context: {} })).status).toBe(401);
    expect((await call('POST', '/api/v1/evaluate', withKey(serverKey), { context: 'nope' })).status).toBe(
      400,
    );
  });

  describe('OpenFeature Remote Evaluation Protocol', () => {
    it('answers single evaluations with OFREP bodies and status codes', async () => {
      await eventually(
        'the rollout reaches OFREP',
        async () => {
          const r = await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', withKey(serverKey), {
            context: { targetingKey: 'user-3' },
          });
          return r.json.reason === 'SPLIT' ? r : undefined;
        },
        5000,
      );
      const ok = await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', withKey(serverKey), {
        context: { targetingKey: 'user-3', email: 'a@switchyard.dev' },
      });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({
        key: 'new-checkout',
        value: 'staff',
        variant: 'internal',
        reason: 'TARGETING_MATCH',
        metadata: { ruleId: 'staff' },
      });
      const missing = await call('POST', '/ofrep/v1/evaluate/flags/nope', withKey(serverKey), {
        context: { targetingKey: 'x' },
      });
      expect(missing.status).toBe(404);
      expect(missing.json).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
      const noUnit = await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', withKey(serverKey), {
        context: {},
      });
      expect(noUnit.status).toBe(400);
      expect(noUnit.json).toMatchObject({ key: 'new-checkout', errorCode: 'TARGETING_KEY_MISSING' });
      const badContext = await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', withKey(serverKey), {
        context: [1],
      });
      expect(badContext.json).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
      expect((await call('POST', '/ofrep/v1/evaluate/flags/new-checkout', {}, { context: {} })).status).toBe(
        401,
      );
    });

    it('answers bulk evaluations with an ETag and 304 for the same context', async () => {
      const body = { context: { targetingKey: 'bulk-user' } };
      const first = await call('POST', '/ofrep/v1/evaluate/flags', withKey(clientKey), body);
      expect(first.status).toBe(200);
      expect(first.json.flags).toEqual([
        { key: 'banner', value: true, reason: 'STATIC', variant: 'on', metadata: expect.any(Object) },
      ]);
      const res = await call(
        'POST',
        '/ofrep/v1/evaluate/flags',
        { ...withKey(clientKey), 'If-None-Match': first.headers.get('etag')! },
        body,
      );
      expect(res.status).toBe(304);
    });

    it('resolves flags through the OpenFeature server SDK with the OFREP provider', async () => {
      await OpenFeature.setProviderAndWait(
        new OFREPProvider({ baseUrl: platform.url, headers: [['Authorization', `Bearer ${serverKey}`]] }),
      );
      const client = OpenFeature.getClient();
      const staff = await client.getStringDetails('new-checkout', 'fallback', {
        targetingKey: 'u',
        email: 'x@switchyard.dev',
      });
      expect(staff).toMatchObject({ value: 'staff', variant: 'internal', reason: 'TARGETING_MATCH' });
      const split = await client.getStringDetails('new-checkout', 'fallback', { targetingKey: 'user-7' });
      expect(['new', 'old']).toContain(split.value);
      expect(split.reason).toBe('SPLIT');
      expect(await client.getBooleanValue('banner', false, { targetingKey: 'u' })).toBe(true);
      const missing = await client.getBooleanDetails('nope', false, { targetingKey: 'u' });
      expect(missing).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
      const wrongType = await client.getNumberDetails('new-checkout', 7, { targetingKey: 'u' });
      expect(wrongType).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
    });
  });

  it('refuses a revoked key once the authorizer cache expires', async () => {
    expect(
      (await call('POST', '/api/v1/evaluate', withKey(serverKey), { context: { targetingKey: 'a' } })).status,
    ).toBe(200);
    expect((await call('DELETE', `/api/v1/api-keys/${serverKeyId}`, asAdmin())).status).toBeLessThan(300);
    await eventually(
      'the revoked key is refused',
      async () => {
        const res = await call('POST', '/api/v1/evaluate', withKey(serverKey), {
          context: { targetingKey: 'a' },
        });
        return res.status === 401 ? true : undefined;
      },
      (AUTHORIZER_TTL_SECONDS + 2) * 1000,
    );
  });
});

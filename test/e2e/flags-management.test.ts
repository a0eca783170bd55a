import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { httpCaller, request } from '../support/http';

const engines = requireEngines(['java']);

engines.describe('flag and segment management over HTTP', () => {
  let platform: TestPlatform;
  let admin: string;
  let dev: string;

  const call = httpCaller(() => platform.url);
  const flag = (key: string, extra: Record<string, unknown> = {}) => ({
    key,
    name: key,
    kind: 'string',
    variations: [
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ],
    offVariation: 'a',
    fallthrough: { variation: 'b' },
    ...extra,
  });

  beforeAll(async () => {
    platform = await startTestPlatform({});
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it('creates a flag owned by its creator and refuses a duplicate key', async () => {
    const created = await call('POST', '/api/v1/feature-flags', dev, flag('checkout', { tags: ['web'] }));
    expect(created.status).toBe(201);
    const me = (await call('GET', '/api/v1/users/me', dev)).json;
    expect(created.json).toMatchObject({
      key: 'checkout',
      version: 1,
      owner: me.sub,
      createdBy: me.sub,
      enabled: false,
      temporary: true,
    });
    const again = await call('POST', '/api/v1/feature-flags', admin, flag('checkout'));
    expect(again.status).toBe(409);
    expect(again.json.message).toMatch(/already exists/);
  });

  it('refuses tokens without exp or from the future, and takes each group name whole (issue 16)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { exp: undefined },
      { iat: now + 600 },
      { auth_time: now + 600 },
      { nbf: now + 600 },
    ]) {
      const token = platform.identity.mint({ role: 'admin', claims });
      expect((await call('GET', '/api/v1/feature-flags', token)).status).toBe(401);
    }
    const spaced = platform.identity.mint({ groups: ['viewer admin'] });
    const me = await call('GET', '/api/v1/users/me', spaced);
    expect(me.json).toMatchObject({ groups: ['viewer admin'], role: null });
    expect((await call('GET', '/api/v1/feature-flags', spaced)).status).toBe(403);
    expect((await call('POST', '/api/v1/feature-flags', spaced, flag('never'))).status).toBe(403);
  });

  it('says which field is wrong and why', async () => {
    const res = await call(
      'POST',
      '/api/v1/feature-flags',
      dev,
      flag('Bad Key', { variations: [{ key: 'a', value: 1 }] }),
    );
    expect(res.status).toBe(400);
    const paths = (res.json.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.key', 'body.variations']));
    const kind = await call(
      'POST',
      '/api/v1/feature-flags',
      dev,
      flag('wrong-kind', {
        variations: [
          { key: 'a', value: 1 },
          { key: 'b', value: 'B' },
        ],
      }),
    );
    expect(kind.status).toBe(400);
    expect(kind.json.message).toBe('body.variations.0.value: must be a string');
  });

  it('names the real problem of a body: too deep, or a forbidden key (issue 16)', async () => {
    const deep =
      '{"all":['.repeat(1500) + '{"attribute":"country","op":"eq","values":["NL"]}' + ']}'.repeat(1500);
    const body = JSON.stringify(
      flag('deep', { rules: [{ id: 'r', conditions: '@', serve: { variation: 'a' } }] }),
    );
    const tooDeep = await request(platform.url, 'POST', '/api/v1/feature-flags', {
      credential: dev,
      rawBody: body.replace('"@"', deep),
    });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.json.message).toBe('body: nesting deeper than 64 levels');
    const proto = await request(platform.url, 'POST', '/api/v1/feature-flags', {
      credential: dev,
      rawBody: JSON.stringify(flag('proto', { kind: 'json' })).replace(
        '"value":"A"',
        '"value":{"__proto__":{"isAdmin":true}}',
      ),
    });
    expect(proto.status).toBe(400);
    expect(proto.json.message).toBe('body: "__proto__" is not allowed as a key');
    expect((await call('GET', '/api/v1/feature-flags/proto', dev)).status).toBe(404);
  });

  it('updates with optimistic concurrency (body version or If-Match), changing nothing on a stale version', async () => {
    const patched = await call('PATCH', '/api/v1/feature-flags/checkout', dev, {
      description: 'new checkout',
      version: 1,
    });
    expect(patched.json).toMatchObject({ description: 'new checkout', version: 2 });
    const stale = await call('PATCH', '/api/v1/feature-flags/checkout', dev, {
      description: 'lost update',
      version: 1,
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', '/api/v1/feature-flags/checkout', dev)).json).toMatchObject({
      description: 'new checkout',
      version: 2,
    });
    const viaHeader = await call(
      'PATCH',
      '/api/v1/feature-flags/checkout',
      dev,
      { name: 'Checkout' },
      { 'If-Match': '"2"' },
    );
    expect(viaHeader.json).toMatchObject({ name: 'Checkout', version: 3 });
    const missing = await call('PATCH', '/api/v1/feature-flags/checkout', dev, { name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toMatch(/version is required/);
  });

  it('PATCH changes only the fields sent (defaults are not re-applied)', async () => {
    await call(
      'POST',
      '/api/v1/feature-flags',
      dev,
      flag('patch-me', { enabled: true, tags: ['keep'], temporary: false }),
    );
    const patched = await call('PATCH', '/api/v1/feature-flags/patch-me', dev, {
      description: 'only this',
      version: 1,
    });
    expect(patched.json).toMatchObject({
      description: 'only this',
      enabled: true,
      tags: ['keep'],
      temporary: false,
    });
    await call('POST', '/api/v1/segments', dev, {
      key: 'patch-segment',
      name: 'S',
      included: ['u1'],
      tags: ['t'],
    });
    const segment = await call('PATCH', '/api/v1/segments/patch-segment', dev, {
      name: 'Renamed',
      version: 1,
    });
    expect(segment.json).toMatchObject({ name: 'Renamed', included: ['u1'], tags: ['t'] });
    await call('DELETE', '/api/v1/segments/patch-segment', dev);
    await call('DELETE', '/api/v1/feature-flags/patch-me', dev);
  });

  it('DELETE refuses a stale version from ?version=, the body or If-Match, and deletes at the current one', async () => {
    await call('POST', '/api/v1/segments', dev, { key: 'doomed', name: 'Doomed' });
    await call('PATCH', '/api/v1/segments/doomed', dev, { name: 'Doomed 2', version: 1 });
    for (const stale of [
      call('DELETE', '/api/v1/segments/doomed?version=1', dev),
      call('DELETE', '/api/v1/segments/doomed', dev, { version: 1 }),
      call('DELETE', '/api/v1/segments/doomed', dev, undefined, { 'If-Match': '"1"' }),
    ]) {
      const answer = await stale;
      expect(answer.status).toBe(409);
      expect(answer.json.message).toBe('segment doomed is at version 2, not 1: read it again');
    }
    expect((await call('GET', '/api/v1/segments/doomed', dev)).json).toMatchObject({ version: 2 });
    const disagree = await call('DELETE', '/api/v1/segments/doomed?version=2', dev, { version: 1 });
    expect(disagree.status).toBe(400);
    expect((await call('DELETE', '/api/v1/segments/doomed?version=2', dev)).status).toBe(204);
    expect((await call('GET', '/api/v1/segments/doomed', dev)).status).toBe(404);
  });

  it('every versioned DELETE refuses a stale version, wherever it is sent, changing nothing (issue 16)', async () => {
    const ramp = {
      flagKey: 'doomed-flag',
      variation: 'b',
      stages: [{ percentage: 1000, trigger: { type: 'manual' } }],
    };
    const metric = { key: 'doomed-metric', name: 'M', type: 'count', eventName: 'click' };
    const resources: { path: string; create: [string, unknown]; bump: [string, unknown] }[] = [
      {
        path: '/api/v1/feature-flags/doomed-flag',
        create: ['/api/v1/feature-flags', flag('doomed-flag')],
        bump: ['PATCH', { name: 'Doomed flag', version: 1 }],
      },
      {
        path: '/api/v1/segments/doomed-segment',
        create: ['/api/v1/segments', { key: 'doomed-segment', name: 'S' }],
        bump: ['PATCH', { name: 'Doomed segment', version: 1 }],
      },
      {
        path: '/api/v1/layers/doomed-layer',
        create: ['/api/v1/layers', { key: 'doomed-layer', name: 'L' }],
        bump: ['PATCH', { name: 'Doomed layer', version: 1 }],
      },
      {
        path: '/api/v1/metrics/doomed-metric',
        create: ['/api/v1/metrics', metric],
        bump: ['PATCH', { name: 'Doomed metric', version: 1 }],
      },
      {
        path: '/api/v1/experiments/doomed-experiment',
        create: [
          '/api/v1/experiments',
          {
            key: 'doomed-experiment',
            name: 'E',
            variants: [
              { key: 'control', name: 'Control', weight: 5000, isControl: true },
              { key: 'green', name: 'Green', weight: 5000 },
            ],
          },
        ],
        bump: ['PATCH', { name: 'Doomed experiment', version: 1 }],
      },
      {
        path: '/api/v1/rollout-schedules/doomed-ramp',
        create: ['/api/v1/rollout-schedules', { key: 'doomed-ramp', ...ramp }],
        bump: ['PUT', { ...ramp, stages: [{ percentage: 2000, trigger: { type: 'manual' } }], version: 1 }],
      },
    ];
    for (const { create, path, bump } of resources) {
      expect((await call('POST', create[0], admin, create[1])).status).toBe(201);
      expect((await call(bump[0], path, admin, bump[1])).status).toBe(200);
      for (const stale of [
        call('DELETE', `${path}?version=1`, admin),
        call('DELETE', path, admin, { version: 1 }),
        call('DELETE', path, admin, undefined, { 'If-Match': '"1"' }),
        call('DELETE', path, admin, undefined, { 'If-Match': 'W/"1"' }),
      ]) {
        const answer = await stale;
        expect([path, answer.status]).toEqual([path, 409]);
        expect(answer.json.message).toMatch(/is at version 2, not 1: read it again$/);
      }
      expect((await call('GET', path, admin)).json).toMatchObject({ version: 2 });
    }
    // A flag under a rollout schedule (whatever its status) cannot go: the schedule would dangle.
    const ramped = await call('DELETE', '/api/v1/feature-flags/doomed-flag?version=2', admin);
    expect(ramped.status).toBe(409);
    expect(ramped.json.message).toBe(
      'flag doomed-flag has rollout schedules doomed-ramp (PENDING): delete them first',
    );
    for (const { path } of [...resources].reverse()) {
      expect([path, (await call('DELETE', `${path}?version=2`, admin)).status]).toEqual([path, 204]);
      expect((await call('GET', path, admin)).status).toBe(404);
    }
  });

  it('toggles, filters and searches', async () => {
    expect(
      (await call('POST', '/api/v1/feature-flags/checkout/toggle', dev, { version: 3 })).json,
    ).toMatchObject({ enabled: true, version: 4 });
    await call('POST', '/api/v1/feature-flags', dev, flag('search-ranking', { tags: ['api'] }));
    const keys = async (query: string) =>
      ((await call('GET', `/api/v1/feature-flags?${query}`, dev)).json.items as { key: string }[]).map(
        (f) => f.key,
      );
    expect(await keys('enabled=true')).toEqual(['checkout']);
    expect(await keys('tag=api')).toEqual(['search-ranking']);
    expect(await keys('q=CHECKOUT')).toEqual(['checkout']);
    expect(await keys('stale=true')).toEqual([]);
    expect((await call('GET', '/api/v1/feature-flags?enabled=maybe', dev)).status).toBe(400);
  });

  it('lets a developer change only the flags they own, until an admin transfers one', async () => {
    const other = (await platform.identity.signIn({ role: 'developer', email: 'other@example.com' })).token;
    const refused = await call('PATCH', '/api/v1/feature-flags/checkout', other, {
      name: 'mine',
      version: 4,
    });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/do not own flag checkout/);
    const otherSub = ((await call('GET', '/api/v1/users/me', other)).json as { sub: string }).sub;
    expect(
      (await call('PUT', '/api/v1/feature-flags/checkout/owner', dev, { owner: otherSub, version: 4 }))
        .status,
    ).toBe(403);
    // The new owner must be a user, and an enabled one (issue 16): 400 naming the field, nothing changed.
    const nobody = await call('PUT', '/api/v1/feature-flags/checkout/owner', admin, {
      owner: 'no-such-user',
      version: 4,
    });
    expect(nobody.status).toBe(400);
    expect(nobody.json).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'body.owner: no user no-such-user',
      details: { issues: [{ path: 'body.owner', message: 'no user no-such-user' }] },
    });
    const gone = await platform.identity.signIn({ role: 'developer', email: 'gone@example.com' });
    expect((await call('POST', `/api/v1/users/${gone.user.id}/disable`, admin)).status).toBe(200);
    const disabled = await call('PUT', '/api/v1/feature-flags/checkout/owner', admin, {
      owner: gone.user.id,
      version: 4,
    });
    expect(disabled.status).toBe(400);
    expect(disabled.json.message).toBe(`body.owner: user ${gone.user.id} is disabled`);
    expect((await call('GET', '/api/v1/feature-flags/checkout', admin)).json).toMatchObject({ version: 4 });
    expect(
      (await call('PUT', '/api/v1/feature-flags/checkout/owner', admin, { owner: otherSub, version: 4 }))
        .json,
    ).toMatchObject({ owner: otherSub });
    expect(
      (await call('PATCH', '/api/v1/feature-flags/checkout', other, { name: 'mine', version: 5 })).status,
    ).toBe(200);
    expect(
      (await call('PATCH', '/api/v1/feature-flags/checkout', dev, { name: 'back', version: 6 })).status,
    ).toBe(403);
  });

  it('checks segments and prerequisites on write, and refuses deleting what is still used', async () => {
    const rule = {
      id: 'beta',
      conditions: { attribute: 'targetingKey', op: 'in_segment', values: ['beta-users'] },
      serve: { variation: 'a' },
    };
    const unknown = await call('POST', '/api/v1/feature-flags', dev, flag('uses-segment', { rules: [rule] }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('body.rules.0.conditions: unknown segment beta-users');
    expect(
      (await call('POST', '/api/v1/segments', dev, { key: 'beta-users', name: 'Beta', included: ['u1'] }))
        .status,
    ).toBe(201);
    expect(
      (await call('POST', '/api/v1/feature-flags', dev, flag('uses-segment', { rules: [rule] }))).status,
    ).toBe(201);
    const inUse = await call('DELETE', '/api/v1/segments/beta-users', dev);
    expect(inUse.status).toBe(409);
    expect(inUse.json.message).toMatch(/used by flags uses-segment/);

    expect(
      (
        await call(
          'POST',
          '/api/v1/feature-flags',
          dev,
          flag('child', { prerequisites: [{ flagKey: 'uses-segment', variation: 'b' }] }),
        )
      ).status,
    ).toBe(201);
    const cycle = await call('PATCH', '/api/v1/feature-flags/uses-segment', dev, {
      prerequisites: [{ flagKey: 'child', variation: 'a' }],
      version: 1,
    });
    expect(cycle.status).toBe(400);
    expect(cycle.json.message).toMatch(/cycle/);
    const badVariation = await call(
      'POST',
      '/api/v1/feature-flags',
      dev,
      flag('child2', { prerequisites: [{ flagKey: 'uses-segment', variation: 'zzz' }] }),
    );
    expect(badVariation.json.message).toBe(
      'body.prerequisites.0.variation: uses-segment has no variation zzz',
    );
    const parentInUse = await call('DELETE', '/api/v1/feature-flags/uses-segment', dev);
    expect(parentInUse.status).toBe(409);
    expect(parentInUse.json.message).toMatch(/prerequisite of child/);

    expect((await call('DELETE', '/api/v1/feature-flags/child', dev)).status).toBe(204);
    expect((await call('DELETE', '/api/v1/feature-flags/uses-segment', dev)).status).toBe(204);
    expect((await call('DELETE', '/api/v1/segments/beta-users', dev)).status).toBe(204);
    expect((await call('GET', '/api/v1/segments/beta-users', dev)).status).toBe(404);
  });
});

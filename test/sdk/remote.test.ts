import { createClient, type EvaluationResult, type RemoteClientOptions } from '../../sdk/js/src';
import { fakeFetch, manualRuntime, memoryLogger, reply, type Call, type Reply } from './support';

const VALUES: Record<string, { value: unknown; variation: string }> = {
  'new-checkout': { value: true, variation: 'on' },
  banner: { value: 'Welcome', variation: 'plain' },
  limits: { value: 100, variation: 'high' },
  'pricing-page': { value: { layout: 'grid' }, variation: 'grid' },
};

/** `/api/v1/evaluate` answering from VALUES (FLAG_NOT_FOUND otherwise), unless `fail` answers first. */
function evaluateApi(fail?: (call: Call, index: number) => Reply | undefined) {
  return fakeFetch((call, index) => {
    const failure = fail?.(call, index);
    if (failure !== undefined) return failure;
    if (call.path === '/api/v1/assignments') {
      return reply(200, {
        revision: 3,
        assignments: [
          {
            experimentKey: 'pricing-test',
            variant: 'grid',
            payload: null,
            inExperiment: true,
            reason: 'ASSIGNED',
          },
        ],
      });
    }
    const { flags } = call.body as { flags?: string[] };
    const results: EvaluationResult[] = (flags ?? Object.keys(VALUES)).map((flagKey) => {
      const known = VALUES[flagKey];
      return known === undefined
        ? {
            flagKey,
            value: null,
            variation: null,
            reason: 'ERROR',
            errorCode: 'FLAG_NOT_FOUND',
            errorMessage: 'No flag',
          }
        : ({ flagKey, ...known, reason: 'DEFAULT' } as EvaluationResult);
    });
    return reply(200, { revision: 3, results });
  });
}

function remote(api: ReturnType<typeof fakeFetch>, options: Partial<RemoteClientOptions> = {}) {
  const clock = manualRuntime();
  const log = memoryLogger();
  const client = createClient({
    baseUrl: 'https://flags.test/',
    apiKey: 'sy_client',
    fetch: api.fetch,
    runtime: clock.runtime,
    logger: log.logger,
    ...options,
  });
  return { client, clock, log };
}

const user = { targetingKey: 'u1', plan: 'pro' };

describe('SDK remote mode', () => {
  it('evaluates through POST /api/v1/evaluate, asking only for the flags wanted', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    expect(await client.getBooleanDetails('new-checkout', user, false)).toEqual({
      flagKey: 'new-checkout',
      value: true,
      variation: 'on',
      reason: 'DEFAULT',
    });
    expect(api.calls).toEqual([
      {
        method: 'POST',
        path: '/api/v1/evaluate',
        headers: expect.objectContaining({ authorization: 'Bearer sy_client' }),
        body: { context: user, flags: ['new-checkout'] },
      },
    ]);
    expect(client.mode).toBe('remote');
    expect(client.status).toBe('ready');
  });

  it('has typed getters for each kind', async () => {
    const { client } = remote(evaluateApi());
    expect(await client.getBooleanValue('new-checkout', user, false)).toBe(true);
    expect(await client.getStringValue('banner', user, 'x')).toBe('Welcome');
    expect(await client.getNumberValue('limits', user, 0)).toBe(100);
    expect(await client.getJsonValue('pricing-page', user, { layout: 'none' })).toEqual({ layout: 'grid' });
  });

  it('asks once for the flags of one context asked in the same tick', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    const [a, b, c] = await Promise.all([
      client.getBooleanValue('new-checkout', user, false),
      client.getStringValue('banner', user, 'x'),
      client.getNumberValue('limits', { targetingKey: 'someone-else' }, 0),
    ]);
    expect([a, b, c]).toEqual([true, 'Welcome', 100]);
    expect(api.calls.map((c) => c.body)).toEqual([
      { context: user, flags: ['new-checkout', 'banner'] },
      { context: { targetingKey: 'someone-else' }, flags: ['limits'] },
    ]);
  });

  it('caches answers per context for ttlMs, whatever the order of its keys', async () => {
    const api = evaluateApi();
    const { client, clock } = remote(api, { cache: { ttlMs: 10_000 } });
    await client.getBooleanValue('new-checkout', { targetingKey: 'u1', plan: 'pro' }, false);
    await client.getBooleanValue('new-checkout', { plan: 'pro', targetingKey: 'u1' }, false);
    expect(api.calls).toHaveLength(1);
    await client.getBooleanValue('new-checkout', { targetingKey: 'u2' }, false);
    expect(api.calls).toHaveLength(2);
    clock.advance(10_001);
    await client.getBooleanValue('new-checkout', user, false);
    expect(api.calls).toHaveLength(3);
  });

  it('keeps at most maxContexts contexts, evicting the least recently used', async () => {
    const api = evaluateApi();
    const { client } = remote(api, { cache: { maxContexts: 2 } });
    const ask = (unit: string) => client.getBooleanValue('new-checkout', { targetingKey: unit }, false);
    await ask('a');
    await ask('b');
    await ask('a'); // hit: a is now the most recent
    await ask('c'); // evicts b
    expect(api.calls).toHaveLength(3);
    await ask('a');
    expect(api.calls).toHaveLength(3);
    await ask('b');
    expect(api.calls).toHaveLength(4);
  });

  it('asks every time with cache: false', async () => {
    const api = evaluateApi();
    const { client } = remote(api, { cache: false });
    await client.getBooleanValue('new-checkout', user, false);
    await client.getBooleanValue('new-checkout', user, false);
    expect(api.calls).toHaveLength(2);
  });

  it.each<[string, (call: Call, index: number) => Reply | undefined, string, RegExp]>([
    ['a network error', () => new Error('ECONNREFUSED'), 'GENERAL', /ECONNREFUSED \(after 3 attempts\)/],
    ['a 500 every time', () => reply(500), 'GENERAL', /answered 500 after 3 attempts/],
    [
      'a 429 with a long Retry-After',
      () => reply(429, '', { 'retry-after': '60' }),
      'GENERAL',
      /asked to wait 60 s/,
    ],
    ['a refused key', () => reply(401, { code: 'UNAUTHORIZED' }), 'GENERAL', /API key was refused \(401\)/],
    ['a body that is not JSON', () => reply(200, '<html>'), 'PARSE_ERROR', /unreadable answer/],
    ['a body without results', () => reply(200, { nope: 1 }), 'PARSE_ERROR', /no results/],
  ])('answers the default with reason ERROR on %s', async (_name, fail, errorCode, message) => {
    const { client } = remote(evaluateApi(fail));
    const details = await client.getStringDetails('banner', user, 'default');
    expect(details).toMatchObject({
      flagKey: 'banner',
      value: 'default',
      variation: null,
      reason: 'ERROR',
      errorCode,
    });
    expect(details.errorMessage).toMatch(message);
  });

  it('answers FLAG_NOT_FOUND for unknown flags and for keys that cannot exist, without asking for the latter', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    expect(await client.getBooleanDetails('nope', user, true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await client.getBooleanDetails('Not A Key!', user, true)).toMatchObject({
      value: true,
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(api.calls).toHaveLength(1);
  });

  it('answers TYPE_MISMATCH when the value is not of the kind asked', async () => {
    const { client } = remote(evaluateApi());
    expect(await client.getBooleanDetails('banner', user, false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await client.getNumberDetails('new-checkout', user, 7)).toMatchObject({
      value: 7,
      errorCode: 'TYPE_MISMATCH',
    });
  });

  it('answers INVALID_CONTEXT for a context that cannot travel as JSON, and never throws', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    const circular: Record<string, unknown> = { targetingKey: 'u' };
    circular.self = circular;
    expect(await client.getBooleanDetails('new-checkout', circular, false)).toMatchObject({
      value: false,
      errorCode: 'INVALID_CONTEXT',
    });
    expect(await client.getBooleanDetails('new-checkout', { n: BigInt(1) }, false)).toMatchObject({
      errorCode: 'INVALID_CONTEXT',
    });
    // Not an object: evaluated as an empty context, as the engine does.
    await client.getBooleanDetails('new-checkout', null as unknown as Record<string, unknown>, false);
    expect(api.calls[0]!.body).toEqual({ context: {}, flags: ['new-checkout'] });
  });

  it('never rejects, whatever fetch does', async () => {
    const weird = [
      () => {
        throw new Error('sync throw');
      },
      () => Promise.reject(new Error('rejected')),
      () =>
        Promise.resolve({
          status: 200,
          headers: { get: () => null },
          text: () => Promise.reject(new Error('body')),
        }),
      () => Promise.resolve(null),
    ];
    for (const fetch of weird) {
      const { client } = remote({ fetch: fetch as never, calls: [] });
      await expect(client.getBooleanDetails('new-checkout', user, false)).resolves.toMatchObject({
        reason: 'ERROR',
        value: false,
      });
      await expect(client.evaluateAll(user)).resolves.toEqual([]);
      await expect(client.assign(user, { experiments: ['x'] })).resolves.toMatchObject([
        { reason: 'ERROR', inExperiment: false },
      ]);
    }
  });

  it('evaluates every visible flag at once, and fills the cache', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    const all = await client.evaluateAll(user);
    expect(all.map((r) => r.flagKey)).toEqual(Object.keys(VALUES));
    expect(api.calls[0]!.body).toEqual({ context: user });
    await client.getStringValue('banner', user, 'x');
    expect(api.calls).toHaveLength(1);
  });

  it('assigns through POST /api/v1/assignments', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    expect(await client.assign(user, { experiments: ['pricing-test'], unitId: 'u9' })).toEqual([
      {
        experimentKey: 'pricing-test',
        variant: 'grid',
        payload: null,
        inExperiment: true,
        reason: 'ASSIGNED',
      },
    ]);
    expect(api.calls[0]).toMatchObject({
      path: '/api/v1/assignments',
      body: { context: user, experiments: ['pricing-test'], unitId: 'u9' },
    });
    const { client: down } = remote(evaluateApi(() => reply(503)));
    expect(await down.assign(user, { experiments: ['pricing-test'] })).toEqual([
      {
        experimentKey: 'pricing-test',
        variant: null,
        payload: null,
        inExperiment: false,
        reason: 'ERROR',
        errorCode: 'GENERAL',
        errorMessage: 'the API answered 503 after 3 attempts',
      },
    ]);
  });

  it('answers PROVIDER_NOT_READY once closed', async () => {
    const api = evaluateApi();
    const { client } = remote(api);
    await client.close();
    expect(await client.getBooleanDetails('new-checkout', user, false)).toMatchObject({
      errorCode: 'PROVIDER_NOT_READY',
    });
    expect(api.calls).toHaveLength(0);
  });

  it('refuses options that cannot work, at construction', () => {
    expect(() => createClient({ baseUrl: '', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => createClient({ baseUrl: 'https://x', apiKey: '' })).toThrow(/apiKey/);
  });

  it('logs a failing API once a minute, not once per evaluation', async () => {
    const { client, log } = remote(
      evaluateApi(() => new Error('down')),
      { retry: { maxAttempts: 1 } },
    );
    for (let i = 0; i < 20; i++)
      await client.getBooleanValue('new-checkout', { targetingKey: `u${i}` }, false);
    expect(log.lines.filter((l) => l.includes('evaluation of new-checkout failed'))).toHaveLength(1);
  });
});

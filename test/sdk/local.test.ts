import { createClient, type LocalClientOptions, type SwitchyardEvent } from '../../sdk/js/src';
import { changedFlags } from '../../sdk/js/src/changes';
import type { Ruleset } from '../../shared/rules';
import {
  fakeFetch,
  manualRuntime,
  memoryLogger,
  reply,
  sampleRuleset,
  type Call,
  type Reply,
} from './support';

/** `GET /api/v1/sdk/ruleset` serving `current()` with ETag `"<revision>"` and 304 on a match; events accepted. */
function rulesetApi(current: () => Ruleset | Reply) {
  const events: SwitchyardEvent[] = [];
  const api = fakeFetch((call: Call) => {
    if (call.path === '/api/v1/events') {
      const batch = (call.body as { events: SwitchyardEvent[] }).events;
      events.push(...batch);
      return reply(200, { accepted: batch.map((e) => e.eventId), refused: [] });
    }
    const ruleset = current();
    if (typeof ruleset === 'string' || ruleset instanceof Error || !('revision' in ruleset)) return ruleset;
    const etag = `"${ruleset.revision}"`;
    return call.headers['if-none-match'] === etag
      ? reply(304, undefined, { etag })
      : reply(200, ruleset, { etag });
  });
  return { ...api, events };
}

function local(api: ReturnType<typeof rulesetApi>, options: Partial<LocalClientOptions> = {}) {
  const clock = manualRuntime();
  const log = memoryLogger();
  const client = createClient({
    mode: 'local',
    baseUrl: 'https://flags.test',
    apiKey: 'sy_server',
    fetch: api.fetch,
    runtime: clock.runtime,
    logger: log.logger,
    ...options,
  });
  const seen: string[] = [];
  client.on('ready', ({ revision }) => seen.push(`ready ${revision}`));
  client.on('change', ({ flagsChanged, revision }) =>
    seen.push(`change ${revision} ${flagsChanged.join(',')}`),
  );
  client.on('stale', () => seen.push('stale'));
  client.on('error', ({ fatal }) => seen.push(`error${fatal ? ' fatal' : ''}`));
  return { client, clock, log, seen };
}

describe('SDK local mode', () => {
  it('downloads the ruleset, becomes ready and evaluates in process', async () => {
    const api = rulesetApi(() => sampleRuleset(1));
    const { client, seen } = local(api);
    expect(client.status).toBe('not_ready');
    expect(client.getBooleanDetails('new-checkout', { targetingKey: 'u1' }, false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    expect(await client.waitForReady()).toBe(true);
    expect(seen).toEqual(['ready 1']);
    expect(client.revision).toBe(1);
    expect(client.getStringDetails('banner', { targetingKey: 'ada' }, 'x')).toEqual({
      flagKey: 'banner',
      value: 'Hello, colleague',
      variation: 'staff',
      reason: 'TARGETING_MATCH',
      ruleId: 'staff',
    });
    expect(client.getNumberValue('limits', {}, 0)).toBe(100);
    expect(client.getJsonValue('pricing-page', {}, {})).toEqual({ layout: 'list' });
    expect(api.calls.filter((c) => c.path === '/api/v1/sdk/ruleset')).toHaveLength(1);
  });

  it('answers the engine’s errors with the caller’s default', async () => {
    const { client } = local(rulesetApi(() => sampleRuleset()));
    await client.waitForReady();
    expect(client.getBooleanDetails('nope', {}, true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(client.getBooleanDetails('banner', {}, true)).toMatchObject({
      value: true,
      errorCode: 'TYPE_MISMATCH',
    });
    expect(client.getBooleanDetails('new-checkout', { plan: 'pro' }, true)).toMatchObject({
      value: true,
      errorCode: 'TARGETING_KEY_MISSING',
    });
    const throwing = {
      get targetingKey(): string {
        throw new Error('getter');
      },
    };
    expect(client.getBooleanDetails('new-checkout', throwing, true)).toMatchObject({
      value: true,
      errorCode: 'GENERAL',
    });
    expect(
      client.getBooleanDetails('new-checkout', null as unknown as Record<string, unknown>, true),
    ).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('polls with If-None-Match: a 304 keeps the ruleset and says nothing', async () => {
    const api = rulesetApi(() => sampleRuleset(4));
    const { client, seen } = local(api);
    await client.waitForReady();
    await client.refresh();
    await client.refresh();
    const polls = api.calls.filter((c) => c.path === '/api/v1/sdk/ruleset');
    expect(polls.map((c) => c.headers['if-none-match'])).toEqual([undefined, '"4"', '"4"']);
    expect(seen).toEqual(['ready 4']);
    expect(client.getBooleanValue('express-pay', { targetingKey: 'u1' }, false)).toBeDefined();
  });

  it('reads a ruleset too large for a response from the 302’s Location, without credentials, and polls with the 302’s ETag', async () => {
    const stored = sampleRuleset(7);
    const api = fakeFetch((call) => {
      if (call.path === '/local/rulesets/7.json') {
        // A presigned URL refuses a request that also carries credentials (S3: "Only one auth mechanism").
        return call.headers.authorization === undefined
          ? reply(200, stored, { etag: '"0cc175b9c0f1b6a831c399e269772661"' })
          : reply(400, { code: 'InvalidArgument', message: 'Only one auth mechanism allowed' });
      }
      return call.headers['if-none-match'] === '"7"'
        ? reply(304, undefined, { etag: '"7"' })
        : reply(302, undefined, { etag: '"7"', location: '/local/rulesets/7.json?expires=1&signature=s' });
    });
    const redirects: (string | undefined)[] = [];
    const { client, seen } = local({
      ...api,
      events: [],
      fetch: (url, init) => {
        if (new URL(url).pathname === '/api/v1/sdk/ruleset') redirects.push(init.redirect);
        return api.fetch(url, init);
      },
    });
    await client.waitForReady();
    await client.refresh();
    expect(seen).toEqual(['ready 7']);
    expect(redirects).toEqual(['manual', 'manual']);
    expect(api.calls.map((c) => [c.path, c.headers['if-none-match'], c.headers.authorization])).toEqual([
      ['/api/v1/sdk/ruleset', undefined, 'Bearer sy_server'],
      ['/local/rulesets/7.json', undefined, undefined],
      ['/api/v1/sdk/ruleset', '"7"', 'Bearer sy_server'],
    ]);
  });

  it('names only the flags a new revision changed, prerequisites and segments included', async () => {
    let ruleset = sampleRuleset(1);
    const { client, seen } = local(rulesetApi(() => ruleset));
    await client.waitForReady();
    ruleset = sampleRuleset(2, { 'new-checkout': { enabled: false } });
    await client.refresh();
    ruleset = sampleRuleset(3, {
      'new-checkout': { enabled: false },
      'segment:staff': { included: ['ada', 'bob'] },
    });
    await client.refresh();
    expect(seen).toEqual(['ready 1', 'change 2 express-pay,new-checkout', 'change 3 banner']);
    expect(client.getBooleanDetails('new-checkout', { targetingKey: 'u1' }, true)).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
  });

  it('goes stale when the API fails after it was ready, keeps answering, and is ready again when it is back', async () => {
    let failing = false;
    const { client, seen } = local(rulesetApi(() => (failing ? reply(503) : sampleRuleset(1))));
    await client.waitForReady();
    failing = true;
    await client.refresh();
    await client.refresh();
    expect(client.status).toBe('stale');
    expect(client.getNumberValue('limits', {}, 0)).toBe(100);
    failing = false;
    await client.refresh();
    expect(client.status).toBe('ready');
    expect(seen).toEqual(['ready 1', 'stale', 'ready 1']);
  });

  it('keeps the previous revision when a new one cannot be used', async () => {
    let ruleset: Ruleset | Reply = sampleRuleset(1);
    const { client, seen, log } = local(rulesetApi(() => ruleset));
    await client.waitForReady();
    ruleset = { ...sampleRuleset(2), hashVersion: 2 } as unknown as Ruleset;
    await client.refresh();
    expect(client.revision).toBe(1);
    ruleset = reply(200, '{"revision": 3, "flags": [', { etag: '"3"' });
    await client.refresh();
    expect(client.revision).toBe(1);
    expect(seen).toEqual(['ready 1', 'stale']);
    expect(log.lines.join('\n')).toMatch(/unsupported hashVersion 2/);
  });

  it('reports an error without a ruleset; a refused key is fatal and ends waitForReady', async () => {
    const { client, seen } = local(rulesetApi(() => reply(403, { code: 'FORBIDDEN' })));
    expect(await client.waitForReady(60_000)).toBe(false);
    expect(client.status).toBe('error');
    expect(seen).toEqual(['error fatal']);
    expect(client.getBooleanDetails('new-checkout', {}, true)).toMatchObject({
      errorCode: 'PROVIDER_NOT_READY',
    });
  });

  it('serves a bootstrap ruleset at once, then the API’s', async () => {
    const api = rulesetApi(() => sampleRuleset(9, { limits: { fallthrough: { variation: 'low' } } }));
    const { client, seen } = local(api, { ruleset: sampleRuleset(8) });
    expect(client.status).toBe('ready');
    expect(client.getNumberValue('limits', {}, 0)).toBe(100);
    await client.refresh();
    expect(client.getNumberValue('limits', {}, 0)).toBe(10);
    expect(seen).toEqual(['change 9 limits']);
  });

  it('retries sooner than the interval while it has no ruleset, with real timers', async () => {
    let calls = 0;
    const api = rulesetApi(() => (++calls === 1 ? reply(500) : sampleRuleset(1)));
    const client = createClient({
      mode: 'local',
      baseUrl: 'https://flags.test',
      apiKey: 'k',
      fetch: api.fetch,
      pollIntervalMs: 60_000,
      retry: { maxAttempts: 1 },
      logger: memoryLogger().logger,
    });
    expect(await client.waitForReady(10_000)).toBe(true);
    await client.close();
  });

  it('polls on the interval with real timers and sees a change', async () => {
    let ruleset = sampleRuleset(1);
    const api = rulesetApi(() => ruleset);
    const client = createClient({
      mode: 'local',
      baseUrl: 'https://flags.test',
      apiKey: 'k',
      fetch: api.fetch,
      pollIntervalMs: 30,
    });
    await client.waitForReady();
    const changed = new Promise<readonly string[]>((resolve) =>
      client.on('change', ({ flagsChanged }) => resolve(flagsChanged)),
    );
    ruleset = sampleRuleset(2, { limits: { enabled: false } });
    expect(await changed).toEqual(['limits']);
    await client.close();
    const polls = api.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.calls.length).toBe(polls);
  });

  describe('exposures', () => {
    const unitIn = (variant: string) => {
      // Units of the 50/50 experiment, found through the engine itself.
      for (let i = 0; ; i++) {
        const { client } = local(
          rulesetApi(() => sampleRuleset()),
          { ruleset: sampleRuleset() },
        );
        const [a] = client.assign({ userId: `user-${i}` });
        if (a?.variant === variant) return `user-${i}`;
      }
    };

    it('logs one exposure per flag evaluation an experiment served, as the service does', async () => {
      const api = rulesetApi(() => sampleRuleset());
      const { client } = local(api, { ruleset: sampleRuleset() });
      const unit = unitIn('grid');
      expect(client.getJsonDetails('pricing-page', { userId: unit }, {})).toEqual({
        flagKey: 'pricing-page',
        value: { layout: 'grid' },
        variation: 'grid',
        reason: 'SPLIT',
        experimentKey: 'pricing-test',
      });
      client.getJsonDetails('pricing-page', { userId: unit }, {});
      client.getJsonDetails('pricing-page', {}, {}); // no unit: not in the experiment, no exposure
      client.getBooleanDetails('new-checkout', { targetingKey: unit }, false); // no experiment
      await client.flush();
      expect(api.events).toEqual([
        {
          eventId: expect.any(String),
          type: 'exposure',
          name: '$exposure',
          unitId: unit,
          timestamp: '2026-01-01T12:00:00.000Z',
          experimentKey: 'pricing-test',
          variant: 'grid',
        },
        expect.objectContaining({ type: 'exposure', unitId: unit, variant: 'grid' }),
      ]);
      expect(api.events[0]!.eventId).not.toBe(api.events[1]!.eventId);
    });

    it('logs one exposure per assignment in an experiment, with the unit given', async () => {
      const api = rulesetApi(() => sampleRuleset());
      const { client } = local(api, { ruleset: sampleRuleset() });
      const answers = client.assign(
        { userId: 'someone' },
        { experiments: ['pricing-test', 'unknown'], unitId: 'acct-7' },
      );
      expect(answers.map((a) => a.reason)).toEqual(['ASSIGNED', 'NOT_RUNNING']);
      client.assign({}, { experiments: ['pricing-test'] }); // UNIT_MISSING: no exposure
      await client.flush();
      expect(api.events.map((e) => [e.type, e.unitId, e.experimentKey, e.variant])).toEqual([
        ['exposure', 'acct-7', 'pricing-test', answers[0]!.variant],
      ]);
    });
  });
});

describe('changedFlags', () => {
  const base = sampleRuleset(1);
  const change = (changes: Parameters<typeof sampleRuleset>[1]) =>
    changedFlags(base, sampleRuleset(2, changes));

  it('names nothing when only the revision moved', () => {
    expect(changedFlags(base, sampleRuleset(2))).toEqual([]);
  });

  it('names a redefined flag and the flags that require it', () => {
    expect(change({ 'new-checkout': { salt: 'x' } })).toEqual(['express-pay', 'new-checkout']);
    expect(change({ 'express-pay': { enabled: false } })).toEqual(['express-pay']);
  });

  it('names the flags whose rules read a changed segment', () => {
    expect(change({ 'segment:staff': { excluded: ['ada'] } })).toEqual(['banner']);
  });

  it('names the flag an experiment serves when the experiment changes, starts or stops', () => {
    const stopped = { ...sampleRuleset(2), experiments: [] } as Ruleset;
    expect(changedFlags(base, stopped)).toEqual(['pricing-page']);
    expect(changedFlags(stopped, base)).toEqual(['pricing-page']);
  });

  it('names added and removed flags', () => {
    const fewer = { ...base, flags: base.flags.filter((f) => f.key !== 'limits') } as Ruleset;
    expect(changedFlags(base, fewer)).toEqual(['limits']);
    expect(changedFlags(fewer, base)).toEqual(['limits']);
  });
});

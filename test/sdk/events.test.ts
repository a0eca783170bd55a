import { createClient, type SwitchyardEvent } from '../../sdk/js/src';
import {
  fakeFetch,
  manualRuntime,
  memoryLogger,
  reply,
  sampleRuleset,
  type Call,
  type Reply,
} from './support';

type Sent = SwitchyardEvent[];

/** The events API: accepts everything unless `answer` says otherwise; records each batch. */
function eventsApi(answer?: (events: Sent, index: number) => Reply | undefined) {
  const batches: Sent[] = [];
  let index = 0;
  const { fetch, calls } = fakeFetch((call: Call) => {
    if (call.path === '/api/v1/sdk/ruleset') return reply(200, sampleRuleset(), { etag: '"1"' });
    const events = (call.body as { events: Sent }).events;
    batches.push(events);
    const custom = answer?.(events, index++);
    return custom ?? reply(200, { accepted: events.map((e) => e.eventId), refused: [] });
  });
  return { fetch, calls, batches };
}

function remote(api: ReturnType<typeof eventsApi>, events = {}) {
  const clock = manualRuntime();
  const log = memoryLogger();
  const client = createClient({
    baseUrl: 'https://flags.test',
    apiKey: 'sy_test',
    fetch: api.fetch,
    runtime: clock.runtime,
    logger: log.logger,
    events,
  });
  return { client, clock, log };
}

const names = (batches: Sent[]) => batches.flat().map((e) => e.name);

describe('SDK events', () => {
  it('sends track events in batches of at most 500, each with a unique eventId', async () => {
    const api = eventsApi();
    const { client } = remote(api, { maxBatchSize: 500 });
    for (let i = 0; i < 1200; i++) client.track(`e${i}`, { targetingKey: 'u1' }, { value: i });
    await client.flush();
    await client.flush();
    expect(api.batches.map((b) => b.length)).toEqual([500, 500, 200]);
    const events = api.batches.flat();
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1200);
    expect(events[7]).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'track',
      name: 'e7',
      unitId: 'u1',
      timestamp: '2026-01-01T12:00:00.000Z',
      value: 7,
    });
    expect(client.stats().events).toEqual({ queued: 0, delivered: 1200, dropped: 0, refused: 0, retried: 0 });
  });

  it('takes the unit from targetingKey, then userId, or an id given as a string', async () => {
    const api = eventsApi();
    const { client } = remote(api);
    client.track('a', { targetingKey: 't', userId: 'u' });
    client.track('b', { userId: 'u' });
    client.track('c', 'explicit', { properties: { plan: 'pro' } });
    client.track('d', { userId: 42 });
    await client.flush();
    expect(api.batches.flat().map((e) => [e.name, e.unitId, e.properties])).toEqual([
      ['a', 't', undefined],
      ['b', 'u', undefined],
      ['c', 'explicit', { plan: 'pro' }],
      ['d', '42', undefined],
    ]);
  });

  it('counts, and never throws for, events it cannot build', async () => {
    const api = eventsApi();
    const { client } = remote(api);
    expect(() => client.track('no-unit', {})).not.toThrow();
    expect(() => client.track('', { targetingKey: 'u' })).not.toThrow();
    expect(() => client.track('big', 'u', { properties: { blob: 'x'.repeat(40_000) } })).not.toThrow();
    expect(() =>
      client.track(undefined as unknown as string, null as unknown as Record<string, unknown>),
    ).not.toThrow();
    await client.flush();
    expect(api.batches).toEqual([]);
    expect(client.stats().events.refused).toBe(4);
  });

  it('keeps the queue bounded: the oldest are dropped and counted', async () => {
    const api = eventsApi(() => reply(503));
    const { client } = remote(api, { maxQueueSize: 100, maxBatchSize: 500 });
    for (let i = 0; i < 250; i++) client.track(`e${i}`, 'u');
    expect(client.stats().events).toMatchObject({ queued: 100, dropped: 150 });
    await client.flush(); // the API is down: the batch goes back to the queue
    expect(client.stats().events).toMatchObject({ queued: 100, dropped: 150, retried: 100 });
    expect(names(api.batches.slice(-1))).toEqual(Array.from({ length: 100 }, (_, i) => `e${150 + i}`));
  });

  it('sends a batch again after a 5xx or a 429, with the same eventIds', async () => {
    const api = eventsApi((_events, index) =>
      index === 0 ? reply(500) : index === 1 ? reply(429) : undefined,
    );
    const { client } = remote(api, { maxBatchSize: 500 });
    for (let i = 0; i < 3; i++) client.track(`e${i}`, 'u');
    // Within one flush the transport retries: 500, 429, then accepted.
    await client.flush();
    expect(api.batches).toHaveLength(3);
    expect(api.batches[2]!.map((e) => e.eventId)).toEqual(api.batches[0]!.map((e) => e.eventId));
    expect(client.stats().events).toMatchObject({ queued: 0, delivered: 3 });
  });

  it('keeps events the API could not store (NOT_STORED) and sends them again, and only them', async () => {
    const api = eventsApi((events, index) =>
      index === 0
        ? reply(200, {
            accepted: [events[0]!.eventId],
            refused: [
              { index: 1, eventId: events[1]!.eventId, code: 'NOT_STORED', message: 'stream unavailable' },
              { index: 2, eventId: events[2]!.eventId, code: 'INVALID', message: 'value: too big' },
            ],
          })
        : undefined,
    );
    const { client } = remote(api);
    for (let i = 0; i < 3; i++) client.track(`e${i}`, 'u');
    await client.flush();
    expect(client.stats().events).toMatchObject({ queued: 1, delivered: 1, refused: 1, retried: 1 });
    await client.flush();
    expect(api.batches[1]!.map((e) => e.eventId)).toEqual([api.batches[0]![1]!.eventId]);
    expect(client.stats().events).toMatchObject({ queued: 0, delivered: 2, refused: 1 });
  });

  it('drops a batch the API refuses as a whole (4xx) rather than retry it forever', async () => {
    const api = eventsApi(() => reply(403, { code: 'FORBIDDEN', message: 'no' }));
    const { client, log } = remote(api);
    client.track('e', 'u');
    await client.flush();
    await client.flush();
    expect(api.batches).toHaveLength(1);
    expect(client.stats().events).toMatchObject({ queued: 0, refused: 1 });
    expect(log.lines.join('\n')).toMatch(/refused 1 events \(403\)/);
  });

  it('sends at once when a full batch is queued, not only on the interval', async () => {
    const api = eventsApi();
    const { client } = remote(api, { maxBatchSize: 10 });
    for (let i = 0; i < 10; i++) client.track(`e${i}`, 'u');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(api.batches.map((b) => b.length)).toEqual([10]);
  });

  it('flushes on close, then refuses events', async () => {
    const api = eventsApi();
    const { client } = remote(api);
    client.track('before', 'u');
    await client.close();
    expect(names(api.batches)).toEqual(['before']);
    client.track('after', 'u');
    await client.flush();
    expect(names(api.batches)).toEqual(['before']);
    expect(client.stats()).toMatchObject({ status: 'closed', events: { delivered: 1, refused: 1 } });
    await expect(client.close()).resolves.toBeUndefined();
  });

  it('keeps trying on close until closeTimeoutMs, then gives up and counts the loss', async () => {
    const api = eventsApi(() => new Error('ECONNREFUSED'));
    const { client, clock, log } = remote(api, { closeTimeoutMs: 3000 });
    client.track('e', 'u');
    const started = clock.now();
    await client.close();
    expect(clock.now() - started).toBeLessThanOrEqual(3000);
    expect(api.batches.length).toBeGreaterThan(3);
    expect(client.stats().events).toMatchObject({ queued: 0, dropped: 1 });
    expect(log.lines.join('\n')).toMatch(/1 events not delivered before close\(\) gave up/);
  });

  it('sends on the flush interval with real timers', async () => {
    const api = eventsApi();
    const client = createClient({
      baseUrl: 'https://flags.test',
      apiKey: 'k',
      fetch: api.fetch,
      events: { flushIntervalMs: 20 },
    });
    client.track('tick', 'u');
    const deadline = Date.now() + 5000;
    while (api.batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(names(api.batches)).toEqual(['tick']);
    await client.close();
  });

  describe('measure()', () => {
    const local = (api: ReturnType<typeof eventsApi>) => {
      const clock = manualRuntime();
      const client = createClient({
        mode: 'local',
        baseUrl: 'https://flags.test',
        apiKey: 'sy_server',
        fetch: api.fetch,
        runtime: clock.runtime,
        ruleset: sampleRuleset(),
        pollIntervalMs: 0,
      });
      return { client, clock };
    };

    it('sends one latency event with the flag and the variation served, and returns what fn returns', async () => {
      const api = eventsApi();
      const { client, clock } = local(api);
      const result = await client.measure('limits', { targetingKey: 'u1' }, async (served) => {
        clock.advance(42);
        return `served ${JSON.stringify(served.value)} (${served.variation})`;
      });
      expect(result).toBe('served 100 (high)');
      await client.flush();
      expect(api.batches.flat()).toEqual([
        {
          eventId: expect.any(String),
          type: 'latency',
          name: 'limits',
          unitId: 'u1',
          timestamp: '2026-01-01T12:00:00.000Z',
          flagKey: 'limits',
          variation: 'high',
          value: 42,
        },
      ]);
    });

    it('sends a latency and an error event when fn throws or rejects, and rethrows the application’s error', async () => {
      const api = eventsApi();
      const { client, clock } = local(api);
      await expect(
        client.measure('limits', { targetingKey: 'u1' }, () => {
          clock.advance(5);
          throw new RangeError('boom');
        }),
      ).rejects.toThrow('boom');
      await expect(
        client.measure('limits', { targetingKey: 'u2' }, () => Promise.reject(new Error('async boom')), {
          name: 'checkout.request',
        }),
      ).rejects.toThrow('async boom');
      await client.flush();
      const events = api.batches.flat();
      expect(
        events.map((e) => [e.type, e.name, e.unitId, e.flagKey, e.variation, e.value, e.properties]),
      ).toEqual([
        ['latency', 'limits', 'u1', 'limits', 'high', 5, undefined],
        ['error', 'limits', 'u1', 'limits', 'high', undefined, { error: 'RangeError' }],
        ['latency', 'checkout.request', 'u2', 'limits', 'high', 0, undefined],
        ['error', 'checkout.request', 'u2', 'limits', 'high', undefined, { error: 'Error' }],
      ]);
    });

    it('measures with the caller’s default when the flag cannot be evaluated, and uses this process as the unit when the context has none', async () => {
      const api = eventsApi();
      const { client } = local(api);
      const served = await client.measure('no-such-flag', {}, (details) => details, {
        defaultValue: 'fallback',
      });
      expect(served).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
      await client.flush();
      const [event] = api.batches.flat();
      expect(event).toMatchObject({
        type: 'latency',
        flagKey: 'no-such-flag',
        unitId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(event!.variation).toBeUndefined();
    });
  });
});

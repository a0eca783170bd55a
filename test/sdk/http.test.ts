import { Transport, retryAfterMs, type TransportOptions } from '../../sdk/js/src/http';
import { defaultRuntime } from '../../sdk/js/src/runtime';
import { fakeFetch, manualRuntime, reply, type Reply } from './support';

const options: TransportOptions = {
  baseUrl: 'https://flags.test',
  apiKey: 'sy_test',
  timeoutMs: 50,
  retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
  maxConcurrentRequests: 8,
};

function transport(
  answers: (index: number) => Reply,
  extra: Partial<TransportOptions> = {},
  random = () => 0.5,
) {
  const { fetch, calls } = fakeFetch((_call, index) => answers(index));
  const clock = manualRuntime({ fetch, random });
  return { transport: new Transport({ ...options, ...extra }, defaultRuntime(clock.runtime)), calls, clock };
}

describe('SDK transport', () => {
  it('sends the key as a bearer token and JSON bodies', async () => {
    const { transport: t, calls } = transport(() => reply(200, { ok: true }, { etag: '"7"' }));
    const outcome = await t.send('POST', '/api/v1/evaluate', { body: { context: {} } });
    expect(outcome).toEqual({ ok: true, status: 200, text: '{"ok":true}', etag: '"7"', location: null });
    expect(calls[0]).toEqual({
      method: 'POST',
      path: '/api/v1/evaluate',
      headers: {
        authorization: 'Bearer sy_test',
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: { context: {} },
    });
  });

  it.each([
    ['a network error', () => new Error('ECONNREFUSED')],
    ['a 500', () => reply(500)],
    ['a 502', () => reply(502)],
    ['a 503', () => reply(503)],
    ['a 429', () => reply(429)],
  ])('retries %s with backoff, then gives up', async (_name, failure) => {
    const { transport: t, calls, clock } = transport(() => failure());
    const outcome = await t.send('GET', '/api/v1/sdk/ruleset');
    expect(outcome.ok).toBe(false);
    expect(calls).toHaveLength(4);
    // random() = 0.5: half of min(1000, 100 × 2^(n-1)) before attempts 2, 3 and 4.
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it('answers after a transient failure', async () => {
    const { transport: t, calls } = transport((i) => (i < 2 ? reply(503) : reply(200, 'fine')));
    expect(await t.send('GET', '/x')).toMatchObject({ ok: true, status: 200, text: 'fine' });
    expect(calls).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 409, 413])('does not retry a %i', async (status) => {
    const { transport: t, calls } = transport(() => reply(status));
    expect(await t.send('GET', '/x')).toMatchObject({ ok: true, status });
    expect(calls).toHaveLength(1);
  });

  it('keeps every backoff within full jitter bounds: [0, min(max, base × 2^(n-1)))', async () => {
    for (const random of [() => 0, () => 0.999999, Math.random]) {
      for (let run = 0; run < 20; run++) {
        const { transport: t, clock } = transport(
          () => reply(500),
          { retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000 } },
          random,
        );
        await t.send('GET', '/x');
        expect(clock.sleeps).toHaveLength(7);
        clock.sleeps.forEach((delay, i) => {
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.min(1000, 100 * 2 ** i));
        });
      }
    }
  });

  it('spreads the backoffs of clients that failed together (jitter)', async () => {
    const delays = new Set<number>();
    for (let client = 0; client < 20; client++) {
      const { transport: t, clock } = transport(
        () => reply(500),
        { retry: { maxAttempts: 2, baseDelayMs: 1000, maxDelayMs: 1000 } },
        Math.random,
      );
      await t.send('GET', '/x');
      delays.add(Math.round(clock.sleeps[0]!));
    }
    expect(delays.size).toBeGreaterThan(10);
  });

  it('waits out a Retry-After in seconds or as a date before the next attempt', async () => {
    const seconds = transport((i) => (i === 0 ? reply(429, '', { 'retry-after': '0.8' }) : reply(200)));
    expect((await seconds.transport.send('GET', '/x')).ok).toBe(true);
    expect(seconds.clock.sleeps).toEqual([800]);

    const date = transport((i) =>
      i === 0
        ? reply(503, '', { 'retry-after': new Date(date.clock.now() + 900).toUTCString() })
        : reply(200),
    );
    expect((await date.transport.send('GET', '/x')).ok).toBe(true);
    // An HTTP date has whole seconds: the wait is up to 900 ms, never less than what is left of it.
    expect(date.clock.sleeps[0]).toBeGreaterThan(0);
    expect(date.clock.sleeps[0]).toBeLessThanOrEqual(900);
  });

  it('gives up on a Retry-After longer than maxDelayMs, and fails fast until it has passed', async () => {
    const {
      transport: t,
      calls,
      clock,
    } = transport((i) => (i === 0 ? reply(429, '', { 'retry-after': '30' }) : reply(200)));
    expect(await t.send('POST', '/api/v1/evaluate', { body: {} })).toMatchObject({
      ok: false,
      failure: 'throttled',
    });
    expect(calls).toHaveLength(1);
    expect(await t.send('POST', '/api/v1/evaluate', { body: {} })).toMatchObject({
      ok: false,
      failure: 'throttled',
    });
    expect(calls).toHaveLength(1);
    expect(t.waitMs()).toBe(30_000);
    clock.advance(29_500);
    // Now within maxDelayMs: the request waits the rest, then goes.
    expect(await t.send('POST', '/api/v1/evaluate', { body: {} })).toMatchObject({ ok: true, status: 200 });
    expect(clock.sleeps).toEqual([500]);
  });

  it('times out each attempt with AbortController', async () => {
    const { fetch, calls } = fakeFetch(() => 'hang');
    const t = new Transport(
      { ...options, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
      defaultRuntime({ fetch }),
    );
    const started = Date.now();
    const outcome = await t.send('GET', '/x');
    expect(outcome).toEqual({
      ok: false,
      failure: 'unavailable',
      message: 'no answer within 50 ms (after 2 attempts)',
    });
    expect(calls).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('bounds the requests in flight: beyond the bound it fails at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { fetch, calls } = fakeFetch(async () => {
      await gate;
      return reply(200);
    });
    const t = new Transport({ ...options, maxConcurrentRequests: 3 }, defaultRuntime({ fetch }));
    const pending = Array.from({ length: 10 }, () => t.send('GET', '/x'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toHaveLength(3);
    release();
    const outcomes = await Promise.all(pending);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.ok && o.failure === 'overloaded')).toHaveLength(7);
  });

  it('never throws, even when fetch throws synchronously', async () => {
    const t = new Transport(
      options,
      defaultRuntime({
        fetch: () => {
          throw new TypeError('bad runtime');
        },
        sleep: () => Promise.resolve(),
      }),
    );
    expect(await t.send('GET', '/x')).toMatchObject({ ok: false, failure: 'unavailable' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

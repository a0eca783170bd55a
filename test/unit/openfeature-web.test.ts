import { ErrorCode, OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/web-sdk';
import { SwitchyardWebProvider } from '../../sdk/openfeature-web/src';
import { measureSizes, PAGE_GZIP_BUDGET_BYTES } from '../../sdk/openfeature-web/scripts/size';

/**
 * The web provider against a mocked fetch: what it asks, what it resolves, which events it raises. Time is
 * Jest's fake clock, so polls happen when the test advances it. The browser test
 * (test/browser/openfeature-web.test.ts) runs the same provider against the local platform.
 */

const POLL_MS = 1_000;
const BASE_URL = 'https://flags.example.com/';
const BULK_URL = 'https://flags.example.com/ofrep/v1/evaluate/flags';

interface Flag {
  key: string;
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
  errorDetails?: string;
  metadata?: Record<string, unknown>;
}

const BANNER: Flag = {
  key: 'banner',
  value: true,
  variant: 'on',
  reason: 'STATIC',
  metadata: { revision: 1 },
};
const HEADLINE: Flag = { key: 'headline', value: 'Welcome', variant: 'classic', reason: 'SPLIT' };
const LIMIT: Flag = { key: 'limit', value: 10, variant: 'many', reason: 'TARGETING_MATCH' };
const LAYOUT: Flag = { key: 'layout', value: { columns: 2 }, variant: 'grid', reason: 'STATIC' };

const bulk = (flags: Flag[], etag: string | null = '"1"') =>
  new Response(JSON.stringify({ flags }), {
    status: 200,
    headers: { 'content-type': 'application/json', ...(etag === null ? {} : { etag }) },
  });
const notModified = () => new Response(null, { status: 304 });
const error = (
  status: number,
  body: unknown = { code: 'X', message: 'no' },
  headers: Record<string, string> = {},
) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers from a script, one entry per request, and records what it was asked. */
function scriptedFetch() {
  const script: ((init: RequestInit) => Response | Promise<Response>)[] = [];
  const calls: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetch = jest.fn(async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({
      url: input instanceof Request ? input.url : String(input),
      headers: init.headers as Record<string, string>,
      body: JSON.parse(init.body as string),
    });
    const next = script.shift();
    if (next === undefined) throw new Error('no scripted answer left');
    return next(init);
  });
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    calls,
    then(...answers: (Response | ((init: RequestInit) => Response | Promise<Response>))[]) {
      for (const answer of answers) script.push(typeof answer === 'function' ? answer : () => answer);
    },
  };
}

function setUp(options: { pollIntervalMs?: number; timeoutMs?: number } = {}) {
  const server = scriptedFetch();
  const provider = new SwitchyardWebProvider({
    baseUrl: BASE_URL,
    apiKey: 'sy_client',
    pollIntervalMs: POLL_MS,
    fetch: server.fetch,
    ...options,
  });
  const events: { type: string; details?: EventDetails }[] = [];
  for (const type of [
    ProviderEvents.Ready,
    ProviderEvents.Error,
    ProviderEvents.Stale,
    ProviderEvents.ConfigurationChanged,
  ]) {
    provider.events.addHandler(type, (details) => events.push({ type, details }));
  }
  const poll = () => jest.advanceTimersByTimeAsync(POLL_MS);
  return { server, provider, events, poll, types: () => events.map((e) => e.type) };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('SwitchyardWebProvider', () => {
  it('asks OFREP bulk evaluation for the whole context with the client key', async () => {
    const { server, provider } = setUp();
    server.then(bulk([BANNER]));
    await provider.initialize({ targetingKey: 'user-1', plan: 'pro' });
    expect(server.calls).toEqual([
      {
        url: BULK_URL,
        headers: expect.objectContaining({
          Authorization: 'Bearer sy_client',
          'Content-Type': 'application/json',
        }),
        body: { context: { targetingKey: 'user-1', plan: 'pro' } },
      },
    ]);
    expect(server.calls[0]!.headers).not.toHaveProperty('If-None-Match');
    await provider.onClose();
  });

  it('resolves every kind from the cached answer, synchronously', async () => {
    const { server, provider } = setUp();
    server.then(bulk([BANNER, HEADLINE, LIMIT, LAYOUT]));
    await provider.initialize({ targetingKey: 'u' });
    expect(provider.resolveBooleanEvaluation('banner', false)).toEqual({
      value: true,
      variant: 'on',
      reason: 'STATIC',
      flagMetadata: { revision: 1 },
    });
    expect(provider.resolveStringEvaluation('headline', 'x')).toMatchObject({
      value: 'Welcome',
      reason: 'SPLIT',
    });
    expect(provider.resolveNumberEvaluation('limit', 0)).toMatchObject({ value: 10, variant: 'many' });
    expect(provider.resolveObjectEvaluation('layout', {})).toMatchObject({ value: { columns: 2 } });
    expect(server.calls).toHaveLength(1);
    await provider.onClose();
  });

  it('answers the default with the reason instead of throwing', async () => {
    const { server, provider } = setUp();
    server.then(
      bulk([
        HEADLINE,
        { key: 'per-user', errorCode: 'TARGETING_KEY_MISSING', errorDetails: 'no targetingKey' },
        { key: 'odd', errorCode: 'SOMETHING_NEW' },
        { ...LAYOUT, metadata: { nested: { no: 1 }, ok: 'yes' } },
      ]),
    );
    await provider.initialize({});
    expect(provider.resolveBooleanEvaluation('missing', true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    for (const [resolved, fallback] of [
      [provider.resolveNumberEvaluation('headline', 5), 5],
      [provider.resolveBooleanEvaluation('headline', false), false],
      [provider.resolveObjectEvaluation('headline', { a: 1 }), { a: 1 }],
      [provider.resolveStringEvaluation('layout', 'x'), 'x'],
    ] as const) {
      expect(resolved).toMatchObject({
        value: fallback,
        reason: 'ERROR',
        errorCode: ErrorCode.TYPE_MISMATCH,
      });
    }
    expect(provider.resolveStringEvaluation('per-user', 'd')).toMatchObject({
      value: 'd',
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
      errorMessage: 'no targetingKey',
    });
    expect(provider.resolveStringEvaluation('odd', 'd')).toMatchObject({ errorCode: ErrorCode.GENERAL });
    // OpenFeature's flag metadata holds primitives only.
    expect(provider.resolveObjectEvaluation('layout', {}).flagMetadata).toEqual({ ok: 'yes' });
    await provider.onClose();
  });

  it('revalidates with If-None-Match, and a 304 raises nothing', async () => {
    const { server, provider, poll, events } = setUp();
    server.then(bulk([BANNER], '"r1-abc"'), notModified(), notModified());
    await provider.initialize({ targetingKey: 'u' });
    await poll();
    await poll();
    expect(server.calls.map((c) => c.headers['If-None-Match'])).toEqual([undefined, '"r1-abc"', '"r1-abc"']);
    expect(events).toEqual([]);
    expect(provider.resolveBooleanEvaluation('banner', false).value).toBe(true);
    await provider.onClose();
  });

  it('names only the flags whose value, variant or presence changed', async () => {
    const { server, provider, poll, events } = setUp();
    server.then(
      bulk([BANNER, HEADLINE, LIMIT], '"1"'),
      // A new revision in every flag's metadata and another reason change nothing that resolves.
      bulk([{ ...BANNER, metadata: { revision: 2 } }, { ...HEADLINE, reason: 'DEFAULT' }, LIMIT], '"2"'),
      bulk([BANNER, { ...HEADLINE, value: 'Hi', variant: 'bold' }, LIMIT], '"3"'),
      bulk([BANNER, HEADLINE, { ...LIMIT, variant: 'ten' }, LAYOUT], '"4"'),
      bulk([BANNER, HEADLINE, LAYOUT], '"5"'),
    );
    await provider.initialize({});
    for (let i = 0; i < 4; i++) await poll();
    expect(events).toEqual([
      {
        type: ProviderEvents.ConfigurationChanged,
        details: expect.objectContaining({ flagsChanged: ['headline'] }),
      },
      {
        type: ProviderEvents.ConfigurationChanged,
        details: expect.objectContaining({ flagsChanged: ['headline', 'limit', 'layout'] }),
      },
      {
        type: ProviderEvents.ConfigurationChanged,
        details: expect.objectContaining({ flagsChanged: ['limit'] }),
      },
    ]);
    expect(server.calls.map((c) => c.headers['If-None-Match'])).toEqual([
      undefined,
      '"1"',
      '"2"',
      '"3"',
      '"4"',
    ]);
    await provider.onClose();
  });

  it('still works when the ETag is not readable (a full answer each poll, events only for changes)', async () => {
    const { server, provider, poll, events } = setUp();
    server.then(
      bulk([BANNER], null),
      bulk([BANNER], null),
      bulk([{ ...BANNER, value: false, variant: 'off' }], null),
    );
    await provider.initialize({});
    await poll();
    await poll();
    expect(server.calls.map((c) => c.headers['If-None-Match'])).toEqual([undefined, undefined, undefined]);
    expect(events.map((e) => e.details?.flagsChanged)).toEqual([['banner']]);
    await provider.onClose();
  });

  it('goes Stale once while polls fail, keeps serving, and is Ready again when one succeeds', async () => {
    const { server, provider, poll, types } = setUp();
    server.then(
      bulk([BANNER]),
      error(500),
      () => Promise.reject(new TypeError('Failed to fetch')),
      bulk([{ ...BANNER, value: false, variant: 'off' }], '"2"'),
    );
    await provider.initialize({});
    await poll();
    await jest.advanceTimersByTimeAsync(POLL_MS * 1.2);
    expect(types()).toEqual([ProviderEvents.Stale]);
    expect(provider.resolveBooleanEvaluation('banner', false).value).toBe(true);
    await jest.advanceTimersByTimeAsync(POLL_MS * 1.2);
    expect(types()).toEqual([
      ProviderEvents.Stale,
      ProviderEvents.Ready,
      ProviderEvents.ConfigurationChanged,
    ]);
    expect(provider.resolveBooleanEvaluation('banner', true).value).toBe(false);
    await provider.onClose();
  });

  it('waits as long as a 429 asks before polling again', async () => {
    const { server, provider, poll } = setUp();
    server.then(bulk([BANNER]), error(429, { code: 'RATE_LIMITED' }, { 'retry-after': '10' }), notModified());
    jest.spyOn(Math, 'random').mockReturnValue(0); // no jitter
    await provider.initialize({});
    await poll();
    expect(server.calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(server.calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(3);
    await provider.onClose();
  });

  it('rejects initialisation when the API cannot answer, serves defaults, and recovers by polling', async () => {
    const { server, provider, types } = setUp();
    server.then(error(503), bulk([BANNER]));
    await expect(provider.initialize({})).rejects.toMatchObject({
      code: ErrorCode.GENERAL,
      message: expect.stringContaining('503'),
    });
    expect(provider.resolveBooleanEvaluation('banner', false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: ErrorCode.PROVIDER_NOT_READY,
    });
    await jest.advanceTimersByTimeAsync(POLL_MS * 1.2);
    expect(types()).toEqual([ProviderEvents.Ready]);
    expect(provider.resolveBooleanEvaluation('banner', false).value).toBe(true);
    await provider.onClose();
  });

  it('gives up for good on a refused key', async () => {
    const { server, provider } = setUp();
    server.then(error(401, { code: 'UNAUTHORIZED', message: 'Unauthorized' }));
    await expect(provider.initialize({})).rejects.toMatchObject({ code: ErrorCode.PROVIDER_FATAL });
    await jest.advanceTimersByTimeAsync(POLL_MS * 5);
    expect(server.calls).toHaveLength(1);
  });

  it('reports a key revoked while running as a fatal error and stops polling', async () => {
    const { server, provider, poll, events } = setUp();
    server.then(bulk([BANNER]), error(403));
    await provider.initialize({});
    await poll();
    expect(events).toEqual([
      {
        type: ProviderEvents.Error,
        details: expect.objectContaining({ errorCode: ErrorCode.PROVIDER_FATAL }),
      },
    ]);
    await jest.advanceTimersByTimeAsync(POLL_MS * 5);
    expect(server.calls).toHaveLength(2);
  });

  it('times out a request that hangs', async () => {
    const { server, provider } = setUp({ timeoutMs: 500 });
    server.then(
      (init) =>
        new Promise<Response>((_, reject) =>
          init.signal!.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const initialized = provider.initialize({});
    const rejected = expect(initialized).rejects.toThrow('timed out');
    await jest.advanceTimersByTimeAsync(500);
    await rejected;
    await provider.onClose();
  });

  it('fetches the answer for a new context afresh and drops an answer for the old one', async () => {
    const { server, provider, events } = setUp();
    let answerOldPoll!: (response: Response) => void;
    server.then(
      bulk([BANNER], '"anon"'),
      () => new Promise<Response>((resolve) => (answerOldPoll = resolve)),
      bulk([{ ...BANNER, value: false, variant: 'off' }], '"member"'),
    );
    await provider.initialize({ targetingKey: 'anonymous' });
    await jest.advanceTimersByTimeAsync(POLL_MS);
    // A poll for the old context is in flight when the context changes.
    await provider.onContextChange({ targetingKey: 'anonymous' }, { targetingKey: 'member-7' });
    answerOldPoll(bulk([{ ...BANNER, value: true, variant: 'late' }], '"late"'));
    await jest.advanceTimersByTimeAsync(0);
    expect(server.calls[2]).toMatchObject({ body: { context: { targetingKey: 'member-7' } } });
    expect(server.calls[2]!.headers).not.toHaveProperty('If-None-Match');
    expect(provider.resolveBooleanEvaluation('banner', true)).toMatchObject({ value: false, variant: 'off' });
    // The SDK announces a context change itself; the provider adds no ConfigurationChanged.
    expect(events).toEqual([]);
    await provider.onClose();
  });

  it('revalidates at once when the page comes back into view after a poll was due', async () => {
    // Browsers slow timers down in background tabs; the page's visibility tells when to catch up.
    const listeners: (() => void)[] = [];
    const page = {
      visibilityState: 'hidden',
      addEventListener: (_: string, listener: () => void) => listeners.push(listener),
      removeEventListener: (_: string, listener: () => void) =>
        listeners.splice(listeners.indexOf(listener), 1),
    };
    Object.assign(globalThis, { document: page });
    try {
      const { server, provider } = setUp({ pollIntervalMs: 60_000 });
      server.then(bulk([BANNER]), notModified());
      await provider.initialize({});
      const becomeVisible = async () => {
        page.visibilityState = 'visible';
        listeners.forEach((listener) => listener());
        await jest.advanceTimersByTimeAsync(0);
      };
      await becomeVisible();
      expect(server.calls).toHaveLength(1); // not due yet
      jest.setSystemTime(Date.now() + 61_000); // the clock moved on while the tab's timers slept
      await becomeVisible();
      expect(server.calls.map((c) => c.headers['If-None-Match'])).toEqual([undefined, '"1"']);
      await provider.onClose();
      expect(listeners).toEqual([]);
    } finally {
      delete (globalThis as { document?: unknown }).document;
    }
  });

  it('polls no more once closed, and not at all when polling is off', async () => {
    const closed = setUp();
    closed.server.then(bulk([BANNER]));
    await closed.provider.initialize({});
    await closed.provider.onClose();
    const off = setUp({ pollIntervalMs: 0 });
    off.server.then(bulk([BANNER]));
    await off.provider.initialize({});
    await jest.advanceTimersByTimeAsync(POLL_MS * 10);
    expect([closed.server.calls.length, off.server.calls.length]).toEqual([1, 1]);
  });
});

describe('SwitchyardWebProvider through the OpenFeature web SDK', () => {
  afterEach(() => OpenFeature.clearProviders());

  it('drives the client’s status and events', async () => {
    const { server, provider, poll } = setUp();
    server.then(
      bulk([BANNER, HEADLINE], '"1"'),
      error(502),
      bulk([BANNER, { ...HEADLINE, value: 'Hi' }], '"2"'),
    );
    const client = OpenFeature.getClient('sdk-test');
    const seen: string[] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
      seen.push(`changed:${details?.flagsChanged?.join(',')}`),
    );
    client.addHandler(ProviderEvents.Stale, () => seen.push('stale'));
    await OpenFeature.setContext('sdk-test', { targetingKey: 'u' });
    await OpenFeature.setProviderAndWait('sdk-test', provider);
    expect(client.providerStatus).toBe('READY');
    expect(client.getStringValue('headline', 'x')).toBe('Welcome');
    await poll();
    expect(client.providerStatus).toBe('STALE');
    await jest.advanceTimersByTimeAsync(POLL_MS * 1.2);
    expect(client.providerStatus).toBe('READY');
    expect(client.getStringValue('headline', 'x')).toBe('Hi');
    expect(seen).toEqual(['stale', 'changed:headline']);
  });
});

describe('the web provider’s size', () => {
  it(`ships to a page with the OpenFeature web SDK within ${PAGE_GZIP_BUDGET_BYTES / 1024} KiB minified and gzipped`, async () => {
    jest.useRealTimers();
    const { provider, openFeatureWebSdk, providerWithSdk } = await measureSizes();
    expect(providerWithSdk.gzippedBytes).toBeLessThanOrEqual(PAGE_GZIP_BUDGET_BYTES);
    // The page's bundle holds both: neither measurement may leave the other out.
    expect(providerWithSdk.minifiedBytes).toBeGreaterThan(
      Math.max(provider.minifiedBytes, openFeatureWebSdk.minifiedBytes),
    );
  });
});

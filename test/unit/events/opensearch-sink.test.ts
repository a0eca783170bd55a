import { randomUUID } from 'node:crypto';
import { createOpenSearchClient } from '../../../shared/events/opensearch-client';
import { backoffDelayMs } from '../../../shared/retry';
import {
  eventSinkFromEnv,
  OpenSearchSink,
  type OpenSearchSinkOptions,
} from '../../../shared/events/opensearch-sink';
import { eventSchema, type SwitchyardEvent } from '../../../shared/events/schema';
import { NoSink } from '../../../shared/events/sink';
import { bulkActions, startLoopback, type LoopbackServer, type RecordedRequest } from './loopback-server';

function trackEvent(overrides: Partial<SwitchyardEvent> = {}): SwitchyardEvent {
  return eventSchema.parse({
    eventId: randomUUID(),
    type: 'track',
    name: 'checkout',
    unitId: 'user-1',
    timestamp: '2025-03-01T12:00:00Z',
    value: 12.5,
    properties: { plan: 'pro', nested: { list: [1, null, 'x'] } },
    ...overrides,
  });
}

type ItemScript = (eventId: string, attempt: number) => number;

/** Answers every `_bulk` with per-item statuses from `script`, counting the attempts of each event id. */
function bulkResponder(script: ItemScript) {
  const attempts = new Map<string, number>();
  return (request: RecordedRequest) => {
    if (request.path !== '/_bulk') return { status: 404, body: { error: 'unexpected path' } };
    const items = bulkActions(request.body).map(({ id, index }) => {
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const status = script(id, attempt);
      const error =
        status >= 300
          ? {
              type:
                status === 429
                  ? 'es_rejected_execution_exception'
                  : status === 409
                    ? 'version_conflict_engine_exception'
                    : 'mapper_parsing_exception',
              reason: `scripted ${status}`,
            }
          : undefined;
      return { create: { _index: index, _id: id, status, ...(error ? { error } : {}) } };
    });
    return { status: 200, body: { took: 1, errors: items.some((i) => i.create.status >= 300), items } };
  };
}

describe('OpenSearchSink against a loopback _bulk endpoint', () => {
  let server: LoopbackServer;
  const sleeps: number[] = [];
  const sinkFor = (options: OpenSearchSinkOptions = {}) =>
    new OpenSearchSink(createOpenSearchClient({ url: server.url, requestTimeoutMs: 2000 }), {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 1,
      ...options,
    });

  beforeEach(async () => {
    sleeps.length = 0;
    server = await startLoopback(bulkResponder(() => 201));
  });
  afterEach(() => server.close());

  it('sends NDJSON create actions into the UTC daily index with the event id as document id', async () => {
    const events = [
      trackEvent({ timestamp: '2025-03-01T23:59:59.999Z' }),
      // 00:30 at +02:00 is still the previous UTC day.
      trackEvent({ timestamp: '2025-03-02T00:30:00+02:00' }),
      trackEvent({ timestamp: '2025-03-02T00:00:00Z' }),
      eventSchema.parse({
        eventId: randomUUID(),
        type: 'error',
        name: 'http-500',
        unitId: 'u',
        timestamp: '2025-12-31T10:00:00Z',
        flagKey: 'checkout-v2',
        variation: 'on',
      }),
    ];
    const result = await sinkFor().index(events);

    expect(result).toEqual({ failedEventIds: [], failures: [] });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/x-ndjson');
    const actions = bulkActions(request!.body);
    expect(actions.map((a) => [a.index, a.id])).toEqual([
      ['switchyard-events-2025.03.01', events[0]!.eventId],
      ['switchyard-events-2025.03.01', events[1]!.eventId],
      ['switchyard-events-2025.03.02', events[2]!.eventId],
      ['switchyard-events-2025.12.31', events[3]!.eventId],
    ]);
    // The document is the event as received, plus the combined flag variation key for dashboards.
    expect(actions[0]!.document).toEqual(events[0]);
    expect(actions[3]!.document).toEqual({ ...events[3], flagVariation: 'checkout-v2:on' });
  });

  it('retries only the items answered 429, reports permanent 400s, and never re-sends an indexed item', async () => {
    const events = [trackEvent(), trackEvent(), trackEvent(), trackEvent()];
    const [ok, throttled, mappingError, throttledTwice] = events.map((e) => e.eventId) as [
      string,
      string,
      string,
      string,
    ];
    server.respond = bulkResponder((id, attempt) => {
      if (id === throttled) return attempt === 1 ? 429 : 201;
      if (id === throttledTwice) return attempt <= 2 ? 429 : 201;
      if (id === mappingError) return 400;
      return 201;
    });

    const result = await sinkFor().index(events);

    expect(result.failedEventIds).toEqual([mappingError]);
    expect(result.failures).toEqual([
      {
        eventId: mappingError,
        status: 400,
        type: 'mapper_parsing_exception',
        reason: 'scripted 400',
        retryable: false,
      },
    ]);
    const sent = server.requests.map((r) => bulkActions(r.body).map((a) => a.id));
    expect(sent).toEqual([
      [ok, throttled, mappingError, throttledTwice],
      [throttled, throttledTwice],
      [throttledTwice],
    ]);
    // Each event is indexed exactly once: nothing that succeeded (or failed permanently) is sent again.
    const successes = sent.flat().filter((id) => id !== mappingError);
    expect(successes.filter((id) => id === ok)).toHaveLength(1);
    // Exponential backoff (random() = 1 gives the ceiling): 200 ms, then 400 ms.
    expect(sleeps).toEqual([200, 400]);
  });

  it('gives up on an item still failing with a 5xx after maxAttempts and reports it as retryable', async () => {
    const events = [trackEvent(), trackEvent()];
    server.respond = bulkResponder((id) => (id === events[1]!.eventId ? 503 : 201));

    const result = await sinkFor({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 150 }).index(events);

    expect(result.failedEventIds).toEqual([events[1]!.eventId]);
    expect(result.failures[0]).toMatchObject({ status: 503, retryable: true });
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([100, 150]); // capped at maxDelayMs
  });

  it('treats 409 on create as already indexed, so indexing a batch twice is idempotent', async () => {
    const events = [trackEvent(), trackEvent()];
    const indexed = new Set<string>();
    server.respond = bulkResponder((id) => {
      if (indexed.has(id)) return 409;
      indexed.add(id);
      return 201;
    });
    const sink = sinkFor();

    expect(await sink.index(events)).toEqual({ failedEventIds: [], failures: [] });
    expect(await sink.index(events)).toEqual({ failedEventIds: [], failures: [] });
    expect(indexed.size).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('retries the whole request when _bulk itself answers 429, then succeeds', async () => {
    const events = [trackEvent(), trackEvent()];
    let calls = 0;
    const succeed = bulkResponder(() => 201);
    server.respond = (request) => {
      calls += 1;
      return calls === 1
        ? { status: 429, body: { error: { type: 'too_many_requests' }, status: 429 } }
        : succeed(request);
    };

    expect(await sinkFor().index(events)).toEqual({ failedEventIds: [], failures: [] });
    expect(server.requests.map((r) => bulkActions(r.body).length)).toEqual([2, 2]);
  });

  it('does not retry a request refused outright (403) and reports every event of it', async () => {
    const events = [trackEvent(), trackEvent()];
    server.respond = () => ({ status: 403, body: { error: { type: 'security_exception' }, status: 403 } });

    const result = await sinkFor().index(events);

    expect(result.failedEventIds).toEqual(events.map((e) => e.eventId));
    expect(result.failures.every((f) => f.status === 403 && !f.retryable)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('reports every event as retryable-failed when the cluster cannot be reached', async () => {
    await server.close();
    const events = [trackEvent(), trackEvent()];

    const result = await sinkFor({ maxAttempts: 2 }).index(events);

    expect(result.failedEventIds).toEqual(events.map((e) => e.eventId));
    expect(result.failures.every((f) => f.status === undefined && f.retryable)).toBe(true);
    expect(sleeps).toHaveLength(1);
    server = await startLoopback(() => ({ status: 200 })); // for afterEach
  });

  it('splits large batches by document count and by bytes', async () => {
    const events = Array.from({ length: 5 }, () => trackEvent());
    await sinkFor({ maxBulkDocuments: 2 }).index(events);
    expect(server.requests.map((r) => bulkActions(r.body).length)).toEqual([2, 2, 1]);

    server.requests.length = 0;
    const size = 700; // each action + document is ~350 bytes: at most two per request
    await sinkFor({ maxBulkBytes: size }).index(events);
    expect(server.requests.length).toBeGreaterThan(1);
    for (const request of server.requests) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(size);
    expect(server.requests.flatMap((r) => bulkActions(r.body).map((a) => a.id))).toEqual(
      events.map((e) => e.eventId),
    );
  });

  it('indexes an event id that occurs twice in a batch once', async () => {
    const event = trackEvent();
    const result = await sinkFor().index([event, { ...event }, trackEvent()]);
    expect(result.failedEventIds).toEqual([]);
    expect(bulkActions(server.requests[0]!.body).map((a) => a.id)).toEqual([
      event.eventId,
      expect.any(String),
    ]);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await sinkFor().index([])).toEqual({ failedEventIds: [], failures: [] });
    expect(server.requests).toHaveLength(0);
  });
});

describe('OpenSearch connection from the environment', () => {
  it('uses no sink without OPENSEARCH_URL', () => {
    expect(eventSinkFromEnv({})).toBeInstanceOf(NoSink);
  });

  it('uses the OpenSearch sink with OPENSEARCH_URL', () => {
    expect(eventSinkFromEnv({ OPENSEARCH_URL: 'http://127.0.0.1:9200' })).toBeInstanceOf(OpenSearchSink);
  });

  it('refuses SigV4 signing without a region, and an unknown auth mode', () => {
    expect(() =>
      eventSinkFromEnv({ OPENSEARCH_URL: 'https://x.example', OPENSEARCH_AUTH: 'aws-sigv4' }),
    ).toThrow(/AWS_REGION/);
    expect(() => eventSinkFromEnv({ OPENSEARCH_URL: 'https://x.example', OPENSEARCH_AUTH: 'basic' })).toThrow(
      /OPENSEARCH_AUTH/,
    );
  });

  it('signs requests with SigV4 for the es service when asked', async () => {
    const server = await startLoopback(bulkResponder(() => 201));
    try {
      const client = createOpenSearchClient({
        url: server.url,
        sigv4: {
          region: 'eu-west-1',
          credentials: async () => ({
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey: 'secret',
            sessionToken: 'token',
          }),
        },
      });
      await new OpenSearchSink(client).index([trackEvent()]);
      const { headers } = server.requests[0]!;
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
      );
      expect(headers['x-amz-security-token']).toBe('token');
      expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await server.close();
    }
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, scaled by jitter', () => {
    const ceiling = { baseMs: 100, maxMs: 1000, random: () => 1 };
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, ceiling))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelayMs(3, { ...ceiling, random: () => 0.5 })).toBe(200);
    expect(backoffDelayMs(3, { ...ceiling, random: () => 0 })).toBe(0);
  });
});

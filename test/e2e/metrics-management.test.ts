import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { httpCaller } from '../support/http';

const engines = requireEngines(['java']);

engines.describe('metric definitions over HTTP', () => {
  let platform: TestPlatform;
  let admin: string;
  let dev: string;
  let analyst: string;
  let viewer: string;

  const call = httpCaller(() => platform.url);
  const metric = (key: string, extra: Record<string, unknown> = {}) => ({
    key,
    name: `Metric ${key}`,
    type: 'conversion',
    eventName: 'purchase',
    ...extra,
  });
  const path = (key: string) => `/api/v1/metrics/${key}`;
  const keysOf = (page: Record<string, unknown>) => (page.items as { key: string }[]).map((m) => m.key);
  const experiment = (key: string, metrics: Record<string, unknown>) => ({
    key,
    name: `Experiment ${key}`,
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'treatment', name: 'Treatment', weight: 5000 },
    ],
    ...metrics,
  });
  const act = async (key: string, ...actions: string[]) => {
    for (const action of actions) {
      const { version } = (await call('GET', `/api/v1/experiments/${key}`, dev)).json;
      const res = await call('POST', `/api/v1/experiments/${key}/${action}`, dev, { version });
      if (res.status !== 200) throw new Error(`${action} ${key}: ${JSON.stringify(res.json)}`);
    }
  };

  beforeAll(async () => {
    platform = await startTestPlatform({});
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
    analyst = (await platform.identity.signIn({ role: 'analyst' })).token;
    viewer = (await platform.identity.signIn({ role: 'viewer' })).token;
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it('creates a metric with its defaults and refuses a duplicate key', async () => {
    const created = await call(
      'POST',
      '/api/v1/metrics',
      dev,
      metric('purchase-rate', { tags: ['checkout'] }),
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      key: 'purchase-rate',
      type: 'conversion',
      eventName: 'purchase',
      direction: 'increase',
      description: '',
      tags: ['checkout'],
      version: 1,
      createdBy: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(created.json.valueProperty).toBeUndefined();
    expect((await call('GET', path('purchase-rate'), analyst)).json).toEqual(created.json);

    const again = await call('POST', '/api/v1/metrics', admin, metric('purchase-rate'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'CONFLICT', message: expect.any(String) });
  });

  it('says which field is wrong', async () => {
    const counted = await call(
      'POST',
      '/api/v1/metrics',
      dev,
      metric('bad', { type: 'count', valueProperty: 'amount' }),
    );
    expect(counted.status).toBe(400);
    expect(counted.json).toMatchObject({
      code: 'VALIDATION_ERROR',
      message:
        'body.valueProperty: a count metric counts events and reads no value: valueProperty is only for sum, mean, duration_p95',
    });
    for (const [body, field] of [
      [metric('bad', { type: 'median' }), 'body.type'],
      [metric('bad', { eventName: '' }), 'body.eventName'],
      [metric('bad', { direction: 'up' }), 'body.direction'],
      [metric('bad', { window: { hours: 0 } }), 'body.window.hours'],
      [metric('Bad Key'), 'body.key'],
      [metric('bad', { owner: 'me' }), 'body'],
    ] as const) {
      const res = await call('POST', '/api/v1/metrics', dev, body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect((res.json.message as string).startsWith(field)).toBe(true);
    }
    expect((await call('GET', path('bad'), dev)).status).toBe(404);
  });

  it('lists with type, tag and q filters, a page at a time', async () => {
    await call(
      'POST',
      '/api/v1/metrics',
      dev,
      metric('revenue', { type: 'sum', eventName: 'purchase', valueProperty: 'amount', tags: ['checkout'] }),
    );
    await call(
      'POST',
      '/api/v1/metrics',
      dev,
      metric('page-load', {
        name: 'Page load p95',
        type: 'duration_p95',
        eventName: 'page_load',
        direction: 'decrease',
        window: { hours: 24 },
      }),
    );
    expect(keysOf((await call('GET', '/api/v1/metrics', dev)).json).sort()).toEqual([
      'page-load',
      'purchase-rate',
      'revenue',
    ]);
    expect(keysOf((await call('GET', '/api/v1/metrics?type=sum', dev)).json)).toEqual(['revenue']);
    expect(keysOf((await call('GET', '/api/v1/metrics?tag=checkout', dev)).json).sort()).toEqual([
      'purchase-rate',
      'revenue',
    ]);
    // q searches the name and the event name too.
    expect(keysOf((await call('GET', '/api/v1/metrics?q=P95', dev)).json)).toEqual(['page-load']);
    expect(keysOf((await call('GET', '/api/v1/metrics?q=page_load', dev)).json)).toEqual(['page-load']);
    const page = (await call('GET', '/api/v1/metrics?page=2&page_size=2', analyst)).json;
    expect(page).toMatchObject({ total: 3, page: 2, page_size: 2, total_pages: 2 });
    expect(page.items).toHaveLength(1);
    expect((await call('GET', '/api/v1/metrics?type=median', dev)).status).toBe(400);
    expect((await call('GET', '/api/v1/metrics?page_size=101', dev)).status).toBe(400);
  });

  it('updates with the version read, from the body or If-Match, and refuses a stale one', async () => {
    const none = await call('PATCH', path('revenue'), dev, { direction: 'decrease' });
    expect(none.status).toBe(400);
    expect(none.json.code).toBe('VALIDATION_ERROR');

    const patched = await call('PATCH', path('revenue'), dev, { description: 'Gross revenue', version: 1 });
    expect(patched.status).toBe(200);
    // PATCH changes only what it sends: no default comes back.
    expect(patched.json).toMatchObject({
      description: 'Gross revenue',
      tags: ['checkout'],
      direction: 'increase',
      valueProperty: 'amount',
      version: 2,
    });

    const byHeader = await call(
      'PATCH',
      path('revenue'),
      dev,
      { window: { hours: 72 } },
      { 'If-Match': '"2"' },
    );
    expect(byHeader.status).toBe(200);
    expect(byHeader.json).toMatchObject({ window: { hours: 72 }, version: 3 });

    const stale = await call('PATCH', path('revenue'), dev, { name: 'Lost update', version: 2 });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({
      code: 'CONFLICT',
      message: 'metric revenue is at version 3, not 2: read it again',
    });
    expect((await call('GET', path('revenue'), dev)).json).toMatchObject({
      name: 'Metric revenue',
      version: 3,
    });

    // A sum that becomes a count keeps its valueProperty under PATCH, which a count refuses.
    const toCount = await call('PATCH', path('revenue'), dev, { type: 'count', version: 3 });
    expect(toCount.status).toBe(400);
    expect(toCount.json.message).toMatch(/^body\.valueProperty: a count metric/);

    // PUT replaces every field: what it leaves out goes back to its default or away.
    const replaced = await call('PUT', path('revenue'), dev, {
      name: 'Purchases',
      type: 'count',
      eventName: 'purchase',
      version: 3,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      key: 'revenue',
      type: 'count',
      description: '',
      tags: [],
      version: 4,
    });
    expect(replaced.json.valueProperty).toBeUndefined();
    expect(replaced.json.window).toBeUndefined();

    expect((await call('PATCH', path('no-such-metric'), dev, { name: 'X', version: 1 })).status).toBe(404);
  });

  it('refuses to delete a metric that any experiment measures, whatever its status, naming them (issue 16)', async () => {
    await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('checkout-a', { primaryMetric: 'purchase-rate' }),
    );
    await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('checkout-b', { guardrailMetrics: ['page-load'] }),
    );
    await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('checkout-c', { secondaryMetrics: ['purchase-rate', 'page-load'] }),
    );
    await act('checkout-a', 'start');
    await act('checkout-c', 'start', 'pause');

    const held =
      'take it off the drafts (or delete them); an experiment that has started keeps its metrics for its results';
    const inUse = await call('DELETE', path('purchase-rate'), dev);
    expect(inUse.status).toBe(409);
    expect(inUse.json).toMatchObject({
      code: 'CONFLICT',
      message: `metric purchase-rate is measured by experiments checkout-a (ACTIVE), checkout-c (PAUSED): ${held}`,
    });
    // Its definition is locked too (the running aggregates follow it); its name is not.
    const metricVersion = (await call('GET', path('purchase-rate'), dev)).json.version as number;
    const redefined = await call('PATCH', path('purchase-rate'), dev, {
      eventName: 'checkout',
      version: metricVersion,
    });
    expect(redefined.status).toBe(409);
    expect(redefined.json.message).toBe(
      'eventName of metric purchase-rate cannot change once experiments have measured it ' +
        '(checkout-a, checkout-c): their results are aggregated under the current definition; ' +
        'create a new metric instead',
    );
    const renamed = await call('PATCH', path('purchase-rate'), dev, {
      name: 'Purchase rate (all)',
      version: metricVersion,
    });
    expect(renamed.status).toBe(200);
    // A DRAFT holds its metrics too: it could start without them, and its results would leave them out.
    const guardrail = await call('DELETE', path('page-load'), dev);
    expect(guardrail.status).toBe(409);
    expect(guardrail.json.message).toBe(
      `metric page-load is measured by experiments checkout-b (DRAFT), checkout-c (PAUSED): ${held}`,
    );

    // Finished experiments still read their results under the metric.
    await act('checkout-a', 'complete', 'archive');
    await act('checkout-c', 'complete');
    const finished = await call('DELETE', path('purchase-rate'), dev);
    expect(finished.status).toBe(409);
    expect(finished.json.message).toBe(
      `metric purchase-rate is measured by experiments checkout-a (ARCHIVED), checkout-c (COMPLETED): ${held}`,
    );
    expect((await call('GET', path('purchase-rate'), dev)).status).toBe(200);

    // A draft can let go: then the metric can be deleted (below, at the version read).
    expect((await call('POST', '/api/v1/metrics', dev, metric('draft-only'))).status).toBe(201);
    await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('checkout-d', { secondaryMetrics: ['draft-only'] }),
    );
    expect((await call('DELETE', path('draft-only'), dev)).status).toBe(409);
    const dropped = await call('PATCH', '/api/v1/experiments/checkout-d', dev, {
      secondaryMetrics: [],
      version: 1,
    });
    expect(dropped.status).toBe(200);
  });

  it('deletes only at the version read when one is sent', async () => {
    const stale = await call('DELETE', path('draft-only'), dev, undefined, { 'If-Match': '"7"' });
    expect(stale.status).toBe(409);
    expect((await call('DELETE', path('draft-only'), dev, undefined, { 'If-Match': '"1"' })).status).toBe(
      204,
    );
    expect((await call('GET', path('draft-only'), dev)).status).toBe(404);
    expect((await call('DELETE', path('draft-only'), dev)).status).toBe(404);
  });

  it('lets analysts read, developers and admins write, and viewers nothing', async () => {
    expect((await call('GET', path('revenue'), analyst)).status).toBe(200);
    expect((await call('PATCH', path('revenue'), analyst, { name: 'X', version: 4 })).status).toBe(403);
    expect((await call('GET', '/api/v1/metrics', viewer)).status).toBe(403);
    expect((await call('GET', path('revenue'), viewer)).status).toBe(403);
    // A missing metric is a 404 only to callers who may read metrics.
    expect((await call('GET', path('no-such-metric'), analyst)).status).toBe(404);
    expect((await call('GET', path('no-such-metric'), viewer)).status).toBe(403);
    expect((await call('PATCH', path('revenue'), admin, { name: 'Purchase count', version: 4 })).status).toBe(
      200,
    );
  });

  it('audits every change as a metric', async () => {
    const res = await call(
      'GET',
      '/api/v1/audit?resourceKind=metric&resourceKey=revenue&page_size=100',
      admin,
    );
    expect(res.status).toBe(200);
    const entries = res.json.items as { action: string; before: object | null; after: object | null }[];
    expect(entries.map((e) => e.action).sort()).toEqual([
      'metric.create',
      'metric.update',
      'metric.update',
      'metric.update',
      'metric.update',
    ]);
    // A filter that can match nothing is a mistake, not an empty answer (issue 16).
    for (const route of ['/api/v1/audit', '/api/v1/audit/export']) {
      const bogus = await call('GET', `${route}?resourceKind=bogus`, admin);
      expect(bogus.status).toBe(400);
      expect(bogus.json).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/^query\.resourceKind: .*"metric"/),
      });
    }
    for (const kind of [
      'flag',
      'segment',
      'layer',
      'experiment',
      'rollout',
      'user',
      'apiKey',
      'safetyRollback',
    ]) {
      expect((await call('GET', `/api/v1/audit?resourceKind=${kind}`, admin)).status).toBe(200);
    }
    const deleted = await call('GET', '/api/v1/audit?resourceKind=metric&resourceKey=draft-only', admin);
    expect(deleted.json.items).toContainEqual(
      expect.objectContaining({
        action: 'metric.delete',
        before: expect.objectContaining({ key: 'draft-only' }),
        after: null,
      }),
    );
  });
});

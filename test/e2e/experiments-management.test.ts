import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { httpCaller } from '../support/http';

const engines = requireEngines(['java']);

engines.describe('experiment and layer management over HTTP', () => {
  let platform: TestPlatform;
  let admin: string;
  let dev: string;
  let viewer: string;

  const call = httpCaller(() => platform.url);
  const experiment = (key: string, extra: Record<string, unknown> = {}) => ({
    key,
    name: `Experiment ${key}`,
    tags: ['checkout'],
    variants: [
      { key: 'control', name: 'Control', weight: 5000, isControl: true },
      { key: 'green', name: 'Green button', weight: 5000, payload: { color: 'green' } },
    ],
    trafficAllocation: 8000,
    primaryMetric: 'purchase',
    ...extra,
  });
  const path = (key: string, suffix = '') => `/api/v1/experiments/${key}${suffix}`;
  const versionOf = async (key: string) => (await call('GET', path(key), dev)).json.version as number;
  const act = async (key: string, action: string, token = dev) =>
    call('POST', path(key, `/${action}`), token, { version: await versionOf(key) });

  beforeAll(async () => {
    platform = await startTestPlatform({});
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
    viewer = (await platform.identity.signIn({ role: 'viewer' })).token;
    const metric = { key: 'purchase', name: 'Purchase', type: 'conversion', eventName: 'purchase' };
    expect((await call('POST', '/api/v1/metrics', dev, metric)).status).toBe(201);
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it('creates a DRAFT experiment with its defaults and refuses a duplicate key', async () => {
    const created = await call('POST', '/api/v1/experiments', dev, experiment('button'));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      key: 'button',
      status: 'DRAFT',
      version: 1,
      trafficAllocation: 8000,
      unitAttribute: 'userId',
      secondaryMetrics: [],
    });
    expect(created.json.startedAt).toBeUndefined();
    const again = await call('POST', '/api/v1/experiments', admin, experiment('button'));
    expect(again.status).toBe(409);
    expect((await call('GET', path('button'), viewer)).status).toBe(200);
  });

  it('says which field is wrong', async () => {
    const res = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('bad', {
        variants: [
          { key: 'a', name: 'A', weight: 5000, isControl: true },
          { key: 'b', name: 'B', weight: 4000 },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('body.variants: weights must sum to 10000 (they sum to 9000)');
    const flag = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('bad', { flagKey: 'no-such-flag' }),
    );
    expect(flag.status).toBe(400);
    expect(flag.json.message).toMatch(/body\.flagKey: no flag no-such-flag/);
    const metric = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('bad', { secondaryMetrics: ['purchase', 'no-such-metric'] }),
    );
    expect(metric.status).toBe(400);
    expect(metric.json.message).toBe('no metric no-such-metric: create the metric first');
    expect(metric.json.details).toEqual({
      issues: [{ path: 'body.secondaryMetrics.1', message: 'no metric no-such-metric' }],
    });
    const toggle = {
      key: 'new-checkout',
      name: 'New checkout',
      kind: 'boolean',
      variations: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      offVariation: 'off',
      fallthrough: { variation: 'off' },
    };
    expect((await call('POST', '/api/v1/feature-flags', dev, toggle)).status).toBe(201);
    const strangers = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('bad', { flagKey: 'new-checkout' }),
    );
    expect(strangers.status).toBe(400);
    expect(strangers.json.message).toMatch(/variants control, green are not variations of flag new-checkout/);
    const layer = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('bad', { layer: 'no-such-layer', layerRange: [0, 100] }),
    );
    expect(layer.status).toBe(400);
    expect(layer.json.message).toMatch(/body\.layer: no layer/);
  });

  it('lists with status, tag and q filters', async () => {
    await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('other', { tags: ['search'], name: 'Search ranking' }),
    );
    const byTag = (await call('GET', '/api/v1/experiments?tag=search', dev)).json;
    expect((byTag.items as { key: string }[]).map((e) => e.key)).toEqual(['other']);
    const byQ = (await call('GET', '/api/v1/experiments?q=RANKING', dev)).json;
    expect(byQ.total).toBe(1);
    const drafts = (await call('GET', '/api/v1/experiments?status=DRAFT&page_size=1', dev)).json;
    expect(drafts).toMatchObject({ total: 2, page_size: 1, total_pages: 2 });
    expect((await call('GET', '/api/v1/experiments?status=RUNNING', dev)).status).toBe(400);
  });

  it('refuses illegal transitions with 409 naming the allowed ones', async () => {
    for (const action of ['pause', 'resume', 'complete', 'archive']) {
      const res = await act('button', action);
      expect(res.status).toBe(409);
      expect(res.json.message).toBe(`experiment button is DRAFT: cannot ${action}; allowed: start`);
    }
  });

  it('requires a version for a transition, from the body or If-Match', async () => {
    const none = await call('POST', path('button', '/start'), dev);
    expect(none.status).toBe(400);
    const stale = await call('POST', path('button', '/start'), dev, { version: 99 });
    expect(stale.status).toBe(409);
  });

  it('starts, locks the assignment fields and lets traffic only grow', async () => {
    const started = await call('POST', path('button', '/start'), dev, undefined, { 'If-Match': '"1"' });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: 'ACTIVE', version: 2, startedAt: expect.any(String) });

    const variants = [
      { key: 'control', name: 'Control', weight: 4000, isControl: true },
      { key: 'green', name: 'Green button', weight: 6000 },
    ];
    for (const [field, change] of [
      ['variants', { variants }],
      ['unitAttribute', { unitAttribute: 'accountId' }],
    ] as const) {
      const res = await call('PATCH', path('button'), dev, { ...change, version: 2 });
      expect(res.status).toBe(409);
      expect(res.json.message).toBe(`${field} is locked while the experiment is ACTIVE`);
    }
    const renamed = await call('PATCH', path('button'), dev, { description: 'still editable', version: 2 });
    expect(renamed.status).toBe(200);

    const up = await call('PATCH', path('button'), dev, { trafficAllocation: 9000, version: 3 });
    expect(up.status).toBe(200);
    expect(up.json.trafficAllocation).toBe(9000);
    const down = await call('PATCH', path('button'), dev, { trafficAllocation: 8000, version: 4 });
    expect(down.status).toBe(409);
    expect(down.json.message).toMatch(/trafficAllocation may only grow/);
  });

  it('schedules only while DRAFT or PAUSED', async () => {
    const schedule = { startAt: '2030-01-01T00:00:00Z', endAt: '2030-02-01T00:00:00Z' };
    const active = await call('PUT', path('button', '/schedule'), dev, { ...schedule, version: 4 });
    expect(active.status).toBe(409);
    expect(active.json.message).toMatch(/only while DRAFT or PAUSED/);

    expect((await act('button', 'pause')).json).toMatchObject({ status: 'PAUSED' });
    const bad = await call('PUT', path('button', '/schedule'), dev, {
      endAt: 'next tuesday',
      version: 5,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^body\.endAt: /);
    const restart = await call('PUT', path('button', '/schedule'), dev, { ...schedule, version: 5 });
    expect(restart.status).toBe(409);
    expect(restart.json.message).toMatch(/PAUSED: it has started already, so only endAt can be scheduled/);
    const paused = await call('PUT', path('button', '/schedule'), dev, { endAt: schedule.endAt, version: 5 });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ endAt: schedule.endAt, status: 'PAUSED', version: 6 });
    // Locked while PAUSED too.
    const locked = await call('PATCH', path('button'), dev, { unitAttribute: 'accountId', version: 6 });
    expect(locked.status).toBe(409);
  });

  it('completes, archives and refuses to delete anything but a DRAFT', async () => {
    const completed = await act('button', 'complete');
    expect(completed.json).toMatchObject({ status: 'COMPLETED', endedAt: expect.any(String) });
    const resume = await act('button', 'resume');
    expect(resume.status).toBe(409);
    expect(resume.json.message).toBe('experiment button is COMPLETED: cannot resume; allowed: archive');
    expect((await act('button', 'archive')).json).toMatchObject({ status: 'ARCHIVED' });
    const none = await act('button', 'start');
    expect(none.json.message).toBe('experiment button is ARCHIVED: cannot start; no action is allowed');

    const del = await call('DELETE', path('button'), dev);
    expect(del.status).toBe(409);
    expect(del.json.message).toMatch(/archive instead/);
    expect((await call('DELETE', path('other'), dev)).status).toBe(204);
    expect((await call('GET', path('other'), dev)).status).toBe(404);
  });

  it('keeps a flag and the experiment serving it consistent', async () => {
    const banner = {
      key: 'banner',
      name: 'Banner',
      kind: 'string',
      variations: [
        { key: 'control', value: 'grey' },
        { key: 'green', value: 'green' },
      ],
      offVariation: 'control',
      fallthrough: { variation: 'control' },
    };
    expect((await call('POST', '/api/v1/feature-flags', dev, banner)).status).toBe(201);
    expect(
      (await call('POST', '/api/v1/experiments', dev, experiment('banner-test', { flagKey: 'banner' })))
        .status,
    ).toBe(201);
    expect((await act('banner-test', 'start')).status).toBe(200);

    const rival = await call(
      'POST',
      '/api/v1/experiments',
      dev,
      experiment('banner-rival', { flagKey: 'banner' }),
    );
    expect(rival.status).toBe(409);
    expect(rival.json.message).toMatch(/flag banner is already served by experiment banner-test \(ACTIVE\)/);
    const shrink = await call('PATCH', '/api/v1/feature-flags/banner', dev, {
      variations: [
        { key: 'control', value: 'grey' },
        { key: 'blue', value: 'blue' },
      ],
      version: 1,
    });
    expect(shrink.status).toBe(409);
    expect(shrink.json.message).toMatch(
      /variations green of flag banner are variants of experiment banner-test/,
    );
    const removed = await call('DELETE', '/api/v1/feature-flags/banner', dev);
    expect(removed.status).toBe(409);
    expect(removed.json.message).toMatch(/served by experiment banner-test/);

    await act('banner-test', 'complete');
    expect((await call('DELETE', '/api/v1/feature-flags/banner', dev)).status).toBe(204);
  });

  it('audits every transition and schedule change', async () => {
    const res = await call(
      'GET',
      '/api/v1/audit?resourceKind=experiment&resourceKey=button&page_size=100',
      admin,
    );
    expect(res.status).toBe(200);
    const actions = (res.json.items as { action: string }[]).map((e) => e.action).sort();
    expect(actions).toEqual(
      [
        'experiment.archive',
        'experiment.complete',
        'experiment.create',
        'experiment.pause',
        'experiment.schedule',
        'experiment.start',
        'experiment.update',
        'experiment.update',
      ].sort(),
    );
    const start = (res.json.items as { action: string; before: object; after: object }[]).find(
      (e) => e.action === 'experiment.start',
    );
    expect(start).toMatchObject({ before: { status: 'DRAFT' }, after: { status: 'ACTIVE' } });
  });

  it('names only existing segments in conditions, and keeps a segment an experiment names, whatever its state', async () => {
    const inSegment = (key: string) => ({
      conditions: { all: [{ attribute: 'targetingKey', op: 'in_segment', values: [key] }] },
    });
    const unknown = await call('POST', '/api/v1/experiments', dev, experiment('seg-x', inSegment('vips')));
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('body.conditions: unknown segment vips');
    expect((await call('POST', '/api/v1/segments', dev, { key: 'vips', name: 'VIPs' })).status).toBe(201);
    expect(
      (await call('POST', '/api/v1/experiments', dev, experiment('seg-x', inSegment('vips')))).status,
    ).toBe(201);
    for (const action of ['start', 'complete', 'archive']) await act('seg-x', action);
    const held = await call('DELETE', '/api/v1/segments/vips', dev);
    expect(held.status).toBe(409);
    expect(held.json.message).toBe(
      'segment vips is used by experiments seg-x (ARCHIVED): remove it there first',
    );
    expect((await call('GET', '/api/v1/segments/vips', dev)).status).toBe(200);
  });

  describe('layers', () => {
    it('manages a layer and keeps the experiments in it on disjoint ranges', async () => {
      const layer = await call('POST', '/api/v1/layers', dev, { key: 'checkout', name: 'Checkout' });
      expect(layer.status).toBe(201);
      expect(layer.json).toMatchObject({ key: 'checkout', version: 1, tags: [], description: '' });
      expect((await call('GET', '/api/v1/layers', viewer)).json.total).toBe(1);

      const first = await call(
        'POST',
        '/api/v1/experiments',
        dev,
        experiment('layer-a', { layer: 'checkout', layerRange: [0, 5000] }),
      );
      expect(first.status).toBe(201);
      const clash = await call(
        'POST',
        '/api/v1/experiments',
        dev,
        experiment('layer-b', { layer: 'checkout', layerRange: [4000, 8000] }),
      );
      expect(clash.status).toBe(409);
      expect(clash.json.message).toMatch(/overlaps experiment layer-a/);
      const beside = await call(
        'POST',
        '/api/v1/experiments',
        dev,
        experiment('layer-b', { layer: 'checkout', layerRange: [5000, 8000] }),
      );
      expect(beside.status).toBe(201);
      // Moving into a taken range is refused too.
      const move = await call('PATCH', path('layer-b'), dev, { layerRange: [4999, 8000], version: 1 });
      expect(move.status).toBe(409);
      expect(move.json.message).toMatch(/overlaps experiment layer-a/);

      const inUse = await call('DELETE', '/api/v1/layers/checkout', dev);
      expect(inUse.status).toBe(409);
      expect(inUse.json.message).toMatch(/layer-a \(DRAFT\), layer-b \(DRAFT\)/);

      // A finished experiment frees its range.
      for (const action of ['start', 'complete']) await act('layer-a', action);
      const reuse = await call(
        'POST',
        '/api/v1/experiments',
        dev,
        experiment('layer-c', { layer: 'checkout', layerRange: [0, 5000] }),
      );
      expect(reuse.status).toBe(201);
    });

    it('locks the layer salt while an experiment runs in it, and deletes an unused layer', async () => {
      await act('layer-b', 'start');
      const salt = await call('PATCH', '/api/v1/layers/checkout', dev, { salt: 'new', version: 1 });
      expect(salt.status).toBe(409);
      expect(salt.json.message).toMatch(/salt of layer checkout is locked/);
      const renamed = await call('PUT', '/api/v1/layers/checkout', dev, {
        name: 'Checkout page',
        version: 1,
      });
      expect(renamed.json).toMatchObject({ name: 'Checkout page', version: 2 });

      // A finished experiment (layer-a is COMPLETED) still holds its layer, as every state does.
      await act('layer-b', 'complete');
      await act('layer-c', 'start');
      await act('layer-c', 'complete');
      await act('layer-c', 'archive');
      const held = await call('DELETE', '/api/v1/layers/checkout', dev);
      expect(held.status).toBe(409);
      expect(held.json.message).toBe(
        'layer checkout is used by experiments layer-a (COMPLETED), layer-b (COMPLETED), layer-c (ARCHIVED): ' +
          'move or delete them first',
      );

      await call('POST', '/api/v1/layers', dev, { key: 'spare', name: 'Spare' });
      expect((await call('DELETE', '/api/v1/layers/spare', dev)).status).toBe(204);
      const audit = await call('GET', '/api/v1/audit?resourceKind=layer&resourceKey=spare', admin);
      expect((audit.json.items as { action: string }[]).map((e) => e.action).sort()).toEqual([
        'layer.create',
        'layer.delete',
      ]);
      expect((await call('POST', '/api/v1/layers', viewer, { key: 'x', name: 'X' })).status).toBe(403);
    });
  });
});

import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually } from '../support/http';

const engines = requireEngines(['java']);

engines.describe('experiments start and end on schedule (the sweep, on a fast local timer)', () => {
  let platform: TestPlatform;
  let dev: string;

  const call = apiCaller(
    () => platform.url,
    () => dev,
  );
  const statusOf = async (key: string) =>
    (await call('GET', `/api/v1/experiments/${key}`)).json.status as string;

  beforeAll(async () => {
    // One "minute" = 40 ms: the 15-minute sweep runs every 600 ms.
    platform = await startTestPlatform({
      msPerMinute: 40,
    });
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
    const metric = { key: 'purchase', name: 'Purchase', type: 'conversion', eventName: 'purchase' };
    expect((await call('POST', '/api/v1/metrics', metric)).status).toBe(201);
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'starts a DRAFT at its startAt and completes it at its endAt, audited as system:scheduler',
    async () => {
      const startAt = new Date(Date.now() + 1500).toISOString();
      const endAt = new Date(Date.now() + 4000).toISOString();
      const created = await call('POST', '/api/v1/experiments', {
        key: 'timed',
        name: 'Timed',
        variants: [
          { key: 'control', name: 'Control', weight: 5000, isControl: true },
          { key: 'b', name: 'B', weight: 5000 },
        ],
        primaryMetric: 'purchase',
        startAt,
        endAt,
      });
      expect(created.status).toBe(201);
      expect(await statusOf('timed')).toBe('DRAFT');
      await eventually('the experiment starts', async () => (await statusOf('timed')) === 'ACTIVE', 5000);
      const started = (await call('GET', '/api/v1/experiments/timed')).json;
      expect(Date.parse(started.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(startAt));
      await eventually('the experiment ends', async () => (await statusOf('timed')) === 'COMPLETED', 8000);

      const admin = (await platform.identity.signIn({ role: 'admin' })).token;
      const audit = await fetch(`${platform.url}/api/v1/audit?resourceKind=experiment&resourceKey=timed`, {
        headers: { Authorization: `Bearer ${admin}` },
      });
      const entries = ((await audit.json()) as { items: { action: string; actor: string }[] }).items;
      expect(
        entries
          .filter((e) => e.actor === 'system:scheduler')
          .map((e) => e.action)
          .sort(),
      ).toEqual(['experiment.complete', 'experiment.start']);
      // Further sweeps find nothing to do: no more entries.
      await new Promise((r) => setTimeout(r, 1500));
      const again = await fetch(`${platform.url}/api/v1/audit?resourceKind=experiment&resourceKey=timed`, {
        headers: { Authorization: `Bearer ${admin}` },
      });
      expect(((await again.json()) as { total: number }).total).toBe(entries.length);
    },
    scaledMs(30_000),
  );
});

import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually, PUBLISH_BUDGET_MS, request } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { expectBinomialShare, publishedShare, unitsServed } from '../support/serving';
import { booleanFlag } from '../support/flags';

const engines = requireEngines(['java']);

/** The units whose served share each stage is measured on (the acceptance of issue 12 names 5 000). */
const UNITS = Array.from({ length: 5000 }, (_, i) => `unit-${i}`);
const STAGES = [1000, 5000, 10000];

interface Schedule {
  status: string;
  currentStage: number;
  version: number;
}

engines.describe('a rollout ramps a flag on time triggers (the job, on a fast local timer)', () => {
  let platform: TestPlatform;
  let dev: string;
  let serverKey: string;

  const call = apiCaller(
    () => platform.url,
    () => dev,
  );
  const schedule = async () =>
    (await call('GET', '/api/v1/rollout-schedules/dark-mode-ramp')).json as unknown as Schedule;
  const flagVersion = async () =>
    (await call('GET', '/api/v1/feature-flags/dark-mode')).json.version as number;

  beforeAll(async () => {
    // One "minute" = 50 ms: the 5-minute rollout job runs every 250 ms.
    platform = await startTestPlatform({ msPerMinute: 50 });
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
    const admin = (await platform.identity.signIn({ role: 'admin' })).token;
    const key = await request(platform.url, 'POST', '/api/v1/api-keys', {
      credential: admin,
      body: { name: 'backend', type: 'server' },
    });
    serverKey = key.json.secret as string;
    const flag = await call('POST', '/api/v1/feature-flags', booleanFlag('dark-mode', { name: 'Dark mode' }));
    expect(flag.status).toBe(201);
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'enters 10 % → 50 % → 100 %: sticky, within binomial tolerance, audited as system:rollouts, COMPLETED',
    async () => {
      const created = await call('POST', '/api/v1/rollout-schedules', {
        key: 'dark-mode-ramp',
        flagKey: 'dark-mode',
        variation: 'on',
        startAt: new Date(Date.now() + 1000).toISOString(),
        stages: [
          { percentage: STAGES[0], trigger: { type: 'time', after: 'PT0S' } },
          { percentage: STAGES[1], trigger: { type: 'time', after: 'PT4S' } },
          { percentage: STAGES[2], trigger: { type: 'time', after: 'PT4S' } },
        ],
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ status: 'PENDING', currentStage: -1 });
      const versions = [await flagVersion()];
      let previous = new Set<string>();

      for (const [stage, percentage] of STAGES.entries()) {
        const entered = await eventually(
          `stage ${stage} is entered`,
          async () => {
            const s = await schedule();
            return s.currentStage >= stage ? s : undefined;
          },
          scaledMs(30_000),
          100,
        );
        expect(entered.currentStage).toBe(stage);
        // Hold the ramp at this stage while 5 000 units are evaluated (the last stage has completed it already).
        if (entered.status === 'ACTIVE') {
          const paused = await call('POST', '/api/v1/rollout-schedules/dark-mode-ramp/pause', {
            version: entered.version,
          });
          expect(paused.status).toBe(200);
        } else {
          expect(entered.status).toBe('COMPLETED');
        }
        versions.push(await flagVersion());
        await eventually(
          'the stage reaches evaluation',
          async () => (await publishedShare(platform.url, serverKey, 'dark-mode', 'on')) === percentage,
          scaledMs(PUBLISH_BUDGET_MS),
        );

        const on = await unitsServed(platform.url, serverKey, 'dark-mode', 'on', UNITS);
        expectBinomialShare(on.size, UNITS.length, percentage);
        // Sticky: nobody served `on` at an earlier stage is served `off` now.
        expect([...previous].filter((u) => !on.has(u))).toEqual([]);
        previous = on;

        if (entered.status === 'ACTIVE') {
          const resumed = await call('POST', '/api/v1/rollout-schedules/dark-mode-ramp/resume', {
            version: entered.version + 1,
          });
          expect(resumed.status).toBe(200);
        }
      }

      expect(await schedule()).toMatchObject({ status: 'COMPLETED', currentStage: 2 });
      // One flag version per stage.
      expect(versions).toEqual([versions[0], versions[0]! + 1, versions[0]! + 2, versions[0]! + 3]);

      const admin = (await platform.identity.signIn({ role: 'admin' })).token;
      const audit = async (kind: string, key: string) =>
        (
          await request(
            platform.url,
            'GET',
            `/api/v1/audit?resourceKind=${kind}&resourceKey=${key}&actor=system:rollouts`,
            {
              credential: admin,
            },
          )
        ).json.items as { action: string; actor: string; after: { fallthrough?: unknown } }[];
      const flagChanges = await audit('flag', 'dark-mode');
      expect(flagChanges.map((e) => e.action)).toEqual(['flag.rollout', 'flag.rollout', 'flag.rollout']);
      expect((await audit('rollout', 'dark-mode-ramp')).map((e) => e.action)).toEqual([
        'rollout.advance',
        'rollout.advance',
        'rollout.advance',
      ]);
      // Further runs of the job find nothing to do.
      await new Promise((r) => setTimeout(r, scaledMs(1500)));
      expect(await flagVersion()).toBe(versions[3]);
      expect((await audit('flag', 'dark-mode')).length).toBe(3);
    },
    scaledMs(240_000),
  );

  it(
    'a metric trigger holds the ramp while the error rate lacks samples or breaches its bound, and advances once within it',
    async () => {
      const flag = await call(
        'POST',
        '/api/v1/feature-flags',
        booleanFlag('search-v2', { name: 'Search v2' }),
      );
      expect(flag.status).toBe(201);
      const created = await call('POST', '/api/v1/rollout-schedules', {
        key: 'search-ramp',
        flagKey: 'search-v2',
        variation: 'on',
        stages: [
          { percentage: 1000, trigger: { type: 'manual' } },
          {
            percentage: 5000,
            trigger: { type: 'metric', metric: 'error_rate', maxValue: 0.05, minSampleSize: 100 },
          },
        ],
      });
      expect(created.status).toBe(201);
      const started = await call('POST', '/api/v1/rollout-schedules/search-ramp/advance', { version: 1 });
      expect(started.json).toMatchObject({ status: 'ACTIVE', currentStage: 0 });
      const ramp = async () => (await call('GET', '/api/v1/rollout-schedules/search-ramp')).json;

      let sent = 0;
      /** `requests` latency events of the rolled-out variation, `errors` of them failed (one error event each). */
      const measure = async (requests: number, errors: number) => {
        const events = [];
        for (let i = 0; i < requests; i++) {
          const unitId = `user-${sent++}`;
          const common = {
            unitId,
            name: 'search.request',
            timestamp: new Date().toISOString(),
            flagKey: 'search-v2',
            variation: 'on',
          };
          events.push({ ...common, eventId: crypto.randomUUID(), type: 'latency', value: 40 });
          if (i < errors) events.push({ ...common, eventId: crypto.randomUUID(), type: 'error' });
        }
        const res = await request(platform.url, 'POST', '/api/v1/events', {
          credential: serverKey,
          body: { events },
        });
        expect(res.status).toBe(200);
        expect(res.json.refused).toEqual([]);
      };
      // The job runs every 250 ms and the processor folds events in within a second or two: a hold is a stage
      // that stays put well beyond both.
      const holds = async () => {
        await new Promise((r) => setTimeout(r, scaledMs(6_000)));
        expect(await ramp()).toMatchObject({ status: 'ACTIVE', currentStage: 0 });
      };

      await measure(60, 20); // 60 of 100 requests: too few to judge
      await holds();
      await measure(60, 0); // 120 requests, error rate 20/120 = 17 % > 5 %
      await holds();
      await measure(300, 0); // 420 requests, 20/420 = 4.8 % ≤ 5 %
      const done = await eventually(
        'the metric stage is entered',
        async () => {
          const s = await ramp();
          return s.currentStage === 1 ? s : undefined;
        },
        scaledMs(30_000),
        200,
      );
      expect(done).toMatchObject({ status: 'COMPLETED' });
      expect(done.history).toEqual(
        expect.arrayContaining([expect.objectContaining({ stage: 1, by: 'system:rollouts' })]),
      );
    },
    scaledMs(120_000),
  );
});

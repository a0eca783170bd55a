import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually, PUBLISH_BUDGET_MS } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import {
  expectBinomialShare,
  publishedFlag,
  publishedShare,
  servedAnswers,
  unitsServed,
} from '../support/serving';
import { booleanFlag } from '../support/flags';
import { rampToHalf, readOutbox } from '../support/safety';

const engines = requireEngines(['java']);

const UNITS = Array.from({ length: 1000 }, (_, i) => `unit-${i}`);
const FLAG = 'checkout-v2';
const RAMP = 'checkout-v2-ramp';

engines.describe('safety: settings, per-flag config and a manual rollback on the local platform', () => {
  let platform: TestPlatform;
  const tokens: Record<'admin' | 'developer' | 'other' | 'analyst' | 'viewer', string> = {
    admin: '',
    developer: '',
    other: '',
    analyst: '',
    viewer: '',
  };
  let serverKey = '';

  const as = (who: keyof typeof tokens) =>
    apiCaller(
      () => platform.url,
      () => tokens[who],
    );
  const admin = as('admin');
  const dev = as('developer');

  const outbox = () => readOutbox(platform.outboxFile);
  /** The share of `on` in the flag's published split: what evaluation serves once it changes. */
  const onShare = (flagKey: string) => publishedShare(platform.url, serverKey, flagKey, 'on');
  /** The units `/evaluate` serves `on`. */
  const servedOn = (flagKey: string) => unitsServed(platform.url, serverKey, flagKey, 'on', UNITS);
  /** A boolean flag ramped `on` by hand (10 % → 50 % → 100 %), at 50 % once it returns. */
  const rampedToHalf = async (flagKey: string, ramp: string) => {
    await rampToHalf(dev, flagKey, ramp);
    await eventually(
      `50 % of ${flagKey} reaches evaluation`,
      async () => (await onShare(flagKey)) === 5000,
      scaledMs(PUBLISH_BUDGET_MS),
    );
  };

  beforeAll(async () => {
    platform = await startTestPlatform({});
    const { identity } = platform;
    tokens.admin = (await identity.signIn({ role: 'admin', email: 'admin@example.com' })).token;
    tokens.developer = (await identity.signIn({ role: 'developer', email: 'dev@example.com' })).token;
    tokens.other = (await identity.signIn({ role: 'developer', email: 'other@example.com' })).token;
    tokens.analyst = (await identity.signIn({ role: 'analyst', email: 'analyst@example.com' })).token;
    tokens.viewer = (await identity.signIn({ role: 'viewer', email: 'viewer@example.com' })).token;
    const key = await admin('POST', '/api/v1/api-keys', { name: 'backend', type: 'server' });
    serverKey = key.json.secret as string;
    const flag = await dev('POST', '/api/v1/feature-flags', booleanFlag(FLAG, { name: 'New checkout' }));
    expect(flag.status).toBe(201);
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it('settings: defaults at version 0, PUT at the version read, 409 when stale, 400 naming the field', async () => {
    const defaults = await as('analyst')('GET', '/api/v1/safety/settings');
    expect(defaults.status).toBe(200);
    expect(defaults.json).toEqual({
      enabled: false,
      maxErrorRate: 0.05,
      maxLatencyP95Ms: 1000,
      maxRelativeRegression: 0.1,
      minSampleSize: 100,
      windowMinutes: 10,
      autoRollback: true,
      alpha: 0.05,
      notifications: { emails: [], eventBridge: true },
      version: 0,
    });
    expect((await as('viewer')('GET', '/api/v1/safety/settings')).status).toBe(403);

    const bad = await admin('PUT', '/api/v1/safety/settings', { maxErrorRate: 2, version: 0 });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringMatching(/^body\.maxErrorRate/),
    });

    const body = { enabled: true, maxErrorRate: 0.02, notifications: { emails: ['oncall@example.com'] } };
    const refused = await dev('PUT', '/api/v1/safety/settings', { ...body, version: 0 });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe('Role developer may read but not manage safety');

    const put = await admin('PUT', '/api/v1/safety/settings', { ...body, version: 0 });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      enabled: true,
      maxErrorRate: 0.02,
      windowMinutes: 10,
      notifications: { emails: ['oncall@example.com'], eventBridge: true },
      version: 1,
    });
    const stale = await admin('PUT', '/api/v1/safety/settings', { ...body, version: 0 });
    expect(stale.status).toBe(409);
    expect((await dev('GET', '/api/v1/safety/settings')).json).toMatchObject({ version: 1, enabled: true });
  });

  it('per-flag config: 404 for an unknown flag, none at version 0, the owner PUTs overrides, others may not', async () => {
    expect((await dev('GET', '/api/v1/safety/feature-flags/no-such-flag/config')).status).toBe(404);
    const path = `/api/v1/safety/feature-flags/${FLAG}/config`;
    expect((await dev('GET', path)).json).toMatchObject({
      flagKey: FLAG,
      version: 0,
      effective: { enabled: true, action: 'previous_stage', maxErrorRate: 0.02 },
    });
    const body = { action: 'previous_stage', maxLatencyP95Ms: 400, version: 0 };
    expect((await as('other')('PUT', path, body)).status).toBe(403);
    expect((await as('analyst')('PUT', path, body)).status).toBe(403);
    expect((await dev('PUT', path, { ...body, alpha: 0.7 })).json).toMatchObject({
      message: expect.stringMatching(/^body\.alpha/),
    });
    const put = await dev('PUT', path, body);
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      flagKey: FLAG,
      action: 'previous_stage',
      maxLatencyP95Ms: 400,
      version: 1,
      effective: { maxLatencyP95Ms: 400, maxErrorRate: 0.02 },
    });
    expect((await dev('PUT', path, body)).status).toBe(409);
  });

  it(
    'a manual rollback of a ramping flag: the previous stage is served again, the rollout ROLLED_BACK, one record, audit entries and one notification; a second one is a 409 that adds nothing',
    async () => {
      await rampedToHalf(FLAG, RAMP);

      const report = await as('analyst')('GET', '/api/v1/safety/report');
      expect(report.status).toBe(200);
      expect(report.json.flags).toEqual([
        expect.objectContaining({
          flagKey: FLAG,
          rollout: expect.objectContaining({
            key: RAMP,
            status: 'ACTIVE',
            currentStage: 1,
            percentage: 5000,
          }),
          recentRollbacks: [],
        }),
      ]);

      expect((await as('other')('POST', `/api/v1/safety/rollback/${FLAG}`, { reason: 'x' })).status).toBe(
        403,
      );
      expect((await dev('POST', `/api/v1/safety/rollback/${FLAG}`, { reason: '' })).status).toBe(400);
      expect((await dev('POST', '/api/v1/safety/rollback/no-such-flag', { reason: 'x' })).status).toBe(404);

      const rolledBack = await dev('POST', `/api/v1/safety/rollback/${FLAG}`, {
        reason: 'checkout errors reported by support',
      });
      expect(rolledBack.status).toBe(201);
      const record = rolledBack.json as { id: string };
      expect(record).toMatchObject({
        flagKey: FLAG,
        trigger: 'manual',
        action: 'previous_stage',
        applied: 'rollout_previous_stage',
        reason: 'checkout errors reported by support',
        metricsSnapshot: null,
        previousState: { rollout: { key: RAMP, status: 'ACTIVE', currentStage: 1, percentage: 5000 } },
        resultingState: { flag: { enabled: true }, rollout: { status: 'ROLLED_BACK', percentage: 1000 } },
        byName: 'dev@example.com',
      });

      // The flag serves the previous stage's share again, and the schedule is ROLLED_BACK.
      const flag = await dev('GET', `/api/v1/feature-flags/${FLAG}`);
      expect(flag.json.fallthrough).toEqual({
        allocations: [
          { variation: 'on', weight: 1000 },
          { variation: 'off', weight: 9000 },
        ],
      });
      expect((await dev('GET', `/api/v1/rollout-schedules/${RAMP}`)).json).toMatchObject({
        status: 'ROLLED_BACK',
      });
      await eventually(
        '10 % reaches evaluation',
        async () => (await onShare(FLAG)) === 1000,
        scaledMs(PUBLISH_BUDGET_MS),
      );
      expectBinomialShare((await servedOn(FLAG)).size, UNITS.length, 1000);

      // Audited: the record, the rollout's rollback and the flag's change, all by the developer.
      const audit = async (kind: string, key: string) =>
        (
          (await admin('GET', `/api/v1/audit?resourceKind=${kind}&resourceKey=${key}`)).json.items as {
            action: string;
            actorName: string;
          }[]
        ).map((e) => `${e.action} ${e.actorName}`);
      expect(await audit('safetyRollback', record.id)).toEqual(['safetyRollback.create dev@example.com']);
      expect((await audit('rollout', RAMP))[0]).toBe('rollout.rollBack dev@example.com');
      expect((await audit('flag', FLAG))[0]).toBe('flag.rollout dev@example.com');

      // One notification in the outbox, with what SNS and EventBridge would have received.
      expect(outbox()).toEqual([
        expect.objectContaining({
          sns: expect.objectContaining({ subject: `Switchyard local: flag ${FLAG} rolled back (manual)` }),
          eventBridge: {
            source: 'switchyard',
            detailType: 'Safety Rollback',
            detail: { stage: 'local', recipients: ['oncall@example.com'], record },
          },
        }),
      ]);

      // Nothing left to roll back: 409, and nothing added anywhere.
      const again = await admin('POST', `/api/v1/safety/rollback/${FLAG}`, { reason: 'again' });
      expect(again.status).toBe(409);
      expect(again.json.message).toMatch(/nothing to roll back: rollout checkout-v2-ramp was rolled back/);
      expect(outbox()).toHaveLength(1);
      const list = await as('analyst')('GET', `/api/v1/safety/rollbacks?flagKey=${FLAG}`);
      expect(list.json).toMatchObject({ total: 1, items: [{ id: record.id }] });
      expect((await audit('flag', FLAG))[0]).toBe('flag.rollout dev@example.com');

      // Filters: time and flag.
      const future = new Date(Date.now() + 60_000).toISOString();
      expect((await admin('GET', `/api/v1/safety/rollbacks?from=${future}`)).json).toMatchObject({
        total: 0,
      });
      expect((await admin('GET', '/api/v1/safety/rollbacks?flagKey=another-flag')).json).toMatchObject({
        total: 0,
      });
      expect((await admin('GET', '/api/v1/safety/rollbacks?page_size=101')).status).toBe(400);

      // The report: the flag is no longer ramped (no per-flag enabled), its rollback is listed overall.
      const after = await admin('GET', '/api/v1/safety/report');
      expect(after.json.flags).toEqual([]);
      expect(after.json.recentRollbacks).toEqual([expect.objectContaining({ id: record.id })]);
    },
    scaledMs(120_000),
  );

  it(
    'a manual rollback of a flag whose config says `action: off`: the flag off, its off variation served to every unit, the rollout ROLLED_BACK at 0 %',
    async () => {
      const flagKey = 'banner-v2';
      const ramp = 'banner-v2-ramp';
      const flag = await dev('POST', '/api/v1/feature-flags', booleanFlag(flagKey, { name: 'New banner' }));
      expect(flag.status).toBe(201);
      const config = await dev('PUT', `/api/v1/safety/feature-flags/${flagKey}/config`, {
        action: 'off',
        version: 0,
      });
      expect(config.status).toBe(200);
      expect(config.json).toMatchObject({ action: 'off', effective: { action: 'off' } });
      await rampedToHalf(flagKey, ramp);
      // Half the units are served `on` before: the "nobody" below is the rollback's doing.
      expectBinomialShare((await servedOn(flagKey)).size, UNITS.length, 5000);

      const rolledBack = await dev('POST', `/api/v1/safety/rollback/${flagKey}`, {
        reason: 'the banner hides the checkout button',
      });
      expect(rolledBack.status).toBe(201);
      expect(rolledBack.json).toMatchObject({
        flagKey,
        trigger: 'manual',
        action: 'off',
        applied: 'flag_off_rollout_zero',
        previousState: {
          flag: { enabled: true },
          rollout: { key: ramp, status: 'ACTIVE', currentStage: 1, percentage: 5000 },
        },
        resultingState: { flag: { enabled: false }, rollout: { status: 'ROLLED_BACK', percentage: 0 } },
      });
      const schedule = await dev('GET', `/api/v1/rollout-schedules/${ramp}`);
      expect(schedule.json).toMatchObject({ status: 'ROLLED_BACK' });
      expect((schedule.json.history as { action: string; percentage: number }[]).at(-1)).toMatchObject({
        action: 'rollBack',
        percentage: 0,
      });
      expect((await dev('GET', `/api/v1/feature-flags/${flagKey}`)).json).toMatchObject({
        enabled: false,
        fallthrough: {
          allocations: [
            { variation: 'on', weight: 0 },
            { variation: 'off', weight: 10000 },
          ],
        },
      });

      await eventually(
        'the flag turned off reaches evaluation',
        async () => (await publishedFlag(platform.url, serverKey, flagKey))?.enabled === false,
        scaledMs(PUBLISH_BUDGET_MS),
      );
      const answers = await servedAnswers(platform.url, serverKey, flagKey, UNITS);
      expect(answers).toHaveLength(UNITS.length);
      const notOff = answers.filter(
        (a) => a.variation !== 'off' || a.value !== false || a.reason !== 'DISABLED',
      );
      expect(notOff).toEqual([]);
    },
    scaledMs(120_000),
  );
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { apiCaller, eventually } from '../support/http';
import { consoleTestPlatform, horizontalOverflow, screenshot, seriousViolations } from './console-browser';

/**
 * The console's screens beyond flags and results (console.test.ts has those): rollout schedules, experiments'
 * creation and lifecycle, API keys, users, the audit log, safety, metrics, layers and segments — each used as a
 * person would, checked with axe-core, and what each role sees. The platform's minute is 250 ms, so that the
 * rollout job (every 5 minutes) runs every 1.25 s and a ramp's `time` triggers are seen within seconds.
 */
const engines = requireEngines(['java', 'chromium']);

const NAV = {
  admin: [
    'Flags',
    'Rollouts',
    'Experiments',
    'Metrics',
    'Layers',
    'Segments',
    'Safety',
    'Audit log',
    'API keys',
    'Users',
  ],
  developer: ['Flags', 'Rollouts', 'Experiments', 'Metrics', 'Layers', 'Segments', 'Safety'],
  analyst: ['Flags', 'Rollouts', 'Experiments', 'Metrics', 'Layers', 'Segments', 'Safety', 'Audit log'],
  viewer: ['Flags', 'Rollouts', 'Experiments', 'Layers', 'Segments'],
} as const;

engines.describe('the web console’s resource screens in headless Chromium', () => {
  const consolePlatform = consoleTestPlatform({ msPerMinute: 250 }, async (admin) => {
    const created = await Promise.all([
      admin('POST', '/api/v1/metrics', {
        key: 'purchase',
        name: 'Purchase',
        type: 'conversion',
        eventName: 'purchase',
      }),
      admin('POST', '/api/v1/feature-flags', {
        key: 'dark-mode',
        name: 'Dark mode',
        kind: 'boolean',
        enabled: true,
        variations: [
          { key: 'off', value: false },
          { key: 'on', value: true },
        ],
        offVariation: 'off',
        fallthrough: { variation: 'off' },
      }),
    ]);
    expect(created.map((c) => c.status)).toEqual([201, 201]);
  });
  const { url, admin, analyst, server } = consolePlatform;
  const signIn = (role: keyof typeof NAV, options = {}): Promise<Page> =>
    consolePlatform.signIn(`${role}@switchyard.local`, role, options);
  const visit = async (page: Page, path: string, heading: string | RegExp) => {
    await page.goto(`${url()}${path}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  };

  it('shows each role the screens it may read, and only the controls it may use', async () => {
    for (const role of ['admin', 'developer', 'analyst', 'viewer'] as const) {
      const page = await signIn(role);
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(NAV[role]);

      await page.goto(`${url()}/experiments`);
      await page.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor();
      await page.getByText(/No experiment yet/).waitFor();
      const mayCreate = role === 'admin' || role === 'developer';
      expect(await page.getByRole('button', { name: 'Create experiment' }).count()).toBe(mayCreate ? 1 : 0);

      await page.goto(`${url()}/users`);
      await page.getByRole('heading', { name: /Users/, level: 1 }).waitFor();
      if (role === 'admin') {
        await page.getByRole('button', { name: 'Invite' }).waitFor();
      } else {
        await page.getByText(`Your role (${role}) may not see this screen.`).waitFor();
      }
      await page.context().close();
    }
  });

  it(
    'schedules a ramp for a flag, starts it, and shows its stage and share move on their own',
    async () => {
      const page = await signIn('admin');
      await page.getByRole('link', { name: 'Rollouts' }).click();
      await page.getByRole('heading', { name: 'Rollout schedules' }).waitFor();
      await page.getByText('No rollout schedule yet.').waitFor();
      const form = page.getByRole('form', { name: 'New rollout schedule' });
      await form.getByLabel('Flag').selectOption('dark-mode');
      await form.getByLabel('Variation to roll out').selectOption('on');
      await form.getByLabel('Schedule id (optional)').fill('dark-mode-ramp');
      const stages: [string, string][] = [
        ['10', 'PT0S'],
        ['50', 'PT3S'],
        ['100', 'PT6S'],
      ];
      for (const [i, [percent, after]] of stages.entries()) {
        const stage = form.getByRole('group', { name: `Stage ${i + 1}` });
        await stage.getByLabel('Share %').fill(percent);
        await stage.getByLabel('After', { exact: true }).fill(after);
      }
      expect(await seriousViolations(page)).toEqual([]);
      await form.getByRole('button', { name: 'Create schedule' }).click();

      await page.getByRole('heading', { name: 'Rollout dark-mode-ramp' }).waitFor();
      const status = page.getByTestId('rollout-status');
      const shareShown = page.getByTestId('rollout-share');
      expect(await status.textContent()).toBe('PENDING');
      expect(await shareShown.textContent()).toBe('0 %');
      await page.getByRole('button', { name: 'Start now' }).click();
      await page.getByRole('button', { name: 'Pause' }).waitFor();
      expect(await status.textContent()).toBe('ACTIVE');
      // The job enters 50 % three seconds after the start, 100 % six seconds later: the screen reads it again by
      // itself (no click).
      await expect(page.getByTestId('rollout-stage').textContent()).resolves.toMatch(/^[12] of 3$/);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'rollout');
      const timeline = page.getByRole('list', { name: 'Stages' });
      await page
        .getByTestId('rollout-share')
        .filter({ hasText: /^50 %$/ })
        .waitFor({ timeout: scaledMs(30_000) });
      expect(await timeline.locator('li[aria-current="step"]').textContent()).toMatch(/^50 % after PT3S/);
      await page
        .getByTestId('rollout-status')
        .filter({ hasText: 'COMPLETED' })
        .waitFor({ timeout: scaledMs(30_000) });
      expect(await shareShown.textContent()).toBe('100 %');
      const history = page.getByRole('table', { name: 'History' });
      expect(await history.locator('tbody tr').count()).toBe(3);

      const stored = (await admin('GET', '/api/v1/rollout-schedules/dark-mode-ramp')).json;
      expect(stored).toMatchObject({ status: 'COMPLETED', currentStage: 2 });
      expect((await admin('GET', '/api/v1/feature-flags/dark-mode')).json.fallthrough).toEqual({
        allocations: [
          { variation: 'on', weight: 10_000 },
          { variation: 'off', weight: 0 },
        ],
      });
      await page.context().close();
    },
    scaledMs(120_000),
  );

  it('shows an analyst a schedule without its controls, and the API refuses them anyway', async () => {
    expect(
      (
        await admin('POST', '/api/v1/rollout-schedules', {
          key: 'held-ramp',
          flagKey: 'dark-mode',
          variation: 'off',
          stages: [{ percentage: 10_000, trigger: { type: 'manual' } }],
        })
      ).status,
    ).toBe(201);
    const page = await signIn('analyst');
    await visit(page, '/rollouts', 'Rollout schedules');
    expect(await page.getByRole('form', { name: 'New rollout schedule' }).count()).toBe(0);
    await page.getByRole('link', { name: 'held-ramp' }).click();
    await page.getByTestId('rollout-status').filter({ hasText: 'PENDING' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out', 'Refresh']);
    expect(await seriousViolations(page)).toEqual([]);

    expect(
      (await analyst('POST', '/api/v1/rollout-schedules/held-ramp/advance', { version: 1 })).status,
    ).toBe(403);
    expect((await analyst('DELETE', '/api/v1/rollout-schedules/held-ramp?version=1')).status).toBe(403);
    await visit(page, '/experiments', 'Experiments');
    expect(await page.getByRole('form', { name: 'New experiment' }).count()).toBe(0);
    await page.context().close();
  });

  it(
    'creates and starts an experiment in the console; the results of the events sent show a chart and a verdict',
    async () => {
      const page = await signIn('admin');
      await page.getByRole('link', { name: 'Experiments' }).click();
      const form = page.getByRole('form', { name: 'New experiment' });
      await form.getByLabel('Key', { exact: true }).fill('ui-checkout');
      await form.getByLabel('Name', { exact: true }).fill('Checkout from the console');
      await form.getByLabel('Primary metric').selectOption('purchase');
      await expect(form.locator('output').textContent()).resolves.toBe('Total 100 %');
      expect(await seriousViolations(page)).toEqual([]);
      await form.getByRole('button', { name: 'Create experiment' }).click();
      await page.getByText('Created ui-checkout as a draft').waitFor();
      const row = page.getByRole('row', { name: /ui-checkout/ });
      await row.getByText('DRAFT').waitFor();

      await page.getByRole('button', { name: 'Start ui-checkout' }).click();
      const dialog = page.getByRole('dialog', { name: /Start ui-checkout\?/ });
      expect(await seriousViolations(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Start' }).click();
      await row.getByText('ACTIVE').waitFor();
      await page.getByRole('button', { name: 'Pause ui-checkout' }).waitFor();
      await screenshot(page, 'experiments');
      expect((await admin('GET', '/api/v1/experiments/ui-checkout')).json).toMatchObject({
        status: 'ACTIVE',
        primaryMetric: 'purchase',
        variants: [
          { key: 'control', weight: 5000, isControl: true },
          { key: 'treatment', weight: 5000, isControl: false },
        ],
      });

      // 600 units per arm: 15 % of control units buy, 40 % of treatment units.
      const at = new Date().toISOString();
      const events: object[] = [];
      for (let i = 0; i < 1200; i++) {
        const variant = i % 2 === 0 ? 'control' : 'treatment';
        const unitId = `ui-${i}`;
        const base = { eventId: randomUUID(), timestamp: at, unitId };
        events.push({ ...base, type: 'exposure', name: '$exposure', experimentKey: 'ui-checkout', variant });
        const buys = variant === 'control' ? i % 20 < 3 : i % 10 < 4;
        if (buys) events.push({ ...base, eventId: randomUUID(), type: 'track', name: 'purchase' });
      }
      for (let i = 0; i < events.length; i += 500) {
        const sent = await server('POST', '/api/v1/events', { events: events.slice(i, i + 500) });
        expect(sent.json.refused).toEqual([]);
      }
      const buyers = events.filter((e) => (e as { name: string }).name === 'purchase').length;
      const expected = await eventually(
        'the processor has counted every exposure and purchase',
        async () => {
          const r = (await analyst('GET', '/api/v1/experiments/ui-checkout/results')).json as {
            variants?: { units: number }[];
            metrics?: { variants: { conversions?: number }[] }[];
            verdict?: { status: string; message: string };
          };
          const units = (r.variants ?? []).reduce((sum, v) => sum + v.units, 0);
          const conversions = r.metrics?.[0]?.variants.reduce((sum, v) => sum + (v.conversions ?? 0), 0);
          return units === 1200 && conversions === buyers ? r : undefined;
        },
        scaledMs(120_000),
        1000,
      );

      await page.getByRole('link', { name: 'ui-checkout' }).click();
      const plot = page.getByTestId('forest-plot');
      await plot.waitFor();
      expect(await plot.locator('g.row').count()).toBe(1);
      expect(await page.getByTestId('verdict-message').textContent()).toBe(expected.verdict!.message);
      expect(await page.getByTestId('verdict-status').textContent()).toBe(
        expected.verdict!.status.replace(/_/g, ' ').toLowerCase(),
      );
      expect(await seriousViolations(page)).toEqual([]);
      await page.context().close();
    },
    scaledMs(240_000),
  );

  it('creates an API key, shows its secret once with a copy button, and revokes it', async () => {
    const page = await signIn('admin', { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('rowheader', { name: 'console-test' }).waitFor();
    const form = page.getByRole('form', { name: 'New API key' });
    await form.getByLabel('Name').fill('web-shop');
    await form.getByLabel('Type').selectOption('client');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('api-key-secret').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(secret);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'api-keys');
    // The secret works, and is shown nowhere once the screen is left.
    expect(
      (
        await apiCaller(url, () => secret)('POST', '/api/v1/evaluate', {
          context: { targetingKey: 'u1' },
        })
      ).status,
    ).toBe(200);
    await page.reload();
    await page.getByRole('rowheader', { name: 'web-shop' }).waitFor();
    expect(await page.getByTestId('api-key-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page.getByRole('button', { name: 'Revoke web-shop' }).click();
    await page
      .getByRole('dialog', { name: /Revoke web-shop\?/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page
      .getByRole('row', { name: /web-shop/ })
      .getByText(/^revoked/)
      .waitFor();
    const keys = (await admin('GET', '/api/v1/api-keys')).json.items as {
      name: string;
      revokedAt: unknown;
    }[];
    expect(keys.find((k) => k.name === 'web-shop')?.revokedAt).toEqual(expect.any(String));
    await page.context().close();
  });

  it('invites a user, changes their role and disables them (admin only)', async () => {
    const page = await signIn('admin');
    await page.getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'Invite a user' });
    await form.getByLabel('Email').fill('new-dev@switchyard.local');
    await form.getByLabel('Role').selectOption('developer');
    await form.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('Invited new-dev@switchyard.local as developer.').waitFor();
    await page.getByLabel('Role of new-dev@switchyard.local', { exact: true }).selectOption('analyst');
    await page.getByRole('button', { name: 'Set role of new-dev@switchyard.local' }).click();
    await page.getByText('new-dev@switchyard.local is now analyst.').waitFor();
    await page.getByRole('button', { name: 'Disable new-dev@switchyard.local' }).click();
    await page.getByRole('button', { name: 'Enable new-dev@switchyard.local' }).waitFor();
    // The API's own refusal, shown as its message: an admin cannot disable themselves.
    await page.getByRole('button', { name: 'Disable admin@switchyard.local' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/disable|themsel|own/i);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'users');

    const users = (await admin('GET', '/api/v1/users')).json.items as {
      email: string;
      role: string;
      enabled: boolean;
    }[];
    expect(users.find((u) => u.email === 'new-dev@switchyard.local')).toMatchObject({
      role: 'analyst',
      enabled: false,
    });
    expect(users.find((u) => u.email === 'admin@switchyard.local')).toMatchObject({ enabled: true });
    await page.context().close();
  });

  it('filters the audit log, shows an entry’s changes as a diff, and exports it as NDJSON', async () => {
    const page = await signIn('analyst');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: /entries/ }).waitFor();
    const filters = page.getByRole('search', { name: 'Filter the audit log' });
    await filters.getByLabel('Resource kind').selectOption('flag');
    await filters.getByLabel('Resource key').fill('dark-mode');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    const table = page.getByRole('table', { name: /entries/ });
    // The unfiltered entries stay on screen until the filtered page replaces them: wait until only the flag's show.
    // A function, not a string: the console's CSP (script-src 'self') refuses a string evaluated in the page.
    await page.waitForFunction(() => {
      const { document } = globalThis as unknown as {
        document: { querySelectorAll(selector: string): Iterable<{ textContent: string | null }> };
      };
      const cells = [...document.querySelectorAll('table tbody td:nth-child(4)')];
      return cells.length > 0 && cells.every((cell) => cell.textContent === 'flag dark-mode');
    });
    await table.getByRole('rowheader', { name: 'flag.create' }).waitFor();
    const actions = await table.getByRole('rowheader').allTextContents();
    expect(actions.filter((a) => a === 'flag.rollout')).toHaveLength(3);
    expect(new Set(await table.locator('tbody td:nth-child(4)').allTextContents())).toEqual(
      new Set(['flag dark-mode']),
    );

    // The newest rollout step: 50 % → 100 % of `on`.
    await table
      .getByRole('button', { name: /^Show changes of flag.rollout/ })
      .first()
      .click();
    const diff = page.getByRole('table', { name: /^Changes of flag.rollout on flag dark-mode/ });
    await diff.waitFor();
    const fields = await diff.getByRole('rowheader').allTextContents();
    expect(fields).toEqual(['fallthrough.allocations.0.weight', 'fallthrough.allocations.1.weight']);
    expect(fields).not.toContain('version');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'audit');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('switchyard-audit.ndjson');
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    const exported = lines.map((line) => JSON.parse(line) as { resourceKey: string; action: string });
    expect(exported).toHaveLength(actions.length);
    expect(new Set(exported.map((e) => e.resourceKey))).toEqual(new Set(['dark-mode']));
    await page.getByText(/^Downloaded switchyard-audit.ndjson/).waitFor();
    await page.context().close();
  });

  it('saves the safety settings, shows a monitored flag’s figures, and rolls it back with a snapshot', async () => {
    expect(
      (
        await admin('PUT', '/api/v1/safety/feature-flags/dark-mode/config', {
          enabled: true,
          action: 'off',
          version: 0,
        })
      ).status,
    ).toBe(200);
    const at = new Date().toISOString();
    const events = Array.from({ length: 40 }, (_, i) => ({
      eventId: randomUUID(),
      type: 'latency',
      name: 'page.render',
      unitId: `safe-${i}`,
      timestamp: at,
      value: 100 + i,
      flagKey: 'dark-mode',
      variation: 'on',
    }));
    expect((await server('POST', '/api/v1/events', { events })).json.refused).toEqual([]);

    const page = await signIn('admin');
    await page.getByRole('link', { name: 'Safety' }).click();
    const settings = page.getByRole('form', { name: 'Settings' });
    await settings.getByText('The defaults: never saved.').waitFor();
    await settings.getByLabel('Monitoring on').check();
    await settings.getByLabel('Requests before judging').fill('1000');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('Saved: version 1.').waitFor();
    expect((await admin('GET', '/api/v1/safety/settings')).json).toMatchObject({
      enabled: true,
      minSampleSize: 1000,
      version: 1,
    });

    // The monitored flag with the report's figures: 40 requests of `on`, none failed.
    const figures = page.getByRole('table', { name: 'Figures of dark-mode over the window' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await figures.getByRole('row', { name: /^on\b.* 40 0 0\.00 %/ }).waitFor({ timeout: scaledMs(30_000) });
    expect(await page.getByTestId('health-dark-mode').textContent()).toBe('healthy');

    await page.getByLabel('Reason for rolling back dark-mode').fill('Support reports broken contrast');
    await page.getByRole('button', { name: 'Roll back now' }).click();
    const rollbacks = page.getByRole('table', { name: 'Rollbacks, newest first' });
    const record = rollbacks.getByRole('row', { name: /Support reports broken contrast/ });
    await record.waitFor();
    await record.getByText('Before, after and figures').click();
    await record.getByText(/^After: flag off/).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'safety');
    expect((await admin('GET', '/api/v1/feature-flags/dark-mode')).json.enabled).toBe(false);

    const analystPage = await signIn('analyst');
    await visit(analystPage, '/safety', 'Safety');
    await analystPage.getByText('Read-only: only an admin changes them.').waitFor();
    expect(await analystPage.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    expect(await analystPage.getByRole('button', { name: 'Roll back now' }).count()).toBe(0);
    await page.context().close();
    await analystPage.context().close();
  });

  it('creates, edits (with a version conflict) and deletes metrics, layers and segments', async () => {
    const page = await signIn('developer');
    await page.getByRole('link', { name: 'Metrics' }).click();
    const form = page.getByRole('form', { name: 'New metric' });
    await form.getByLabel('Key', { exact: true }).fill('revenue');
    await form.getByLabel('Name', { exact: true }).fill('Revenue');
    await form.getByLabel('Type').selectOption('sum');
    await form.getByLabel('Event name').fill('purchase');
    await form.getByLabel(/^Value property/).fill('amount');
    await form.getByRole('button', { name: 'Create metric' }).click();
    await page.getByText('Saved revenue: version 1.').waitFor();
    await page.getByRole('rowheader', { name: 'revenue' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'metrics');

    // Someone else saves between the read and the save: "changed by someone else — reload".
    expect(
      (await admin('PATCH', '/api/v1/metrics/revenue', { description: 'Elsewhere', version: 1 })).status,
    ).toBe(200);
    const edit = page.getByRole('form', { name: 'Edit metric revenue' });
    await edit.getByLabel('Name', { exact: true }).fill('Revenue (EUR)');
    await edit.getByRole('button', { name: 'Save' }).click();
    const alert = edit.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('Changed by someone else — reload.');
    await alert.getByRole('button', { name: 'Reload' }).click();
    await edit.getByText('Version 2', { exact: true }).waitFor();
    expect(await edit.getByLabel('Description').inputValue()).toBe('Elsewhere');
    await edit.getByLabel('Name', { exact: true }).fill('Revenue (EUR)');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved revenue: version 3.').waitFor();
    expect((await admin('GET', '/api/v1/metrics/revenue')).json).toMatchObject({
      name: 'Revenue (EUR)',
      description: 'Elsewhere',
      valueProperty: 'amount',
    });

    await page.getByRole('link', { name: 'Layers' }).click();
    const layer = page.getByRole('form', { name: 'New layer' });
    await layer.getByLabel('Key', { exact: true }).fill('checkout-layer');
    await layer.getByLabel('Name', { exact: true }).fill('Checkout');
    await layer.getByRole('button', { name: 'Create layer' }).click();
    await page.getByRole('rowheader', { name: 'checkout-layer' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Delete checkout-layer' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No layer yet.').waitFor();

    await page.getByRole('link', { name: 'Segments' }).click();
    const segment = page.getByRole('form', { name: 'New segment' });
    await segment.getByLabel('Key', { exact: true }).fill('beta-testers');
    await segment.getByLabel('Name', { exact: true }).fill('Beta testers');
    await segment.getByLabel('Conditions (JSON, optional)').fill('{"attribute": "plan", "op": "in"');
    await segment.getByRole('button', { name: 'Create segment' }).click();
    await expect(segment.getByRole('alert').textContent()).resolves.toContain('Conditions: not JSON');
    await segment
      .getByLabel('Conditions (JSON, optional)')
      .fill('{"attribute": "plan", "op": "in", "values": ["beta"]}');
    await segment.getByLabel('Included unit ids (comma-separated)').fill('u1, u2');
    await segment.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('row', { name: /beta-testers Beta testers yes 2 0/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect((await admin('GET', '/api/v1/segments/beta-testers')).json).toMatchObject({
      conditions: { attribute: 'plan', op: 'in', values: ['beta'] },
      included: ['u1', 'u2'],
    });
    await page.context().close();
  });

  it('fits a phone’s width: no screen scrolls the page sideways (tables scroll inside their wrapper)', async () => {
    const page = await signIn('admin', { viewport: { width: 375, height: 800 } });
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'flags-phone');
    const screens: [string, string | RegExp][] = [
      ['/rollouts', 'Rollout schedules'],
      ['/rollouts/dark-mode-ramp', 'Rollout dark-mode-ramp'],
      ['/experiments', 'Experiments'],
      ['/metrics', 'Metrics'],
      ['/layers', 'Layers'],
      ['/segments', 'Segments'],
      ['/safety', 'Safety'],
      ['/audit', 'Audit log'],
      ['/api-keys', 'API keys'],
      ['/users', 'Users and roles'],
    ];
    for (const [path, heading] of screens) {
      await visit(page, path, heading);
      await page.getByRole('status').filter({ hasText: 'Loading…' }).first().waitFor({ state: 'detached' });
      expect({ path, overflow: await horizontalOverflow(page) }).toEqual({ path, overflow: 0 });
    }
    await page.context().close();
  });
});

import { randomUUID } from 'node:crypto';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { eventually, mapConcurrent, PUBLISH_BUDGET_MS } from '../support/http';
import { consoleTestPlatform, screenshot, seriousViolations } from './console-browser';

/**
 * The web console (console/) as a person uses it: built with Vite, served by the local platform's gateway at
 * `/` (same origin as the API), driven in headless Debian Chromium. Each screen is also checked with axe-core
 * for serious or critical accessibility violations. SWITCHYARD_CONSOLE_SCREENSHOTS=<dir> saves a screenshot of
 * each main screen there (docs/console/ holds the ones the README shows). The other screens are in
 * console-screens.test.ts.
 */
const engines = requireEngines(['java', 'chromium']);

engines.describe('the web console in headless Chromium, served by the local platform', () => {
  const { url, admin, analyst, server, signIn } = consoleTestPlatform({}, async (admin) => {
    expect(
      (
        await admin('POST', '/api/v1/metrics', {
          key: 'purchase',
          name: 'Purchase',
          type: 'conversion',
          eventName: 'purchase',
        })
      ).status,
    ).toBe(201);
  });

  const evaluate = async (key: string, context: Record<string, unknown>) => {
    const answer = await server('POST', '/api/v1/evaluate', { context, flags: [key] });
    expect(answer.status).toBe(200);
    return (answer.json.results as { value: unknown; variant?: string }[])[0]!;
  };

  it(
    'an admin signs in, creates a flag with a rule and a 30 % split, and /evaluate serves it',
    async () => {
      const page = await signIn('admin@switchyard.local', 'admin');
      expect(await seriousViolations(page)).toEqual([]);

      await page.getByRole('link', { name: 'New flag' }).click();
      await page.getByRole('heading', { name: 'New flag' }).waitFor();
      await page.getByLabel('Key', { exact: true }).fill('checkout-banner');
      await page.getByLabel('Name', { exact: true }).fill('Checkout banner');
      await page.getByLabel('Tags (comma-separated)').fill('checkout, web');
      await page.getByLabel('On', { exact: true }).check();
      await page.getByRole('button', { name: 'Add rule' }).click();
      const rule = page.getByRole('group', { name: 'Rule 1', exact: true });
      await rule.getByLabel('Attribute').fill('country');
      await rule.getByLabel('Operator').selectOption('in');
      await rule.getByLabel('Values (comma-separated)').fill('fr, be');
      await rule.getByLabel(/^Variation/).selectOption('on');
      const fallthrough = page.getByRole('group', { name: 'Default rule (no rule matches)' });
      await fallthrough.getByLabel('Percentage split').check();
      await fallthrough.getByLabel('% on').fill('30');
      await fallthrough.getByLabel('% off').fill('70');
      await expect(fallthrough.locator('output').textContent()).resolves.toBe('Total 100 %');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'flag-editor');

      await page.getByRole('button', { name: 'Create flag' }).click();
      await page.getByRole('heading', { name: 'Flag checkout-banner' }).waitFor();
      await page.getByText('Version 1,').waitFor();

      const stored = await admin('GET', '/api/v1/feature-flags/checkout-banner');
      expect(stored.json).toMatchObject({
        enabled: true,
        tags: ['checkout', 'web'],
        rules: [
          {
            id: 'rule-1',
            conditions: { attribute: 'country', op: 'in', values: ['fr', 'be'] },
            serve: { variation: 'on' },
          },
        ],
        fallthrough: {
          allocations: [
            { variation: 'off', weight: 7000 },
            { variation: 'on', weight: 3000 },
          ],
        },
      });

      await eventually(
        'the ruleset carries the flag',
        async () =>
          (await evaluate('checkout-banner', { targetingKey: 'probe', country: 'fr' })).value === true,
        scaledMs(PUBLISH_BUDGET_MS),
      );
      const units = Array.from({ length: 600 }, (_, i) => `unit-${i}`);
      const served = await mapConcurrent(
        units,
        8,
        async (unit) => (await evaluate('checkout-banner', { targetingKey: unit })).value,
      );
      const share = served.filter((v) => v === true).length / units.length;
      // 30 % of 600: the standard deviation is under 2 points, so 22–38 % is four of them.
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.38);

      await page.getByRole('link', { name: '← All flags' }).click();
      await page.getByRole('link', { name: 'checkout-banner' }).waitFor();
      await screenshot(page, 'flags');
    },
    scaledMs(180_000),
  );

  it('turns a flag off after confirmation, and says "changed by someone else" on a stale save', async () => {
    const page = await signIn('admin@switchyard.local', 'admin');
    await page.getByRole('button', { name: 'Turn checkout-banner off' }).click();
    const dialog = page.getByRole('dialog', { name: /Turn checkout-banner off\?/ });
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('button', { name: 'Turn checkout-banner on' }).waitFor();
    expect((await admin('GET', '/api/v1/feature-flags/checkout-banner')).json).toMatchObject({
      enabled: false,
      version: 2,
    });

    await page.getByRole('link', { name: 'checkout-banner' }).click();
    await page.getByText('Version 2,').waitFor();
    // Someone else saves in between.
    const elsewhere = await admin('PATCH', '/api/v1/feature-flags/checkout-banner', {
      description: 'Edited elsewhere',
      version: 2,
    });
    expect(elsewhere.status).toBe(200);
    await page.getByLabel('Name', { exact: true }).fill('Checkout banner (renamed)');
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('Changed by someone else — reload.');
    await alert.getByRole('button', { name: 'Reload' }).click();
    await page.getByText('Version 3,').waitFor();
    expect(await page.getByLabel('Description').inputValue()).toBe('Edited elsewhere');
    expect((await admin('GET', '/api/v1/feature-flags/checkout-banner')).json.name).toBe('Checkout banner');
  });

  it('shows an analyst no edit control, and the API refuses the writes anyway', async () => {
    const page = await signIn('analyst@switchyard.local', 'analyst');
    await page.getByRole('link', { name: 'checkout-banner' }).waitFor();
    expect(await page.getByRole('link', { name: 'New flag' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Turn / }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'checkout-banner' }).click();
    await page.getByText('read-only for your role').waitFor();
    // Nothing to press but signing out: no save, no add or remove.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(await page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    const created = await analyst('POST', '/api/v1/feature-flags', {
      key: 'analyst-flag',
      name: 'x',
      kind: 'boolean',
      variations: [
        { key: 'off', value: false },
        { key: 'on', value: true },
      ],
      offVariation: 'off',
      fallthrough: { variation: 'off' },
    });
    expect(created.status).toBe(403);
    const toggled = await analyst('POST', '/api/v1/feature-flags/checkout-banner/toggle', { version: 3 });
    expect(toggled.status).toBe(403);
  });

  it(
    'shows an experiment’s results: the forest plot, the verdict with its message, and the SRM warning',
    async () => {
      const variants = [
        { key: 'control', name: 'Control', weight: 5000, isControl: true },
        { key: 'treatment', name: 'Treatment', weight: 5000 },
      ];
      for (const key of ['new-checkout', 'skewed']) {
        expect(
          (
            await admin('POST', '/api/v1/experiments', {
              key,
              name: key,
              variants,
              primaryMetric: 'purchase',
            })
          ).status,
        ).toBe(201);
        expect((await admin('POST', `/api/v1/experiments/${key}/start`, { version: 1 })).status).toBe(200);
      }
      const at = new Date().toISOString();
      const event = (fields: Record<string, unknown>) => ({
        eventId: randomUUID(),
        timestamp: at,
        ...fields,
      });
      // new-checkout: 1 000 units per arm, 20 % of control units buy and 40 % of treatment units.
      // skewed: 900 control units for 1 100 treatment units on a 50/50 split, a sample ratio mismatch.
      const events: object[] = [];
      for (let i = 0; i < 2000; i++) {
        const variant = i % 2 === 0 ? 'control' : 'treatment';
        const unitId = `nc-${i}`;
        events.push(
          event({ type: 'exposure', name: '$exposure', unitId, experimentKey: 'new-checkout', variant }),
        );
        const buys = variant === 'control' ? i % 10 < 2 : i % 10 < 6 && i % 10 >= 3;
        if (buys) events.push(event({ type: 'track', name: 'purchase', unitId }));
        events.push(
          event({
            type: 'exposure',
            name: '$exposure',
            unitId: `sk-${i}`,
            experimentKey: 'skewed',
            variant: i < 900 ? 'control' : 'treatment',
          }),
        );
      }
      for (let i = 0; i < events.length; i += 500) {
        const sent = await server('POST', '/api/v1/events', { events: events.slice(i, i + 500) });
        expect(sent.status).toBe(200);
        expect(sent.json.refused).toEqual([]);
      }
      const buyers = events.filter((e) => (e as { name: string }).name === 'purchase').length;
      await eventually(
        'the processor has counted every exposure and purchase',
        async () => {
          const [a, b] = await Promise.all(
            ['new-checkout', 'skewed'].map(
              async (key) => (await analyst('GET', `/api/v1/experiments/${key}/results`)).json,
            ),
          );
          const units = (r: Record<string, unknown> | undefined) =>
            ((r?.variants ?? []) as { units: number }[]).reduce((sum, v) => sum + v.units, 0);
          const conversions = (
            (a?.metrics ?? []) as { variants: { conversions?: number }[] }[]
          )[0]?.variants.reduce((sum, v) => sum + (v.conversions ?? 0), 0);
          return units(a) === 2000 && units(b) === 2000 && conversions === buyers;
        },
        scaledMs(120_000),
        1000,
      );
      const expected = (await analyst('GET', '/api/v1/experiments/new-checkout/results')).json as {
        verdict: { status: string; message: string };
        metrics: { comparisons: { outcome: string }[] }[];
      };

      const page = await signIn('analyst@switchyard.local', 'analyst');
      await page.getByRole('link', { name: 'Experiments' }).click();
      await page.getByRole('link', { name: 'new-checkout' }).click();
      const plot = page.getByTestId('forest-plot');
      await plot.waitFor();
      expect(await plot.locator('g.row').count()).toBe(1);
      expect(await plot.locator('g.row').getAttribute('data-outcome')).toBe(
        expected.metrics[0]!.comparisons[0]!.outcome,
      );
      expect(await plot.locator('line.ci').count()).toBe(1);
      expect(await plot.getAttribute('aria-label')).toMatch(/Purchase · treatment: \+[\d.]+ %, interval/);
      expect(await page.getByTestId('verdict-message').textContent()).toBe(expected.verdict.message);
      expect(await page.getByTestId('verdict-status').textContent()).toBe(
        expected.verdict.status.replace(/_/g, ' ').toLowerCase(),
      );
      expect(await page.getByTestId('srm-warning').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'experiment-results');

      await page.goto(`${url()}/experiments/skewed`);
      await page.getByTestId('srm-warning').waitFor();
      expect(await page.getByTestId('verdict-status').textContent()).toBe('sample ratio mismatch');
      expect(await seriousViolations(page)).toEqual([]);
    },
    scaledMs(300_000),
  );
});

import { ProviderStatus, type Client, type EvaluationDetails, type FlagValue } from '@openfeature/web-sdk';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { startStaticPageServer, type StaticPageServer } from '../../examples/static-page/serve';
import { scaledMs } from '../../local/timing';
import { CHROMIUM_PATH, requireEngines } from '../support/engines';
import { eventually, request } from '../support/http';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The web provider as a site runs it: the example page (examples/static-page) served from its own origin, in
 * headless Debian Chromium, against the local platform on another origin — so CORS decides what the page's
 * scripts may read, ETag included. Every OFREP request the page makes is observed through playwright.
 */
const engines = requireEngines(['java', 'chromium']);

const POLL_MS = 400;
const OFREP_BULK = '/ofrep/v1/evaluate/flags';

/** What the example page keeps on `window` for the console. */
interface PageGlobals {
  switchyard?: {
    client: Client;
    events: { type: string; flagsChanged?: string[]; message?: string }[];
  };
}

interface Exchange {
  readonly ifNoneMatch: string | undefined;
  readonly status: number;
  readonly etag: string | undefined;
}

engines.describe('the OpenFeature web provider in headless Chromium, on a page of another origin', () => {
  let platform: TestPlatform;
  let admin: string;
  let serverKey: string;
  let site: StaticPageServer;
  let browser: Browser;
  let page: Page;
  /** Every OFREP bulk request the page made and its answer, in order. */
  const exchanges: Exchange[] = [];
  let firstRequest: Request | undefined;

  const asAdmin = (method: string, path: string, body?: unknown) =>
    request(platform.url, method, path, { credential: admin, body });
  const flag = (key: string, kind: string, values: [string, FlagValue][], serve: string, clientSide = true) =>
    asAdmin('POST', '/api/v1/feature-flags', {
      key,
      name: key,
      kind,
      variations: values.map(([variation, value]) => ({ key: variation, value })),
      enabled: true,
      clientSide,
      offVariation: values[0]![0],
      fallthrough: { variation: serve },
    });
  /** What the server serves a server key for `key` now (to know a change is published). */
  const served = async (key: string) => {
    const answer = await request(platform.url, 'POST', '/api/v1/evaluate', {
      credential: serverKey,
      body: { context: { targetingKey: 'probe' }, flags: [key] },
    });
    return (answer.json.results as { value: unknown }[])[0]?.value;
  };
  const pageEvents = (type: string) =>
    page.evaluate((t) => (globalThis as PageGlobals).switchyard!.events.filter((e) => e.type === t), type);
  /** Waits for `count` more bulk answers than there are now, and returns them. */
  const nextPolls = async (count: number) => {
    const from = exchanges.length;
    await eventually(`${count} more polls`, async () => exchanges.length >= from + count, scaledMs(15_000));
    return exchanges.slice(from, from + count);
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    const key = async (type: string) =>
      (await asAdmin('POST', '/api/v1/api-keys', { name: `browser-${type}`, type })).json.secret as string;
    const clientKey = await key('client');
    serverKey = await key('server');
    const created = await Promise.all([
      flag(
        'show-banner',
        'boolean',
        [
          ['off', false],
          ['on', true],
        ],
        'on',
      ),
      flag(
        'headline',
        'string',
        [
          ['classic', 'Welcome'],
          ['bold', 'Welcome back!'],
        ],
        'classic',
      ),
      flag(
        'max-items',
        'number',
        [
          ['few', 3],
          ['many', 10],
        ],
        'many',
      ),
      flag(
        'server-only',
        'boolean',
        [
          ['off', false],
          ['on', true],
        ],
        'on',
        false,
      ),
    ]);
    expect(created.map((c) => c.status)).toEqual([201, 201, 201, 201]);
    await eventually(
      'the ruleset carries the flags',
      async () => (await served('server-only')) === true,
      scaledMs(15_000),
    );

    site = await startStaticPageServer();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
    page = await browser.newPage();
    page.on('response', (response) => {
      const sent = response.request();
      if (sent.method() !== 'POST' || new URL(sent.url()).pathname !== OFREP_BULK) return;
      firstRequest ??= sent;
      exchanges.push({
        ifNoneMatch: sent.headers()['if-none-match'],
        status: response.status(),
        etag: response.headers()['etag'],
      });
    });
    const query = new URLSearchParams({ api: platform.url, key: clientKey, poll: String(POLL_MS) });
    await page.goto(`${site.url}/?${query.toString()}`);
    // Runs in the page: values travel as arguments, not through this module's imports.
    await page.waitForFunction(
      (ready: ProviderStatus) => (globalThis as PageGlobals).switchyard?.client.providerStatus === ready,
      ProviderStatus.READY,
      { timeout: scaledMs(15_000) },
    );
  }, scaledMs(120_000));

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('resolves the client-side flags, and the rest to defaults with the reason', async () => {
    expect(new URL(site.url).origin).not.toBe(new URL(platform.url).origin);
    expect(await firstRequest!.headerValue('origin')).toBe(site.url);
    expect(exchanges[0]).toMatchObject({ status: 200, ifNoneMatch: undefined });
    const resolved = await page.evaluate(() => {
      const { client } = (globalThis as PageGlobals).switchyard!;
      return {
        banner: client.getBooleanDetails('show-banner', false),
        headline: client.getStringDetails('headline', 'default'),
        maxItems: client.getNumberDetails('max-items', 1),
        unknown: client.getBooleanDetails('no-such-flag', true),
        serverOnly: client.getBooleanDetails('server-only', false),
        mismatch: client.getNumberDetails('headline', 7),
      };
    });
    const served = (details: EvaluationDetails<FlagValue>) => [
      details.value,
      details.variant,
      details.errorCode,
    ];
    expect(served(resolved.banner)).toEqual([true, 'on', undefined]);
    expect(served(resolved.headline)).toEqual(['Welcome', 'classic', undefined]);
    expect(served(resolved.maxItems)).toEqual([10, 'many', undefined]);
    expect(resolved.unknown).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    // A client key cannot see a server-side flag: to the page it does not exist.
    expect(resolved.serverOnly).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(resolved.mismatch).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    // The page renders them too.
    expect(await page.textContent('#flags')).toContain('"Welcome"');
  });

  it('revalidates idle polls with If-None-Match and gets 304, raising no event', async () => {
    const etag = exchanges[0]?.etag;
    expect(etag).toBeDefined();
    const polls = await nextPolls(3);
    expect(polls).toEqual(polls.map(() => ({ ifNoneMatch: etag, status: 304, etag })));
    expect(await pageEvents('ConfigurationChanged')).toEqual([]);
  });

  it('raises one ConfigurationChanged naming only the flag that changed', async () => {
    const patched = await asAdmin('PATCH', '/api/v1/feature-flags/headline', {
      fallthrough: { variation: 'bold' },
      version: 1,
    });
    expect(patched.status).toBe(200);
    await eventually(
      'the page hears of the change',
      async () => (await pageEvents('ConfigurationChanged')).length > 0,
      scaledMs(15_000),
    );
    const changedAt = exchanges.findLastIndex((e) => e.status === 200);
    const newEtag = exchanges[changedAt]!.etag;
    expect(newEtag).not.toBe(exchanges[0]!.etag);
    // Quiet again: further polls revalidate the new answer, and the one change stays one event.
    expect(await nextPolls(3)).toEqual(
      [1, 2, 3].map((): unknown => expect.objectContaining({ ifNoneMatch: newEtag, status: 304 })),
    );
    const events = await pageEvents('ConfigurationChanged');
    expect(events).toEqual([expect.objectContaining({ flagsChanged: ['headline'] })]);
    const headline = await page.evaluate(() =>
      (globalThis as PageGlobals).switchyard!.client.getStringDetails('headline', 'default'),
    );
    expect([headline.value, headline.variant]).toEqual(['Welcome back!', 'bold']);
  });

  it('names no flag when a definition changes but the page’s answers do not', async () => {
    const before = (await pageEvents('ConfigurationChanged')).length;
    const from = exchanges.length;
    // A rule for staff only: the page's visitor (no email) is still served the fallthrough.
    const patched = await asAdmin('PATCH', '/api/v1/feature-flags/max-items', {
      rules: [
        {
          id: 'staff',
          conditions: { attribute: 'email', op: 'ends_with', values: ['@staff.example'] },
          serve: { variation: 'few' },
        },
      ],
      version: 1,
    });
    expect(patched.status).toBe(200);
    await eventually(
      'the rule is published',
      async () => {
        const answer = await request(platform.url, 'POST', '/api/v1/evaluate', {
          credential: serverKey,
          body: { context: { targetingKey: 'probe', email: 'a@staff.example' }, flags: ['max-items'] },
        });
        return (answer.json.results as { value: unknown }[])[0]?.value === 3;
      },
      scaledMs(15_000),
    );
    await nextPolls(3);
    // The page did get a new answer (the flag's identity in its metadata moved), and still hears of nothing.
    expect(exchanges.slice(from).map((e) => e.status)).toContain(200);
    expect(await pageEvents('ConfigurationChanged')).toHaveLength(before);
    const maxItems = await page.evaluate(() =>
      (globalThis as PageGlobals).switchyard!.client.getNumberDetails('max-items', 1),
    );
    expect([maxItems.value, maxItems.variant]).toEqual([10, 'many']);
  });

  it('tells the page nothing when a flag its key cannot see changes', async () => {
    const before = (await pageEvents('ConfigurationChanged')).length;
    const from = exchanges.length;
    const etag = exchanges.at(-1)!.etag;
    const toggled = await asAdmin('POST', '/api/v1/feature-flags/server-only/toggle', {
      enabled: false,
      version: 1,
    });
    expect(toggled.status).toBe(200);
    await eventually(
      'the change is published',
      async () => (await served('server-only')) === false,
      scaledMs(15_000),
    );
    await nextPolls(3);
    // The provider compares values and variants, so no event whatever the server says…
    expect(await pageEvents('ConfigurationChanged')).toHaveLength(before);
    // …and the server does not even say that something changed: what this key sees is what it saw.
    const polls = exchanges.slice(from);
    expect(polls).toEqual(polls.map(() => ({ ifNoneMatch: etag, status: 304, etag })));
  });
});

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { scaledMs } from '../../local/timing';
import { buildConsole } from '../support/console-build';
import { CHROMIUM_PATH } from '../support/engines';
import { apiCaller, type ApiCall } from '../support/http';
import { startTestPlatform, type TestPlatform, type TestPlatformOptions } from '../support/platform';

/**
 * What the console's browser tests share: the platform and Chromium they drive, building the console as the
 * sources say now, signing in through its sign-in screen, axe-core's serious violations, the phone-width check
 * and the screenshots that SWITCHYARD_CONSOLE_SCREENSHOTS=<dir> asks for (docs/console/ holds the ones the
 * README shows).
 */
const SCREENSHOTS = process.env.SWITCHYARD_CONSOLE_SCREENSHOTS;
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (injected through the debugging protocol, which the console's CSP does not govern). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** How far the page itself scrolls sideways (0 when it fits; a table may still scroll inside its wrapper). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: Record<string, number> } }).document
      .documentElement;
    return (root.scrollWidth ?? 0) - (root.clientWidth ?? 0);
  });
}

/** A new browser context (its own sessionStorage) signed in through the console's sign-in screen. */
async function signIn(
  browser: Browser,
  baseUrl: string,
  email: string,
  role: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(scaledMs(15_000));
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role for a new user').selectOption(role);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Feature flags' }).waitFor();
  return page;
}

/**
 * The platform and Chromium a describe block of console tests drives, started in its `beforeAll` (the console
 * built, an admin and an analyst signed in to the API, a server key, then `seed` with the admin's caller) and
 * stopped in its `afterAll`. Call it in the describe block.
 */
export function consoleTestPlatform(options: TestPlatformOptions, seed: (admin: ApiCall) => Promise<void>) {
  let platform: TestPlatform | undefined;
  let browser: Browser | undefined;
  let adminToken = '';
  let analystToken = '';
  let serverKey = '';
  const url = (): string => {
    if (platform === undefined) throw new Error('the platform has not started');
    return platform.url;
  };
  const admin = apiCaller(url, () => adminToken);

  beforeAll(async () => {
    buildConsole();
    platform = await startTestPlatform(options);
    adminToken = (await platform.identity.signIn({ role: 'admin', email: 'admin@switchyard.local' })).token;
    analystToken = (await platform.identity.signIn({ role: 'analyst', email: 'analyst@switchyard.local' }))
      .token;
    serverKey = (await admin('POST', '/api/v1/api-keys', { name: 'console-test', type: 'server' })).json
      .secret as string;
    await seed(admin);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
  }, scaledMs(120_000));

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  return {
    url,
    admin,
    analyst: apiCaller(url, () => analystToken),
    server: apiCaller(url, () => serverKey),
    /** A new browser context signed in as `email` with `role` (see `signIn`). */
    signIn: (email: string, role: string, contextOptions: BrowserContextOptions = {}): Promise<Page> => {
      if (browser === undefined) throw new Error('Chromium has not started');
      return signIn(browser, url(), email, role, contextOptions);
    },
  };
}

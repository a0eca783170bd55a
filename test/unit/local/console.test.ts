import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConsolePath, serveConsole } from '../../../local/console';

/** What serveConsole wrote: status, headers and body. */
function recorder() {
  const sent = { status: 0, headers: {} as Record<string, unknown>, body: '' };
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) {
      sent.status = status;
      sent.headers = headers;
    },
    end(body?: Buffer | string) {
      sent.body = body === undefined ? '' : body.toString();
    },
  } as unknown as ServerResponse;
  return { res, sent };
}

describe('the console on the local gateway', () => {
  const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');

  it('leaves the API paths to the gateway', () => {
    expect(isConsolePath('GET', '/')).toBe(true);
    expect(isConsolePath('GET', '/flags/checkout')).toBe(true);
    expect(isConsolePath('GET', '/api/v1/feature-flags')).toBe(false);
    expect(isConsolePath('GET', '/ofrep/v1/evaluate/flags')).toBe(false);
    expect(isConsolePath('GET', '/health')).toBe(false);
    expect(isConsolePath('POST', '/flags')).toBe(false);
  });

  it('serves hashed assets for a year, and index.html (never cached) for the app’s own paths', async () => {
    const asset = recorder();
    await serveConsole('/assets/index-abc.js', 'GET', asset.res, dist);
    expect(asset.sent).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(asset.sent.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.sent.headers['content-type']).toBe('text/javascript; charset=utf-8');

    const page = recorder();
    await serveConsole('/flags/checkout', 'GET', page.res, dist);
    expect(page.sent).toMatchObject({ status: 200, body: '<!doctype html><title>console</title>' });
    expect(page.sent.headers).toMatchObject({
      'cache-control': 'no-cache',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    });
    expect(page.sent.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('never serves a file outside the build', async () => {
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../secret']) {
      const answer = recorder();
      await serveConsole(path, 'GET', answer.res, dist);
      expect(answer.sent.body).toBe('<!doctype html><title>console</title>');
    }
  });

  it('says how to build the console when there is no build', async () => {
    const answer = recorder();
    await serveConsole('/', 'GET', answer.res, join(dist, 'missing'));
    expect(answer.sent.status).toBe(503);
    expect(answer.sent.body).toContain('npm run build:console');
  });
});

import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { scaledMs } from '../../local/timing';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { createDocumentClient } from '../../shared/aws/clients';
import { requireEngines } from '../support/engines';
import { httpCaller } from '../support/http';

const engines = requireEngines(['java']);

/**
 * API keys over HTTP on the local platform. Using a key on an SDK route end to end (and a revoked key being
 * refused after the authorizer cache TTL) belongs to the evaluation API's tests: no SDK route exists yet.
 * test/integration/api-keys.test.ts drives the real authorizer through the gateway on a stand-in route.
 */
engines.describe('API keys over HTTP', () => {
  let platform: TestPlatform;
  let admin: string;
  let developer: string;
  let analyst: string;

  const call = httpCaller(() => platform.url);
  const scan = async (table: 'apiKeys' | 'audit') => {
    const doc = createDocumentClient();
    const items = (await doc.send(new ScanCommand({ TableName: platform.tableNames[table] }))).Items ?? [];
    doc.destroy();
    return items;
  };

  beforeAll(async () => {
    platform = await startTestPlatform({
      authorizerCacheSeconds: 1,
    });
    admin = (await platform.identity.signIn({ role: 'admin', email: 'admin@example.com' })).token;
    developer = (await platform.identity.signIn({ role: 'developer' })).token;
    analyst = (await platform.identity.signIn({ role: 'analyst' })).token;
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it('an admin creates a server key: the secret is answered once, then never listed nor stored', async () => {
    const created = await call('POST', '/api/v1/api-keys', admin, {
      name: 'Checkout backend',
      type: 'server',
    });
    expect(created.status).toBe(201);
    const me = (await call('GET', '/api/v1/users/me', admin)).json;
    const secret = created.json.secret as string;
    expect(secret).toMatch(/^sy_server_[A-Za-z0-9_-]{32}$/);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: 'Checkout backend',
      type: 'server',
      prefix: secret.slice(0, 16),
      createdBy: me.sub,
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      secret,
    });

    const listed = await call('GET', '/api/v1/api-keys', admin);
    expect(listed.status).toBe(200);
    const { secret: _secret, ...view } = created.json;
    expect(listed.json.items).toEqual([view]);
    expect(listed.text).not.toContain(secret.slice(16));
    const stored = JSON.stringify([...(await scan('apiKeys')), ...(await scan('audit'))]);
    expect(stored).not.toContain(secret.slice(16));
    expect(stored).toContain('apiKey.create');
  });

  it('lists newest first with type and revoked filters, and paginates', async () => {
    const client = (await call('POST', '/api/v1/api-keys', admin, { name: 'Web', type: 'client' })).json;
    const old = (await call('POST', '/api/v1/api-keys', admin, { name: 'Old', type: 'server' })).json;
    expect((await call('DELETE', `/api/v1/api-keys/${old.id as string}`, admin)).status).toBe(200);
    const names = async (query: string) =>
      ((await call('GET', `/api/v1/api-keys${query}`, admin)).json.items as { name: string }[]).map(
        (k) => k.name,
      );
    expect(await names('')).toEqual(['Old', 'Web', 'Checkout backend']);
    expect(await names('?type=client')).toEqual(['Web']);
    expect(await names('?revoked=true')).toEqual(['Old']);
    expect(await names('?revoked=false&type=server')).toEqual(['Checkout backend']);
    const page = (await call('GET', '/api/v1/api-keys?page=2&page_size=2', admin)).json;
    expect(page).toMatchObject({ total: 3, page: 2, page_size: 2, total_pages: 2 });
    expect(client.secret).toMatch(/^sy_client_/);
  });

  it('revokes: 200 with the key and revokedAt, again 200 with the same key, 404 for an unknown id', async () => {
    const key = (await call('POST', '/api/v1/api-keys', admin, { name: 'Temp', type: 'server' })).json;
    const first = await call('DELETE', `/api/v1/api-keys/${key.id as string}`, admin);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id: key.id, name: 'Temp', revokedAt: expect.any(String) });
    expect(first.json).not.toHaveProperty('secret');
    const again = await call('DELETE', `/api/v1/api-keys/${key.id as string}`, admin);
    expect(again).toMatchObject({ status: 200, json: first.json });
    const entries = (await scan('audit'))
      .filter((e) => e.resourceKey === key.id)
      .map((e) => String(e.action));
    expect(entries.sort()).toEqual(['apiKey.create', 'apiKey.revoke']);
    const unknown = await call('DELETE', '/api/v1/api-keys/0195a3c4-0000-7000-8000-00000000dead', admin);
    expect(unknown).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect((await call('DELETE', '/api/v1/api-keys/not-a-uuid', admin)).status).toBe(400);
  });

  it('says which field is wrong', async () => {
    for (const [body, field] of [
      [{ name: '', type: 'server' }, 'body.name'],
      [{ name: 'x'.repeat(101), type: 'server' }, 'body.name'],
      [{ name: 'ok', type: 'admin' }, 'body.type'],
      [{ name: 'ok', type: 'server', secret: 'sy_server_mine' }, 'body'],
    ] as const) {
      const res = await call('POST', '/api/v1/api-keys', admin, body);
      expect(res.status).toBe(400);
      expect(String(res.json.message)).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
    }
    expect((await call('GET', '/api/v1/api-keys?type=admin', admin)).status).toBe(400);
  });

  it('is for admins only: 403 for developers and analysts, 401 without a token', async () => {
    for (const token of [developer, analyst]) {
      expect((await call('GET', '/api/v1/api-keys', token)).status).toBe(403);
      expect((await call('POST', '/api/v1/api-keys', token, { name: 'x', type: 'server' })).status).toBe(403);
    }
    const listed = (await call('GET', '/api/v1/api-keys', admin)).json.items as { id: string }[];
    const res = await call('DELETE', `/api/v1/api-keys/${listed[0]!.id}`, developer);
    expect(res).toMatchObject({
      status: 403,
      json: { message: 'Role developer may not delete or read apiKeys' },
    });
    expect((await call('GET', '/api/v1/api-keys', undefined)).status).toBe(401);
  });

  it('does not take an API key for a management route', async () => {
    const { secret } = (await call('POST', '/api/v1/api-keys', admin, { name: 'Nope', type: 'server' })).json;
    expect((await call('GET', '/api/v1/api-keys', secret as string)).status).toBe(401);
  });
});

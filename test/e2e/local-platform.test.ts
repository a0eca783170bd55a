import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalIdentity } from '../../local/identity';
import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);
const ROOT = resolve(__dirname, '../..');

/**
 * Start `npm start`'s program exactly as `npm start` does (`node --import tsx`: one process, so Ctrl-C reaches
 * its own handler; tsx's CLI would relay it to a child and kill that child if it had not answered within 30 ms,
 * exit code 130 on a busy machine), on a free port, and wait for its banner.
 */
async function startCli(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bin/local.ts',
      '--port',
      '0',
      // On disk, in a directory of its own: the tests mint their own tokens with the key it keeps there
      // (memory-platform.test.ts covers --memory).
      '--data',
      dataDir,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolvePromise, reject) => {
    const limit = scaledMs(30_000);
    const timer = setTimeout(() => reject(new Error(`no banner within ${limit} ms:\n${output}`)), limit);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

engines.describe('the local platform over HTTP (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-e2e-'));
  let cli: Awaited<ReturnType<typeof startCli>>;
  let identity: LocalIdentity;

  beforeAll(async () => {
    cli = await startCli(dataDir);
    identity = new LocalIdentity(join(dataDir, 'identity'));
  }, scaledMs(45_000));

  afterAll(async () => {
    // Normally the last test has stopped it; if not (a failure, a filtered run), stop it cleanly so that its
    // DynamoDB Local child goes with it, and kill it only if that hangs.
    const child = cli?.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });

  const get = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${cli.url}${path}`, {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
    });

  it('answers GET /health without credentials', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', service: 'switchyard', stage: 'local' });
  });

  it('refuses a management route without a token: 401 UNAUTHORIZED', async () => {
    const res = await get('/api/v1/users/me');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.any(String),
      requestId: expect.any(String),
    });
  });

  it('answers /users/me to a viewer with the caller’s role', async () => {
    const res = await get(
      '/api/v1/users/me',
      identity.mint({ role: 'viewer', sub: 'viewer-1', email: 'v@example.com' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: 'viewer-1',
      username: 'v@example.com',
      email: 'v@example.com',
      role: 'viewer',
      groups: ['viewer'],
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers /users/me to a user in no group with role null, and the strongest role of several', async () => {
    const none = await get('/api/v1/users/me', identity.mint({ groups: [] }));
    expect(((await none.json()) as { role: unknown }).role).toBeNull();
    const both = await get('/api/v1/users/me', identity.mint({ groups: ['viewer', 'admin'] }));
    expect(((await both.json()) as { role: unknown }).role).toBe('admin');
  });

  it.each([
    ['expired', { role: 'admin' as const, now: new Date(Date.now() - 7200_000), expiresInSeconds: 60 }],
    [
      'of another pool',
      { role: 'admin' as const, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' },
    ],
  ])('refuses a token that is %s with 401', async (_label, request) => {
    const res = await get('/api/v1/users/me', identity.mint(request));
    expect(res.status).toBe(401);
  });

  it('answers malformed JSON with 400 VALIDATION_ERROR', async () => {
    // No route of this issue takes a body, and fetch cannot send one with GET: a raw request does.
    const malformed = '{"oops":';
    const raw = await new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
      const req = httpRequest(`${cli.url}/api/v1/users/me`, {
        method: 'GET',
        headers: {
          Authorization: `Bearer ${identity.mint({ role: 'viewer' })}`,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(malformed)),
        },
      });
      req.on('response', (response) => {
        let body = '';
        response.on('data', (c: Buffer) => (body += c.toString()));
        response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(malformed);
    });
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body)).toMatchObject({ code: 'VALIDATION_ERROR', requestId: expect.any(String) });
  });

  it('answers an unknown path with a JSON 404', async () => {
    const res = await get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves the OpenAPI document generated from the route table', async () => {
    const res = await get('/api/v1/openapi.json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health', '/api/v1/openapi.json', '/api/v1/users/me']),
    );
  });

  it('answers CORS preflights', async () => {
    const res = await get('/api/v1/users/me', undefined, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // Credentials travel as Authorization only (SPEC §3): X-API-Key is not offered.
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Authorization,Content-Type,If-Match,If-None-Match',
    );
  });

  it('lets a browser read the ETag and Retry-After of an actual answer (a preflight list is not enough)', async () => {
    const res = await get('/api/v1/openapi.json', undefined, {
      headers: { Origin: 'http://localhost:5173' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag,Retry-After');
  });

  it('stops cleanly on Ctrl-C', async () => {
    const exited = new Promise<number | null>((r) => cli.child.once('exit', (code) => r(code)));
    cli.child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${cli.url}/health`)).rejects.toThrow();
  });
});

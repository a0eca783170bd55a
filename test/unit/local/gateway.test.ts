import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { GATEWAY_MAX_HEADER_BYTES, LocalGateway, matchRoute } from '../../../local/gateway';
import type { LocalIdentity } from '../../../local/identity';
import { GATEWAY_MIN_COMPRESSION_BYTES } from '../../../shared/http/gateway-responses';
import type { LambdaHttpResult } from '../../../shared/http/response';
import type { RouteDefinition } from '../../../shared/http/routes';

const route = (method: RouteDefinition['method'], path: string): RouteDefinition => ({
  operationId: `${method} ${path}`,
  method,
  path,
  handler: 'users',
  auth: 'none',
  permission: 'public',
  summary: '',
  tag: '',
});

describe('local route matching', () => {
  const routes = [
    route('GET', '/api/v1/users/{id}'),
    route('GET', '/api/v1/users/me'),
    route('POST', '/api/v1/users/{id}/role'),
  ];

  it('prefers literal segments over parameters, as API Gateway does', () => {
    expect(matchRoute('GET', '/api/v1/users/me', routes)?.route.path).toBe('/api/v1/users/me');
    expect(matchRoute('GET', '/api/v1/users/abc', routes)).toEqual({
      route: routes[0],
      pathParameters: { id: 'abc' },
    });
  });

  it('decodes path parameters and tolerates bad escapes', () => {
    expect(matchRoute('POST', '/api/v1/users/a%40b.c/role', routes)?.pathParameters).toEqual({ id: 'a@b.c' });
    expect(matchRoute('POST', '/api/v1/users/%E0%A4%A/role', routes)?.pathParameters).toEqual({
      id: '%E0%A4%A',
    });
  });

  it('finds nothing for unknown paths or methods', () => {
    expect(matchRoute('DELETE', '/api/v1/users/me', routes)).toBeNull();
    expect(matchRoute('GET', '/api/v1/users', routes)).toBeNull();
    expect(matchRoute('GET', '/api/v1/users/a/b/c', routes)).toBeNull();
  });
});

describe('the local gateway’s own answers', () => {
  const served: string[] = [];
  const handler = async (event: { path: string }): Promise<LambdaHttpResult> => {
    served.push(event.path);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
  };
  const gateway = new LocalGateway({
    identity: {} as unknown as LocalIdentity,
    functions: { get: (() => handler) as never },
    stage: 'test',
    corsAllowedOrigins: [],
    routes: [route('GET', '/api/v1/things')],
  });
  let url = '';
  beforeAll(async () => {
    url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => gateway.close());

  const errorBody = (code: string) => ({ code, message: expect.any(String), requestId: expect.any(String) });

  it('answers a request line and headers over 10 KB with 431 and the Error JSON, as API Gateway limits them', async () => {
    const res = await fetch(`${url}/api/v1/things?q=${'x'.repeat(16 * 1024)}`);
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(errorBody('HEADERS_TOO_LARGE'));
    const header = await fetch(`${url}/api/v1/things`, {
      headers: { 'x-big': 'y'.repeat(GATEWAY_MAX_HEADER_BYTES) },
    });
    expect(header.status).toBe(431);
    expect(served).toEqual([]);
  });

  it('lets a request under the limit through', async () => {
    const res = await fetch(`${url}/api/v1/things?q=${'x'.repeat(8 * 1024)}`);
    expect(res.status).toBe(200);
    expect(served).toEqual(['/api/v1/things']);
  });

  it('answers an unknown route with 404 and the Error JSON', async () => {
    const res = await fetch(`${url}/api/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(errorBody('NOT_FOUND'));
  });
});

describe('compression, as API Gateway’s minimumCompressionSize does it', () => {
  const big = JSON.stringify({
    flags: Array.from({ length: 200 }, (_, i) => ({ key: `flag-${i}`, on: true })),
  });
  const answers: Record<string, string> = { '/api/v1/big': big, '/api/v1/small': '{"ok":true}' };
  const gateway = new LocalGateway({
    identity: {} as unknown as LocalIdentity,
    functions: {
      get: (() =>
        async (event: { path: string }): Promise<LambdaHttpResult> => ({
          statusCode: 200,
          headers: { 'content-type': 'application/json', etag: '"7"', vary: 'Origin' },
          body: answers[event.path] ?? '',
        })) as never,
    },
    stage: 'test',
    corsAllowedOrigins: [],
    routes: [route('GET', '/api/v1/big'), route('GET', '/api/v1/small')],
  });
  let port = 0;
  beforeAll(async () => {
    port = await gateway.listen(0, '127.0.0.1');
  });
  afterAll(() => gateway.close());

  /** A raw GET (fetch would decode gzip and hide it). */
  const get = (path: string, acceptEncoding?: string) =>
    new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = httpGet(
        {
          host: '127.0.0.1',
          port,
          path,
          headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
    });

  it('gzips an answer of 1 KiB or more for a caller that accepts gzip, keeping its ETag', async () => {
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(GATEWAY_MIN_COMPRESSION_BYTES);
    const res = await get('/api/v1/big', 'br;q=1, gzip;q=0.8');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.etag).toBe('"7"');
    expect(res.headers.vary).toBe('Origin, Accept-Encoding');
    expect(res.body.length).toBeLessThan(Buffer.byteLength(big) / 4);
    expect(gunzipSync(res.body).toString('utf8')).toBe(big);
  });

  it('sends it as is without gzip in Accept-Encoding, with gzip refused, or under 1 KiB', async () => {
    for (const acceptEncoding of [undefined, 'identity', 'br', 'gzip;q=0']) {
      const res = await get('/api/v1/big', acceptEncoding);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.toString('utf8')).toBe(big);
    }
    const small = await get('/api/v1/small', 'gzip');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString('utf8')).toBe('{"ok":true}');
  });
});

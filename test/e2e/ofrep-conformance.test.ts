import { scaledMs } from '../../local/timing';
import { requireEngines } from '../support/engines';
import { eventually, request, type HttpAnswer, type HttpRequest } from '../support/http';
import { OfrepDocument } from '../support/ofrep-document';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const engines = requireEngines(['java']);

/**
 * OFREP conformance of the local platform: every answer below is checked twice — against our own API document
 * (by the HTTP helper) and against OFREP's OpenAPI document from open-feature/protocol (vendored in
 * test/fixtures/ofrep/) — and each test says what OFREP clients rely on besides the shapes.
 */
engines.describe('OFREP conformance (local platform)', () => {
  const ofrep = new OfrepDocument();
  const ORIGIN = { Origin: 'http://localhost:5173' };
  let platform: TestPlatform;
  let admin: string;
  let serverKey: string;
  let clientKey: string;

  const call = async (
    path: string,
    key: string | undefined,
    options: HttpRequest = {},
  ): Promise<HttpAnswer> => {
    const answer = await request(platform.url, 'POST', path, { credential: key, ...options });
    ofrep.check({ method: 'POST', path, status: answer.status, headers: answer.headers, text: answer.text });
    return answer;
  };
  const single = (flag: string, key: string, context: object = { targetingKey: 'user-1' }) =>
    call(`/ofrep/v1/evaluate/flags/${encodeURIComponent(flag)}`, key, { body: { context } });
  const bulk = (key: string, headers: Record<string, string> = {}) =>
    call('/ofrep/v1/evaluate/flags', key, { body: { context: { targetingKey: 'user-1' } }, headers });
  const manage = (method: string, path: string, body?: unknown) =>
    request(platform.url, method, path, { credential: admin, body });

  const flag = (key: string, kind: string, values: [unknown, unknown], clientSide: boolean) => ({
    key,
    name: key,
    kind,
    variations: [
      { key: 'on', value: values[0] },
      { key: 'off', value: values[1] },
    ],
    enabled: true,
    clientSide,
    offVariation: 'off',
    fallthrough: { variation: 'on' },
  });
  const toggle = async (key: string) => {
    const { json } = await manage('GET', `/api/v1/feature-flags/${key}`);
    expect(
      (await manage('POST', `/api/v1/feature-flags/${key}/toggle`, { version: json.version })).status,
    ).toBe(200);
  };

  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = (await platform.identity.signIn({ role: 'admin' })).token;
    serverKey = (await manage('POST', '/api/v1/api-keys', { name: 'backend', type: 'server' })).json
      .secret as string;
    clientKey = (await manage('POST', '/api/v1/api-keys', { name: 'web', type: 'client' })).json
      .secret as string;
    for (const body of [
      flag('bool', 'boolean', [true, false], true),
      flag('text', 'string', ['hello', 'bye'], true),
      flag('count', 'number', [3, 0], true),
      flag('ratio', 'number', [0.25, 0], true),
      flag('config', 'json', [{ theme: 'dark' }, { theme: 'light' }], true),
      flag('list', 'json', [[1, 2], []], true),
      flag('server-only', 'string', ['secret', 'other'], false),
      {
        ...flag('targeted', 'string', ['matched', 'fallthrough'], false),
        rules: [
          {
            id: 'fr',
            conditions: { attribute: 'country', op: 'eq', values: ['FR'] },
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
    ]) {
      expect((await manage('POST', '/api/v1/feature-flags', body)).status).toBe(201);
    }
    await eventually(
      'the ruleset carries every flag',
      async () => ((await bulk(serverKey)).json.flags as unknown[]).length === 8 || undefined,
      scaledMs(15_000),
    );
  }, scaledMs(90_000));

  afterAll(() => platform?.stop());

  it.each([
    ['bool', true],
    ['text', 'hello'],
    ['count', 3],
    ['ratio', 0.25],
    ['config', { theme: 'dark' }],
  ])(
    'evaluates %s to %j: 200, OFREP success, reason in OFREP’s list, ours in metadata',
    async (key, value) => {
      const answer = await single(key, clientKey);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        key,
        value,
        variant: 'on',
        reason: 'STATIC',
        metadata: { flagDigest: expect.any(String), switchyardReason: 'DEFAULT' },
      });
    },
  );

  it('maps targeting reasons: TARGETING_MATCH with the rule, UNKNOWN for a fallthrough after rules', async () => {
    expect((await single('targeted', serverKey, { targetingKey: 'u', country: 'FR' })).json).toMatchObject({
      value: 'matched',
      reason: 'TARGETING_MATCH',
      metadata: { switchyardReason: 'TARGETING_MATCH', ruleId: 'fr' },
    });
    expect((await single('targeted', serverKey, { targetingKey: 'u' })).json).toMatchObject({
      value: 'fallthrough',
      reason: 'UNKNOWN',
      metadata: { switchyardReason: 'DEFAULT' },
    });
  });

  it('answers 400 GENERAL for an array value, which OFREP cannot carry', async () => {
    const answer = await single('list', clientKey);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ key: 'list', errorCode: 'GENERAL' });
  });

  it('answers 404 FLAG_NOT_FOUND for unknown, hidden and impossible keys', async () => {
    for (const [key, credential] of [
      ['nope', serverKey],
      ['k'.repeat(300), serverKey],
      ['not a key!', serverKey],
      ['server-only', clientKey],
    ] as const) {
      const answer = await single(key, credential);
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) });
    }
  });

  it('answers an unreadable body with 400 PARSE_ERROR, and a context that is not an object with INVALID_CONTEXT', async () => {
    const cases: [HttpRequest, string][] = [
      [{ rawBody: '{"context": ' }, 'PARSE_ERROR'],
      [{}, 'PARSE_ERROR'],
      [{ body: [1, 2] }, 'PARSE_ERROR'],
      [{ body: { context: 'user-1' } }, 'INVALID_CONTEXT'],
      [{ body: { context: [1] } }, 'INVALID_CONTEXT'],
    ];
    for (const [options, errorCode] of cases) {
      const one = await call('/ofrep/v1/evaluate/flags/bool', serverKey, options);
      expect([one.status, one.json]).toEqual([
        400,
        { key: 'bool', errorCode, errorDetails: expect.any(String) },
      ]);
      const all = await call('/ofrep/v1/evaluate/flags', serverKey, options);
      expect([all.status, all.json]).toEqual([400, { errorCode, errorDetails: expect.any(String) }]);
    }
  });

  it('answers 401 without a key or with an unknown one, readable cross-origin', async () => {
    for (const credential of [undefined, 'sy_client_nope']) {
      const answer = await call('/ofrep/v1/evaluate/flags', credential, {
        body: { context: {} },
        headers: ORIGIN,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      expect(answer.headers.get('access-control-expose-headers')).toBe('ETag,Retry-After');
    }
  });

  it('serves bulk with an ETag a page script can read, and 304 (ETag, no body) while the answer is the same', async () => {
    const first = await bulk(clientKey, ORIGIN);
    expect(first.status).toBe(200);
    expect((first.json.flags as { key: string }[]).map((f) => f.key)).toEqual([
      'bool',
      'config',
      'count',
      'list',
      'ratio',
      'text',
    ]);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('access-control-expose-headers')).toBe('ETag,Retry-After');

    const again = await bulk(clientKey, { ...ORIGIN, 'If-None-Match': etag! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('access-control-expose-headers')).toBe('ETag,Retry-After');
  });

  it('keeps a client key’s ETag while a server-only flag changes, and names only the flag that changed', async () => {
    const before = await bulk(clientKey);
    const etag = before.headers.get('etag')!;
    const serverTag = (await bulk(serverKey)).headers.get('etag');

    await toggle('server-only');
    await eventually(
      'the server-only change is published',
      async () => (await bulk(serverKey)).headers.get('etag') !== serverTag || undefined,
      scaledMs(15_000),
    );
    expect((await bulk(clientKey, { 'If-None-Match': etag })).status).toBe(304);

    await toggle('text');
    const after = await eventually(
      'the client-side change reaches bulk',
      async () => {
        const answer = await bulk(clientKey, { 'If-None-Match': etag });
        return answer.status === 200 ? answer : undefined;
      },
      scaledMs(15_000),
    );
    const flags = (answers: HttpAnswer) => answers.json.flags as { key: string }[];
    const changed = flags(after).filter((f, i) => JSON.stringify(f) !== JSON.stringify(flags(before)[i]));
    expect(changed).toEqual([
      {
        key: 'text',
        value: 'bye',
        variant: 'off',
        reason: 'DISABLED',
        metadata: { flagDigest: expect.any(String), switchyardReason: 'DISABLED' },
      },
    ]);
  });
});

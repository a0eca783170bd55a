import { randomBytes, randomUUID } from 'node:crypto';
import { scaledMs } from '../../local/timing';
import { eventually, httpCaller, PUBLISH_BUDGET_MS } from '../support/http';
import { requireEngines } from '../support/engines';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const engines = requireEngines(['java']);

/** 43 characters: 32 random bytes in base64url. */
const unitIds = (n: number, bytes = 32) =>
  Array.from({ length: n }, () => randomBytes(bytes).toString('base64url'));

/**
 * Issue 16, "limits that end in 500": over HTTP, everything within the documented limits is created, updated,
 * audited and published, and everything past them answers 400 or 413 naming the limit.
 */
engines.describe('size limits over HTTP', () => {
  let platform: TestPlatform;
  let dev: string;
  let analyst: string;
  let serverKey: string;
  const call = httpCaller(() => platform.url);

  beforeAll(async () => {
    platform = await startTestPlatform({});
    dev = (await platform.identity.signIn({ role: 'developer' })).token;
    analyst = (await platform.identity.signIn({ role: 'analyst' })).token;
    const admin = (await platform.identity.signIn({ role: 'admin' })).token;
    serverKey = (await call('POST', '/api/v1/api-keys', admin, { name: 'backend', type: 'server' })).json
      .secret as string;
  }, scaledMs(90_000));
  afterAll(() => platform?.stop());

  it(
    'round-trips a segment of 10 000 included plus 10 000 excluded ids of 43 characters',
    async () => {
      const included = unitIds(10_000);
      const excluded = unitIds(10_000);
      const created = await call('POST', '/api/v1/segments', dev, {
        key: 'big',
        name: 'Big',
        included,
        excluded,
      });
      expect(created.status).toBe(201);

      const moreIncluded = [...included.slice(0, 9_999), randomBytes(32).toString('base64url')];
      const updated = await call('PATCH', '/api/v1/segments/big', dev, {
        included: moreIncluded,
        version: 1,
      });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ version: 2 });
      const read = await call('GET', '/api/v1/segments/big', dev);
      expect(read.json).toEqual(updated.json);
      expect(read.json.included).toEqual(moreIncluded);
      const listed = await call('GET', '/api/v1/segments?q=big', dev);
      expect(listed.json.items).toEqual([updated.json]);

      const history = await call('GET', '/api/v1/audit?resourceKind=segment&resourceKey=big', analyst);
      expect(history.status).toBe(200);
      const entries = history.json.items as { action: string; before: unknown; after: unknown }[];
      expect(entries.map((e) => e.action)).toEqual(['segment.update', 'segment.create']);
      expect(entries[0]?.before).toEqual(created.json);
      expect(entries[0]?.after).toEqual(updated.json);

      const published = await eventually(
        'the ruleset carries the updated segment',
        async () => {
          const ruleset = await call('GET', '/api/v1/sdk/ruleset', serverKey);
          const segment = (ruleset.json.segments as { key: string; included: string[] }[] | undefined)?.find(
            (s) => s.key === 'big',
          );
          return segment?.included.length === moreIncluded.length &&
            segment.included[9_999] === moreIncluded[9_999]
            ? segment
            : undefined;
        },
        scaledMs(PUBLISH_BUDGET_MS),
      );
      expect(published).toEqual({ key: 'big', included: moreIncluded, excluded });
    },
    scaledMs(30_000),
  );

  it('updates a segment of 6 000 UUIDs again and again (each update was a 500)', async () => {
    const uuids = Array.from({ length: 6_000 }, () => randomUUID());
    expect(
      (await call('POST', '/api/v1/segments', dev, { key: 'uuids', name: 'UUIDs', included: uuids })).status,
    ).toBe(201);
    for (const version of [1, 2]) {
      const updated = await call('PATCH', '/api/v1/segments/uuids', dev, {
        name: `UUIDs v${version + 1}`,
        excluded: [randomUUID()],
        version,
      });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ version: version + 1, included: uuids });
    }
  });

  it('refuses a body over 1 MiB with 413, and a segment over 1 MiB with 400, each naming its limit', async () => {
    const tooLong = await call('POST', '/api/v1/segments', dev, {
      key: 'huge',
      name: 'Huge',
      included: unitIds(10_000, 45),
      excluded: unitIds(10_000, 45),
    });
    expect(tooLong.status).toBe(413);
    expect(tooLong.json).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('1048576'),
    });

    // Each request fits; the segment they make would not.
    const half = await call('POST', '/api/v1/segments', dev, {
      key: 'half',
      name: 'Half',
      excluded: unitIds(10_000),
    });
    expect(half.status).toBe(201);
    const grown = await call('PATCH', '/api/v1/segments/half', dev, {
      included: unitIds(10_000, 45),
      version: 1,
    });
    expect(grown.status).toBe(400);
    expect(grown.json).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('a segment may hold at most 1048576 bytes (1 MiB)'),
    });
    expect((await call('GET', '/api/v1/segments/half', dev)).json).toMatchObject({
      version: 1,
      included: [],
    });
  });

  it('refuses a JSON flag variation of 450 KB with 400 naming the 32 KiB limit', async () => {
    const flag = (value: unknown) => ({
      key: 'settings',
      name: 'Settings',
      kind: 'json',
      variations: [
        { key: 'small', value: { theme: 'light' } },
        { key: 'big', value },
      ],
      offVariation: 'small',
      fallthrough: { variation: 'small' },
    });
    const refused = await call('POST', '/api/v1/feature-flags', dev, flag({ blob: 'x'.repeat(450 * 1024) }));
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('a variation’s value may hold at most 32768 bytes (32 KiB)'),
    });
    expect(
      (await call('POST', '/api/v1/feature-flags', dev, flag({ blob: 'x'.repeat(32_000) }))).status,
    ).toBe(201);
  });
});

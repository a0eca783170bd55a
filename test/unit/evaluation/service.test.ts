import { rulesetView } from '../../../shared/evaluation/flag-facts';
import type { Exposure, ExposureLog } from '../../../shared/assignments';
import { EvaluationService } from '../../../shared/evaluation/service';
import type { UsageRecorder } from '../../../shared/evaluation/usage';
import { compileRuleset, type Ruleset } from '../../../shared/rules';
import type { RulesetSource } from '../../../shared/rulesets/source';

const ruleset: Ruleset = {
  revision: 7,
  hashVersion: 1,
  segments: [],
  flags: [
    {
      key: 'server-only',
      kind: 'string',
      variations: [
        { key: 'a', value: 'A' },
        { key: 'b', value: 'B' },
      ],
      enabled: true,
      offVariation: 'a',
      fallthrough: {
        allocations: [
          { variation: 'a', weight: 5000 },
          { variation: 'b', weight: 5000 },
        ],
      },
      rules: [
        {
          id: 'vip',
          conditions: { attribute: 'plan', op: 'eq', values: ['vip'] },
          serve: { variation: 'b' },
        },
      ],
    },
    {
      key: 'public',
      kind: 'boolean',
      variations: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      enabled: true,
      clientSide: true,
      offVariation: 'off',
      fallthrough: { variation: 'on' },
      rules: [],
    },
  ],
};

describe('evaluation service', () => {
  const recorded: string[][] = [];
  const source = {
    get: async () => compileRuleset(ruleset),
    body: async () => ({ revision: 7, body: JSON.stringify(ruleset) }),
    view: async () => ({ revision: 7, view: rulesetView(ruleset) }),
  } as unknown as RulesetSource;
  const usage = { record: (keys: Iterable<string>) => recorded.push([...keys]) } as unknown as UsageRecorder;
  const exposed: Exposure[][] = [];
  const exposures: ExposureLog = { log: async (e) => void exposed.push([...e]) };
  const service = new EvaluationService(source, usage, exposures);
  const server = { keyType: 'server' as const };
  const client = { keyType: 'client' as const };

  it('evaluates every visible flag and counts them', async () => {
    const out = await service.evaluate(server, { targetingKey: 'u1', plan: 'vip' });
    expect(out.revision).toBe(7);
    expect(out.results).toEqual([
      { flagKey: 'server-only', value: 'B', variation: 'b', reason: 'TARGETING_MATCH', ruleId: 'vip' },
      { flagKey: 'public', value: true, variation: 'on', reason: 'DEFAULT' },
    ]);
    expect(recorded.at(-1)).toEqual(['server-only', 'public']);
  });

  it('hides server-side flags from client keys as if they did not exist', async () => {
    expect((await service.evaluate(client, { targetingKey: 'u' })).results.map((r) => r.flagKey)).toEqual([
      'public',
    ]);
    expect((await service.evaluate(client, { targetingKey: 'u' }, ['server-only'])).results[0]).toMatchObject(
      {
        errorCode: 'FLAG_NOT_FOUND',
      },
    );
    expect(
      (await service.ofrepFlag(client, 'server-only', '{"context": {"targetingKey": "u"}}')).outcome,
    ).toBe('flagNotFound');
  });

  it('maps results to OFREP bodies and outcomes (details in ofrep.test.ts)', async () => {
    const ofrepBody = (context: unknown) => JSON.stringify({ context });
    expect(
      await service.ofrepFlag(server, 'server-only', ofrepBody({ targetingKey: 'u', plan: 'vip' })),
    ).toMatchObject({
      outcome: 'evaluated',
      body: {
        key: 'server-only',
        value: 'B',
        variant: 'b',
        reason: 'TARGETING_MATCH',
        metadata: { flagDigest: expect.any(String), switchyardReason: 'TARGETING_MATCH', ruleId: 'vip' },
      },
    });
    expect(await service.ofrepFlag(server, 'server-only', ofrepBody({}))).toMatchObject({
      outcome: 'failed',
      body: { key: 'server-only', errorCode: 'TARGETING_KEY_MISSING' },
    });
    expect(await service.ofrepFlag(server, 'server-only', ofrepBody('nope'))).toMatchObject({
      outcome: 'badRequest',
      body: { key: 'server-only', errorCode: 'INVALID_CONTEXT' },
    });
    expect(await service.ofrepFlag(server, 'missing', ofrepBody({}))).toMatchObject({
      outcome: 'flagNotFound',
      body: { errorCode: 'FLAG_NOT_FOUND' },
    });
  });

  it('tags bulk answers by their content, answers unchanged when the tag matches, and logs nothing then', async () => {
    const request = JSON.stringify({ context: { targetingKey: 'u' } });
    const first = await service.ofrepBulk(server, request, undefined);
    expect(first).toMatchObject({ unchanged: false, value: { flags: expect.any(Array) } });
    const tag = 'etag' in first ? first.etag : '';
    const counted = recorded.length;
    expect(await service.ofrepBulk(server, request, tag)).toEqual({ unchanged: true, etag: tag });
    expect(await service.ofrepBulk(server, request, `W/${tag}, "other"`)).toEqual({
      unchanged: true,
      etag: tag,
    });
    expect(recorded).toHaveLength(counted);
    expect(
      await service.ofrepBulk(server, JSON.stringify({ context: { targetingKey: 'other' } }), tag),
    ).toMatchObject({ unchanged: false });
    expect(await service.ofrepBulk(client, request, tag)).toMatchObject({ unchanged: false });
    expect(await service.ofrepBulk(server, JSON.stringify({ context: 'nope' }), undefined)).toMatchObject({
      outcome: 'badRequest',
      body: { errorCode: 'INVALID_CONTEXT' },
    });
  });

  it('serves the ruleset body tagged with the revision', async () => {
    expect(await service.ruleset(undefined)).toMatchObject({
      unchanged: false,
      etag: '"7"',
      value: expect.any(String),
    });
    expect(await service.ruleset('"7"')).toEqual({ unchanged: true, etag: '"7"' });
    expect(await service.ruleset('W/"6"')).toMatchObject({ unchanged: false });
  });

  it('answers a ruleset above the inline limit with the URL it was stored at, and 304 still by its tag', async () => {
    const body = JSON.stringify(ruleset);
    const stored: [number, string][] = [];
    const large = new EvaluationService(source, usage, exposures, {
      objects: {
        url: (revision, text) => {
          stored.push([revision, text]);
          return Promise.resolve(`/local/rulesets/${revision}.json?signed`);
        },
      },
      inlineMaxBytes: Buffer.byteLength(body) - 1,
    });
    expect(await large.ruleset(undefined)).toEqual({
      unchanged: false,
      etag: '"7"',
      location: '/local/rulesets/7.json?signed',
    });
    expect(stored).toEqual([[7, body]]);
    expect(await large.ruleset('"7"')).toEqual({ unchanged: true, etag: '"7"' });
    // At the limit exactly, the body is still sent inline.
    const atLimit = new EvaluationService(source, usage, exposures, {
      objects: { url: () => Promise.reject(new Error('not stored')) },
      inlineMaxBytes: Buffer.byteLength(body),
    });
    expect(await atLimit.ruleset(undefined)).toEqual({ unchanged: false, etag: '"7"', value: body });
  });

  it('logs no exposure for flags no experiment serves', async () => {
    await service.evaluate(server, { targetingKey: 'u1' });
    expect(exposed.flat()).toEqual([]);
  });
});

describe('evaluation of a flag backed by a running experiment', () => {
  const backed: Ruleset = {
    revision: 3,
    hashVersion: 1,
    segments: [],
    flags: [
      {
        key: 'checkout',
        kind: 'string',
        variations: [
          { key: 'old', value: 'old-flow' },
          { key: 'new', value: 'new-flow' },
        ],
        enabled: true,
        offVariation: 'old',
        fallthrough: { variation: 'old' },
        rules: [],
      },
    ],
    experiments: [
      {
        key: 'checkout-test',
        flagKey: 'checkout',
        unitAttribute: 'userId',
        trafficAllocation: 5000,
        variants: [
          { key: 'old', weight: 5000, isControl: true },
          { key: 'new', weight: 5000, isControl: false },
        ],
      },
    ],
  };
  const exposed: Exposure[] = [];
  const service = new EvaluationService(
    { get: async () => compileRuleset(backed) } as unknown as RulesetSource,
    { record: () => undefined } as unknown as UsageRecorder,
    { log: async (e) => void exposed.push(...e) },
  );

  it('serves the assigned variant with the experiment named, and logs one exposure per unit in it', async () => {
    const served: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const { results } = await service.evaluate({ keyType: 'server' }, { userId: `user-${i}` });
      const [result] = results;
      const key = result!.experimentKey === undefined ? 'outside' : `${result!.variation}`;
      served[key] = (served[key] ?? 0) + 1;
      if (result!.experimentKey !== undefined) expect(result!.reason).toBe('SPLIT');
      else expect(result).toMatchObject({ variation: 'old', reason: 'DEFAULT' });
    }
    // 50% traffic: about half outside; the rest split between both variants.
    expect(served.outside).toBeGreaterThan(140);
    expect(served.old).toBeGreaterThan(60);
    expect(served.new).toBeGreaterThan(60);
    expect(exposed).toHaveLength(400 - served.outside!);
    expect(new Set(exposed.map((e) => e.unitId)).size).toBe(exposed.length);
    expect(exposed.every((e) => e.experimentKey === 'checkout-test')).toBe(true);
  });
});

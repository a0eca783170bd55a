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
  } as unknown as RulesetSource;
  const usage = { record: (keys: Iterable<string>) => recorded.push([...keys]) } as unknown as UsageRecorder;
  const service = new EvaluationService(source, usage);
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
    expect((await service.ofrepFlag(client, 'server-only', { targetingKey: 'u' })).status).toBe(404);
  });

  it('maps results to OFREP bodies and statuses', async () => {
    expect(await service.ofrepFlag(server, 'server-only', { targetingKey: 'u', plan: 'vip' })).toMatchObject({
      status: 200,
      body: {
        key: 'server-only',
        value: 'B',
        variant: 'b',
        reason: 'TARGETING_MATCH',
        metadata: { revision: 7, ruleId: 'vip' },
      },
    });
    expect(await service.ofrepFlag(server, 'server-only', {})).toMatchObject({
      status: 400,
      body: { key: 'server-only', errorCode: 'TARGETING_KEY_MISSING' },
    });
    expect(await service.ofrepFlag(server, 'server-only', 'nope')).toMatchObject({
      status: 400,
      body: { key: 'server-only', errorCode: 'INVALID_CONTEXT' },
    });
    expect(await service.ofrepFlag(server, 'missing', {})).toMatchObject({
      status: 404,
      body: { errorCode: 'FLAG_NOT_FOUND' },
    });
  });

  it('gives bulk answers an ETag per revision and context, and 304 when it matches', async () => {
    const first = await service.ofrepBulk(server, { targetingKey: 'u' }, undefined);
    expect(first.status).toBe(200);
    const tag = first.headers.etag!;
    expect(tag).toMatch(/^"7-/);
    expect((await service.ofrepBulk(server, { targetingKey: 'u' }, tag)).status).toBe(304);
    expect((await service.ofrepBulk(server, { targetingKey: 'other' }, tag)).status).toBe(200);
    expect((await service.ofrepBulk(client, { targetingKey: 'u' }, tag)).status).toBe(200);
  });

  it('serves the ruleset body with the revision as ETag', async () => {
    const res = await service.ruleset(undefined);
    expect(res).toMatchObject({ status: 200, headers: { etag: '"7"' } });
    expect((await service.ruleset('"7"')).status).toBe(304);
    expect((await service.ruleset('W/"6"')).status).toBe(200);
  });
});

import crypto from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ExposureLog } from '../../../shared/assignments';
import { boundedMemo, factsOf, flagFacts, rulesetView } from '../../../shared/evaluation/flag-facts';
import { readOfrepRequest } from '../../../shared/evaluation/ofrep';
import { EvaluationService, type OfrepAnswer, type OfrepBulk } from '../../../shared/evaluation/service';
import type { UsageRecorder } from '../../../shared/evaluation/usage';
import { compileRuleset, type Ruleset, type RulesetFlag } from '../../../shared/rules';
import type { RulesetSource } from '../../../shared/rulesets/source';
import { OfrepDocument } from '../../support/ofrep-document';

const ofrep = new OfrepDocument();

const fixed = (key: string, kind: RulesetFlag['kind'], value: unknown, extra: Partial<RulesetFlag> = {}) =>
  ({
    key,
    kind,
    variations: [{ key: 'only', value }],
    enabled: true,
    offVariation: 'only',
    fallthrough: { variation: 'only' },
    rules: [],
    clientSide: true,
    ...extra,
  }) as RulesetFlag;

const gate: RulesetFlag = {
  key: 'gate',
  kind: 'boolean',
  variations: [
    { key: 'on', value: true },
    { key: 'off', value: false },
  ],
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'on' },
  rules: [
    {
      id: 'beta-testers',
      conditions: { op: 'in_segment', values: ['beta'] },
      serve: { variation: 'on' },
    },
    { id: 'fr', conditions: { attribute: 'country', op: 'eq', values: ['FR'] }, serve: { variation: 'off' } },
  ],
};

const base: Ruleset = {
  revision: 1,
  hashVersion: 1,
  segments: [{ key: 'beta', included: ['tester'] }],
  flags: [
    fixed('bool', 'boolean', true),
    fixed('text', 'string', 'hello'),
    fixed('count', 'number', 3),
    fixed('ratio', 'number', 0.25),
    fixed('config', 'json', { theme: 'dark', sizes: [1, 2] }),
    fixed('list', 'json', [1, 2]),
    fixed('nothing', 'json', null),
    gate,
    fixed('needs-gate', 'string', 'gated', { prerequisites: [{ flagKey: 'gate', variation: 'on' }] }),
    fixed('server-only', 'string', 'secret', { clientSide: false }),
  ],
};

/** A service over a ruleset the test can replace, as a new revision would. */
function serviceOver(initial: Ruleset) {
  let current = initial;
  const source = {
    get: async () => compileRuleset(current),
    body: async () => ({ revision: current.revision, body: JSON.stringify(current) }),
    view: async () => ({ revision: current.revision, view: rulesetView(current) }),
  } as unknown as RulesetSource;
  const usage = { record: () => undefined } as unknown as UsageRecorder;
  const exposures: ExposureLog = { log: async () => undefined };
  return {
    service: new EvaluationService(source, usage, exposures),
    publish: (change: (r: Ruleset) => Ruleset) => {
      current = { ...change(current), revision: current.revision + 1 };
    },
  };
}

const server = { keyType: 'server' as const };
const client = { keyType: 'client' as const };
const body = (context: unknown) => JSON.stringify({ context });
const replaceFlag = (key: string, change: (f: RulesetFlag) => RulesetFlag) => (r: Ruleset) => ({
  ...r,
  flags: r.flags.map((f) => (f.key === key ? change(f) : f)),
});

/** The answer as OFREP's document sees it: status and body through the schema of that status. */
function expectConformant(path: string, status: number, answer: unknown) {
  const text = JSON.stringify(answer);
  const headers = new Headers({ 'content-type': 'application/json' });
  expect(ofrep.problem({ method: 'POST', path, status, headers, text })).toBeNull();
}
const STATUS = { evaluated: 200, failed: 400, badRequest: 400, flagNotFound: 404 } as const;
const single = (key: string, answer: OfrepAnswer) =>
  expectConformant(`/ofrep/v1/evaluate/flags/${key}`, STATUS[answer.outcome], answer.body);

describe('reading an OFREP request body', () => {
  it.each([
    [undefined, 'PARSE_ERROR', /needs a JSON body/],
    ['  ', 'PARSE_ERROR', /needs a JSON body/],
    ['{"context": ', 'PARSE_ERROR', /not valid JSON/],
    ['[1]', 'PARSE_ERROR', /must be a JSON object .*not an array/],
    ['"context"', 'PARSE_ERROR', /not a string/],
    ['{"context": {"__proto__": {"admin": true}}}', 'PARSE_ERROR', /forbidden key __proto__/],
    ['{"context": [1]}', 'INVALID_CONTEXT', /context must be a JSON object, not an array/],
    ['{"context": null}', 'INVALID_CONTEXT', /not null/],
    ['{"context": "user-1"}', 'INVALID_CONTEXT', /not a string/],
    [
      `{"context": {"a": ${'['.repeat(3000)}${']'.repeat(3000)}}}`,
      'PARSE_ERROR',
      /nests deeper than 64 levels/,
    ],
  ])('%j → %s', (text, errorCode, details) => {
    const read = readOfrepRequest(text);
    expect(read).toEqual({ error: { errorCode, errorDetails: expect.stringMatching(details) } });
  });

  it('reads the context, and takes a body without one as the empty context', () => {
    expect(readOfrepRequest('{"context": {"targetingKey": "u"}}')).toEqual({
      context: { targetingKey: 'u' },
    });
    expect(readOfrepRequest('{}')).toEqual({ context: {} });
  });
});

describe('OFREP answers, checked against OFREP’s own document', () => {
  const { service } = serviceOver(base);

  it.each([
    ['bool', true],
    ['text', 'hello'],
    ['count', 3],
    ['ratio', 0.25],
    ['config', { theme: 'dark', sizes: [1, 2] }],
  ])('serves %s (%j) as an OFREP success', async (key, value) => {
    const answer = await service.ofrepFlag(server, key, body({ targetingKey: 'u' }));
    expect(answer).toEqual({
      outcome: 'evaluated',
      body: {
        key,
        value,
        variant: 'only',
        reason: 'STATIC',
        metadata: { flagDigest: expect.stringMatching(/^[\w-]{16}$/), switchyardReason: 'DEFAULT' },
      },
    });
    single(key, answer);
  });

  it('maps our reasons to OFREP’s list and keeps ours in metadata', async () => {
    const reasonOf = async (key: string, context: object) => {
      const answer = await service.ofrepFlag(server, key, body(context));
      single(key, answer);
      const { reason, metadata } = answer.body as { reason: string; metadata: Record<string, unknown> };
      return [reason, metadata.switchyardReason, metadata.ruleId];
    };
    expect(await reasonOf('gate', { targetingKey: 'tester' })).toEqual([
      'TARGETING_MATCH',
      'TARGETING_MATCH',
      'beta-testers',
    ]);
    // Rules were tried and none matched: OpenFeature's DEFAULT, which OFREP does not list.
    expect(await reasonOf('gate', { targetingKey: 'someone' })).toEqual(['UNKNOWN', 'DEFAULT', undefined]);
    expect(await reasonOf('needs-gate', { targetingKey: 'x', country: 'FR' })).toEqual([
      'DISABLED',
      'PREREQUISITE_FAILED',
      undefined,
    ]);
    expect(await reasonOf('needs-gate', { targetingKey: 'x' })).toEqual(['UNKNOWN', 'DEFAULT', undefined]);
  });

  it('answers GENERAL for a json flag serving an array or null, which OFREP cannot carry', async () => {
    for (const [key, what] of [
      ['list', 'an array'],
      ['nothing', 'null'],
    ] as const) {
      const answer = await service.ofrepFlag(server, key, body({}));
      expect(answer).toEqual({
        outcome: 'failed',
        body: {
          key,
          errorCode: 'GENERAL',
          errorDetails: expect.stringContaining(`serves ${what}, which OFREP cannot carry`),
          metadata: { flagDigest: expect.any(String), switchyardErrorCode: 'TYPE_MISMATCH' },
        },
      });
      single(key, answer);
    }
  });

  it('answers 404 FLAG_NOT_FOUND for any key that cannot be seen, however long', async () => {
    for (const [caller, key] of [
      [server, 'missing'],
      [server, 'k'.repeat(5000)],
      [server, 'spaces and ünïcode'],
      [client, 'server-only'],
    ] as const) {
      const answer = await service.ofrepFlag(caller, key, body({}));
      expect(answer).toEqual({
        outcome: 'flagNotFound',
        body: { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) },
      });
      single('x', answer);
    }
  });

  it('answers an unreadable request with OFREP’s 400 bodies, per route', async () => {
    const parse = await service.ofrepFlag(server, 'bool', '{nope');
    expect(parse).toEqual({
      outcome: 'badRequest',
      body: { key: 'bool', errorCode: 'PARSE_ERROR', errorDetails: expect.any(String) },
    });
    single('bool', parse);
    const context = await service.ofrepFlag(server, 'bool', body('user-1'));
    expect(context.body).toMatchObject({ key: 'bool', errorCode: 'INVALID_CONTEXT' });
    single('bool', context);
    for (const text of [undefined, '[]', body(7)]) {
      const bulk = await service.ofrepBulk(server, text, undefined);
      expect(bulk).toEqual({
        outcome: 'badRequest',
        body: {
          errorCode: expect.stringMatching(/^(PARSE_ERROR|INVALID_CONTEXT)$/),
          errorDetails: expect.any(String),
        },
      });
      expectConformant('/ofrep/v1/evaluate/flags', 400, (bulk as OfrepAnswer).body);
    }
  });

  it('lists every flag the key may see in bulk, evaluated or failed, in OFREP’s bulk shape', async () => {
    const answer = await service.ofrepBulk(client, body({ targetingKey: 'u' }), undefined);
    if (!('unchanged' in answer) || answer.unchanged) throw new Error('expected a bulk answer');
    expect(answer.value.flags.map((f) => [f.key, 'errorCode' in f ? f.errorCode : f.reason])).toEqual([
      ['bool', 'STATIC'],
      ['text', 'STATIC'],
      ['count', 'STATIC'],
      ['ratio', 'STATIC'],
      ['config', 'STATIC'],
      ['list', 'GENERAL'],
      ['nothing', 'GENERAL'],
      ['needs-gate', 'UNKNOWN'],
    ]);
    expectConformant('/ofrep/v1/evaluate/flags', 200, answer.value);
  });
});

describe('per-flag change identity and the bulk ETag', () => {
  const digestOf = (ruleset: Ruleset, key: string) => flagFacts(ruleset).get(key)?.digest;

  it('moves a flag’s digest when its own inputs change, and only then', () => {
    const before = Object.fromEntries(base.flags.map((f) => [f.key, digestOf(base, f.key)]));
    expect(new Set(Object.values(before)).size).toBe(base.flags.length);

    const textChanged = replaceFlag('text', (f) => ({ ...f, variations: [{ key: 'only', value: 'bye' }] }))(
      base,
    );
    const after = Object.fromEntries(base.flags.map((f) => [f.key, digestOf(textChanged, f.key)]));
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).toEqual(['text']);

    // A segment a flag's rule uses, and a prerequisite, are inputs too (transitively).
    const segmentChanged = { ...base, segments: [{ key: 'beta', included: ['tester', 'another'] }] };
    const changed = base.flags
      .filter((f) => digestOf(segmentChanged, f.key) !== before[f.key])
      .map((f) => f.key);
    expect(changed).toEqual(['gate', 'needs-gate']);

    // A new revision number alone changes nothing.
    expect(digestOf({ ...base, revision: 99 }, 'bool')).toBe(before.bool);
  });

  it('derives every flag’s facts without keeping every definition it read (a bulk request over many flags)', async () => {
    // 3 000 flags in chains of 30 (each requires the next): facts read each definition many times.
    const many: Ruleset = {
      ...base,
      flags: Array.from({ length: 3000 }, (_, i) => ({
        ...base.flags[0]!,
        key: `f${String(i).padStart(4, '0')}`,
        prerequisites:
          i % 30 === 29 ? [] : [{ flagKey: `f${String(i + 1).padStart(4, '0')}`, variation: 'on' }],
      })),
    };
    const view = rulesetView(many);
    const read = new Map<string, number>();
    const handedOut: WeakRef<object>[] = [];
    const counting = {
      ...view,
      // A fresh copy each time, as the instance's view parses one: what stays reachable is what facts keep.
      flag: (key: string) => {
        read.set(key, (read.get(key) ?? 0) + 1);
        const copy = structuredClone(view.flag(key));
        if (copy !== undefined) handedOut.push(new WeakRef(copy));
        return copy;
      },
    };
    const of = factsOf(counting);
    const digests = many.flags.map((f) => of(f.key)!.digest);
    // WeakRefs hold their targets until the job that made them ends.
    await new Promise((resolve) => setImmediate(resolve));
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    expect(handedOut.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1024);
    // Same answers as deriving them flag by flag from scratch.
    expect(digests).toEqual(many.flags.map((f) => factsOf(rulesetView(many))(f.key)!.digest));
    // Each definition read once, whatever reaches it; asking again reads nothing.
    expect(read.size).toBe(3000);
    expect(Math.max(...read.values())).toBe(1);
    of('f0000');
    expect(Math.max(...read.values())).toBe(1);
  });

  it('reads each definition once when thousands of flags share a prerequisite closure over 1 024 flags', () => {
    // A hub requiring 10 flags, each requiring 10, each requiring 10 (1 111 flags), and 2 000 flags requiring the
    // hub: a memo that forgets past 1 024 keys would read the whole closure again for each of the 2 000.
    const requiring = (key: string, needs: string[]): RulesetFlag => ({
      ...base.flags[0]!,
      key,
      prerequisites: needs.map((flagKey) => ({ flagKey, variation: 'on' })),
    });
    const flags: RulesetFlag[] = [];
    const level = (prefix: string, depth: number): string => {
      const children =
        depth === 0 ? [] : Array.from({ length: 10 }, (_, i) => level(`${prefix}.${i}`, depth - 1));
      flags.push(requiring(prefix, children));
      return prefix;
    };
    const hub = level('hub', 3);
    for (let i = 0; i < 2000; i++) flags.push(requiring(`top-${i}`, [hub]));
    const view = rulesetView({ ...base, flags });
    let reads = 0;
    const of = factsOf({ ...view, flag: (key) => (reads++, view.flag(key)) });
    for (const flag of flags) expect(of(flag.key)).toBeDefined();
    expect(flags.length).toBe(3111);
    expect(reads).toBe(3111);
  });

  it('derives the digests of a 3 000-flag prerequisite chain in work linear in its length', () => {
    // Each flag requires the next: one closure per flag would hash ~4.5 million members in all.
    const length = 3000;
    const chain: Ruleset = {
      ...base,
      flags: Array.from({ length }, (_, i) => ({
        ...base.flags[0]!,
        key: `c${String(i).padStart(4, '0')}`,
        prerequisites:
          i + 1 < length ? [{ flagKey: `c${String(i + 1).padStart(4, '0')}`, variation: 'on' }] : [],
      })),
    };
    let updates = 0;
    const real = crypto.createHash;
    const spy = jest.spyOn(crypto, 'createHash').mockImplementation((algorithm: string) => {
      const hash = real(algorithm);
      const update = hash.update.bind(hash);
      hash.update = (data: string) => (updates++, update(data));
      return hash;
    });
    let digests: (string | undefined)[];
    try {
      const of = factsOf(rulesetView(chain));
      digests = chain.flags.map((f) => of(f.key)?.digest);
    } finally {
      spy.mockRestore();
    }
    expect(new Set(digests).size).toBe(length);
    expect(updates).toBeLessThan(10 * length);
    // The bottom flag's change moves every digest above it; a flag's own change moves only those at or above it.
    const bottomChanged = {
      ...chain,
      flags: chain.flags.map((f, i) => (i === length - 1 ? { ...f, offVariation: 'on' } : f)),
    };
    const middleChanged = {
      ...chain,
      flags: chain.flags.map((f, i) => (i === 1500 ? { ...f, offVariation: 'on' } : f)),
    };
    const of = (r: Ruleset) => factsOf(rulesetView(r));
    const [bottom, middle] = [of(bottomChanged), of(middleChanged)];
    chain.flags.forEach((f, i) => {
      expect(bottom(f.key)!.digest).not.toBe(digests[i]);
      if (i <= 1500) expect(middle(f.key)!.digest).not.toBe(digests[i]);
      else expect(middle(f.key)!.digest).toBe(digests[i]);
    });
  });

  it('remembers at most its limit of keys, and answers the same after forgetting', () => {
    const compute = jest.fn((key: string) => key.length);
    const memo = boundedMemo(compute, 3);
    for (const key of ['a', 'bb', 'a', 'ccc', 'dddd', 'a']) expect(memo(key)).toBe(key.length);
    // a, bb, ccc computed; dddd clears the three; a computed again.
    expect(compute.mock.calls.map(([k]) => k)).toEqual(['a', 'bb', 'ccc', 'dddd', 'a']);
  });

  it('keeps a client key’s bulk ETag (and so 304) while only server-only flags change', async () => {
    const { service, publish } = serviceOver(base);
    const request = body({ targetingKey: 'u' });
    const first = await service.ofrepBulk(client, request, undefined);
    const tag = (first as { etag: string }).etag;
    expect(tag).toMatch(/^"[\w-]{22}"$/);
    expect(await service.ofrepBulk(client, request, tag)).toEqual({ unchanged: true, etag: tag });

    publish(replaceFlag('server-only', (f) => ({ ...f, variations: [{ key: 'only', value: 'other' }] })));
    expect(await service.ofrepBulk(client, request, tag)).toEqual({ unchanged: true, etag: tag });
    // The server key sees that flag: its answer moved.
    const serverTag = (await service.ofrepBulk(server, request, undefined)) as { etag: string };
    expect(serverTag.etag).not.toBe(tag);

    publish(replaceFlag('bool', (f) => ({ ...f, enabled: false })));
    const moved = await service.ofrepBulk(client, request, tag);
    expect(moved).toMatchObject({ unchanged: false });
    const flags = (moved as { value: OfrepBulk }).value.flags;
    const old = (first as { value: OfrepBulk }).value.flags;
    // Only the changed flag carries a new identity.
    expect(flags.filter((f, i) => JSON.stringify(f) !== JSON.stringify(old[i])).map((f) => f.key)).toEqual([
      'bool',
    ]);
  });

  it('tags the answer for this context: another context gets another tag', async () => {
    const { service } = serviceOver(base);
    const a = (await service.ofrepBulk(server, body({ targetingKey: 'tester' }), undefined)) as {
      etag: string;
    };
    expect(await service.ofrepBulk(server, body({ targetingKey: 'someone' }), a.etag)).toMatchObject({
      unchanged: false,
    });
  });
});

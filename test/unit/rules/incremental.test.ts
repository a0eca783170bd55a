import { compileRuleset, type CompiledRuleset, type Ruleset } from '../../../shared/rules';
import {
  IncrementalRuleset,
  segmentReferences,
  type RulesetChanges,
} from '../../../shared/rules/incremental';
import type {
  RulesetExperiment,
  RulesetFlag,
  RulesetLayer,
  RulesetSegment,
} from '../../../shared/rules/types';
import {
  answersOf,
  EXPERIMENT_KEYS,
  FLAG_KEYS,
  LAYER_KEYS,
  SEGMENT_KEYS,
  randomExperiment,
  randomFlag,
  randomLayer,
  randomSegment,
  seeded,
  type Random,
} from '../../support/ruleset-changes';

interface Universe {
  flags: Map<string, RulesetFlag>;
  segments: Map<string, RulesetSegment>;
  experiments: Map<string, RulesetExperiment>;
  layers: Map<string, RulesetLayer>;
}

const sorted = <T>(map: Map<string, T>): T[] => [...map.keys()].sort().map((k) => map.get(k)!);

function documentOf(revision: number, u: Universe): Ruleset {
  return {
    revision,
    hashVersion: 1,
    flags: sorted(u.flags),
    segments: sorted(u.segments),
    experiments: sorted(u.experiments),
    layers: sorted(u.layers),
  };
}

/** One revision: a few random upserts and deletes across kinds. */
function randomChanges(random: Random, u: Universe): RulesetChanges {
  const flags = new Map<string, { value: RulesetFlag } | null>();
  const segments = new Map<string, { value: RulesetSegment } | null>();
  const experiments = new Map<string, RulesetExperiment | null>();
  const layers = new Map<string, RulesetLayer | null>();
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const kind = random();
    const remove = random() < 0.2;
    if (kind < 0.5) {
      const key = FLAG_KEYS[Math.floor(random() * FLAG_KEYS.length)]!;
      const value = remove ? null : randomFlag(random, key);
      flags.set(key, value === null ? null : { value });
      if (value === null) u.flags.delete(key);
      else u.flags.set(key, value);
    } else if (kind < 0.75) {
      const key = SEGMENT_KEYS[Math.floor(random() * SEGMENT_KEYS.length)]!;
      const value = remove ? null : randomSegment(random, key);
      segments.set(key, value === null ? null : { value });
      if (value === null) u.segments.delete(key);
      else u.segments.set(key, value);
    } else if (kind < 0.92) {
      const index = Math.floor(random() * EXPERIMENT_KEYS.length);
      const key = EXPERIMENT_KEYS[index]!;
      const value = remove ? null : randomExperiment(random, key, index);
      experiments.set(key, value);
      if (value === null) u.experiments.delete(key);
      else u.experiments.set(key, value);
    } else {
      const key = LAYER_KEYS[Math.floor(random() * LAYER_KEYS.length)]!;
      const value = remove ? null : randomLayer(random, key);
      layers.set(key, value);
      if (value === null) u.layers.delete(key);
      else u.layers.set(key, value);
    }
  }
  return { flags, segments, experiments, layers };
}

/** compileRuleset of a revision of flags only. */
const compiled = (revision: number, flags: RulesetFlag[]) =>
  compileRuleset({ revision, hashVersion: 1, flags, segments: [], experiments: [], layers: [] });

describe('IncrementalRuleset', () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'answers exactly as compileRuleset of the same revision, over random changes (seed %i)',
    async (seed) => {
      const random = seeded(seed);
      const universe: Universe = {
        flags: new Map(),
        segments: new Map(),
        experiments: new Map(),
        layers: new Map(),
      };
      const engine = new IncrementalRuleset();
      // Every revision's snapshot, kept as a request in flight would hold it, with a full compile's answers.
      const held: { revision: number; ruleset: CompiledRuleset; expected: ReturnType<typeof answersOf> }[] =
        [];
      for (let revision = 1; revision <= 60; revision++) {
        const changes = randomChanges(random, universe);
        const { ruleset } = await engine.apply(revision, changes);
        const expected = answersOf(compileRuleset(documentOf(revision, universe)));
        // Even revisions are first evaluated only after all 60 were applied: their flags compile lazily then,
        // and must still see the segments, experiments and prerequisites of their own revision.
        if (revision % 2 === 1) expect(answersOf(ruleset)).toEqual(expected);
        held.push({ revision, ruleset, expected });
      }
      for (const { revision, ruleset, expected } of held) {
        expect({ revision, answers: answersOf(ruleset) }).toEqual({ revision, answers: expected });
      }
    },
  );

  it('replaces only the flags a change affects, and leaves the previous revision as it was', async () => {
    const flag = (key: string, fields: Partial<RulesetFlag> = {}): RulesetFlag => ({
      ...randomFlag(seeded(1), key),
      enabled: true,
      offVariation: 'off',
      prerequisites: [],
      rules: [],
      fallthrough: { variation: 'on' },
      ...fields,
    });
    const engine = new IncrementalRuleset();
    const inSegment = {
      id: 'r',
      conditions: { op: 'in_segment' as const, values: ['beta'] },
      serve: { variation: 'off' },
    };
    const first = await engine.apply(1, {
      flags: new Map([
        ['a', { value: flag('a') }],
        ['b', { value: flag('b', { rules: [inSegment] }) }],
        ['c', { value: flag('c', { prerequisites: [{ flagKey: 'a', variation: 'on' }] }) }],
      ]),
      segments: new Map([['beta', { value: { key: 'beta', included: ['u1'] } }]]),
    });
    expect(first.replaced).toBe(3);
    expect(first.ruleset.evaluate('b', { targetingKey: 'u1' }).variation).toBe('off');

    // A segment change replaces only the flag that uses it.
    const second = await engine.apply(2, {
      segments: new Map([['beta', { value: { key: 'beta', included: ['u2'] } }]]),
    });
    expect(second.replaced).toBe(1);
    expect(second.ruleset.evaluate('b', { targetingKey: 'u1' }).variation).toBe('on');
    expect(first.ruleset.evaluate('b', { targetingKey: 'u1' }).variation).toBe('off');

    // A prerequisite's change reaches the flags that depend on it without replacing them.
    const third = await engine.apply(3, {
      flags: new Map([['a', { value: flag('a', { enabled: false }) }]]),
    });
    expect(third.replaced).toBe(1);
    expect(third.ruleset.evaluate('c', {}).reason).toBe('PREREQUISITE_FAILED');
    expect(second.ruleset.evaluate('c', {}).reason).toBe('DEFAULT');
  });

  it('recomputes prerequisite statuses only where a flag reaches the change, and names the cycle each reaches', async () => {
    const flag = (key: string, prerequisites: string[] = []): RulesetFlag => ({
      ...randomFlag(seeded(3), key),
      enabled: true,
      offVariation: 'off',
      rules: [],
      fallthrough: { variation: 'on' },
      prerequisites: prerequisites.map((flagKey) => ({ flagKey, variation: 'on' })),
    });
    const changes = (...flags: RulesetFlag[]): RulesetChanges => ({
      flags: new Map(flags.map((f) => [f.key, { value: f }])),
    });
    const dependents = Array.from({ length: 200 }, (_, i) => flag(`dep-${i}`, ['kill']));
    const engine = new IncrementalRuleset();
    await engine.apply(1, changes(flag('kill'), flag('x'), flag('y', ['x']), ...dependents));

    // An edge the 200 dependents do not reach: only the flag that changed is replaced.
    const unrelated = await engine.apply(2, changes(flag('x', ['y'])));
    expect(unrelated.replaced).toBe(2); // x changed, and y now sits on the cycle x → y → x
    expect(unrelated.ruleset.evaluate('y', {}).errorMessage).toBe('prerequisite cycle: y → x → y');
    expect(unrelated.ruleset.evaluate('x', {}).errorMessage).toBe('prerequisite cycle: x → y → x');
    expect(unrelated.ruleset.evaluate('dep-0', {}).reason).toBe('DEFAULT');

    // The kill switch joins that cycle: all 200 flags above it are errors naming the cycle they reach.
    const joined = await engine.apply(3, changes(flag('kill', ['x'])));
    expect(joined.replaced).toBe(201);
    expect(joined.ruleset.evaluate('dep-7', {})).toMatchObject({
      reason: 'ERROR',
      errorCode: 'GENERAL',
      errorMessage: 'prerequisite cycle: x → y → x',
    });
    // A change of the kill switch's rules only, not its edges: nothing above it is touched.
    const rulesOnly = await engine.apply(4, changes({ ...flag('kill', ['x']), offVariation: 'on' }));
    expect(rulesOnly.replaced).toBe(1);

    // Leaving the cycle clears them all again, and the answers equal a full compile's.
    const left = await engine.apply(5, changes(flag('kill')));
    expect(left.replaced).toBe(201);
    expect(left.ruleset.evaluate('dep-7', {}).reason).toBe('DEFAULT');
    const flags = [flag('kill'), flag('x', ['y']), flag('y', ['x']), ...dependents];
    expect(answersOf(left.ruleset)).toEqual(
      answersOf(
        compiled(
          5,
          flags.sort((a, b) => (a.key < b.key ? -1 : 1)),
        ),
      ),
    );
  });

  it('follows prerequisite chains past the depth limit and back, as a full compile does', async () => {
    const chain = (length: number): RulesetFlag[] =>
      Array.from({ length }, (_, i) => ({
        ...randomFlag(seeded(4), `f${String(i).padStart(3, '0')}`),
        enabled: true,
        offVariation: 'off',
        rules: [],
        fallthrough: { variation: 'on' },
        prerequisites:
          i + 1 < length ? [{ flagKey: `f${String(i + 1).padStart(3, '0')}`, variation: 'on' }] : [],
      }));
    const engine = new IncrementalRuleset();
    const short = chain(30);
    await engine.apply(1, { flags: new Map(short.map((f) => [f.key, { value: f }])) });
    // Ten more links at the bottom: the flags at the top are now too deep; the bottom changes nothing above it.
    const long = chain(40);
    const deeper = await engine.apply(2, {
      flags: new Map(long.slice(29).map((f) => [f.key, { value: f }])),
    });
    expect(deeper.ruleset.evaluate('f000', {}).errorMessage).toMatch(/nested deeper than 32/);
    expect(deeper.ruleset.evaluate('f010', {}).reason).toBe('DEFAULT');
    expect(answersOf(deeper.ruleset)).toEqual(answersOf(compiled(2, long)));
    // The bottom goes again: the chain is short enough once more.
    const shorter = await engine.apply(3, {
      flags: new Map([
        ...long.slice(30).map((f) => [f.key, null] as const),
        [short[29]!.key, { value: short[29]! }] as const,
      ]),
    });
    expect(shorter.ruleset.evaluate('f000', {}).reason).toBe('DEFAULT');
    expect(answersOf(shorter.ruleset)).toEqual(answersOf(compiled(3, short)));
  });

  it('compiles a flag on its first evaluation, reading its definition again when given a reload', async () => {
    const reload = jest.fn(() => randomFlag(seeded(2), 'lazy'));
    const engine = new IncrementalRuleset();
    const { ruleset } = await engine.apply(1, { flags: new Map([['lazy', { value: reload(), reload }]]) });
    expect(reload).toHaveBeenCalledTimes(1);
    ruleset.evaluate('lazy', {});
    ruleset.evaluate('lazy', { plan: 'pro' });
    expect(reload).toHaveBeenCalledTimes(2);
  });

  it('keeps flags in key order, however many arrive at once and in whatever order', async () => {
    const random = seeded(9);
    const keys = Array.from(
      { length: 5000 },
      (_, i) => `k${(i * 7919) % 5003}-${Math.floor(random() * 1e6)}`,
    );
    const engine = new IncrementalRuleset();
    let pauses = 0;
    const slicer = { due: () => true, pause: () => Promise.resolve(void pauses++) };
    const { ruleset } = await engine.apply(
      1,
      { flags: new Map(keys.map((k) => [k, { value: randomFlag(random, k) }])) },
      slicer,
    );
    expect(ruleset.flags.map((f) => f.key)).toEqual([...new Set(keys)].sort());
    expect(pauses).toBeGreaterThan(5000);
  });

  it('finds segment references anywhere in a structure', () => {
    expect(
      segmentReferences([
        {
          conditions: {
            all: [{ op: 'in_segment', values: ['a', 1] }, { not: { op: 'not_in_segment', values: ['b'] } }],
          },
        },
        { op: 'eq', values: ['c'] },
      ]),
    ).toEqual(new Set(['a', 'b']));
  });
});

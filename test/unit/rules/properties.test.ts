import fc from 'fast-check';
import {
  EVALUATION_ERROR_CODES,
  EVALUATION_REASONS,
  RulesetError,
  compileRuleset,
} from '../../../shared/rules';
import type { Ruleset } from '../../../shared/rules';
import vectors from '../../vectors/evaluation.json';
import { booleanFlag, rolloutFlag } from './support';

/** The vectors' ruleset uses every operator, segments, prerequisites, splits and broken flags. */
const everything = compileRuleset(vectors.ruleset as unknown as Ruleset);
const flagKeys = vectors.ruleset.flags.map((f) => f.key);

function engineOf(...flags: Ruleset['flags']) {
  return compileRuleset({ revision: 1, hashVersion: 1, flags, segments: [] });
}

const unitId = fc.oneof(fc.string({ minLength: 1 }), fc.uuid(), fc.string({ unit: 'binary', minLength: 1 }));

describe('properties', () => {
  it('evaluation is deterministic: same ruleset and context, same result, across compilations', () => {
    const again = compileRuleset(JSON.parse(JSON.stringify(vectors.ruleset)) as Ruleset);
    fc.assert(
      fc.property(fc.constantFrom(...flagKeys), fc.jsonValue(), unitId, (flagKey, extra, unit) => {
        const context = { targetingKey: unit, extra, plan: 'pro', email: `${unit}@corp.example` };
        expect(again.evaluate(flagKey, context)).toEqual(everything.evaluate(flagKey, context));
        expect(everything.evaluate(flagKey, context)).toEqual(everything.evaluate(flagKey, { ...context }));
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('rollouts are monotone: raising the percentage never moves a unit out', () => {
    fc.assert(
      fc.property(
        unitId,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        (unit, a, b, salt) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const engine = engineOf(
            { ...rolloutFlag('low', low / 100), salt },
            { ...rolloutFlag('high', high / 100), salt },
          );
          const before = engine.evaluate('low', { targetingKey: unit });
          const after = engine.evaluate('high', { targetingKey: unit });
          if (before.variation === 'on') expect(after.variation).toBe('on');
          if (after.variation === 'off') expect(before.variation).toBe('off');
        },
      ),
      { numRuns: 1000, seed: 12 },
    );
  });

  it('split proportions match the weights within 5 binomial standard deviations', () => {
    const weights = [1000, 2500, 0, 6500];
    const variations = ['a', 'b', 'c', 'd'];
    const engine = engineOf({
      ...booleanFlag('split'),
      kind: 'string',
      variations: variations.map((key) => ({ key, value: key })),
      offVariation: 'a',
      fallthrough: { allocations: variations.map((variation, i) => ({ variation, weight: weights[i]! })) },
    });
    const n = 100_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const variation = engine.evaluate('split', { targetingKey: `unit-${i}` }).variation!;
      counts.set(variation, (counts.get(variation) ?? 0) + 1);
    }
    variations.forEach((variation, i) => {
      const p = weights[i]! / 10_000;
      const sd = Math.sqrt(n * p * (1 - p));
      // With n = 100 000 and p = 0.25, sd ≈ 137: 5 sd is ±0.7 percentage points, a 1-in-1.7-million miss.
      expect(Math.abs((counts.get(variation) ?? 0) - n * p)).toBeLessThanOrEqual(5 * sd);
    });
    expect(counts.get('c')).toBeUndefined();
  });

  it('split proportions hold for random salts and weights', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.integer({ min: 100, max: 9_900 }), (salt, weight) => {
        const engine = engineOf({ ...rolloutFlag('r', weight / 100), salt });
        const n = 4_000;
        let on = 0;
        for (let i = 0; i < n; i++)
          if (engine.evaluate('r', { targetingKey: `u${i}` }).variation === 'on') on++;
        const p = weight / 10_000;
        expect(Math.abs(on - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
      }),
      { numRuns: 25, seed: 13 },
    );
  });

  it('never throws and always answers with a known reason, whatever the context', () => {
    const reasons = new Set<string>(EVALUATION_REASONS);
    const codes = new Set<string>(EVALUATION_ERROR_CODES);
    const contexts = fc.oneof(
      fc.anything({
        withNullPrototype: true,
        withObjectString: true,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
      }),
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom(
          'targetingKey',
          'userId',
          'plan',
          'email',
          'age',
          'appVersion',
          'signupDate',
          'ip',
          'device',
          'a',
          'beta',
          'country',
          'company',
          '__proto__',
          'constructor',
        ),
        fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true }),
      ),
    );
    fc.assert(
      fc.property(contexts, fc.oneof(fc.constantFrom(...flagKeys), fc.string()), (context, flagKey) => {
        const result = everything.evaluate(flagKey, context);
        expect(reasons.has(result.reason)).toBe(true);
        if (result.reason === 'ERROR') expect(codes.has(result.errorCode!)).toBe(true);
        expect(() => everything.evaluateAll(context)).not.toThrow();
      }),
      { numRuns: 1500, seed: 14 },
    );
  });

  it('survives corrupted rulesets: compile refuses only the envelope, evaluate never throws', () => {
    const paths = fc.array(
      fc.oneof(
        fc.constantFrom(
          'flags',
          'segments',
          'rules',
          'conditions',
          'serve',
          'all',
          'any',
          'values',
          'variations',
          'prerequisites',
          'fallthrough',
          'allocations',
          'included',
          'key',
          'op',
          'enabled',
          'weight',
        ),
        fc.nat({ max: 70 }),
      ),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(
        paths,
        fc.anything({ withNullPrototype: true }),
        fc.jsonValue(),
        (path, replacement, context) => {
          const corrupted = JSON.parse(JSON.stringify(vectors.ruleset)) as Record<string, unknown>;
          let node: unknown = corrupted;
          for (const step of path.slice(0, -1)) {
            const next: unknown =
              typeof node === 'object' && node !== null
                ? (node as Record<string, unknown>)[String(step)]
                : undefined;
            if (typeof next !== 'object' || next === null) break;
            node = next;
          }
          if (typeof node === 'object' && node !== null)
            (node as Record<string, unknown>)[String(path[path.length - 1])] = replacement;
          let engine;
          try {
            engine = compileRuleset(corrupted as unknown as Ruleset);
          } catch (error) {
            expect(error).toBeInstanceOf(RulesetError);
            return;
          }
          for (const key of flagKeys) expect(() => engine.evaluate(key, context)).not.toThrow();
        },
      ),
      { numRuns: 400, seed: 15 },
    );
  });
});

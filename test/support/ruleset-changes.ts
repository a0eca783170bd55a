import type { CompiledRuleset } from '../../shared/rules';
import type {
  Condition,
  RulesetExperiment,
  RulesetFlag,
  RulesetLayer,
  RulesetSegment,
} from '../../shared/rules/types';
import { prng } from './event-log';

/**
 * Random sequences of changes to a small universe of flags, segments, experiments and layers (seeded, so a
 * failure replays), for the tests that compare incremental publishing and applying with a full rebuild. The
 * universe is small so that changes collide: segments used by flags and experiments, prerequisites (cycles
 * included), experiments serving flags, layers coming and going, definitions that do not compile.
 */
export const FLAG_KEYS = Array.from({ length: 16 }, (_, i) => `f${i}`);
export const SEGMENT_KEYS = Array.from({ length: 6 }, (_, i) => `s${i}`);
export const EXPERIMENT_KEYS = Array.from({ length: 4 }, (_, i) => `e${i}`);
export const LAYER_KEYS = ['l0', 'l1'];

export type Random = () => number;

/** mulberry32 (test/support/event-log.ts): the same sequence on every run. */
export const seeded: (seed: number) => Random = prng;

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

function condition(random: Random, withSegments: boolean): Condition {
  const roll = random();
  if (withSegments && roll < 0.35) {
    return { op: random() < 0.7 ? 'in_segment' : 'not_in_segment', values: [pick(random, SEGMENT_KEYS)] };
  }
  if (roll < 0.55) return { attribute: 'plan', op: 'eq', values: [pick(random, ['free', 'pro'])] };
  if (roll < 0.75) return { attribute: 'age', op: 'gt', values: [Math.floor(random() * 60)] };
  if (roll < 0.9) return { any: [condition(random, withSegments), condition(random, withSegments)] };
  return { attribute: 'country', op: 'in', values: ['DE', 'FR'] };
}

export function randomFlag(random: Random, key: string): RulesetFlag {
  const prerequisites =
    random() < 0.3 ? [{ flagKey: pick(random, FLAG_KEYS), variation: pick(random, ['on', 'off']) }] : [];
  const rules = Array.from({ length: Math.floor(random() * 3) }, (_, i) => ({
    id: `r${i}`,
    conditions: condition(random, true),
    serve: { variation: pick(random, ['on', 'off']) },
  }));
  // Now and then a definition the engine refuses (an unknown variation): PARSE_ERROR either way.
  const broken = random() < 0.05;
  return {
    key,
    kind: 'boolean',
    variations: [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ],
    enabled: random() < 0.85,
    offVariation: broken ? 'nope' : 'off',
    fallthrough:
      random() < 0.5
        ? { variation: 'on' }
        : {
            allocations: [
              { variation: 'on', weight: 3000 },
              { variation: 'off', weight: 7000 },
            ],
          },
    rules,
    prerequisites,
    clientSide: random() < 0.5,
  };
}

export function randomSegment(random: Random, key: string): RulesetSegment {
  return {
    key,
    ...(random() < 0.6 ? { conditions: condition(random, false) } : {}),
    included: Array.from({ length: Math.floor(random() * 4) }, () => `u${Math.floor(random() * 40)}`),
    excluded: random() < 0.3 ? [`u${Math.floor(random() * 40)}`] : [],
  };
}

export function randomExperiment(random: Random, key: string, index: number): RulesetExperiment {
  const layer = random() < 0.6 ? pick(random, LAYER_KEYS) : undefined;
  return {
    key,
    variants: [
      { key: 'on', weight: 5000, isControl: true },
      { key: 'off', weight: 5000, isControl: false },
    ],
    trafficAllocation: pick(random, [2000, 5000, 10_000]),
    unitAttribute: 'userId',
    ...(random() < 0.4 ? { conditions: condition(random, true) } : {}),
    ...(layer === undefined ? {} : { layer, layerRange: [index * 2500, index * 2500 + 2500] as const }),
    ...(random() < 0.7 ? { flagKey: pick(random, FLAG_KEYS) } : {}),
  };
}

export function randomLayer(random: Random, key: string): RulesetLayer {
  return { key, ...(random() < 0.5 ? { salt: `salt-${Math.floor(random() * 3)}` } : {}) };
}

export const CONTEXTS = Array.from({ length: 40 }, (_, i) => ({
  userId: `u${i}`,
  targetingKey: `u${i}`,
  plan: i % 2 === 0 ? 'free' : 'pro',
  age: (i * 7) % 70,
  country: ['DE', 'FR', 'US'][i % 3],
}));

/** Everything a compiled ruleset answers, over CONTEXTS: what two rulesets must agree on to be equivalent. */
export function answersOf(ruleset: CompiledRuleset) {
  return {
    revision: ruleset.revision,
    flags: ruleset.flags,
    experiments: ruleset.experiments,
    results: CONTEXTS.map((c) => ruleset.evaluateAll(c)),
    clientSide: ruleset.evaluateAll(CONTEXTS[0], undefined, { clientSideOnly: true }),
    missing: ruleset.evaluate('no-such-flag', {}),
    assignments: CONTEXTS.map((c) => ruleset.assign(c)),
  };
}

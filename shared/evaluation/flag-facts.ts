import { createHash } from 'node:crypto';
import {
  segmentKeysOf,
  type Condition,
  type Ruleset,
  type RulesetExperiment,
  type RulesetFlag,
} from '../rules';

/**
 * What evaluation tells SDKs about a flag beyond one result, derived from a ruleset revision once:
 * - `digest`: the flag's change identity. It hashes everything that decides the flag's answers — its own
 *   definition, the segments its rules use, the running experiments that serve it (with their segments and
 *   layers), and the same for every flag it needs as a prerequisite, transitively — so it changes when this
 *   flag's answers may change and never because another flag changed. Unlike the ruleset revision, it tells a
 *   client key nothing about server-only flags its own flags do not depend on.
 * - `contextFree`: the flag serves one fixed variation whoever asks (no rules, prerequisites, split or
 *   experiment), which OFREP calls STATIC.
 */
export interface FlagFacts {
  readonly digest: string;
  readonly contextFree: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

function segmentsOf(conditions: unknown, into: Set<string>): void {
  // Revisions come from storage: a malformed condition uses no segment here (the engine refuses it anyway).
  try {
    if (isObject(conditions)) segmentKeysOf(conditions as unknown as Condition, into);
  } catch {
    // ignored on purpose
  }
}

/** One flag's own inputs, without those of its prerequisites. */
function ownInputs(
  flag: RulesetFlag,
  segments: ReadonlyMap<string, unknown>,
  experiments: readonly RulesetExperiment[],
  layers: ReadonlyMap<string, unknown>,
): unknown {
  const serving = experiments.filter((e) => e.flagKey === flag.key);
  const used = new Set<string>();
  const rules: readonly unknown[] = Array.isArray(flag.rules) ? flag.rules : [];
  for (const rule of rules) if (isObject(rule)) segmentsOf(rule.conditions, used);
  for (const experiment of serving) segmentsOf(experiment.conditions, used);
  return {
    flag,
    segments: [...used].sort().map((key) => segments.get(key) ?? null),
    experiments: serving.map((e) => ({
      experiment: e,
      layer: e.layer === undefined ? null : (layers.get(e.layer) ?? null),
    })),
  };
}

function isContextFree(flag: RulesetFlag, experiments: readonly RulesetExperiment[]): boolean {
  return (
    (!Array.isArray(flag.rules) || flag.rules.length === 0) &&
    (!Array.isArray(flag.prerequisites) || flag.prerequisites.length === 0) &&
    isObject(flag.fallthrough) &&
    'variation' in flag.fallthrough &&
    !experiments.some((e) => e.flagKey === flag.key)
  );
}

/** The facts of every flag of a revision, by key (the first definition of a duplicated key, as the engine). */
export function flagFacts(ruleset: Ruleset): ReadonlyMap<string, FlagFacts> {
  const keyed = <T extends { key?: unknown }>(list: unknown): T[] =>
    (Array.isArray(list) ? (list as unknown[]) : []).filter(
      (item): item is T => isObject(item) && typeof item.key === 'string',
    );
  const flags = new Map<string, RulesetFlag>();
  for (const flag of keyed<RulesetFlag>(ruleset.flags)) if (!flags.has(flag.key)) flags.set(flag.key, flag);
  const segments = new Map(keyed<{ key: string }>(ruleset.segments).map((s) => [s.key, s]));
  const layers = new Map(keyed<{ key: string }>(ruleset.layers).map((l) => [l.key, l]));
  const experiments = keyed<RulesetExperiment>(ruleset.experiments);

  const inputs = new Map<string, string>();
  const inputsOf = (key: string): string => {
    let text = inputs.get(key);
    if (text === undefined) {
      const flag = flags.get(key);
      text = JSON.stringify(flag === undefined ? null : ownInputs(flag, segments, experiments, layers));
      inputs.set(key, text);
    }
    return text;
  };
  /** The flag and every flag it reaches through prerequisites (cycles included once), sorted by key. */
  const closure = (root: string): string[] => {
    const seen = new Set([root]);
    const queue = [root];
    while (queue.length > 0) {
      const prerequisites = flags.get(queue.pop()!)?.prerequisites;
      for (const p of Array.isArray(prerequisites) ? prerequisites : []) {
        if (isObject(p) && typeof p.flagKey === 'string' && !seen.has(p.flagKey)) {
          seen.add(p.flagKey);
          queue.push(p.flagKey);
        }
      }
    }
    return [...seen].sort();
  };

  const facts = new Map<string, FlagFacts>();
  for (const [key, flag] of flags) {
    const hash = createHash('sha256').update(String(ruleset.hashVersion));
    for (const member of closure(key)) hash.update(JSON.stringify(member)).update(inputsOf(member));
    facts.set(key, {
      digest: hash.digest('base64url').slice(0, 16),
      contextFree: isContextFree(flag, experiments),
    });
  }
  return facts;
}

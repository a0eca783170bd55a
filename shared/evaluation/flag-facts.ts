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
  segment: (key: string) => unknown,
  experiments: readonly RulesetExperiment[],
  layer: (key: string) => unknown,
): unknown {
  const serving = experiments.filter((e) => e.flagKey === flag.key);
  const used = new Set<string>();
  const rules: readonly unknown[] = Array.isArray(flag.rules) ? flag.rules : [];
  for (const rule of rules) if (isObject(rule)) segmentsOf(rule.conditions, used);
  for (const experiment of serving) segmentsOf(experiment.conditions, used);
  return {
    flag,
    segments: [...used].sort().map((key) => segment(key) ?? null),
    experiments: serving.map((e) => ({
      experiment: e,
      layer: e.layer === undefined ? null : (layer(e.layer) ?? null),
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

/**
 * A revision as the facts need it: definitions by key, read on demand (the evaluation function's source parses
 * only the entries asked for, shared/rulesets/source.ts).
 */
export interface RulesetView {
  readonly hashVersion: unknown;
  /** Flag keys in ruleset order. */
  flagKeys(): Iterable<string>;
  flag(key: string): RulesetFlag | undefined;
  segment(key: string): unknown;
  layer(key: string): unknown;
  readonly experiments: readonly RulesetExperiment[];
}

/**
 * `compute` remembered for at most `limit` keys at a time, then all forgotten at once: for definitions read while
 * facts are derived, which must not all stay parsed for the rest of a revision after an OFREP bulk request over
 * 50 000 flags. Only for reads that are not repeated in a loop (a cycle larger than `limit` would read every
 * key again each time round).
 */
export function boundedMemo<T>(compute: (key: string) => T, limit = 1024): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    if (memo.has(key)) return memo.get(key) as T;
    const value = compute(key);
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
    return value;
  };
}

/** What facts keep of one flag: small, whatever the size of its definition and of the segments it uses. */
interface OwnFacts {
  /** The flags it names as prerequisites. */
  readonly prerequisites: readonly string[];
  /** A hash of its own inputs (ownInputs): its definition, its segments, the experiments serving it. */
  readonly inputs: string;
  readonly contextFree: boolean;
}

const NO_PREREQUISITES: readonly string[] = Object.freeze([]);

/**
 * The facts of one flag of a revision (undefined: no such flag), each derived on first use and kept. Each flag's
 * definition is read once: what the facts need of it (OwnFacts) is kept, not the definition, so deriving every
 * flag's facts (an OFREP bulk request) reads each definition once and keeps a few dozen bytes per flag.
 */
export function factsOf(view: RulesetView): (key: string) => FlagFacts | undefined {
  const owns = new Map<string, OwnFacts | null>();
  const ownOf = (key: string): OwnFacts | null => {
    let own = owns.get(key);
    if (own === undefined) {
      const flag = view.flag(key);
      if (flag === undefined) own = null;
      else {
        const named = (Array.isArray(flag.prerequisites) ? (flag.prerequisites as unknown[]) : [])
          .filter((p): p is { flagKey: string } => isObject(p) && typeof p.flagKey === 'string')
          .map((p) => p.flagKey);
        const inputs = JSON.stringify(
          ownInputs(
            flag,
            (k) => view.segment(k),
            view.experiments,
            (k) => view.layer(k),
          ),
        );
        own = {
          prerequisites: named.length === 0 ? NO_PREREQUISITES : named,
          inputs: createHash('sha256').update(inputs).digest('base64url'),
          contextFree: isContextFree(flag, view.experiments),
        };
      }
      owns.set(key, own);
    }
    return own;
  };
  /**
   * Digests of whole prerequisite groups, built on the digests below them (a Merkle tree over the graph's
   * strongly connected components, found by an iterative Tarjan walk from `root` over what has no digest yet): a
   * group hashes its flags' keys and own inputs and the digests of the groups it requires. A flag's digest moves
   * iff anything it reaches moves, as hashing its whole closure did, but deriving every flag's costs O(flags +
   * edges) — one closure per flag cost O(flags × depth): 14 s for a chain of 10 000 flags.
   */
  const groupDigests = new Map<string, string>();
  const digestOf = (root: string): string => {
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const frames: { key: string; next: number }[] = [];
    const open = (key: string) => {
      index.set(key, counter);
      low.set(key, counter++);
      stack.push(key);
      onStack.add(key);
      frames.push({ key, next: 0 });
    };
    if (!groupDigests.has(root)) open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const requires = ownOf(frame.key)?.prerequisites ?? NO_PREREQUISITES;
      if (frame.next < requires.length) {
        const next = requires[frame.next++]!;
        if (groupDigests.has(next)) continue;
        if (!index.has(next)) open(next);
        else if (onStack.has(next)) low.set(frame.key, Math.min(low.get(frame.key)!, index.get(next)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.key, Math.min(low.get(parent.key)!, low.get(frame.key)!));
      if (low.get(frame.key) !== index.get(frame.key)) continue;
      // frame.key heads a group: its members are on the stack down to it.
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== frame.key);
      members.sort();
      const inGroup = new Set(members);
      const below = new Set<string>();
      for (const m of members) {
        for (const next of ownOf(m)?.prerequisites ?? NO_PREREQUISITES) {
          if (!inGroup.has(next)) below.add(groupDigests.get(next)!);
        }
      }
      const hash = createHash('sha256').update(String(view.hashVersion));
      for (const m of members) hash.update(JSON.stringify(m)).update(ownOf(m)?.inputs ?? 'null');
      for (const digest of [...below].sort()) hash.update(digest);
      const digest = hash.digest('base64url');
      for (const m of members) groupDigests.set(m, digest);
    }
    return groupDigests.get(root)!;
  };
  const facts = new Map<string, FlagFacts | undefined>();
  return (key) => {
    if (facts.has(key)) return facts.get(key);
    const own = ownOf(key);
    const found =
      own === null ? undefined : { digest: digestOf(key).slice(0, 16), contextFree: own.contextFree };
    facts.set(key, found);
    return found;
  };
}

/** A parsed ruleset document as a view (the first definition of a duplicated key, as the engine). */
export function rulesetView(ruleset: Ruleset): RulesetView {
  const keyed = <T extends { key?: unknown }>(list: unknown): T[] =>
    (Array.isArray(list) ? (list as unknown[]) : []).filter(
      (item): item is T => isObject(item) && typeof item.key === 'string',
    );
  const flags = new Map<string, RulesetFlag>();
  for (const flag of keyed<RulesetFlag>(ruleset.flags)) if (!flags.has(flag.key)) flags.set(flag.key, flag);
  const segments = new Map(keyed<{ key: string }>(ruleset.segments).map((s) => [s.key, s]));
  const layers = new Map(keyed<{ key: string }>(ruleset.layers).map((l) => [l.key, l]));
  return {
    hashVersion: ruleset.hashVersion,
    flagKeys: () => flags.keys(),
    flag: (key) => flags.get(key),
    segment: (key) => segments.get(key),
    layer: (key) => layers.get(key),
    experiments: keyed<RulesetExperiment>(ruleset.experiments),
  };
}

/** The facts of every flag of a revision, by key. */
export function flagFacts(ruleset: Ruleset): ReadonlyMap<string, FlagFacts> {
  const view = rulesetView(ruleset);
  const of = factsOf(view);
  const facts = new Map<string, FlagFacts>();
  for (const key of view.flagKeys()) facts.set(key, of(key)!);
  return facts;
}

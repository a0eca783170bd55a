import { segmentKeysOf, type Condition, type Ruleset } from '../../../shared/rules';

type Keyed = { readonly key: string };

function byKey<T extends Keyed>(items: readonly T[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of items ?? []) {
    if (typeof item?.key === 'string' && !map.has(item.key)) map.set(item.key, JSON.stringify(item));
  }
  return map;
}

/** Keys added, removed or defined differently between two versions of a collection. */
function differing(before: Map<string, string>, after: Map<string, string>): Set<string> {
  const changed = new Set<string>();
  for (const [key, definition] of after) if (before.get(key) !== definition) changed.add(key);
  for (const key of before.keys()) if (!after.has(key)) changed.add(key);
  return changed;
}

function segmentsOf(conditions: readonly (Condition | undefined)[]): string[] {
  const keys: string[] = [];
  for (const condition of conditions) {
    if (condition === undefined) continue;
    try {
      keys.push(...segmentKeysOf(condition));
    } catch {
      // A condition the engine cannot read compiles to an error either way; its own change is what counts.
    }
  }
  return keys;
}

/**
 * The flags whose evaluation may differ between two ruleset revisions: those added, removed or redefined;
 * those whose rules read a segment that changed; those an experiment serves whose experiment (or its layer)
 * changed, started or stopped; and, transitively, those with a prerequisite on any of these. Flags untouched
 * by the change are not named, so a ConfigurationChanged event tells a listener exactly what to re-read.
 */
export function changedFlags(before: Ruleset, after: Ruleset): string[] {
  const flagsBefore = byKey(before.flags);
  const flagsAfter = byKey(after.flags);
  const changed = differing(flagsBefore, flagsAfter);

  const segments = differing(byKey(before.segments), byKey(after.segments));
  const layers = differing(byKey(before.layers), byKey(after.layers));
  const experiments = differing(byKey(before.experiments), byKey(after.experiments));
  for (const ruleset of [before, after]) {
    for (const experiment of ruleset.experiments ?? []) {
      const touched =
        experiments.has(experiment.key) ||
        (experiment.layer !== undefined && layers.has(experiment.layer)) ||
        segmentsOf([experiment.conditions]).some((s) => segments.has(s));
      if (touched && experiment.flagKey !== undefined) changed.add(experiment.flagKey);
    }
    if (segments.size > 0) {
      for (const flag of ruleset.flags) {
        const read = segmentsOf((flag.rules ?? []).map((r) => r.conditions));
        if (read.some((s) => segments.has(s))) changed.add(flag.key);
      }
    }
  }

  // Prerequisites: a flag that depends on a changed flag may change too, however deep.
  const dependents = new Map<string, string[]>();
  for (const flag of after.flags) {
    for (const prerequisite of flag.prerequisites ?? []) {
      const list = dependents.get(prerequisite.flagKey) ?? [];
      list.push(flag.key);
      dependents.set(prerequisite.flagKey, list);
    }
  }
  const pending = [...changed];
  while (pending.length > 0) {
    for (const dependent of dependents.get(pending.pop()!) ?? []) {
      if (!changed.has(dependent)) {
        changed.add(dependent);
        pending.push(dependent);
      }
    }
  }
  // Only flags that exist on one side: an experiment may name a flag key that is not in the ruleset.
  return [...changed].filter((key) => flagsBefore.has(key) || flagsAfter.has(key)).sort();
}

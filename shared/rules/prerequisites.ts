/**
 * Prerequisite graphs (SPEC §2.1): a flag lists `{flagKey, variation}` pairs it depends on. Cycles are refused
 * on write with `findPrerequisiteCycle`; the engine refuses them again when compiling (and bounds depth at
 * run time), since a ruleset may be assembled by hand.
 */
export interface PrerequisiteNode {
  readonly key: string;
  readonly prerequisites?: readonly { readonly flagKey: string }[];
}

/** Longest prerequisite chain the engine follows; deeper chains evaluate to ERROR. */
export const MAX_PREREQUISITE_DEPTH = 32;

/**
 * The first prerequisite cycle found, as a path that starts and ends with the same key
 * (`['a', 'b', 'a']`), or null. Prerequisites naming unknown flags are ignored here.
 */
export function findPrerequisiteCycle(flags: readonly PrerequisiteNode[]): string[] | null {
  const byKey = new Map(flags.map((flag) => [flag.key, flag]));
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];

  // Iterative depth-first search: the graph may be large and hand-made, recursion could overflow.
  for (const root of flags) {
    if (done.has(root.key)) continue;
    const stack: { key: string; next: number }[] = [{ key: root.key, next: 0 }];
    onPath.set(root.key, 0);
    path.push(root.key);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const prerequisites = byKey.get(frame.key)?.prerequisites ?? [];
      if (frame.next < prerequisites.length) {
        const child = prerequisites[frame.next++]!.flagKey;
        const at = onPath.get(child);
        if (at !== undefined) return [...path.slice(at), child];
        if (done.has(child) || !byKey.has(child)) continue;
        onPath.set(child, path.length);
        path.push(child);
        stack.push({ key: child, next: 0 });
      } else {
        stack.pop();
        path.pop();
        onPath.delete(frame.key);
        done.add(frame.key);
      }
    }
  }
  return null;
}

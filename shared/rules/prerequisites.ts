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

/** A flag's prerequisite edges as the engine counts them, or undefined when there is no such flag. */
export type PrerequisiteEdges = (key: string) => readonly { readonly flagKey: string }[] | undefined;

/**
 * The longest prerequisite chain below each flag of `roots`, and below every flag they reach that `known` has no
 * depth for (0: no prerequisites; Infinity: a cycle is reachable). Edges to flags that do not exist are ignored.
 * Results go into `into`, which later calls read as well: a large graph can be walked root batch by root batch,
 * and an incremental caller passes the depths it keeps in `known` for flags whose prerequisites below did not
 * change (a flag's depth depends only on what it reaches).
 */
export function prerequisiteDepths(
  roots: Iterable<string>,
  edgesOf: PrerequisiteEdges,
  known: (key: string) => number | undefined = () => undefined,
  into = new Map<string, number>(),
): Map<string, number> {
  const depthOf = (key: string) => into.get(key) ?? known(key);
  const inProgress = new Set<string>();
  // Iterative depth-first search: the graph may be large and hand-made, recursion could overflow.
  for (const root of roots) {
    if (depthOf(root) !== undefined || edgesOf(root) === undefined) continue;
    const stack: { key: string; next: number; deepest: number }[] = [{ key: root, next: 0, deepest: 0 }];
    inProgress.add(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const prerequisites = edgesOf(frame.key) ?? [];
      if (frame.next < prerequisites.length) {
        const child = prerequisites[frame.next++]!.flagKey;
        if (edgesOf(child) === undefined) continue;
        const depth = depthOf(child);
        // A flag still on the path: every flag from it down to here is on a cycle.
        if (inProgress.has(child)) frame.deepest = Infinity;
        else if (depth !== undefined) frame.deepest = Math.max(frame.deepest, depth + 1);
        else {
          inProgress.add(child);
          stack.push({ key: child, next: 0, deepest: 0 });
        }
      } else {
        stack.pop();
        inProgress.delete(frame.key);
        into.set(frame.key, frame.deepest);
        const parent = stack[stack.length - 1];
        if (parent !== undefined) parent.deepest = Math.max(parent.deepest, frame.deepest + 1);
      }
    }
  }
  return into;
}

/** Where a flag's walk to its cycle ends: the cycle, and the position in it the flag's message starts from. */
export interface CycleReached {
  readonly cycle: readonly string[];
  readonly from: number;
}

/**
 * Why a flag cannot be evaluated whatever its definition, from its depth (prerequisiteDepths), or undefined: a
 * cycle it reaches — from the flag, the first prerequisite that reaches one, until a flag comes round again (a
 * flag on a cycle names its own; one above names the cycle below it, from where it enters it) — or a chain deeper
 * than MAX_PREREQUISITE_DEPTH. It reads only what the flag reaches, so it changes only when that does. `reached`
 * remembers the walks of one graph (pass the same map for every flag of it): a long chain above a cycle is walked
 * once, not once per flag on it.
 */
export function prerequisiteProblem(
  key: string,
  edgesOf: PrerequisiteEdges,
  depthOf: (key: string) => number | undefined,
  reached = new Map<string, CycleReached>(),
): string | undefined {
  const depth = depthOf(key);
  if (depth === undefined || depth <= MAX_PREREQUISITE_DEPTH) return undefined;
  if (depth !== Infinity) return `prerequisites nested deeper than ${MAX_PREREQUISITE_DEPTH}`;
  const path: string[] = [];
  const at = new Map<string, number>();
  let current = key;
  let end: CycleReached | undefined;
  while ((end = reached.get(current)) === undefined) {
    const seen = at.get(current);
    if (seen !== undefined) {
      const cycle = path.slice(seen);
      cycle.forEach((member, from) => reached.set(member, { cycle, from }));
      path.length = seen;
      continue;
    }
    at.set(current, path.length);
    path.push(current);
    const next = (edgesOf(current) ?? []).find(
      (edge) => edgesOf(edge.flagKey) !== undefined && depthOf(edge.flagKey) === Infinity,
    )?.flagKey;
    // Unreachable for depths from prerequisiteDepths: a flag that reaches a cycle has a prerequisite that does.
    if (next === undefined) return 'prerequisite cycle';
    current = next;
  }
  // The flags walked before: they enter the cycle where the flag they led to enters it.
  for (const walked of path) reached.set(walked, end);
  const { cycle, from } = reached.get(key)!;
  return `prerequisite cycle: ${[...cycle.slice(from), ...cycle.slice(0, from), cycle[from]].join(' → ')}`;
}

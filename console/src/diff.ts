/**
 * What changed between an audit entry's `before` and `after`: one row per leaf path (`rules.0.serve.variation`)
 * whose value differs, objects and arrays walked down, values shown as compact JSON. A creation has no before
 * and a deletion no after: every leaf is then a row.
 */
export interface DiffRow {
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

function leaves(value: unknown, path: string, into: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) into.set(path, JSON.stringify(value));
    for (const [key, child] of entries) leaves(child, path === '' ? key : `${path}.${key}`, into);
  } else if (value !== undefined) {
    into.set(path, JSON.stringify(value));
  }
  return into;
}

/** Fields every change bumps: left out so that the rows say what the person changed. */
const BOOKKEEPING = new Set(['version', 'updatedAt']);

export function diffRows(before: unknown, after: unknown): DiffRow[] {
  const a =
    before === null || before === undefined ? new Map<string, string>() : leaves(before, '', new Map());
  const b = after === null || after === undefined ? new Map<string, string>() : leaves(after, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths
    .filter((path) => a.get(path) !== b.get(path) && !BOOKKEEPING.has(path))
    .map((path) => ({ path: path === '' ? '(value)' : path, before: a.get(path), after: b.get(path) }));
}

import type { ServeInput } from '../rules/schema';
import { BASIS_POINTS } from './schema';

/**
 * The fallthrough of a stage at `percentage` basis points: the rolled-out variation FIRST, so its bucket range is
 * [0, p) and grows from 0 (SPEC §2.3). A unit in [0, p) is in [0, q) for every q > p: growth is sticky.
 */
export function stageSplit(
  rolledOut: string,
  replaced: string,
  percentage: number,
  bucketBy?: string,
): ServeInput {
  return {
    allocations: [
      { variation: rolledOut, weight: percentage },
      { variation: replaced, weight: BASIS_POINTS - percentage },
    ],
    ...(bucketBy === undefined ? {} : { bucketBy }),
  };
}

/**
 * The variation a schedule replaces: what the flag's fallthrough served before it started. When the fallthrough
 * was already a split (another ramp, a hand-made one), there is no single answer: the largest allocation that is
 * not the rolled-out variation is taken (the first of equals), the variation most units were served. Null when
 * the fallthrough serves nothing but the rolled-out variation (nothing to replace).
 */
export function replacedVariation(fallthrough: ServeInput, rolledOut: string): string | null {
  if ('variation' in fallthrough) return fallthrough.variation === rolledOut ? null : fallthrough.variation;
  let best: { variation: string; weight: number } | null = null;
  for (const a of fallthrough.allocations) {
    if (a.variation !== rolledOut && (best === null || a.weight > best.weight)) best = a;
  }
  return best?.variation ?? null;
}

/** The split's `bucketBy`, kept through the ramp. */
export function bucketByOf(fallthrough: ServeInput): string | undefined {
  return 'allocations' in fallthrough ? fallthrough.bucketBy : undefined;
}

/** Whether two serves give every unit the same variation (DynamoDB does not keep the order of a map's keys). */
export function sameServe(a: ServeInput, b: ServeInput): boolean {
  if ('variation' in a || 'variation' in b) {
    return 'variation' in a && 'variation' in b && a.variation === b.variation;
  }
  return (
    a.bucketBy === b.bucketBy &&
    a.allocations.length === b.allocations.length &&
    a.allocations.every(
      (x, i) => x.variation === b.allocations[i]?.variation && x.weight === b.allocations[i]?.weight,
    )
  );
}

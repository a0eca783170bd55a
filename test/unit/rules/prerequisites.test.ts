import {
  prerequisiteDepths,
  prerequisiteProblem,
  type CycleReached,
  type PrerequisiteEdges,
} from '../../../shared/rules/prerequisites';
import { seeded } from '../../support/ruleset-changes';

/** A graph as prerequisiteDepths reads it, from `key → keys it requires`; the edge reads are counted. */
function graphOf(requires: Record<string, string[]>) {
  let reads = 0;
  const edgesOf: PrerequisiteEdges = (key) => {
    reads++;
    return requires[key]?.map((flagKey) => ({ flagKey }));
  };
  const depths = prerequisiteDepths(Object.keys(requires), edgesOf);
  return { edgesOf, depthOf: (key: string) => depths.get(key), reads: () => reads };
}

describe('prerequisiteProblem', () => {
  it('gives every flag the answer it gives alone when the walks of one graph are remembered', () => {
    const random = seeded(7);
    for (let round = 0; round < 200; round++) {
      // 30 flags, each requiring 0–3 random others (some missing): cycles, chains and flags above both.
      const keys = Array.from({ length: 30 }, (_, i) => `f${i}`);
      const requires = Object.fromEntries(
        keys.map((key) => [
          key,
          Array.from({ length: Math.floor(random() * 4) }, () => `f${Math.floor(random() * 34)}`),
        ]),
      );
      const { edgesOf, depthOf } = graphOf(requires);
      const reached = new Map<string, CycleReached>();
      const order = [...keys].sort(() => random() - 0.5);
      for (const key of order) {
        expect(prerequisiteProblem(key, edgesOf, depthOf, reached)).toBe(
          prerequisiteProblem(key, edgesOf, depthOf),
        );
      }
    }
  });

  it('walks a long chain above a cycle once, not once per flag on it', () => {
    // c0 → c1 → … → c4999 → x → y → x
    const length = 5000;
    const requires: Record<string, string[]> = { x: ['y'], y: ['x'] };
    for (let i = 0; i < length; i++) requires[`c${i}`] = [i + 1 < length ? `c${i + 1}` : 'x'];
    const { edgesOf, depthOf, reads } = graphOf(requires);
    const before = reads();
    const reached = new Map<string, CycleReached>();
    for (let i = length - 1; i >= 0; i--) {
      expect(prerequisiteProblem(`c${i}`, edgesOf, depthOf, reached)).toBe('prerequisite cycle: x → y → x');
    }
    expect(prerequisiteProblem('y', edgesOf, depthOf, reached)).toBe('prerequisite cycle: y → x → y');
    // Each flag's edges and its prerequisites' read a bounded number of times: linear, not quadratic (~12.5 M).
    expect(reads() - before).toBeLessThan(10 * length);
  });
});

import { Layered } from '../../../shared/rules/layered';

describe('Layered', () => {
  it('answers as a map with the changes applied, leaving every earlier version as it was', async () => {
    const reference = new Map<string, number>();
    const versions: { layered: Layered<number>; expected: Map<string, number> }[] = [];
    let layered = Layered.empty<number>();
    // Enough changes to fold the overlay into a new base more than once.
    for (let step = 0; step < 12_000; step++) {
      const key = `k${(step * 7919) % 3001}`;
      const value = step % 5 === 0 ? null : step;
      layered = await layered.with([[key, value]]);
      if (value === null) reference.delete(key);
      else reference.set(key, value);
      if (step % 1000 === 0) versions.push({ layered, expected: new Map(reference) });
    }
    versions.push({ layered, expected: new Map(reference) });
    for (const { layered: version, expected } of versions) {
      expect([...version.keys()].sort()).toEqual([...expected.keys()].sort());
      for (let i = 0; i < 3001; i++) expect(version.get(`k${i}`)).toBe(expected.get(`k${i}`));
    }
  });

  it('takes a change larger than the overlay in one go, the later value of a key winning', async () => {
    const reference = new Map<string, number>();
    let layered = Layered.empty<number>();
    const versions: { layered: Layered<number>; expected: Map<string, number> }[] = [];
    for (let round = 0; round < 4; round++) {
      // 6 000 writes over 4 000 keys: keys repeat within the change, some deleted after being set.
      const change: [string, number | null][] = Array.from({ length: 6000 }, (_, i) => {
        const key = `k${(i * 7919 + round * 13) % 4000}`;
        return [key, (i + round) % 7 === 0 ? null : i * 10 + round];
      });
      let ticks = 0;
      layered = await layered.with(change, () => {
        ticks++;
        return Promise.resolve();
      });
      expect(ticks).toBeGreaterThanOrEqual(6);
      for (const [key, value] of change) {
        if (value === null) reference.delete(key);
        else reference.set(key, value);
      }
      versions.push({ layered, expected: new Map(reference) });
    }
    for (const { layered: version, expected } of versions) {
      expect(new Set(version.keys())).toEqual(new Set(expected.keys()));
      for (let i = 0; i < 4000; i++) expect(version.get(`k${i}`)).toBe(expected.get(`k${i}`));
    }
  });
});

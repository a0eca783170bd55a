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
});

import type { BoundStore, RunningBounds, StoredBounds } from '../../../shared/results/bounds';

/** The bound store in memory, with the same conditional write as DynamoBoundStore; counts writes. */
export class MemoryBoundStore implements BoundStore {
  readonly items = new Map<string, StoredBounds>();
  writes = 0;

  async read(experimentKey: string): Promise<StoredBounds> {
    return this.items.get(experimentKey) ?? { version: 0, bounds: {} };
  }

  async write(experimentKey: string, bounds: RunningBounds, expectedVersion: number): Promise<boolean> {
    if ((this.items.get(experimentKey)?.version ?? 0) !== expectedVersion) return false;
    this.writes++;
    this.items.set(experimentKey, { version: expectedVersion + 1, bounds });
    return true;
  }
}

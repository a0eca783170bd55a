/**
 * An immutable map from string keys, changed by making a new one that shares the old one's contents: a large base
 * plus a small overlay of the changes since (null = deleted). Each revision of a 50 000-flag ruleset is one of
 * these, so applying a change costs the size of the change, not a copy of 50 000 entries (and the garbage of
 * one); when the overlay passes MAX_OVERLAY it is folded into a new base, once every few thousand changes.
 */
const MAX_OVERLAY = 2048;

export class Layered<V> {
  private constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly overlay: ReadonlyMap<string, V | null>,
  ) {}

  static empty<V>(): Layered<V> {
    return new Layered<V>(new Map(), new Map());
  }

  get(key: string): V | undefined {
    const changed = this.overlay.get(key);
    if (changed === undefined) return this.base.get(key);
    return changed ?? undefined;
  }

  *keys(): IterableIterator<string> {
    for (const key of this.base.keys()) if (!this.overlay.has(key)) yield key;
    for (const [key, value] of this.overlay) if (value !== null) yield key;
  }

  /**
   * A new map with `changes` (null deletes); this one is unchanged. `tick` runs every 1 000 entries written, so a
   * caller can give the event loop a turn during a large change (a full load writes 50 000).
   */
  async with(
    changes: Iterable<readonly [string, V | null]>,
    tick: () => Promise<void> = () => Promise.resolve(),
  ): Promise<Layered<V>> {
    let written = 0;
    const step = async () => {
      if (++written % 1000 === 0) await tick();
    };
    const overlay = new Map(this.overlay);
    // Past MAX_OVERLAY changes, the rest go straight into a new base (a full load writes 50 000: one map, not an
    // overlay of 50 000 copied into a base afterwards).
    let base: Map<string, V> | null = null;
    const fold = async (): Promise<Map<string, V>> => {
      const folded = new Map(this.base);
      for (const [key, value] of overlay) {
        if (value === null) folded.delete(key);
        else folded.set(key, value);
        await step();
      }
      overlay.clear();
      return folded;
    };
    for (const [key, value] of changes) {
      if (base === null) {
        overlay.set(key, value);
        if (overlay.size > MAX_OVERLAY) base = await fold();
      } else if (value === null) base.delete(key);
      else base.set(key, value);
      await step();
    }
    return base === null
      ? new Layered<V>(this.base, overlay)
      : new Layered<V>(base, new Map<string, V | null>());
  }
}

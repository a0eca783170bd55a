import type { CompiledRuleset, RulesetExperiment, RulesetFlag, RulesetLayer, RulesetSegment } from '../rules';
import { Layered } from '../rules/layered';
import { IncrementalRuleset, type Entry, type RulesetChanges, type Slicer } from '../rules/incremental';
import { logger } from '../observability';
import { boundedMemo, type RulesetView } from '../evaluation/flag-facts';
import type { RulesetCache } from './cache';
import { joinRulesetDocument } from './document';
import {
  entryId,
  parseEntryId,
  type EntryId,
  type EntryKind,
  type RulesetRepository,
  type StoredEntry,
} from './repository';

/** Each kind's entries as JSON text by key, per revision (a revision shares all but its changes with the previous). */
type Texts = Readonly<Record<EntryKind, Layered<string>>>;

/** What an instance holds of one revision: the compiled ruleset and the texts its document is joined from. */
interface Loaded {
  readonly engine: IncrementalRuleset;
  readonly revision: number;
  readonly ruleset: CompiledRuleset;
  readonly texts: Texts;
}

export interface RulesetSourceOptions {
  /** Longest run of synchronous work while loading or applying, before the event loop gets a turn. @default 10 */
  readonly sliceMs?: number;
  /** Revisions behind beyond which an instance loads everything instead of catching up. @default 500 */
  readonly maxGap?: number;
  /** Changed entries beyond which catching up loads everything instead. @default 20 000 */
  readonly maxChangedEntries?: number;
}

/** What the last refresh did, for the bench and the logs. */
export interface RefreshReport {
  readonly kind: 'full' | 'delta';
  readonly revision: number;
  readonly entries: number;
  readonly replaced: number;
}

/** Gives the event loop a turn (setImmediate: after pending I/O) once `budgetMs` of work has run. */
export function timeSlicer(budgetMs: number): Slicer {
  let started = performance.now();
  return {
    due: () => performance.now() - started > budgetMs,
    pause: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          started = performance.now();
          resolve();
        }),
      ),
  };
}

/**
 * An entry whose definition is parsed each time it is read: the engine reads it once when it applies the entry
 * and again when it compiles the flag, so no parsed copy outlives either (a full load parses 50 000 flags without
 * holding them all at once).
 */
function parsedOnRead<T>(text: string): Entry<T> {
  const reload = () => JSON.parse(text) as T;
  return {
    get value() {
      return reload();
    },
    reload,
  };
}

/**
 * The entries of a whole document (a revision published before entries), as the publisher writes them: each
 * resource's wire form as JSON text, which JSON.parse then JSON.stringify gives back unchanged.
 */
function wholeDocumentEntries(body: string, revision: number): StoredEntry[] {
  const document = JSON.parse(body) as {
    flags?: { key: string }[];
    segments?: { key: string }[];
    experiments?: { key: string }[];
    layers?: { key: string }[];
  };
  const entries: StoredEntry[] = [];
  const add = (kind: EntryKind, items: { key: string }[] | undefined) => {
    for (const item of items ?? [])
      entries.push({ kind, key: item.key, rev: revision, text: JSON.stringify(item) });
  };
  add('segment', document.segments);
  add('layer', document.layers);
  add('experiment', document.experiments);
  add('flag', document.flags);
  return entries;
}

const EMPTY_TEXTS: Texts = {
  flag: Layered.empty(),
  segment: Layered.empty(),
  experiment: Layered.empty(),
  layer: Layered.empty(),
};

/**
 * Where evaluation gets its ruleset: L1, this execution environment's copy, revalidated at most every
 * `revalidateMs` against the cache's current revision (DynamoDB's pointer when the cache has none or is down).
 * A newer revision is applied change by change: the deltas since the revision held name the entries to read
 * again, and only the flags they affect are replaced (shared/rules/incremental.ts). Far behind, with a delta
 * expired, or on a cold start, it loads every entry — in slices, so the event loop is never held long. If
 * the lookups fail, the L1 copy keeps serving: evaluation answers from the last good ruleset rather than
 * erroring.
 */
export class RulesetSource {
  private loaded: Loaded | null = null;
  /**
   * Set when applying a change to the held engine failed part-way: the engine changes its tables in place before
   * the new revision's snapshot is taken, so it cannot be trusted with another change. The snapshot held keeps
   * serving; the next refresh loads everything into a new engine.
   */
  private engineSpoiled = false;
  private checkedAt = 0;
  private refreshing: Promise<CompiledRuleset> | null = null;
  private document: { revision: number; body: Promise<string> } | null = null;
  private readonly sliceMs: number;
  private readonly maxGap: number;
  private readonly maxChangedEntries: number;
  /** What the last refresh that changed something did. */
  lastRefresh: RefreshReport | null = null;

  constructor(
    private readonly repository: RulesetRepository,
    private readonly cache: RulesetCache,
    private readonly revalidateMs = 2000,
    private readonly now: () => number = Date.now,
    options: RulesetSourceOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? 10;
    this.maxGap = options.maxGap ?? 500;
    this.maxChangedEntries = options.maxChangedEntries ?? 20_000;
  }

  async get(): Promise<CompiledRuleset> {
    if (this.loaded !== null && this.now() - this.checkedAt < this.revalidateMs) return this.loaded.ruleset;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refresh(): Promise<CompiledRuleset> {
    try {
      const revision =
        (await this.cache.currentRevision()) ?? (await this.repository.current())?.revision ?? 0;
      const held = this.loaded;
      if (held === null || this.engineSpoiled) {
        this.loaded = await this.fullLoad();
        this.engineSpoiled = false;
      } else if (revision > held.revision) {
        const caughtUp = await this.catchUp(held, revision);
        if (caughtUp !== null) this.loaded = caughtUp;
        // No way through the deltas: load everything — unless DynamoDB's pointer is still the revision held (the
        // cache names a revision the table does not have, after a restore): loading again would change nothing,
        // at every revalidation.
        else if (((await this.repository.current())?.revision ?? 0) !== held.revision) {
          this.loaded = await this.fullLoad();
        }
      }
      this.checkedAt = this.now();
      // The document joined for an earlier revision (tens of MB at 50 000 flags) is not served again.
      if (this.document !== null && this.document.revision !== this.loaded!.revision) this.document = null;
      return this.loaded!.ruleset;
    } catch (error) {
      if (this.loaded === null) throw error;
      logger.error('ruleset refresh failed; serving the last good revision', {
        revision: this.loaded.revision,
        error: (error as Error).message,
      });
      this.checkedAt = this.now();
      return this.loaded.ruleset;
    }
  }

  /**
   * Every entry, then the deltas of revisions written meanwhile: read the pointer (P), read all entries, and
   * when one was written after P, catch up to the newest revision seen through its deltas.
   */
  private async fullLoad(): Promise<Loaded> {
    const slicer = timeSlicer(this.sliceMs);
    const pointer = await this.repository.current();
    const engine = new IncrementalRuleset();
    if (pointer === null) {
      return { engine, revision: 0, ruleset: engine.current, texts: EMPTY_TEXTS };
    }
    if (pointer.layout !== 'entries') {
      // Published before entries (whole documents): served as it is until the publisher moves the pointer to
      // entries; that revision has no delta, so the next refresh loads its entries.
      const collected = wholeDocumentEntries(
        await this.repository.wholeDocument(pointer.revision),
        pointer.revision,
      );
      const start: Loaded = { engine, revision: 0, ruleset: engine.current, texts: EMPTY_TEXTS };
      const { loaded, replaced } = await this.apply(start, pointer.revision, collected, [], slicer);
      this.lastRefresh = { kind: 'full', revision: pointer.revision, entries: collected.length, replaced };
      return loaded;
    }
    const collected: StoredEntry[] = [];
    let newest = pointer.revision;
    await this.repository.scanEntries(async (page) => {
      for (const entry of page) {
        newest = Math.max(newest, entry.rev);
        if (entry.text !== null) collected.push(entry);
      }
      if (slicer.due()) await slicer.pause();
    });
    const start: Loaded = { engine, revision: 0, ruleset: engine.current, texts: EMPTY_TEXTS };
    const { loaded, replaced } = await this.apply(start, pointer.revision, collected, [], slicer);
    this.lastRefresh = { kind: 'full', revision: pointer.revision, entries: collected.length, replaced };
    if (newest === pointer.revision) return loaded;
    const caughtUp = await this.catchUp(loaded, newest);
    if (caughtUp === null) throw new Error('ruleset entries kept changing during a full load');
    return caughtUp;
  }

  /**
   * From the revision held to `target` (or later) through the deltas: null when a delta is missing (expired)
   * or the gap is too large, and the caller loads everything.
   */
  private async catchUp(held: Loaded, target: number): Promise<Loaded | null> {
    const slicer = timeSlicer(this.sliceMs);
    const pending = new Set<EntryId>();
    let from = held.revision;
    let to = target;
    for (;;) {
      if (to - held.revision > this.maxGap) return null;
      const deltas = await this.repository.deltas(from + 1, to);
      if (deltas.length !== to - from) return null;
      for (const delta of deltas) for (const id of delta.changes) pending.add(id);
      if (pending.size > this.maxChangedEntries) return null;
      const entries = await this.repository.entries([...pending]);
      // An entry written after `to`: a later revision is out, catch up to it as well.
      const newest = entries.reduce((max, e) => Math.max(max, e.rev), to);
      if (newest > to) {
        from = to;
        to = newest;
        continue;
      }
      const found = new Set(entries.map((e) => entryId(e.kind, e.key)));
      // No item at all: a tombstone that expired, so a deletion.
      const gone = [...pending].filter((id) => !found.has(id));
      const { loaded, replaced } = await this.apply(held, to, entries, gone, slicer);
      this.lastRefresh = { kind: 'delta', revision: to, entries: pending.size, replaced };
      return loaded;
    }
  }

  /** The next revision: `entries` upserted (tombstones deleted), `gone` deleted. */
  private async apply(
    held: Loaded,
    revision: number,
    entries: readonly StoredEntry[],
    gone: readonly EntryId[],
    slicer: Slicer,
  ): Promise<{ loaded: Loaded; replaced: number }> {
    const flags = new Map<string, Entry<RulesetFlag> | null>();
    const segments = new Map<string, Entry<RulesetSegment> | null>();
    const experiments = new Map<string, RulesetExperiment | null>();
    const layers = new Map<string, RulesetLayer | null>();
    const changed: Record<EntryKind, Map<string, string | null>> = {
      flag: new Map(),
      segment: new Map(),
      experiment: new Map(),
      layer: new Map(),
    };
    const put = (kind: EntryKind, key: string, text: string | null) => {
      changed[kind].set(key, text);
      if (text === null) {
        ({ flag: flags, segment: segments, experiment: experiments, layer: layers })[kind].set(key, null);
        return;
      }
      switch (kind) {
        case 'flag':
          flags.set(key, parsedOnRead<RulesetFlag>(text));
          break;
        case 'segment':
          segments.set(key, parsedOnRead<RulesetSegment>(text));
          break;
        case 'experiment':
          experiments.set(key, JSON.parse(text) as RulesetExperiment);
          break;
        case 'layer':
          layers.set(key, JSON.parse(text) as RulesetLayer);
          break;
      }
    };
    for (const entry of entries) {
      put(entry.kind, entry.key, entry.text);
      if (slicer.due()) await slicer.pause();
    }
    for (const id of gone) {
      const parsed = parseEntryId(id);
      if (parsed !== null) put(parsed.kind, parsed.key, null);
    }
    const changes: RulesetChanges = { flags, segments, experiments, layers };
    const { ruleset, replaced } = await held.engine
      .apply(revision, changes, slicer)
      .catch((error: unknown) => {
        this.engineSpoiled = true;
        throw error;
      });
    const tick = async () => {
      if (slicer.due()) await slicer.pause();
    };
    const texts: Record<EntryKind, Layered<string>> = { ...held.texts };
    for (const [kind, updates] of Object.entries(changed) as [EntryKind, Map<string, string | null>][]) {
      // The previous revision's document may still be in the making: it keeps its own texts.
      if (updates.size > 0) texts[kind] = await held.texts[kind].with(updates, tick);
      if (slicer.due()) await slicer.pause();
    }
    return { loaded: { engine: held.engine, revision, ruleset, texts }, replaced };
  }

  /**
   * The ruleset document of the current revision, for SDKs that evaluate locally (`GET /api/v1/sdk/ruleset`):
   * joined from the entries' texts on the first request for a revision (in slices), then kept.
   */
  async body(): Promise<{ revision: number; body: string }> {
    await this.get();
    const loaded = this.loaded!;
    if (this.document?.revision !== loaded.revision) {
      this.document = { revision: loaded.revision, body: this.join(loaded) };
    }
    return { revision: loaded.revision, body: await this.document.body };
  }

  /**
   * The current revision's definitions, parsed one by one when asked for (OFREP's flag facts read a flag, its
   * prerequisites and what they use, not the whole document).
   */
  async view(): Promise<{ revision: number; view: RulesetView }> {
    await this.get();
    const { revision, texts, ruleset } = this.loaded!;
    // Remembered a while only: the facts keep what they derive, not every definition a bulk request read.
    const parsed = <T>(kind: EntryKind) =>
      boundedMemo((key): T | undefined => {
        const text = texts[kind].get(key);
        return text === undefined ? undefined : (JSON.parse(text) as T);
      });
    return {
      revision,
      view: {
        hashVersion: ruleset.hashVersion,
        flagKeys: () => ruleset.flags.map((f) => f.key),
        flag: parsed<RulesetFlag>('flag'),
        segment: parsed<RulesetSegment>('segment'),
        layer: parsed<RulesetLayer>('layer'),
        experiments: [...texts.experiment.keys()]
          .sort()
          .map((key) => JSON.parse(texts.experiment.get(key)!) as RulesetExperiment),
      },
    };
  }

  private async join(loaded: Loaded): Promise<string> {
    const slicer = timeSlicer(this.sliceMs);
    const joined = async (texts: Layered<string>, order?: readonly string[]) => {
      const keys = order ?? [...texts.keys()].sort();
      const pieces: string[] = [];
      for (let i = 0; i < keys.length; i += 2000) {
        pieces.push(
          keys
            .slice(i, i + 2000)
            .map((k) => texts.get(k)!)
            .join(','),
        );
        if (slicer.due()) await slicer.pause();
      }
      return pieces;
    };
    return joinRulesetDocument(loaded.revision, {
      flags: await joined(
        loaded.texts.flag,
        loaded.ruleset.flags.map((f) => f.key),
      ),
      segments: await joined(loaded.texts.segment),
      experiments: await joined(loaded.texts.experiment),
      layers: await joined(loaded.texts.layer),
    });
  }
}

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigReader, scanConfiguration } from '../config/repository';
import type { Versioned } from '../config/versioning';
import type { Experiment } from '../experiments/requests';
import type { Flag } from '../flags/requests';
import type { Layer } from '../layers/requests';
import { logger } from '../observability';
import type { RulesetExperiment } from '../rules';
import type { Segment } from '../segments/requests';
import {
  rulesetEntries,
  toRulesetExperiment,
  toRulesetFlag,
  toRulesetLayer,
  toRulesetSegment,
  type RulesetConfiguration,
} from './document';
import {
  entryId,
  ENTRY_KINDS,
  parseEntryId,
  revisionBatches,
  type EntryId,
  type EntryKind,
  type EntryWrite,
  type RulesetPointer,
  type RulesetRepository,
} from './repository';

/** Where the publisher reads the configuration: all of it, or one resource (strongly consistent either way). */
export interface ConfigurationReader {
  all(): Promise<RulesetConfiguration>;
  get(kind: EntryKind, key: string): Promise<Flag | Segment | Experiment | Layer | null>;
}

/** The configuration as it is now: strongly consistent reads of the config table's base table, not of an index. */
export async function readRulesetConfiguration(
  doc: DynamoDBDocumentClient,
  configTable: string,
): Promise<RulesetConfiguration> {
  const byKind = await scanConfiguration(doc, configTable);
  return {
    flags: (byKind.get('flag') ?? []) as Flag[],
    segments: (byKind.get('segment') ?? []) as Segment[],
    experiments: (byKind.get('experiment') ?? []) as Experiment[],
    layers: (byKind.get('layer') ?? []) as Layer[],
  };
}

export function dynamoConfiguration(doc: DynamoDBDocumentClient, configTable: string): ConfigurationReader {
  const readers = new Map(
    ENTRY_KINDS.map((kind) => [kind, new ConfigReader<Versioned>(doc, configTable, kind)] as const),
  );
  return {
    all: () => readRulesetConfiguration(doc, configTable),
    get: async (kind, key) =>
      (await readers.get(kind)!.get(key)) as Flag | Segment | Experiment | Layer | null,
  };
}

/** A resource the ruleset is built from, as a change names it (a stream record's key). */
export interface ResourceRef {
  readonly kind: EntryKind;
  readonly key: string;
}

export interface PublishOutcome {
  /** Whether anything was written. */
  readonly published: boolean;
  /** The current revision afterwards. */
  readonly revision: number;
  /** Revisions written (a change larger than one transaction takes several). */
  readonly revisions: number;
  /** Entries written (upserts and deletes). */
  readonly writes: number;
}

/**
 * Attempts when another publisher moved the pointer first (parallel stream shards under a burst): exponential
 * backoff with full jitter, 25 ms doubling up to 2 s, about 10 s in all before the batch fails (and is retried by
 * the stream, then repaired by the sweep).
 */
const ATTEMPTS = 10;
const backoffMs = (attempt: number) => Math.random() * Math.min(2000, 25 * 2 ** attempt);

/** Upserts first, dependencies before dependents; then deletes, dependents first (see `publish`). */
const UPSERT_ORDER: Record<EntryKind, number> = { segment: 0, layer: 1, experiment: 2, flag: 3 };

/**
 * Publishes configuration changes as ruleset revisions (shared/rulesets/repository.ts): only the entries whose
 * wire form changed are written, a change that does not affect evaluation (an owner, a name, a version) writes
 * nothing, and concurrent publishers agree (each revision is conditioned on the previous one; the loser reads
 * again and finds less or nothing to do).
 */
export class RulesetPublisher {
  constructor(
    private readonly config: ConfigurationReader,
    private readonly rulesets: RulesetRepository,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Publish what changed about these resources (from the config stream). Without a pointer in the entries
   * layout (first publish, or one written before entries existed), publishes everything instead.
   */
  async publishChanges(changed: readonly ResourceRef[], now: Date = new Date()): Promise<PublishOutcome> {
    return this.retrying(async () => {
      const pointer = await this.rulesets.current();
      if (pointer?.layout !== 'entries') return null;
      const desired = await this.desiredFor(changed);
      // An entry whose blob is gone reads as '' (no wire form), so it is written again.
      const stored = await this.rulesets.entries([...desired.keys()], { blobs: 'report' });
      const current = new Map(stored.map((e) => [entryId(e.kind, e.key), e.text]));
      const writes: EntryWrite[] = [];
      for (const [id, text] of desired) {
        const previousText = current.get(id) ?? null;
        if (previousText !== text) writes.push({ ...parseEntryId(id)!, text, previousText });
      }
      return this.write(pointer, writes, now);
    });
  }

  /**
   * Publish the whole configuration: every entry compared with the stored ones (first publish, the repair
   * sweep, recovery). Writes only the differences.
   */
  async publishAll(now: Date = new Date()): Promise<PublishOutcome> {
    return this.retrying(() => this.publishEverything(now));
  }

  private async publishEverything(now: Date): Promise<PublishOutcome> {
    const pointer = await this.rulesets.current();
    const stored = new Map<EntryId, string>();
    const expiring: EntryWrite[] = [];
    // Also before the entries layout: entries left by an earlier move to it (code rolled forward, then back) are
    // compared too, so that what was deleted meanwhile is deleted there as well. Repair: an entry whose blob is
    // gone reads as '' and is written again (its parts stored again); one whose blob is set to expire under it
    // (a keep that failed after a late retirement) is kept below.
    await this.rulesets.scanEntries(
      (page) => {
        for (const e of page) {
          if (e.text === null) continue;
          stored.set(entryId(e.kind, e.key), e.text);
          if (e.blob === 'expiring') expiring.push({ kind: e.kind, key: e.key, text: e.text });
        }
      },
      undefined,
      { blobs: 'report' },
    );
    const desired = rulesetEntries(await this.config.all());
    const writes: EntryWrite[] = [];
    for (const [id, text] of desired) {
      const previousText = stored.get(id) ?? null;
      if (previousText !== text) writes.push({ ...parseEntryId(id)!, text, previousText });
    }
    for (const [id, previousText] of stored) {
      if (!desired.has(id)) writes.push({ ...parseEntryId(id)!, text: null, previousText });
    }
    if (pointer !== null && pointer.layout !== 'entries') return this.moveToEntries(pointer, writes, now);
    const outcome = await this.write(pointer, writes, now);
    const rewritten = new Set(writes.map((w) => entryId(w.kind, w.key)));
    const keep = expiring.filter((w) => !rewritten.has(entryId(w.kind, w.key)));
    if (keep.length > 0) {
      await this.settleBlobs(outcome.revision, keep, now);
    }
    return outcome;
  }

  private async retrying(run: () => Promise<PublishOutcome | null>): Promise<PublishOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await run()) ?? (await this.publishEverything(new Date()));
      } catch (error) {
        // Another publisher moved the pointer (or wrote the same items) first: read again, diff again.
        if (!(error instanceof TransactionCanceledException) || attempt >= ATTEMPTS) throw error;
        await this.sleep(backoffMs(attempt));
      }
    }
  }

  /**
   * The first revision in the entries layout, from none or from a whole-document revision: every entry staged,
   * then the pointer moved once. Until then instances serve what the pointer names (nothing, or the whole
   * document), never a configuration half written.
   */
  private async moveToEntries(
    pointer: RulesetPointer | null,
    writes: readonly EntryWrite[],
    now: Date,
  ): Promise<PublishOutcome> {
    for (const batch of revisionBatches(writes)) await this.rulesets.stageEntries(pointer, batch, now);
    const moved = await this.rulesets.flip(pointer, now);
    await this.settleBlobs(moved.revision, writes, now);
    if (pointer !== null) {
      try {
        await this.rulesets.retireWholeDocument(pointer.revision, now);
      } catch (error) {
        logger.error('whole-document ruleset not retired; its chunks stay', {
          revision: pointer.revision,
          error: describe(error),
        });
      }
    }
    return { published: true, revision: moved.revision, revisions: 1, writes: writes.length };
  }

  /**
   * After a revision committed, the blobs it replaced expire and the ones it points at are kept
   * (RulesetRepository.settleBlobs). Never fails the publish: the revision is out, and a replaced blob left
   * behind costs storage only. The failure is logged (a failed keep matters more: see keepBlob's race, whose
   * other half is a late retirement).
   */
  private async settleBlobs(revision: number, writes: readonly EntryWrite[], now: Date): Promise<void> {
    try {
      await this.rulesets.settleBlobs(writes, now);
    } catch (error) {
      logger.error('ruleset blobs not settled after a revision; replaced ones stay', {
        revision,
        error: describe(error),
      });
    }
  }

  /**
   * Write the changes as one revision, or several when they exceed one transaction. Then upserts go first,
   * segments and layers before the experiments and flags that use them, and deletes after, flags first: each
   * intermediate revision refers only to entries that exist.
   */
  private async write(
    pointer: RulesetPointer | null,
    writes: EntryWrite[],
    now: Date,
  ): Promise<PublishOutcome> {
    if (writes.length === 0) {
      return { published: false, revision: pointer?.revision ?? 0, revisions: 0, writes: 0 };
    }
    if (pointer === null) return this.moveToEntries(pointer, writes, now);
    const rank = (w: EntryWrite) => (w.text === null ? 10 - UPSERT_ORDER[w.kind] : UPSERT_ORDER[w.kind]);
    const ordered = writes
      .map((w, i) => ({ w, i }))
      .sort((a, b) => rank(a.w) - rank(b.w) || a.i - b.i)
      .map(({ w }) => w);
    let previous = pointer;
    let revisions = 0;
    const committed: EntryWrite[] = [];
    try {
      for (const batch of revisionBatches(ordered)) {
        previous = await this.rulesets.writeRevision(previous, batch, now);
        committed.push(...batch);
        revisions++;
      }
    } finally {
      // Once, after the last revision (between revisions it would widen the window in which another publisher
      // moves the pointer), and for what did commit when a later revision failed.
      if (committed.length > 0) await this.settleBlobs(previous.revision, committed, now);
    }
    return { published: true, revision: previous.revision, revisions, writes: writes.length };
  }

  /** The wanted text (null: absent) of every entry the changed resources decide. */
  private async desiredFor(changed: readonly ResourceRef[]): Promise<Map<EntryId, string | null>> {
    const unique = new Map(changed.map((r) => [entryId(r.kind, r.key), r]));
    const refs = [...unique.values()];
    const desired = new Map<EntryId, string | null>();
    const read = async <T>(kind: EntryKind, key: string) => (await this.config.get(kind, key)) as T | null;
    await inParallel(
      refs.filter((r) => r.kind === 'flag' || r.kind === 'segment'),
      async ({ kind, key }) => {
        if (kind === 'flag') {
          const flag = await read<Flag>(kind, key);
          desired.set(entryId(kind, key), flag === null ? null : JSON.stringify(toRulesetFlag(flag)));
        } else {
          const segment = await read<Segment>(kind, key);
          desired.set(
            entryId(kind, key),
            segment === null ? null : JSON.stringify(toRulesetSegment(segment)),
          );
        }
      },
    );
    const experimentKeys = refs.filter((r) => r.kind === 'experiment').map((r) => r.key);
    const layerKeys = new Set(refs.filter((r) => r.kind === 'layer').map((r) => r.key));
    if (experimentKeys.length === 0 && layerKeys.size === 0) return desired;

    // Which layers travel depends on every running experiment: the stored ones, overlaid with the changed ones.
    const running = new Map<string, RulesetExperiment>();
    await this.rulesets.scanEntries((page) => {
      for (const e of page) if (e.text !== null) running.set(e.key, JSON.parse(e.text) as RulesetExperiment);
    }, 'experiment');
    await inParallel(experimentKeys, async (key) => {
      const before = running.get(key)?.layer;
      if (before !== undefined) layerKeys.add(before);
      const experiment = await read<Experiment>('experiment', key);
      if (experiment?.status === 'ACTIVE') {
        const wire = toRulesetExperiment(experiment);
        running.set(key, wire);
        desired.set(entryId('experiment', key), JSON.stringify(wire));
        if (wire.layer !== undefined) layerKeys.add(wire.layer);
      } else {
        running.delete(key);
        desired.set(entryId('experiment', key), null);
      }
    });
    const used = new Set([...running.values()].flatMap((e) => (e.layer === undefined ? [] : [e.layer])));
    await inParallel([...layerKeys], async (key) => {
      const layer = used.has(key) ? await read<Layer>('layer', key) : null;
      desired.set(entryId('layer', key), layer === null ? null : JSON.stringify(toRulesetLayer(layer)));
    });
    return desired;
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError) return [error.message, ...error.errors.map(describe)].join('; ');
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Run `task` over `items`, at most `width` at a time. */
async function inParallel<T>(
  items: readonly T[],
  task: (item: T) => Promise<void>,
  width = 16,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}

import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ENTRY_SHARDS, keys } from '../db/keys';
import { backoffDelayMs, sleep } from '../retry';

/**
 * The published ruleset in the rulesets table (issue 17, goal 1), as entries rather than one document:
 *
 * - `ENTRIES#<shard>` / `<kind>#<key>`: one item per flag, segment, running experiment and used layer, holding
 *   its wire form as JSON text (`text`) and `rev`, the revision that last wrote it. A deleted entry stays a
 *   while as a tombstone (`deleted`, expiring), so an instance catching up sees when it went.
 * - `DELTAS` / `<revision>`: the entry keys one revision changed, expiring after DELTA_TTL_SECONDS.
 * - `CURRENT`: the pointer, `{revision, publishedAt, layout: 'entries'}`.
 *
 * A revision's entries, its delta and the pointer move in one TransactWriteItems conditioned on the pointer's
 * previous revision: concurrent publishers agree on one history, and a reader never sees a pointer ahead of its
 * entries. Text above INLINE_TEXT_BYTES goes to a content-addressed blob (`BLOB#<sha256>`, parts under the 400 KB
 * item limit) written before the transaction, so a revision stays small whatever the entry. Once a revision has
 * replaced or deleted such an entry, its old blob's parts are set to expire (`retireBlob`, `settleBlobs`); the
 * whole-document chunks the entries layout replaced expire the same way (`retireWholeDocument`).
 */
export const ENTRY_KINDS = ['segment', 'layer', 'experiment', 'flag'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** `<kind>#<key>`: how deltas and instances name an entry. */
export type EntryId = `${EntryKind}#${string}`;
export const entryId = (kind: EntryKind, key: string): EntryId => `${kind}#${key}`;
export function parseEntryId(id: string): { kind: EntryKind; key: string } | null {
  const cut = id.indexOf('#');
  const kind = id.slice(0, cut) as EntryKind;
  return cut > 0 && ENTRY_KINDS.includes(kind) ? { kind, key: id.slice(cut + 1) } : null;
}

export interface RulesetPointer {
  readonly revision: number;
  readonly publishedAt: string;
  /** Absent on pointers written before entries (whole documents in chunks): those need a full publish. */
  readonly layout?: 'entries';
}

/** An entry as stored: `text` null is a tombstone. */
export interface StoredEntry {
  readonly kind: EntryKind;
  readonly key: string;
  readonly rev: number;
  readonly text: string | null;
  /**
   * Set only when reading with `blobs: 'report'` (the publisher): the entry's blob is set to expire although the
   * entry points at it (a keep that failed after a late retirement), or its parts are gone (then `text` is '',
   * which no wire form equals, so the publisher writes the entry again).
   */
  readonly blob?: 'expiring' | 'missing';
}

/**
 * How reads treat an entry whose blob parts are gone: instances fail the read ('throw', the default: serving a
 * ruleset without that entry would be wrong); the publisher's repair reads them as broken ('report').
 */
export interface EntryReadOptions {
  readonly blobs?: 'throw' | 'report';
}

export interface Delta {
  readonly revision: number;
  readonly changes: readonly EntryId[];
}

/** One change of a revision: the entry's new text, or null to delete it. */
export interface EntryWrite {
  readonly kind: EntryKind;
  readonly key: string;
  readonly text: string | null;
  /**
   * The stored text this write replaces, as the publisher read it (null: none). When it was in a blob, that blob
   * is retired once the revision has committed (`settleBlobs`). Absent: not known, nothing is retired.
   */
  readonly previousText?: string | null;
}

/** Items in one transaction: DynamoDB takes at most 100 (entries + the delta + the pointer). */
export const MAX_WRITES_PER_REVISION = 98;
/** Bytes of entry text in one transaction: DynamoDB takes at most 4 MB per transaction. */
export const MAX_BYTES_PER_REVISION = 3 * 1024 * 1024;
/** Text above this goes to a blob: keeps a revision's transaction far below 4 MB and every item below 400 KB. */
export const INLINE_TEXT_BYTES = 32 * 1024;
/** Blob parts: an item holds at most 400 KB. */
export const CHUNK_BYTES = 300 * 1024;
/** Entries per Query page of a full load. */
const SCAN_PAGE_ITEMS = 250;
/** Entry partitions read at once by a full load. */
const SCAN_PARALLELISM = 4;
/** Deltas and tombstones live this long: an instance further behind than that loads everything again. */
export const DELTA_TTL_SECONDS = 24 * 3600;
/** Attempts at keeping a blob after its revision committed. */
const KEEP_ATTEMPTS = 5;
/** Items in one TransactWriteItems (DynamoDB's limit). */
const TRANSACTION_ITEMS = 100;

interface EntryItem {
  pk: string;
  sk: string;
  rev: number;
  text?: string;
  blob?: { hash: string; parts: number };
  deleted?: boolean;
  expiresAt?: number;
}

export class RulesetRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly rulesetsTable: string,
  ) {}

  async current(): Promise<RulesetPointer | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.rulesetsTable, Key: keys.rulesets.current, ConsistentRead: true }),
    );
    return (out.Item as RulesetPointer | undefined) ?? null;
  }

  /** The stored entries (tombstones included) of the given ids; ids with no item are left out. */
  async entries(ids: readonly EntryId[], options: EntryReadOptions = {}): Promise<StoredEntry[]> {
    const found: StoredEntry[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => {
        const { kind, key } = parseEntryId(id)!;
        return keys.rulesets.entry(kind, key);
      });
      for (let tries = 0; pending !== undefined && pending.length > 0; tries++) {
        if (tries > 8) throw new Error('DynamoDB kept ruleset entries unprocessed');
        const out: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.rulesetsTable]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        const items = (out.Responses?.[this.rulesetsTable] ?? []) as EntryItem[];
        found.push(...(await Promise.all(items.map((item) => this.toEntry(item, options)))));
        pending = out.UnprocessedKeys?.[this.rulesetsTable]?.Keys;
      }
    }
    return found;
  }

  /**
   * Every stored entry (tombstones included), page by page, SCAN_PARALLELISM partitions at a time.
   * `kind` restricts the read to one kind. `onPage` runs for one page at a time.
   */
  async scanEntries(
    onPage: (entries: StoredEntry[]) => Promise<void> | void,
    kind?: EntryKind,
    options: EntryReadOptions = {},
  ): Promise<void> {
    let queue = Promise.resolve();
    let nextShard = 0;
    const readShard = async (shard: number) => {
      const pages = paginateQuery(
        { client: this.doc },
        {
          TableName: this.rulesetsTable,
          KeyConditionExpression: kind === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :kind)',
          ExpressionAttributeValues: {
            ':pk': keys.rulesets.entryShard(shard),
            ...(kind === undefined ? {} : { ':kind': `${kind}#` }),
          },
          ConsistentRead: true,
          // Pages of a few hundred entries: the SDK reads, checksums and unmarshals each page in one go, and a
          // full 1 MB page held the event loop for tens of ms.
          Limit: SCAN_PAGE_ITEMS,
        },
      );
      for await (const page of pages) {
        const entries = await Promise.all(
          ((page.Items ?? []) as EntryItem[]).map((item) => this.toEntry(item, options)),
        );
        const handled = queue.then(() => onPage(entries));
        queue = handled;
        await handled;
      }
    };
    // A few partitions at a time: parallel enough to hide latency, without every page arriving at once.
    const readers = Array.from({ length: SCAN_PARALLELISM }, async () => {
      while (nextShard < ENTRY_SHARDS) await readShard(nextShard++);
    });
    await Promise.all(readers);
  }

  /** The deltas of revisions `from`..`to` (inclusive), in order; a missing one (expired) is left out. */
  async deltas(from: number, to: number): Promise<Delta[]> {
    const found: Delta[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.rulesetsTable,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': keys.rulesets.deltas,
            ':from': keys.rulesets.delta(from),
            ':to': keys.rulesets.delta(to),
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        found.push({ revision: Number(item.revision), changes: item.changes as EntryId[] });
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return found;
  }

  /**
   * Write `writes` as revision `previous + 1` with its delta, and move the pointer to it, on condition that the
   * pointer still says `previous` (null: no pointer yet). At most MAX_WRITES_PER_REVISION writes and
   * MAX_BYTES_PER_REVISION bytes of text (see revisionBatches). Throws TransactionCanceledException when
   * another publisher moved the pointer first.
   */
  async writeRevision(
    previous: RulesetPointer | null,
    writes: readonly EntryWrite[],
    now: Date,
  ): Promise<RulesetPointer> {
    const revision = (previous?.revision ?? 0) + 1;
    const expiresAt = Math.floor(now.getTime() / 1000) + DELTA_TTL_SECONDS;
    const items = await this.entryItems(writes, revision, expiresAt);
    const pointer: RulesetPointer = { revision, publishedAt: now.toISOString(), layout: 'entries' };
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...items.map((Item) => ({ Put: { TableName: this.rulesetsTable, Item } })),
          {
            Put: {
              TableName: this.rulesetsTable,
              Item: {
                pk: keys.rulesets.deltas,
                sk: keys.rulesets.delta(revision),
                revision,
                changes: writes.map((w) => entryId(w.kind, w.key)),
                expiresAt,
              },
            },
          },
          {
            Put: {
              TableName: this.rulesetsTable,
              Item: { ...keys.rulesets.current, ...pointer },
              ...unmoved(previous),
            },
          },
        ],
      }),
    );
    return pointer;
  }

  /**
   * The first revision in the entries layout, when it takes more than one transaction (the first publish of a
   * large configuration, or the move from whole documents): its entries are staged first, `batch` by `batch`,
   * each transaction conditioned on the pointer still being `previous` — nothing reads entries before the pointer
   * says `entries`, and a staging publisher that lost the race to another fails instead of overwriting entries
   * that are already served. Then `flip` moves the pointer. Throws TransactionCanceledException when the pointer
   * moved.
   */
  async stageEntries(
    previous: RulesetPointer | null,
    writes: readonly EntryWrite[],
    now: Date,
  ): Promise<void> {
    if (previous?.layout === 'entries') throw new Error('entries are staged only before the entries layout');
    const revision = (previous?.revision ?? 0) + 1;
    const expiresAt = Math.floor(now.getTime() / 1000) + DELTA_TTL_SECONDS;
    const items = await this.entryItems(writes, revision, expiresAt);
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...items.map((Item) => ({ Put: { TableName: this.rulesetsTable, Item } })),
          {
            ConditionCheck: {
              TableName: this.rulesetsTable,
              Key: keys.rulesets.current,
              ...unmoved(previous),
            },
          },
        ],
      }),
    );
  }

  /**
   * Move the pointer from `previous` (none, or a whole-document revision) to the next revision in the entries
   * layout, whose entries `stageEntries` wrote. It writes no delta: an instance holding an earlier revision finds
   * the delta missing and loads every entry, which is what a change of layout needs.
   */
  async flip(previous: RulesetPointer | null, now: Date): Promise<RulesetPointer> {
    const pointer: RulesetPointer = {
      revision: (previous?.revision ?? 0) + 1,
      publishedAt: now.toISOString(),
      layout: 'entries',
    };
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.rulesetsTable,
              Item: { ...keys.rulesets.current, ...pointer },
              ...unmoved(previous),
            },
          },
        ],
      }),
    );
    return pointer;
  }

  /**
   * The body of a revision published before entries (whole documents in chunks under `REVISION#N`): what an
   * instance serves while the pointer still names one, until the publisher has moved it to entries.
   */
  async wholeDocument(revision: number): Promise<string> {
    const parts = await this.partition<{ sk: string; data: string }>(keys.rulesets.wholeDocument(revision));
    if (parts.length === 0) throw new Error(`ruleset revision ${revision} has no chunks`);
    return joinParts(parts);
  }

  /**
   * After the pointer moved from whole-document revision `revision` to entries (`flip`): its chunks expire in
   * DELTA_TTL_SECONDS, so an instance still serving it meanwhile can read them. Returns how many chunks.
   */
  async retireWholeDocument(revision: number, now: Date): Promise<number> {
    const expiresAt = Math.floor(now.getTime() / 1000) + DELTA_TTL_SECONDS;
    const chunks = await this.partition<Record<string, unknown>>(
      keys.rulesets.wholeDocument(revision),
      'pk, sk',
    );
    for (const Key of chunks) {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.rulesetsTable,
            Key,
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ExpressionAttributeValues: { ':expiresAt': expiresAt },
            // A chunk gone meanwhile (another publisher's retirement already expired it) is not created again.
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return chunks.length;
  }

  /**
   * After the revision of `writes` committed: `keepBlob` for each write whose text went to a blob, `retireBlob`
   * for each whose previous text was in a blob and changed. Attempts every one, then throws their failures
   * together. A blob belongs to one entry: the text names its key and has its kind's shape, so a blob is never
   * shared between entries, and the condition on one entry item decides for the whole blob.
   */
  async settleBlobs(writes: readonly EntryWrite[], now: Date): Promise<void> {
    const failures: unknown[] = [];
    for (const write of writes) {
      try {
        if (write.text !== null) await this.keepBlobRetrying(write.kind, write.key, write.text);
        if (typeof write.previousText === 'string' && write.previousText !== write.text) {
          await this.retireBlob(write.kind, write.key, write.previousText, now);
        }
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `${failures.length} ruleset blob(s) not settled`);
    }
  }

  /**
   * keepBlob, tried again on a failure (throttling, a transaction conflicting with a parallel retirement): a keep
   * that does not happen after a late retirement leaves the blob expiring under its entry until the repair sweep
   * (publishAll) keeps it — 5 minutes at most, against 24 h before the parts go.
   */
  private async keepBlobRetrying(kind: EntryKind, key: string, text: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.keepBlob(kind, key, text);
      } catch (error) {
        if (attempt >= KEEP_ATTEMPTS) throw error;
        await sleep(backoffDelayMs(attempt, { baseMs: 50, maxMs: 1000 }));
      }
    }
  }

  /**
   * The entry `kind#key` no longer holds `text`: if that text was in a blob, its parts expire in
   * DELTA_TTL_SECONDS (an instance that read the entry item just before still reads them), on condition, in the
   * same transaction, that the entry does not point at that blob — a later revision may have put the text back,
   * and then the blob stays. Returns whether the blob was retired (false too for a text stored inline).
   */
  async retireBlob(kind: EntryKind, key: string, text: string, now: Date): Promise<boolean> {
    const blob = blobOf(text);
    if (blob === null) return false;
    const expiresAt = Math.floor(now.getTime() / 1000) + DELTA_TTL_SECONDS;
    return this.updateBlobParts(kind, key, blob, 'attribute_not_exists(#blob) OR #blob.#hash <> :hash', {
      UpdateExpression: 'SET expiresAt = :expiresAt',
      ExpressionAttributeValues: { ':expiresAt': expiresAt },
      // Never create a part (a stub without data): one already gone needs no retiring.
      ConditionExpression: 'attribute_exists(pk)',
    });
  }

  /**
   * The entry `kind#key` now holds `text`: if that text is in a blob, its parts lose any `expiresAt`, on condition
   * that the entry still points at the blob. The race it closes: publishers run in parallel, and one that moved
   * the entry away from blob X can retire X late — after another publisher stored X again (a revert) but before
   * that one's revision commits, so the retirement's check still sees the entry away from X and X would expire
   * under the entry. Both this and retirement check the entry item inside their transaction, so each falls
   * before or after every revision that moves the entry; the publisher of the last move to X runs this after
   * it, and any retirement after it fails its check. Returns whether the parts were updated.
   */
  async keepBlob(kind: EntryKind, key: string, text: string): Promise<boolean> {
    const blob = blobOf(text);
    if (blob === null) return false;
    return this.updateBlobParts(kind, key, blob, '#blob.#hash = :hash', {
      UpdateExpression: 'REMOVE expiresAt',
      // Never create a part: a missing one is an error, not something to keep.
      ConditionExpression: 'attribute_exists(pk)',
    });
  }

  /**
   * Update every part of `blob` as `update` says, in transactions (TRANSACTION_ITEMS at most) that each check
   * `entryCondition` on the entry item. False when that condition failed, or a part's own (it is gone).
   */
  private async updateBlobParts(
    kind: EntryKind,
    key: string,
    blob: { hash: string; parts: number },
    entryCondition: string,
    update: {
      UpdateExpression: string;
      ExpressionAttributeValues?: Record<string, unknown>;
      ConditionExpression?: string;
    },
  ): Promise<boolean> {
    const perTransaction = TRANSACTION_ITEMS - 1;
    for (let first = 0; first < blob.parts; first += perTransaction) {
      const parts = Array.from({ length: Math.min(perTransaction, blob.parts - first) }, (_, i) => first + i);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.rulesetsTable,
                  Key: keys.rulesets.entry(kind, key),
                  ConditionExpression: entryCondition,
                  // `hash` is a reserved word in expressions (so is `blob`): both go by name.
                  ExpressionAttributeNames: { '#blob': 'blob', '#hash': 'hash' },
                  ExpressionAttributeValues: { ':hash': blob.hash },
                },
              },
              ...parts.map((part) => ({
                Update: {
                  TableName: this.rulesetsTable,
                  Key: { pk: keys.rulesets.blob(blob.hash), sk: keys.rulesets.part(part) },
                  ...update,
                },
              })),
            ],
          }),
        );
      } catch (error) {
        const reasons = (error as Partial<TransactionCanceledException>).CancellationReasons ?? [];
        const failedCheck = reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
        if (error instanceof TransactionCanceledException && failedCheck) return false;
        throw error;
      }
    }
    return true;
  }

  private async entryItems(
    writes: readonly EntryWrite[],
    revision: number,
    expiresAt: number,
  ): Promise<EntryItem[]> {
    const items: EntryItem[] = [];
    for (const write of writes) {
      const key = keys.rulesets.entry(write.kind, write.key);
      if (write.text === null) items.push({ ...key, rev: revision, deleted: true, expiresAt });
      else if (!inBlob(write.text)) {
        items.push({ ...key, rev: revision, text: write.text });
      } else items.push({ ...key, rev: revision, blob: await this.storeBlob(write.text) });
    }
    return items;
  }

  /**
   * Content-addressed: writing the same text twice (two publishers, a retry) writes the same items. A Put
   * replaces the whole part, so storing a blob again also takes back any `expiresAt` a retirement set.
   */
  private async storeBlob(text: string): Promise<{ hash: string; parts: number }> {
    const hash = blobHash(text);
    const chunks = blobParts(text);
    const requests = chunks.map((data, i) => ({
      PutRequest: { Item: { pk: keys.rulesets.blob(hash), sk: keys.rulesets.part(i), data } },
    }));
    for (let i = 0; i < requests.length; i += 25) {
      let pending: typeof requests | undefined = requests.slice(i, i + 25);
      for (let tries = 0; pending !== undefined && pending.length > 0; tries++) {
        if (tries > 8) throw new Error('DynamoDB kept parts of a ruleset entry unprocessed');
        const out = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.rulesetsTable]: pending } }),
        );
        pending = out.UnprocessedItems?.[this.rulesetsTable] as typeof requests | undefined;
      }
    }
    return { hash, parts: chunks.length };
  }

  /** Every item of one partition (a blob's parts, a whole document's chunks), strongly consistent. */
  private async partition<T>(pk: string, projection?: string): Promise<T[]> {
    const items: T[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.rulesetsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ...(projection === undefined ? {} : { ProjectionExpression: projection }),
      },
    );
    for await (const page of pages) items.push(...((page.Items ?? []) as T[]));
    return items;
  }

  private async toEntry(item: EntryItem, options: EntryReadOptions): Promise<StoredEntry> {
    const { kind, key } = parseEntryId(item.sk)!;
    if (item.deleted === true) return { kind, key, rev: item.rev, text: null };
    if (item.blob === undefined) return { kind, key, rev: item.rev, text: item.text ?? null };
    const parts = await this.partition<{ sk: string; data: string; expiresAt?: number }>(
      keys.rulesets.blob(item.blob.hash),
    );
    const whole = parts.length === item.blob.parts && parts.every((p) => typeof p.data === 'string');
    if (!whole) {
      if (options.blobs !== 'report') throw new Error(`ruleset entry ${item.sk}: blob parts missing`);
      return { kind, key, rev: item.rev, text: '', blob: 'missing' };
    }
    const text = joinParts(parts);
    const expiring = options.blobs === 'report' && parts.some((p) => p.expiresAt !== undefined);
    return { kind, key, rev: item.rev, text, ...(expiring ? { blob: 'expiring' as const } : {}) };
  }
}

/** Whether `text` is stored in a blob rather than in its entry item. */
const inBlob = (text: string) => Buffer.byteLength(text, 'utf8') > INLINE_TEXT_BYTES;
const blobHash = (text: string) => createHash('sha256').update(text).digest('hex');
const blobParts = (text: string) => chunkString(text, CHUNK_BYTES / 4);

/** The blob `text` is stored in (as `storeBlob` writes it), or null for a text stored inline. */
function blobOf(text: string): { hash: string; parts: number } | null {
  return inBlob(text) ? { hash: blobHash(text), parts: blobParts(text).length } : null;
}

/** The text of parts (a blob's, a whole document's chunks) in the order of their sort keys. */
function joinParts(parts: { sk: string; data: string }[]): string {
  return parts
    .sort((a, b) => (a.sk < b.sk ? -1 : 1))
    .map((p) => p.data)
    .join('');
}

/** The condition that the pointer is still `previous` (none: no pointer at all). */
function unmoved(previous: RulesetPointer | null): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, number>;
} {
  return previous === null
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : {
        ConditionExpression: 'revision = :previous',
        ExpressionAttributeValues: { ':previous': previous.revision },
      };
}

/**
 * Cut `writes` into revisions DynamoDB can take in one transaction: at most MAX_WRITES_PER_REVISION writes and
 * MAX_BYTES_PER_REVISION bytes of inline text each (text that goes to a blob counts for nothing).
 */
export function revisionBatches(writes: readonly EntryWrite[]): EntryWrite[][] {
  const batches: EntryWrite[][] = [];
  let batch: EntryWrite[] = [];
  let bytes = 0;
  for (const write of writes) {
    const size = write.text === null ? 0 : Buffer.byteLength(write.text, 'utf8');
    const counted = size > INLINE_TEXT_BYTES ? 0 : size;
    if (batch.length >= MAX_WRITES_PER_REVISION || bytes + counted > MAX_BYTES_PER_REVISION) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(write);
    bytes += counted;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Cut `text` into pieces of at most `size` UTF-16 units (≤ 3 UTF-8 bytes each, 4 for a pair), never
 * between the two halves of a surrogate pair, which DynamoDB could not store as UTF-8.
 */
export function chunkString(text: string, size: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

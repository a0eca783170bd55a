import {
  paginateQuery,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { keys } from '../db/keys';
import { INLINE_BYTES, joinParts, PART_BYTES, splitUtf8, utf8Bytes } from '../db/parts';
import { auditWindow, type AuditEntry, type AuditFilter, type AuditRecord } from './schema';

/** One item of a DynamoDB transaction, as lib-dynamodb takes it. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** A query never returns more than this many entries: export or narrow the filter for more. */
export const MAX_AUDIT_RESULTS = 10_000;

/**
 * A page of `GET /audit` carries before/after up to this many bytes in all (an answer must stay under Lambda's
 * 6 MB); the first entry of a page always carries them in full.
 */
export const AUDIT_PAGE_BODY_BYTES = 4 * 1024 * 1024;

/**
 * An entry as `find` reads it: one whose before/after were stored beside it (`bodyParts` of them) has them
 * only once {@link AuditRepository.withBodies} has read them.
 */
export type FoundEntry = AuditEntry & { readonly bodyParts?: number };

export class AuditRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The Puts that record `record`; they go into the same transaction as the change it describes. An entry
   * whose before and after take more than an item can hold (a large segment or flag: DynamoDB items are at most
   * 400 KB) keeps them beside it, as parts in a partition of their own (`AUDITBODY#<id>`), written in the same
   * transaction: the entry is complete, and never half-written.
   */
  entryPuts(record: AuditRecord, now: Date = new Date()): { entry: AuditEntry; items: TransactItem[] } {
    const entry: AuditEntry = { id: randomUUID(), at: now.toISOString(), ...record };
    const sort = keys.audit.sort(entry.at, entry.id);
    const body = JSON.stringify({ before: entry.before, after: entry.after });
    const parts = utf8Bytes(body) > INLINE_BYTES ? splitUtf8(body) : [];
    const { before, after, ...summary } = entry;
    const put = (Item: Record<string, unknown>): TransactItem => ({
      // Entries are immutable: never overwrite one.
      Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
    });
    const indexed = {
      pk: keys.audit.resource(entry.resourceKind, entry.resourceKey),
      sk: sort,
      gsi1pk: keys.audit.actor(entry.actor),
      gsi1sk: sort,
      gsi2pk: keys.audit.day(entry.at),
      gsi2sk: sort,
    };
    if (parts.length === 0) return { entry, items: [put({ ...indexed, ...summary, before, after })] };
    return {
      entry,
      items: [
        put({ ...indexed, ...summary, bodyParts: parts.length }),
        ...parts.map((data, i) => put({ pk: keys.audit.body(entry.id), sk: keys.audit.bodyPart(i), data })),
      ],
    };
  }

  /**
   * Write `changes` and the audit entry atomically: a change without its entry, or an entry without its
   * change, cannot exist.
   */
  async commit(changes: readonly TransactItem[], record: AuditRecord): Promise<AuditEntry> {
    const { entry, items } = this.entryPuts(record);
    await this.doc.send(new TransactWriteCommand({ TransactItems: [...changes, ...items] }));
    return entry;
  }

  /**
   * For changes made outside DynamoDB (Cognito): apply, then record; if the record cannot be written, undo
   * the change and fail, so that here too no change exists without its entry.
   */
  async commitExternal(
    change: { apply(): Promise<void>; undo(): Promise<void> },
    record: () => AuditRecord,
  ): Promise<AuditEntry> {
    await change.apply();
    try {
      return await this.commit([], record());
    } catch (error) {
      await change.undo();
      throw error;
    }
  }

  /** Entries matching `filter`, newest first, each with its before and after. */
  async find(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.withBodies(await this.findEntries(filter));
  }

  /**
   * `entries` with their before and after — those stored beside an entry read back — while the bodies of the
   * page stay within `budget` bytes (the first entry's always come whole): an entry past it is returned with
   * `before` and `after` null and `bodyOmitted: true` (read it with a smaller page).
   */
  async withBodies(entries: readonly FoundEntry[], budget = Number.POSITIVE_INFINITY): Promise<AuditEntry[]> {
    let spent = 0;
    const out: AuditEntry[] = [];
    for (const found of entries) {
      const { bodyParts, ...entry } = found;
      // Parts hold at most PART_BYTES each: a bound known before reading them.
      const size =
        bodyParts === undefined
          ? utf8Bytes(JSON.stringify([entry.before, entry.after]))
          : bodyParts * PART_BYTES;
      if (out.length > 0 && spent + size > budget) {
        out.push({ ...entry, before: null, after: null, bodyOmitted: true });
        continue;
      }
      if (bodyParts === undefined) {
        spent += size;
        out.push(entry);
        continue;
      }
      const text = await this.body(entry.id, bodyParts);
      spent += utf8Bytes(text);
      const { before, after } = JSON.parse(text) as { before: unknown; after: unknown };
      out.push({ ...entry, before, after });
    }
    return out;
  }

  private async body(id: string, count: number): Promise<string> {
    const parts: { index: number; data: string }[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.audit.body(id) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        parts.push({ index: parts.length, data: String(item.data) });
      }
    }
    // Entries and their parts are written in one transaction and never changed: a count that differs is a bug.
    if (parts.length !== count) throw new Error(`audit entry ${id} has ${parts.length} of ${count} parts`);
    return joinParts(parts);
  }

  /** Entries matching `filter`, newest first, through the narrowest index for it; bodies stored beside not read. */
  async findEntries(filter: AuditFilter): Promise<FoundEntry[]> {
    const { from, to } = auditWindow(filter);
    // Sort keys are `<iso time>#<id>`: `~` sorts after every id character, so `to~` includes entries at `to`.
    const range = { ':from': from, ':to': `${to}~` };
    let entries: FoundEntry[];
    if (filter.resourceKind !== undefined && filter.resourceKey !== undefined) {
      entries = await this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': keys.audit.resource(filter.resourceKind, filter.resourceKey),
          ...range,
        },
      });
    } else if (filter.actor !== undefined) {
      entries = await this.queryAll({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': keys.audit.actor(filter.actor), ...range },
      });
    } else {
      entries = [];
      for (const day of daysBetween(from, to)) {
        if (entries.length >= MAX_AUDIT_RESULTS) break;
        entries.push(
          ...(await this.queryAll({
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': keys.audit.day(day), ...range },
          })),
        );
      }
    }
    return entries
      .filter(
        (e) =>
          (filter.resourceKind === undefined || e.resourceKind === filter.resourceKind) &&
          (filter.resourceKey === undefined || e.resourceKey === filter.resourceKey) &&
          (filter.actor === undefined || e.actor === filter.actor),
      )
      .sort((a, b) => (a.at === b.at ? b.id.localeCompare(a.id) : b.at.localeCompare(a.at)))
      .slice(0, MAX_AUDIT_RESULTS);
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<FoundEntry[]> {
    const out: FoundEntry[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      { TableName: this.tableName, ...input, ScanIndexForward: false },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) out.push(toEntry(item));
      if (out.length >= MAX_AUDIT_RESULTS) break;
    }
    return out;
  }
}

function toEntry(item: Record<string, unknown>): FoundEntry {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...entry } = item;
  // An entry whose body is stored beside it has no before/after attributes until withBodies reads them.
  return { before: null, after: null, ...entry } as FoundEntry;
}

/** UTC days from `to` back to `from`, newest first. */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const first = Date.parse(from.slice(0, 10));
  for (let t = Date.parse(to.slice(0, 10)); t >= first; t -= 86_400_000) days.push(new Date(t).toISOString());
  return days;
}

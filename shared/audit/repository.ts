import {
  paginateQuery,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { keys } from '../db/keys';
import { auditWindow, type AuditEntry, type AuditFilter, type AuditRecord } from './schema';

/** One item of a DynamoDB transaction, as lib-dynamodb takes it. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** A query never returns more than this many entries: export or narrow the filter for more. */
export const MAX_AUDIT_RESULTS = 10_000;

export class AuditRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The Put that records `record`; goes into the same transaction as the change it describes. */
  entryPut(record: AuditRecord, now: Date = new Date()): { entry: AuditEntry; item: TransactItem } {
    const entry: AuditEntry = { id: randomUUID(), at: now.toISOString(), ...record };
    const sort = keys.audit.sort(entry.at, entry.id);
    return {
      entry,
      item: {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: keys.audit.resource(entry.resourceKind, entry.resourceKey),
            sk: sort,
            gsi1pk: keys.audit.actor(entry.actor),
            gsi1sk: sort,
            gsi2pk: keys.audit.day(entry.at),
            gsi2sk: sort,
            ...entry,
          },
          // Entries are immutable: never overwrite one.
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    };
  }

  /**
   * Write `changes` and the audit entry atomically: a change without its entry, or an entry without its
   * change, cannot exist.
   */
  async commit(changes: readonly TransactItem[], record: AuditRecord): Promise<AuditEntry> {
    const { entry, item } = this.entryPut(record);
    await this.doc.send(new TransactWriteCommand({ TransactItems: [...changes, item] }));
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

  /** Entries matching `filter`, newest first, through the narrowest index for it. */
  async find(filter: AuditFilter): Promise<AuditEntry[]> {
    const { from, to } = auditWindow(filter);
    // Sort keys are `<iso time>#<id>`: `~` sorts after every id character, so `to~` includes entries at `to`.
    const range = { ':from': from, ':to': `${to}~` };
    let entries: AuditEntry[];
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

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
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

function toEntry(item: Record<string, unknown>): AuditEntry {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...entry } = item;
  return entry as AuditEntry;
}

/** UTC days from `to` back to `from`, newest first. */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const first = Date.parse(from.slice(0, 10));
  for (let t = Date.parse(to.slice(0, 10)); t >= first; t -= 86_400_000) days.push(new Date(t).toISOString());
  return days;
}

import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditRecord, type ChangeContext } from '../audit/actor';
import type { AuditRepository } from '../audit/repository';
import type { Versioned } from '../config/versioning';
import { keys } from '../db/keys';
import type { FlagSafetyInput, RollbackRecord, SafetySettingsInput } from './schema';

/** The stage's settings as stored: one config item, key {@link SETTINGS_KEY}. */
export type StoredSafetySettings = SafetySettingsInput & Versioned;
export const SETTINGS_KEY = 'global';

/** A flag's safety config as stored: one config item per flag, keyed by the flag's key. */
export type StoredFlagSafety = FlagSafetyInput & Versioned;

/** A list never returns more than this many records (rollbacks are rare: years of them). */
export const MAX_ROLLBACK_RESULTS = 10_000;

export interface RollbackFilter {
  readonly flagKey?: string | undefined;
  /** ISO instants, inclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** At most this many, newest first. */
  readonly limit?: number;
}

/**
 * Rollback records (SPEC §2.7): append-only, in the config table under one partition sorted by time
 * (`SAFETY#ROLLBACKS`, `<at>#<id>`), each written in one transaction with its audit entry
 * (`safetyRollback.create`). Nothing updates or deletes them.
 */
export class RollbackLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly audit: AuditRepository,
  ) {}

  async append(record: RollbackRecord, context: ChangeContext): Promise<void> {
    await this.audit.commit(
      [
        {
          Put: {
            TableName: this.tableName,
            Item: {
              pk: keys.config.safetyRollbacks,
              sk: keys.config.safetyRollback(record.at, record.id),
              ...record,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      auditRecord(context, 'safetyRollback.create', { kind: 'safetyRollback', key: record.id }, null, record),
    );
  }

  /** Records matching `filter`, newest first. */
  async find(filter: RollbackFilter = {}): Promise<RollbackRecord[]> {
    const limit = Math.min(filter.limit ?? MAX_ROLLBACK_RESULTS, MAX_ROLLBACK_RESULTS);
    // Sort keys are `<iso time>#<id>`: `~` sorts after every id character, so `to~` includes records at `to`.
    const from = filter.from === undefined ? '0' : new Date(filter.from).toISOString();
    const to = filter.to === undefined ? '~' : `${new Date(filter.to).toISOString()}~`;
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ...(filter.flagKey === undefined ? {} : { FilterExpression: 'flagKey = :flagKey' }),
        ExpressionAttributeValues: {
          ':pk': keys.config.safetyRollbacks,
          ':from': from,
          ':to': to,
          ...(filter.flagKey === undefined ? {} : { ':flagKey': filter.flagKey }),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    );
    const out: RollbackRecord[] = [];
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, ...record } = item;
        out.push(record as RollbackRecord);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}

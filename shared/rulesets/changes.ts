import type { DynamoDBRecord } from 'aws-lambda';
import { keys } from '../db/keys';
import type { ResourceRef } from './publisher';
import { ENTRY_KINDS, type EntryKind } from './repository';

/**
 * The ruleset resources (flags, segments, experiments, layers) a batch of config stream records names, once
 * each: the keys alone say what to read again. A resource stored in parts has records for its parts too; they
 * name the same resource. Other kinds (metrics, rollouts, settings) are no part of the ruleset.
 */
export function changedResources(records: readonly DynamoDBRecord[]): ResourceRef[] {
  const found = new Map<string, ResourceRef>();
  for (const record of records) {
    const pk = record.dynamodb?.Keys?.pk?.S;
    if (pk === undefined) continue;
    const kind = keys.config.kindOf(pk);
    if (kind === undefined || !(ENTRY_KINDS as readonly string[]).includes(kind)) continue;
    const key = pk.slice(pk.indexOf('#') + 1);
    found.set(pk, { kind: kind as EntryKind, key });
  }
  return [...found.values()];
}

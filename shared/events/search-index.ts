import type { SwitchyardEvent } from './schema';

/**
 * How raw events are laid out in OpenSearch (SPEC §2.5): one index per UTC day, named after the event's own
 * timestamp, all behind one alias; an index template with explicit mappings; an ISM policy that deletes old
 * days. The sink (`opensearch-sink.ts`), the deploy-time setup (`search-setup.ts`, run by the custom resource)
 * and the tests all read these definitions, so there is one source for names, mappings and retention.
 */

/** Environment through which a function finds the search domain (`SearchSetup.bindIndexer`). */
export { SEARCH_ENV } from '../environment';

/** The alias every daily index joins (through the template): what dashboards and ad-hoc queries read. */
export const EVENTS_ALIAS = 'switchyard-events';
/** Daily indices are `switchyard-events-YYYY.MM.DD` (UTC). */
export const EVENTS_INDEX_PREFIX = `${EVENTS_ALIAS}-`;
/** What the template and the retention policy apply to: the daily indices, not the alias. */
export const EVENTS_INDEX_PATTERN = `${EVENTS_INDEX_PREFIX}*`;
export const EVENTS_TEMPLATE_NAME = 'switchyard-events';
export const EVENTS_RETENTION_POLICY_ID = 'switchyard-events-retention';
/** OpenSearch security role (fine-grained access control) of the functions that index events. */
export const EVENTS_WRITER_ROLE = 'switchyard_events_writer';

/** The daily index of an event: its timestamp's UTC date. Offsets are honoured (`…T00:30+02:00` is the day before). */
export function eventsIndexName(timestamp: string | Date): string {
  const at = typeof timestamp === 'string' ? new Date(timestamp) : timestamp;
  if (Number.isNaN(at.getTime())) throw new Error(`Not a timestamp: ${String(timestamp)}`);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${EVENTS_INDEX_PREFIX}${pad(at.getUTCFullYear(), 4)}.${pad(at.getUTCMonth() + 1)}.${pad(at.getUTCDate())}`;
}

/**
 * The document indexed for an event: the event itself, plus `flagVariation` (`<flagKey>:<variation>`) when it
 * names both. The combined key lets a dashboard split by flag variation with one terms aggregation (TSVB splits
 * by one field only, and variation keys such as `on` repeat across flags). `:` cannot occur in either key.
 */
export type EventDocument = SwitchyardEvent & { readonly flagVariation?: string };

export function eventDocument(event: SwitchyardEvent): EventDocument {
  if ((event.type === 'error' || event.type === 'latency') && event.flagKey && event.variation) {
    return { ...event, flagVariation: `${event.flagKey}:${event.variation}` };
  }
  return event;
}

/**
 * Explicit mappings for every field of the event schema. `dynamic: false` everywhere: a field the schema gains
 * later is kept in `_source` but not indexed until it is mapped here — an unmapped field never turns into a
 * mapping error (a permanent bulk failure) or a mapping explosion.
 *
 * `properties` (free-form JSON from SDKs) is an object with `dynamic: false`, not `flat_object`: it is stored and
 * shown in Discover but not searchable. Arbitrary client JSON can never fail a document (flat_object has had
 * parsing bugs with nulls and arrays), and a property worth filtering on can be given an explicit sub-field
 * mapping here, which new daily indices pick up.
 */
export const EVENT_FIELD_MAPPINGS = {
  eventId: { type: 'keyword' },
  type: { type: 'keyword' },
  name: { type: 'keyword' },
  unitId: { type: 'keyword' },
  // ISO-8601 with offset; stored as UTC epoch millis.
  timestamp: { type: 'date', format: 'strict_date_optional_time' },
  value: { type: 'double' },
  experimentKey: { type: 'keyword' },
  variant: { type: 'keyword' },
  flagKey: { type: 'keyword' },
  variation: { type: 'keyword' },
  flagVariation: { type: 'keyword' },
  properties: { type: 'object', dynamic: false },
} as const;

export interface EventsIndexTemplateOptions {
  /** Replicas per daily index: 0 on a single data node (a replica could never be assigned), else 1. */
  readonly replicas: number;
}

/** Body of `PUT _index_template/switchyard-events`. */
export function eventsIndexTemplate(options: EventsIndexTemplateOptions) {
  return {
    index_patterns: [EVENTS_INDEX_PATTERN],
    priority: 100,
    template: {
      settings: {
        // One primary per day: daily volumes stay far below the ~50 GB a shard handles well.
        number_of_shards: 1,
        number_of_replicas: options.replicas,
        // Events are read by dashboards, not right after writing: fewer refreshes, cheaper bulk indexing.
        refresh_interval: '30s',
      },
      aliases: { [EVENTS_ALIAS]: {} },
      mappings: { dynamic: false, properties: EVENT_FIELD_MAPPINGS },
    },
    _meta: { managedBy: 'switchyard', source: 'shared/events/search-index.ts' },
  };
}

/**
 * Body of `PUT _plugins/_ism/policies/switchyard-events-retention`: a daily index is deleted `days` after it was
 * created. `ism_template` attaches the policy to every new daily index. (Index age counts from creation: a
 * late event for an old day creates that day's index anew, which then lives `days` more days.)
 */
export function eventsRetentionPolicy(days: number) {
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`Retention must be a whole number of days ≥ 1, got ${days}`);
  return {
    policy: {
      description: `Switchyard raw events: delete daily indices ${days} day(s) after creation`,
      default_state: 'hot',
      states: [
        {
          name: 'hot',
          actions: [],
          transitions: [{ state_name: 'delete', conditions: { min_index_age: `${days}d` } }],
        },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [EVENTS_INDEX_PATTERN], priority: 100 }],
    },
  };
}

/**
 * Body of `PUT _plugins/_security/api/roles/switchyard_events_writer`: what the event processor needs to bulk
 * index into (and auto-create) daily indices, and nothing else — no reads, deletes or updates.
 */
export const EVENTS_WRITER_ROLE_DEFINITION = {
  description: 'Switchyard event processor: bulk-index raw events into the daily indices',
  cluster_permissions: ['indices:data/write/bulk'],
  index_permissions: [
    {
      index_patterns: [EVENTS_INDEX_PATTERN],
      allowed_actions: [
        'indices:data/write/bulk*',
        'indices:data/write/index',
        // A bulk into a day with no index yet creates it (auto_create, then create with the template).
        'create_index',
        'indices:admin/auto_create',
        'indices:admin/create',
        'indices:admin/mapping/put',
      ],
    },
  ],
};

/** Every DynamoDB key Switchyard builds, in one place (shared/db/tables.ts says which table has which keys). */
export const keys = {
  audit: {
    /** One partition per resource: its history in time order. */
    resource: (kind: string, key: string) => `RESOURCE#${kind}#${key}`,
    /** gsi1: everything one actor did. */
    actor: (actor: string) => `ACTOR#${actor}`,
    /** gsi2: everything that happened on one UTC day (time-range queries walk the days). */
    day: (isoTimestamp: string) => `DAY#${isoTimestamp.slice(0, 10)}`,
    /** Sort key shared by the table and both indexes: time first, then a unique id. */
    sort: (isoTimestamp: string, id: string) => `${isoTimestamp}#${id}`,
  },
} as const;

import * as z from 'zod';
import { itemKeySchema, resourceKeySchema } from '../rules/schema';

/**
 * The events of SPEC §2.5, one schema for what SDKs send to `POST /api/v1/events`, what the assignment
 * API emits as exposures, what travels on the Kinesis stream and what the processor reads back.
 */
export const EVENT_TYPES = ['exposure', 'track', 'error', 'latency'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** SPEC §2.5 limits. */
export const MAX_EVENTS_PER_REQUEST = 500;
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_EVENTS_REQUEST_BYTES = 1024 * 1024;

/**
 * Values beyond ±1e12 are refused (the processor ignores them too): aggregates add squares of values, and
 * DynamoDB numbers stop at 38 significant digits.
 */
export const MAX_EVENT_VALUE = 1e12;

/**
 * The one unit-id rule of every route (SPEC §2.5): events take unit ids of 1–256 characters, so `/assignments`,
 * `/evaluate` and OFREP refuse a longer unit too (shared/assignments/units.ts) — an answered assignment's exposure
 * is never refused downstream.
 */
export const MAX_UNIT_ID_LENGTH = 256;
export const unitIdSchema = z.string().min(1).max(MAX_UNIT_ID_LENGTH);

const commonFields = {
  eventId: z.uuid().describe('Unique per event: duplicates with the same id count once'),
  name: z.string().trim().min(1).max(200),
  unitId: unitIdSchema,
  timestamp: z.iso.datetime({ offset: true }).describe('When it happened (ISO-8601)'),
  value: z
    .number()
    .min(-MAX_EVENT_VALUE)
    .max(MAX_EVENT_VALUE)
    .optional()
    .describe('Numeric value (a latency in ms, an amount, …), within ±1e12'),
  properties: z.record(z.string().max(200), z.json()).optional(),
};

export const exposureEventSchema = z.strictObject({
  ...commonFields,
  type: z.literal('exposure'),
  experimentKey: resourceKeySchema,
  variant: itemKeySchema,
});

export const trackEventSchema = z.strictObject({ ...commonFields, type: z.literal('track') });

/** Error and latency events may name the flag variation the unit was served (the safety monitor's input). */
const flagFields = { flagKey: resourceKeySchema.optional(), variation: itemKeySchema.optional() };
export const errorEventSchema = z.strictObject({ ...commonFields, ...flagFields, type: z.literal('error') });
export const latencyEventSchema = z.strictObject({
  ...commonFields,
  ...flagFields,
  type: z.literal('latency'),
  value: z.number().min(0).max(MAX_EVENT_VALUE).describe('Latency in milliseconds'),
});

export const eventSchema = z
  .discriminatedUnion('type', [exposureEventSchema, trackEventSchema, errorEventSchema, latencyEventSchema])
  .meta({ id: 'Event' });
export type SwitchyardEvent = z.infer<typeof eventSchema>;
export type ExposureEvent = z.infer<typeof exposureEventSchema>;

import * as z from 'zod';
import { RETRY_AFTER_SECONDS } from '../aws/errors';
import { PayloadTooLargeError, ServiceUnavailableError } from '../errors';
import type { SdkCaller } from '../auth/principal';
import type { EventPublisher } from './publisher';
import {
  eventSchema,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_EVENTS_REQUEST_BYTES,
  type SwitchyardEvent,
} from './schema';

/**
 * The envelope only: each event is checked on its own, so one bad event is refused with its reason while the
 * others are accepted (SPEC §2.5).
 */
export const ingestBodySchema = z
  .strictObject({
    events: z
      .array(z.unknown())
      .min(1)
      .max(MAX_EVENTS_PER_REQUEST)
      .describe(`Up to ${MAX_EVENTS_PER_REQUEST} events (each at most 32 KiB; 1 MiB per request)`),
  })
  .meta({ id: 'IngestRequest' });

export const REFUSAL_CODES = [
  'INVALID',
  'TOO_LARGE',
  'DUPLICATE',
  'OUT_OF_RANGE',
  'NOT_ALLOWED',
  'NOT_STORED',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export const ingestResponseSchema = z
  .object({
    accepted: z.array(z.string()).describe('eventIds now on the stream'),
    refused: z.array(
      z.object({
        index: z.number().int().describe('Position in the request'),
        eventId: z.string().optional(),
        code: z.enum(REFUSAL_CODES),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'IngestResponse' });
export type IngestResponse = z.infer<typeof ingestResponseSchema>;

/**
 * How far from the server's clock an event may be stamped: a day ahead (clock skew), 30 days back (SDKs
 * that were offline). Beyond that it is refused: results windows and daily search indices stay bounded.
 */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
export const MAX_PAST_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * `POST /api/v1/events`: validates each event, puts the good ones on the stream (PutRecords, partition key =
 * unit, only failed records retried) and answers which were accepted and why the others were refused. An
 * event is accepted only once Kinesis has it: one the stream would not take is refused as NOT_STORED, so the
 * SDK keeps it and sends it again; nothing reported accepted is lost. When the stream took none of the valid
 * events (an outage), the request as a whole fails with {@link ServiceUnavailableError} (503, `Retry-After`):
 * a client that looks only at the status must not take that answer for a success. Partial acceptance stays a
 * 200 with the per-event results.
 */
export class EventIngestService {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Exposures come from server keys only (SDKs in local mode) — client SDKs get theirs logged by
   * `/assignments` and `/evaluate` — so a public client key cannot forge a unit's first exposure.
   */
  async ingest(caller: SdkCaller, events: readonly unknown[]): Promise<IngestResponse> {
    // The gateway and the HTTP chain refuse bodies over the stage's limit first; this holds whatever it is.
    const sizes = events.map((raw) => Buffer.byteLength(JSON.stringify(raw) ?? ''));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total > MAX_EVENTS_REQUEST_BYTES) {
      throw new PayloadTooLargeError(
        `events of ${total} bytes; at most ${MAX_EVENTS_REQUEST_BYTES} per request`,
      );
    }
    const refused: IngestResponse['refused'] = [];
    const valid: { index: number; event: SwitchyardEvent }[] = [];
    const seen = new Set<string>();
    const latest = this.now() + MAX_FUTURE_MS;
    const earliest = this.now() - MAX_PAST_MS;
    events.forEach((raw, index) => {
      const eventId = idOf(raw);
      const refuse = (code: RefusalCode, message: string) =>
        refused.push({ index, ...(eventId === undefined ? {} : { eventId }), code, message });
      const bytes = sizes[index]!;
      if (bytes > MAX_EVENT_BYTES) return refuse('TOO_LARGE', `${bytes} bytes; at most ${MAX_EVENT_BYTES}`);
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'event'}: ${i.message}`)
          .join('; ');
        return refuse('INVALID', message);
      }
      const event = parsed.data;
      if (event.type === 'exposure' && caller.keyType !== 'server') {
        return refuse('NOT_ALLOWED', 'exposure events need a server key (assignments log their own)');
      }
      if (seen.has(event.eventId))
        return refuse('DUPLICATE', 'eventId repeats an earlier event of this request');
      const at = Date.parse(event.timestamp);
      if (at > latest) return refuse('OUT_OF_RANGE', 'timestamp more than 24 h ahead of the server');
      if (at < earliest) return refuse('OUT_OF_RANGE', 'timestamp more than 30 days old');
      seen.add(event.eventId);
      valid.push({ index, event });
    });
    const { failed } =
      valid.length === 0 ? { failed: [] } : await this.publisher.publish(valid.map((v) => v.event));
    const notStored = new Map(failed.map((f) => [f.eventId, f.error]));
    const accepted: string[] = [];
    for (const { index, event } of valid) {
      const error = notStored.get(event.eventId);
      if (error === undefined) accepted.push(event.eventId);
      else
        refused.push({
          index,
          eventId: event.eventId,
          code: 'NOT_STORED',
          message: `stream unavailable (${error}): send it again`,
        });
    }
    refused.sort((a, b) => a.index - b.index);
    if (failed.length > 0 && accepted.length === 0) {
      const throttled = failed.every((f) => /ProvisionedThroughputExceeded|Throttl/.test(f.error));
      throw new ServiceUnavailableError(
        `The events stream is unavailable: none of the ${failed.length} valid events was stored; send them again`,
        RETRY_AFTER_SECONDS[throttled ? 'throttled' : 'unavailable'],
        { refused },
      );
    }
    return { accepted, refused };
  }
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { eventId?: unknown }).eventId;
  return typeof id === 'string' ? id : undefined;
}

import type { Client } from '@opensearch-project/opensearch';
import { errors } from '@opensearch-project/opensearch';
import { backoffDelayMs, sleep as realSleep } from '../retry';
import { createOpenSearchClient, isRetryableStatus, searchConnectionFromEnv } from './opensearch-client';
import type { SwitchyardEvent } from './schema';
import { eventDocument, eventsIndexName } from './search-index';
import { NoSink, type EventSink } from './sink';

/** Why one event could not be indexed (after the retries it was worth). */
export interface IndexFailure {
  readonly eventId: string;
  /** HTTP status of the bulk item, or of the whole request; absent when the request never got an answer. */
  readonly status?: number;
  /** OpenSearch's error type (`mapper_parsing_exception`, `es_rejected_execution_exception`…) or the client's. */
  readonly type: string;
  readonly reason: string;
  /** True when it was still failing with a retryable status (429, 5xx, no answer) after the last attempt. */
  readonly retryable: boolean;
}

export interface IndexResult {
  /** Events not indexed, in input order: permanent failures and retryable ones that ran out of attempts. */
  readonly failedEventIds: string[];
  readonly failures: IndexFailure[];
}

export interface OpenSearchSinkOptions {
  /**
   * Attempts per event, the first included; only retryable failures (429, 5xx, no answer) are tried again.
   * @default 4
   */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  /**
   * Largest `_bulk` body. OpenSearch Service refuses bodies over 10 MiB on the smallest instances.
   * @default 5 MiB
   */
  readonly maxBulkBytes?: number;
  /** @default 1000 */
  readonly maxBulkDocuments?: number;
  /** Injected by tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected by tests (jitter). @default Math.random */
  readonly random?: () => number;
}

interface PendingDocument {
  readonly position: number;
  readonly eventId: string;
  /** The action and source lines, newline-terminated, as they go into the `_bulk` body. */
  readonly lines: string;
  readonly bytes: number;
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly failure: IndexFailure };

interface BulkResponseItem {
  readonly status?: number;
  readonly error?: { readonly type?: string; readonly reason?: string };
}

const MIB = 1024 * 1024;

/**
 * Indexes raw events into the daily `switchyard-events-YYYY.MM.DD` indices with `_bulk` (SPEC §2.5).
 *
 * - Idempotent: the document id is the event id and the action is `create`, so a re-sent event (a Kinesis
 *   retry, a duplicate delivery, a retried bulk item whose first answer was lost) is answered 409 and counted
 *   as indexed; the first copy stays, as the aggregates keep the first copy.
 * - Per-item errors: items answered 429 or 5xx (and whole requests that failed with no answer, 429 or 5xx)
 *   are retried alone — never the items that succeeded — with exponential backoff and full jitter, up to
 *   `maxAttempts`; other statuses (400 mapping errors, 403…) are permanent and not retried.
 * - Never throws for OpenSearch's sake: the events it could not index are returned, so the processor reports
 *   exactly their records as batch item failures.
 */
export class OpenSearchSink implements EventSink {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxBulkBytes: number;
  private readonly maxBulkDocuments: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: Client,
    options: OpenSearchSinkOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.maxBulkBytes = options.maxBulkBytes ?? 5 * MIB;
    this.maxBulkDocuments = options.maxBulkDocuments ?? 1000;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new Error(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
    if (!Number.isInteger(this.maxBulkDocuments) || this.maxBulkDocuments < 1) {
      throw new Error(`maxBulkDocuments must be a positive integer, got ${this.maxBulkDocuments}`);
    }
  }

  async index(events: SwitchyardEvent[]): Promise<IndexResult> {
    let pending = this.documents(events);
    const failures = new Map<string, IndexFailure & { readonly position: number }>();
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > 1) {
        await this.sleep(
          backoffDelayMs(attempt - 1, {
            baseMs: this.baseDelayMs,
            maxMs: this.maxDelayMs,
            random: this.random,
          }),
        );
      }
      const retry: PendingDocument[] = [];
      for (const chunk of this.chunks(pending)) {
        const outcomes = await this.send(chunk);
        chunk.forEach((document, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) return;
          if (outcome.failure.retryable && attempt < this.maxAttempts) retry.push(document);
          else failures.set(document.eventId, { ...outcome.failure, position: document.position });
        });
      }
      pending = retry;
    }
    const ordered = [...failures.values()]
      .sort((a, b) => a.position - b.position)
      .map(({ position: _position, ...failure }) => failure);
    return { failedEventIds: ordered.map((failure) => failure.eventId), failures: ordered };
  }

  /** One `create` per distinct event id (a batch may carry the same event twice; it is one document). */
  private documents(events: readonly SwitchyardEvent[]): PendingDocument[] {
    const seen = new Set<string>();
    const documents: PendingDocument[] = [];
    events.forEach((event, position) => {
      if (seen.has(event.eventId)) return;
      seen.add(event.eventId);
      const action = JSON.stringify({
        create: { _index: eventsIndexName(event.timestamp), _id: event.eventId },
      });
      const lines = `${action}\n${JSON.stringify(eventDocument(event))}\n`;
      documents.push({ position, eventId: event.eventId, lines, bytes: Buffer.byteLength(lines) });
    });
    return documents;
  }

  /** Consecutive runs within the byte and document limits; a document larger than the byte limit goes alone. */
  private chunks(documents: readonly PendingDocument[]): PendingDocument[][] {
    const chunks: PendingDocument[][] = [];
    let current: PendingDocument[] = [];
    let bytes = 0;
    for (const document of documents) {
      const full = current.length >= this.maxBulkDocuments || bytes + document.bytes > this.maxBulkBytes;
      if (current.length > 0 && full) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(document);
      bytes += document.bytes;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  /** One `_bulk` request; one outcome per document, in order. */
  private async send(chunk: readonly PendingDocument[]): Promise<Outcome[]> {
    let items: readonly BulkResponseItem[];
    try {
      const response = await this.client.transport.request({
        method: 'POST',
        path: '/_bulk',
        bulkBody: chunk.map((document) => document.lines).join(''),
      });
      items = bulkItems(response.body);
    } catch (error) {
      const status = error instanceof errors.ResponseError ? error.statusCode : undefined;
      const type = error instanceof Error ? error.name : 'Error';
      const reason = error instanceof Error ? error.message : String(error);
      return chunk.map((document) => ({
        ok: false,
        failure: { eventId: document.eventId, status, type, reason, retryable: isRetryableStatus(status) },
      }));
    }
    if (items.length !== chunk.length) {
      // Not an answer to this request: treat every item as unanswered (retryable) rather than guess.
      return chunk.map((document) => ({
        ok: false,
        failure: {
          eventId: document.eventId,
          type: 'unexpected_bulk_response',
          reason: `_bulk answered ${items.length} items for ${chunk.length} actions`,
          retryable: true,
        },
      }));
    }
    return chunk.map((document, i) => itemOutcome(document.eventId, items[i]!));
  }
}

function bulkItems(body: unknown): readonly BulkResponseItem[] {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  // Each item is keyed by its action (`create` here); take whatever single action it names.
  return items.map((item: Record<string, BulkResponseItem | undefined>) => Object.values(item)[0] ?? {});
}

function itemOutcome(eventId: string, item: BulkResponseItem): Outcome {
  const status = item.status;
  if (status !== undefined && status >= 200 && status < 300) return { ok: true };
  // `create` of an id that exists: an earlier attempt (or delivery) indexed this event already.
  if (status === 409) return { ok: true };
  return {
    ok: false,
    failure: {
      eventId,
      status,
      type: item.error?.type ?? 'unknown_error',
      reason: item.error?.reason ?? `bulk item status ${status ?? 'missing'}`,
      retryable: isRetryableStatus(status),
    },
  };
}

/**
 * The sink the environment asks for: OpenSearch when `OPENSEARCH_URL` is set (signed with SigV4 when
 * `OPENSEARCH_AUTH=aws-sigv4`), otherwise `NoSink` (the local platform without a search engine).
 */
export function eventSinkFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  options: OpenSearchSinkOptions = {},
): EventSink {
  const connection = searchConnectionFromEnv(source);
  return connection ? new OpenSearchSink(createOpenSearchClient(connection), options) : new NoSink();
}

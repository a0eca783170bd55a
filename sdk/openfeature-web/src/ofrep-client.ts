import type { EvaluationContext } from '@openfeature/web-sdk';

/** One flag of an OFREP bulk answer: an evaluation, or the reason this flag has none for this context. */
export interface OfrepFlag {
  readonly key: string;
  readonly value?: unknown;
  readonly variant?: string;
  readonly reason?: string;
  readonly errorCode?: string;
  readonly errorDetails?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of one bulk request. `changed` carries the flags and the ETag to revalidate them with;
 * `unchanged` is a 304; `failed` says whether retrying can help (`fatal`: the key is refused) and, after a 429,
 * when the server allows the next request.
 */
export type BulkOutcome =
  | { readonly kind: 'changed'; readonly flags: readonly OfrepFlag[]; readonly etag: string | null }
  | { readonly kind: 'unchanged' }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly fatal: boolean;
      readonly retryAfterMs?: number;
    };

export interface BulkRequest {
  readonly context: EvaluationContext;
  readonly etag: string | null;
  readonly signal: AbortSignal;
}

export interface OfrepClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
}

/** `POST /ofrep/v1/evaluate/flags`, with `If-None-Match` when an ETag is held. Never throws. */
export async function fetchBulk(options: OfrepClientOptions, request: BulkRequest): Promise<BulkOutcome> {
  const timeout = new AbortController();
  const abort = () => timeout.abort();
  request.signal.addEventListener('abort', abort);
  const timer = setTimeout(abort, options.timeoutMs);
  try {
    const response = await options.fetch(`${options.baseUrl.replace(/\/+$/, '')}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${options.apiKey}`,
        ...(request.etag === null ? {} : { 'If-None-Match': request.etag }),
      },
      body: JSON.stringify({ context: request.context }),
      signal: timeout.signal,
    });
    if (response.status === 304) return { kind: 'unchanged' };
    const body = (await response.json().catch(() => undefined)) as
      { flags?: unknown; errorCode?: unknown; errorDetails?: unknown; message?: unknown } | undefined;
    if (response.status === 200 && Array.isArray(body?.flags)) {
      return { kind: 'changed', flags: body.flags.filter(isFlag), etag: response.headers.get('ETag') };
    }
    const why = body?.errorDetails ?? body?.message ?? body?.errorCode;
    const retryAfterMs =
      response.status === 429 ? parseRetryAfter(response.headers.get('Retry-After')) : undefined;
    return {
      kind: 'failed',
      message: `OFREP bulk evaluation answered ${response.status}${typeof why === 'string' ? `: ${why}` : ''}`,
      fatal: response.status === 401 || response.status === 403,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    const message = timeout.signal.aborted && !request.signal.aborted ? 'timed out' : String(error);
    return { kind: 'failed', message: `OFREP bulk evaluation failed: ${message}`, fatal: false };
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', abort);
  }
}

function isFlag(item: unknown): item is OfrepFlag {
  return typeof item === 'object' && item !== null && typeof (item as { key?: unknown }).key === 'string';
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

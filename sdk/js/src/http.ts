import type { FetchResponse, Runtime } from './runtime';

export interface RetryOptions {
  /**
   * Attempts per request, the first included.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * The backoff before attempt n + 1 is drawn uniformly from [0, min(maxDelayMs, baseDelayMs × 2^(n-1))) ("full
   * jitter"), so that clients that failed together do not retry together.
   * @default 100
   */
  readonly baseDelayMs?: number;
  /**
   * The longest wait between attempts — also the longest `Retry-After` a request waits out. A longer one ends
   * the request at once, and requests until then fail without calling the API.
   * @default 2000
   */
  readonly maxDelayMs?: number;
}

export interface TransportOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per attempt, reading the body included. */
  readonly timeoutMs: number;
  readonly retry: Required<RetryOptions>;
  /** Requests in flight at once; beyond it a request fails at once rather than queue without bound. */
  readonly maxConcurrentRequests: number;
}

/** A request's end: an answer (any status the caller must handle), or why there is none. */
export type Outcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly text: string;
      readonly etag: string | null;
      /** A redirect's target (only seen with `redirect: 'manual'`). */
      readonly location: string | null;
    }
  | {
      readonly ok: false;
      /** `unavailable`: network error, timeout, 5xx or 429 after the last attempt; the others say themselves. */
      readonly failure: 'unavailable' | 'throttled' | 'overloaded';
      readonly status?: number;
      readonly message: string;
    };

/** Statuses worth another attempt: the server may answer differently in a moment. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The SDK's HTTP client: `Authorization: Bearer <key>`, JSON, a timeout per attempt (AbortController), retries
 * on network errors, timeouts, 5xx and 429 with exponential backoff and full jitter, `Retry-After` honoured (the
 * next attempt waits at least that long, and every request of this client waits or fails until then), and a
 * bound on requests in flight. It never throws: every end is an {@link Outcome}.
 */
export class Transport {
  private blockedUntil = 0;
  private inFlight = 0;

  constructor(
    private readonly options: TransportOptions,
    private readonly runtime: Runtime,
  ) {}

  /** Full-jitter backoff before attempt `attempt + 1` (attempt counts from 1). */
  backoffMs(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    return this.runtime.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  }

  /** How long the API asked this client to wait (429/503 with Retry-After), from now. */
  waitMs(): number {
    return Math.max(0, this.blockedUntil - this.runtime.now());
  }

  /**
   * One API request (retried as above). `redirect: 'manual'` answers a redirect as it is (status and
   * `location`) instead of following it with this client's credentials.
   */
  send(
    method: 'GET' | 'POST',
    path: string,
    {
      body,
      headers = {},
      redirect,
    }: { body?: unknown; headers?: Record<string, string>; redirect?: 'manual' } = {},
  ): Promise<Outcome> {
    return this.bounded(() =>
      this.attempts(
        method,
        `${this.options.baseUrl}${path}`,
        body === undefined ? undefined : JSON.stringify(body),
        { authorization: `Bearer ${this.options.apiKey}`, ...headers },
        redirect,
      ),
    );
  }

  /**
   * A GET of a URL the API handed out (a redirect's `location`, absolute or relative to the API): no
   * credentials are sent — the URL carries its own (a presigned S3 URL refuses a request that has both).
   */
  download(location: string): Promise<Outcome> {
    return this.bounded(() =>
      this.attempts('GET', new URL(location, `${this.options.baseUrl}/`).href, undefined, {}, undefined),
    );
  }

  private async bounded(run: () => Promise<Outcome>): Promise<Outcome> {
    if (this.inFlight >= this.options.maxConcurrentRequests) {
      return {
        ok: false,
        failure: 'overloaded',
        message: `${this.options.maxConcurrentRequests} requests already in flight`,
      };
    }
    this.inFlight++;
    try {
      return await run();
    } catch (error) {
      // Only a broken runtime gets here (a fake fetch that throws synchronously, a body that cannot be encoded).
      return { ok: false, failure: 'unavailable', message: describe(error) };
    } finally {
      this.inFlight--;
    }
  }

  private async attempts(
    method: string,
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
    redirect: 'manual' | undefined,
  ): Promise<Outcome> {
    const { maxAttempts, maxDelayMs } = this.options.retry;
    let last: Outcome = { ok: false, failure: 'unavailable', message: 'not attempted' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const wait = this.waitMs();
      if (wait > maxDelayMs) {
        return {
          ok: false,
          failure: 'throttled',
          status: 429,
          message: `the API asked to wait ${Math.ceil(wait / 1000)} s (Retry-After)`,
        };
      }
      if (wait > 0) await this.runtime.sleep(wait);
      last = await this.attempt(method, url, body, headers, redirect);
      if (last.ok && !retryable(last.status)) return last;
      if (attempt === maxAttempts) break;
      // A Retry-After (kept in blockedUntil) is waited out at the top of the loop instead of the backoff.
      if (this.waitMs() === 0) await this.runtime.sleep(this.backoffMs(attempt));
    }
    if (last.ok) {
      return {
        ok: false,
        failure: 'unavailable',
        status: last.status,
        message: `the API answered ${last.status} after ${maxAttempts} attempts`,
      };
    }
    return { ...last, message: `${last.message} (after ${maxAttempts} attempts)` };
  }

  private async attempt(
    method: string,
    url: string,
    body: string | undefined,
    extraHeaders: Record<string, string>,
    redirect: 'manual' | undefined,
  ): Promise<Outcome> {
    const controller = new AbortController();
    let timedOut = false;
    const cancel = this.runtime.schedule(this.options.timeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extraHeaders,
      };
      const response: FetchResponse = await this.runtime.fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(redirect === undefined ? {} : { redirect }),
        signal: controller.signal,
      });
      const text = await response.text();
      if (retryable(response.status)) {
        const after = retryAfterMs(response.headers.get('retry-after'), this.runtime.now());
        if (after !== undefined) this.blockedUntil = Math.max(this.blockedUntil, this.runtime.now() + after);
      }
      return {
        ok: true,
        status: response.status,
        text,
        etag: response.headers.get('etag'),
        location: response.headers.get('location'),
      };
    } catch (error) {
      return {
        ok: false,
        failure: 'unavailable',
        message: timedOut ? `no answer within ${this.options.timeoutMs} ms` : describe(error),
      };
    } finally {
      cancel();
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What the SDK takes from its host: `fetch`, a clock, timers, randomness and ids. Only what Node 18+, browsers
 * and edge runtimes all have (`fetch`, `AbortController`, `setTimeout`, `crypto.randomUUID` when present), and
 * one seam for tests to replace time and the network.
 */

/** The part of a fetch Response the SDK reads. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Only `manual`, for the ruleset: its redirect target takes no credentials (Transport.download). */
  redirect?: 'manual';
  signal: AbortSignal;
}

/** `fetch` as the SDK calls it: the global one fits, and so does a test's fake. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface Runtime {
  readonly fetch: FetchLike;
  /** Milliseconds since the epoch (timestamps, deadlines, Retry-After). */
  readonly now: () => number;
  /** A monotonic clock in milliseconds for durations (measure()). */
  readonly elapsed: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of backoffs. */
  readonly random: () => number;
  readonly randomUUID: () => string;
  /** Runs `fn` after `ms`; the timer never keeps a Node process alive. Returns the cancel function. */
  readonly schedule: (ms: number, fn: () => void) => () => void;
}

interface CryptoLike {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}

/** `crypto.randomUUID()` where the runtime has it (not in insecure browser contexts), else a v4 UUID by hand. */
export function randomUUID(): string {
  const crypto = (globalThis as { crypto?: CryptoLike }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

function monotonic(): () => number {
  const performance = (globalThis as { performance?: { now?: () => number } }).performance;
  return typeof performance?.now === 'function' ? () => performance.now!() : () => Date.now();
}

const globalFetch: FetchLike = (url, init) => {
  // Called through globalThis each time: an unbound `fetch` throws "Illegal invocation" in browsers.
  const fetch = (globalThis as { fetch?: unknown }).fetch as FetchLike | undefined;
  if (typeof fetch !== 'function')
    return Promise.reject(new Error('no fetch in this runtime: pass options.fetch'));
  return fetch(url, init);
};

export function defaultRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    fetch: globalFetch,
    now: () => Date.now(),
    elapsed: monotonic(),
    // Not unref'd: close() may be waiting on a retry, and the process must not exit under it.
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    randomUUID,
    schedule: (ms, fn) => {
      const timer = setTimeout(fn, ms);
      unref(timer);
      return () => clearTimeout(timer);
    },
    ...overrides,
  };
}

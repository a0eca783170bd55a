import { documentValidator } from './openapi-validator';
import { targetFor } from './prism';

/**
 * HTTP helpers for end-to-end tests against the local platform. Every answer is checked against the OpenAPI
 * document (see ./openapi-validator.ts): an answer the document does not declare fails the test that asked.
 */
export interface HttpAnswer {
  readonly status: number;
  /**
   * The parsed body. Typed as a record for the tests' convenience, it is `undefined` when the body is empty
   * or not JSON (`{}` for an empty body when it comes through {@link apiCaller}).
   */
  readonly json: Record<string, unknown>;
  readonly headers: Headers;
  readonly text: string;
}

export interface HttpRequest {
  /** Sent as `Authorization: Bearer …` (a Cognito-style token or an API key); no header when absent. */
  readonly credential?: string;
  /** Sent JSON-encoded, with `Content-Type: application/json`. */
  readonly body?: unknown;
  /** Sent as is, with `Content-Type: application/json`, in place of `body`. */
  readonly rawBody?: string;
  /** Further headers (`If-Match`, `If-None-Match`, …); they win over the ones above. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request to `${baseUrl}${path}`. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  { credential, body, rawBody, headers = {} }: HttpRequest = {},
): Promise<HttpAnswer> {
  const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await fetch(`${targetFor(baseUrl, payload)}${path}`, {
    method,
    headers: {
      ...(credential === undefined ? {} : { Authorization: `Bearer ${credential}` }),
      ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await res.text();
  documentValidator().check({ method, path, status: res.status, headers: res.headers, text });
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as Record<string, unknown>, headers: res.headers, text };
}

/** `call(method, path, credential, body?, headers?)`: {@link request} with its options as arguments. */
export function httpCaller(baseUrl: () => string) {
  return (
    method: string,
    path: string,
    credential: string | undefined,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<HttpAnswer> => request(baseUrl(), method, path, { credential, body, headers });
}

/** `call(method, path, body?)` with a fixed bearer credential; an empty body answers `json` as `{}`. */
export function apiCaller(baseUrl: () => string, credential: () => string) {
  return async (method: string, path: string, body?: unknown): Promise<HttpAnswer> => {
    const answer = await request(baseUrl(), method, path, { credential: credential(), body });
    return answer.text === '' ? { ...answer, json: {} } : answer;
  };
}

/** A caller of the API with one credential, as `apiCaller` makes it. */
export type ApiCall = ReturnType<typeof apiCaller>;

/**
 * The deadline for a change to reach the ruleset (config stream → publisher → evaluation), before the machine's
 * time scale: about 2 s on an idle machine, but DynamoDB Local's stream and the publisher share two busy cores
 * with every other test file in a full run (a 10 s budget scaled to 28.5 s ran out once in CI).
 */
export const PUBLISH_BUDGET_MS = 30_000;

/**
 * Polls `probe` until it answers neither `false` nor `undefined`, and returns that answer; fails with `what`
 * after `timeoutMs`.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | false | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

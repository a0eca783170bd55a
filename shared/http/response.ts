/**
 * An explicit response, for the few routes that need a status, headers or a body that is not JSON
 * (201 with Location, 304, NDJSON). Route implementations otherwise just return the resource.
 */
export class HttpResponse {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** A body sent as it is (NDJSON, CSV), not JSON-encoded. */
  static text(status: number, body: string, contentType: string, headers: Record<string, string> = {}) {
    return new RawHttpResponse(status, body, { ...headers, 'content-type': contentType });
  }
}

export class RawHttpResponse extends HttpResponse {
  declare readonly body: string;
}

export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResult(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): LambdaHttpResult {
  // No body (204, 304): no content type either — a 304 with `application/json` and nothing else is a lie.
  if (body === undefined) return { statusCode: status, headers: { ...headers }, body: '' };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

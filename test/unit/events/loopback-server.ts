import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path with the query string, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly body?: unknown;
}

export type Responder = (request: RecordedRequest) => ScriptedResponse;

export interface LoopbackServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

/**
 * A stand-in for OpenSearch (none can run on these machines): an HTTP server on 127.0.0.1 that records every
 * request and answers what the test scripts. JSON bodies are sent with `content-type: application/json`, as
 * OpenSearch does, so the client parses them.
 */
export async function startLoopback(respond: Responder): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const state = { respond };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      let answer: ScriptedResponse;
      try {
        answer = state.respond(recorded);
      } catch (error) {
        answer = { status: 500, body: { error: { type: 'test_responder_error', reason: String(error) } } };
      }
      if (answer.body === undefined || req.method === 'HEAD') {
        res.writeHead(answer.status, { 'content-length': '0' }).end();
        return;
      }
      const text = JSON.stringify(answer.body);
      res
        .writeHead(answer.status, {
          'content-type': 'application/json; charset=UTF-8',
          'content-length': String(Buffer.byteLength(text)),
        })
        .end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get respond() {
      return state.respond;
    },
    set respond(next: Responder) {
      state.respond = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The NDJSON lines of a `_bulk` body, parsed. */
export function ndjson(body: string): Record<string, unknown>[] {
  expect(body.endsWith('\n')).toBe(true);
  return body
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `create` actions of a `_bulk` body, with the document that follows each. */
export function bulkActions(
  body: string,
): { index: string; id: string; document: Record<string, unknown> }[] {
  const lines = ndjson(body);
  const actions: { index: string; id: string; document: Record<string, unknown> }[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = lines[i]!.create as { _index: string; _id: string };
    actions.push({ index: action._index, id: action._id, document: lines[i + 1]! });
  }
  return actions;
}

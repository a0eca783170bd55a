import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { stopWhenFileEnds } from './cleanup';

/**
 * What the proxy does to a request:
 * - `pass`: forwards it;
 * - `down`: drops the connection (the client sees a network error);
 * - `slow`: answers nothing until the client gives up;
 * - `status`: answers `status` (with `Retry-After` when given) without forwarding;
 * - `lose-answer`: forwards it (the platform acts on it), then answers 500 — the answer is lost on the way back.
 */
export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'down' }
  | { readonly kind: 'slow' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'lose-answer' };

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** What the client got: a status, or `dropped` / `hung`. */
  readonly outcome: number | 'dropped' | 'hung';
}

export interface FaultProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /**
   * Applies `fault` to requests whose path matches `paths` (all by default), for the next `times` of them
   * (for good by default); others pass.
   */
  inject(fault: Fault, options?: { paths?: RegExp; times?: number }): void;
  /** Back to passing everything. */
  heal(): void;
  /** Requests held by a `slow` fault right now. */
  readonly hanging: number;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An HTTP proxy in front of the local platform that breaks requests on demand: what an SDK meets when the API is
 * down, slow, failing or throttling. Stopped when the test file ends.
 */
export function startFaultProxy(target: string): Promise<FaultProxy> {
  return stopWhenFileEnds(async () => {
    let rule: { fault: Fault; paths: RegExp; left: number } = {
      fault: { kind: 'pass' },
      paths: /./,
      left: Infinity,
    };
    const requests: ProxiedRequest[] = [];
    const sockets = new Set<Socket>();
    let hanging = 0;

    const forward = async (req: IncomingMessage, body: Buffer) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
          headers[name] = value;
      }
      return fetch(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        ...(body.length === 0 ? {} : { body }),
      });
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const record = (outcome: ProxiedRequest['outcome']) =>
        requests.push({ method: req.method ?? '', path, outcome });
      const body = await readBody(req);
      const applies = rule.left > 0 && rule.paths.test(path);
      const fault: Fault = applies ? rule.fault : { kind: 'pass' };
      if (applies) rule.left--;
      switch (fault.kind) {
        case 'down':
          record('dropped');
          req.socket.destroy();
          return;
        case 'slow':
          record('hung');
          hanging++;
          await new Promise<void>((resolve) => res.on('close', resolve));
          hanging--;
          return;
        case 'status':
          record(fault.status);
          res
            .writeHead(fault.status, {
              'content-type': 'application/json',
              ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
            })
            .end(
              JSON.stringify({
                code: fault.status === 429 ? 'RATE_LIMITED' : 'INTERNAL_ERROR',
                message: 'injected',
              }),
            );
          return;
        case 'lose-answer':
          await (await forward(req, body)).arrayBuffer();
          record(500);
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end('{"code":"INTERNAL_ERROR","message":"lost"}');
          return;
        case 'pass': {
          const answer = await forward(req, body);
          const payload = Buffer.from(await answer.arrayBuffer());
          record(answer.status);
          const headers: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name))
              headers[name] = value;
          });
          res.writeHead(answer.status, headers).end(payload);
        }
      }
    };

    const server = createServer((req, res) => {
      handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      requests,
      inject: (fault, { paths = /./, times = Infinity } = {}) => {
        rule = { fault, paths, left: times };
      },
      heal: () => {
        rule = { fault: { kind: 'pass' }, paths: /./, left: Infinity };
      },
      get hanging() {
        return hanging;
      },
      stop: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  });
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isRole } from '../shared/auth/roles';
import type { DirectoryUser } from '../shared/users/directory';
import { SignInError, type LocalIdentity, type SignInRequest } from './identity';

/**
 * The token endpoint of an in-memory platform (`npm start -- --memory`). Such a platform writes nothing to
 * disk, so its signing key and users exist only in its process: `npm run token -- --port N` asks it here
 * instead of reading `.switchyard/identity/`. It listens on 127.0.0.1 only and answers loopback callers only,
 * as the hosted UI of a Cognito pool would answer whoever can reach it: on this machine, anyone may sign in.
 *
 * `POST /token` with `{role?, sub?, email?, expiresInSeconds?}` (as `npm run token`'s options) answers
 * `{token, user, created}`, or 400 `{message}`.
 */
export const TOKEN_PATH = '/token';

export interface TokenAnswer {
  readonly token: string;
  readonly user: DirectoryUser;
  readonly created: boolean;
}

export interface TokenEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) throw new SignInError('Request body too large');
  }
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new SignInError('Request body is not JSON');
  }
}

/** The sign-in request in `body`, checked field by field (a wrong type is a 400, never a token). */
function signInRequest(body: unknown): SignInRequest {
  if (typeof body !== 'object' || body === null) throw new SignInError('Expected a JSON object');
  const { role, sub, email, expiresInSeconds } = body as Record<string, unknown>;
  const optionalString = (name: string, value: unknown) => {
    if (value !== undefined && typeof value !== 'string') throw new SignInError(`${name} must be a string`);
    return value;
  };
  if (role !== undefined && role !== 'none' && !(typeof role === 'string' && isRole(role)))
    throw new SignInError(`Unknown role ${JSON.stringify(role)}`);
  if (expiresInSeconds !== undefined && !Number.isInteger(expiresInSeconds))
    throw new SignInError('expiresInSeconds must be an integer');
  const subValue = optionalString('sub', sub);
  const emailValue = optionalString('email', email);
  return {
    ...(role === undefined ? {} : { role }),
    ...(subValue === undefined ? {} : { sub: subValue }),
    ...(emailValue === undefined ? {} : { email: emailValue }),
    ...(expiresInSeconds === undefined ? {} : { expiresInSeconds: expiresInSeconds as number }),
  };
}

/** Serve `identity`'s sign-in on 127.0.0.1:`port` (0 picks a free port). */
export async function serveTokens(identity: LocalIdentity, port = 0): Promise<TokenEndpoint> {
  const server = createServer((req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, { message: 'Loopback callers only' });
    if (req.method !== 'POST' || req.url !== TOKEN_PATH)
      return send(res, 404, { message: `POST ${TOKEN_PATH} only` });
    readJson(req)
      .then((body) => identity.signIn(signInRequest(body)))
      .then((answer: TokenAnswer) => send(res, 200, answer))
      .catch((error: unknown) => {
        if (error instanceof SignInError) send(res, 400, { message: error.message });
        else send(res, 500, { message: String(error) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { isRole } from '../shared/auth/roles';
import {
  CONSOLE_FRAME_OPTIONS,
  CONSOLE_REFERRER_POLICY,
  consoleContentSecurityPolicy,
} from '../shared/http/console-headers';
import { SignInError, type LocalIdentity } from './identity';

/**
 * The web console on the local platform, from the gateway's own origin (so the console's requests to the API
 * are same-origin, as CloudFront would make them in AWS): the Vite build in `console/dist` for every GET that
 * is not an API route, and `POST /local/sign-in`, the local stand-in for the Cognito hosted UI.
 *
 * The build is made by `npm ci`/`npm install` (the `prepare` script: `npm run build:console`), not at start-up,
 * so `npm start` stays as fast as it was; without a build the console paths answer 503 saying how to make one.
 */
export const CONSOLE_DIST = resolve(__dirname, '..', 'console', 'dist');
export const SIGN_IN_PATH = '/local/sign-in';

/** Paths that belong to the API: a miss there is the gateway's 404, never the console's index.html. */
const API_PREFIXES = ['/api/', '/ofrep/', '/health'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The headers CloudFront's response-headers policy gives the console in AWS (shared/http/console-headers.ts), but
 * HSTS: this origin is plain HTTP.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': consoleContentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': CONSOLE_FRAME_OPTIONS,
  'referrer-policy': CONSOLE_REFERRER_POLICY,
};

export function isConsolePath(method: string, pathname: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return !API_PREFIXES.some(
    (prefix) => pathname === prefix.replace(/\/$/, '') || pathname.startsWith(prefix),
  );
}

/** A file of the build, or index.html for the app's own paths (`/flags/x`): the SPA's fallback. */
export async function serveConsole(
  pathname: string,
  method: string,
  res: ServerResponse,
  dir = CONSOLE_DIST,
): Promise<void> {
  const root = resolve(dir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = pathname;
  }
  const wanted = normalize(join(root, decoded));
  const inside = wanted === root || wanted.startsWith(root + sep);
  const file = inside && (await isFile(wanted)) ? wanted : join(root, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end(
      'The console is not built: run `npm run build:console` (npm ci and npm install do it), then reload.\n',
    );
  }
  const hashed = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    // Vite names assets by content hash: they never change; index.html must be fetched again each time.
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...CONSOLE_SECURITY_HEADERS,
  });
  res.end(method === 'HEAD' ? undefined : body);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * `POST /local/sign-in` `{email, role?}` → `{token, user}`: what the Cognito hosted UI gives the console in
 * AWS, for this machine only (loopback callers, as the token endpoint of local/token-endpoint.ts). The user is
 * found by email, or created with `role` (default viewer), as `npm run token` does.
 */
export async function localSignIn(
  identity: LocalIdentity,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) return sendJson(res, 403, { message: 'Loopback callers only' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return sendJson(res, 400, { message: 'Request body is not JSON' });
  }
  const { email, role } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 200)
    return sendJson(res, 400, { message: 'email must be an email address' });
  if (role !== undefined && !(typeof role === 'string' && isRole(role)))
    return sendJson(res, 400, { message: `Unknown role ${JSON.stringify(role)}` });
  try {
    const { token, user } = await identity.signIn({ email, ...(role === undefined ? {} : { role }) });
    sendJson(res, 200, { token, user });
  } catch (error) {
    if (error instanceof SignInError) return sendJson(res, 400, { message: error.message });
    throw error;
  }
}

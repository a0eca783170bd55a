import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { API_KEY_AUTHORIZER } from '../shared/api-keys/authorizer';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS } from '../shared/http/cors';
import {
  gatewayErrorBody,
  gatewayErrorHeaders,
  GATEWAY_ERRORS,
  GATEWAY_MIN_COMPRESSION_BYTES,
  type GatewayError,
} from '../shared/http/gateway-responses';
import type { LambdaHttpResult } from '../shared/http/response';
import { handlerEntry, ROUTES, type RouteDefinition } from '../shared/http/routes';
import { LOCAL_RULESETS_PATH, localRulesetFile } from '../shared/rulesets/objects';
import { isConsolePath, localSignIn, serveConsole, SIGN_IN_PATH } from './console';
import { LOCAL_REGION, type LocalIdentity } from './identity';
import { lambdaContext, type FunctionRuntime } from './lambda-runtime';

/**
 * A stored ruleset, as S3 answers a presigned GET: the body, or 403 when the URL's signature is wrong or expired
 * (null), 404 when the file is gone.
 */
function serveRulesetObject(res: ServerResponse, file: string | null): void {
  const refuse = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, message }));
  };
  if (file === null) return refuse(403, 'FORBIDDEN', 'The URL is not signed, or it has expired');
  const stream = createReadStream(file);
  stream.once('error', () => refuse(404, 'NOT_FOUND', 'No such ruleset'));
  stream.once('open', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'private, max-age=60',
    });
    stream.pipe(res);
  });
}

/** Whether an `Accept-Encoding` value takes gzip (a `q=0` refuses it). */
function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    return !params.some((param) => /^\s*q=0(?:\.0*)?\s*$/.test(param));
  });
}

/**
 * The function's answer as API Gateway sends it with `minimumCompressionSize`: gzip-encoded when the caller
 * accepts gzip and the body has at least GATEWAY_MIN_COMPRESSION_BYTES; headers (the ETag among them) unchanged
 * but for `Content-Encoding` and `Vary`.
 */
function compressed(
  acceptEncoding: string | undefined,
  result: LambdaHttpResult,
): { headers: Record<string, string>; body: string | Buffer } {
  const headers = { ...result.headers };
  const body = result.body;
  if (!acceptsGzip(acceptEncoding)) return { headers, body };
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length < GATEWAY_MIN_COMPRESSION_BYTES) return { headers, body };
  const vary = headers.vary ?? headers.Vary;
  delete headers.Vary;
  headers.vary = vary === undefined ? 'Accept-Encoding' : `${vary}, Accept-Encoding`;
  headers['content-encoding'] = 'gzip';
  return { headers, body: gzipSync(bytes) };
}

/** API Gateway's own payload limit for REST APIs; the functions enforce the smaller product limit. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * API Gateway's limit on the request line and headers together for REST APIs (10 KB), as Node's
 * `maxHeaderSize` (which counts both): a longer query string or header gets 431 here too, not Node's 16 KB.
 */
export const GATEWAY_MAX_HEADER_BYTES = 10 * 1024;

/**
 * What Node's HTTP parser refuses before a request exists (oversized or malformed request line and headers)
 * answered as the gateway answers everything: `{code, message, requestId}` JSON, then the connection closes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const gatewayError =
    error.code === 'HPE_HEADER_OVERFLOW' ? GATEWAY_ERRORS.headersTooLarge : GATEWAY_ERRORS.badRequest;
  const requestId = randomUUID();
  const body = gatewayErrorBody(gatewayError, requestId);
  socket.end(
    [
      `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status] ?? ''}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-amzn-requestid: ${requestId}`,
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

interface MatchedRoute {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string>;
}

/** Resolve a request path as API Gateway does: literal segments win over `{param}` segments. */
export function matchRoute(
  method: string,
  path: string,
  routes: readonly RouteDefinition[] = ROUTES,
): MatchedRoute | null {
  const segments = path.split('/').filter((s) => s.length > 0);
  let best: { match: MatchedRoute; literals: number } | null = null;
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.path.split('/').filter((s) => s.length > 0);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    template.forEach((part, i) => {
      const actual = segments[i] ?? '';
      const param = /^\{(.+)\}$/.exec(part);
      if (param?.[1] !== undefined) {
        try {
          pathParameters[param[1]] = decodeURIComponent(actual);
        } catch {
          pathParameters[param[1]] = actual;
        }
      } else if (part === actual) literals++;
      else ok = false;
    });
    if (ok && (best === null || literals > best.literals))
      best = { match: { route, pathParameters }, literals };
  }
  return best?.match ?? null;
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return (match?.[1] ?? header).trim();
}

/** API Gateway hands claims to the function as strings, arrays joined with commas. */
function claimsAsGatewayDoes(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

/** What API Gateway hands the integration as `requestContext.authorizer` after a Lambda authorizer: strings. */
function contextAsGatewayDoes(result: APIGatewayAuthorizerResult): Record<string, string> {
  const context = Object.fromEntries(
    Object.entries(result.context ?? {}).map(([name, value]) => [name, String(value)]),
  );
  return { ...context, principalId: result.principalId };
}

interface PolicyStatement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

/** IAM's wildcards in an execute-api resource: `*` any run of characters, `?` one character. */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Whether the authorizer's policy lets this method ARN through: an explicit Deny wins, then any Allow. */
function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  const statements = (result.policyDocument?.Statement ?? []) as readonly PolicyStatement[];
  const list = (value: unknown): string[] =>
    Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : typeof value === 'string'
        ? [value]
        : [];
  const applies = (statement: PolicyStatement) =>
    list(statement.Action).some((a) => ['execute-api:Invoke', 'execute-api:*', '*'].includes(a)) &&
    list(statement.Resource).some((r) => arnMatches(r, methodArn));
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s));
}

type AuthorizerOutcome =
  | { readonly allowed: true; readonly context: Record<string, string> }
  | { readonly allowed: false; readonly error: GatewayError };

export interface GatewayOptions {
  readonly identity: LocalIdentity;
  /** Where the handlers come from (the platform's FunctionRuntime). */
  readonly functions: Pick<FunctionRuntime, 'get'>;
  readonly stage: string;
  readonly corsAllowedOrigins: readonly string[];
  readonly log?: (line: string) => void;
  /**
   * How long an API-key authorizer answer is reused for the same identity, as API Gateway's results cache.
   * @default 300 (the deployed TTL)
   */
  readonly authorizerCacheSeconds?: number;
  /**
   * The route table to serve.
   * @default ROUTES
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Serve the web console (local/console.ts) from this directory on the paths that are not the API's, and its
   * loopback sign-in at `POST /local/sign-in`.
   * @default no console
   */
  readonly consoleDir?: string;
  /**
   * The ruleset object store's directory and URL secret (shared/rulesets/objects.ts): `GET /local/rulesets/…`
   * serves a stored ruleset to a caller holding a URL the evaluation function signed, as S3 serves a presigned
   * one (no credentials; 403 for a wrong or expired signature).
   * @default not served
   */
  readonly rulesetObjects?: { readonly dir: string; readonly secret: string };
}

const LOCAL_ACCOUNT = '000000000000';
const LOCAL_API_ID = 'local';

/** The local API Gateway: route table → REST proxy event → the real handler → HTTP response. */
export class LocalGateway {
  private server: Server | null = null;
  /** API Gateway's authorizer results cache: policy and context by identity-source values, until expiry. */
  private readonly authorizerCache = new Map<
    string,
    { result: APIGatewayAuthorizerResult; expires: number }
  >();

  constructor(private readonly options: GatewayOptions) {
    const ttl = options.authorizerCacheSeconds;
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) {
      throw new Error(`authorizerCacheSeconds must be a number of seconds >= 0, got ${ttl}`);
    }
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer({ maxHeaderSize: GATEWAY_MAX_HEADER_BYTES }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error('local gateway: unexpected failure', error);
        this.sendError(res, GATEWAY_ERRORS.internal, randomUUID());
      });
    });
    server.on('clientError', answerClientError);
    // Node closes a keep-alive connection after 5 s idle by default; a client that reuses it in that instant (one
    // whose event loop stalled on a busy machine) gets ECONNRESET and loses the answer to a request the platform
    // may have served. Idle connections stay open for a minute instead, as behind a load balancer; the client
    // (told by the Keep-Alive header) closes them first.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`Port ${port} is already in use: stop what uses it or pass --port N (or PORT=N).`)
            : error,
        );
      });
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private corsHeaders(origin: string | undefined): Record<string, string> {
    const allowed = this.options.corsAllowedOrigins;
    const allow = allowed.includes('*')
      ? '*'
      : origin !== undefined && allowed.includes(origin)
        ? origin
        : null;
    return allow === null
      ? {}
      : {
          'access-control-allow-origin': allow,
          'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(','),
          vary: 'Origin',
        };
  }

  private sendError(res: ServerResponse, error: GatewayError, requestId: string, origin?: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(error.status, {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      ...gatewayErrorHeaders(error),
      ...this.corsHeaders(origin),
    });
    res.end(gatewayErrorBody(error, requestId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    res.on('finish', () =>
      this.options.log?.(`${method} ${url.pathname} ${res.statusCode} ${Date.now() - started}ms`),
    );

    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...this.corsHeaders(origin),
        'access-control-allow-methods': CORS_ALLOWED_METHODS.join(','),
        'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(','),
      });
      return void res.end();
    }

    const objects = this.options.rulesetObjects;
    if (objects !== undefined && method === 'GET' && url.pathname.startsWith(LOCAL_RULESETS_PATH)) {
      return serveRulesetObject(
        res,
        localRulesetFile(objects.dir, objects.secret, url.pathname, url.searchParams),
      );
    }
    const matched = matchRoute(method, url.pathname, this.options.routes);
    const consoleDir = this.options.consoleDir;
    if (matched === null && consoleDir !== undefined) {
      if (method === 'POST' && url.pathname === SIGN_IN_PATH) {
        const body = await readBody(req);
        if (body === 'too-large') return this.sendError(res, GATEWAY_ERRORS.tooLarge, requestId, origin);
        return localSignIn(this.options.identity, req, res, body);
      }
      if (isConsolePath(method, url.pathname)) return serveConsole(url.pathname, method, res, consoleDir);
    }
    if (matched === null) return this.sendError(res, GATEWAY_ERRORS.notFound, requestId, origin);
    const body = await readBody(req);
    if (body === 'too-large') return this.sendError(res, GATEWAY_ERRORS.tooLarge, requestId, origin);

    const { route, pathParameters } = matched;
    const event = this.toEvent(req, url, route, pathParameters, body, requestId);
    if (route.auth === 'cognito') {
      const token = bearerToken(req.headers.authorization);
      const verified = token === null ? null : await this.options.identity.verify(token);
      if (verified === null) return this.sendError(res, GATEWAY_ERRORS.unauthorized, requestId, origin);
      event.requestContext.authorizer = { claims: claimsAsGatewayDoes(verified) };
    } else if (route.auth === 'apiKey') {
      const outcome = await this.authorizeApiKey(event);
      if (!outcome.allowed) return this.sendError(res, outcome.error, requestId, origin);
      event.requestContext.authorizer = outcome.context;
    }

    const handler = this.options.functions.get<APIGatewayProxyEvent, LambdaHttpResult>(
      handlerEntry(route.handler),
    );
    let result: LambdaHttpResult;
    try {
      result = await handler(event, lambdaContext(`switchyard-${this.options.stage}-${route.handler}`));
    } catch (error) {
      console.error(`local gateway: ${route.handler} function failed`, error);
      return this.sendError(res, GATEWAY_ERRORS.internal, requestId, origin);
    }
    const { headers, body: payload } = compressed(req.headers['accept-encoding'], result);
    res.writeHead(result.statusCode, { ...headers, 'x-amzn-requestid': requestId });
    res.end(payload);
  }

  /**
   * The API-key REQUEST authorizer as API Gateway runs it: 401 without calling the function when an identity
   * source is missing; otherwise the cached answer for these identity values, or the function's (an Allow or
   * Deny policy is cached for the TTL; its "Unauthorized" is a 401 and is not); then the policy decides for
   * this method ARN (403 when it does not allow it).
   */
  private async authorizeApiKey(event: APIGatewayProxyEvent): Promise<AuthorizerOutcome> {
    const lower = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const identity = API_KEY_AUTHORIZER.identityHeaders.map(
      (name) => lower[name.toLowerCase()]?.trim() ?? '',
    );
    if (identity.some((value) => value === '')) return { allowed: false, error: GATEWAY_ERRORS.unauthorized };

    const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/${this.options.stage}/${event.httpMethod}${event.path}`;
    const cacheKey = JSON.stringify(identity);
    const now = Date.now();
    let result = this.authorizerCache.get(cacheKey);
    if (result === undefined || result.expires <= now) {
      this.authorizerCache.delete(cacheKey);
      const authorizer = this.options.functions.get<
        APIGatewayRequestAuthorizerEvent,
        APIGatewayAuthorizerResult
      >(API_KEY_AUTHORIZER.entry);
      const { body: _body, isBase64Encoded: _base64, ...request } = event;
      try {
        const answer = await authorizer(
          {
            ...request,
            type: 'REQUEST',
            methodArn,
            requestContext: { ...event.requestContext, authorizer: undefined },
          },
          lambdaContext(`switchyard-${this.options.stage}-api-key-authorizer`),
        );
        result = {
          result: answer,
          expires:
            now + (this.options.authorizerCacheSeconds ?? API_KEY_AUTHORIZER.resultsCacheSeconds) * 1000,
        };
      } catch (error) {
        if (error instanceof Error && error.message === 'Unauthorized') {
          return { allowed: false, error: GATEWAY_ERRORS.unauthorized };
        }
        console.error('local gateway: API-key authorizer failed', error);
        return { allowed: false, error: GATEWAY_ERRORS.internal };
      }
      if (this.authorizerCache.size >= 10_000) {
        // A long-running platform sees many identities: forget the expired answers before adding more.
        for (const [key, entry] of this.authorizerCache)
          if (entry.expires <= now) this.authorizerCache.delete(key);
      }
      this.authorizerCache.set(cacheKey, result);
    }
    if (!policyAllows(result.result, methodArn))
      return { allowed: false, error: GATEWAY_ERRORS.accessDenied };
    return { allowed: true, context: contextAsGatewayDoes(result.result) };
  }

  private toEvent(
    req: IncomingMessage,
    url: URL,
    route: RouteDefinition,
    pathParameters: Record<string, string>,
    body: Buffer,
    requestId: string,
  ): APIGatewayProxyEvent {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      const value = req.rawHeaders[i + 1] ?? '';
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      (multiQuery[name] ??= []).push(value);
    }
    const hasQuery = Object.keys(query).length > 0;
    const hasParams = Object.keys(pathParameters).length > 0;
    return {
      resource: route.path,
      path: url.pathname,
      httpMethod: route.method,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      pathParameters: hasParams ? pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: LOCAL_API_ID,
        authorizer: undefined,
        protocol: 'HTTP/1.1',
        httpMethod: route.method,
        path: `/${this.options.stage}${url.pathname}`,
        stage: this.options.stage,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: route.path,
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          user: null,
          userAgent: req.headers['user-agent'] ?? null,
          userArn: null,
        },
      },
    };
  }
}

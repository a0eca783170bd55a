import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledMs } from '../../local/timing';
import { buildOpenApiDocument } from '../../shared/http/openapi';
import { version } from '../../package.json';

/**
 * Prism (Stoplight's validating proxy) in front of a test platform, for `npm run test:prism` (bin/prism-check.ts):
 * with SWITCHYARD_TEST_PRISM naming Prism's CLI script, every test platform's `url` is a Prism proxy that
 * forwards to the platform and checks each request and answer against the OpenAPI document the code builds.
 * Prism only reports (no `--errors`): tests that send bad input on purpose still reach the platform. Each
 * proxy's log goes to SWITCHYARD_TEST_PRISM_LOG (a directory), where the check reads the violations.
 */
export const PRISM_CLI_ENV = 'SWITCHYARD_TEST_PRISM';
export const PRISM_LOG_ENV = 'SWITCHYARD_TEST_PRISM_LOG';

export interface ValidatingProxy {
  readonly url: string;
  stop(): Promise<void>;
}

let documentFile: string | undefined;

function openApiFile(logDir: string): string {
  if (documentFile !== undefined) return documentFile;
  const file = join(logDir, `openapi-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(buildOpenApiDocument(version)));
  documentFile = file;
  return file;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Each running proxy's upstream, by the proxy's URL. */
const upstreams = new Map<string, string>();

/**
 * The platform behind a proxy (or `baseUrl` itself when there is none), for requests Prism cannot pass on as
 * they are: it follows redirects itself, so a test that must see a 302 asks the platform directly.
 */
export function upstreamOf(baseUrl: string): string {
  return upstreams.get(baseUrl) ?? baseUrl;
}

/**
 * Where a request to `baseUrl` with this body goes: Prism answers a body that is not JSON itself (400
 * `invalid_json`) instead of forwarding it, so such requests (the tests send them on purpose) go straight to
 * the platform behind the proxy; every other request goes through it.
 */
export function targetFor(baseUrl: string, body: string | undefined): string {
  const upstream = upstreams.get(baseUrl);
  if (upstream === undefined || body === undefined) return baseUrl;
  try {
    JSON.parse(body);
    return baseUrl;
  } catch {
    return upstream;
  }
}

/** A Prism proxy in front of `upstream`, when SWITCHYARD_TEST_PRISM is set; `undefined` otherwise. */
export async function validatingProxy(upstream: string): Promise<ValidatingProxy | undefined> {
  const cli = process.env[PRISM_CLI_ENV];
  if (cli === undefined || cli === '') return undefined;
  const logDir = process.env[PRISM_LOG_ENV] ?? join(tmpdir(), 'switchyard-prism');
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  // Jest loads this module afresh for every test file: a counter here would repeat, and overwrite logs.
  const log = createWriteStream(join(logDir, `proxy-${randomUUID()}.log`));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      cli,
      'proxy',
      openApiFile(logDir),
      upstream,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--cors=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Prism did not start listening within ${scaledMs(60_000)} ms`)),
      scaledMs(60_000),
    );
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (seen.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error('Prism exited before it listened'));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  upstreams.set(url, upstream);
  return {
    url,
    stop: async () => {
      upstreams.delete(url);
      child.kill('SIGTERM');
      await exited;
      await new Promise<void>((done) => log.end(done));
    },
  };
}

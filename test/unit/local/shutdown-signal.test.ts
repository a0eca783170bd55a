import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copyShutdownSignal,
  REPO_ROOT,
  SHUTDOWN_SIGNAL_PRELOAD,
} from '../../../lib/constructs/switchyard-function';

/**
 * The shutdown-signal preload as Lambda runs it: copied beside the bundle by the bundling hook, preloaded with
 * NODE_OPTIONS=--import, against a fake Runtime API. It must register its extension before the runtime's first
 * Next (the end of Init), hold a Next of its own open, and never stop the runtime from starting.
 */
describe('shutdown-signal preload', () => {
  let server: Server;
  let api = '';
  let dir = '';
  const seen: string[] = [];
  let registerStatus = 200;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shutdown-signal-'));
    for (const command of copyShutdownSignal.afterBundling(REPO_ROOT, dir))
      execFileSync('sh', ['-c', command]);
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/2020-01-01/extension/register') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push(`body ${body} name ${String(req.headers['lambda-extension-name'])}`);
          // Slow on purpose: the runtime must still wait for the answer.
          setTimeout(() => {
            res.writeHead(registerStatus, { 'Lambda-Extension-Identifier': 'ext-1' }).end('{}');
          }, 100);
        });
        return;
      }
      if (req.url === '/2020-01-01/extension/event/next') {
        seen.push(`extension id ${String(req.headers['lambda-extension-identifier'])}`);
        return; // never answered, as for an extension that subscribed to nothing
      }
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => (seen.length = 0));

  /** A stand-in for the runtime: asks for its first invocation, reports the mark, and flushes on SIGTERM. */
  const runtime = `
    const http = require('node:http');
    process.once('SIGTERM', () => { console.log('SIGTERM handled'); process.exit(0); });
    http.get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation/next', (res) => {
      res.resume();
      console.log('registered ' + String(globalThis[Symbol.for('switchyard.shutdownSignal')]));
    });
  `;

  function start() {
    const preload = join(dir, SHUTDOWN_SIGNAL_PRELOAD.split('/').pop()!);
    const child = spawn(process.execPath, ['-e', runtime], {
      env: {
        ...process.env,
        AWS_LAMBDA_RUNTIME_API: api,
        NODE_OPTIONS: `--enable-source-maps --import=${preload}`,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, exited, out: () => out, err: () => err };
  }

  async function until(check: () => boolean): Promise<void> {
    const end = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('registers before the runtime asks for its first invocation, waits on Next, and lets SIGTERM through', async () => {
    registerStatus = 200;
    const run = start();
    await until(() => run.out().includes('registered'));
    expect(run.out()).toContain('registered ext-1');
    const runtimeNext = seen.indexOf('GET /2018-06-01/runtime/invocation/next');
    expect(seen.indexOf('POST /2020-01-01/extension/register')).toBeLessThan(runtimeNext);
    expect(seen).toContain('body {"events":[]} name switchyard-shutdown-signal');
    expect(seen).toContain('extension id ext-1');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('SIGTERM handled');
  });

  it('lets the runtime start, unmarked and with an error logged, when the registration is refused', async () => {
    registerStatus = 403;
    const run = start();
    await until(() => run.out().includes('registered'));
    expect(run.out()).toContain('registered undefined');
    expect(run.err()).toContain('shutdown signal not registered');
    run.child.kill('SIGTERM');
    await run.exited;
  });
});

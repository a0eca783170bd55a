import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { bundleOptions } from '../../sdk/openfeature-web/scripts/build';

/**
 * Serves the static page and the ES modules its import map names: OpenFeature's core and web SDK as npm ships
 * them, and the provider built from sdk/openfeature-web/src (what `npm run build` puts in dist/index.mjs).
 * `npx tsx examples/static-page/serve.ts [--port 8080]`; the browser test serves the page the same way.
 */
export interface StaticPageServer {
  /** e.g. `http://127.0.0.1:8080` — a different origin from the API's, as a real site is. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startStaticPageServer({
  port = 0,
  host = '127.0.0.1',
} = {}): Promise<StaticPageServer> {
  const files = new Map<string, () => string>([
    ['/', () => readFileSync(join(__dirname, 'index.html'), 'utf8')],
    ['/vendor/openfeature-core.js', esmOf('@openfeature/core')],
    ['/vendor/openfeature-web-sdk.js', esmOf('@openfeature/web-sdk')],
    ['/vendor/switchyard-openfeature-web.js', await providerModule()],
  ]);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    const file = files.get(path === '/index.html' ? '/' : path);
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = path.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(file());
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A package's ES module build, as a CDN serves it (its `import` entry; the `require` one is dist/cjs). */
function esmOf(name: string): () => string {
  const esm = join(dirname(require.resolve(name)), '../esm/index.js');
  return () => readFileSync(esm, 'utf8');
}

async function providerModule(): Promise<() => string> {
  const result = await build({ ...bundleOptions, format: 'esm', write: false });
  const code = result.outputFiles[0]!.text;
  return () => code;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
  startStaticPageServer({ port: Number(values.port) }).then(
    ({ url }) => {
      console.log(`static page on ${url}/`);
      console.log(`open ${url}/?api=http://127.0.0.1:3000&key=<a client key>`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

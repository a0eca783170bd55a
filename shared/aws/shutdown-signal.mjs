// @ts-check
/**
 * Preloaded before the Lambda runtime starts (`NODE_OPTIONS=--import=…`, SwitchyardFunction's `shutdownSignal`):
 * registers a no-op internal extension, because Lambda sends the runtime SIGTERM before it destroys an execution
 * environment only when an extension is registered — 500 ms for the runtime with an internal one (the Shutdown
 * phase of the execution environment lifecycle; aws-samples/graceful-shutdown-with-aws-lambda). AWS's own Rust
 * runtime does the same (`spawn_graceful_shutdown_handler`).
 *
 * An internal extension must register before the runtime's first Next, which ends Init; from the handler module
 * that would race the runtime, so this runs as a preload whose top-level await holds the runtime back until the
 * registration is answered (a few ms, once per cold start). It subscribes to no event (internal extensions cannot
 * take SHUTDOWN), and its Next request stays open and is never answered. It never fails the runtime: if anything
 * goes wrong it logs and leaves no mark, and shared/aws/shutdown.ts then has the handler wait for its exposures.
 * Plain JavaScript with Node's own modules only: it is copied beside the bundle, not bundled.
 */
import { request } from 'node:http';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const NAME = 'switchyard-shutdown-signal';

/**
 * @param {string} path
 * @param {{ method: string, headers: Record<string, string>, body?: string, timeoutMs?: number }} options
 * @returns {Promise<{ status: number, id: string | undefined }>}
 */
function call(path, { method, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const req = request(`http://${api}${path}`, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        const id = res.headers['lambda-extension-identifier'];
        resolve({ status: res.statusCode ?? 0, id: typeof id === 'string' ? id : undefined });
      });
    });
    req.on('error', reject);
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** Wait for an event that never comes; asked again should the request ever end. */
function waitForever(/** @type {string} */ id) {
  call('/2020-01-01/extension/event/next', {
    method: 'GET',
    headers: { 'Lambda-Extension-Identifier': id },
  }).then(
    () => setTimeout(() => waitForever(id), 1000).unref(),
    () => setTimeout(() => waitForever(id), 1000).unref(),
  );
}

if (api !== undefined && api !== '') {
  try {
    const { status, id } = await call('/2020-01-01/extension/register', {
      method: 'POST',
      headers: { 'Lambda-Extension-Name': NAME, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [] }),
      timeoutMs: 1000,
    });
    if (status !== 200 || id === undefined) throw new Error(`register answered ${status}`);
    waitForever(id);
    /** @type {Record<symbol, unknown>} */ (globalThis)[Symbol.for('switchyard.shutdownSignal')] = id;
  } catch (error) {
    console.error(
      JSON.stringify({ level: 'ERROR', message: 'shutdown signal not registered', error: String(error) }),
    );
  }
}

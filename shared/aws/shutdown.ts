import { logger } from '../observability';

/** Set by shutdown-signal.mjs (preloaded in Lambda) once its extension is registered. */
const REGISTERED = Symbol.for('switchyard.shutdownSignal');

/**
 * How long a function may spend on SIGTERM: Lambda gives the runtime 500 ms with an internal extension, then
 * SIGKILL; the rest is margin for the lost-exposure log lines and the exit.
 */
export const SHUTDOWN_DEADLINE_MS = 400;

/**
 * Whether what a function keeps in memory past its answer will be finished (or counted) before the environment
 * goes: in Lambda only when the shutdown-signal extension registered, so that SIGTERM comes; locally always (the
 * platform's stop() calls the function's `shutdown` export, as SIGTERM would).
 */
export function shutdownIsSignalled(): boolean {
  if (process.env.AWS_LAMBDA_RUNTIME_API === undefined) return true;
  return typeof (globalThis as Record<symbol, unknown>)[REGISTERED] === 'string';
}

/**
 * In Lambda, run `hook` on SIGTERM and then exit (a SIGTERM listener replaces Node's exit). Locally nothing: the
 * process is the platform's, which calls the hook itself when it stops.
 */
export function onLambdaShutdown(hook: () => Promise<void>): void {
  if (process.env.AWS_LAMBDA_RUNTIME_API === undefined) return;
  process.once('SIGTERM', () => {
    hook()
      .catch((error: unknown) => logger.error('shutdown hook failed', { error: (error as Error).message }))
      .finally(() => process.exit(0));
  });
}

import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mintToken, SignInError, type LocalIdentity } from '../../local/identity';
import { startPlatform, type RunningPlatform } from '../../local/platform';
import { scaledMs } from '../../local/timing';
import type { DirectoryUser } from '../../shared/users/directory';
import { stopWhenFileEnds } from './cleanup';
import type { ChildPlatformOptions, FromChild, ToChild } from './platform-process';
import { validatingProxy } from './prism';
import { sharedDynamoEndpoint } from './shared-engines';

/**
 * The local platform for an end-to-end test file: in memory (nothing on disk), on a free port, with its tables
 * under a prefix of its own in the run's shared DynamoDB Local (they are deleted when it stops). It is
 * stopped when the file ends even if the file's `beforeAll` timed out while it was starting.
 *
 * It runs in a child Node process (test/support/platform-process.ts, with tsx as `npm start`), not in the
 * Jest worker: Jest runs a test file in a `vm` context where every global lookup costs ~40 times more, and the
 * whole platform (gateway, handlers, kinesalite, pollers) paid it while taking turns with the test's own
 * client on one event loop. Apart, each request costs less and the two run side by side (docs/architecture.md,
 * Tests, has the figures). What the tests use beyond HTTP crosses the IPC channel: `identity.signIn` and
 * `identity.directory.list` are calls to the child; `identity.mint` signs here with the child's key; the
 * variables the platform sets (engine endpoints, table names) are copied into this worker's environment,
 * so that the test's own SDK clients reach the same engines as before.
 *
 * Options must therefore be data. `streamFunctions` and `scheduledFunctions` already are (module paths,
 * bundled in the child); `log` is not offered (the child's output is kept, and printed on stderr only when it
 * fails to start, dies or fails to stop, or always with SWITCHYARD_TEST_PLATFORM_LOG=1). A test that must see
 * what its handlers left in memory opts into `inProcess` and pays the sandbox's cost.
 *
 * The child dies with this worker: it stops the platform and exits when the IPC channel closes, which
 * `stop()` does, and so does the worker's death.
 */
export interface TestPlatformOptions extends Partial<ChildPlatformOptions> {
  /**
   * Run the platform in this Jest worker, for a test that reads what its handlers recorded in this process's
   * memory (test/support/recording-handler.ts).
   * @default false
   */
  readonly inProcess?: boolean;
}

/** What the tests use of `LocalIdentity`: the in-process one has it, and so has the child's proxy. */
export interface TestIdentity {
  signIn: LocalIdentity['signIn'];
  mint: LocalIdentity['mint'];
  readonly directory: { list(): Promise<DirectoryUser[]> };
}

export interface TestPlatform extends Omit<RunningPlatform, 'identity'> {
  readonly identity: TestIdentity;
}

/** SWITCHYARD_TEST_PLATFORM_LOG=1 streams the child's output (start-up phases, handler logs) to stderr. */
export const PLATFORM_LOG_ENV = 'SWITCHYARD_TEST_PLATFORM_LOG';

const REPO_ROOT = resolve(__dirname, '..', '..');
const CHILD_ENTRY = join(__dirname, 'platform-process.ts');
/** How much of the child's output is kept for a failure report: the end matters most. */
const KEPT_OUTPUT_BYTES = 256 * 1024;

export function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const { inProcess = false, ...platformOptions } = options;
  const shared = sharedDynamoEndpoint();
  const resolved: ChildPlatformOptions = {
    port: 0,
    memory: true,
    // Unused in memory (nothing is written); a path that exists nowhere, to prove it.
    dataDir: join(tmpdir(), `switchyard-unused-${randomUUID()}`),
    ...(shared === undefined
      ? {}
      : { dynamoEndpoint: shared, tablePrefix: `e2e-${randomUUID().slice(0, 8)}` }),
    ...platformOptions,
  };
  return stopWhenFileEnds(async (): Promise<TestPlatform> => {
    const platform = await (inProcess ? startPlatform(resolved) : startChildPlatform(resolved));
    const proxy = await validatingProxy(platform.url).catch(async (error: unknown) => {
      await platform.stop();
      throw error;
    });
    if (proxy === undefined) return platform;
    // `npm run test:prism`: the tests reach the platform through Prism, which checks every exchange.
    return {
      ...platform,
      url: proxy.url,
      stop: async () => {
        await proxy.stop();
        await platform.stop();
      },
    };
  });
}

/** The child's output, kept (the last KEPT_OUTPUT_BYTES) or streamed to stderr. */
function captureOutput(child: ChildProcess): () => string {
  if (process.env[PLATFORM_LOG_ENV]) {
    child.stdout?.pipe(process.stderr, { end: false });
    child.stderr?.pipe(process.stderr, { end: false });
    return () => '(streamed above)';
  }
  let kept: Buffer[] = [];
  let size = 0;
  const keep = (chunk: Buffer) => {
    kept.push(chunk);
    size += chunk.length;
    while (size > KEPT_OUTPUT_BYTES && kept.length > 1) size -= kept.shift()!.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => {
    const text = Buffer.concat(kept).toString('utf8');
    kept = [];
    size = 0;
    return text === '' ? '(no output)' : text;
  };
}

const ending = (code: number | string | null) =>
  typeof code === 'number' ? `exit code ${code}` : `signal ${code}`;

/** A call to the child, before it gets its id (`Omit` over each member of the union). */
type CallWithoutId =
  Extract<ToChild, { kind: 'call' }> extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

function startChildPlatform(options: ChildPlatformOptions): Promise<TestPlatform> {
  const child = fork(CHILD_ENTRY, [], {
    cwd: REPO_ROOT,
    // This file's environment (Jest's, with test/support/jest-env.ts applied), not the worker's original one.
    env: { ...process.env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = captureOutput(child);
  const report = (what: string) => `${what}\n--- platform process output ---\n${output()}`;
  /** The exit code, or the signal that ended it. */
  const exited = new Promise<number | string | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  let stopping = false;
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  const call = <T>(message: CallWithoutId): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('The test platform has stopped'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...message, id } satisfies ToChild);
    });

  // Stopping closes the channel: the child stops the platform and exits (the same path as this worker dying).
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      if (child.connected) child.disconnect();
      const kill = setTimeout(() => child.kill('SIGKILL'), scaledMs(60_000));
      const code = await exited;
      clearTimeout(kill);
      if (code !== 0) throw new Error(report(`The test platform process stopped with ${ending(code)}`));
    })());

  return new Promise<TestPlatform>((resolve, reject) => {
    child.on('message', (message: FromChild) => {
      if (message.kind === 'answer') {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if ('error' in message) {
          const { name, message: text } = message.error;
          waiting?.reject(name === 'SignInError' ? new SignInError(text) : new Error(`${name}: ${text}`));
        } else {
          waiting?.resolve(message.value);
        }
      } else if (message.kind === 'failed') {
        // The child cleaned up after itself; the rejection waits for it to exit.
        const failure = report(`The test platform did not start: ${message.message}`);
        void stop()
          .catch(() => undefined)
          .then(() => reject(new Error(failure)));
      } else {
        Object.assign(process.env, message.environment);
        const { signingKey } = message;
        resolve({
          url: message.url,
          tableNames: message.tableNames,
          eventsStreamName: message.eventsStreamName,
          tokenPort: message.tokenPort,
          outboxFile: message.outboxFile,
          failuresDir: message.failuresDir,
          kinesisEndpoint: message.kinesisEndpoint,
          identity: {
            mint: (request) => mintToken(signingKey, request),
            signIn: (request) => call({ kind: 'call', method: 'signIn', request }),
            directory: { list: () => call({ kind: 'call', method: 'listUsers' }) },
          },
          stop,
        });
      }
    });
    void exited.then((code) => {
      for (const waiting of pending.values()) waiting.reject(new Error('The test platform process exited'));
      pending.clear();
      if (stopping) return;
      // Died on its own: whatever the tests see next (refused connections) needs this to be understood.
      const failure = report(`The test platform process exited unexpectedly, with ${ending(code)}`);
      process.stderr.write(`${failure}\n`);
      reject(new Error(failure));
    });
    child.send({ kind: 'start', options } satisfies ToChild);
  });
}

/**
 * The child process behind `startTestPlatform` (test/support/platform.ts): the local platform run by plain
 * Node (with tsx, as `npm start` runs it) instead of inside Jest's vm sandbox, where every global lookup
 * (`Math`, `Date`, `JSON`, …) costs ~40 times more and the gateway, the handlers, kinesalite and the pollers
 * all pay it. The test file talks to it over the IPC channel: one `start` with the options, then calls for
 * what it cannot do over HTTP (signing in a user, listing the users).
 *
 * It dies with its parent: when the channel closes — the test file stopped the platform, or the Jest worker
 * ended or was killed — it stops the platform (deleting its tables in the run's shared DynamoDB Local) and
 * exits, so no process outlives the run.
 */
import type { SignInRequest, SigningKey } from '../../local/identity';
import { startPlatform, type PlatformOptions, type RunningPlatform } from '../../local/platform';
import { scaledMs } from '../../local/timing';

/** What can cross the channel: everything but `log` (the child's output goes to its parent, see platform.ts). */
export type ChildPlatformOptions = Omit<PlatformOptions, 'log'>;

export type ToChild =
  | { readonly kind: 'start'; readonly options: ChildPlatformOptions }
  | { readonly kind: 'call'; readonly id: number; readonly method: 'signIn'; readonly request: SignInRequest }
  | { readonly kind: 'call'; readonly id: number; readonly method: 'listUsers' };

export type FromChild =
  | {
      readonly kind: 'started';
      readonly url: string;
      readonly tableNames: RunningPlatform['tableNames'];
      readonly eventsStreamName: string;
      readonly tokenPort: number | null;
      readonly outboxFile: string;
      readonly failuresDir: string;
      readonly kinesisEndpoint: string;
      /** The test file mints its tokens itself: `identity.mint` stays synchronous, as in process. */
      readonly signingKey: SigningKey;
      /**
       * The variables the platform set in its environment (the engines' endpoints, the table names, …), for
       * the test file's own SDK clients to reach the same engines, as they did when it ran in process.
       */
      readonly environment: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'answer'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'answer'; readonly id: number; readonly error: { name: string; message: string } };

function send(message: FromChild): void {
  process.send?.(message);
}

let starting: Promise<RunningPlatform> | undefined;

async function start(options: ChildPlatformOptions): Promise<void> {
  const before = { ...process.env };
  starting = startPlatform({ ...options, log: (line) => process.stderr.write(`platform: ${line}\n`) });
  let platform: RunningPlatform;
  try {
    platform = await starting;
  } catch (error) {
    send({
      kind: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return;
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && value !== before[name]) environment[name] = value;
  }
  send({
    kind: 'started',
    url: platform.url,
    tableNames: platform.tableNames,
    eventsStreamName: platform.eventsStreamName,
    tokenPort: platform.tokenPort,
    outboxFile: platform.outboxFile,
    failuresDir: platform.failuresDir,
    kinesisEndpoint: platform.kinesisEndpoint,
    signingKey: platform.identity.signingKey(),
    environment,
  });
}

async function answer(message: Extract<ToChild, { kind: 'call' }>): Promise<void> {
  try {
    const { identity } = await starting!;
    const value =
      message.method === 'signIn' ? await identity.signIn(message.request) : await identity.directory.list();
    send({ kind: 'answer', id: message.id, value });
  } catch (error) {
    const { name, message: text } = error instanceof Error ? error : new Error(String(error));
    send({ kind: 'answer', id: message.id, error: { name, message: text } });
  }
}

/** Stop what was started (a start still under way is awaited: it has engines to stop), then exit. */
async function shutdown(): Promise<never> {
  // A stop that hangs must not leave this process behind.
  setTimeout(() => {
    process.stderr.write('platform: stop timed out\n');
    process.exit(1);
  }, scaledMs(30_000)).unref();
  try {
    const platform = await starting?.catch(() => undefined);
    await platform?.stop();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`platform: stop failed: ${String(error)}\n`);
    process.exit(1);
  }
}

if (process.send === undefined) {
  process.stderr.write('test/support/platform-process.ts runs as a child of startTestPlatform only\n');
  process.exit(2);
}
process.on('message', (message: ToChild) => {
  if (message.kind === 'start') void start(message.options);
  else void answer(message);
});
process.on('disconnect', () => void shutdown());
// Ctrl-C reaches the whole process group: the parent decides, and its exit closes the channel.
process.on('SIGINT', () => undefined);

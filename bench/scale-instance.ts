/**
 * The evaluation instance of the scale bench (bench/scale.ts), in a worker thread: its own V8 isolate, so its
 * event loop, its heap and its garbage collections are its own, as in a Lambda execution environment, and not
 * the bench's (which holds the 50 000-flag workload, the publisher and DynamoDB clients: hundreds of MB that
 * every major GC of one shared heap would walk). The main thread publishes; this worker loads and applies.
 *
 * The worker runs this file bundled as the functions are (lib/constructs/function-bundling.ts: esbuild, minified),
 * not through tsx: tsx keeps function names by calling a helper on every closure it creates, which gives each
 * closure a property dictionary of its own (~0.5 KB a flag here) and costs time on every creation — code the
 * Lambda never runs. The bundle is built once (ScaleInstance.bundle) and every worker started from it: a new worker
 * is a new isolate, so each load run in one is a real cold start (no JIT, no heap from an earlier load). A worker's
 * old generation is capped at 256 MB (the per-instance budget): an instance over it dies, as it would in a
 * 256 MB Lambda, and the call waiting on it rejects.
 *
 * The "before" instance (bench/legacy: the whole body read, then JSON.parse + compileRuleset in one synchronous
 * block) runs here too (the `legacyLoad` op), bundled the same way and measured the same way as the new one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FUNCTION_BUNDLING } from '../lib/constructs/function-bundling';
import { prerequisiteEdges, prerequisiteStatuses } from '../shared/rules/compile';
import type { PrerequisiteNode } from '../shared/rules/prerequisites';
import { compileRuleset, type Ruleset } from '../shared/rules';
import { noCache } from '../shared/rulesets/cache';
import { RulesetRepository } from '../shared/rulesets/repository';
import { RulesetSource } from '../shared/rulesets/source';
import { buildUsers } from './engine-workload';
import { median } from './stats';
import { LegacyRulesetRepository } from './legacy/repository';

export interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  readonly maxBlockMs: number;
  readonly maxBlockOwnMs: number;
}

/** Gaps over 15 ms between probe ticks, [from, to] in µs of the monotonic clock (a CPU profile's time base). */
const longGaps: [number, number][] = [];
const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Milliseconds this thread has spent runnable but not running (waiting for a CPU the OS gave to another thread or
 * process), from /proc/thread-self/schedstat (Linux; 0 where it is not readable). Read by the thread it describes.
 */
function waitedMs(): number {
  try {
    const [, waitNs] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return Number(waitNs) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * Time `run`, with two views of the longest event-loop block: `maxBlockMs`, the longest gap between 1 ms timer
 * ticks in wall-clock time (what a request waiting on this instance would feel, including time the OS gave the
 * CPU to other processes — this machine is shared), and `maxBlockOwnMs`, the longest such gap less the time this
 * thread was preempted within it (runnable, not running: /proc/thread-self/schedstat): its own synchronous work
 * and the GC pauses it waited for, what the code would block on a CPU of its own. Background threads (concurrent
 * marking and compilation) count in neither. Where schedstat is not readable the two are equal.
 */
export async function measured<T>(run: () => Promise<T>): Promise<Measured<T>> {
  let lastWall = performance.now();
  let lastWaited = waitedMs();
  let maxBlockMs = 0;
  let maxBlockOwnMs = 0;
  const tick = () => {
    const wall = performance.now();
    const waited = waitedMs();
    if (wall - lastWall > 15) longGaps.push([hrtimeUs() - (wall - lastWall) * 1000, hrtimeUs()]);
    maxBlockMs = Math.max(maxBlockMs, wall - lastWall);
    maxBlockOwnMs = Math.max(maxBlockOwnMs, wall - lastWall - (waited - lastWaited));
    lastWall = wall;
    lastWaited = waited;
  };
  const probe = setInterval(tick, 1);
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  // One more turn so a block at the very end is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  tick();
  clearInterval(probe);
  return { value, ms, maxBlockMs, maxBlockOwnMs };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** This isolate's heap after two full collections, in MB. */
const heapMb = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size / 1e6;
};

/** With a file name: a CPU profile (0.2 ms samples) of `run` written there, with the long gaps seen meanwhile. */
async function profiled<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  if (file === undefined || file === '') return run();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify({ ...profile, longGaps }));
    session.disconnect();
  }
}

interface Setup {
  readonly endpoint: string;
  readonly table: string;
  readonly flags: number;
  readonly profile?: string;
}

/** The heap budget per instance (MB): the old generation of a worker is capped there by default. */
export const INSTANCE_BUDGET_MB = 256;

/** Where the before-instance reads its body: the legacy publisher's table and the revision it wrote. */
export interface LegacyLoad {
  readonly table: string;
  readonly revision: number;
}

type Blocks = Omit<Measured<unknown>, 'value'>;
const blocks = ({ ms, maxBlockMs, maxBlockOwnMs }: Measured<unknown>): Blocks => ({
  ms,
  maxBlockMs,
  maxBlockOwnMs,
});

/** What the worker answers, by request. */
export interface InstanceOps {
  /** The entries read and dropped, page by page: the SDK's share of a full load. */
  scanOnly: Blocks;
  /** A new instance (the previous one dropped first) loading everything, and the heap it holds then. */
  fullLoad: Blocks & { heapMb: number };
  /** 1 000 users × 100 flags evaluated (the flags a warm instance has compiled), and the heap then. */
  serve: { heapMb: number };
  /** The instance's next refresh (a change published meanwhile), and the flags it replaced. */
  apply: Blocks & { replaced: number };
  /** `GET /api/v1/sdk/ruleset`'s document joined for the current revision. */
  document: Blocks & { bytes: number };
  /**
   * A stand-in for what applying any change to a flag with prerequisites cost until now: today's
   * prerequisiteStatuses (the same depth computation as the old whole pass) over every flag with prerequisites and
   * the flags they name, sorted, in one synchronous pass (median of 5, ms).
   */
  wholePrerequisitePass: { ms: number; nodes: number };
  heap: { heapMb: number };
  /**
   * Before (bench/legacy): the previous before-state dropped, then one revision's whole body read and
   * JSON.parse + compileRuleset in one synchronous block (`parseCompileBlockMs`), both kept (what the old instance
   * held), and the heap then, minus the heap before the load.
   */
  legacyLoad: Blocks & { readBodyMs: number; parseCompileBlockMs: number; heapMb: number; bytes: number };
}

/** The ops that take an argument, and its type. */
interface InstanceArgs {
  legacyLoad: LegacyLoad;
}
type ArgsOf<K extends keyof InstanceOps> = K extends keyof InstanceArgs ? [InstanceArgs[K]] : [];

function serveInstance(setup: Setup): void {
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const client = new DynamoDBClient({ endpoint: setup.endpoint, region: 'us-east-1', credentials });
  const doc = DynamoDBDocumentClient.from(client);
  const repo = new RulesetRepository(doc, setup.table);
  let instance: RulesetSource | null = null;
  let baseline = 0;
  let legacyKept: { body: string; compiled: unknown } | null = null;
  let loads = 0;
  const users = buildUsers(1000);
  const ops: { [K in keyof InstanceOps]: (...args: ArgsOf<K>) => Promise<InstanceOps[K]> } = {
    scanOnly: async () => blocks(await measured(() => repo.scanEntries(() => undefined))),
    fullLoad: async () => {
      instance = null;
      baseline = heapMb();
      const fresh = new RulesetSource(repo, noCache, 0);
      // The first load is profiled when asked: a cold start.
      const load = () => measured(() => fresh.get());
      const loaded = await (loads++ === 0 ? profiled(setup.profile, load) : load());
      instance = fresh;
      return { ...blocks(loaded), heapMb: heapMb() - baseline };
    },
    serve: async () => {
      const ruleset = await instance!.get();
      for (const user of users) {
        for (let i = 0; i < 100; i++) ruleset.evaluate(`bench-flag-${(i * 499) % setup.flags}`, user);
      }
      return { heapMb: heapMb() - baseline };
    },
    apply: async () => {
      const applied = await measured(() => instance!.get());
      return { ...blocks(applied), replaced: instance!.lastRefresh?.replaced ?? -1 };
    },
    document: async () => {
      const joined = await measured(() => instance!.body());
      return { ...blocks(joined), bytes: Buffer.byteLength(joined.value.body) };
    },
    wholePrerequisitePass: async () => {
      const { view } = await instance!.view();
      const edges = new Map<string, readonly { flagKey: string }[]>();
      for (const key of view.flagKeys()) {
        const found = prerequisiteEdges(view.flag(key)!);
        if (found.length > 0) edges.set(key, found);
      }
      const times: number[] = [];
      let nodes = 0;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        const keys = new Set<string>();
        for (const [key, to] of edges) {
          keys.add(key);
          for (const edge of to) if (view.flag(edge.flagKey) !== undefined) keys.add(edge.flagKey);
        }
        const graph: PrerequisiteNode[] = [...keys]
          .sort()
          .map((key) => ({ key, prerequisites: edges.get(key) ?? [] }));
        prerequisiteStatuses(graph);
        times.push(performance.now() - started);
        nodes = graph.length;
      }
      return { ms: median(times), nodes };
    },
    heap: () => Promise.resolve({ heapMb: heapMb() - baseline }),
    legacyLoad: async ({ table, revision }) => {
      legacyKept = null;
      const legacyBaseline = heapMb();
      const legacyRepo = new LegacyRulesetRepository(doc, table);
      let readBodyMs = 0;
      let parseCompileBlockMs = 0;
      const loaded = await measured(async () => {
        const reading = performance.now();
        const body = await legacyRepo.body(revision);
        readBodyMs = performance.now() - reading;
        const compiling = performance.now();
        const compiled = compileRuleset(JSON.parse(body) as Ruleset);
        parseCompileBlockMs = performance.now() - compiling;
        return { body, compiled };
      });
      legacyKept = loaded.value;
      return {
        ...blocks(loaded),
        readBodyMs,
        parseCompileBlockMs,
        heapMb: heapMb() - legacyBaseline,
        bytes: Buffer.byteLength(legacyKept.body),
      };
    },
  };
  parentPort!.on('message', ({ op, arg }: { op: keyof InstanceOps; arg?: unknown }) => {
    (ops[op] as (arg?: unknown) => Promise<unknown>)(arg).then(
      (result) => parentPort!.postMessage({ ok: result }),
      (error: unknown) => parentPort!.postMessage({ error: (error as Error).stack ?? String(error) }),
    );
  });
}

/** The instance, from the bench's side: one request at a time. */
export class ScaleInstance {
  /** Set once the worker has exited (out of memory, a crash, or stop()): every call rejects from then on. */
  private exited: Error | null = null;
  /** The last error the worker reported ('error' comes before 'exit'). */
  private failure: Error | null = null;
  private pending: ((error: Error) => void) | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('error', (error) => {
      this.failure = error;
    });
    worker.on('exit', (code) => {
      const cause = this.failure === null ? '' : `: ${this.failure.message}`;
      this.exited = new Error(`scale instance: the worker exited (code ${code})${cause}`, {
        cause: this.failure ?? undefined,
      });
      this.pending?.(this.exited);
    });
  }

  /**
   * Build this file as the functions are bundled, once for every worker started from it. `profile`: identifiers
   * kept (a profile names functions), into a file of its own; the rest minified as shipped.
   */
  static async bundle(profile = false): Promise<string> {
    // Under the repository, so that the external @aws-sdk/* packages resolve from its node_modules.
    const dir = resolve(__dirname, '..', '.switchyard', 'bench');
    await mkdir(dir, { recursive: true });
    const bundle = join(dir, profile ? 'scale-instance-profile.js' : 'scale-instance.js');
    await build({
      entryPoints: [__filename],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: FUNCTION_BUNDLING.target,
      minify: FUNCTION_BUNDLING.minify,
      ...(profile ? { minifyIdentifiers: false } : {}),
      mainFields: [...FUNCTION_BUNDLING.mainFields],
      external: ['@aws-sdk/*', 'esbuild'],
      logLevel: 'error',
    });
    return bundle;
  }

  /**
   * A new instance (a new isolate) from `bundle`, its old generation capped at `maxOldGenerationSizeMb` (by
   * default the per-instance 256 MB: over it the worker dies and the call waiting on it rejects).
   */
  static start(bundle: string, setup: Setup, maxOldGenerationSizeMb = INSTANCE_BUDGET_MB): ScaleInstance {
    return new ScaleInstance(
      new Worker(bundle, { workerData: setup, resourceLimits: { maxOldGenerationSizeMb } }),
    );
  }

  call<K extends keyof InstanceOps>(op: K, ...args: ArgsOf<K>): Promise<InstanceOps[K]> {
    return new Promise((resolve, reject) => {
      if (this.exited !== null) {
        reject(this.exited);
        return;
      }
      const onMessage = (answer: { ok?: InstanceOps[K]; error?: string }) => {
        this.pending = null;
        if (answer.error !== undefined) reject(new Error(`scale instance: ${answer.error}`));
        else resolve(answer.ok!);
      };
      this.pending = (error) => {
        this.worker.off('message', onMessage);
        this.pending = null;
        reject(new Error(`${error.message} during ${op}`, { cause: error }));
      };
      this.worker.once('message', onMessage);
      this.worker.postMessage({ op, arg: args[0] });
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

if (!isMainThread && (workerData as Setup | undefined)?.table !== undefined)
  serveInstance(workerData as Setup);

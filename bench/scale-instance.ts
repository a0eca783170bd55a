/**
 * The evaluation instance of the scale bench (bench/scale.ts), in a worker thread: its own V8 isolate, so its
 * event loop, its heap and its garbage collections are its own, as in a Lambda execution environment, and not
 * the bench's (which holds the 50 000-flag workload, the publisher and DynamoDB clients: hundreds of MB that
 * every major GC of one shared heap would walk). The main thread publishes; this worker loads and applies.
 *
 * The worker runs this file bundled as the functions are (lib/constructs/function-bundling.ts: esbuild, minified),
 * not through tsx: tsx keeps function names by calling a helper on every closure it creates, which gives each
 * closure a property dictionary of its own (~0.5 KB a flag here) and costs time on every creation — code the
 * Lambda never runs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FUNCTION_BUNDLING } from '../lib/constructs/function-bundling';
import { prerequisiteEdges, prerequisiteStatuses } from '../shared/rules/compile';
import type { PrerequisiteNode } from '../shared/rules/prerequisites';
import { noCache } from '../shared/rulesets/cache';
import { RulesetRepository } from '../shared/rulesets/repository';
import { RulesetSource } from '../shared/rulesets/source';
import { buildUsers } from './engine-workload';

export interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  readonly maxBlockMs: number;
  readonly maxBlockCpuMs: number;
}

/** Gaps over 15 ms between probe ticks, [from, to] in µs of the monotonic clock (a CPU profile's time base). */
const longGaps: [number, number][] = [];
const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Time `run`, with two views of the longest event-loop block: `maxBlockMs`, the longest gap between 1 ms timer
 * ticks in wall-clock time (what a request waiting on this instance would feel, including time the OS gave the
 * CPU to other processes — this machine is shared), and `maxBlockCpuMs`, the CPU time this process used within
 * that kind of gap at most (its own synchronous work, plus GC threads): the figure preemption does not inflate.
 */
export async function measured<T>(run: () => Promise<T>): Promise<Measured<T>> {
  let lastWall = performance.now();
  let lastCpu = process.cpuUsage();
  let maxBlockMs = 0;
  let maxBlockCpuMs = 0;
  const tick = () => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    if (wall - lastWall > 15) longGaps.push([hrtimeUs() - (wall - lastWall) * 1000, hrtimeUs()]);
    maxBlockMs = Math.max(maxBlockMs, wall - lastWall);
    maxBlockCpuMs = Math.max(maxBlockCpuMs, (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000);
    lastWall = wall;
    lastCpu = cpu;
  };
  const probe = setInterval(tick, 1);
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  // One more turn so a block at the very end is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  tick();
  clearInterval(probe);
  return { value, ms, maxBlockMs, maxBlockCpuMs };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** This isolate's heap after two full collections, in MB. */
export const heapMb = () => {
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

type Blocks = Omit<Measured<unknown>, 'value'>;
const blocks = ({ ms, maxBlockMs, maxBlockCpuMs }: Measured<unknown>): Blocks => ({
  ms,
  maxBlockMs,
  maxBlockCpuMs,
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
   * Before: what applying any change to a flag with prerequisites cost until now — every flag with prerequisites
   * and the flags they name, sorted, and their statuses computed in one synchronous pass (median of 5, ms).
   */
  wholePrerequisitePass: { ms: number; nodes: number };
  heap: { heapMb: number };
}

function serveInstance(setup: Setup): void {
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const client = new DynamoDBClient({ endpoint: setup.endpoint, region: 'us-east-1', credentials });
  const repo = new RulesetRepository(DynamoDBDocumentClient.from(client), setup.table);
  let instance: RulesetSource | null = null;
  let baseline = 0;
  let loads = 0;
  const users = buildUsers(1000);
  const ops: { [K in keyof InstanceOps]: () => Promise<InstanceOps[K]> } = {
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
      return { ms: times.sort((a, b) => a - b)[2]!, nodes };
    },
    heap: () => Promise.resolve({ heapMb: heapMb() - baseline }),
  };
  parentPort!.on('message', (op: keyof InstanceOps) => {
    ops[op]().then(
      (result) => parentPort!.postMessage({ ok: result }),
      (error: unknown) => parentPort!.postMessage({ error: (error as Error).stack ?? String(error) }),
    );
  });
}

/** The instance, from the bench's side: one request at a time. */
export class ScaleInstance {
  private constructor(private readonly worker: Worker) {}

  static async start(setup: Setup): Promise<ScaleInstance> {
    // Under the repository, so that the external @aws-sdk/* packages resolve from its node_modules.
    const dir = resolve(__dirname, '..', '.switchyard', 'bench');
    await mkdir(dir, { recursive: true });
    const bundle = join(dir, 'scale-instance.js');
    await build({
      entryPoints: [__filename],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: FUNCTION_BUNDLING.target,
      minify: FUNCTION_BUNDLING.minify,
      // A profile names functions: identifiers kept then (the rest minified as shipped).
      ...(setup.profile === undefined ? {} : { minifyIdentifiers: false }),
      mainFields: [...FUNCTION_BUNDLING.mainFields],
      external: ['@aws-sdk/*', 'esbuild'],
      logLevel: 'error',
    });
    return new ScaleInstance(new Worker(bundle, { workerData: setup }));
  }

  call<K extends keyof InstanceOps>(op: K): Promise<InstanceOps[K]> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.worker.once('error', onError);
      this.worker.once('message', (answer: { ok?: InstanceOps[K]; error?: string }) => {
        this.worker.off('error', onError);
        if (answer.error !== undefined) reject(new Error(`scale instance: ${answer.error}`));
        else resolve(answer.ok!);
      });
      this.worker.postMessage(op);
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

if (!isMainThread && (workerData as Setup | undefined)?.table !== undefined)
  serveInstance(workerData as Setup);

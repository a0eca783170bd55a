/**
 * Issue 17, goal 4: the warm `POST /api/v1/assignments` handler (20 running experiments → 20 exposures per call)
 * against `POST /api/v1/evaluate` (100 flags, no exposure), in process through the full middy chain, the real
 * evaluation bundle against DynamoDB Local and kinesalite. The two routes alternate call by call, so both see the
 * same machine; `rounds` runs of `runs` calls each, and the medians of each round's p50 and p99. At the end the
 * function is shut down as on SIGTERM and every exposure returned is looked for on the stream.
 */
import { tmpdir } from 'node:os';
import { rulesetObjectsCapability } from '../shared/environment';
import { streamEvents } from '../test/support/event-stream';
import { benchUsers, loadEvaluationHandler, startEvaluationStores, timedCall } from './evaluation-handler';
import { median, round, summarize } from './stats';

export async function benchExposures(rounds = 5, runs = 2000): Promise<object> {
  const stores = await startEvaluationStores();
  try {
    // Rulesets too large to send inline are files locally (the bench's is small: never used, but required).
    Object.assign(
      process.env,
      stores.env,
      rulesetObjectsCapability.render({ kind: 'local', dir: tmpdir(), secret: 'b'.repeat(32) }),
    );
    delete process.env.CACHE_URL;
    const { runtime, handler } = await loadEvaluationHandler();
    const users = benchUsers();
    let returned = 0;
    const call = async (path: string, i: number) => {
      const res = await timedCall(handler, path, i, { context: users[i % users.length] });
      if (path.endsWith('assignments'))
        returned += (JSON.parse(res.body) as { assignments: { inExperiment: boolean }[] }).assignments.filter(
          (a) => a.inExperiment,
        ).length;
      return res.ns;
    };
    for (let i = 0; i < 300; i++) {
      await call('/api/v1/evaluate', i);
      await call('/api/v1/assignments', i);
    }
    const perRound: { evaluate: ReturnType<typeof summarize>; assign: ReturnType<typeof summarize> }[] = [];
    for (let r = 0; r < rounds; r++) {
      const evaluate: number[] = [];
      const assign: number[] = [];
      for (let i = 0; i < runs; i++) {
        evaluate.push(await call('/api/v1/evaluate', i));
        assign.push(await call('/api/v1/assignments', i));
      }
      perRound.push({ evaluate: summarize(evaluate), assign: summarize(assign) });
    }
    // As on SIGTERM (the code before this change had no shutdown: its exposures were all put before answering).
    const shutdownStarted = Date.now();
    await (runtime as { shutdown?: (ms: number) => Promise<void> }).shutdown?.(2000);
    const shutdownMs = Date.now() - shutdownStarted;
    runtime.dispose();
    // Exposure events on the stream, every shard from its start (the stores' endpoint and keys are in the env).
    const onStream = (await streamEvents(stores.env.EVENTS_STREAM_NAME!)).filter(
      (e) => e.type === 'exposure',
    ).length;
    const med = (pick: (r: (typeof perRound)[number]) => number) => round(median(perRound.map(pick)));
    const evaluateP99 = med((r) => r.evaluate.p99Us);
    const assignP99 = med((r) => r.assign.p99Us);
    return {
      description:
        'warm in-process handler time (µs), /assignments (20 exposures a call) vs /evaluate (100 flags), ' +
        `alternating; medians over ${rounds} rounds of ${runs} calls each`,
      evaluate: { p50Us: med((r) => r.evaluate.medianUs), p99Us: evaluateP99 },
      assignments: { p50Us: med((r) => r.assign.medianUs), p99Us: assignP99 },
      p99Ratio: round(assignP99 / evaluateP99),
      goalP99RatioAtMost: 2,
      rounds: perRound.map((r) => ({
        evaluate: [r.evaluate.medianUs, r.evaluate.p99Us],
        assignments: [r.assign.medianUs, r.assign.p99Us],
      })),
      exposures: { returned, onStream, shutdownMs },
    };
  } finally {
    await stores.stop();
  }
}

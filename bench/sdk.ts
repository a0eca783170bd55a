/**
 * SDK benchmark (issue 14): local-mode evaluations per second through @switchyard/sdk as it ships (dist/index.cjs,
 * built by sdk/js/scripts/bundle.ts), beside the engine's own on the same workload (bench/engine-workload.ts)
 * and the same (user, flag) sequence as bench/engine.ts; also through the OpenFeature server provider. Warm-up,
 * then ROUNDS timed rounds; medians. Also the package's sizes.
 *
 *   npx tsx bench/sdk.ts      prints the JSON; `benchSdk()` returns it (for `npm run bench -- sdk`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk';
import type * as Sdk from '../sdk/js/src';
import type * as SdkOpenFeature from '../sdk/js/src/openfeature';
import { installPackage } from '../sdk/js/scripts/bundle';
import * as engine from '../shared/rules';
import { runSequence } from './engine';
import { FLAG_COUNT, USER_COUNT, buildFlagSpecs, buildUsers, switchyardRuleset } from './engine-workload';
import { median, round } from './stats';

const ROUNDS = 7;
const WARM_UP_MS = 1500;
const ROUND_TARGET_MS = 400;

type EvaluateOne = (flag: number, user: number) => boolean;

interface Rounds {
  evalsPerSec: number;
  nsPerEval: number;
  roundsNsPerEval: number[];
  evalsPerRound: number;
}

function summarizeRounds(rounds: number[], perRound: number): Rounds {
  const nsPerEval = median(rounds);
  return {
    evalsPerSec: Math.round(1e9 / nsPerEval),
    nsPerEval: round(nsPerEval, 1),
    roundsNsPerEval: rounds.map((ns) => round(ns, 1)),
    evalsPerRound: perRound,
  };
}

/** Warm-up, a calibration that sizes rounds to ~ROUND_TARGET_MS, then ROUNDS timed rounds. */
function timeSync(evaluate: EvaluateOne): Rounds {
  let done = 0;
  const warmStart = performance.now();
  while (performance.now() - warmStart < WARM_UP_MS) {
    runSequence(evaluate, done, 20_000);
    done += 20_000;
  }
  const calibration = performance.now();
  runSequence(evaluate, 0, 50_000);
  const nsPerEval = ((performance.now() - calibration) * 1e6) / 50_000;
  const perRound = Math.max(50_000, Math.min(5_000_000, Math.round((ROUND_TARGET_MS * 1e6) / nsPerEval)));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    runSequence(evaluate, r * perRound, perRound);
    rounds.push(((performance.now() - start) * 1e6) / perRound);
  }
  return summarizeRounds(rounds, perRound);
}

/** The same for an asynchronous evaluation (OpenFeature's client API), awaited one at a time. */
async function timeAsync(evaluate: (flag: number, user: number) => Promise<boolean>): Promise<Rounds> {
  const run = async (start: number, count: number) => {
    for (let i = start; i < start + count; i++) {
      await evaluate((i + Math.floor(i / USER_COUNT) * 7) % FLAG_COUNT, i % USER_COUNT);
    }
  };
  const warmStart = performance.now();
  for (let done = 0; performance.now() - warmStart < WARM_UP_MS; done += 5_000) await run(done, 5_000);
  const calibration = performance.now();
  await run(0, 20_000);
  const nsPerEval = ((performance.now() - calibration) * 1e6) / 20_000;
  const perRound = Math.max(20_000, Math.round((ROUND_TARGET_MS * 1e6) / nsPerEval));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    await run(r * perRound, perRound);
    rounds.push(((performance.now() - start) * 1e6) / perRound);
  }
  return summarizeRounds(rounds, perRound);
}

export async function benchSdk(): Promise<object> {
  const users = buildUsers();
  const specs = buildFlagSpecs();
  const keys = specs.map((s) => s.key);
  const ruleset = switchyardRuleset(specs);

  // The package as it ships, loaded from its CommonJS build.
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-bench-'));
  try {
    const { sizes } = await installPackage(dir, { types: false });
    const load = createRequire(join(dir, 'bench.cjs'));
    const sdk = load('@switchyard/sdk') as typeof Sdk;
    const fetch: Sdk.FetchLike = async () => ({
      status: 304,
      headers: { get: () => null },
      text: async () => '',
    });
    const client = sdk.createClient({
      mode: 'local',
      baseUrl: 'https://bench.invalid',
      apiKey: 'bench',
      fetch,
      ruleset,
      pollIntervalMs: 0,
    });
    const compiled = engine.compileRuleset(ruleset);

    // Both must give the same answers before their speed means anything.
    for (let i = 0; i < 10_000; i++) {
      const flag = keys[i % FLAG_COUNT]!;
      const user = users[i % USER_COUNT]!;
      if (client.getBooleanValue(flag, user, false) !== (compiled.evaluate(flag, user).value === true)) {
        throw new Error(`the SDK and the engine disagree on ${flag} for user ${i % USER_COUNT}`);
      }
    }

    const engineRounds = timeSync((flag, user) => compiled.evaluate(keys[flag]!, users[user]).value === true);
    const sdkRounds = timeSync((flag, user) => client.getBooleanValue(keys[flag]!, users[user]!, false));
    const detailsRounds = timeSync(
      (flag, user) => client.getBooleanDetails(keys[flag]!, users[user]!, false).value,
    );

    // OpenFeature's server SDK over the provider: its client API (hooks, context merging) is asynchronous.
    const { SwitchyardProvider } = load('@switchyard/sdk/openfeature') as typeof SdkOpenFeature;
    await OpenFeature.setProviderAndWait('bench', new SwitchyardProvider(client));
    const of = OpenFeature.getClient('bench');
    const providerRounds = await timeAsync((flag, user) =>
      of.getBooleanValue(keys[flag]!, false, users[user] as unknown as Record<string, string>),
    );
    // OpenFeature's own in-memory provider (a static variant per flag): what the OpenFeature API costs by itself.
    const inMemory = Object.fromEntries(
      keys.map((key) => [key, { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false }]),
    );
    await OpenFeature.setProviderAndWait('bench-in-memory', new InMemoryProvider(inMemory));
    const ofInMemory = OpenFeature.getClient('bench-in-memory');
    const inMemoryRounds = await timeAsync((flag, user) =>
      ofInMemory.getBooleanValue(keys[flag]!, false, users[user] as unknown as Record<string, string>),
    );
    await OpenFeature.close();
    await client.close();

    return {
      description:
        'local-mode flag evaluations per second: the engine (shared/rules) and the SDK built from it, same workload and sequence as bench/engine.ts; median of rounds after warm-up',
      machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
      workload: { flags: FLAG_COUNT, rulesPerFlag: 3, rollout: '30%', users: USER_COUNT, rounds: ROUNDS },
      results: {
        engine: { call: 'compileRuleset(r).evaluate(flagKey, context)', ...engineRounds },
        sdk: {
          call: 'client.getBooleanValue(flagKey, context, false) (local mode, dist/index.cjs)',
          ...sdkRounds,
        },
        sdkDetails: { call: 'client.getBooleanDetails(flagKey, context, false)', ...detailsRounds },
        openFeatureProvider: {
          call: 'await OpenFeature.getClient().getBooleanValue(flagKey, false, context) over SwitchyardProvider',
          ...providerRounds,
        },
        openFeatureInMemoryProvider: {
          call: "the same over OpenFeature's InMemoryProvider (static variants): the OpenFeature client's own cost",
          ...inMemoryRounds,
        },
      },
      sdkShareOfEngineSpeed: round(sdkRounds.evalsPerSec / engineRounds.evalsPerSec, 3),
      package: sizes.map((s) => ({
        entry: s.entry,
        bytes: s.bytes,
        minifiedBytes: s.minifiedBytes,
        gzipBytes: s.gzipBytes,
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchSdk()
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

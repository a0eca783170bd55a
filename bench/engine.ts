/**
 * Engine benchmark (issue 4): the same workload (bench/engine-workload.ts) through Switchyard's compiled
 * engine and four peers: GrowthBook's JS SDK, the Unleash Node client (offline, bootstrapped), flagd-core
 * and json-logic-js. Each candidate warms up, then runs ROUNDS timed rounds of the same (user, flag)
 * sequence; medians are reported. Also the size of the evaluation bundle.
 *
 *   npx tsx bench/engine.ts        prints the JSON; `benchEngine()` returns it (for bench/run.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GrowthBookClient } from '@growthbook/growthbook';
import type { EvaluationContext } from '@openfeature/core';
import { FlagdCore } from '@openfeature/flagd-core';
import { build } from 'esbuild';
import jsonLogic from 'json-logic-js';
import semver from 'semver';
import { InMemStorageProvider, Unleash, type Context as UnleashContext } from 'unleash-client';
import * as source from '../shared/rules';
import { median, round } from './stats';
import {
  FLAG_COUNT,
  USER_COUNT,
  buildFlagSpecs,
  buildUsers,
  flagdConfiguration,
  growthBookFeatures,
  jsonLogicTargeting,
  switchyardRuleset,
  unleashContext,
  unleashFeatures,
  type User,
} from './engine-workload';

const ROUNDS = 5;
const WARM_UP_MS = 1500;
const ROUND_TARGET_MS = 500;
/** Pairs checked against Switchyard's answers, to show the workloads agree. */
const AGREEMENT_SAMPLE = 100_000;

/** Evaluates flag `flag` for user `user`; true when the flag is on. */
type EvaluateOne = (flag: number, user: number) => boolean;

interface Candidate {
  readonly name: string;
  readonly library: string;
  readonly evaluate: EvaluateOne;
  readonly notes: string[];
  readonly close?: () => void;
}

interface Measurement {
  library: string;
  evalsPerSec: number;
  nsPerEval: number;
  roundsNsPerEval: number[];
  evalsPerRound: number;
  onRate: number;
  agreementWithSwitchyard: number;
  agreementOnRuleMatches: number;
  notes: string[];
}

type EngineModule = typeof source;

/** The evaluation code as Lambda loads it: shared/rules/index.ts bundled and minified by esbuild. */
async function bundleEngine(): Promise<{ bytes: number; gzipBytes: number; engine: EngineModule }> {
  const result = await build({
    entryPoints: [join(__dirname, '../shared/rules/index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-engine-'));
  try {
    const file = join(dir, 'engine.js');
    writeFileSync(file, code);
    const engine = createRequire(file)(file) as EngineModule;
    return { bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, engine };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pair evaluated at step i: users in order, flags rotating (shifted on every pass over the users). */
function pairAt(i: number): [flag: number, user: number] {
  return [(i + Math.floor(i / USER_COUNT) * 7) % FLAG_COUNT, i % USER_COUNT];
}

export function runSequence(evaluate: EvaluateOne, start: number, count: number): number {
  let on = 0;
  const end = start + count;
  for (let i = start; i < end; i++) {
    const user = i % USER_COUNT;
    const flag = (i + Math.floor(i / USER_COUNT) * 7) % FLAG_COUNT;
    if (evaluate(flag, user)) on++;
  }
  return on;
}

function measure(candidate: Candidate, reference: boolean[], ruleMatched: boolean[]): Measurement {
  // Warm-up (the JIT settles), then a short calibration run that sizes rounds to about ROUND_TARGET_MS.
  let done = 0;
  const warmStart = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - warmStart) / 1e6 < WARM_UP_MS) {
    runSequence(candidate.evaluate, done, 20_000);
    done += 20_000;
  }
  const calibrationStart = process.hrtime.bigint();
  runSequence(candidate.evaluate, 0, 50_000);
  const warmNsPerEval = Number(process.hrtime.bigint() - calibrationStart) / 50_000;
  const perRound = Math.max(50_000, Math.min(5_000_000, Math.round((ROUND_TARGET_MS * 1e6) / warmNsPerEval)));

  const rounds: number[] = [];
  let on = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    on += runSequence(candidate.evaluate, r * perRound, perRound);
    rounds.push(Number(process.hrtime.bigint() - start) / perRound);
  }
  let agree = 0;
  let ruleAgree = 0;
  let ruleTotal = 0;
  for (let i = 0; i < AGREEMENT_SAMPLE; i++) {
    const [flag, user] = pairAt(i);
    const answer = candidate.evaluate(flag, user);
    if (answer === reference[i]) agree++;
    if (ruleMatched[i]) {
      ruleTotal++;
      if (answer === reference[i]) ruleAgree++;
    }
  }
  const nsPerEval = median(rounds);
  return {
    library: candidate.library,
    evalsPerSec: Math.round(1e9 / nsPerEval),
    nsPerEval: round(nsPerEval, 1),
    roundsNsPerEval: rounds.map((ns) => round(ns, 1)),
    evalsPerRound: perRound,
    onRate: round(on / (perRound * ROUNDS), 4),
    agreementWithSwitchyard: round(agree / AGREEMENT_SAMPLE, 4),
    agreementOnRuleMatches: round(ruleAgree / Math.max(1, ruleTotal), 4),
    notes: candidate.notes,
  };
}

function switchyardCandidate(
  name: string,
  engine: EngineModule,
  keys: string[],
  users: User[],
  note: string,
) {
  const compiled = engine.compileRuleset(switchyardRuleset(buildFlagSpecs()));
  return {
    name,
    library: `switchyard (${note})`,
    evaluate: (flag: number, user: number) => compiled.evaluate(keys[flag]!, users[user]).value === true,
    notes: ['compileRuleset once, then evaluate(flagKey, context) returning full resolution details'],
  } satisfies Candidate;
}

function growthBookCandidate(keys: string[], users: User[]): Candidate {
  const client = new GrowthBookClient();
  client.initSync({ payload: { features: growthBookFeatures(buildFlagSpecs()) as never }, streaming: false });
  const contexts = users.map((attributes) => ({
    attributes: attributes as unknown as Record<string, unknown>,
  }));
  return {
    name: 'growthbook',
    library: '@growthbook/growthbook GrowthBookClient.evalFeature',
    evaluate: (flag, user) => client.evalFeature(keys[flag]!, contexts[user]!).value === true,
    notes: [
      'features defined locally (initSync): 3 force rules with conditions + a 30% rollout rule (coverage)',
      'contains is a $regex with the operand escaped (GrowthBook has no substring operator)',
      'its own hash (FNV-based) for the rollout: the 30% are different units',
    ],
  };
}

async function unleashCandidate(keys: string[], users: User[]): Promise<Candidate> {
  const unleash = new Unleash({
    appName: 'switchyard-bench',
    url: 'http://127.0.0.1:9/api/', // never contacted: refreshInterval 0 disables fetching
    refreshInterval: 0,
    disableMetrics: true,
    disableAutoStart: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: unleashFeatures(buildFlagSpecs()) as never },
  });
  unleash.on('error', () => undefined);
  unleash.on('warn', () => undefined);
  const ready = new Promise((resolve) => unleash.once('ready', resolve));
  await unleash.start();
  await ready;
  const contexts = users.map(unleashContext) as UnleashContext[];
  return {
    name: 'unleash',
    library: 'unleash-client Unleash.isEnabled (bootstrap, offline)',
    evaluate: (flag, user) => unleash.isEnabled(keys[flag]!, contexts[user]),
    notes: [
      'bootstrap data, refreshInterval 0 and disableMetrics: no network',
      'rules are flexibleRollout(100%) strategies with one constraint each, then flexibleRollout(30%)',
      'context properties are flat strings: device.os is a property named "device.os" (prepared outside the timing)',
      'its own hash (murmur3 of groupId:userId, 100 buckets) for the rollout',
    ],
    close: () => unleash.destroy(),
  };
}

function flagdCandidate(keys: string[], users: User[]): Candidate {
  const core = new FlagdCore();
  core.setConfigurations(flagdConfiguration(buildFlagSpecs()));
  const logger = {
    error: () => undefined,
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
  };
  const contexts = users as unknown as EvaluationContext[];
  return {
    name: 'flagd',
    library: '@openfeature/flagd-core FlagdCore.resolveBooleanEvaluation',
    evaluate: (flag, user) => core.resolveBooleanEvaluation(keys[flag]!, false, contexts[user], logger).value,
    notes: [
      'targeting is json-logic: an if-chain of the 3 rules (==, in, >, sem_ver, in-as-substring, var device.os), then fractional 30/70',
      'fractional hashes flagKey + targetingKey with its own scheme: the 30% are different units',
    ],
  };
}

function jsonLogicCandidate(keys: string[], users: User[]): Candidate {
  jsonLogic.add_operation('sem_ver', (version: unknown, op: unknown, target: unknown) => {
    if (typeof version !== 'string' || typeof target !== 'string' || semver.valid(version) === null)
      return false;
    return op === '>' ? semver.gt(version, target) : false;
  });
  jsonLogic.add_operation('fractional', (unit: unknown, ...buckets: [string, number][]) => {
    if (typeof unit !== 'string') return null;
    let bucket = Math.floor(source.murmur3(unit) / 42949672.96);
    for (const [variant, percent] of buckets) {
      if (bucket < percent) return variant;
      bucket -= percent;
    }
    return null;
  });
  const specs = buildFlagSpecs();
  const rules = specs.map((spec) =>
    jsonLogicTargeting(spec, [{ cat: [spec.key, '/', { var: 'targetingKey' }] }]),
  );
  return {
    name: 'jsonLogic',
    library: 'json-logic-js apply',
    evaluate: (flag, user) => jsonLogic.apply(rules[flag] as jsonLogic.RulesLogic, users[user]) === 'on',
    notes: [
      'the same json-logic as flagd, applied directly to the context (no flag model around it)',
      'sem_ver and fractional added with add_operation (semver package; fractional = Switchyard bucketing on "<flagKey>/<targetingKey>", so the rollout units match Switchyard)',
    ],
  };
}

export async function benchEngine(): Promise<object> {
  const users = buildUsers();
  const specs = buildFlagSpecs();
  const keys = specs.map((s) => s.key);
  const bundle = await bundleEngine();

  // Switchyard's own answers on the agreement sample: the reference the peers are compared with.
  const compiled = bundle.engine.compileRuleset(switchyardRuleset(specs));
  const reference: boolean[] = [];
  const ruleMatched: boolean[] = [];
  for (let i = 0; i < AGREEMENT_SAMPLE; i++) {
    const [flag, user] = pairAt(i);
    const result = compiled.evaluate(keys[flag]!, users[user]);
    reference.push(result.value === true);
    ruleMatched.push(result.reason === 'TARGETING_MATCH');
  }

  const candidates: Candidate[] = [
    switchyardCandidate('switchyard', bundle.engine, keys, users, 'esbuild bundle, as deployed'),
    switchyardCandidate('switchyardSource', source, keys, users, 'TypeScript source through tsx'),
    growthBookCandidate(keys, users),
    await unleashCandidate(keys, users),
    flagdCandidate(keys, users),
    jsonLogicCandidate(keys, users),
  ];
  const results: Record<string, Measurement> = {};
  for (const candidate of candidates) {
    results[candidate.name] = measure(candidate, reference, ruleMatched);
    candidate.close?.();
  }

  const ours = results.switchyard!;
  const peers = ['growthbook', 'unleash', 'flagd', 'jsonLogic'];
  const fastestPeer = peers.reduce((best, name) =>
    results[name]!.evalsPerSec > results[best]!.evalsPerSec ? name : best,
  );
  const ratio = (name: string) => round(ours.evalsPerSec / results[name]!.evalsPerSec, 2);
  return {
    description:
      'flag evaluations per second, same workload for every library; median of rounds after warm-up',
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
    workload: {
      flags: FLAG_COUNT,
      rulesPerFlag: 3,
      ruleOperators:
        'eq (string), in (strings), gt (number), semver gt, contains, eq on nested device.os; rotating',
      fallthrough: '30% rollout of on, else off',
      users: USER_COUNT,
      attributesPerUser: 10,
      rounds: ROUNDS,
      sequence: 'users in order, flag (i + 7 * pass) mod 100; identical for every library',
    },
    results,
    ratios: Object.fromEntries(
      peers.map((name) => [`switchyardVs${name[0]!.toUpperCase()}${name.slice(1)}`, ratio(name)]),
    ),
    fastestPeer,
    target: {
      goal: 'switchyard >= 2x the fastest peer',
      ratioToFastestPeer: ratio(fastestPeer),
      met: ratio(fastestPeer) >= 2,
    },
    bundle: {
      entry: 'shared/rules/index.ts',
      tool: 'esbuild (bundle, minify, platform node, cjs)',
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
    },
  };
}

if (require.main === module) {
  benchEngine()
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

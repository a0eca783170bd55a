/**
 * Experiment assignments per second in process (issue 5): a 20-experiment ruleset — 8 of them sharing two
 * layers, 6 with an eligibility condition, traffic from 50% to 100%, 2 to 4 variants — assigned for 1 000
 * users, every experiment per call (`compiled.assign(context)`), as `POST /api/v1/assignments` does. Beside
 * it, GrowthBook's `runInlineExperiment` on the same 20 experiments (layers as its namespaces, conditions as
 * its conditions), as a reference for what a well-known SDK costs per assignment.
 */
import { GrowthBookClient } from '@growthbook/growthbook';
import { compileRuleset, type RulesetExperiment, type RulesetLayer } from '../shared/rules';
import { buildUsers, type User } from './engine-workload';
import { median, round } from './stats';

export const EXPERIMENT_COUNT = 20;
const USERS = 1000;
const ROUNDS = 7;
const CALLS_PER_ROUND = 20_000;

interface ExperimentSpec {
  key: string;
  weights: number[];
  traffic: number;
  layer?: { key: string; range: [number, number] };
  plan?: string;
}

export function experimentSpecs(): ExperimentSpec[] {
  return Array.from({ length: EXPERIMENT_COUNT }, (_, i) => {
    const variants = 2 + (i % 3);
    const weights = Array.from({ length: variants }, () => Math.floor(10_000 / variants));
    weights[0]! += 10_000 - weights.reduce((a, b) => a + b, 0);
    const spec: ExperimentSpec = { key: `exp-${i}`, weights, traffic: 5000 + ((i * 2500) % 5001) };
    if (i < 8) {
      const slot = i % 4;
      spec.layer = { key: `layer-${i < 4 ? 'a' : 'b'}`, range: [slot * 2500, (slot + 1) * 2500] };
    }
    if (i % 3 === 1) spec.plan = ['pro', 'business', 'enterprise'][(i >> 1) % 3]!;
    return spec;
  });
}

export function rulesetExperiments(specs: ExperimentSpec[]): {
  experiments: RulesetExperiment[];
  layers: RulesetLayer[];
} {
  const experiments = specs.map((s): RulesetExperiment => ({
    key: s.key,
    variants: s.weights.map((weight, v) => ({ key: `v${v}`, weight, isControl: v === 0 })),
    trafficAllocation: s.traffic,
    unitAttribute: 'userId',
    ...(s.layer === undefined ? {} : { layer: s.layer.key, layerRange: s.layer.range }),
    ...(s.plan === undefined ? {} : { conditions: { attribute: 'plan', op: 'eq', values: [s.plan] } }),
  }));
  return { experiments, layers: [{ key: 'layer-a' }, { key: 'layer-b' }] };
}

function time(calls: (n: number, offset: number) => number): {
  perSec: number;
  rounds: number[];
  in: number;
} {
  calls(CALLS_PER_ROUND, 0); // warm-up
  const rounds: number[] = [];
  let inExperiment = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    inExperiment += calls(CALLS_PER_ROUND, r * CALLS_PER_ROUND);
    rounds.push(Number(process.hrtime.bigint() - start) / CALLS_PER_ROUND);
  }
  return { perSec: Math.round(1e9 / median(rounds)), rounds, in: inExperiment / (ROUNDS * CALLS_PER_ROUND) };
}

export function benchAssignments(): object {
  const users: (User & { userId: string })[] = buildUsers(USERS).map((u) => ({
    ...u,
    userId: u.targetingKey,
  }));
  const specs = experimentSpecs();
  const compiled = compileRuleset({
    revision: 1,
    hashVersion: 1,
    flags: [],
    segments: [],
    ...rulesetExperiments(specs),
  });
  const ours = time((n, offset) => {
    let assigned = 0;
    for (let i = 0; i < n; i++) {
      for (const a of compiled.assign(users[(offset + i) % USERS])) if (a.inExperiment) assigned++;
    }
    return assigned;
  });

  const growthbook = new GrowthBookClient();
  growthbook.initSync({ payload: { features: {} }, streaming: false });
  const gbExperiments = specs.map((s) => ({
    key: s.key,
    variations: s.weights.map((_, v) => v) as [number, number, ...number[]],
    weights: s.weights.map((w) => w / 10_000),
    coverage: s.traffic / 10_000,
    hashAttribute: 'userId',
    ...(s.layer === undefined
      ? {}
      : {
          namespace: [s.layer.key, s.layer.range[0] / 10_000, s.layer.range[1] / 10_000] as [
            string,
            number,
            number,
          ],
        }),
    ...(s.plan === undefined ? {} : { condition: { plan: s.plan } }),
  }));
  const contexts = users.map((u) => ({ attributes: u as unknown as Record<string, unknown> }));
  const theirs = time((n, offset) => {
    let assigned = 0;
    for (let i = 0; i < n; i++) {
      const context = contexts[(offset + i) % USERS]!;
      for (const experiment of gbExperiments) {
        if (growthbook.runInlineExperiment(experiment, context).inExperiment) assigned++;
      }
    }
    return assigned;
  });

  const perCall = (x: { perSec: number }) => x.perSec;
  return {
    description:
      'in-process assignment of one unit to all 20 experiments per call; median of rounds after warm-up',
    workload: {
      experiments: EXPERIMENT_COUNT,
      layered: specs.filter((s) => s.layer !== undefined).length,
      withCondition: specs.filter((s) => s.plan !== undefined).length,
      users: USERS,
      rounds: ROUNDS,
      callsPerRound: CALLS_PER_ROUND,
    },
    switchyard: {
      callsPerSec: perCall(ours),
      assignmentsPerSec: ours.perSec * EXPERIMENT_COUNT,
      nsPerCall: round(1e9 / ours.perSec, 1),
      inExperimentPerCall: round(ours.in, 3),
    },
    growthbook: {
      library: '@growthbook/growthbook GrowthBookClient.runInlineExperiment, one call per experiment',
      callsPerSec: perCall(theirs),
      assignmentsPerSec: theirs.perSec * EXPERIMENT_COUNT,
      nsPerCall: round(1e9 / theirs.perSec, 1),
      inExperimentPerCall: round(theirs.in, 3),
      notes: ['its own hash (FNV-based) and namespace ranges: which units are in differs, the shares match'],
    },
    ratioSwitchyardVsGrowthbook: round(ours.perSec / theirs.perSec, 2),
  };
}

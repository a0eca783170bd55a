import { AssignmentService, type Exposure } from '../../../shared/assignments';
import { compileRuleset, type Ruleset, type RulesetExperiment } from '../../../shared/rules';
import type { RulesetSource } from '../../../shared/rulesets/source';

const variants: RulesetExperiment['variants'] = [
  { key: 'control', weight: 5000, isControl: true },
  { key: 'treatment', weight: 5000, isControl: false },
];
const flag = (key: string, clientSide: boolean): Ruleset['flags'][number] => ({
  key,
  kind: 'boolean',
  variations: [
    { key: 'control', value: false },
    { key: 'treatment', value: true },
  ],
  enabled: true,
  offVariation: 'control',
  fallthrough: { variation: 'control' },
  rules: [],
  clientSide,
});
const ruleset: Ruleset = {
  revision: 4,
  hashVersion: 1,
  segments: [],
  flags: [flag('public-flag', true), flag('server-flag', false)],
  experiments: [
    { key: 'plain', variants, trafficAllocation: 10_000, unitAttribute: 'userId' },
    {
      key: 'on-public',
      variants,
      trafficAllocation: 10_000,
      unitAttribute: 'userId',
      flagKey: 'public-flag',
    },
    {
      key: 'on-server',
      variants,
      trafficAllocation: 10_000,
      unitAttribute: 'userId',
      flagKey: 'server-flag',
    },
  ],
};

describe('assignment service', () => {
  const exposed: Exposure[] = [];
  const service = new AssignmentService(
    { get: async () => compileRuleset(ruleset) } as unknown as RulesetSource,
    {
      log: async (e) => void exposed.push(...e),
    },
  );

  beforeEach(() => (exposed.length = 0));

  it('assigns a server caller to every running experiment and logs one exposure each', async () => {
    const out = await service.assign({ keyType: 'server' }, { unitId: 'u-1' });
    expect(out.revision).toBe(4);
    expect(out.assignments.map((a) => [a.experimentKey, a.reason])).toEqual([
      ['plain', 'ASSIGNED'],
      ['on-public', 'ASSIGNED'],
      ['on-server', 'ASSIGNED'],
    ]);
    expect(exposed).toEqual(
      out.assignments.map((a) => ({ experimentKey: a.experimentKey, variant: a.variant, unitId: 'u-1' })),
    );
  });

  it('shows client keys only experiments behind no flag or a client-side one', async () => {
    const all = await service.assign({ keyType: 'client' }, { context: { userId: 'u-1' } });
    expect(all.assignments.map((a) => a.experimentKey)).toEqual(['plain', 'on-public']);
    const named = await service.assign(
      { keyType: 'client' },
      { unitId: 'u-1', experiments: ['on-server', 'plain'] },
    );
    expect(named.assignments.map((a) => [a.experimentKey, a.reason])).toEqual([
      ['on-server', 'NOT_RUNNING'],
      ['plain', 'ASSIGNED'],
    ]);
    expect(exposed.filter((e) => e.experimentKey === 'on-server')).toEqual([]);
  });

  it('logs no exposure for units outside an experiment', async () => {
    await service.assign({ keyType: 'server' }, { context: { plan: 'pro' } });
    expect(exposed).toEqual([]);
  });
});

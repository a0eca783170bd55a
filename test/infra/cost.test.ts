import { STAGE_NAMES, type StageName } from '../../lib/config';
import {
  estimateCost,
  IDLE,
  type CostInput,
  type CostReport,
  type TrafficProfile,
} from '../../lib/cost/model';
import { costInputOf } from '../../lib/cost/stage-input';
import { resourcesOf, stageOf } from './synth';

const inputs = new Map<StageName, CostInput>();
function inputOf(name: StageName): CostInput {
  let input = inputs.get(name);
  if (input === undefined) {
    input = costInputOf(stageOf(name).stage, name);
    inputs.set(name, input);
  }
  return input;
}
const idle = (name: StageName): CostReport => estimateCost(inputOf(name), IDLE);

/** Types the model prices by the hour or month: every instance in the templates must be priced. */
const FIXED_TYPES = [
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::KMS::Key',
  'AWS::Kinesis::Stream',
  'AWS::OpenSearchService::Domain',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::WAFv2::WebACL',
  'AWS::SecretsManager::Secret',
  'AWS::EC2::NatGateway',
];

describe.each(STAGE_NAMES)('cost model (%s)', (name) => {
  const { stateful, api } = stageOf(name);
  const count = (type: string): number =>
    Object.keys(resourcesOf(stateful, type)).length + Object.keys(resourcesOf(api, type)).length;

  it('prices every resource of the templates or knows why it costs nothing at idle', () => {
    expect(idle(name).unpriced).toEqual([]);
  });

  it.each(FIXED_TYPES)('prices every %s of the templates', (type) => {
    expect(idle(name).pricedResources[type] ?? 0).toBe(count(type));
  });

  it('prices each interface endpoint once per AZ it spans, and no gateway endpoint', () => {
    const endpoints = Object.values(resourcesOf(stateful, 'AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties?.VpcEndpointType === 'Interface',
    );
    const zones = endpoints.reduce((sum, e) => sum + (e.Properties?.SubnetIds as unknown[]).length, 0);
    const line = idle(name).fixed.find((l) => l.item === 'Interface VPC endpoint AZ-hours');
    expect(line?.resources ?? 0).toBe(endpoints.length);
    expect(line?.usdPerMonth ?? 0).toBeCloseTo(zones * 0.01 * 730, 6);
  });

  it('charges nothing for traffic at idle, and its totals add up', () => {
    const report = idle(name);
    expect(report.usage).toEqual([]);
    expect(report.total).toBe(report.fixedTotal);
    expect(report.fixedTotal).toBeCloseTo(
      report.fixed.reduce((sum, line) => sum + line.usdPerMonth, 0),
      9,
    );
  });

  it('scales the per-request paths linearly with the traffic', () => {
    const profile: TrafficProfile = {
      evaluations: 3e6,
      assignments: 1e6,
      events: 5e6,
      users: 20,
      localSdkInstances: 4,
    };
    const doubled: TrafficProfile = {
      evaluations: 6e6,
      assignments: 2e6,
      events: 10e6,
      users: 40,
      localSdkInstances: 8,
    };
    const once = estimateCost(inputOf(name), profile);
    const twice = estimateCost(inputOf(name), doubled);
    expect(twice.usageTotal).toBeCloseTo(2 * once.usageTotal, 9);
    expect(once.fixedTotal).toBe(idle(name).fixedTotal);
    const line = (r: CostReport, prefix: string) =>
      r.usage.find((l) => l.item.startsWith(prefix))!.usdPerMonth;
    expect(line(once, 'Remote evaluations')).toBeCloseTo(3 * once.perMillion.remoteEvaluations, 9);
    expect(line(once, 'Events')).toBeCloseTo(5 * once.perMillion.events, 9);
    expect(line(once, 'Assignments')).toBeCloseTo(once.perMillion.assignments, 9);
    expect(line(once, 'Local-evaluation')).toBeCloseTo(4 * once.localSdkInstancePerMonth, 9);
  });

  it('makes a remote evaluation cost at least the REST API request, and a local one nothing per evaluation', () => {
    const { perMillion } = idle(name);
    expect(perMillion.remoteEvaluations).toBeGreaterThan(3.5);
    expect(perMillion.localEvaluations).toBe(0);
    expect(perMillion.assignments).toBeGreaterThan(perMillion.remoteEvaluations);
  });
});

describe('cost model across stages', () => {
  it('keeps dev at or under $25 a month idle (issue 19)', () => {
    expect(idle('dev').fixedTotal).toBeLessThanOrEqual(25);
  });

  it('runs nothing by the hour in dev that only the search domain or the cache needs', () => {
    const report = idle('dev');
    const categories = new Set(report.fixed.filter((l) => l.usdPerMonth > 0).map((l) => l.category));
    expect(categories.has('Search')).toBe(false);
    expect(categories.has('Cache')).toBe(false);
    expect(categories.has('Network')).toBe(false);
  });

  it('costs more the closer the stage is to production', () => {
    expect(idle('prod').fixedTotal).toBeGreaterThan(idle('staging').fixedTotal);
    expect(idle('staging').fixedTotal).toBeGreaterThan(idle('dev').fixedTotal);
  });

  it('lists a resource type it does not know as unpriced instead of dropping it', () => {
    const input: CostInput = {
      ...inputOf('dev'),
      templates: [
        ...inputOf('dev').templates,
        { Resources: { Mystery: { Type: 'AWS::Mystery::Thing', Properties: {} } } },
      ],
    };
    expect(estimateCost(input, IDLE).unpriced).toEqual([
      expect.objectContaining({ logicalId: 'Mystery', type: 'AWS::Mystery::Thing' }),
    ]);
  });

  it('lists an OpenSearch instance type without a price as unpriced', () => {
    const input: CostInput = {
      ...inputOf('dev'),
      templates: [
        {
          Resources: {
            Big: {
              Type: 'AWS::OpenSearchService::Domain',
              Properties: { ClusterConfig: { InstanceType: 'x99.huge.search', InstanceCount: 1 } },
            },
          },
        },
        ...inputOf('dev').templates,
      ],
    };
    expect(estimateCost(input, IDLE).unpriced.map((u) => u.logicalId)).toEqual(['Big']);
  });
});

import { SCHEDULED_FUNCTIONS } from '../../shared/functions';
import { resourcesOf, stageOf, type CfnResources } from './synth';

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const idOf = (resources: CfnResources, pattern: RegExp) => {
  const ids = Object.keys(resources).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};
/** The tables a statement names, from their exported ARNs (`…GetAtt<table><hash>Arn`). */
const tablesOf = (s: Statement) =>
  [...JSON.stringify(s.Resource).matchAll(/GetAtt([a-zA-Z]+)[0-9A-F]{8}Arn/g)].map((m) => m[1]!);

describe.each(['dev', 'prod'] as const)('the safety monitor (%s)', (name) => {
  const { api } = stageOf(name);
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const monitorId = idOf(functions, /^BackgroundSafetyMonitorFunction/);
  const statements = Object.entries(resourcesOf(api, 'AWS::IAM::Policy'))
    .filter(([policy]) => policy.startsWith('BackgroundSafetyMonitorServiceRole'))
    .flatMap(([, resource]) => (resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);

  it('an EventBridge rule every minute targets it, and nothing else does', () => {
    expect(SCHEDULED_FUNCTIONS.find((f) => f.function === 'safety-monitor')?.everyMinutes).toBe(1);
    const rules = Object.values(resourcesOf(api, 'AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties!.Targets).includes(`"${monitorId}"`),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
  });

  it('reads analytics, writes config, appends audit (PutItem only), and touches no other table', () => {
    const onTables = statements.filter((s) => tablesOf(s).length > 0);
    expect(new Set(onTables.flatMap(tablesOf))).toEqual(new Set(['config', 'audit', 'analytics']));
    const on = (table: string) => onTables.filter((s) => tablesOf(s).includes(table)).flatMap(actionsOf);
    expect(on('audit')).toEqual(['dynamodb:PutItem']);
    expect(
      on('analytics').filter(
        (a) =>
          !/^dynamodb:(BatchGetItem|GetItem|Query|Scan|ConditionCheckItem|DescribeTable|GetRecords|GetShardIterator)$/.test(
            a,
          ),
      ),
    ).toEqual([]);
    for (const statement of statements) {
      expect(actionsOf(statement).some((a) => a === '*' || /:\*$/.test(a))).toBe(false);
    }
  });

  it('alarms when it has not run for 5 minutes (missing data breaches), and graphs its runs', () => {
    const alarm = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).find((a) =>
      String(a.Properties!.AlarmDescription).startsWith('The safety monitor'),
    );
    expect(alarm?.Properties).toMatchObject({
      MetricName: 'Invocations',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: monitorId } }],
      Period: 300,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    const errors = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter(
      (a) =>
        a.Properties!.MetricName === 'Errors' &&
        JSON.stringify(a.Properties!.Dimensions).includes(`"${monitorId}"`),
    );
    expect(errors).toHaveLength(1);
  });
});

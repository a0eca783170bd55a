import { EXACT_TIME_ENV } from '../../shared/experiments/exact-time';
import { SCHEDULED_FUNCTIONS } from '../../shared/functions';
import { onlyResource, resourcesOf, stageOf, type CfnResources } from './synth';

type Statement = {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOfStatement = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource];
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const idOf = (resources: CfnResources, pattern: RegExp) => {
  const ids = Object.keys(resources).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe.each(['dev', 'prod'] as const)('exact-time experiment schedules (%s)', (name) => {
  const { api, stateful } = stageOf(name);
  const policies = resourcesOf(api, 'AWS::IAM::Policy');
  const roles = resourcesOf(api, 'AWS::IAM::Role');
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const statements = Object.entries(policies).flatMap(([policy, resource]) =>
    (resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
      policy,
      roles: resource.Properties!.Roles as unknown[],
      statement,
    })),
  );
  const group = onlyResource(api, 'AWS::Scheduler::ScheduleGroup');
  const groupName = group.Properties!.Name as string;
  const targetId = idOf(functions, /^ExperimentSchedulerTargetFunction/);
  const invokeRoleId = idOf(roles, /^ExperimentSchedulerInvokeRole/);
  const experimentsRoleId = idOf(roles, /^ExperimentsHandlerServiceRole/);
  const schedulesOfGroup = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':scheduler:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:schedule/${groupName}/*`,
      ],
    ],
  };

  it('has one schedule group, with a generated name, in the stateless stack only', () => {
    expect(groupName).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
    expect(group.DeletionPolicy).toBe('Delete');
    stateful.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
  });

  it('the invoke role is assumed by EventBridge Scheduler of this account only', () => {
    const role = roles[invokeRoleId]!.Properties!;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it('the invoke role may only invoke the target function', () => {
    const mine = statements.filter(({ roles: r }) => JSON.stringify(r).includes(`"${invokeRoleId}"`));
    expect(mine.map(({ statement }) => statement)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [getAtt(targetId), { 'Fn::Join': ['', [getAtt(targetId), ':*']] }],
      },
    ]);
  });

  it('only the experiments function manages schedules: create, update, delete, in this group only', () => {
    const scheduler = statements.filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('scheduler:')),
    );
    expect(new Set(scheduler.map(({ policy }) => policy.replace(/ServiceRole.*/, '')))).toEqual(
      new Set(['ExperimentsHandler']),
    );
    expect(scheduler.flatMap(({ statement }) => actionsOf(statement)).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:UpdateSchedule',
    ]);
    for (const { statement } of scheduler) {
      expect(statement.Effect).toBe('Allow');
      expect(resourcesOfStatement(statement)).toEqual([schedulesOfGroup]);
    }
  });

  it('only the experiments function may pass a role: the invoke role, to EventBridge Scheduler only', () => {
    const passRole = statements.filter(({ statement }) =>
      actionsOf(statement).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'),
    );
    expect(passRole).toHaveLength(1);
    expect(passRole[0]!.roles).toEqual([{ Ref: experimentsRoleId }]);
    expect(passRole[0]!.statement).toEqual({
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: getAtt(invokeRoleId),
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });

  it('the experiments function finds the group, the target and the role in its environment', () => {
    const experimentsFn = functions[idOf(functions, /^ExperimentsHandlerFunction/)]!;
    const env = (experimentsFn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      [EXACT_TIME_ENV.groupName]: groupName,
      [EXACT_TIME_ENV.targetArn]: getAtt(targetId),
      [EXACT_TIME_ENV.roleArn]: getAtt(invokeRoleId),
    });
    // No other function gets them: the jobs transition without touching schedules.
    for (const [id, fn] of Object.entries(functions)) {
      if (/^ExperimentsHandlerFunction/.test(id)) continue;
      const vars = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const variable of Object.values(EXACT_TIME_ENV)) expect(vars).not.toHaveProperty([variable]);
    }
  });

  it('the target reads and writes the config table, appends audit entries, and is outside the VPC', () => {
    const target = functions[targetId]!.Properties!;
    const env = (target.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['TABLE_CONFIG', 'TABLE_AUDIT']));
    expect(target.VpcConfig).toBeUndefined();
    const own = statements.filter(({ policy }) => policy.startsWith('ExperimentSchedulerTarget'));
    expect(
      own.flatMap(({ statement }) => actionsOf(statement)).filter((a) => /scheduler:|iam:/.test(a)),
    ).toEqual([]);
  });

  it('keeps the 15-minute sweep rule, which repairs what the exact-time schedules miss', () => {
    const sweep = SCHEDULED_FUNCTIONS.find((f) => f.function === 'experiment-sweep');
    expect(sweep?.everyMinutes).toBe(15);
    const sweepFnId = idOf(functions, /^BackgroundExperimentSweepFunction/);
    const rules = Object.values(resourcesOf(api, 'AWS::Events::Rule')).filter(
      (rule) => rule.Properties!.ScheduleExpression === 'rate(15 minutes)',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: getAtt(sweepFnId) })],
    });
  });
});

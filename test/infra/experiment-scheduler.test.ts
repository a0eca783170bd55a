import { EXACT_TIME_ENV, SCHEDULE_DEAD_LETTER_ENV } from '../../shared/environment';
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

/** The functions that create, move and delete schedules, by the prefix of their logical ids. */
const MANAGERS = [
  'ExperimentsHandler',
  'RolloutSchedulesHandler',
  'BackgroundRolloutAdvancer',
  'ExperimentSchedulerTarget',
  // A safety rollback deletes the rolled-back rollout's schedule.
  'SafetyHandler',
  // Its rollbacks change rollouts (as the safety routes' do), so it deletes their pending schedules.
  'BackgroundSafetyMonitor',
];

describe.each(['dev', 'prod'] as const)('exact-time schedules of experiments and rollouts (%s)', (name) => {
  const { api, stateful, config } = stageOf(name);
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
  const queues = resourcesOf(api, 'AWS::SQS::Queue');
  const dlqId = idOf(queues, /^ExperimentSchedulerDeadLetterQueue/);
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

  it('has one schedule group, with a generated name, in the stateless stack only, kept where data is kept', () => {
    expect(groupName).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
    // The stage's removal policy: prod retains the group (and the pending schedules in it) with its data.
    expect(group.DeletionPolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
    expect(group.UpdateReplacePolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
    expect(config.removalPolicy).toBe(name === 'prod' ? 'retain' : 'destroy');
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

  it('the invoke role may only invoke the target function, and dead-letter to the scheduled-targets queue', () => {
    const mine = statements.filter(({ roles: r }) => JSON.stringify(r).includes(`"${invokeRoleId}"`));
    expect(mine.map(({ statement }) => statement)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [getAtt(targetId), { 'Fn::Join': ['', [getAtt(targetId), ':*']] }],
      },
      {
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: getAtt(dlqId),
      },
    ]);
  });

  it('has a dead-letter queue for the scheduled targets: SSE, TLS only, kept as the stage keeps data', () => {
    const queue = queues[dlqId]!;
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(queue.DeletionPolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
    const policies = Object.values(resourcesOf(api, 'AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties!.Queues).includes(`"${dlqId}"`),
    );
    expect(policies).toHaveLength(1);
    const policyStatements = (policies[0]!.Properties!.PolicyDocument as { Statement: Statement[] })
      .Statement;
    expect(policyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    // The background jobs' rules dead-letter there too: EventBridge may send, for those rules only.
    const rules = resourcesOf(api, 'AWS::Events::Rule');
    const fromEvents = policyStatements.filter((st) => JSON.stringify(st).includes('events.amazonaws.com'));
    expect(fromEvents).toHaveLength(Object.keys(rules).length);
    for (const statement of fromEvents) {
      expect(statement).toMatchObject({
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: getAtt(dlqId),
      });
      expect(statement.Condition).toHaveProperty(['ArnEquals', 'aws:SourceArn']);
    }
    for (const rule of Object.values(rules)) {
      const targets = rule.Properties!.Targets as { DeadLetterConfig?: unknown; RetryPolicy?: unknown }[];
      for (const target of targets) {
        expect(target.DeadLetterConfig).toEqual({ Arn: getAtt(dlqId) });
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2 });
      }
    }
  });

  it('alarms on the first message in the scheduled-targets dead-letter queue', () => {
    const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties!.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    const onQueue = alarms.filter((alarm) =>
      JSON.stringify(alarm.Properties!.Dimensions).includes(`"${dlqId}"`),
    );
    expect(onQueue).toHaveLength(1);
    expect(onQueue[0]!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect((onQueue[0]!.Properties!.AlarmActions as unknown[]).length).toBe(1);
  });

  it('only the functions that change experiments or rollouts manage schedules: create, update, delete, in this group only', () => {
    const scheduler = statements.filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('scheduler:')),
    );
    expect(new Set(scheduler.map(({ policy }) => policy.replace(/ServiceRole.*/, '')))).toEqual(
      new Set(MANAGERS),
    );
    for (const manager of MANAGERS) {
      const own = scheduler.filter(({ policy }) => policy.startsWith(`${manager}ServiceRole`));
      expect(own.flatMap(({ statement }) => actionsOf(statement)).sort()).toEqual([
        'scheduler:CreateSchedule',
        'scheduler:DeleteSchedule',
        'scheduler:UpdateSchedule',
      ]);
    }
    for (const { statement } of scheduler) {
      expect(statement.Effect).toBe('Allow');
      expect(resourcesOfStatement(statement)).toEqual([schedulesOfGroup]);
    }
  });

  it('only those functions may pass a role: the invoke role, to EventBridge Scheduler only', () => {
    const passRole = statements.filter(({ statement }) =>
      actionsOf(statement).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'),
    );
    expect(passRole.map(({ policy }) => policy.replace(/ServiceRole.*/, '')).sort()).toEqual(
      [...MANAGERS].sort(),
    );
    expect(passRole.find(({ policy }) => policy.startsWith('ExperimentsHandler'))!.roles).toEqual([
      { Ref: experimentsRoleId },
    ]);
    for (const { statement } of passRole) {
      expect(statement).toEqual({
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: getAtt(invokeRoleId),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
    }
  });

  it('the managers find the group, the target and the role in their environment; the target its own ARN in the invocation', () => {
    const variablesOf = (id: string) =>
      (functions[id]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const manager of MANAGERS.filter((m) => m !== 'ExperimentSchedulerTarget')) {
      expect(variablesOf(idOf(functions, new RegExp(`^${manager}Function`)))).toMatchObject({
        [EXACT_TIME_ENV.groupName]: groupName,
        [EXACT_TIME_ENV.targetArn]: getAtt(targetId),
        [EXACT_TIME_ENV.roleArn]: getAtt(invokeRoleId),
        // Every schedule they put dead-letters to the scheduled-targets queue (shared/schedules/one-time.ts).
        [SCHEDULE_DEAD_LETTER_ENV]: getAtt(dlqId),
      });
    }
    // Its own ARN would be a CloudFormation cycle.
    const target = variablesOf(targetId);
    expect(target).toMatchObject({
      [EXACT_TIME_ENV.groupName]: groupName,
      [EXACT_TIME_ENV.roleArn]: getAtt(invokeRoleId),
      [SCHEDULE_DEAD_LETTER_ENV]: getAtt(dlqId),
    });
    expect(target).not.toHaveProperty([EXACT_TIME_ENV.targetArn]);
    // No other function gets them: the sweep's transitions leave no schedule to change.
    for (const [id, fn] of Object.entries(functions)) {
      if (MANAGERS.some((m) => id.startsWith(m))) continue;
      const vars = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const variable of Object.values(EXACT_TIME_ENV)) expect(vars).not.toHaveProperty([variable]);
    }
  });

  it('the target reads and writes the config table, appends audit entries, and is outside the VPC', () => {
    const target = functions[targetId]!.Properties!;
    const env = (target.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['TABLE_CONFIG', 'TABLE_AUDIT']));
    expect(target.VpcConfig).toBeUndefined();
    // Besides the schedules of the group and the invoke role (above): no other IAM or Scheduler action.
    const own = statements.filter(({ policy }) => policy.startsWith('ExperimentSchedulerTarget'));
    expect(
      own
        .flatMap(({ statement }) => actionsOf(statement))
        .filter((a) => /scheduler:|iam:/.test(a))
        .sort(),
    ).toEqual([
      'iam:PassRole',
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:UpdateSchedule',
    ]);
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

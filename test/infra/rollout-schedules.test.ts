import { EXACT_TIME_ENV } from '../../shared/environment';
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
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];
const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const idOf = (resources: CfnResources, pattern: RegExp) => {
  const ids = Object.keys(resources).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};
/** The tables a statement names, from their exported ARNs (`…GetAtt<table><hash>Arn`). */
const tablesOf = (s: Statement) =>
  [...JSON.stringify(s.Resource).matchAll(/GetAtt([a-zA-Z]+)[0-9A-F]{8}Arn/g)].map((m) => m[1]!);

/** The functions that change rollout schedules: the routes, the 5-minute job, and the target of their fires. */
const ROLLOUT_FUNCTIONS = [
  'RolloutSchedulesHandler',
  'BackgroundRolloutAdvancer',
  'ExperimentSchedulerTarget',
];

describe.each(['dev', 'prod'] as const)(
  'rollout schedules: jobs, exact-time schedules, grants (%s)',
  (name) => {
    const { api } = stageOf(name);
    const policies = resourcesOf(api, 'AWS::IAM::Policy');
    const roles = resourcesOf(api, 'AWS::IAM::Role');
    const functions = resourcesOf(api, 'AWS::Lambda::Function');
    const statementsOf = (prefix: string) =>
      Object.entries(policies)
        .filter(([policy]) => policy.startsWith(`${prefix}ServiceRole`))
        .flatMap(
          ([, resource]) => (resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement,
        );
    const variablesOf = (id: string) =>
      (functions[id]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    const group = onlyResource(api, 'AWS::Scheduler::ScheduleGroup');
    const groupName = group.Properties!.Name as string;
    const targetId = idOf(functions, /^ExperimentSchedulerTargetFunction/);
    const invokeRoleId = idOf(roles, /^ExperimentSchedulerInvokeRole/);
    const advancerId = idOf(functions, /^BackgroundRolloutAdvancerFunction/);
    const routesId = idOf(functions, /^RolloutSchedulesHandlerFunction/);
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

    it('an EventBridge rule every 5 minutes targets the rollout advancer, and nothing else does', () => {
      const job = SCHEDULED_FUNCTIONS.find((f) => f.function === 'rollout-advancer');
      expect(job?.everyMinutes).toBe(5);
      const rules = Object.values(resourcesOf(api, 'AWS::Events::Rule')).filter((rule) =>
        JSON.stringify(rule.Properties!.Targets).includes(`"${advancerId}"`),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]!.Properties).toMatchObject({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [expect.objectContaining({ Arn: getAtt(advancerId) })],
      });
      expect(rules[0]!.Properties!.Targets).toHaveLength(1);
    });

    it('rollouts share the experiments’ schedule group, target and invoke role: the routes and the job find them in their environment', () => {
      for (const id of [routesId, advancerId]) {
        expect(variablesOf(id)).toMatchObject({
          [EXACT_TIME_ENV.groupName]: groupName,
          [EXACT_TIME_ENV.targetArn]: getAtt(targetId),
          [EXACT_TIME_ENV.roleArn]: getAtt(invokeRoleId),
        });
      }
      // The target moves a rollout's schedule to the next stage: the group and the role, its own ARN from the call.
      expect(variablesOf(targetId)).toMatchObject({
        [EXACT_TIME_ENV.groupName]: groupName,
        [EXACT_TIME_ENV.roleArn]: getAtt(invokeRoleId),
      });
    });

    it('the invoke role is assumable only by EventBridge Scheduler of this account, and may only invoke the target (and dead-letter)', () => {
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
      const invokeStatements = Object.values(policies)
        .filter((p) => JSON.stringify(p.Properties!.Roles).includes(`"${invokeRoleId}"`))
        .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
      expect(invokeStatements).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: [getAtt(targetId), { 'Fn::Join': ['', [getAtt(targetId), ':*']] }],
        },
        // A fire it could not deliver goes to the scheduled-targets dead-letter queue (experiment-scheduler.test.ts).
        {
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Effect: 'Allow',
          Resource: expect.objectContaining({
            'Fn::GetAtt': [expect.stringMatching(/^ExperimentSchedulerDeadLetterQueue/), 'Arn'],
          }) as unknown,
        },
      ]);
    });

    it.each(ROLLOUT_FUNCTIONS)(
      '%s manages schedules of that group only, and passes that role only, to EventBridge Scheduler only',
      (fn) => {
        const statements = statementsOf(fn);
        const scheduler = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
        expect(scheduler.flatMap(actionsOf).sort()).toEqual([
          'scheduler:CreateSchedule',
          'scheduler:DeleteSchedule',
          'scheduler:UpdateSchedule',
        ]);
        for (const statement of scheduler) {
          expect(statement.Effect).toBe('Allow');
          expect(resourcesOfStatement(statement)).toEqual([schedulesOfGroup]);
          expect(actionsOf(statement).every((a) => a.startsWith('scheduler:'))).toBe(true);
        }
        const iam = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('iam:') || a === '*'));
        expect(iam).toEqual([
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Resource: getAtt(invokeRoleId),
            Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
          },
        ]);
      },
    );

    it.each(ROLLOUT_FUNCTIONS)(
      '%s touches the config table and appends to the audit table (PutItem only); the job reads analytics; no other table',
      (fn) => {
        const statements = statementsOf(fn);
        const onTables = statements.filter((s) => tablesOf(s).length > 0);
        // The job also reads the analytics table: the error/latency aggregates behind `metric` triggers.
        const readsAnalytics = fn === 'BackgroundRolloutAdvancer';
        expect(new Set(onTables.flatMap(tablesOf))).toEqual(
          new Set(['config', 'audit', ...(readsAnalytics ? ['analytics'] : [])]),
        );
        const onAnalytics = onTables.filter((s) => tablesOf(s).includes('analytics')).flatMap(actionsOf);
        expect(
          onAnalytics.filter(
            (a) =>
              !/^dynamodb:(BatchGetItem|GetItem|Query|Scan|ConditionCheckItem|DescribeTable|GetRecords|GetShardIterator)$/.test(
                a,
              ),
          ),
        ).toEqual([]);
        const onAudit = onTables.filter((s) => tablesOf(s).includes('audit'));
        expect(onAudit.flatMap(actionsOf)).toEqual(['dynamodb:PutItem']);
        const onConfig = onTables.filter((s) => tablesOf(s).includes('config')).flatMap(actionsOf);
        expect(onConfig).toEqual(
          expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']),
        );
        // No table-wide admin actions, no actions on anything but its tables, the schedules and the role.
        expect(onConfig.filter((a) => /dynamodb:(\*|DeleteTable|UpdateTable|CreateTable)/.test(a))).toEqual(
          [],
        );
        for (const statement of statements) {
          expect(actionsOf(statement).every((a) => /^(dynamodb|scheduler|iam|logs|xray|kms):/.test(a))).toBe(
            true,
          );
        }
      },
    );
  },
);

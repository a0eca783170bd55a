import { NOTIFICATIONS_ENV } from '../../shared/environment';
import { onlyResource, resourcesOf, stageOf, type CfnResources } from './synth';

type Statement = {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const idOf = (resources: CfnResources, pattern: RegExp) => {
  const ids = Object.keys(resources).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe.each(['dev', 'prod'] as const)('safety notifications (%s)', (name) => {
  const { api, stateful } = stageOf(name);
  const policies = resourcesOf(api, 'AWS::IAM::Policy');
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const topics = resourcesOf(api, 'AWS::SNS::Topic');
  // The safety topic's key (the alarm topic has its own: hardening.test.ts).
  const keys = resourcesOf(api, 'AWS::KMS::Key');
  const keyId = idOf(keys, /^SafetyNotificationsTopicKey/);
  const key = { ...keys[keyId]!, logicalId: keyId } as CfnResources[string] & { logicalId: string };
  const topicId = idOf(topics, /^SafetyNotificationsTopic/);
  const safetyRole = idOf(resourcesOf(api, 'AWS::IAM::Role'), /^SafetyHandlerServiceRole/);
  const safetyFunction = idOf(functions, /^SafetyHandlerFunction/);
  const statements = Object.values(policies).flatMap((resource) =>
    (resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
      roles: JSON.stringify(resource.Properties!.Roles),
      statement,
    })),
  );
  const variablesOf = (id: string) =>
    (functions[id]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  /** Functions bound with SafetyNotifications.bindNotifier: they, and only they, may announce rollbacks. */
  const notifiers = Object.keys(functions).filter((id) => NOTIFICATIONS_ENV.kind in variablesOf(id));

  it('encrypts the topic with a customer-managed key that rotates, in the stateless stack', () => {
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.DeletionPolicy).toBe(name === 'prod' ? 'Retain' : 'Delete');
    expect(topics[topicId]!.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key.logicalId, 'Arn'] });
    stateful.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('refuses publishing without TLS', () => {
    const policy = Object.values(resourcesOf(api, 'AWS::SNS::TopicPolicy')).find(
      (p) => JSON.stringify(p.Properties!.Topics) === JSON.stringify([{ Ref: topicId }]),
    );
    expect(policy?.Properties!.PolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Deny',
          Action: 'sns:Publish',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('gives the safety function what it announces through: the topic, its key via SNS only, the default bus', () => {
    expect(notifiers).toContain(safetyFunction);
    expect(variablesOf(safetyFunction)).toMatchObject({
      [NOTIFICATIONS_ENV.kind]: 'aws',
      [NOTIFICATIONS_ENV.topicArn]: { Ref: topicId },
      [NOTIFICATIONS_ENV.eventBus]: 'default',
    });
    const mine = statements
      .filter(({ roles }) => roles.includes(`"${safetyRole}"`))
      .map(({ statement }) => statement);
    expect(mine).toEqual(
      expect.arrayContaining([
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } },
        {
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [key.logicalId, 'Arn'] },
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            },
          },
        },
        {
          Action: 'events:PutEvents',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':events:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':event-bus/default',
              ],
            ],
          },
        },
      ]),
    );
  });

  it('grants publishing, the key and events:PutEvents to no one else', () => {
    const notifierRoles = notifiers.map(
      (id) => (functions[id]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );
    const granted = statements.filter(({ statement }) =>
      actionsOf(statement).some(
        (a) => a === 'sns:Publish' || a.startsWith('kms:') || a.startsWith('events:'),
      ),
    );
    expect(granted.length).toBeGreaterThan(0);
    for (const { roles, statement } of granted) {
      expect(notifierRoles.some((role) => roles.includes(`"${role}"`))).toBe(true);
      // The key only ever through SNS; nothing on "*".
      if (actionsOf(statement).some((a) => a.startsWith('kms:'))) {
        expect(statement.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
      }
      expect(statement.Resource).not.toBe('*');
    }
  });

  it('counts rollbacks and lost notifications from the notifiers’ logs, alarms on the first one, and graphs them', () => {
    const filters = Object.values(resourcesOf(api, 'AWS::Logs::MetricFilter')).filter((f) =>
      /^Safety/.test((f.Properties!.MetricTransformations as { MetricName: string }[])[0]!.MetricName),
    );
    expect(
      filters.map((f) => [
        f.Properties!.FilterPattern,
        (f.Properties!.MetricTransformations as { MetricName: string }[])[0]!.MetricName,
      ]),
    ).toEqual(
      // One pair per notifier (the safety routes and the monitor), into the same two metrics.
      notifiers.flatMap(() => [
        ['{ $.message = "safety rollback" }', 'SafetyRollbacks'],
        ['{ $.message = "safety notification failed" }', 'SafetyNotificationsFailed'],
      ]),
    );
    expect(notifiers).toHaveLength(2);
    const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter((a) =>
      /^Safety/.test(String(a.Properties!.MetricName)),
    );
    expect(alarms.map((a) => [a.Properties!.MetricName, a.Properties!.Threshold])).toEqual([
      ['SafetyRollbacks', 1],
      ['SafetyNotificationsFailed', 1],
    ]);
    const dashboard = onlyResource(api, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties!.DashboardBody)).toContain(
      'Safety: rollbacks and lost notifications',
    );
  });
});

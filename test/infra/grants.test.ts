import { ROUTES } from '../../shared/http/routes';
import { resourcesOf, stageOf } from './synth';

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/** Every IAM statement of the API stack, with the logical id of the policy that holds it. */
function statements(name: 'dev' | 'prod'): { policy: string; statement: Statement }[] {
  const policies = resourcesOf(stageOf(name).api, 'AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) =>
    ((resource.Properties?.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map(
      (statement) => ({
        policy,
        statement,
      }),
    ),
  );
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe.each(['dev', 'prod'] as const)('least-privilege grants (%s)', (name) => {
  const all = statements(name);

  it('gives the users function exactly the Users API’s Cognito actions and the flags function only user lookups, on the user pool', () => {
    const cognito = all.filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith('cognito-idp:')),
    );
    expect(cognito.map((c) => c.policy).sort()).toEqual([
      expect.stringMatching(/^FeatureFlagsHandler/),
      expect.stringMatching(/^UsersHandler/),
    ]);
    const flags = cognito.find((c) => c.policy.startsWith('FeatureFlagsHandler'))!;
    // An owner transfer checks that the new owner exists and is enabled: reads, no changes.
    expect([...actionsOf(flags.statement)].sort()).toEqual([
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminListGroupsForUser',
    ]);
    expect(JSON.stringify(flags.statement.Resource)).toMatch(/UserPool/);
    const users = cognito.find((c) => c.policy.startsWith('UsersHandler'))!;
    expect([...actionsOf(users.statement)].sort()).toEqual(
      [
        'cognito-idp:AdminAddUserToGroup',
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminEnableUser',
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminListGroupsForUser',
        'cognito-idp:AdminRemoveUserFromGroup',
        'cognito-idp:ListUsers',
        'cognito-idp:ListUsersInGroup',
      ].sort(),
    );
    for (const { statement } of cognito) {
      expect(JSON.stringify(statement.Resource)).toMatch(/UserPool/);
      expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
  });

  it('lets no function rewrite or delete audit history: PutItem is the only write on the audit table', () => {
    const onAudit = all.filter(({ statement }) =>
      /GetAttaudit[0-9A-F]+Arn/.test(JSON.stringify(statement.Resource)),
    );
    const writes = onAudit.flatMap(({ statement }) =>
      actionsOf(statement).filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    );
    expect(new Set(writes)).toEqual(new Set(['dynamodb:PutItem']));
  });

  it('gives the audit function read access only', () => {
    const auditFn = all.filter(({ policy }) => policy.startsWith('AuditHandler'));
    const actions = auditFn.flatMap(({ statement }) => actionsOf(statement));
    expect(actions.some((a) => a.startsWith('dynamodb:Query'))).toBe(true);
    expect(actions.filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
  });
});

describe.each(['dev', 'prod'] as const)('API keys grants (%s)', (name) => {
  const all = statements(name);
  const onTable = (pattern: RegExp) =>
    all.filter(({ statement }) => pattern.test(JSON.stringify(statement.Resource)));

  it('gives the api-keys function the apiKeys table and audit appends, and no other table', () => {
    const mine = all.filter(({ policy }) => policy.startsWith('ApiKeysHandler'));
    const tables = new Set(
      mine.flatMap(({ statement }) =>
        [...JSON.stringify(statement.Resource).matchAll(/GetAtt([a-zA-Z]+)[0-9A-F]{8}Arn/g)].map((m) => m[1]),
      ),
    );
    expect(tables).toEqual(new Set(['apiKeys', 'audit']));
    const onAudit = mine.filter(({ statement }) => /GetAttaudit/.test(JSON.stringify(statement.Resource)));
    expect(onAudit.flatMap(({ statement }) => actionsOf(statement))).toEqual(['dynamodb:PutItem']);
  });

  it('lets only the api-keys function (and, once SDK routes exist, the authorizer) touch the apiKeys table', () => {
    const policies = new Set(
      onTable(/GetAttapiKeys[0-9A-F]+Arn/).map(({ policy }) => policy.replace(/Handler.*/, '')),
    );
    expect([...policies].sort()).toEqual(
      ROUTES.some((r) => r.auth === 'apiKey') ? ['ApiKeyAuthorizer', 'ApiKeys'] : ['ApiKeys'],
    );
  });
});

describe.each(['dev', 'prod'] as const)('results bounds grants (%s)', (name) => {
  const all = statements(name);
  const onAnalytics = all.filter(({ statement }) =>
    /GetAttanalytics[0-9A-F]+Arn/.test(JSON.stringify(statement.Resource)),
  );

  it('lets the experiments function write the analytics table only with PutItem, only on BOUNDS# items', () => {
    const writes = onAnalytics
      .filter(({ policy }) => policy.startsWith('ExperimentsHandler'))
      .filter(({ statement }) =>
        actionsOf(statement).some((a) => /dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(a)),
      );
    expect(writes).toHaveLength(1);
    const statement = writes[0]!.statement as Statement & { Condition?: unknown };
    expect(actionsOf(statement)).toEqual(['dynamodb:PutItem']);
    expect(statement.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['BOUNDS#*'] },
    });
  });
});

import {
  baseEnvironment,
  cacheCapability,
  CONTRACT_VARIABLES,
  deployedVariables,
  eventsCapability,
  exactTimeCapability,
  exactTimeTargetCapability,
  httpCapability,
  notificationsCapability,
  rulesetObjectsCapability,
  searchCapability,
  tableCapability,
  usersCapability,
  type CapabilityId,
} from '../../shared/environment';
import { TABLE_IDS, tableEnvName, type TableId } from '../../shared/db/tables';
import {
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  type FunctionRegistration,
} from '../../shared/functions';

/** What each capability looks like when deployed (as the CDK intent methods render it). */
const DEPLOYED: {
  readonly [K in Exclude<CapabilityId, `table:${TableId}`>]: Readonly<Record<string, string>>;
} = {
  http: httpCapability.render({ corsAllowedOrigins: ['https://console.example.org'], maxBodyBytes: 1024 }),
  events: eventsCapability.render('events-stream'),
  cache: cacheCapability.render('rediss://cache.example.org:6379'),
  exactTime: exactTimeCapability.render({
    groupName: 'experiments',
    targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:target',
    roleArn: 'arn:aws:iam::123456789012:role/invoke',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:scheduled-targets-dlq',
  }),
  exactTimeTarget: exactTimeTargetCapability.render({
    groupName: 'experiments',
    roleArn: 'arn:aws:iam::123456789012:role/invoke',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:scheduled-targets-dlq',
  }),
  search: searchCapability.render({
    url: 'https://vpc-search.eu-west-1.es.amazonaws.com',
    auth: 'aws-sigv4',
  }),
  users: usersCapability.render({ kind: 'cognito', userPoolId: 'eu-west-1_pool' }),
  notifications: notificationsCapability.render({
    kind: 'aws',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:safety',
    eventBusName: 'default',
  }),
  rulesetObjects: rulesetObjectsCapability.render({ kind: 's3', bucketName: 'switchyard-rulesets' }),
};

function deployedEnvironment(registration: FunctionRegistration): Record<string, string> {
  const env: Record<string, string> = {
    ...baseEnvironment({ stage: 'test', logLevel: 'ERROR' }),
    AWS_REGION: 'eu-west-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const id of registration.uses) {
    const table = TABLE_IDS.find((t) => id === `table:${t}`);
    Object.assign(
      env,
      table === undefined
        ? DEPLOYED[id as keyof typeof DEPLOYED]
        : tableCapability(table).render(`t-${table}`),
    );
  }
  return env;
}

/** Load `name`'s handler module as a cold start does, with `env` as the whole environment; the contract variables it reads. */
function contractVariablesRead(name: FunctionName, env: Record<string, string>): string[] {
  const read = new Set<string>();
  const original = process.env;
  process.env = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key) as unknown;
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
  });
  try {
    jest.isolateModules(() => {
      jest.requireActual<object>(`../../${FUNCTIONS[name].entry}`);
    });
  } finally {
    process.env = original;
  }
  return [...read].filter((key) => CONTRACT_VARIABLES.has(key)).sort();
}

describe('the environment contract, handler side', () => {
  it('names each table variable as tableEnvName does', () => {
    for (const id of TABLE_IDS) expect(tableCapability(id).variables).toEqual([tableEnvName(id)]);
  });

  it('route-group functions, and only they, use the HTTP settings', () => {
    for (const name of FUNCTION_NAMES) {
      const registration: FunctionRegistration = FUNCTIONS[name];
      expect([name, registration.uses.includes('http')]).toEqual([name, registration.kind === 'http']);
    }
  });

  // Loading the module runs its cold start: it must parse its environment, and for a route group,
  // createHttpHandler checks that the module implements exactly the group's routes of the route table.
  it.each(FUNCTION_NAMES)(
    '%s starts with exactly the variables of its registration, and reads all of them',
    (name) => {
      const registration: FunctionRegistration = FUNCTIONS[name];
      expect(contractVariablesRead(name, deployedEnvironment(registration))).toEqual(
        deployedVariables(registration.uses),
      );
    },
    30_000,
  );

  it('a missing variable stops the cold start, naming it', () => {
    const env = deployedEnvironment(FUNCTIONS.events);
    delete env.EVENTS_STREAM_NAME;
    expect(() => contractVariablesRead('events', env)).toThrow(/EVENTS_STREAM_NAME/);
  });
});

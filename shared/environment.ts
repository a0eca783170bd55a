import * as z from 'zod';
import { tableEnvName, type TableId } from './db/tables';
import { ConfigurationError } from './errors';

/**
 * THE environment contract: every variable through which a function finds a resource or a setting, named once
 * with its zod schema, grouped by capability. The CDK intent methods (lib/constructs/switchyard-function.ts and
 * the constructs' bind methods) set variables through `render`, the handlers parse them through the schemas of
 * the capabilities their registration lists (shared/functions.ts, `functionEnv`), and the local platform renders
 * the same capabilities with local values. test/unit/environment-contract.test.ts and
 * test/infra/environment.test.ts check that the three agree, function by function.
 *
 * This module is a leaf (zod and the table ids only): every bundle imports it.
 */

const nonEmpty = z.string().min(1);

/** A comma-separated list; empty means none. */
const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

/**
 * One capability's variables: `variables` are those a deployed function receives (and the only ones `render`
 * may produce); `schema` is what a handler parses (it may also name variables the Lambda runtime sets, such as
 * AWS_REGION, or local-only ones).
 */
export interface EnvCapability<S extends z.ZodType = z.ZodType, V = never> {
  readonly variables: readonly string[];
  readonly schema: S;
  readonly render: (value: V) => Readonly<Record<string, string>>;
}

function capability<S extends z.ZodType, V>(
  variables: readonly string[],
  schema: S,
  render: (value: V) => Record<string, string>,
): EnvCapability<S, V> {
  return { variables, schema, render };
}

/**
 * What every function gets, whatever it does (SwitchyardFunction sets it; the local platform likewise). Not part
 * of any capability: Powertools reads these itself.
 */
export const BASE_ENV = {
  stage: 'STAGE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export function baseEnvironment(settings: { stage: string; logLevel: string }): Record<string, string> {
  return {
    [BASE_ENV.stage]: settings.stage,
    [BASE_ENV.serviceName]: 'switchyard',
    [BASE_ENV.metricsNamespace]: 'Switchyard',
    [BASE_ENV.logLevel]: settings.logLevel,
  };
}

/** Table names: `TABLE_<ID>` (tableEnvName), one capability per table. */
export function tableCapability<T extends TableId>(id: T) {
  const name = tableEnvName(id) as TableEnvName<T>;
  return capability(
    [name],
    z.object({ [name]: nonEmpty } as Record<TableEnvName<T>, typeof nonEmpty>),
    (tableName: string) => ({ [name]: tableName }),
  );
}
export type TableEnvName<T extends TableId> = `TABLE_${Uppercase<T extends 'apiKeys' ? 'API_KEYS' : T>}`;

/** HTTP settings of the route-group functions (`SwitchyardFunction.servesHttp`). */
export const HTTP_ENV = {
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  maxBodyBytes: 'MAX_BODY_BYTES',
} as const;
export const httpCapability = capability(
  Object.values(HTTP_ENV),
  z.object({
    [BASE_ENV.stage]: nonEmpty,
    [HTTP_ENV.corsAllowedOrigins]: commaList,
    [HTTP_ENV.maxBodyBytes]: z.coerce.number().int().positive(),
  }),
  (settings: { corsAllowedOrigins: readonly string[]; maxBodyBytes: number }) => ({
    [HTTP_ENV.corsAllowedOrigins]: settings.corsAllowedOrigins.join(','),
    [HTTP_ENV.maxBodyBytes]: String(settings.maxBodyBytes),
  }),
);

/** The events stream (`writesEvents`). */
export const EVENTS_ENV = { streamName: 'EVENTS_STREAM_NAME' } as const;
export const eventsCapability = capability(
  Object.values(EVENTS_ENV),
  z.object({ [EVENTS_ENV.streamName]: nonEmpty }),
  (streamName: string) => ({ [EVENTS_ENV.streamName]: streamName }),
);

/** The shared cache (`usesCache`): `rediss://…:6379`; unset = no cache (the local platform without Redis). */
export const CACHE_ENV = { url: 'CACHE_URL' } as const;
export const cacheCapability = capability(
  Object.values(CACHE_ENV),
  z.object({ [CACHE_ENV.url]: z.url().optional() }),
  (url: string) => ({ [CACHE_ENV.url]: url }),
);

/**
 * The exact-time schedules of experiments and rollouts (`ExperimentScheduler.bindManager`): all three set →
 * EventBridge Scheduler, none → no exact-time schedules (checked by oneTimeSchedulesFromEnv).
 */
export const EXACT_TIME_ENV = {
  groupName: 'SCHEDULE_GROUP_NAME',
  targetArn: 'SCHEDULE_TARGET_ARN',
  roleArn: 'SCHEDULER_ROLE_ARN',
} as const;
/**
 * Where the Scheduler sends a fire it could not deliver after its retries (an SQS queue): optional, beside the
 * three above; every schedule put carries it when set.
 */
export const SCHEDULE_DEAD_LETTER_ENV = 'SCHEDULE_DEAD_LETTER_ARN';
export const exactTimeCapability = capability(
  [...Object.values(EXACT_TIME_ENV), SCHEDULE_DEAD_LETTER_ENV],
  z.object({
    [EXACT_TIME_ENV.groupName]: nonEmpty.optional(),
    [EXACT_TIME_ENV.targetArn]: z.string().startsWith('arn:').optional(),
    [EXACT_TIME_ENV.roleArn]: z.string().startsWith('arn:').optional(),
    [SCHEDULE_DEAD_LETTER_ENV]: z.string().startsWith('arn:').optional(),
  }),
  (value: { groupName: string; targetArn: string; roleArn: string; deadLetterArn: string }) => ({
    [EXACT_TIME_ENV.groupName]: value.groupName,
    [EXACT_TIME_ENV.targetArn]: value.targetArn,
    [EXACT_TIME_ENV.roleArn]: value.roleArn,
    [SCHEDULE_DEAD_LETTER_ENV]: value.deadLetterArn,
  }),
);

/**
 * The exact-time schedules as their target function sees them (it moves a rollout's schedule to the next stage):
 * the group and the role; the target is itself, whose ARN comes from the invocation (its own ARN in its
 * environment would be a CloudFormation cycle). Both set or neither (checked by targetSchedulesFromEnv).
 */
export const EXACT_TIME_TARGET_ENV = {
  groupName: EXACT_TIME_ENV.groupName,
  roleArn: EXACT_TIME_ENV.roleArn,
} as const;
export const exactTimeTargetCapability = capability(
  [...Object.values(EXACT_TIME_TARGET_ENV), SCHEDULE_DEAD_LETTER_ENV],
  z.object({
    [EXACT_TIME_TARGET_ENV.groupName]: nonEmpty.optional(),
    [EXACT_TIME_TARGET_ENV.roleArn]: z.string().startsWith('arn:').optional(),
    [SCHEDULE_DEAD_LETTER_ENV]: z.string().startsWith('arn:').optional(),
  }),
  (value: { groupName: string; roleArn: string; deadLetterArn: string }) => ({
    [EXACT_TIME_TARGET_ENV.groupName]: value.groupName,
    [EXACT_TIME_TARGET_ENV.roleArn]: value.roleArn,
    [SCHEDULE_DEAD_LETTER_ENV]: value.deadLetterArn,
  }),
);

/**
 * The search domain (`SearchSetup.bindIndexer`): the base URL, and `aws-sigv4` when requests must be signed (the
 * AWS domain). Locally, OPENSEARCH_URL alone may point at a plain HTTP OpenSearch; unset = no search sink.
 */
export const SEARCH_ENV = { url: 'OPENSEARCH_URL', auth: 'OPENSEARCH_AUTH' } as const;
export const searchCapability = capability(
  Object.values(SEARCH_ENV),
  z.object({
    [SEARCH_ENV.url]: z.url().optional(),
    // Unset means a plain (unsigned) endpoint: only a local OpenSearch, never the AWS domain, answers that.
    [SEARCH_ENV.auth]: z.enum(['none', 'aws-sigv4']).default('none'),
    // Signing needs the region (the Lambda runtime sets it); searchConnectionFromEnv checks it is there.
    AWS_REGION: nonEmpty.optional(),
  }),
  (value: { url: string; auth: 'none' | 'aws-sigv4' }) => ({
    [SEARCH_ENV.url]: value.url,
    [SEARCH_ENV.auth]: value.auth,
  }),
);

/** The user directory (`managesUsers`): Cognito in AWS, the local platform's file-backed directory locally. */
export const USERS_ENV = {
  directory: 'USER_DIRECTORY',
  poolId: 'USER_POOL_ID',
  localFile: 'LOCAL_USER_DIRECTORY_FILE',
} as const;
export const usersCapability = capability(
  [USERS_ENV.directory, USERS_ENV.poolId],
  z.discriminatedUnion(USERS_ENV.directory, [
    z.object({ [USERS_ENV.directory]: z.literal('cognito'), [USERS_ENV.poolId]: nonEmpty }),
    z.object({ [USERS_ENV.directory]: z.literal('local'), [USERS_ENV.localFile]: nonEmpty }),
  ]),
  (
    value: { kind: 'cognito'; userPoolId: string } | { kind: 'local'; file: string },
  ): Record<string, string> =>
    value.kind === 'cognito'
      ? { [USERS_ENV.directory]: 'cognito', [USERS_ENV.poolId]: value.userPoolId }
      : { [USERS_ENV.directory]: 'local', [USERS_ENV.localFile]: value.file },
);

/**
 * Safety notifications (`SafetyNotifications.bindNotifier`): in AWS, the SNS topic and the EventBridge bus a
 * rollback is published to; on the local platform, the outbox file it is appended to (local-only variable).
 */
export const NOTIFICATIONS_ENV = {
  kind: 'SAFETY_NOTIFIER',
  topicArn: 'SAFETY_TOPIC_ARN',
  eventBus: 'SAFETY_EVENT_BUS',
  outboxFile: 'SAFETY_OUTBOX_FILE',
} as const;
export const notificationsCapability = capability(
  [NOTIFICATIONS_ENV.kind, NOTIFICATIONS_ENV.topicArn, NOTIFICATIONS_ENV.eventBus],
  z.discriminatedUnion(NOTIFICATIONS_ENV.kind, [
    z.object({
      [NOTIFICATIONS_ENV.kind]: z.literal('aws'),
      [NOTIFICATIONS_ENV.topicArn]: z.string().startsWith('arn:'),
      [NOTIFICATIONS_ENV.eventBus]: nonEmpty,
      [BASE_ENV.stage]: nonEmpty,
    }),
    z.object({
      [NOTIFICATIONS_ENV.kind]: z.literal('local'),
      [NOTIFICATIONS_ENV.outboxFile]: nonEmpty,
      [BASE_ENV.stage]: nonEmpty,
    }),
  ]),
  (
    value: { kind: 'aws'; topicArn: string; eventBusName: string } | { kind: 'local'; outboxFile: string },
  ): Record<string, string> =>
    value.kind === 'aws'
      ? {
          [NOTIFICATIONS_ENV.kind]: 'aws',
          [NOTIFICATIONS_ENV.topicArn]: value.topicArn,
          [NOTIFICATIONS_ENV.eventBus]: value.eventBusName,
        }
      : { [NOTIFICATIONS_ENV.kind]: 'local', [NOTIFICATIONS_ENV.outboxFile]: value.outboxFile },
);

/**
 * Where rulesets too large to send inline are stored (`rulesetObjects`, shared/rulesets/objects.ts): in AWS, the
 * S3 bucket (the evaluation function is granted its `rulesets/` prefix); on the local platform, a directory the
 * local gateway serves behind signed same-origin URLs (local-only variables; RULESET_INLINE_MAX_BYTES lowers
 * the inline limit there for tests, unset = 5 MiB as in AWS).
 */
export const RULESET_OBJECTS_ENV = {
  kind: 'RULESET_OBJECTS',
  bucket: 'RULESET_BUCKET_NAME',
  dir: 'RULESET_OBJECTS_DIR',
  secret: 'RULESET_OBJECTS_SECRET',
  inlineMaxBytes: 'RULESET_INLINE_MAX_BYTES',
} as const;
const inlineMaxBytes = {
  [RULESET_OBJECTS_ENV.inlineMaxBytes]: z.coerce.number().int().positive().optional(),
};
export const rulesetObjectsCapability = capability(
  [RULESET_OBJECTS_ENV.kind, RULESET_OBJECTS_ENV.bucket],
  z.discriminatedUnion(RULESET_OBJECTS_ENV.kind, [
    z.object({
      [RULESET_OBJECTS_ENV.kind]: z.literal('s3'),
      [RULESET_OBJECTS_ENV.bucket]: nonEmpty,
    }),
    z.object({
      [RULESET_OBJECTS_ENV.kind]: z.literal('local'),
      [RULESET_OBJECTS_ENV.dir]: nonEmpty,
      [RULESET_OBJECTS_ENV.secret]: z.string().min(32),
      ...inlineMaxBytes,
    }),
  ]),
  (
    value:
      | { kind: 's3'; bucketName: string }
      | { kind: 'local'; dir: string; secret: string; inlineMaxBytes?: number },
  ): Record<string, string> =>
    value.kind === 's3'
      ? { [RULESET_OBJECTS_ENV.kind]: 's3', [RULESET_OBJECTS_ENV.bucket]: value.bucketName }
      : {
          [RULESET_OBJECTS_ENV.kind]: 'local',
          [RULESET_OBJECTS_ENV.dir]: value.dir,
          [RULESET_OBJECTS_ENV.secret]: value.secret,
          ...(value.inlineMaxBytes === undefined
            ? {}
            : { [RULESET_OBJECTS_ENV.inlineMaxBytes]: String(value.inlineMaxBytes) }),
        },
);

/** One capability per table (the type makes a new table id fail to compile until it is listed). */
const TABLE_CAPABILITIES: { readonly [T in TableId as `table:${T}`]: ReturnType<typeof tableCapability<T>> } =
  {
    'table:config': tableCapability('config'),
    'table:rulesets': tableCapability('rulesets'),
    'table:audit': tableCapability('audit'),
    'table:analytics': tableCapability('analytics'),
    'table:apiKeys': tableCapability('apiKeys'),
    'table:idempotency': tableCapability('idempotency'),
  };

/** Every capability by name: what a function registration (shared/functions.ts) lists. */
export const CAPABILITIES = {
  ...TABLE_CAPABILITIES,
  http: httpCapability,
  events: eventsCapability,
  cache: cacheCapability,
  exactTime: exactTimeCapability,
  exactTimeTarget: exactTimeTargetCapability,
  search: searchCapability,
  users: usersCapability,
  notifications: notificationsCapability,
  rulesetObjects: rulesetObjectsCapability,
};
export type CapabilityId = keyof typeof CAPABILITIES;

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void
  ? I
  : never;

// Each output wrapped in a tuple, so a capability whose output is itself a union (users) stays a union.
type Wrapped<Ids extends CapabilityId> = UnionToIntersection<
  { [K in Ids]: [z.output<(typeof CAPABILITIES)[K]['schema']>] }[Ids]
>;

/** The parsed environment of a function that uses `ids`. */
export type EnvOf<Ids extends CapabilityId> =
  Wrapped<Ids> extends [unknown] ? Wrapped<Ids>[0] : Record<string, never>;

/** Every variable name of the contract (deployed, runtime and local-only ones). */
export const CONTRACT_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(CAPABILITIES).flatMap((c) => c.variables),
  USERS_ENV.localFile,
  NOTIFICATIONS_ENV.outboxFile,
  RULESET_OBJECTS_ENV.dir,
  RULESET_OBJECTS_ENV.secret,
  RULESET_OBJECTS_ENV.inlineMaxBytes,
]);

/** Variables a deployed function with these capabilities receives, besides BASE_ENV. */
export function deployedVariables(ids: readonly CapabilityId[]): string[] {
  return [...new Set(ids.flatMap((id) => CAPABILITIES[id].variables))].sort();
}

/**
 * Parse `source` against the schemas of `ids`, all at once: a missing or malformed variable stops the function
 * with a message naming every offending variable, instead of failing later on `undefined`.
 */
export function parseCapabilities<const Ids extends CapabilityId>(
  ids: readonly Ids[],
  source: NodeJS.ProcessEnv = process.env,
): EnvOf<Ids> {
  const env: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const id of ids) {
    const result = CAPABILITIES[id].schema.safeParse(source);
    if (result.success) Object.assign(env, result.data);
    else problems.push(...result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (problems.length > 0) throw new ConfigurationError(`Invalid environment: ${problems.join('; ')}`);
  return env as EnvOf<Ids>;
}

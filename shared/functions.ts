import type { TableId } from './db/tables';
import { parseCapabilities, type CapabilityId, type EnvOf } from './environment';

/**
 * THE function registry: every Lambda function of the platform under a typed name — one per HTTP handler group
 * (the route table says which routes each serves), the stream consumers and scheduled jobs, the exact-time
 * scheduler's target, the search setup and the API-key authorizer. Its entry file, the environment capabilities
 * it uses (shared/environment.ts) and its triggers are stated here once; the CDK app (lib/stacks/api-stack.ts,
 * lib/constructs/*), monitoring and the local platform (local/platform.ts) derive from it, and each handler parses
 * exactly the environment of its registration (`functionEnv`).
 */

export type StreamSource =
  { readonly kind: 'tableStream'; readonly table: TableId } | { readonly kind: 'events' };

/**
 * An event source mapping (DynamoDB Streams or Kinesis) with partial batch responses and bisection, and what
 * becomes of a batch that keeps failing.
 */
export interface StreamTrigger {
  readonly source: StreamSource;
  readonly batchSize: number;
  /**
   * Deliveries of a failing batch before it goes to the failure destination (Lambda's maximumRetryAttempts + 1);
   * 'untilExpired': retried until the record is about to leave the stream (its retention, at most Lambda's 7 days).
   */
  readonly maxAttempts: number | 'untilExpired';
  /**
   * What the failure destination keeps: 'records' — the batch itself (an S3 object with the invocation event;
   * `npm run redrive` replays it), for data nothing else holds; 'location' — the shard and sequence numbers (an
   * SQS message), for a stream whose consumer rebuilds from current state anyway.
   */
  readonly failures: 'records' | 'location';
}

/** An EventBridge rule (a timer under `npm start`); `name` names the rule and the local timer. */
export interface ScheduleTrigger {
  readonly name: string;
  readonly everyMinutes: number;
}

interface RegistrationBase {
  /** Relative to the repository root; exports `handler`. */
  readonly entry: string;
  /** The environment capabilities it reads; CDK sets exactly their variables (besides BASE_ENV). */
  readonly uses: readonly CapabilityId[];
}

/** A route group's function, behind API Gateway (local: the local gateway). Uses the `http` capability. */
export interface HttpRegistration extends RegistrationBase {
  readonly kind: 'http';
}

/** A stream consumer and/or scheduled job. */
export interface BackgroundRegistration extends RegistrationBase {
  readonly kind: 'background';
  readonly stream?: StreamTrigger;
  readonly schedules?: readonly ScheduleTrigger[];
}

/** Invoked by something the CDK app builds around it (an authorizer, a schedule target, a custom resource). */
export interface SingleRegistration extends RegistrationBase {
  readonly kind: 'authorizer' | 'scheduleTarget' | 'customResource';
  /** False when the local platform has no use for it (no EventBridge Scheduler, no search domain). */
  readonly runsLocally: boolean;
}

export type FunctionRegistration = HttpRegistration | BackgroundRegistration | SingleRegistration;

type Registry = { readonly [name: string]: FunctionRegistration };

const CONFIG_WRITER = ['table:config', 'table:audit'] as const;

export const FUNCTIONS = {
  // Route groups (the `handler` of the routes in shared/http/routes.ts), in HANDLER_GROUPS order: health and the OpenAPI document touch no data.
  system: { kind: 'http', entry: 'lambdas/system/handler.ts', uses: ['http'] },
  users: { kind: 'http', entry: 'lambdas/users/handler.ts', uses: ['http', 'users', 'table:audit'] },
  audit: { kind: 'http', entry: 'lambdas/audit/handler.ts', uses: ['http', 'table:audit'] },
  // analytics: the evaluation counters behind the stale filter; users: an owner transfer names an existing,
  // enabled user.
  'feature-flags': {
    kind: 'http',
    entry: 'lambdas/feature-flags/handler.ts',
    uses: ['http', ...CONFIG_WRITER, 'table:analytics', 'users'],
  },
  segments: { kind: 'http', entry: 'lambdas/segments/handler.ts', uses: ['http', ...CONFIG_WRITER] },
  layers: { kind: 'http', entry: 'lambdas/layers/handler.ts', uses: ['http', ...CONFIG_WRITER] },
  metrics: { kind: 'http', entry: 'lambdas/metrics/handler.ts', uses: ['http', ...CONFIG_WRITER] },
  // analytics: the aggregates behind GET …/results; exactTime: the start/end schedules of each experiment.
  experiments: {
    kind: 'http',
    entry: 'lambdas/experiments/handler.ts',
    uses: ['http', ...CONFIG_WRITER, 'table:analytics', 'exactTime'],
  },
  // Rollout schedules: each stage changes the schedule and its flag (both in the config table, both audited);
  // exactTime: the one schedule at each rollout's next due instant.
  'rollout-schedules': {
    kind: 'http',
    entry: 'lambdas/rollout-schedules/handler.ts',
    uses: ['http', ...CONFIG_WRITER, 'exactTime'],
  },
  // Safety settings, per-flag configs and manual rollbacks (a rollback changes the flag and its rollout, records
  // it and notifies: SNS and EventBridge in AWS, the local outbox under npm start); exactTime: a rolled-back
  // rollout's one-time schedule is deleted.
  safety: {
    kind: 'http',
    entry: 'lambdas/safety/handler.ts',
    // analytics: the report's health figures.
    uses: ['http', ...CONFIG_WRITER, 'exactTime', 'notifications', 'table:analytics'],
  },
  'api-keys': {
    kind: 'http',
    entry: 'lambdas/api-keys/handler.ts',
    uses: ['http', 'table:apiKeys', 'table:audit'],
  },
  // Published rulesets (cache first; bodies too large for a response via the ruleset object store), evaluation
  // counters, exposures onto the events stream.
  evaluation: {
    kind: 'http',
    entry: 'lambdas/evaluation/handler.ts',
    uses: ['http', 'table:rulesets', 'table:analytics', 'cache', 'events', 'rulesetObjects'],
  },
  events: { kind: 'http', entry: 'lambdas/events/handler.ts', uses: ['http', 'events'] },

  // The SDK routes' REQUEST authorizer: looks keys up by hash (shared/api-keys/authorizer.ts).
  'api-key-authorizer': {
    kind: 'authorizer',
    entry: 'lambdas/api-key-authorizer/handler.ts',
    uses: ['table:apiKeys'],
    runsLocally: true,
  },

  // Config stream → next ruleset revision; every 5 minutes, the repair sweep (republishes if a stream delivery
  // was missed, refills the cache after a flush).
  'ruleset-publisher': {
    kind: 'background',
    entry: 'lambdas/ruleset-publisher/handler.ts',
    uses: ['table:config', 'table:rulesets', 'cache'],
    stream: {
      source: { kind: 'tableStream', table: 'config' },
      batchSize: 100,
      maxAttempts: 5,
      // A missed change is republished by the repair sweep from the current configuration.
      failures: 'location',
    },
    schedules: [{ name: 'ruleset-repair', everyMinutes: 5 }],
  },
  // Events → OpenSearch and the aggregates (shared/analytics); idempotent per event, so retries are safe. An
  // accepted event exists nowhere else: retried until it would expire, then kept whole for a redrive.
  'event-processor': {
    kind: 'background',
    entry: 'lambdas/event-processor/handler.ts',
    uses: ['table:config', 'table:analytics', 'search'],
    stream: { source: { kind: 'events' }, batchSize: 1000, maxAttempts: 'untilExpired', failures: 'records' },
  },
  // Starts and ends experiments whose startAt/endAt has passed: the repair path of the exact-time schedules
  // (lib/constructs/experiment-scheduler.ts), and the only path on the local platform.
  'experiment-sweep': {
    kind: 'background',
    entry: 'lambdas/experiment-sweep/handler.ts',
    uses: CONFIG_WRITER,
    schedules: [{ name: 'experiment-sweep', everyMinutes: 15 }],
  },

  // Every minute: judges each monitored flag from the error/latency aggregates (analytics) and rolls back those
  // that breach, like a manual rollback (config, audit, notifications, exactTime) — SPEC §2.7.
  'safety-monitor': {
    kind: 'background',
    entry: 'lambdas/safety-monitor/handler.ts',
    uses: [...CONFIG_WRITER, 'exactTime', 'notifications', 'table:analytics'],
    schedules: [{ name: 'safety-monitor', everyMinutes: 1 }],
  },

  // Starts PENDING rollout schedules at their startAt and enters every stage whose trigger is met (SPEC §2.6): the
  // repair path of the rollouts' exact-time schedules, whose next one it sets after each stage it enters.
  'rollout-advancer': {
    kind: 'background',
    entry: 'lambdas/rollout-advancer/handler.ts',
    uses: [...CONFIG_WRITER, 'exactTime', 'table:analytics'],
    schedules: [{ name: 'rollout-advancer', everyMinutes: 5 }],
  },

  // Target of the exact-time one-time schedules of experiments and rollouts (AWS only: locally the jobs alone start
  // and end experiments and enter rollout stages); exactTimeTarget: it moves a rollout's schedule to the next stage.
  'experiment-scheduler': {
    kind: 'scheduleTarget',
    entry: 'lambdas/experiment-scheduler/handler.ts',
    uses: [...CONFIG_WRITER, 'exactTimeTarget'],
    runsLocally: false,
  },
  // Deploy-time custom resource installing the events' index template and dashboards (AWS only). It signs as
  // the domain's master user with the runtime's AWS_REGION: no contract variable.
  'search-setup': {
    kind: 'customResource',
    entry: 'lambdas/opensearch-setup/handler.ts',
    uses: [],
    runsLocally: false,
  },
} as const satisfies Registry;

export type FunctionName = keyof typeof FUNCTIONS;
export type BackgroundFunctionName = {
  [N in FunctionName]: (typeof FUNCTIONS)[N]['kind'] extends 'background' ? N : never;
}[FunctionName];

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** The HTTP route groups: the `handler` a route names. */
export type HandlerGroup = {
  [N in FunctionName]: (typeof FUNCTIONS)[N]['kind'] extends 'http' ? N : never;
}[FunctionName];
export const HANDLER_GROUPS = FUNCTION_NAMES.filter(
  (name): name is HandlerGroup => FUNCTIONS[name].kind === 'http',
);

/** The environment of function `name`: exactly the capabilities of its registration, parsed at cold start. */
export function functionEnv<N extends FunctionName>(
  name: N,
  source: NodeJS.ProcessEnv = process.env,
): EnvOf<(typeof FUNCTIONS)[N]['uses'][number]> {
  const registration: FunctionRegistration = FUNCTIONS[name];
  return parseCapabilities(registration.uses, source) as EnvOf<(typeof FUNCTIONS)[N]['uses'][number]>;
}

/** The background functions, in registry order. */
export const BACKGROUND_FUNCTIONS = FUNCTION_NAMES.filter(
  (name): name is BackgroundFunctionName => FUNCTIONS[name].kind === 'background',
);

/** What the local platform (and the CDK app) consume per stream consumer; tests may add their own. */
export interface StreamFunctionDefinition extends StreamTrigger {
  readonly name: string;
  readonly entry: string;
}

export interface ScheduledFunctionDefinition extends ScheduleTrigger {
  readonly entry: string;
}

export interface RegisteredStreamFunction extends StreamFunctionDefinition {
  readonly function: BackgroundFunctionName;
}

export interface RegisteredScheduledFunction extends ScheduledFunctionDefinition {
  readonly function: BackgroundFunctionName;
}

export const STREAM_FUNCTIONS: readonly RegisteredStreamFunction[] = BACKGROUND_FUNCTIONS.flatMap((name) => {
  const fn: BackgroundRegistration = FUNCTIONS[name];
  return fn.stream ? [{ ...fn.stream, name, function: name, entry: fn.entry }] : [];
});

export const SCHEDULED_FUNCTIONS: readonly RegisteredScheduledFunction[] = BACKGROUND_FUNCTIONS.flatMap(
  (name) => {
    const fn: BackgroundRegistration = FUNCTIONS[name];
    return (fn.schedules ?? []).map((schedule) => ({ ...schedule, function: name, entry: fn.entry }));
  },
);

/** Entry files the local platform loads: every function but those that only exist around AWS services. */
export const LOCAL_FUNCTION_ENTRIES: readonly string[] = FUNCTION_NAMES.flatMap((name) => {
  const fn: FunctionRegistration = FUNCTIONS[name];
  return fn.kind === 'http' || fn.kind === 'background' || fn.runsLocally ? [fn.entry] : [];
});

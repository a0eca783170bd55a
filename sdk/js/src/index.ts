/**
 * @switchyard/sdk — the TypeScript SDK of Switchyard (SPEC §4): remote and local evaluation, experiment
 * assignments, events (track, measure, exposures). Local evaluation runs the service's own engine
 * (shared/rules), bundled in.
 */
export { createClient, LocalClient, RemoteClient } from './client';
export type {
  ClientEvents,
  ClientOptions,
  ClientStats,
  ClientStatus,
  LocalClientOptions,
  RemoteClientOptions,
  SwitchyardClient,
} from './client';
export type { EventOptions, EventStats, SwitchyardEvent } from './events';
export type { RetryOptions } from './http';
export type { Logger } from './log';
export type { CacheOptions } from './remote';
export type { FetchInit, FetchLike, FetchResponse, Runtime } from './runtime';
export type {
  AssignOptions,
  AssignmentReason,
  ErrorCode,
  EvaluationContext,
  EvaluationDetails,
  MeasureOptions,
  SdkAssignment,
  TrackOptions,
} from './types';
export type {
  Assignment,
  EvaluationReason,
  EvaluationResult,
  FlagKind,
  FlagValue,
  JsonValue,
  Ruleset,
} from '../../../shared/rules';

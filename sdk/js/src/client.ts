import {
  defaultUnit,
  exposureEvent,
  exposuresOf,
  valueMatchesKind,
  type CompiledRuleset,
  type EvaluateOptions,
  type EvaluationResult,
  type FlagKind,
  type FlagValue,
  type JsonValue,
  type Ruleset,
} from '../../../shared/rules';
import { EventQueue, type EventOptions, type EventStats, type SwitchyardEvent } from './events';
import { Transport, describe, type RetryOptions } from './http';
import { RulesetPoller } from './local';
import { QuietLogger, type Logger } from './log';
import { RemoteEvaluator, type CacheOptions } from './remote';
import { defaultRuntime, type FetchLike, type Runtime } from './runtime';
import type {
  AssignOptions,
  ErrorCode,
  EvaluationContext,
  EvaluationDetails,
  MeasureOptions,
  SdkAssignment,
  TrackOptions,
} from './types';

export interface ClientOptions {
  /** Where the Switchyard API answers, e.g. `https://flags.example.com` (the part before `/api/v1`). */
  readonly baseUrl: string;
  /** A server key (`sy_…`; local mode needs one) or a client key. Sent as `Authorization: Bearer`. */
  readonly apiKey: string;
  /**
   * Per attempt, reading the answer included.
   * @default 2000
   */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /**
   * Requests in flight at once; beyond it an evaluation answers ERROR at once rather than queue.
   * @default 64
   */
  readonly maxConcurrentRequests?: number;
  readonly events?: EventOptions;
  /** @default console */
  readonly logger?: Logger;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** For tests and unusual runtimes: the clock, timers, randomness and ids the SDK uses. */
  readonly runtime?: Partial<Runtime>;
}

export interface RemoteClientOptions extends ClientOptions {
  /** Remote mode (the default): every answer comes from the API. */
  readonly mode?: 'remote';
  /** Answers reused per context; `false` asks the API every time. */
  readonly cache?: CacheOptions | false;
}

export interface LocalClientOptions extends ClientOptions {
  /** Local mode: the compiled ruleset is downloaded and flags are evaluated in process (server keys). */
  readonly mode: 'local';
  /**
   * How often the ruleset is checked for a new revision (a 304 when there is none); 0 loads it once.
   * @default 30000
   */
  readonly pollIntervalMs?: number;
  /** A ruleset to serve until the API's arrives (a file shipped with the service, a cached copy). */
  readonly ruleset?: Ruleset;
}

/**
 * `not_ready`: local mode before its first ruleset; `ready`: answering; `stale`: local mode answering from a
 * ruleset it could not refresh lately; `error`: local mode that has no ruleset and could not get one; `closed`.
 */
export type ClientStatus = 'not_ready' | 'ready' | 'stale' | 'error' | 'closed';

export interface ClientEvents {
  /** The first ruleset arrived, or the API answers again after `stale` / `error`. */
  readonly ready: { readonly revision: number | null };
  /** A new ruleset revision changed these flags (only those: unrelated flags are not named). */
  readonly change: { readonly flagsChanged: readonly string[]; readonly revision: number };
  /** The ruleset could not be refreshed; the last one keeps answering. */
  readonly stale: { readonly message: string };
  /** No ruleset could be had; `fatal` when the key is refused (401/403). */
  readonly error: { readonly message: string; readonly fatal: boolean };
}

export interface ClientStats {
  readonly status: ClientStatus;
  readonly events: EventStats;
}

type Listener<E extends keyof ClientEvents> = (details: ClientEvents[E]) => void;

const KIND_OPTIONS: Readonly<Record<FlagKind, EvaluateOptions>> = {
  boolean: Object.freeze({ kind: 'boolean' }),
  string: Object.freeze({ kind: 'string' }),
  number: Object.freeze({ kind: 'number' }),
  json: Object.freeze({ kind: 'json' }),
};

type Answer = EvaluationResult | EvaluationDetails;

/** The caller's default, reason ERROR, and why. */
function failed<T extends FlagValue>(
  flagKey: string,
  defaultValue: T,
  errorCode: ErrorCode,
  errorMessage: string,
  ruleId?: string,
): EvaluationDetails<T> {
  return {
    flagKey,
    value: defaultValue,
    variation: null,
    reason: 'ERROR',
    ...(ruleId === undefined ? {} : { ruleId }),
    errorCode,
    errorMessage,
  };
}

/**
 * An answer with the caller's default in place of a failure: an ERROR (or a result without a variation)
 * serves the default; a value not of the asked kind is TYPE_MISMATCH. Success returns the answer itself.
 */
function withDefault<T extends FlagValue>(
  answer: Answer,
  defaultValue: T,
  kind?: FlagKind,
): EvaluationDetails<T> {
  if (answer.reason === 'ERROR' || answer.variation === null) {
    return failed(
      answer.flagKey,
      defaultValue,
      answer.errorCode ?? 'GENERAL',
      answer.errorMessage ?? 'no variation served',
      answer.ruleId,
    );
  }
  if (kind !== undefined && !valueMatchesKind(kind, answer.value)) {
    return failed(answer.flagKey, defaultValue, 'TYPE_MISMATCH', `the flag's value is not a ${kind}`);
  }
  return answer as EvaluationDetails<T>;
}

/** A context as the engine reads it: an object's own attributes; anything else is an empty context. */
function asContext(context: unknown): Readonly<Record<string, unknown>> {
  return typeof context === 'object' && context !== null && !Array.isArray(context)
    ? (context as Readonly<Record<string, unknown>>)
    : {};
}

function unitOf(context: unknown): string | undefined {
  if (typeof context === 'string') return context.length > 0 ? context : undefined;
  return defaultUnit(asContext(context));
}

function checkOptions(options: ClientOptions): void {
  if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
    throw new TypeError('Switchyard: options.baseUrl must be an http(s) URL');
  }
  if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
    throw new TypeError('Switchyard: options.apiKey is required');
  }
}

/**
 * What both modes share: the transport, events (track, measure, exposures), status and listeners, close().
 * Nothing here throws into the application once constructed: failures become ERROR answers, counted events
 * and log lines.
 */
abstract class BaseClient {
  protected readonly runtime: Runtime;
  protected readonly transport: Transport;
  protected readonly log: QuietLogger;
  private readonly queue: EventQueue;
  private readonly listeners: { [E in keyof ClientEvents]: Set<Listener<E>> } = {
    ready: new Set(),
    change: new Set(),
    stale: new Set(),
    error: new Set(),
  };
  /** The unit of measurements whose context has none: this process. */
  private readonly instanceUnit: string;
  private currentStatus: ClientStatus;

  protected constructor(options: ClientOptions, status: ClientStatus) {
    checkOptions(options);
    this.runtime = defaultRuntime({
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...options.runtime,
    });
    this.log = new QuietLogger(options.logger ?? console, this.runtime.now);
    this.transport = new Transport(
      {
        baseUrl: options.baseUrl.replace(/\/+$/, ''),
        apiKey: options.apiKey,
        timeoutMs: Math.max(1, options.timeoutMs ?? 2000),
        retry: {
          maxAttempts: Math.max(1, Math.floor(options.retry?.maxAttempts ?? 3)),
          baseDelayMs: Math.max(0, options.retry?.baseDelayMs ?? 100),
          maxDelayMs: Math.max(0, options.retry?.maxDelayMs ?? 2000),
        },
        maxConcurrentRequests: Math.max(1, options.maxConcurrentRequests ?? 64),
      },
      this.runtime,
    );
    this.queue = new EventQueue(this.transport, options.events ?? {}, this.runtime, this.log);
    this.instanceUnit = this.runtime.randomUUID();
    this.currentStatus = status;
  }

  get status(): ClientStatus {
    return this.currentStatus;
  }

  /** Listens to `ready`, `change`, `stale` or `error`; returns the function that stops listening. */
  on<E extends keyof ClientEvents>(event: E, listener: Listener<E>): () => void {
    const listeners = this.listeners[event] as Set<Listener<E>> | undefined;
    listeners?.add(listener);
    return () => listeners?.delete(listener);
  }

  /**
   * Resolves true once the client can answer from the API's data (local mode: a ruleset is loaded), false
   * after `timeoutMs`, when the key is refused or once closed. Never rejects.
   */
  waitForReady(timeoutMs = 5000): Promise<boolean> {
    const settled = (status: ClientStatus) => status === 'ready' || status === 'stale';
    if (settled(this.currentStatus)) return Promise.resolve(true);
    if (this.currentStatus === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const stops: (() => void)[] = [];
      const finish = (ready: boolean) => {
        stops.forEach((stop) => stop());
        resolve(ready);
      };
      stops.push(this.runtime.schedule(timeoutMs, () => finish(settled(this.currentStatus))));
      stops.push(this.on('ready', () => finish(true)));
      stops.push(this.on('error', ({ fatal }) => fatal && finish(false)));
    });
  }

  /** Records a `track` event for the unit of `context` (its targetingKey or userId) or the unit id given. */
  track(eventName: string, context: EvaluationContext | string, options: TrackOptions = {}): void {
    try {
      const unitId = unitOf(context);
      if (unitId === undefined || typeof eventName !== 'string' || eventName.trim() === '') {
        this.queue.discard('track() needs an event name and a context with targetingKey or userId');
        return;
      }
      this.queue.enqueue({
        eventId: this.runtime.randomUUID(),
        type: 'track',
        name: eventName,
        unitId,
        timestamp: new Date(options.timestamp?.getTime() ?? this.runtime.now()).toISOString(),
        ...(options.value === undefined ? {} : { value: options.value }),
        ...(options.properties === undefined ? {} : { properties: options.properties }),
      });
    } catch (error) {
      this.log.error('track', `track() failed: ${describe(error)}`);
    }
  }

  /**
   * Runs `fn` with the flag's answer for `context` and measures it for the safety monitor: one `latency` event
   * (ms), and one `error` event when `fn` throws or rejects, both naming the flag and the variation served.
   * Returns what `fn` returns; what `fn` throws is rethrown (it is the application's own error).
   */
  async measure<T>(
    flagKey: string,
    context: EvaluationContext,
    fn: (served: EvaluationDetails) => T | PromiseLike<T>,
    options: MeasureOptions = {},
  ): Promise<T> {
    let served: EvaluationDetails;
    try {
      served = await this.serve(flagKey, context, options.defaultValue ?? null);
    } catch (error) {
      served = failed(flagKey, options.defaultValue ?? null, 'GENERAL', describe(error));
    }
    const startedAt = this.runtime.now();
    const started = this.runtime.elapsed();
    let failure: { error: unknown } | undefined;
    try {
      return await fn(served);
    } catch (error) {
      failure = { error };
      throw error;
    } finally {
      this.recordMeasurement(
        flagKey,
        context,
        served,
        startedAt,
        this.runtime.elapsed() - started,
        failure,
        options,
      );
    }
  }

  /** Sends the queued events now. */
  async flush(): Promise<void> {
    try {
      await this.queue.flush();
    } catch (error) {
      this.log.error('flush', `flush failed: ${describe(error)}`);
    }
  }

  /** Stops polling and sends what is queued (within `events.closeTimeoutMs`). Evaluations then answer ERROR. */
  async close(): Promise<void> {
    if (this.currentStatus === 'closed') return;
    this.currentStatus = 'closed';
    try {
      this.stop();
      await this.queue.close();
    } catch (error) {
      this.log.error('close', `close failed: ${describe(error)}`);
    }
  }

  stats(): ClientStats {
    return { status: this.currentStatus, events: this.queue.stats() };
  }

  protected abstract serve(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: FlagValue,
  ): EvaluationDetails | Promise<EvaluationDetails>;

  protected stop(): void {}

  protected get closed(): boolean {
    return this.currentStatus === 'closed';
  }

  protected enqueue(event: SwitchyardEvent): void {
    this.queue.enqueue(event);
  }

  protected setStatus(status: ClientStatus): boolean {
    if (this.currentStatus === status || this.currentStatus === 'closed') return false;
    this.currentStatus = status;
    return true;
  }

  protected emit<E extends keyof ClientEvents>(event: E, details: ClientEvents[E]): void {
    for (const listener of this.listeners[event] as Set<Listener<E>>) {
      try {
        listener(details);
      } catch (error) {
        this.log.error(`listener-${event}`, `a ${event} listener threw: ${describe(error)}`);
      }
    }
  }

  private recordMeasurement(
    flagKey: string,
    context: EvaluationContext,
    served: EvaluationDetails,
    startedAt: number,
    durationMs: number,
    failure: { error: unknown } | undefined,
    options: MeasureOptions,
  ): void {
    try {
      const common = {
        name: options.name ?? flagKey,
        unitId: unitOf(context) ?? this.instanceUnit,
        timestamp: new Date(startedAt).toISOString(),
        flagKey,
        ...(served.variation === null ? {} : { variation: served.variation }),
      };
      this.enqueue({
        ...common,
        eventId: this.runtime.randomUUID(),
        type: 'latency',
        value: Math.max(0, Math.round(durationMs * 1000) / 1000),
        ...(options.properties === undefined ? {} : { properties: options.properties }),
      });
      if (failure !== undefined) {
        const errorName = failure.error instanceof Error ? failure.error.name : typeof failure.error;
        this.enqueue({
          ...common,
          eventId: this.runtime.randomUUID(),
          type: 'error',
          properties: { ...options.properties, error: errorName },
        });
      }
    } catch (error) {
      this.log.error('measure', `measure() could not record: ${describe(error)}`);
    }
  }
}

/**
 * Local mode (server keys): the ruleset is downloaded once and polled by ETag; every evaluation runs in
 * process with the service's own engine, synchronously, with no network on the way. Flags served by a running
 * experiment and assignments in one log one exposure event each, as the API does for its callers.
 */
export class LocalClient extends BaseClient {
  readonly mode = 'local' as const;
  private readonly poller: RulesetPoller;

  constructor(options: LocalClientOptions) {
    super(options, 'not_ready');
    this.poller = new RulesetPoller(this.transport, options.pollIntervalMs ?? 30_000, this.runtime, {
      loaded: (revision, flagsChanged, first) => {
        if (this.setStatus('ready') || first) this.emit('ready', { revision });
        if (flagsChanged.length > 0) this.emit('change', { flagsChanged, revision });
      },
      succeeded: () => {
        if (this.poller.compiled !== null && this.setStatus('ready')) {
          this.emit('ready', { revision: this.revision });
        }
      },
      failed: (message, fatal) => {
        if (this.poller.compiled !== null) {
          this.log.warn('stale', `serving ruleset revision ${this.revision} (refresh failed: ${message})`);
          if (this.setStatus('stale')) this.emit('stale', { message });
        } else {
          this.log.error('not-ready', `no ruleset yet: ${message}`);
          if (this.setStatus('error') || fatal) this.emit('error', { message, fatal });
        }
      },
    });
    if (options.ruleset !== undefined) {
      const problem = this.poller.bootstrap(options.ruleset);
      if (problem !== null) this.log.error('bootstrap', `the ruleset given was not used: ${problem}`);
    }
    this.poller.start();
  }

  /** The revision of the ruleset in use, null before the first. */
  get revision(): number | null {
    return this.poller.compiled?.revision ?? null;
  }

  getBooleanDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: boolean,
  ): EvaluationDetails<boolean> {
    return this.details(flagKey, context, defaultValue, 'boolean');
  }
  getBooleanValue(flagKey: string, context: EvaluationContext, defaultValue: boolean): boolean {
    return this.details(flagKey, context, defaultValue, 'boolean').value;
  }
  getStringDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: string,
  ): EvaluationDetails<string> {
    return this.details(flagKey, context, defaultValue, 'string');
  }
  getStringValue(flagKey: string, context: EvaluationContext, defaultValue: string): string {
    return this.details(flagKey, context, defaultValue, 'string').value;
  }
  getNumberDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: number,
  ): EvaluationDetails<number> {
    return this.details(flagKey, context, defaultValue, 'number');
  }
  getNumberValue(flagKey: string, context: EvaluationContext, defaultValue: number): number {
    return this.details(flagKey, context, defaultValue, 'number').value;
  }
  getJsonDetails<T extends JsonValue>(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: T,
  ): EvaluationDetails<T> {
    return this.details(flagKey, context, defaultValue, 'json');
  }
  getJsonValue<T extends JsonValue>(flagKey: string, context: EvaluationContext, defaultValue: T): T {
    return this.details(flagKey, context, defaultValue, 'json').value;
  }

  /**
   * Every flag (or the named ones) for one context, as the engine answers them: failures keep reason ERROR
   * and value null (there is no caller's default here).
   */
  evaluateAll(context: EvaluationContext, flagKeys?: readonly string[]): EvaluationDetails[] {
    const ruleset = this.ready();
    if (typeof ruleset === 'string') {
      return (flagKeys ?? []).map((flagKey) => failed(flagKey, null, 'PROVIDER_NOT_READY', ruleset));
    }
    try {
      const results = ruleset.evaluateAll(context, flagKeys);
      this.logExposures(ruleset, context, results);
      return results;
    } catch (error) {
      return (flagKeys ?? []).map((flagKey) => failed(flagKey, null, 'GENERAL', describe(error)));
    }
  }

  /** Experiment assignments for one context (SPEC §2.4); each assignment in an experiment logs one exposure. */
  assign(context: EvaluationContext, options: AssignOptions = {}): SdkAssignment[] {
    const ruleset = this.ready();
    const error = (errorCode: ErrorCode, errorMessage: string): SdkAssignment[] =>
      (options.experiments ?? []).map((experimentKey) => ({
        experimentKey,
        variant: null,
        payload: null,
        inExperiment: false,
        reason: 'ERROR',
        errorCode,
        errorMessage,
      }));
    if (typeof ruleset === 'string') return error('PROVIDER_NOT_READY', ruleset);
    try {
      const assignments = ruleset.assign(context, options.experiments, options.unitId);
      this.logExposures(ruleset, context, assignments, options.unitId);
      return assignments;
    } catch (failure) {
      return error('GENERAL', describe(failure));
    }
  }

  /** Checks for a new ruleset now (as a poll would); resolves when done, never rejects. */
  async refresh(): Promise<void> {
    if (!this.closed) await this.poller.refresh();
  }

  protected override serve(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: FlagValue,
  ): EvaluationDetails {
    return this.details(flagKey, context, defaultValue, undefined);
  }

  protected override stop(): void {
    this.poller.stop();
  }

  /** The compiled ruleset, or why there is none to answer from. */
  private ready(): CompiledRuleset | string {
    if (this.closed) return 'the client is closed';
    return this.poller.compiled ?? 'no ruleset yet (see status / waitForReady())';
  }

  private details<T extends FlagValue>(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: T,
    kind: FlagKind | undefined,
  ): EvaluationDetails<T> {
    const ruleset = this.ready();
    if (typeof ruleset === 'string') return failed(flagKey, defaultValue, 'PROVIDER_NOT_READY', ruleset);
    try {
      const result = ruleset.evaluate(flagKey, context, kind === undefined ? undefined : KIND_OPTIONS[kind]);
      if (result.experimentKey !== undefined) this.logExposures(ruleset, context, [result]);
      return withDefault(result, defaultValue);
    } catch (error) {
      return failed(flagKey, defaultValue, 'GENERAL', describe(error));
    }
  }

  /** One exposure event per answer served by an experiment — the service's rule and event, from the engine. */
  private logExposures(
    ruleset: CompiledRuleset,
    context: EvaluationContext,
    answers: Parameters<typeof exposuresOf>[2],
    unitId?: string,
  ): void {
    const exposures = exposuresOf(ruleset, asContext(context), answers, unitId);
    if (exposures.length === 0) return;
    const timestamp = new Date(this.runtime.now()).toISOString();
    for (const exposure of exposures)
      this.enqueue(exposureEvent(exposure, this.runtime.randomUUID(), timestamp));
  }
}

/**
 * Remote mode: each answer comes from `POST /api/v1/evaluate` or `/api/v1/assignments` (any key), cached per
 * context for a few seconds. The API logs the exposures of what it serves.
 */
export class RemoteClient extends BaseClient {
  readonly mode = 'remote' as const;
  private readonly evaluator: RemoteEvaluator;

  constructor(options: RemoteClientOptions) {
    super(options, 'ready');
    this.evaluator = new RemoteEvaluator(this.transport, options.cache ?? {}, this.runtime.now);
  }

  getBooleanDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: boolean,
  ): Promise<EvaluationDetails<boolean>> {
    return this.details(flagKey, context, defaultValue, 'boolean');
  }
  async getBooleanValue(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: boolean,
  ): Promise<boolean> {
    return (await this.details(flagKey, context, defaultValue, 'boolean')).value;
  }
  getStringDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: string,
  ): Promise<EvaluationDetails<string>> {
    return this.details(flagKey, context, defaultValue, 'string');
  }
  async getStringValue(flagKey: string, context: EvaluationContext, defaultValue: string): Promise<string> {
    return (await this.details(flagKey, context, defaultValue, 'string')).value;
  }
  getNumberDetails(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: number,
  ): Promise<EvaluationDetails<number>> {
    return this.details(flagKey, context, defaultValue, 'number');
  }
  async getNumberValue(flagKey: string, context: EvaluationContext, defaultValue: number): Promise<number> {
    return (await this.details(flagKey, context, defaultValue, 'number')).value;
  }
  getJsonDetails<T extends JsonValue>(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: T,
  ): Promise<EvaluationDetails<T>> {
    return this.details(flagKey, context, defaultValue, 'json');
  }
  async getJsonValue<T extends JsonValue>(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: T,
  ): Promise<T> {
    return (await this.details(flagKey, context, defaultValue, 'json')).value;
  }

  /**
   * Every flag the key may see (or the named ones) for one context; failures keep reason ERROR and value null.
   * Without names, an API that cannot answer gives an empty list (there is nothing to name).
   */
  async evaluateAll(context: EvaluationContext, flagKeys?: readonly string[]): Promise<EvaluationDetails[]> {
    if (this.closed)
      return (flagKeys ?? []).map((k) => failed(k, null, 'PROVIDER_NOT_READY', 'the client is closed'));
    try {
      if (flagKeys !== undefined) return await this.evaluator.evaluateMany(flagKeys, asContext(context));
      const all = await this.evaluator.evaluateAll(asContext(context));
      if (!('error' in all)) return all;
      this.log.warn('evaluate', `evaluation failed: ${all.error.errorMessage}`);
      return [];
    } catch (error) {
      return (flagKeys ?? []).map((k) => failed(k, null, 'GENERAL', describe(error)));
    }
  }

  /** Experiment assignments for one context (SPEC §2.4); the API logs their exposures. */
  async assign(context: EvaluationContext, options: AssignOptions = {}): Promise<SdkAssignment[]> {
    try {
      if (this.closed) throw new Error('the client is closed');
      const answers = await this.evaluator.assign(asContext(context), options.experiments, options.unitId);
      const failure = answers.find((a) => a.reason === 'ERROR');
      if (failure !== undefined && 'errorMessage' in failure) {
        this.log.warn('assign', `assignment failed: ${failure.errorMessage}`);
      }
      return answers;
    } catch (error) {
      return (options.experiments ?? []).map((experimentKey) => ({
        experimentKey,
        variant: null,
        payload: null,
        inExperiment: false,
        reason: 'ERROR',
        errorCode: this.closed ? 'PROVIDER_NOT_READY' : 'GENERAL',
        errorMessage: describe(error),
      }));
    }
  }

  protected override serve(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: FlagValue,
  ): Promise<EvaluationDetails> {
    return this.details(flagKey, context, defaultValue, undefined);
  }

  private async details<T extends FlagValue>(
    flagKey: string,
    context: EvaluationContext,
    defaultValue: T,
    kind: FlagKind | undefined,
  ): Promise<EvaluationDetails<T>> {
    if (this.closed) return failed(flagKey, defaultValue, 'PROVIDER_NOT_READY', 'the client is closed');
    try {
      const answer = await this.evaluator.evaluate(flagKey, asContext(context));
      const details = withDefault(answer, defaultValue, kind);
      if (details.reason === 'ERROR' && details.errorCode === 'GENERAL') {
        this.log.warn('evaluate', `evaluation of ${flagKey} failed: ${details.errorMessage ?? ''}`);
      }
      return details;
    } catch (error) {
      return failed(flagKey, defaultValue, 'GENERAL', describe(error));
    }
  }
}

export type SwitchyardClient = LocalClient | RemoteClient;

/**
 * A Switchyard client: remote mode by default, local mode with `mode: 'local'` (a server key). Throws only on
 * options that cannot work (no base URL or key); nothing it returns ever throws.
 */
export function createClient(options: LocalClientOptions): LocalClient;
export function createClient(options: RemoteClientOptions): RemoteClient;
export function createClient(options: LocalClientOptions | RemoteClientOptions): SwitchyardClient {
  return options.mode === 'local' ? new LocalClient(options) : new RemoteClient(options);
}

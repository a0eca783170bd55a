import {
  ClientProviderEvents,
  ErrorCode,
  GeneralError,
  OpenFeatureEventEmitter,
  ProviderFatalError,
} from '@openfeature/web-sdk';
import type {
  EvaluationContext,
  FlagValue,
  JsonValue,
  Provider,
  ResolutionDetails,
} from '@openfeature/web-sdk';
import { fetchBulk, type BulkOutcome, type OfrepClientOptions, type OfrepFlag } from './ofrep-client';
import { changedFlags, failure, resolveFlag, type FlagKind } from './resolution';

export interface SwitchyardWebProviderOptions {
  /** The Switchyard API's base URL, e.g. `https://flags.example.com` (OFREP's paths are appended). */
  readonly baseUrl: string;
  /** A client API key (`sy_…`): it sees client-side flags only, which is what a page may know. */
  readonly apiKey: string;
  /**
   * How often to revalidate the answer (a `304` when nothing changed). `0` turns polling off: values change
   * only with the context, and a failed first request is not retried.
   * @default 30000
   */
  readonly pollIntervalMs?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** For tests and runtimes without a global `fetch`. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** The minimum of `document` this provider uses; absent outside browsers. */
interface VisibilityDocument {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * An OpenFeature web provider (static-context paradigm) over OFREP bulk evaluation.
 *
 * The whole answer for the current context is fetched on initialisation and on every context change, then
 * revalidated every `pollIntervalMs` with `If-None-Match`; flags resolve synchronously from that answer.
 * Events: Ready (first answer, or recovery), Error (no answer for the current context), Stale (polls failing
 * while an answer is held), and ConfigurationChanged naming only the flags whose value, variant or error
 * changed. Resolution never throws: an unknown flag is FLAG_NOT_FOUND, a value of another kind TYPE_MISMATCH.
 */
export class SwitchyardWebProvider implements Provider {
  readonly metadata = { name: 'Switchyard' } as const;
  readonly runsOn = 'client';
  readonly events = new OpenFeatureEventEmitter();

  private readonly client: OfrepClientOptions;
  private readonly pollIntervalMs: number;
  private context: EvaluationContext = {};
  /** The answer for the current context; undefined until one arrives (and after a failed context change). */
  private flags: Map<string, OfrepFlag> | undefined;
  private etag: string | null = null;
  private lastError = 'no answer yet';
  private stale = false;
  private closed = false;
  /** The key was refused (401/403): polling cannot help. */
  private refused = false;
  /** Bumped on each context change, so an answer for an earlier context is dropped. */
  private generation = 0;
  private inFlight: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastAttemptAt = 0;
  private readonly onVisibilityChange = () => {
    const due = this.pollIntervalMs > 0 && Date.now() - this.lastAttemptAt >= this.pollIntervalMs;
    if (due && documentOf()?.visibilityState === 'visible') {
      void this.poll();
    }
  };

  constructor(options: SwitchyardWebProviderOptions) {
    this.client = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 10_000,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    };
    this.pollIntervalMs = options.pollIntervalMs ?? 30_000;
  }

  /** Fetches the first answer. Rejects (the SDK then reports Error) but keeps polling unless the key is refused. */
  async initialize(context: EvaluationContext = {}): Promise<void> {
    this.context = context;
    documentOf()?.addEventListener('visibilitychange', this.onVisibilityChange);
    await this.load();
  }

  /** Fetches the answer for the new context; rejects (the SDK then reports Error) when none can be had. */
  async onContextChange(_old: EvaluationContext, context: EvaluationContext): Promise<void> {
    this.context = context;
    this.generation++;
    this.inFlight?.abort();
    this.flags = undefined;
    this.etag = null;
    this.stale = false;
    await this.load();
  }

  async onClose(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
    documentOf()?.removeEventListener('visibilitychange', this.onVisibilityChange);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve('boolean', flagKey, defaultValue);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve('string', flagKey, defaultValue);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve('number', flagKey, defaultValue);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve('object', flagKey, defaultValue);
  }

  private resolve<T extends FlagValue>(
    kind: FlagKind,
    flagKey: string,
    defaultValue: T,
  ): ResolutionDetails<T> {
    try {
      if (this.flags === undefined) {
        return failure(defaultValue, ErrorCode.PROVIDER_NOT_READY, `no flag values yet: ${this.lastError}`);
      }
      return resolveFlag(kind, flagKey, defaultValue, this.flags.get(flagKey));
    } catch (error) {
      return failure(defaultValue, ErrorCode.GENERAL, String(error));
    }
  }

  /** The first request for a context: its failure rejects, as OpenFeature expects of initialisation. */
  private async load(): Promise<void> {
    const generation = this.generation;
    const outcome = await this.request();
    if (generation !== this.generation || this.closed) return;
    if (outcome.kind === 'failed') {
      this.lastError = outcome.message;
      if (outcome.fatal) {
        this.refused = true;
        throw new ProviderFatalError(outcome.message);
      }
      this.schedule(outcome.retryAfterMs, true);
      throw new GeneralError(outcome.message);
    }
    if (outcome.kind === 'changed') this.accept(outcome);
    this.schedule();
  }

  /** A revalidation: its outcome becomes events, never an exception. */
  private async poll(): Promise<void> {
    if (this.closed || this.refused || this.inFlight !== undefined) return;
    clearTimeout(this.timer);
    const generation = this.generation;
    const outcome = await this.request();
    if (generation !== this.generation || this.closed) return;
    if (outcome.kind === 'failed') {
      this.lastError = outcome.message;
      if (outcome.fatal) {
        // The key was revoked or is wrong: asking again cannot help.
        this.refused = true;
        this.flags = undefined;
        this.events.emit(ClientProviderEvents.Error, {
          message: outcome.message,
          errorCode: ErrorCode.PROVIDER_FATAL,
        });
        return;
      }
      if (this.flags !== undefined && !this.stale) {
        this.stale = true;
        this.events.emit(ClientProviderEvents.Stale, { message: outcome.message });
      }
      this.schedule(outcome.retryAfterMs, true);
      return;
    }
    const recovered = this.stale || this.flags === undefined;
    this.stale = false;
    const changed = outcome.kind === 'changed' ? this.accept(outcome) : [];
    if (recovered) this.events.emit(ClientProviderEvents.Ready, { message: 'flag values are current again' });
    if (changed.length > 0) {
      this.events.emit(ClientProviderEvents.ConfigurationChanged, {
        message: `${changed.length} flag(s) changed`,
        flagsChanged: changed,
      });
    }
    this.schedule();
  }

  private async request(): Promise<BulkOutcome> {
    const controller = new AbortController();
    this.inFlight = controller;
    this.lastAttemptAt = Date.now();
    try {
      return await fetchBulk(this.client, {
        context: this.context,
        etag: this.etag,
        signal: controller.signal,
      });
    } finally {
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }

  /** Keeps a new answer and says which flags it changed (none on the first answer for a context). */
  private accept(outcome: Extract<BulkOutcome, { kind: 'changed' }>): string[] {
    const next = new Map(outcome.flags.map((flag) => [flag.key, flag]));
    const changed = this.flags === undefined ? [] : changedFlags(this.flags, next);
    this.flags = next;
    this.etag = outcome.etag;
    return changed;
  }

  /**
   * The next poll, one interval away — never sooner after a failure (many pages retrying fast would keep an
   * ailing API down), later when a 429 says so, and jittered after failures so pages that failed together do
   * not come back together.
   */
  private schedule(retryAfterMs = 0, afterFailure = false): void {
    clearTimeout(this.timer);
    if (this.closed || this.pollIntervalMs <= 0) return;
    const base = Math.max(this.pollIntervalMs, retryAfterMs);
    const delay = afterFailure ? base * (1 + Math.random() * 0.2) : base;
    this.timer = setTimeout(() => void this.poll(), delay);
  }
}

function documentOf(): VisibilityDocument | undefined {
  return (globalThis as { document?: VisibilityDocument }).document;
}

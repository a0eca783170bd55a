import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type ErrorCode as OpenFeatureErrorCode,
  type EvaluationContext,
  type FlagMetadata,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/server-sdk';
import { LocalClient, type LocalClientOptions } from '../client';
import type { EvaluationDetails } from '../types';

export interface SwitchyardProviderOptions extends Omit<LocalClientOptions, 'mode'> {
  /**
   * How long initialize() waits for the first ruleset before the provider reports an error (it keeps trying,
   * and reports Ready when one arrives).
   * @default 10000
   */
  readonly readyTimeoutMs?: number;
}

/** The resolution OpenFeature expects, from the SDK's details; our codes are OpenFeature's names. */
function resolution<T>(details: EvaluationDetails, revision: number | null): ResolutionDetails<T> {
  const flagMetadata: FlagMetadata = {
    ...(revision === null ? {} : { revision }),
    ...(details.ruleId === undefined ? {} : { ruleId: details.ruleId }),
    ...(details.experimentKey === undefined ? {} : { experimentKey: details.experimentKey }),
  };
  return {
    value: details.value as T,
    reason: details.reason,
    ...(details.variation === null ? {} : { variant: details.variation }),
    ...(details.errorCode === undefined ? {} : { errorCode: details.errorCode as OpenFeatureErrorCode }),
    ...(details.errorMessage === undefined ? {} : { errorMessage: details.errorMessage }),
    flagMetadata,
  };
}

/**
 * An OpenFeature server provider (`@openfeature/server-sdk`) over the SDK's local mode: flags evaluate in
 * process with the service's engine, exposures and `track` events go through the SDK's event pipeline.
 * Events: Ready (initialize resolves on the first ruleset, or later when it comes), ConfigurationChanged with
 * `flagsChanged` naming only the flags a new revision changed, Stale when the ruleset could not be refreshed
 * (the last one keeps answering), Error when there is none.
 */
export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  /** The SDK client answering: use it for measure() and assignments beside OpenFeature. */
  readonly client: LocalClient;
  private readonly ownsClient: boolean;
  private readonly readyTimeoutMs: number;
  /** Until initialize() settles, the SDK emits Ready / Error itself. */
  private initialized = false;

  /** With options, the provider makes (and closes) its client; with a LocalClient, it uses that one. */
  constructor(clientOrOptions: LocalClient | SwitchyardProviderOptions) {
    if (clientOrOptions instanceof LocalClient) {
      this.client = clientOrOptions;
      this.ownsClient = false;
      this.readyTimeoutMs = 10_000;
    } else {
      const { readyTimeoutMs, ...options } = clientOrOptions;
      this.client = new LocalClient({ ...options, mode: 'local' });
      this.ownsClient = true;
      this.readyTimeoutMs = readyTimeoutMs ?? 10_000;
    }
    this.client.on('ready', () => this.forward(ProviderEvents.Ready, {}));
    this.client.on('change', ({ flagsChanged }) =>
      this.forward(ProviderEvents.ConfigurationChanged, { flagsChanged: [...flagsChanged] }),
    );
    this.client.on('stale', ({ message }) => this.forward(ProviderEvents.Stale, { message }));
    this.client.on('error', ({ message }) => this.forward(ProviderEvents.Error, { message }));
  }

  async initialize(): Promise<void> {
    try {
      if (!(await this.client.waitForReady(this.readyTimeoutMs))) {
        throw new Error(
          `Switchyard: no ruleset within ${this.readyTimeoutMs} ms (status ${this.client.status})`,
        );
      }
    } finally {
      this.initialized = true;
    }
  }

  async onClose(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(
      resolution(this.client.getBooleanDetails(flagKey, context, defaultValue), this.client.revision),
    );
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(
      resolution(this.client.getStringDetails(flagKey, context, defaultValue), this.client.revision),
    );
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(
      resolution(this.client.getNumberDetails(flagKey, context, defaultValue), this.client.revision),
    );
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(
      resolution(this.client.getJsonDetails(flagKey, context, defaultValue), this.client.revision),
    );
  }

  /** OpenFeature's tracking API: a `track` event for the context's unit, `value` and the other details as properties. */
  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails = {}): void {
    const { value, ...properties } = details;
    this.client.track(trackingEventName, context, {
      ...(typeof value === 'number' ? { value } : {}),
      ...(Object.keys(properties).length === 0
        ? {}
        : { properties: properties as Record<string, JsonValue> }),
    });
  }

  private forward(event: ProviderEvents, details: Record<string, unknown>): void {
    if (this.initialized) this.events.emit(event, details);
  }
}

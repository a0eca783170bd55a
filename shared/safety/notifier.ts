import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { EnvOf } from '../environment';
import type { FlagSafetyState, NotificationTargets, RollbackRecord } from './schema';

/** EventBridge `source` and `detail-type` of a rollback event (rules match on them). */
export const EVENT_SOURCE = 'switchyard';
export const EVENT_DETAIL_TYPE = 'Safety Rollback';

/** Tells people and systems that a flag was rolled back (SPEC §2.7). */
export interface Notifier {
  /** Resolves when every channel took it; rejects naming the channels that did not. */
  notify(record: RollbackRecord, targets: NotificationTargets): Promise<void>;
}

/** One notification, rendered once for every channel. */
export interface SafetyNotification {
  /** SNS subject: one line, at most 100 characters. */
  readonly subject: string;
  /** SNS message: what an e-mail reader sees, the JSON detail last. */
  readonly message: string;
  /** The EventBridge event's detail (also at the end of the message). */
  readonly detail: {
    readonly stage: string;
    readonly recipients: readonly string[];
    readonly record: RollbackRecord;
  };
}

const APPLIED: Record<RollbackRecord['applied'], string> = {
  rollout_previous_stage: 'its rollout was taken back to the previous stage and marked ROLLED_BACK',
  flag_off: 'the flag was turned off (it serves its off variation to everyone)',
  flag_off_rollout_zero: 'the flag was turned off and its rollout taken to 0 % and marked ROLLED_BACK',
  rollout_zero: 'its rollout was taken to 0 % and marked ROLLED_BACK (the flag was already off)',
};

function describeState(state: FlagSafetyState): string {
  const flag = `flag ${state.flag.enabled ? 'on' : 'off'} (version ${state.flag.version})`;
  const rollout = state.rollout;
  return rollout === null
    ? `${flag}, no rollout`
    : `${flag}, rollout ${rollout.key} ${rollout.status} at stage ${rollout.currentStage} ` +
        `(${rollout.percentage / 100} %)`;
}

export function renderNotification(
  record: RollbackRecord,
  targets: NotificationTargets,
  stage: string,
): SafetyNotification {
  const how = record.trigger === 'auto' ? 'automatically' : `by ${record.byName ?? record.by}`;
  const subject = `Switchyard ${stage}: flag ${record.flagKey} rolled back (${record.trigger})`.slice(0, 100);
  const detail = { stage, recipients: targets.emails, record };
  const message = [
    `Flag ${record.flagKey} was rolled back ${how} at ${record.at} (stage ${stage}).`,
    `Reason: ${record.reason}`,
    `What was done: ${APPLIED[record.applied]}.`,
    `Before: ${describeState(record.previousState)}.`,
    `After: ${describeState(record.resultingState)}.`,
    'To resume once the cause is fixed, see the "Safety rollbacks" runbook (docs/operations.md).',
    `Record ${record.id}:`,
    JSON.stringify(detail, null, 2),
  ].join('\n');
  return { subject, message, detail };
}

/**
 * In AWS: the stage's SNS topic (KMS-encrypted; its subscribers are set at deploy) and, when the targets ask
 * for it, a `Safety Rollback` event on the EventBridge bus. Both are tried; a failure of either rejects.
 */
export class AwsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly events: EventBridgeClient,
    private readonly settings: { topicArn: string; eventBusName: string; stage: string },
  ) {}

  async notify(record: RollbackRecord, targets: NotificationTargets): Promise<void> {
    const n = renderNotification(record, targets, this.settings.stage);
    const channels: [string, Promise<unknown>][] = [
      [
        'sns',
        this.sns.send(
          new PublishCommand({
            TopicArn: this.settings.topicArn,
            Subject: n.subject,
            Message: n.message,
            // For subscription filter policies.
            MessageAttributes: {
              flagKey: { DataType: 'String', StringValue: record.flagKey },
              trigger: { DataType: 'String', StringValue: record.trigger },
            },
          }),
        ),
      ],
    ];
    if (targets.eventBridge) {
      channels.push(['eventbridge', this.putEvent(n)]);
    }
    const settled = await Promise.allSettled(channels.map(([, sent]) => sent));
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [channels[i]![0]] : []));
    if (failed.length > 0) {
      const first = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      throw new Error(`notification not delivered to ${failed.join(', ')}`, { cause: first?.reason });
    }
  }

  private async putEvent(n: SafetyNotification): Promise<void> {
    const out = await this.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: EVENT_DETAIL_TYPE,
            Detail: JSON.stringify(n.detail),
            EventBusName: this.settings.eventBusName,
            Resources: [],
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.[0];
      throw new Error(
        `EventBridge refused the event: ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`,
      );
    }
  }
}

/** One line of the local outbox: what AWS would have received, per channel. */
export interface OutboxEntry {
  readonly at: string;
  readonly sns: { readonly subject: string; readonly message: string };
  readonly eventBridge: {
    readonly source: string;
    readonly detailType: string;
    readonly detail: SafetyNotification['detail'];
  } | null;
}

/**
 * On the local platform: each notification is one JSON line appended to a file (the platform's outbox,
 * `.switchyard/outbox/notifications.ndjson` by default), with what SNS and EventBridge would have received.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly file: string,
    private readonly stage: string,
  ) {}

  async notify(record: RollbackRecord, targets: NotificationTargets): Promise<void> {
    const n = renderNotification(record, targets, this.stage);
    const entry: OutboxEntry = {
      at: new Date().toISOString(),
      sns: { subject: n.subject, message: n.message },
      eventBridge: targets.eventBridge
        ? { source: EVENT_SOURCE, detailType: EVENT_DETAIL_TYPE, detail: n.detail }
        : null,
    };
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(entry)}\n`, 'utf8');
  }
}

/** The notifier the environment names (`notifications` capability): AWS clients, or the local outbox. */
export function notifierFromEnv(env: EnvOf<'notifications'>): Notifier {
  if (env.SAFETY_NOTIFIER === 'local') return new OutboxNotifier(env.SAFETY_OUTBOX_FILE, env.STAGE);
  return new AwsNotifier(new SNSClient({}), new EventBridgeClient({}), {
    topicArn: env.SAFETY_TOPIC_ARN,
    eventBusName: env.SAFETY_EVENT_BUS,
    stage: env.STAGE,
  });
}

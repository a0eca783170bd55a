import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { notificationsCapability } from '../../shared/environment';
import type { SwitchyardFunction } from './switchyard-function';

export interface SafetyNotificationsProps {
  /**
   * E-mail addresses subscribed to the topic (SNS mails each a confirmation link first).
   * @default - no subscription: add them in the console, or subscribe another system
   */
  readonly emails?: readonly string[];
  /** What happens to the topic's key when the stack goes away (prod retains it). */
  readonly keyRemovalPolicy: RemovalPolicy;
}

/** The log lines shared/safety/service.ts writes, counted into metrics. */
const ROLLBACK_LINE = 'safety rollback';
const NOTIFICATION_FAILED_LINE = 'safety notification failed';

/**
 * Where safety rollbacks are announced (SPEC §2.7): an SNS topic encrypted with a customer-managed KMS key
 * (rotated yearly), and the account's default EventBridge bus (`Safety Rollback` events from `switchyard`).
 * `bindNotifier` lets a function publish to both — the safety routes' function now, the monitor likewise — and
 * counts its rollbacks and failed notifications from its logs (`SafetyRollbacks`,
 * `SafetyNotificationsFailed`), which the stage's monitoring alarms on.
 */
export class SafetyNotifications extends Construct {
  public readonly key: Key;
  public readonly topic: Topic;
  public readonly eventBus: IEventBus;
  private readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: SafetyNotificationsProps) {
    super(scope, id);
    this.metricNamespace = `Switchyard/${Stack.of(this).stackName}`;
    // The key policy is CDK's default (the account administers the key through IAM); publishers get the key
    // only through SNS (`kms:ViaService`, see bindNotifier), so nothing else may use it.
    this.key = new Key(this, 'TopicKey', {
      description: `Encrypts ${this.node.path}/Topic (safety rollback notifications)`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy,
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Switchyard safety rollbacks',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    this.eventBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
  }

  /**
   * Let `fn` announce rollbacks: `sns:Publish` on the topic, the key's data-key actions only when SNS makes the
   * call, `events:PutEvents` on the default bus; it finds them in SAFETY_NOTIFIER, SAFETY_TOPIC_ARN and
   * SAFETY_EVENT_BUS. Also counts the rollbacks and failed notifications it logs.
   */
  public bindNotifier(fn: SwitchyardFunction): SwitchyardFunction {
    this.topic.grants.actions(fn, ['sns:Publish']);
    // Not topic.grantPublish: it grants the key for any use. SNS encrypts with the publisher's permissions, so
    // the publisher needs the key — through SNS, in this region, and no other way.
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
    });
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'SNS server-side encryption needs the publisher to generate data keys of every kind SNS asks for ' +
        '(GenerateDataKey, GenerateDataKeyWithoutPlaintext); the grant is on the topic key only, via SNS only.',
    });
    this.eventBus.grantPutEventsTo(fn);
    for (const [id, line] of [
      ['Rollbacks', ROLLBACK_LINE],
      ['NotificationsFailed', NOTIFICATION_FAILED_LINE],
    ] as const) {
      new MetricFilter(this, `${fn.node.id}${id}`, {
        logGroup: fn.logGroup,
        metricNamespace: this.metricNamespace,
        metricName: `Safety${id}`,
        filterPattern: FilterPattern.stringValue('$.message', '=', line),
        metricValue: '1',
      });
    }
    return fn.receiveEnvironment(
      notificationsCapability.render({
        kind: 'aws',
        topicArn: this.topic.topicArn,
        eventBusName: this.eventBus.eventBusName,
      }),
    );
  }

  /** Rollbacks (automatic and manual) of every bound function, per 5 minutes. */
  public metricRollbacks(): Metric {
    return this.metric('SafetyRollbacks');
  }

  /** Rollbacks whose notification SNS or EventBridge did not take, per 5 minutes. */
  public metricNotificationsFailed(): Metric {
    return this.metric('SafetyNotificationsFailed');
  }

  private metric(metricName: string): Metric {
    return new Metric({
      namespace: this.metricNamespace,
      metricName,
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
  }
}

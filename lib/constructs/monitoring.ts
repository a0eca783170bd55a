import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  TreatMissingData,
  type IMetric,
  type Metric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IDomain } from 'aws-cdk-lib/aws-opensearchservice';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { EXPOSURES_LOST_MESSAGE } from '../../shared/assignments/exposures';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '../../shared/functions';
import { alarmEmails, type AlarmConfig } from '../config';

/**
 * The lost-exposure log lines (shared/assignments/exposures.ts) that the ExposuresLost metric sums: the message
 * matched, the line's `count` added.
 */
export const EXPOSURES_LOST_FILTER = FilterPattern.stringValue('$.message', '=', EXPOSURES_LOST_MESSAGE);
export const EXPOSURES_LOST_VALUE = '$.count';

export interface MonitoringProps {
  readonly apiStage: Stage;
  /** Functions to watch for errors and throttles, by registered name (shared/functions.ts), used in alarm ids. */
  readonly functions: Readonly<Partial<Record<FunctionName, IFunction>>>;
  readonly deadLetterQueue: IQueue;
  readonly eventsStream: IStream;
  /** @default - no search domain, no cluster-status alarm */
  readonly searchDomain?: IDomain;
  /** Thresholds, and the addresses subscribed to the alarm topic (`email`, `emails`). */
  readonly alarms: AlarmConfig;
  /** What happens to the alarm topic's KMS key when the stack goes away (the stage's policy: prod retains it). */
  readonly topicKeyRemovalPolicy: RemovalPolicy;
  /**
   * The dead-letter queue of the scheduled targets (ExperimentScheduler): alarmed on from its first message.
   * @default - no such alarm
   */
  readonly scheduledTargetsDeadLetterQueue?: IQueue;
  /**
   * A throttles alarm per function besides its errors alarm (each alarm bills by the month).
   * @default true
   */
  readonly throttleAlarms?: boolean;
  /**
   * Log groups of the functions that log exposures (`exposures not delivered` with a `count`): exposures the
   * stream would not take after the retries, counted from the logs and alarmed on from the first one.
   */
  readonly exposureLogGroups: readonly ILogGroup[];
  /**
   * Safety rollbacks and the notifications of them that were lost (SafetyNotifications' metrics): alarmed on
   * from the first one, and graphed.
   * @default - no safety alarms
   */
  readonly safety?: {
    readonly rollbacks: Metric;
    readonly notificationsFailed: Metric;
    /** The every-minute safety monitor: alarmed on when it has not run for 5 minutes (its errors alarm too). */
    readonly monitor: IFunction;
  };
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The stage's alarms (API 5xx and latency, function errors and throttles, DLQ depths, Kinesis iterator
 * age, OpenSearch red status) on one SNS topic — encrypted with a customer-managed KMS key, mailing the stage's
 * alarm addresses — and a dashboard of the same signals. The runbook: docs/operations.md.
 */
export class Monitoring extends Construct {
  public readonly alarmTopic: Topic;
  public readonly alarmTopicKey: Key;
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { alarms: limits } = props;

    const stack = Stack.of(this);
    this.alarmTopicKey = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts ${this.node.path}/AlarmTopic (the stage's alarm notifications)`,
      enableKeyRotation: true,
      removalPolicy: props.topicKeyRemovalPolicy,
    });
    // CloudWatch publishes alarm notifications itself, so the service needs the key to encrypt them. It can only
    // reach the key through a topic that lets it publish: this one, whose policy admits this account's alarms only.
    this.alarmTopicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Switchyard alarms (${stack.stackName})`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // The enforceSSL policy replaces the topic's default policy: say explicitly that this account's alarms publish.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    for (const email of alarmEmails(limits)) this.alarmTopic.addSubscription(new EmailSubscription(email));

    const api5xx = props.apiStage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const api4xx = props.apiStage.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const apiCount = props.apiStage.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' });
    const apiLatency = props.apiStage.metricLatency({ period: FIVE_MINUTES, statistic: 'p95' });
    this.alarm('ApiServerErrors', api5xx, limits.apiServerErrors, 'API answered 5xx');
    this.alarm('ApiLatencyP95', apiLatency, limits.apiLatencyP95Ms, 'API p95 latency (ms) too high', 3);

    const functionErrors: IMetric[] = [];
    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
      functionErrors.push(errors.with({ label: name }));
      this.alarm(`${name}Errors`, errors, limits.lambdaErrors, `Function ${name} failed`);
      if (props.throttleAlarms ?? true) {
        this.alarm(
          `${name}Throttles`,
          fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
          1,
          `Function ${name} throttled`,
        );
      }
    }

    props.exposureLogGroups.forEach((logGroup, i) => {
      const lost = new MetricFilter(this, `ExposuresLostFilter${i}`, {
        logGroup,
        metricNamespace: `Switchyard/${Stack.of(this).stackName}`,
        metricName: 'ExposuresLost',
        filterPattern: EXPOSURES_LOST_FILTER,
        metricValue: EXPOSURES_LOST_VALUE,
      }).metric({ period: FIVE_MINUTES, statistic: 'Sum' });
      this.alarm(`ExposuresLost${i}`, lost, 1, 'Exposures the events stream would not take were lost');
    });

    const dlqDepth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    this.alarm('DeadLetterQueueDepth', dlqDepth, 1, 'Events failed processing and wait in the DLQ');
    if (props.scheduledTargetsDeadLetterQueue) {
      this.alarm(
        'ScheduledTargetsDeadLetterQueueDepth',
        props.scheduledTargetsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: 'Maximum',
        }),
        1,
        'A scheduled invocation (exact-time experiment start/end, rollout stage, or a background job) was not ' +
          'delivered after its retries and waits in the scheduled-targets DLQ',
      );
    }
    const iteratorAge = props.eventsStream.metricGetRecordsIteratorAgeMilliseconds({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    this.alarm(
      'EventsIteratorAge',
      iteratorAge,
      limits.kinesisIteratorAgeMs,
      'Event processing lags behind (ms)',
    );
    if (props.searchDomain) {
      const searchRed = props.searchDomain.metricClusterStatusRed({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
      this.alarm('SearchClusterRed', searchRed, 1, 'OpenSearch cluster status is red', 5);
    }

    if (props.safety) {
      this.alarm(
        'SafetyRollbacks',
        props.safety.rollbacks,
        1,
        'A flag was rolled back by safety monitoring or by hand (GET /api/v1/safety/rollbacks)',
      );
      this.alarm(
        'SafetyNotificationsFailed',
        props.safety.notificationsFailed,
        1,
        'A safety rollback happened but its SNS or EventBridge notification was not delivered',
      );
      // Invocations, not errors: a rule disabled or a function that cannot start does not fail, it is missing.
      const monitorRuns = props.safety.monitor.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum' });
      const notRunning = new Alarm(this, 'SafetyMonitorNotRunning', {
        metric: monitorRuns,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
        alarmDescription:
          'The safety monitor (every minute) has not run for 5 minutes: no flag is being watched',
      });
      this.track(notRunning);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [apiCount],
        right: [api4xx, api5xx],
        width: 12,
      }),
      new GraphWidget({ title: 'API latency p95 (ms)', left: [apiLatency], width: 12 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', left: functionErrors, width: 12 }),
      new GraphWidget({
        title: 'Events: iterator age (ms) and DLQ depth',
        left: [iteratorAge],
        right: [dlqDepth],
        width: 12,
      }),
    );
    if (props.safety) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Safety: rollbacks and lost notifications',
          left: [
            props.safety.rollbacks.with({ label: 'rollbacks' }),
            props.safety.monitor.metricInvocations({ period: FIVE_MINUTES, label: 'monitor runs' }),
          ],
          right: [props.safety.notificationsFailed.with({ label: 'notifications lost' })],
          width: 24,
        }),
      );
    }
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    evaluationPeriods = 1,
  ): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    this.track(alarm);
  }

  private track(alarm: Alarm): void {
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    alarm.addOkAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

import { Arn, Aws, Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { Grant, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { exactTimeCapability, exactTimeTargetCapability } from '../../shared/environment';
import { FUNCTIONS } from '../../shared/functions';
import { acknowledgeWildcardResource } from '../nag';
import { SwitchyardFunction, type SwitchyardFunctionProps } from './switchyard-function';
import type { SwitchyardTable } from './switchyard-table';

const SCHEDULER_SERVICE = 'scheduler.amazonaws.com';

export interface ExperimentSchedulerProps {
  /** Settings of the target function; its entry is the registry's (`experiment-scheduler`). */
  readonly function: Omit<SwitchyardFunctionProps, 'entry' | 'handler'>;
  /** The config table: the target reads the experiment or rollout and stores its transition or stage. */
  readonly configTable: SwitchyardTable;
  /** The audit table: each change is audited as `system:scheduler` (experiments) or `system:rollouts`. */
  readonly auditTable: SwitchyardTable;
  /**
   * What happens to the schedule group and the dead-letter queue when the stack goes away: the stage's policy for
   * its data (prod retains them, so the pending starts, ends and rollout stages survive a stack replacement).
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The exact-time schedules of SPEC §2.4 (experiment starts and ends) and §2.6 (rollout stages): an EventBridge
 * Scheduler schedule group for the one-time schedules (created, moved and deleted at run time by the functions
 * bound with `bindManager`, and by the target itself, which moves a rollout's schedule to its next stage), the
 * function they invoke, and the role the Scheduler assumes to invoke it, which may do nothing else. The 15-minute
 * sweep and the 5-minute rollout job (shared/functions.ts) repair whatever these schedules miss. (The construct
 * keeps its experiments-only name: renaming its id would replace the group and the schedules in it.)
 */
export class ExperimentScheduler extends Construct {
  public readonly group: ScheduleGroup;
  /** The function every schedule invokes: runs the sweep's code on one experiment, the rollout job's on one rollout. */
  public readonly target: SwitchyardFunction;
  /** Assumed by EventBridge Scheduler, for this account only; may only invoke `target` (and dead-letter to the queue). */
  public readonly invokeRole: Role;
  /**
   * Fires the Scheduler could not deliver to `target` within its retry policy (15 minutes, 5 attempts): SSE, TLS
   * only. Every schedule of the group names it (SCHEDULE_DEAD_LETTER_ARN); the scheduled rules of the background
   * jobs may use it too. The stage's monitoring alarms on its first visible message.
   */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ExperimentSchedulerProps) {
    super(scope, id);
    this.target = new SwitchyardFunction(this, 'Target', {
      ...props.function,
      entry: FUNCTIONS['experiment-scheduler'].entry,
    })
      .writesTable(props.configTable)
      .appendsAudit(props.auditTable);

    // The schedules are derived from the experiments and rollouts in the config table, and the jobs repair what they
    // miss; still, where the stage retains its data (prod) the group is retained with it, so that a stack deleted
    // and deployed again does not silently drop every pending exact-time start, end and stage.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: props.removalPolicy });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the scheduled targets (EventBridge Scheduler and the ' +
        "background jobs' rules); it has no consumer whose failures would need a further DLQ.",
    });

    this.invokeRole = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal(SCHEDULER_SERVICE, {
        // Confused-deputy guard: only schedules of this account may use the role.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Assumed by EventBridge Scheduler to invoke ${this.target.node.path}`,
    });
    this.target.function.grantInvoke(this.invokeRole);
    // The Scheduler dead-letters with the schedule's execution role (SSE-SQS: no key permission needed).
    this.deadLetterQueue.grantSendMessages(this.invokeRole);
    acknowledgeWildcardResource(
      this.invokeRole,
      this.target.function.functionArn,
      ':*',
      'grantInvoke covers the versions and aliases of the target function (<function arn>:*): it is still ' +
        'that one function, and the role may invoke nothing else.',
    );

    // A rollout's fire enters a stage and moves the rollout's schedule to the next one. The target finds its own
    // ARN in the invocation: in its environment it would be a CloudFormation cycle.
    this.grantManager(this.target);
    this.target.receiveEnvironment(
      exactTimeTargetCapability.render({
        groupName: this.group.scheduleGroupName,
        roleArn: this.invokeRole.roleArn,
        deadLetterArn: this.deadLetterQueue.queueArn,
      }),
    );
  }

  /** ARN of the group's schedules matching `name` (`*` for all of them). */
  public scheduleArn(name: string): string {
    return Arn.format(
      {
        partition: Aws.PARTITION,
        service: 'scheduler',
        resource: 'schedule',
        resourceName: `${this.group.scheduleGroupName}/${name}`,
      },
      Stack.of(this),
    );
  }

  /**
   * Let `fn` create, move and delete this group's one-time schedules (those only), passing the invoke role to
   * EventBridge Scheduler (that role only); it finds the group, the target and the role in SCHEDULE_GROUP_NAME,
   * SCHEDULE_TARGET_ARN and SCHEDULER_ROLE_ARN (shared/environment.ts).
   */
  public bindManager(fn: SwitchyardFunction): SwitchyardFunction {
    this.grantManager(fn);
    return fn.receiveEnvironment(
      exactTimeCapability.render({
        groupName: this.group.scheduleGroupName,
        targetArn: this.target.function.functionArn,
        roleArn: this.invokeRole.roleArn,
        deadLetterArn: this.deadLetterQueue.queueArn,
      }),
    );
  }

  private grantManager(fn: SwitchyardFunction): void {
    this.grantManageSchedules(fn.role);
    acknowledgeWildcardResource(
      fn.role,
      this.scheduleArn(''),
      '*',
      'Schedules are named at run time after each experiment or rollout (shared/schedules/one-time.ts), so ' +
        'the grant covers every schedule of the one schedule group the platform owns, and no other group.',
    );
  }

  /**
   * Let `grantee` create, move (update) and delete schedules of this group only, and pass the invoke role —
   * that role only, and only to EventBridge Scheduler — as the schedules' execution role.
   */
  public grantManageSchedules(grantee: IGrantable): void {
    this.group.grantWriteSchedules(grantee);
    this.group.grantDeleteSchedules(grantee);
    Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.invokeRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE } },
    });
  }
}

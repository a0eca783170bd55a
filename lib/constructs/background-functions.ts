import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  StartingPosition,
  type DlqDestinationConfig,
  type IEventSourceDlq,
  type IEventSourceMapping,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TableId } from '../../shared/db/tables';
import type {
  BackgroundFunctionName,
  RegisteredScheduledFunction,
  RegisteredStreamFunction,
} from '../../shared/functions';
import { acknowledgeWildcardResource } from '../nag';
import { SwitchyardFunction, type SwitchyardFunctionProps } from './switchyard-function';
import type { SwitchyardTable } from './switchyard-table';

export interface BackgroundFunctionSettings {
  readonly description: string;
  /** Runs in the VPC (to reach the cache or the search domain). */
  readonly inVpc: boolean;
  /** Grants and environment, through SwitchyardFunction's intent methods. */
  readonly wire: (fn: SwitchyardFunction) => void;
  /** @default the SwitchyardFunction default (10 s) */
  readonly timeout?: Duration;
  /** MiB. @default the SwitchyardFunction default */
  readonly memorySize?: number;
}

export interface BackgroundFunctionsProps {
  readonly streamFunctions: readonly RegisteredStreamFunction[];
  readonly scheduledFunctions: readonly RegisteredScheduledFunction[];
  /** One entry per registered background function (shared/functions.ts), by its typed name. */
  readonly settings: { readonly [N in BackgroundFunctionName]: BackgroundFunctionSettings };
  readonly functionDefaults: Omit<SwitchyardFunctionProps, 'entry' | 'description'>;
  readonly tables: Readonly<Record<TableId, SwitchyardTable>>;
  readonly eventsStream: IStream;
  /** On-failure destination of the streams whose failures are kept as a location (`failures: 'location'`). */
  readonly deadLetterQueue: IQueue;
  /**
   * Where the scheduled rules send an invocation EventBridge could not deliver after its retries.
   * @default - none: such an invocation is dropped (the next run repairs it)
   */
  readonly scheduleDeadLetterQueue?: IQueue;
  /** On-failure destination of the streams whose failed batches are kept whole (`failures: 'records'`). */
  readonly failuresBucket: IBucket;
  /**
   * How long a record that keeps failing is retried (`maxAttempts: 'untilExpired'`): the events stream's
   * retention, capped at Lambda's 7 days.
   */
  readonly maxRecordAge: Duration;
}

/** Lambda caps an event source mapping's maximumRecordAge at 7 days. */
const MAX_RECORD_AGE = Duration.days(7);

/**
 * The S3 on-failure destination with only what Lambda needs to write it (s3:PutObject, s3:ListBucket): the CDK's
 * S3OnFailureDestination grants read and delete too, which a stream consumer has no use for.
 */
class FailedBatchesBucket implements IEventSourceDlq {
  constructor(private readonly bucket: IBucket) {}

  bind(_target: IEventSourceMapping, handler: IFunction): DlqDestinationConfig {
    // The bucket is SSE-S3 encrypted: no key to grant.
    handler.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    handler.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    if (handler.role !== undefined) {
      acknowledgeWildcardResource(
        handler.role,
        this.bucket.bucketArn,
        '/*',
        'Lambda names each failed batch’s object itself (under its own key layout): the function may put objects ' +
          'in the failures bucket, and only put them — no read, no delete.',
      );
    }
    return { destination: this.bucket.bucketArn };
  }
}

/**
 * The stream consumers and scheduled jobs of shared/functions.ts (the same list the local platform runs):
 * one function per registered name, with Lambda's event source mappings (retries bounded by attempts or by the
 * record's age, bisection, partial batch responses, an on-failure destination that keeps the batch itself or where
 * it was) and EventBridge schedules as triggers.
 */
export class BackgroundFunctions extends Construct {
  public readonly functions: ReadonlyMap<BackgroundFunctionName, SwitchyardFunction>;

  constructor(scope: Construct, id: string, props: BackgroundFunctionsProps) {
    super(scope, id);
    const functions = new Map<BackgroundFunctionName, SwitchyardFunction>();
    const functionFor = ({ function: name, entry }: { function: BackgroundFunctionName; entry: string }) => {
      const existing = functions.get(name);
      if (existing) return existing;
      const settings = props.settings[name];
      const fn = new SwitchyardFunction(this, pascal(name), {
        ...props.functionDefaults,
        entry,
        description: `${props.functionDefaults.stage}: ${settings.description}`,
        ...(settings.inVpc ? {} : { vpc: undefined, securityGroup: undefined }),
        ...(settings.timeout === undefined ? {} : { timeout: settings.timeout }),
        ...(settings.memorySize === undefined ? {} : { memorySize: settings.memorySize }),
      });
      settings.wire(fn);
      functions.set(name, fn);
      return fn;
    };

    for (const definition of props.streamFunctions) {
      const fn = functionFor(definition);
      const untilExpired = definition.maxAttempts === 'untilExpired';
      const maxRecordAge = Duration.seconds(
        Math.min(props.maxRecordAge.toSeconds(), MAX_RECORD_AGE.toSeconds()),
      );
      const common = {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: definition.batchSize,
        // Unset: Lambda retries until the record is older than maxRecordAge.
        ...(untilExpired ? { maxRecordAge } : { retryAttempts: Number(definition.maxAttempts) - 1 }),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        maxBatchingWindow: Duration.seconds(1),
        onFailure:
          definition.failures === 'records'
            ? new FailedBatchesBucket(props.failuresBucket)
            : new SqsDlq(props.deadLetterQueue),
      };
      fn.function.addEventSource(
        definition.source.kind === 'tableStream'
          ? new DynamoEventSource(props.tables[definition.source.table], common)
          : new KinesisEventSource(props.eventsStream, common),
      );
    }

    for (const definition of props.scheduledFunctions) {
      const fn = functionFor(definition);
      new Rule(this, `${pascal(definition.name)}Schedule`, {
        description: `Runs ${definition.name} every ${definition.everyMinutes} minute(s)`,
        schedule: Schedule.rate(Duration.minutes(definition.everyMinutes)),
        targets: [
          new LambdaFunction(fn.function, {
            retryAttempts: 2,
            deadLetterQueue: props.scheduleDeadLetterQueue,
          }),
        ],
      });
    }
    this.functions = functions;
  }
}

function pascal(value: string): string {
  return value.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { notificationsCapability, parseCapabilities } from '../../../shared/environment';
import {
  AwsNotifier,
  notifierFromEnv,
  OutboxNotifier,
  type OutboxEntry,
} from '../../../shared/safety/notifier';
import type { RollbackRecord } from '../../../shared/safety/schema';

const record: RollbackRecord = {
  id: '4f1c2b9e-0000-4000-8000-000000000001',
  flagKey: 'checkout',
  trigger: 'auto',
  action: 'previous_stage',
  applied: 'rollout_previous_stage',
  reason: 'error rate of on 0.25 > 0.05',
  metricsSnapshot: { on: { errorRate: 0.25 } },
  previousState: {
    flag: { enabled: true, fallthrough: { variation: 'off' }, version: 3 },
    rollout: { key: 'ramp', status: 'ACTIVE', currentStage: 1, percentage: 5000, version: 3 },
  },
  resultingState: {
    flag: { enabled: true, fallthrough: { variation: 'off' }, version: 4 },
    rollout: { key: 'ramp', status: 'ROLLED_BACK', currentStage: 1, percentage: 1000, version: 4 },
  },
  at: '2030-01-01T00:30:00.000Z',
  by: 'system:safety',
  byName: null,
};
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:safety';
const targets = { emails: ['oncall@example.com'], eventBridge: true };

describe('AwsNotifier', () => {
  const sns = new SNSClient({ region: 'eu-west-1' });
  const events = new EventBridgeClient({ region: 'eu-west-1' });
  const snsMock = mockClient(sns);
  const eventsMock = mockClient(events);
  const notifier = new AwsNotifier(sns, events, { topicArn: TOPIC, eventBusName: 'default', stage: 'prod' });

  beforeEach(() => {
    snsMock.reset();
    eventsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });

  it('publishes to the topic and puts one Safety Rollback event on the bus', async () => {
    await notifier.notify(record, targets);
    const [publish] = snsMock.commandCalls(PublishCommand);
    expect(publish?.args[0].input).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'Switchyard prod: flag checkout rolled back (auto)',
      MessageAttributes: {
        flagKey: { DataType: 'String', StringValue: 'checkout' },
        trigger: { DataType: 'String', StringValue: 'auto' },
      },
    });
    const message = publish!.args[0].input.Message!;
    expect(message).toContain('Flag checkout was rolled back automatically at 2030-01-01T00:30:00.000Z');
    expect(message).toContain('Reason: error rate of on 0.25 > 0.05');
    expect(message).toContain('Before: flag on (version 3), rollout ramp ACTIVE at stage 1 (50 %).');
    expect(message).toContain('After: flag on (version 4), rollout ramp ROLLED_BACK at stage 1 (10 %).');

    const [put] = eventsMock.commandCalls(PutEventsCommand);
    const entry = put!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: 'switchyard',
      DetailType: 'Safety Rollback',
      EventBusName: 'default',
    });
    expect(JSON.parse(entry.Detail!)).toEqual({ stage: 'prod', recipients: ['oncall@example.com'], record });
  });

  it('puts no event when the targets say so', async () => {
    await notifier.notify(record, { ...targets, eventBridge: false });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('tries both channels and rejects naming those that failed', async () => {
    snsMock.on(PublishCommand).rejects(new Error('KMS access denied'));
    await expect(notifier.notify(record, targets)).rejects.toThrow('notification not delivered to sns');
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('treats an event EventBridge refused as a failure', async () => {
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    await expect(notifier.notify(record, targets)).rejects.toThrow(
      'notification not delivered to eventbridge',
    );
  });
});

describe('OutboxNotifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-outbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per notification, with what SNS and EventBridge would have received', async () => {
    const file = join(dir, 'nested', 'notifications.ndjson');
    const notifier = new OutboxNotifier(file, 'local');
    await notifier.notify(record, targets);
    await notifier.notify({ ...record, id: 'second' }, { emails: [], eventBridge: false });
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutboxEntry);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      sns: { subject: 'Switchyard local: flag checkout rolled back (auto)' },
      eventBridge: {
        source: 'switchyard',
        detailType: 'Safety Rollback',
        detail: { stage: 'local', recipients: ['oncall@example.com'], record },
      },
    });
    expect(lines[1]).toMatchObject({ eventBridge: null });
  });
});

describe('notifierFromEnv', () => {
  it('takes the AWS clients or the local outbox, as the environment says', () => {
    const env = (value: Parameters<typeof notificationsCapability.render>[0]) =>
      parseCapabilities(['notifications'], { STAGE: 'dev', ...notificationsCapability.render(value) });
    expect(notifierFromEnv(env({ kind: 'aws', topicArn: TOPIC, eventBusName: 'default' }))).toBeInstanceOf(
      AwsNotifier,
    );
    expect(notifierFromEnv(env({ kind: 'local', outboxFile: '/tmp/outbox.ndjson' }))).toBeInstanceOf(
      OutboxNotifier,
    );
    expect(() => parseCapabilities(['notifications'], { STAGE: 'dev', SAFETY_NOTIFIER: 'aws' })).toThrow(
      /SAFETY_TOPIC_ARN/,
    );
  });
});

import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { EXPOSURES_LOST_FILTER, EXPOSURES_LOST_VALUE } from '../../../lib/constructs/monitoring';
import { BufferedExposureLog, type Exposure } from '../../../shared/assignments';
import type { BufferedExposureLogOptions } from '../../../shared/assignments/exposures';
import { EventPublisher } from '../../../shared/events/publisher';
import type { SwitchyardEvent } from '../../../shared/events/schema';
import { logger } from '../../../shared/observability';
import { putRecordsEvents } from '../../support/kinesis-mock';

const kinesis = mockClient(KinesisClient);
const noSleep = async () => undefined;

const exposures = (from: number, count: number): Exposure[] =>
  Array.from({ length: count }, (_, i) => ({
    experimentKey: 'checkout',
    variant: 'treatment',
    unitId: `unit-${from + i}`,
  }));

/** The unit ids of each PutRecords call, in call order. */
function putCalls(): string[][] {
  return putRecordsEvents(kinesis).map((events) => events.map((e) => e.unitId));
}

const accepted = (input: PutRecordsCommandInput) => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-0' })),
});

/** The stream accepts every PutRecords call, but only once the function returned is called: until then they wait. */
function holdPuts(): () => void {
  let release = () => undefined as void;
  const released = new Promise<void>((r) => (release = r));
  kinesis.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput) => {
    await released;
    return accepted(input);
  });
  return release;
}

/** Until `check` holds (the sender runs on its own). */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * The ExposuresLost metric as CloudWatch would compute it from the log lines the logger really wrote: the lines
 * the filter pattern of lib/constructs/monitoring.ts matches, summing the field its metric value names.
 */
const emitted: string[] = [];
function lostByMetric(): number {
  const filter = /^\{ \$\.(\w+) = "([^"]*)" \}$/.exec(EXPOSURES_LOST_FILTER.logPatternString);
  const value = /^\$\.(\w+)$/.exec(EXPOSURES_LOST_VALUE);
  if (filter === null || value === null) throw new Error('the filter is no longer `{ $.field = "value" }`');
  let sum = 0;
  for (const line of emitted) {
    const json = JSON.parse(line) as Record<string, unknown>;
    if (json[filter[1]!] !== filter[2]) continue;
    expect(typeof json[value[1]!]).toBe('number');
    sum += json[value[1]!] as number;
  }
  return sum;
}

function log(options: BufferedExposureLogOptions = {}, create?: () => Promise<EventPublisher>) {
  return new BufferedExposureLog(
    create ?? (async () => new EventPublisher(new KinesisClient({}), 'events', {}, noSleep)),
    options,
  );
}

beforeEach(() => {
  kinesis.reset();
  emitted.length = 0;
  logger.setLogLevel('ERROR');
  // The logger writes each entry as one JSON line; errors go to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      if (String(chunk).startsWith('{')) emitted.push(String(chunk).trim());
      return true;
    });
  }
});

afterEach(() => {
  jest.restoreAllMocks();
  logger.setLogLevel('SILENT');
});

describe('BufferedExposureLog', () => {
  it('answers before the stream does, and puts the exposures in the background', async () => {
    const release = holdPuts();
    const buffered = log();
    await buffered.log(exposures(0, 3)); // resolves with the PutRecords still unanswered
    await until(() => putCalls().length === 1);
    release();
    await buffered.shutdown(1000);
    expect(putCalls()).toEqual([['unit-0', 'unit-1', 'unit-2']]);
    expect(lostByMetric()).toBe(0);
  });

  it('batches what arrives while a send is in progress, up to 500 records a call', async () => {
    const release = holdPuts();
    const buffered = log();
    await buffered.log(exposures(0, 1));
    await until(() => putCalls().length === 1);
    await buffered.log(exposures(1, 2));
    await buffered.log(exposures(3, 700));
    expect(buffered.buffered).toBe(702);
    release();
    await buffered.shutdown(1000);
    expect(putCalls().map((c) => c.length)).toEqual([1, 500, 202]);
    expect(putCalls()[1]!.slice(0, 3)).toEqual(['unit-1', 'unit-2', 'unit-3']);
    expect(lostByMetric()).toBe(0);
  });

  it('retries only the records Kinesis refused, and keeps their eventIds', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-0' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
        ],
      })
      .callsFake(accepted);
    const buffered = log();
    await buffered.log(exposures(0, 2));
    await buffered.shutdown(1000);
    expect(putCalls()).toEqual([['unit-0', 'unit-1'], ['unit-1']]);
    const ids = kinesis
      .commandCalls(PutRecordsCommand)
      .map(
        (c) =>
          (JSON.parse(Buffer.from(c.args[0].input.Records!.at(-1)!.Data!).toString()) as SwitchyardEvent)
            .eventId,
      );
    expect(ids[0]).toBe(ids[1]);
    expect(lostByMetric()).toBe(0);
  });

  it('counts records still refused after 3 attempts as lost, in the line the metric filter sums', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: 1,
      Records: (input.Records ?? []).map((r) =>
        (JSON.parse(Buffer.from(r.Data!).toString()) as SwitchyardEvent).unitId === 'unit-1'
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'down' }
          : { SequenceNumber: '1', ShardId: 'shardId-0' },
      ),
    }));
    const buffered = log();
    await buffered.log(exposures(0, 3));
    await buffered.shutdown(1000);
    expect(putCalls().map((c) => c.length)).toEqual([3, 1, 1]);
    expect(lostByMetric()).toBe(1);
    expect(JSON.parse(emitted[0]!)).toMatchObject({
      level: 'ERROR',
      message: 'exposures not delivered',
      count: 1,
      reason: 'refused after retries',
      firstError: 'InternalFailure: down',
    });
  });

  it('drops the oldest at its bound and counts them as lost', async () => {
    const release = holdPuts();
    const buffered = log({ maxBuffered: 5, highWaterMark: 100 });
    await buffered.log(exposures(0, 1));
    await until(() => putCalls().length === 1);
    await buffered.log(exposures(1, 4));
    await buffered.log(exposures(5, 3)); // 7 waiting: units 1 and 2 go
    expect(buffered.buffered).toBe(5);
    expect(lostByMetric()).toBe(2);
    release();
    await buffered.shutdown(1000);
    expect(putCalls()).toEqual([['unit-0'], ['unit-3', 'unit-4', 'unit-5', 'unit-6', 'unit-7']]);
    expect(lostByMetric()).toBe(2);
  });

  it('holds a request back (boundedly) only above the high-water mark', async () => {
    const release = holdPuts();
    const buffered = log({ highWaterMark: 3, backpressureMs: 40 });
    await buffered.log(exposures(0, 1));
    await until(() => putCalls().length === 1);
    let started = Date.now();
    await buffered.log(exposures(1, 2));
    expect(Date.now() - started).toBeLessThan(30);
    started = Date.now();
    await buffered.log(exposures(3, 1)); // 3 waiting: waits for the send, at most 40 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    release();
    await buffered.shutdown(1000);
    expect(lostByMetric()).toBe(0);
  });

  it('on shutdown sends what waits within the deadline, then counts the unconfirmed as lost', async () => {
    // The stream never answers: the send in progress and what waits behind it are lost, counted once each.
    kinesis.on(PutRecordsCommand).callsFake(() => new Promise(() => undefined));
    const buffered = log();
    await buffered.log(exposures(0, 2));
    await until(() => putCalls().length === 1);
    await buffered.log(exposures(2, 3));
    const started = Date.now();
    await buffered.shutdown(50);
    expect(Date.now() - started).toBeLessThan(500);
    expect(lostByMetric()).toBe(5);
    const reasons = emitted.map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toEqual(['shutdown deadline: send not confirmed', 'shutdown deadline: not sent']);
    // Logged after shutdown: counted as lost at once, nothing sent.
    await buffered.log(exposures(5, 1));
    expect(lostByMetric()).toBe(6);
    expect(putCalls()).toHaveLength(1);
  });

  it('on shutdown puts everything that waits when the stream answers', async () => {
    kinesis.on(PutRecordsCommand).callsFake(accepted);
    const buffered = log();
    await Promise.all([buffered.log(exposures(0, 2)), buffered.log(exposures(2, 2))]);
    await buffered.shutdown(400);
    expect(putCalls().flat()).toEqual(['unit-0', 'unit-1', 'unit-2', 'unit-3']);
    expect(lostByMetric()).toBe(0);
  });

  it('counts a batch as lost when the publisher cannot be made, and makes it again for the next', async () => {
    kinesis.on(PutRecordsCommand).callsFake(accepted);
    let attempts = 0;
    const buffered = log({}, async () => {
      attempts++;
      if (attempts === 1) throw new Error('Cannot find module');
      return new EventPublisher(new KinesisClient({}), 'events', {}, noSleep);
    });
    await buffered.log(exposures(0, 2));
    await until(() => lostByMetric() === 2);
    await buffered.log(exposures(2, 1));
    await buffered.shutdown(400);
    expect(putCalls()).toEqual([['unit-2']]);
    expect(attempts).toBe(2);
  });

  it("in 'awaited' mode (no shutdown signal), each request waits for its own exposures", async () => {
    const release = holdPuts();
    const buffered = log({ mode: 'awaited' });
    let done = false;
    const logging = buffered.log(exposures(0, 2)).then(() => (done = true));
    await until(() => putCalls().length === 1);
    expect(done).toBe(false);
    release();
    await logging;
    expect(buffered.buffered).toBe(0);
    expect(lostByMetric()).toBe(0);
  });
});

import type { Context } from 'aws-lambda';

/**
 * A stand-in consumer for the local platform's wiring tests: it records every event it receives under its
 * function name, and fails a record (once) whose payload asks for it, to exercise partial batch retries.
 */
interface Recorded {
  readonly functionName: string;
  readonly event: unknown;
}

type Records = {
  Records?: {
    dynamodb?: { SequenceNumber?: string; NewImage?: Record<string, { S?: string }> };
    kinesis?: { sequenceNumber: string; data: string };
  }[];
};

const store = globalThis as typeof globalThis & {
  __switchyardRecorded?: Recorded[];
  __switchyardFailed?: Set<string>;
};

export const handler = async (event: unknown, context: Context) => {
  const recorded = (store.__switchyardRecorded ??= []);
  const failed = (store.__switchyardFailed ??= new Set());
  recorded.push({ functionName: context.functionName, event });
  for (const record of (event as Records).Records ?? []) {
    const sequence = record.dynamodb?.SequenceNumber ?? record.kinesis?.sequenceNumber ?? '';
    const payload = record.kinesis
      ? Buffer.from(record.kinesis.data, 'base64').toString('utf8')
      : (record.dynamodb?.NewImage?.note?.S ?? '');
    if (payload.includes('fail-once') && !failed.has(sequence)) {
      failed.add(sequence);
      return { batchItemFailures: [{ itemIdentifier: sequence }] };
    }
  }
  return { batchItemFailures: [] };
};

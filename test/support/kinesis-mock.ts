import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { SwitchyardEvent } from '../../shared/events/schema';

/** The events of each PutRecords call made through the mocked Kinesis client, in call order. */
export function putRecordsEvents(kinesis: AwsClientStub<KinesisClient>): SwitchyardEvent[][] {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .map((call) =>
      (call.args[0].input.Records ?? []).map(
        (r) => JSON.parse(Buffer.from(r.Data!).toString()) as SwitchyardEvent,
      ),
    );
}

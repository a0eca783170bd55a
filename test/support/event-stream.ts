import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../shared/aws/kinesis';
import type { SwitchyardEvent } from '../../shared/events/schema';

/** Every record on the local platform's events stream so far, from each shard's start. */
export async function streamEvents(streamName: string): Promise<SwitchyardEvent[]> {
  const kinesis = createKinesisClient();
  const events: SwitchyardEvent[] = [];
  try {
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    for (const shard of Shards ?? []) {
      let iterator = (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const record of page.Records ?? []) {
          events.push(JSON.parse(Buffer.from(record.Data!).toString('utf8')) as SwitchyardEvent);
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
  } finally {
    kinesis.destroy();
  }
  return events;
}

import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The events stream's client (see clients.ts). HTTP/1.1 on purpose: the Kinesis client defaults to HTTP/2, which
 * kinesalite does not speak; the platform only calls PutRecords/GetRecords, for which HTTP/1.1 is as good.
 */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: 2000 }) });
}

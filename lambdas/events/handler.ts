import { createKinesisClient } from '../../shared/aws/kinesis';
import { EventIngestService } from '../../shared/events/ingest';
import { EventPublisher } from '../../shared/events/publisher';
import { functionEnv } from '../../shared/functions';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { ingestEventsRoute } from '../../shared/http/routes';

const env = functionEnv('events');
const ingest = new EventIngestService(new EventPublisher(createKinesisClient(), env.EVENTS_STREAM_NAME));

export const handler = createHttpHandler('events', [
  implement(ingestEventsRoute, ({ body, principal }) => ingest.ingest(principal, body.events)),
]);

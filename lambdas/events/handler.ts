import { createKinesisClient } from '../../shared/aws/clients';
import { parseEnv } from '../../shared/env';
import { EventIngestService } from '../../shared/events/ingest';
import { EventPublisher } from '../../shared/events/publisher';
import { createHttpHandler, implement } from '../../shared/http/handler';
import { ingestEventsRoute } from '../../shared/http/routes';
import { z } from 'zod';

const env = parseEnv(z.object({ EVENTS_STREAM_NAME: z.string().min(1) }));
const ingest = new EventIngestService(new EventPublisher(createKinesisClient(), env.EVENTS_STREAM_NAME));

export const handler = createHttpHandler('events', [
  implement(ingestEventsRoute, ({ body, principal }) => ingest.ingest(principal, body.events)),
]);

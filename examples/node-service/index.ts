/**
 * The example service: `SWITCHYARD_URL=http://127.0.0.1:3000 SWITCHYARD_SERVER_KEY=sy_… npx tsx
 * examples/node-service/index.ts` (from the repository's root, with `npm start` running), then
 * `curl 'http://127.0.0.1:8080/checkout?user=ada'`.
 */
import { startService } from './service';

const switchyardUrl = process.env.SWITCHYARD_URL;
const serverKey = process.env.SWITCHYARD_SERVER_KEY;
if (switchyardUrl === undefined || serverKey === undefined) {
  console.error(
    'Set SWITCHYARD_URL and SWITCHYARD_SERVER_KEY (a server key: POST /api/v1/api-keys {type: "server"}).',
  );
  process.exit(1);
}

startService({ switchyardUrl, serverKey, port: Number(process.env.PORT ?? 8080), pollIntervalMs: 5000 })
  .then((service) => {
    console.warn(
      `checkout service on ${service.url} (GET /checkout?user=ID, POST /purchase?user=ID&amount=N)`,
    );
    process.once('SIGINT', () => void service.close().then(() => process.exit(0)));
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });

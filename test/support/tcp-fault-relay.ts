import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of an engine that a test can take down and bring back, as if the engine's process were
 * killed and restarted: `down()` resets every open connection and stops listening (new connections are refused),
 * `up()` listens again on the same port. What the engine holds is untouched, as with a restarted DynamoDB Local
 * on disk.
 */
export interface TcpFaultRelay {
  readonly endpoint: string;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTcpFaultRelay(target: string): Promise<TcpFaultRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const relay = (client: Socket) => {
    const upstream = connect(Number(port), hostname);
    track(client);
    track(upstream);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('error', () => to.destroy());
      from.once('close', () => to.destroy());
    }
    client.pipe(upstream).pipe(client);
  };
  let server: Server | null = null;
  const listen = (at: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer(relay);
      s.once('error', reject);
      s.listen(at, '127.0.0.1', () => {
        server = s;
        const address = s.address();
        resolve(typeof address === 'object' && address !== null ? address.port : at);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server === null) return resolve();
      server.close(() => resolve());
      server = null;
    });
  const listening = await listen(0);
  return {
    endpoint: `http://127.0.0.1:${listening}`,
    down: close,
    up: async () => {
      await listen(listening);
    },
    stop: close,
  };
}

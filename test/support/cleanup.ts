/**
 * A safety net for engines and platforms a test file starts: whatever `start` gives (or is still starting
 * when the file ends, e.g. after a `beforeAll` timed out) is stopped in a file-level `afterAll`, so that no
 * Java process, poller or timer outlives its file and Jest exits by itself. The file's own `afterAll` may
 * stop it earlier; stopping twice is harmless.
 */
interface Stoppable {
  stop(): Promise<void>;
}

const started = new Set<Promise<Stoppable>>();
let registered = false;

function registerAfterAll(): void {
  if (registered) return;
  registered = true;
  afterAll(async () => {
    const pending = [...started];
    started.clear();
    await Promise.all(
      pending.map(async (starting) => {
        // A start that failed has cleaned up after itself (and its error was reported where it was awaited).
        const running = await starting.catch(() => undefined);
        await running?.stop();
      }),
    );
  });
}

// Registered when a test file imports this module (at its top level, where Jest accepts hooks).
registerAfterAll();

export function stopWhenFileEnds<T extends Stoppable>(start: () => Promise<T>): Promise<T> {
  const starting = start();
  started.add(starting);
  return starting;
}

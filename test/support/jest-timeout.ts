import { scaledMs } from '../../local/timing';

// The default per-test deadline, stretched on a busy machine like every other deadline (local/timing.ts).
jest.setTimeout(scaledMs(30_000));

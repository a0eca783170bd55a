import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailureStore } from '../shared/events/redrive';
import type { StreamFailure } from './streams';

/**
 * The local platform's stand-in for the events stream's S3 on-failure destination: one JSON file per batch given
 * up (the shape Lambda writes to S3: metadata and the invocation event), in `<dataDir>/failures/<function>/`.
 * `npm run redrive` puts their records back on the stream and moves each file under `redriven/`.
 */
export class DirectoryFailureStore implements FailureStore {
  constructor(private readonly dir: string) {}

  /** The poller's `onFailure`: written before the shard moves on. */
  async write(failure: StreamFailure): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = `${failure.timestamp.replace(/[:.]/g, '-')}-${failure.batchInfo.shardId}-${failure.batchInfo.startSequenceNumber}.json`;
    const path = join(this.dir, name);
    await writeFile(`${path}.partial`, JSON.stringify(failure));
    await rename(`${path}.partial`, path);
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return names.filter((n) => n.endsWith('.json')).sort();
  }

  read(name: string): Promise<string> {
    return readFile(join(this.dir, name), 'utf8');
  }

  async markRedriven(name: string): Promise<void> {
    await mkdir(join(this.dir, 'redriven'), { recursive: true });
    await rename(join(this.dir, name), join(this.dir, 'redriven', name));
  }
}

import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FailureStore } from './redrive';

/** Where redriven failures are moved: kept for audit (the bucket's lifecycle rule expires them). */
export const REDRIVEN_PREFIX = 'redriven/';

/**
 * The failures bucket as the events stream's S3 on-failure destination fills it: one object per batch given up,
 * under the event source mapping's own key layout. A redriven object is copied under `redriven/` and deleted.
 */
export class S3FailureStore implements FailureStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async list(): Promise<string[]> {
    const found: { key: string; at: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.startsWith(REDRIVEN_PREFIX)) continue;
        found.push({ key: object.Key, at: object.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1)).map((f) => f.key);
  }

  async read(key: string): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (out.Body === undefined) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return out.Body.transformToString('utf8');
  }

  async markRedriven(key: string): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: `${REDRIVEN_PREFIX}${key}`,
        CopySource: `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
      }),
    );
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

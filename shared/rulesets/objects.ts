import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EnvOf } from '../environment';

/**
 * Where a ruleset too large for a Lambda response goes (issue 17, goal 2): `GET /api/v1/sdk/ruleset` answers
 * 302 with a short-lived URL of the revision's body in an object store instead of the body. In AWS an S3 object
 * behind a presigned GET; on the local platform a file served by the local gateway behind an HMAC-signed URL
 * relative to the API's origin (a relative Location is resolved against the request's URL by every client).
 * Either way the body of revision N never changes, so writing it twice (two instances, a retry) is harmless.
 */
export interface RulesetObjects {
  /** A URL, valid for URL_TTL_SECONDS, from which this revision's body can be read; stores it first if needed. */
  url(revision: number, body: string): Promise<string>;
}

/** How long a URL handed out stays valid: one download, started at once. */
export const URL_TTL_SECONDS = 60;

/**
 * Bodies above this many bytes are not sent inline. Lambda's response limit is 6 MB for the whole payload
 * (headers and the JSON envelope included); 5 MiB keeps a clear margin.
 */
export const DEFAULT_INLINE_MAX_BYTES = 5 * 1024 * 1024;

/** Where the bodies are kept in the bucket: one object per revision, `rulesets/<revision>.json`. */
export const RULESET_OBJECT_PREFIX = 'rulesets/';
export const rulesetObjectKey = (revision: number): string => `${RULESET_OBJECT_PREFIX}${revision}.json`;

/** How often an instance checks again that an object it stored is still there (a lifecycle rule may expire it). */
const RECHECK_MS = 5 * 60 * 1000;

export class S3RulesetObjects implements RulesetObjects {
  private readonly checked = new Map<number, number>();

  constructor(
    private readonly bucket: string,
    private readonly client: () => Promise<S3Client>,
    private readonly presign: (client: S3Client, bucket: string, key: string) => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  async url(revision: number, body: string): Promise<string> {
    const s3 = await this.client();
    const key = rulesetObjectKey(revision);
    const checkedAt = this.checked.get(revision);
    if (checkedAt === undefined || this.now() - checkedAt > RECHECK_MS) {
      const { HeadObjectCommand, NotFound, PutObjectCommand } = await import('@aws-sdk/client-s3');
      try {
        await s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (error) {
        if (!(error instanceof NotFound)) throw error;
        await s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json; charset=utf-8',
            CacheControl: 'private, max-age=31536000, immutable',
          }),
        );
      }
      // Only this revision's entry matters from now on: an instance serves one revision at a time.
      this.checked.clear();
      this.checked.set(revision, this.now());
    }
    return this.presign(s3, this.bucket, key);
  }
}

/** The local gateway's path for a stored ruleset: `/local/rulesets/<revision>.json?expires=…&signature=…`. */
export const LOCAL_RULESETS_PATH = '/local/rulesets/';

function signature(secret: string, revision: number, expires: number): string {
  return createHmac('sha256', secret).update(`${revision}:${expires}`).digest('base64url');
}

/**
 * The local platform's object store: a directory, read back by the local gateway for URLs this class signed
 * (HMAC-SHA256 of revision and expiry with a secret the platform draws at start-up).
 */
export class LocalRulesetObjects implements RulesetObjects {
  constructor(
    private readonly dir: string,
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  url(revision: number, body: string): Promise<string> {
    const file = join(this.dir, `${revision}.json`);
    if (!existsSync(file)) {
      mkdirSync(this.dir, { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, body);
      renameSync(partial, file);
    }
    const expires = Math.floor(this.now() / 1000) + URL_TTL_SECONDS;
    const query = `expires=${expires}&signature=${signature(this.secret, revision, expires)}`;
    return Promise.resolve(`${LOCAL_RULESETS_PATH}${revision}.json?${query}`);
  }
}

/**
 * The file a local ruleset URL names, when its signature holds and it has not expired; null otherwise. Takes
 * the path and query as the gateway received them.
 */
export function localRulesetFile(
  dir: string,
  secret: string,
  pathname: string,
  query: URLSearchParams,
  now: number = Date.now(),
): string | null {
  const match = /^\/local\/rulesets\/(\d{1,15})\.json$/.exec(pathname);
  const expires = Number(query.get('expires'));
  const given = query.get('signature') ?? '';
  if (match === null || !Number.isSafeInteger(expires) || expires * 1000 < now) return null;
  const revision = Number(match[1]);
  const expected = Buffer.from(signature(secret, revision, expires));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return join(dir, `${revision}.json`);
}

/** The inline limit the environment sets (the local platform's tests lower it), else DEFAULT_INLINE_MAX_BYTES. */
export function inlineMaxBytesFromEnv(env: EnvOf<'rulesetObjects'>): number {
  return env.RULESET_OBJECTS === 'local'
    ? (env.RULESET_INLINE_MAX_BYTES ?? DEFAULT_INLINE_MAX_BYTES)
    : DEFAULT_INLINE_MAX_BYTES;
}

/** The store the environment names (the S3 SDK and the presigner load with the first large download). */
export function rulesetObjectsFromEnv(env: EnvOf<'rulesetObjects'>): RulesetObjects {
  if (env.RULESET_OBJECTS === 'local') {
    return new LocalRulesetObjects(env.RULESET_OBJECTS_DIR, env.RULESET_OBJECTS_SECRET);
  }
  let client: Promise<S3Client> | undefined;
  return new S3RulesetObjects(
    env.RULESET_BUCKET_NAME,
    () => (client ??= import('@aws-sdk/client-s3').then(({ S3Client: Client }) => new Client({}))),
    presignRulesetGet,
  );
}

/** A presigned GET of the object, valid URL_TTL_SECONDS (the presigner loads with the first one). */
export async function presignRulesetGet(s3: S3Client, bucket: string, key: string): Promise<string> {
  const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/s3-request-presigner'),
  ]);
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: URL_TTL_SECONDS });
}

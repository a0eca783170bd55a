import {
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LocalRulesetObjects,
  localRulesetFile,
  presignRulesetGet,
  S3RulesetObjects,
  URL_TTL_SECONDS,
} from '../../../shared/rulesets/objects';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

describe('S3 ruleset objects', () => {
  const notFound = () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
  let now = 0;
  const presigned: string[] = [];
  const objects = new S3RulesetObjects(
    'rulesets-bucket',
    () => Promise.resolve(new S3Client({ region: 'eu-west-1' })),
    (_client, bucket, key) => {
      presigned.push(`${bucket}/${key}`);
      return Promise.resolve(`https://${bucket}.s3.example/${key}?X-Amz-Signature=x`);
    },
    () => now,
  );

  it('stores a revision once (HeadObject finds it absent), then only presigns', async () => {
    s3.on(HeadObjectCommand).rejectsOnce(notFound()).resolves({});
    s3.on(PutObjectCommand).resolves({});
    const url = await objects.url(12, '{"revision":12}');
    expect(url).toBe('https://rulesets-bucket.s3.example/rulesets/12.json?X-Amz-Signature=x');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        Bucket: 'rulesets-bucket',
        Key: 'rulesets/12.json',
        Body: '{"revision":12}',
        ContentType: 'application/json; charset=utf-8',
      }),
    ]);
    now += 60_000;
    await objects.url(12, '{"revision":12}');
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(presigned).toEqual(['rulesets-bucket/rulesets/12.json', 'rulesets-bucket/rulesets/12.json']);
  });

  it('checks again after five minutes (a lifecycle rule may have expired it) and stores it again if gone', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    await objects.url(13, 'x');
    now += 5 * 60_000 + 1;
    await objects.url(13, 'x');
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(2);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('does not hand out a URL when S3 fails with anything but 404', async () => {
    s3.on(HeadObjectCommand).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );
    await expect(objects.url(14, 'x')).rejects.toThrow();
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('presigns a GET of the object, valid for a minute', async () => {
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const url = new URL(await presignRulesetGet(client, 'rulesets-bucket', 'rulesets/12.json'));
    expect(url.hostname).toBe('rulesets-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/rulesets/12.json');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(URL_TTL_SECONDS));
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\//);
  });
});

describe('local ruleset objects', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-rulesets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secret = 's'.repeat(43);
  let now = Date.parse('2026-12-07T10:00:00Z');
  const objects = new LocalRulesetObjects(dir, secret, () => now);

  it('writes the body once and signs a same-origin URL that the gateway accepts until it expires', async () => {
    const location = await objects.url(5, '{"revision":5}');
    expect(location).toMatch(/^\/local\/rulesets\/5\.json\?expires=\d+&signature=[\w-]+$/);
    expect(readFileSync(join(dir, '5.json'), 'utf8')).toBe('{"revision":5}');
    await objects.url(5, 'ignored: revision 5 is already stored');
    expect(readFileSync(join(dir, '5.json'), 'utf8')).toBe('{"revision":5}');
    const url = new URL(location, 'http://127.0.0.1');
    expect(localRulesetFile(dir, secret, url.pathname, url.searchParams, now)).toBe(join(dir, '5.json'));
    expect(
      localRulesetFile(dir, secret, url.pathname, url.searchParams, now + URL_TTL_SECONDS * 1000 + 1000),
    ).toBeNull();
  });

  it('refuses a URL with another signature, revision, secret or path', async () => {
    const url = new URL(await objects.url(6, '{}'), 'http://127.0.0.1');
    const tampered = new URLSearchParams(url.searchParams);
    tampered.set('signature', `${url.searchParams.get('signature')!.slice(0, -1)}A`);
    expect(localRulesetFile(dir, secret, url.pathname, tampered, now)).toBeNull();
    expect(localRulesetFile(dir, secret, '/local/rulesets/5.json', url.searchParams, now)).toBeNull();
    expect(localRulesetFile(dir, 't'.repeat(43), url.pathname, url.searchParams, now)).toBeNull();
    expect(localRulesetFile(dir, secret, '/local/rulesets/../6.json', url.searchParams, now)).toBeNull();
    const later = new URLSearchParams(url.searchParams);
    later.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect(localRulesetFile(dir, secret, url.pathname, later, now)).toBeNull();
    expect(existsSync(join(dir, '6.json'))).toBe(true);
    now += 1;
  });
});

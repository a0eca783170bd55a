import type { ApiKeyRecord, ApiKeyRepository } from './repository';
import { hashSecret, sameHash, secretType } from './secret';

/** `lastUsedAt` is refreshed at most this often per key, so SDK traffic causes no write per request. */
export const TOUCH_INTERVAL_MS = 60 * 60 * 1000;

/** The authorizer's side of API keys: is this secret a live key, and note that it was used. */
export class ApiKeyVerifier {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The live key whose secret this is, or null: malformed secrets are refused without a lookup; the stored
   * hash is compared with the computed one in constant time; revoked keys are refused.
   */
  async verify(secret: string): Promise<ApiKeyRecord | null> {
    const type = secretType(secret);
    if (type === null) return null;
    const hash = hashSecret(secret);
    const record = await this.keys.byHash(hash);
    if (record === null || !sameHash(record.secretHash, hash)) return null;
    if (record.revokedAt !== null || record.type !== type) return null;
    return record;
  }

  /**
   * Record that `key` was used, unless that was recorded less than an hour ago: a conditional UpdateItem only
   * when the copy just read is stale, and the condition keeps concurrent authorizers to one write.
   */
  async touch(key: ApiKeyRecord): Promise<boolean> {
    const now = this.now();
    const staleBefore = new Date(now.getTime() - TOUCH_INTERVAL_MS).toISOString();
    if (key.lastUsedAt !== null && key.lastUsedAt >= staleBefore) return false;
    return this.keys.touch(key.secretHash, now.toISOString(), staleBefore);
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyType } from './schema';

/** 24 random bytes are exactly 32 base64url characters: 192 bits, beyond any guessing. */
const SECRET_BYTES = 24;
/** Random characters of the secret kept in the clear as its prefix (the rest stays unguessable). */
const PREFIX_RANDOM_CHARS = 6;

/** `sy_server_…` / `sy_client_…` followed by 32 URL-safe characters. */
export const SECRET_PATTERN = /^sy_(server|client)_[A-Za-z0-9_-]{32}$/;

export interface NewSecret {
  readonly secret: string;
  readonly hash: string;
  readonly prefix: string;
}

export function newSecret(type: ApiKeyType): NewSecret {
  const secret = `sy_${type}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return {
    secret,
    hash: hashSecret(secret),
    prefix: secret.slice(0, `sy_${type}_`.length + PREFIX_RANDOM_CHARS),
  };
}

/** SHA-256 hex: what is stored and looked up. A fast hash is right here: the secret has 192 random bits. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The key type a well-formed secret names, or null for anything that is not a Switchyard secret. */
export function secretType(secret: string): ApiKeyType | null {
  const match = SECRET_PATTERN.exec(secret);
  return (match?.[1] as ApiKeyType | undefined) ?? null;
}

/** Constant-time comparison of two SHA-256 hex digests (false, not a throw, on any malformed input). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds, then randomness. Time-ordered ids let one index both find a key
 * by id and list keys newest first.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

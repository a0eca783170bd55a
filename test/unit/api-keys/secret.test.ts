import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  hashSecret,
  newSecret,
  sameHash,
  secretType,
  SECRET_PATTERN,
  timeOrderedId,
} from '../../../shared/api-keys/secret';

describe('API key secrets', () => {
  it('are sy_<type>_ and 32 base64url characters, with a prefix of the first 6 of them', () => {
    for (const type of ['server', 'client'] as const) {
      const { secret, hash, prefix } = newSecret(type);
      expect(secret).toMatch(new RegExp(`^sy_${type}_[A-Za-z0-9_-]{32}$`));
      expect(SECRET_PATTERN.test(secret)).toBe(true);
      expect(prefix).toBe(secret.slice(0, `sy_${type}_`.length + 6));
      expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(secretType(secret)).toBe(type);
    }
  });

  it('are not guessable from one another', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => newSecret('server').secret.slice(10)));
    expect(tails.size).toBe(1000);
  });

  it('names no type for anything that is not a Switchyard secret', () => {
    expect(secretType('sy_server_short')).toBeNull();
    expect(secretType(`Bearer ${newSecret('server').secret}`)).toBeNull();
    expect(secretType(newSecret('client').secret.toUpperCase())).toBeNull();
  });

  it('hashes to SHA-256 hex', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('compares hashes in constant time, refusing malformed ones', () => {
    const h = hashSecret('x');
    expect(sameHash(h, h)).toBe(true);
    expect(sameHash(h, hashSecret('y'))).toBe(false);
    expect(sameHash(h, h.slice(0, 62))).toBe(false);
    expect(sameHash('', '')).toBe(false);
    expect(sameHash(h, 'not hex at all, but 64 characters long...........................')).toBe(false);
  });
});

describe('key ids', () => {
  it('are UUIDv7, ordered by creation time', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((t) => timeOrderedId(t));
    for (const id of ids) {
      expect(z.uuid({ version: 'v7' }).safeParse(id).success).toBe(true);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId(1_700_000_000_000)).not.toBe(timeOrderedId(1_700_000_000_000));
  });
});

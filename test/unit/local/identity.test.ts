import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIdentity, LOCAL_ISSUER } from '../../../local/identity';

describe('local Cognito-style tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-identity-'));
  const identity = new LocalIdentity(dir);

  it('mints ID tokens that verify with Cognito’s claims', async () => {
    const claims = await identity.verify(
      identity.mint({ role: 'developer', sub: 'u-1', email: 'd@example.com' }),
    );
    expect(claims).toMatchObject({
      sub: 'u-1',
      email: 'd@example.com',
      'cognito:groups': ['developer'],
      token_use: 'id',
      iss: LOCAL_ISSUER,
    });
  });

  it('shares its key across instances through the directory', async () => {
    const other = new LocalIdentity(dir);
    expect(await other.verify(identity.mint({ role: 'viewer' }))).not.toBeNull();
  });

  it.each([
    ['expired', { role: 'admin' as const, now: new Date(Date.now() - 7200_000), expiresInSeconds: 60 }],
    [
      'of another pool',
      { role: 'admin' as const, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' },
    ],
    ['of another app client', { role: 'admin' as const, audience: 'someoneelse' }],
    ['an access token', { role: 'admin' as const, tokenUse: 'access' as const }],
  ])('refuses a token that is %s', async (_label, request) => {
    expect(await identity.verify(identity.mint(request))).toBeNull();
  });

  it('refuses tampered tokens, tokens signed by another key and garbage', async () => {
    const [header, payload, signature] = identity.mint({ role: 'viewer' }).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
        'cognito:groups': ['admin'],
      }),
    ).toString('base64url');
    expect(await identity.verify(`${header}.${forged}.${signature}`)).toBeNull();
    const stranger = new LocalIdentity(mkdtempSync(join(tmpdir(), 'sy-identity-')));
    expect(await identity.verify(stranger.mint({ role: 'admin' }))).toBeNull();
    expect(await identity.verify('not-a-jwt')).toBeNull();
  });
});

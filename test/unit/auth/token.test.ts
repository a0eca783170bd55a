import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LocalIdentity } from '../../../local/identity';
import { userFromEvent } from '../../../shared/auth/principal';
import { groupsOfToken, tokenTimeProblem } from '../../../shared/auth/token';
import { apiEvent, claimsOf, tokenPayload, unsignedToken } from '../../support/api-event';

const identity = new LocalIdentity(null);
afterAll(() => identity.dispose());

const now = () => Math.floor(Date.now() / 1000);

/** What a function receives for `token` once API Gateway's Cognito authorizer accepted it. */
function eventFor(token: string, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  const event = apiEvent({
    resource: '/api/v1/users/me',
    headers: { Authorization: `Bearer ${token}`, ...headers },
    claims: claimsOf(payload),
  });
  return event;
}

/**
 * Each case minted twice: signed by the local identity (its verifier must refuse it, as the local gateway's
 * Cognito stand-in), and checked as the function would see it in AWS, where the authorizer checks signature,
 * issuer, audience and expiry only (the function must refuse it).
 */
const refused: [string, Record<string, unknown>, RegExp][] = [
  ['no exp', { exp: undefined }, /the token has no exp/],
  ['an exp that is not a number', { exp: 'tomorrow' }, /exp is not a number/],
  ['an iat two minutes in the future', { iat: now() + 120 }, /iat is in the future/],
  ['an nbf two minutes in the future', { nbf: now() + 120 }, /nbf is in the future/],
  ['an auth_time an hour in the future', { auth_time: now() + 3600 }, /auth_time is in the future/],
  ['an auth_time that is not a number', { auth_time: '0' }, /auth_time is not a number/],
];

describe('token times (SPEC §1 access control, issue 16)', () => {
  it.each(refused)('the local verifier refuses a token with %s', async (_label, claims) => {
    expect(await identity.verify(identity.mint({ role: 'admin', claims }))).toBeNull();
  });

  it.each(refused)('a function refuses a token with %s (401 naming why)', (_label, claims, reason) => {
    const event = eventFor(identity.mint({ role: 'admin', claims }));
    expect(() => userFromEvent(event)).toThrow(reason);
  });

  it('allows a minute of clock skew on iat, nbf and auth_time, and none past exp', async () => {
    const claims = { iat: now() + 30, nbf: now() + 30, auth_time: now() + 30 };
    expect(await identity.verify(identity.mint({ role: 'admin', claims }))).not.toBeNull();
    expect(userFromEvent(eventFor(identity.mint({ role: 'admin', claims })))?.role).toBe('admin');
    expect(tokenTimeProblem({ exp: 1000 }, 1000)).toBeNull();
    expect(tokenTimeProblem({ exp: 1000 }, 1001)).toBe('the token has expired');
  });

  it('refuses an expired token in the function too (an authorizer answer cached past the expiry)', () => {
    const stale = eventFor(
      identity.mint({ role: 'admin', now: new Date(Date.now() - 7200_000), expiresInSeconds: 60 }),
    );
    expect(() => userFromEvent(stale)).toThrow(/expired/);
  });
});

describe('cognito:groups, read as Cognito issues it', () => {
  it.each([
    [['viewer admin'], null],
    [['viewer,admin'], null],
    [['[viewer', 'admin]'], null],
    [['viewer', 'admin'], 'admin'],
    [['analyst'], 'analyst'],
    [[], null],
  ])('%j gives role %p, each name taken whole', async (groups, role) => {
    const principal = userFromEvent(eventFor(identity.mint({ groups })));
    expect(principal?.groups).toEqual(groups);
    expect(principal?.role).toBe(role);
    await expect(identity.verify(identity.mint({ groups }))).resolves.toMatchObject(
      groups.length === 0 ? {} : { 'cognito:groups': groups },
    );
  });

  it('grants nothing for a claim that is not an array', () => {
    expect(groupsOfToken({ 'cognito:groups': 'admin' })).toEqual([]);
    expect(groupsOfToken({ 'cognito:groups': 'viewer,admin' })).toEqual([]);
    expect(groupsOfToken({ 'cognito:groups': ['admin', 7, ''] })).toEqual(['admin']);
    expect(
      userFromEvent(eventFor(identity.mint({ claims: { 'cognito:groups': 'admin' } })))?.role,
    ).toBeNull();
  });
});

describe('the token a function reads is the one the authorizer verified', () => {
  it('refuses a request whose Authorization header is not the verified token (another subject or token id)', () => {
    const verified = identity.mint({ role: 'viewer', sub: 'u-1' });
    const other = unsignedToken(tokenPayload({ sub: 'u-1', groups: ['admin'] }));
    const event = eventFor(verified);
    event.headers.Authorization = `Bearer ${other}`;
    expect(() => userFromEvent(event)).toThrow(/not the one the authorizer verified/);
  });

  it('refuses two Authorization headers, and a request with claims but no token', () => {
    const token = identity.mint({ role: 'viewer' });
    const twice = eventFor(token);
    twice.multiValueHeaders = { Authorization: [`Bearer ${token}`, `Bearer ${token}`] };
    expect(() => userFromEvent(twice)).toThrow(/one Bearer token is required/);
    const bare = eventFor(token);
    bare.headers = {};
    expect(() => userFromEvent(bare)).toThrow(/one Bearer token is required/);
  });

  it('takes the raw token as API Gateway accepts it, with or without the Bearer scheme', () => {
    const token = identity.mint({ role: 'developer', sub: 'u-7', email: 'dev@example.com' });
    const raw = eventFor(token);
    raw.headers.Authorization = token;
    expect(userFromEvent(raw)).toEqual({
      kind: 'user',
      sub: 'u-7',
      username: 'dev@example.com',
      email: 'dev@example.com',
      groups: ['developer'],
      role: 'developer',
    });
  });

  it('is null without claims (the route was not behind the Cognito authorizer)', () => {
    expect(userFromEvent(apiEvent({ resource: '/x' }))).toBeNull();
  });
});

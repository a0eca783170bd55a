import { webcrypto } from 'node:crypto';
import { parseConsoleConfig } from '../../console/src/auth/config';
import {
  authorizeUrl,
  base64Url,
  codeChallenge,
  completeSignIn,
  logoutUrl,
  readCallback,
  startSignIn,
  stateMatches,
  tokenRequest,
  type HostedUiConfig,
  type PkceCrypto,
  type TokenFetch,
} from '../../console/src/auth/pkce';

const crypto = webcrypto as unknown as PkceCrypto;

const config: HostedUiConfig = {
  domain: 'https://switchyard-dev-123456789012.auth.eu-west-1.amazoncognito.com',
  clientId: 'client123',
  redirectUri: 'https://d111111abcdef8.cloudfront.net/',
  logoutUri: 'https://d111111abcdef8.cloudfront.net/',
  scopes: ['openid', 'email', 'profile'],
};

describe('PKCE (RFC 7636)', () => {
  it('derives the S256 challenge of the Appendix B test vector', async () => {
    // RFC 7636 Appendix B: the verifier's 32 octets, the verifier, and its challenge.
    const octets = new Uint8Array([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ]);
    expect(base64Url(octets)).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    await expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', crypto)).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('encodes base64url without padding, for every remainder length', () => {
    expect(base64Url(new Uint8Array([]))).toBe('');
    expect(base64Url(new Uint8Array([0xfb]))).toBe('-w');
    expect(base64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('refuses a verifier outside 43–128 unreserved characters', async () => {
    await expect(codeChallenge('short', crypto)).rejects.toThrow(/43–128/);
    await expect(codeChallenge('a'.repeat(129), crypto)).rejects.toThrow(/43–128/);
    await expect(codeChallenge(`${'a'.repeat(42)}+`, crypto)).rejects.toThrow(/43–128/);
  });

  it('starts a sign-in with a fresh 43-character verifier and state, and the URL carries its challenge', async () => {
    const first = await startSignIn(config, crypto, '/flags/x');
    const second = await startSignIn(config, crypto, '/flags/x');
    expect(first.pending.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.pending.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.pending.verifier).not.toBe(second.pending.verifier);
    expect(first.pending.state).not.toBe(first.pending.verifier);
    expect(first.pending.returnTo).toBe('/flags/x');
    const url = new URL(first.url);
    expect(url.searchParams.get('state')).toBe(first.pending.state);
    expect(url.searchParams.get('code_challenge')).toBe(await codeChallenge(first.pending.verifier, crypto));
    // The verifier itself never leaves the browser before the token request.
    expect(first.url).not.toContain(first.pending.verifier);
  });
});

describe('the hosted UI URLs', () => {
  it('builds the authorization request of the code flow with PKCE', () => {
    const url = new URL(authorizeUrl(config, 'state-1', 'challenge-1'));
    expect(`${url.origin}${url.pathname}`).toBe(`${config.domain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://d111111abcdef8.cloudfront.net/',
      scope: 'openid email profile',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  it('builds the sign-out URL back to the console', () => {
    const url = new URL(logoutUrl(config));
    expect(`${url.origin}${url.pathname}`).toBe(`${config.domain}/logout`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client123',
      logout_uri: 'https://d111111abcdef8.cloudfront.net/',
    });
  });

  it('builds the token request: form-encoded, the verifier, no client secret', () => {
    const { url, init } = tokenRequest(config, 'code-1', 'verifier-1');
    expect(url).toBe(`${config.domain}/oauth2/token`);
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(init.body))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'code-1',
      redirect_uri: 'https://d111111abcdef8.cloudfront.net/',
      code_verifier: 'verifier-1',
    });
    expect(init.body).not.toContain('secret');
  });
});

describe('the callback', () => {
  it('reads the code and state, an error, or nothing', () => {
    expect(readCallback('?code=c1&state=s1')).toEqual({ kind: 'code', code: 'c1', state: 's1' });
    expect(readCallback('?error=access_denied&error_description=nope')).toEqual({
      kind: 'error',
      error: 'access_denied',
      description: 'nope',
    });
    expect(readCallback('?code=c1')).toEqual({ kind: 'none' });
    expect(readCallback('')).toEqual({ kind: 'none' });
  });

  it('accepts the state sent and nothing else: no prefix, no empty, no missing', () => {
    expect(stateMatches('abc', 'abc')).toBe(true);
    expect(stateMatches('abc', 'abd')).toBe(false);
    expect(stateMatches('abc', 'ab')).toBe(false);
    expect(stateMatches('abc', 'abcd')).toBe(false);
    expect(stateMatches('', '')).toBe(false);
    expect(stateMatches(undefined, 'abc')).toBe(false);
  });

  const pending = { verifier: 'v'.repeat(43), state: 'state-1', returnTo: '/flags' };
  const answering = (status: number, body: unknown) => {
    const calls: Parameters<TokenFetch>[] = [];
    const fetchTokens: TokenFetch = (url, init) => {
      calls.push([url, init]);
      return Promise.resolve({ ok: status < 300, status, json: () => Promise.resolve(body) });
    };
    return { calls, fetchTokens };
  };

  it('exchanges the code with the pending verifier and keeps only the ID token', async () => {
    const { calls, fetchTokens } = answering(200, {
      id_token: 'id.token.here',
      access_token: 'access',
      refresh_token: 'refresh',
    });
    await expect(
      completeSignIn(config, { kind: 'code', code: 'c1', state: 'state-1' }, pending, fetchTokens),
    ).resolves.toBe('id.token.here');
    expect(calls).toHaveLength(1);
    expect(new URLSearchParams(calls[0]![1].body).get('code_verifier')).toBe(pending.verifier);
  });

  it('never calls the token endpoint when the state does not match, or no sign-in was started here', async () => {
    const { calls, fetchTokens } = answering(200, { id_token: 'x' });
    await expect(
      completeSignIn(config, { kind: 'code', code: 'c1', state: 'forged' }, pending, fetchTokens),
    ).rejects.toThrow(/does not match/);
    await expect(
      completeSignIn(config, { kind: 'code', code: 'c1', state: 'state-1' }, null, fetchTokens),
    ).rejects.toThrow(/does not match/);
    expect(calls).toHaveLength(0);
  });

  it("reports Cognito's refusal", async () => {
    const { fetchTokens } = answering(400, { error: 'invalid_grant' });
    await expect(
      completeSignIn(config, { kind: 'code', code: 'c1', state: 'state-1' }, pending, fetchTokens),
    ).rejects.toThrow(/invalid_grant/);
  });
});

describe('/config.json', () => {
  const json = {
    region: 'eu-west-1',
    apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/dev/',
    cognito: {
      userPoolId: 'eu-west-1_abc',
      clientId: 'client123',
      domain: config.domain,
      redirectUri: config.redirectUri,
      logoutUri: config.logoutUri,
      scopes: ['openid', 'email', 'profile'],
    },
  };

  it('reads the hosted UI from the file the console stack writes', () => {
    expect(parseConsoleConfig(json)).toEqual({ region: 'eu-west-1', apiUrl: json.apiUrl, hostedUi: config });
  });

  it('is null for anything else (the local gateway answers index.html there)', () => {
    expect(parseConsoleConfig(null)).toBeNull();
    expect(parseConsoleConfig('<!doctype html>')).toBeNull();
    expect(parseConsoleConfig({ ...json, cognito: { ...json.cognito, clientId: '' } })).toBeNull();
    expect(parseConsoleConfig({ ...json, cognito: { ...json.cognito, domain: 'http://x' } })).toBeNull();
  });
});

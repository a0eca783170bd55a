import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type JsonWebKey,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../shared/auth/roles';
import { CLOCK_SKEW_SECONDS, tokenTimeProblem } from '../shared/auth/token';
import type { DirectoryUser } from '../shared/users/directory';
import {
  dropInMemoryDirectory,
  IN_MEMORY_DIRECTORY_PREFIX,
  LocalDirectory,
} from '../shared/users/local-directory';

/**
 * The local stand-in for a Cognito user pool's token endpoint: it signs ID tokens shaped like Cognito's
 * (issuer, `aud`, `token_use: id`, `cognito:groups`, `cognito:username`) with an RS256 key kept in the data
 * directory, and verifies them with aws-jwt-verify's CognitoJwtVerifier — the same checks API Gateway's
 * Cognito authorizer makes (signature, issuer, audience, token use, expiry) — plus the platform's own
 * (shared/auth/token.ts: `exp` required, no `iat`/`nbf`/`auth_time` in the future), which the functions make
 * again on the token they receive.
 *
 * Signing is ten lines of node:crypto; a JWT library would add an ESM-only dependency for no gain.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_USER_POOL_ID = `${LOCAL_REGION}_SwitchyardLocal`;
export const LOCAL_CLIENT_ID = 'switchyardlocalclient';
export const LOCAL_ISSUER = `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${LOCAL_USER_POOL_ID}`;

/** The RS256 key tokens are signed with, as kept in `signing-key.json`. */
export interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JsonWebKey;
}

export interface TokenRequest {
  readonly role?: Role;
  /** Overrides `role`: the raw `cognito:groups` claim (empty for a user in no group). */
  readonly groups?: readonly string[];
  readonly sub?: string;
  readonly email?: string;
  readonly expiresInSeconds?: number;
  /** For tests: a token of another user pool or app client. */
  readonly issuer?: string;
  readonly audience?: string;
  readonly tokenUse?: 'id' | 'access';
  readonly now?: Date;
  /** For tests: claims set over the minted ones (`undefined` removes one, e.g. `exp`). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function generateKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomUUID(), privateJwk: privateKey.export({ format: 'jwk' }) };
}

function loadOrCreateKey(directory: string): SigningKey {
  const file = join(directory, 'signing-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SigningKey;
  mkdirSync(directory, { recursive: true });
  const stored = generateKey();
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return stored;
}

/** An ID token shaped like Cognito's, signed with `key`. */
export function mintToken(key: SigningKey, request: TokenRequest = {}): string {
  const now = Math.floor((request.now ?? new Date()).getTime() / 1000);
  const sub = request.sub ?? randomUUID();
  const groups = request.groups ?? (request.role === undefined ? [] : [request.role]);
  const header = { kid: key.kid, alg: 'RS256' };
  const payload = {
    sub,
    ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
    email_verified: true,
    iss: request.issuer ?? LOCAL_ISSUER,
    'cognito:username': request.email ?? sub,
    origin_jti: randomUUID(),
    aud: request.audience ?? LOCAL_CLIENT_ID,
    event_id: randomUUID(),
    token_use: request.tokenUse ?? 'id',
    auth_time: now,
    exp: now + (request.expiresInSeconds ?? 3600),
    iat: now,
    jti: randomUUID(),
    ...(request.email === undefined ? {} : { email: request.email }),
    ...request.claims,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), {
    key: key.privateJwk,
    format: 'jwk',
  });
  return `${signingInput}.${base64url(signature)}`;
}

export interface SignInRequest {
  /** The user's id (their `sub`). */
  readonly sub?: string;
  readonly email?: string;
  /** For a user who does not exist yet: the role they are created with (`none`: no group). */
  readonly role?: Role | 'none';
  readonly expiresInSeconds?: number;
}

export class SignInError extends Error {
  override readonly name = 'SignInError';
}

export class LocalIdentity {
  private readonly key: SigningKey;
  private readonly verifier;
  /** The users, shared with the users function of the running platform (LOCAL_USER_DIRECTORY_FILE). */
  readonly directory: LocalDirectory;
  /** Where the users live: a file, or `memory:<name>` for an in-memory identity. */
  readonly directoryFile: string;

  /**
   * `directory` holds the signing key and the users, so `npm run token` and `npm start` agree; `null` keeps
   * both in this process's memory and writes nothing (`npm start -- --memory`: tokens then come from the
   * platform's loopback token endpoint, see local/token-endpoint.ts).
   */
  constructor(directory: string | null) {
    this.directoryFile =
      directory === null ? `${IN_MEMORY_DIRECTORY_PREFIX}${randomUUID()}` : join(directory, 'users.json');
    this.directory = new LocalDirectory(this.directoryFile);
    this.key = directory === null ? generateKey() : loadOrCreateKey(directory);
    this.verifier = CognitoJwtVerifier.create({
      userPoolId: LOCAL_USER_POOL_ID,
      clientId: LOCAL_CLIENT_ID,
      tokenUse: 'id',
      // aws-jwt-verify applies one grace to `exp` and `nbf`: the skew `nbf` may have. `exp` gets none: the check
      // below refuses a token past it (shared/auth/token.ts).
      graceSeconds: CLOCK_SKEW_SECONDS,
      // aws-jwt-verify accepts a token without `exp` and never looks at `iat` or `auth_time`.
      customJwtCheck: ({ payload }) => {
        const problem = tokenTimeProblem(payload, Math.floor(Date.now() / 1000));
        if (problem !== null) throw new Error(problem);
      },
    });
    this.verifier.cacheJwks({ keys: [this.publicJwk()] } as Parameters<JwksCache['addJwks']>[1]);
  }

  publicJwk(): JsonWebKey & { kid: string; alg: string; use: string } {
    const publicJwk = createPublicKey(createPrivateKey({ key: this.key.privateJwk, format: 'jwk' })).export({
      format: 'jwk',
    });
    return { ...publicJwk, kid: this.key.kid, alg: 'RS256', use: 'sig' };
  }

  mint(request: TokenRequest = {}): string {
    return mintToken(this.key, request);
  }

  /**
   * The key itself, for a test harness that runs the platform in a child process and mints its tokens
   * without a round trip (test/support/platform.ts).
   */
  signingKey(): SigningKey {
    return this.key;
  }

  /**
   * What signing in through the pool's hosted UI gives: an ID token for a user of the directory, with the
   * groups the directory holds now (so a role change shows in the next token). A user who does not exist yet
   * is created first, as an admin would; a disabled user cannot sign in.
   */
  async signIn(request: SignInRequest): Promise<{ token: string; user: DirectoryUser; created: boolean }> {
    let user =
      request.sub !== undefined
        ? await this.directory.get(request.sub)
        : await this.directory.findByEmail(request.email ?? `${request.role ?? 'viewer'}@switchyard.local`);
    let created = false;
    if (user === null) {
      const role = request.role ?? 'viewer';
      const email = request.email ?? `${role}@switchyard.local`;
      user = await this.directory.create(email, role === 'none' ? 'viewer' : role, request.sub);
      if (user === null) throw new SignInError(`A user with email ${email} already exists under another id`);
      if (role === 'none') {
        await this.directory.setRole(user.id, null);
        user = { ...user, groups: [] };
      }
      created = true;
    }
    if (!user.enabled) throw new SignInError(`User ${user.email ?? user.id} is disabled`);
    const token = this.mint({
      sub: user.id,
      groups: user.groups,
      ...(user.email === null ? {} : { email: user.email }),
      ...(request.expiresInSeconds === undefined ? {} : { expiresInSeconds: request.expiresInSeconds }),
    });
    return { token, user, created };
  }

  /** Forget the users of an in-memory identity (its platform has stopped). */
  dispose(): void {
    dropInMemoryDirectory(this.directoryFile);
  }

  /** The verified claims, or null for a token API Gateway's Cognito authorizer would refuse. */
  async verify(token: string): Promise<Record<string, unknown> | null> {
    try {
      return await this.verifier.verify(token);
    } catch {
      return null;
    }
  }
}

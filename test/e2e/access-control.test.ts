import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type RunningPlatform } from '../../local/platform';
import type { AuditEntry } from '../../shared/audit/schema';
import { createDocumentClient } from '../../shared/aws/clients';
import { ROUTES, type RouteDefinition } from '../../shared/http/routes';
import type { User } from '../../shared/users/schema';
import { requireEngines } from '../support/engines';

const engines = requireEngines(['java']);

/**
 * Who calls. "developerOther" is a developer who owns nothing: it differs from "developer" on owned
 * resources (flags), and must behave the same everywhere else.
 */
const CALLERS = [
  'admin',
  'developer',
  'developerOther',
  'analyst',
  'viewer',
  'noGroup',
  'noToken',
  'expired',
  'otherPool',
] as const;
type Caller = (typeof CALLERS)[number];

/**
 * THE EXPECTATIONS, written by hand from SPEC §1 and the issues — not derived from the code under test.
 * One status per caller, in the order of CALLERS. A route of the route table without a line here fails.
 */
const EXPECTED: Record<string, string> = {
  //                 admin dev devOther analyst viewer noGroup noToken expired otherPool
  getHealth: '       200   200 200      200     200    200     200     200     200',
  getOpenApi: '      200   200 200      200     200    200     200     200     200',
  getCurrentUser: '  200   200 200      200     200    200     401     401     401',
  listUsers: '       200   403 403      403     403    403     401     401     401',
  createUser: '      201   403 403      403     403    403     401     401     401',
  getUser: '         200   403 403      403     403    403     401     401     401',
  setUserRole: '     200   403 403      403     403    403     401     401     401',
  disableUser: '     200   403 403      403     403    403     401     401     401',
  enableUser: '      200   403 403      403     403    403     401     401     401',
  listAudit: '       200   403 403      200     403    403     401     401     401',
  exportAudit: '     200   403 403      200     403    403     401     401     401',
};

engines.describe('access control, audit and input hardening over HTTP on the local platform', () => {
  let platform: RunningPlatform;
  const tokens = {} as Record<Caller, string | undefined>;
  let target: User;
  let counter = 0;

  const call = async (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    rawBody?: string,
  ) => {
    const res = await fetch(`${platform.url}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        ...(body === undefined && rawBody === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined && rawBody === undefined ? {} : { body: rawBody ?? JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      text,
      json: json as Record<string, unknown> | undefined,
      headers: res.headers,
    };
  };

  /** A valid request for every route: the fixture a caller with the right role would send. */
  const validRequest = (route: RouteDefinition): { path: string; body?: unknown } => {
    const path = route.path.replace('{id}', encodeURIComponent(target.id));
    switch (route.operationId) {
      case 'createUser':
        return { path, body: { email: `new-${++counter}@example.com`, role: 'viewer' } };
      case 'setUserRole':
        return { path, body: { role: counter++ % 2 === 0 ? 'analyst' : 'viewer' } };
      default:
        return { path };
    }
  };

  beforeAll(async () => {
    platform = await startPlatform({
      port: 0,
      memory: true,
      dataDir: mkdtempSync(join(tmpdir(), 'sy-access-')),
    });
    const { identity } = platform;
    tokens.admin = (await identity.signIn({ role: 'admin', email: 'admin@example.com' })).token;
    tokens.developer = (await identity.signIn({ role: 'developer', email: 'dev@example.com' })).token;
    tokens.developerOther = (await identity.signIn({ role: 'developer', email: 'dev2@example.com' })).token;
    tokens.analyst = (await identity.signIn({ role: 'analyst', email: 'analyst@example.com' })).token;
    tokens.viewer = (await identity.signIn({ role: 'viewer', email: 'viewer@example.com' })).token;
    tokens.noGroup = (await identity.signIn({ role: 'none', email: 'nobody@example.com' })).token;
    tokens.noToken = undefined;
    tokens.expired = identity.mint({
      role: 'admin',
      now: new Date(Date.now() - 7_200_000),
      expiresInSeconds: 60,
    });
    tokens.otherPool = identity.mint({
      role: 'admin',
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse',
    });
    const created = await call('POST', '/api/v1/users', tokens.admin, {
      email: 'target@example.com',
      role: 'viewer',
    });
    target = created.json as unknown as User;
  }, 90_000);

  afterAll(() => platform?.stop());

  describe('the role × route matrix', () => {
    it('has a hand-written expectation for every route of the route table, and none for routes that do not exist', () => {
      expect(Object.keys(EXPECTED).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
    });

    it.each(ROUTES.map((r) => [r.operationId, r] as const))(
      '%s answers each caller as expected',
      async (_id, route) => {
        const expected = (EXPECTED[route.operationId] ?? '').trim().split(/\s+/).map(Number);
        const actual: number[] = [];
        for (const caller of CALLERS) {
          const { path, body } = validRequest(route);
          const res = await call(route.method, path, tokens[caller], body);
          actual.push(res.status);
          if (res.status >= 400)
            expect(res.json).toMatchObject({ code: expect.any(String), message: expect.any(String) });
        }
        expect(Object.fromEntries(CALLERS.map((c, i) => [c, actual[i]]))).toEqual(
          Object.fromEntries(CALLERS.map((c, i) => [c, expected[i]])),
        );
      },
    );

    it('says which action was refused when the caller may read but not change', async () => {
      const res = await call('PUT', `/api/v1/users/${target.id}/role`, tokens.viewer, { role: 'admin' });
      expect(res.json?.message).toBe('Role viewer may not update or read users');
      const audit = await call('GET', '/api/v1/audit', tokens.developer);
      expect(audit.json?.message).toBe('Role developer may not read audit');
    });

    it('gives 404 for a missing user only to callers who may read users', async () => {
      expect((await call('GET', '/api/v1/users/no-such-user', tokens.admin)).status).toBe(404);
      expect((await call('GET', '/api/v1/users/no-such-user', tokens.analyst)).status).toBe(403);
    });
  });

  describe('every mutation writes exactly one audit entry', () => {
    const auditEntries = async (): Promise<AuditEntry[]> => {
      const doc = createDocumentClient();
      const items = (await doc.send(new ScanCommand({ TableName: platform.tableNames.audit }))).Items ?? [];
      doc.destroy();
      return items as AuditEntry[];
    };

    /** What each mutating route must record; a mutating route without a line here fails. */
    const MUTATIONS: Record<
      string,
      { action: string; before: (u: User) => unknown; after: (u: User) => unknown }
    > = {
      createUser: {
        action: 'user.create',
        before: () => null,
        after: () => ({ role: 'viewer', enabled: true }),
      },
      setUserRole: {
        action: 'user.setRole',
        before: () => ({ role: 'viewer' }),
        after: () => ({ role: 'developer' }),
      },
      disableUser: {
        action: 'user.disable',
        before: () => ({ enabled: true }),
        after: () => ({ enabled: false }),
      },
      enableUser: {
        action: 'user.enable',
        before: () => ({ enabled: false }),
        after: () => ({ enabled: true }),
      },
    };
    const mutating = ROUTES.filter((r) => r.method !== 'GET');

    it('knows every mutating route', () => {
      expect(mutating.map((r) => r.operationId).sort()).toEqual(Object.keys(MUTATIONS).sort());
    });

    it.each(mutating.map((r) => [r.operationId, r] as const))('%s', async (_id, route) => {
      const subject = (
        await call('POST', '/api/v1/users', tokens.admin, {
          email: `subject-${++counter}@example.com`,
          role: 'viewer',
        })
      ).json as unknown as User;
      if (route.operationId === 'enableUser')
        await call('POST', `/api/v1/users/${subject.id}/disable`, tokens.admin);
      const before = await auditEntries();
      const path = route.path.replace('{id}', subject.id);
      const body =
        route.operationId === 'createUser'
          ? { email: `created-${++counter}@example.com`, role: 'viewer' }
          : route.operationId === 'setUserRole'
            ? { role: 'developer' }
            : undefined;
      const res = await call(route.method, path, tokens.admin, body);
      expect(res.status).toBeLessThan(300);
      const added = (await auditEntries()).filter((e) => !before.some((b) => b.id === e.id));
      expect(added).toHaveLength(1);
      const expected = MUTATIONS[route.operationId]!;
      const resourceKey = route.operationId === 'createUser' ? (res.json as unknown as User).id : subject.id;
      expect(added[0]).toMatchObject({
        actorName: 'admin@example.com',
        action: expected.action,
        resourceKind: 'user',
        resourceKey,
        before:
          expected.before(subject) === null
            ? null
            : expect.objectContaining(expected.before(subject) as object),
        after: expect.objectContaining(expected.after(subject) as object),
      });
      expect(added[0]?.actor).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('audits nothing for a refused or failed change', async () => {
      const before = await auditEntries();
      await call('PUT', `/api/v1/users/${target.id}/role`, tokens.viewer, { role: 'admin' });
      await call('PUT', '/api/v1/users/no-such-user/role', tokens.admin, { role: 'admin' });
      await call('POST', '/api/v1/users', tokens.admin, { email: 'target@example.com', role: 'viewer' });
      expect(await auditEntries()).toHaveLength(before.length);
    });

    it('exports the log as NDJSON for admins and analysts', async () => {
      const res = await call(
        'GET',
        `/api/v1/audit/export?resourceKind=user&resourceKey=${target.id}`,
        tokens.analyst,
      );
      expect(res.headers.get('content-type')).toBe('application/x-ndjson');
      const lines = res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditEntry);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((e) => e.resourceKey === target.id)).toBe(true);
    });
  });

  describe('users end to end', () => {
    it('an admin invites an analyst, promotes them to developer, and their next token carries the new role', async () => {
      const created = await call('POST', '/api/v1/users', tokens.admin, {
        email: 'promote-me@example.com',
        role: 'analyst',
      });
      expect(created.status).toBe(201);
      const user = created.json as unknown as User;
      const first = await platform.identity.signIn({ email: 'promote-me@example.com' });
      expect((await call('GET', '/api/v1/users/me', first.token)).json).toMatchObject({ role: 'analyst' });
      expect(
        (await call('PUT', `/api/v1/users/${user.id}/role`, tokens.admin, { role: 'developer' })).json,
      ).toMatchObject({ role: 'developer' });
      const second = await platform.identity.signIn({ email: 'promote-me@example.com' });
      expect((await call('GET', '/api/v1/users/me', second.token)).json).toMatchObject({
        role: 'developer',
        sub: user.id,
      });
      await call('POST', `/api/v1/users/${user.id}/disable`, tokens.admin);
      await expect(platform.identity.signIn({ email: 'promote-me@example.com' })).rejects.toThrow(/disabled/);
    });

    it('keeps an admin from locking themselves out', async () => {
      const me = (await call('GET', '/api/v1/users/me', tokens.admin)).json as { sub: string };
      expect((await call('POST', `/api/v1/users/${me.sub}/disable`, tokens.admin)).status).toBe(409);
      expect(
        (await call('PUT', `/api/v1/users/${me.sub}/role`, tokens.admin, { role: 'viewer' })).status,
      ).toBe(409);
    });

    it('paginates the user list', async () => {
      const page = (await call('GET', '/api/v1/users?page=1&page_size=2', tokens.admin)).json;
      expect(page).toMatchObject({ page: 1, page_size: 2, items: expect.any(Array) });
      expect((page?.items as unknown[]).length).toBe(2);
      expect((await call('GET', '/api/v1/users?page_size=101', tokens.admin)).status).toBe(400);
    });
  });

  describe('fuzzing every route with bad input', () => {
    const jsonish = fc.oneof(
      fc.jsonValue(),
      fc.string({ maxLength: 200 }),
      fc.constant('{"unterminated":'),
      fc.record({ email: fc.anything(), role: fc.anything(), extra: fc.anything() }, { requiredKeys: [] }),
      fc.record({ role: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), unknownField: fc.boolean() }),
      fc.constant({ email: 'x'.repeat(100_000) + '@example.com', role: 'viewer' }),
    );
    const segment = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.constantFrom('..', '%00', '%ZZ', ' ', 'a%2Fb', 'é', '💥', 'x'.repeat(300)),
    );
    const query = fc.dictionary(
      fc.constantFrom(
        'page',
        'page_size',
        'from',
        'to',
        'actor',
        'resourceKind',
        'resourceKey',
        'unknown',
        'q',
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('-1', '0', '1e9', 'NaN', '2026-13-45T99:00:00Z', ''),
      ),
      { maxKeys: 4 },
    );

    const snapshot = async () => {
      const doc = createDocumentClient();
      const audit = (
        await doc.send(new ScanCommand({ TableName: platform.tableNames.audit, Select: 'COUNT' }))
      ).Count;
      const config = (
        await doc.send(new ScanCommand({ TableName: platform.tableNames.config, Select: 'COUNT' }))
      ).Count;
      doc.destroy();
      return { audit, config, users: readFileSync(platform.identity.directoryFile, 'utf8') };
    };

    it.each(ROUTES.map((r) => [r.operationId, r] as const))(
      '%s: a 4xx JSON error, never a 5xx, and nothing changes',
      async (_id, route) => {
        const before = await snapshot();
        await fc.assert(
          fc.asyncProperty(jsonish, segment, query, fc.boolean(), async (body, id, params, sendRaw) => {
            const path = route.path.replace('{id}', encodeURIComponent(id));
            const search = new URLSearchParams(params).toString();
            const url = search === '' ? path : `${path}?${search}`;
            const hasBody = route.method !== 'GET';
            const res = await call(
              route.method,
              url,
              tokens.admin,
              hasBody && !sendRaw ? body : undefined,
              hasBody && sendRaw ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
            );
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.json).toMatchObject({ code: expect.any(String), message: expect.any(String) });
            }
            // Routes that take no input have nothing to refuse; every other route must refuse garbage.
            if (route.request !== undefined && route.operationId !== 'getUser') {
              const couldBeValid = route.method === 'GET' && Object.keys(params).length === 0;
              if (!couldBeValid) expect(res.status).toBeGreaterThanOrEqual(400);
            }
          }),
          { numRuns: 25, seed: 42 },
        );
        expect(await snapshot()).toEqual(before);
      },
      60_000,
    );
  });
});

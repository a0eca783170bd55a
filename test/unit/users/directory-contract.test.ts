import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoDirectory } from '../../../shared/users/cognito-directory';
import type { UserDirectory } from '../../../shared/users/directory';
import { LocalDirectory } from '../../../shared/users/local-directory';

/**
 * The contract every UserDirectory must keep, run against Cognito (through aws-sdk-client-mock answering like
 * a user pool, paginating at 2 to exercise the token loops) and against the local platform's directory.
 */
function directoryContract(name: string, make: () => UserDirectory) {
  describe(`${name} keeps the UserDirectory contract`, () => {
    let directory: UserDirectory;
    beforeEach(() => (directory = make()));

    it('creates users in one role group and finds them', async () => {
      const ann = await directory.create('ann@example.com', 'analyst');
      expect(ann).toMatchObject({ email: 'ann@example.com', enabled: true, groups: ['analyst'] });
      expect(await directory.get(ann!.id)).toMatchObject({
        id: ann!.id,
        email: 'ann@example.com',
        groups: ['analyst'],
      });
      expect(await directory.get('nobody')).toBeNull();
    });

    it('refuses a second user with the same email', async () => {
      await directory.create('ann@example.com', 'analyst');
      expect(await directory.create('ann@example.com', 'viewer')).toBeNull();
    });

    it('lists every user with their groups, across pages', async () => {
      const created = [];
      for (const [i, role] of (['admin', 'developer', 'analyst', 'viewer', 'viewer'] as const).entries()) {
        created.push(await directory.create(`u${i}@example.com`, role));
      }
      const listed = await directory.list();
      expect(listed).toHaveLength(5);
      for (const user of created) {
        expect(listed.find((u) => u.id === user!.id)?.groups).toEqual(user!.groups);
      }
    });

    it('moves a user into exactly one role group, leaving other groups alone', async () => {
      const user = (await directory.create('dev@example.com', 'analyst'))!;
      await directory.setRole(user.id, 'developer');
      expect((await directory.get(user.id))?.groups).toEqual(['developer']);
      await directory.setRole(user.id, 'developer');
      expect((await directory.get(user.id))?.groups).toEqual(['developer']);
      await directory.setRole(user.id, null);
      expect((await directory.get(user.id))?.groups).toEqual([]);
    });

    it('disables, enables and removes users', async () => {
      const user = (await directory.create('v@example.com', 'viewer'))!;
      await directory.setEnabled(user.id, false);
      expect((await directory.get(user.id))?.enabled).toBe(false);
      await directory.setEnabled(user.id, true);
      expect((await directory.get(user.id))?.enabled).toBe(true);
      await directory.remove(user.id);
      expect(await directory.get(user.id)).toBeNull();
    });
  });
}

interface FakeUser {
  Username: string;
  email: string;
  Enabled: boolean;
  groups: Set<string>;
  created: Date;
}

/** Just enough of a Cognito user pool behind the mocked client: users, groups, pagination at 2. */
function fakeCognito(): CognitoIdentityProviderClient {
  const users = new Map<string, FakeUser>();
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const need = (name: string | undefined) => {
    const user = users.get(name ?? '');
    if (!user) throw new UserNotFoundException({ message: 'User does not exist.', $metadata: {} });
    return user;
  };
  const page = <T>(items: T[], token: string | undefined) => {
    const start = Number(token ?? '0');
    const next = start + 2 < items.length ? String(start + 2) : undefined;
    return { items: items.slice(start, start + 2), next };
  };
  const shape = (u: FakeUser) => ({
    Username: u.Username,
    Enabled: u.Enabled,
    UserStatus: 'FORCE_CHANGE_PASSWORD' as const,
    UserCreateDate: u.created,
    Attributes: [{ Name: 'email', Value: u.email }],
  });
  mock
    .on(AdminCreateUserCommand)
    .callsFake((input: { Username?: string; UserAttributes?: { Name?: string; Value?: string }[] }) => {
      const email = input.UserAttributes?.find((a) => a.Name === 'email')?.Value ?? '';
      if ([...users.values()].some((u) => u.email === email)) {
        throw new UsernameExistsException({
          message: 'An account with the given email already exists.',
          $metadata: {},
        });
      }
      const user: FakeUser = {
        Username: `id-${users.size + 1}-${email}`,
        email,
        Enabled: true,
        groups: new Set(),
        created: new Date(),
      };
      users.set(user.Username, user);
      return { User: shape(user) };
    });
  mock.on(AdminGetUserCommand).callsFake((input: { Username?: string }) => {
    const user = need(input.Username);
    const { Attributes, ...rest } = shape(user);
    return { ...rest, UserAttributes: Attributes };
  });
  mock.on(AdminListGroupsForUserCommand).callsFake((input: { Username?: string; NextToken?: string }) => {
    const { items, next } = page([...need(input.Username).groups], input.NextToken);
    return { Groups: items.map((GroupName) => ({ GroupName })), NextToken: next };
  });
  mock.on(AdminAddUserToGroupCommand).callsFake((input: { Username?: string; GroupName?: string }) => {
    need(input.Username).groups.add(input.GroupName ?? '');
    return {};
  });
  mock.on(AdminRemoveUserFromGroupCommand).callsFake((input: { Username?: string; GroupName?: string }) => {
    need(input.Username).groups.delete(input.GroupName ?? '');
    return {};
  });
  mock.on(AdminDisableUserCommand).callsFake((input: { Username?: string }) => {
    need(input.Username).Enabled = false;
    return {};
  });
  mock.on(AdminEnableUserCommand).callsFake((input: { Username?: string }) => {
    need(input.Username).Enabled = true;
    return {};
  });
  mock.on(AdminDeleteUserCommand).callsFake((input: { Username?: string }) => {
    users.delete(need(input.Username).Username);
    return {};
  });
  mock.on(ListUsersCommand).callsFake((input: { PaginationToken?: string }) => {
    const { items, next } = page([...users.values()], input.PaginationToken);
    return { Users: items.map(shape), PaginationToken: next };
  });
  mock.on(ListUsersInGroupCommand).callsFake((input: { GroupName?: string; NextToken?: string }) => {
    const members = [...users.values()].filter((u) => u.groups.has(input.GroupName ?? ''));
    const { items, next } = page(members, input.NextToken);
    return { Users: items.map(shape), NextToken: next };
  });
  return client;
}

directoryContract('CognitoDirectory', () => new CognitoDirectory(fakeCognito(), 'us-east-1_Test'));
directoryContract(
  'LocalDirectory',
  () => new LocalDirectory(join(mkdtempSync(join(tmpdir(), 'sy-dir-')), 'users.json')),
);

import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UsernameExistsException,
  UserNotFoundException,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { ROLES, type Role } from '../auth/roles';
import type { DirectoryUser, UserDirectory } from './directory';

function attribute(attributes: AttributeType[] | undefined, name: string): string | null {
  return attributes?.find((a) => a.Name === name)?.Value ?? null;
}

function toUser(
  user: Pick<UserType, 'Username' | 'Enabled' | 'UserStatus' | 'UserCreateDate'>,
  attributes: AttributeType[] | undefined,
  groups: readonly string[],
): DirectoryUser {
  return {
    id: user.Username ?? '',
    email: attribute(attributes, 'email'),
    enabled: user.Enabled ?? false,
    status: user.UserStatus ?? 'UNKNOWN',
    groups,
    createdAt: user.UserCreateDate?.toISOString() ?? null,
  };
}

/** The Users API against a Cognito user pool. IAM: only the actions used here, on that pool (lib/). */
export class CognitoDirectory implements UserDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async list(): Promise<DirectoryUser[]> {
    // ListUsers does not return groups: read the four role groups' members once instead of one call per user.
    const groupsOf = new Map<string, string[]>();
    for (const group of ROLES) {
      let token: string | undefined;
      do {
        const page = await this.client.send(
          new ListUsersInGroupCommand({
            UserPoolId: this.userPoolId,
            GroupName: group,
            NextToken: token,
            Limit: 60,
          }),
        );
        for (const user of page.Users ?? []) {
          if (user.Username !== undefined)
            groupsOf.set(user.Username, [...(groupsOf.get(user.Username) ?? []), group]);
        }
        token = page.NextToken;
      } while (token !== undefined);
    }
    const users: DirectoryUser[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListUsersCommand({ UserPoolId: this.userPoolId, PaginationToken: token, Limit: 60 }),
      );
      for (const user of page.Users ?? []) {
        users.push(toUser(user, user.Attributes, groupsOf.get(user.Username ?? '') ?? []));
      }
      token = page.PaginationToken;
    } while (token !== undefined);
    return users;
  }

  async get(id: string): Promise<DirectoryUser | null> {
    try {
      const user = await this.client.send(
        new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: id }),
      );
      return toUser(user, user.UserAttributes, await this.groupsOf(id));
    } catch (error) {
      if (error instanceof UserNotFoundException) return null;
      throw error;
    }
  }

  async create(email: string, role: Role): Promise<DirectoryUser | null> {
    try {
      const created = await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
          DesiredDeliveryMediums: ['EMAIL'],
        }),
      );
      const user = created.User ?? {};
      await this.client.send(
        new AdminAddUserToGroupCommand({
          UserPoolId: this.userPoolId,
          Username: user.Username,
          GroupName: role,
        }),
      );
      return toUser(user, user.Attributes, [role]);
    } catch (error) {
      if (error instanceof UsernameExistsException) return null;
      throw error;
    }
  }

  async setRole(id: string, role: Role | null): Promise<void> {
    const current = await this.groupsOf(id);
    for (const group of current) {
      if (group !== role && (ROLES as readonly string[]).includes(group)) {
        await this.client.send(
          new AdminRemoveUserFromGroupCommand({
            UserPoolId: this.userPoolId,
            Username: id,
            GroupName: group,
          }),
        );
      }
    }
    if (role !== null && !current.includes(role)) {
      await this.client.send(
        new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: id, GroupName: role }),
      );
    }
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    const input = { UserPoolId: this.userPoolId, Username: id };
    await this.client.send(enabled ? new AdminEnableUserCommand(input) : new AdminDisableUserCommand(input));
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: id }));
  }

  private async groupsOf(id: string): Promise<string[]> {
    const groups: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new AdminListGroupsForUserCommand({
          UserPoolId: this.userPoolId,
          Username: id,
          NextToken: token,
          Limit: 60,
        }),
      );
      groups.push(...(page.Groups ?? []).flatMap((g) => (g.GroupName ? [g.GroupName] : [])));
      token = page.NextToken;
    } while (token !== undefined);
    return groups;
  }
}

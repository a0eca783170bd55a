/**
 * `npm run token -- --role admin|developer|analyst|viewer|none [--sub ID] [--email E] [--expires-in SECONDS]
 * [--data DIR]`: sign in to the local platform's user directory and print an ID token. A user who does not
 * exist yet is created with `--role` (default email `<role>@switchyard.local`); an existing user's token
 * carries the role the directory holds now (change it with `PUT /api/v1/users/{id}/role`).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalIdentity, SignInError } from '../local/identity';
import { isRole, ROLES } from '../shared/auth/roles';

const USAGE = `Usage: npm run token -- --role ${ROLES.join('|')}|none [--sub ID] [--email E] [--expires-in SECONDS] [--data DIR]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        sub: { type: 'string' },
        email: { type: 'string' },
        'expires-in': { type: 'string', default: '3600' },
        data: { type: 'string', default: '.switchyard' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const role = values.role;
  if (role === undefined && values.sub === undefined && values.email === undefined) {
    fail('Say who signs in: --role (and optionally --email), --email or --sub.');
  }
  if (role !== undefined && role !== 'none' && !isRole(role)) fail(`Unknown role ${JSON.stringify(role)}.`);
  const expiresIn = Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn <= 0)
    fail('--expires-in must be a positive number of seconds.');

  const identity = new LocalIdentity(join(values.data, 'identity'));
  try {
    const { token, user, created } = await identity.signIn({
      ...(role === undefined ? {} : { role: role }),
      ...(values.sub === undefined ? {} : { sub: values.sub }),
      ...(values.email === undefined ? {} : { email: values.email }),
      expiresInSeconds: expiresIn,
    });
    const current = user.groups.join(',') || 'none';
    if (created) console.error(`Created user ${user.email ?? user.id} (id ${user.id}) with role ${current}.`);
    else if (role !== undefined && !user.groups.includes(role)) {
      console.error(
        `Note: ${user.email ?? user.id} exists with role ${current}; the token carries that role.`,
      );
    }
    console.log(token);
  } catch (error) {
    if (error instanceof SignInError) fail(error.message);
    throw error;
  }
}

void main();

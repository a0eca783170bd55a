/**
 * `npm run token -- --role admin|developer|analyst|viewer [--sub ID] [--email E] [--expires-in SECONDS]
 * [--data DIR]`: print a Cognito-style ID token that the local platform accepts.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isRole, ROLES } from '../shared/auth/roles';
import { LocalIdentity } from '../local/identity';

const USAGE = `Usage: npm run token -- --role ${ROLES.join('|')}|none [--sub ID] [--email E] [--expires-in SECONDS] [--data DIR]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

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
if (role === undefined) fail('--role is required.');
if (role !== 'none' && !isRole(role)) fail(`Unknown role ${JSON.stringify(role)}.`);
const expiresIn = Number(values['expires-in']);
if (!Number.isInteger(expiresIn)) fail('--expires-in must be a whole number of seconds.');

const identity = new LocalIdentity(join(values.data, 'identity'));
console.log(
  identity.mint({
    groups: role === 'none' ? [] : [role],
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(values.email === undefined ? {} : { email: values.email }),
    expiresInSeconds: expiresIn,
  }),
);

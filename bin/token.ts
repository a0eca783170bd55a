/**
 * `npm run token -- --role admin|developer|analyst|viewer|none [--sub ID] [--email E] [--expires-in SECONDS]
 * [--data DIR | --port N]`: sign in to the local platform's user directory and print an ID token. A user who
 * does not exist yet is created with `--role` (default email `<role>@switchyard.local`); an existing user's
 * token carries the role the directory holds now (change it with `PUT /api/v1/users/{id}/role`).
 *
 * Where the directory is: on disk in `--data DIR/identity/` (default `.switchyard`, as `npm start`), or, for a
 * platform started with `--memory` (which writes nothing to disk), inside that platform: `--port N` asks its
 * loopback token endpoint, whose port `npm start -- --memory` prints.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalIdentity, SignInError, type SignInRequest } from '../local/identity';
import { TOKEN_PATH, type TokenAnswer } from '../local/token-endpoint';
import { isRole, ROLES } from '../shared/auth/roles';

const USAGE = `Usage: npm run token -- --role ${ROLES.join('|')}|none [--sub ID] [--email E] [--expires-in SECONDS] [--data DIR | --port N]`;

const OPTIONS = {
  role: { type: 'string' },
  sub: { type: 'string' },
  email: { type: 'string' },
  'expires-in': { type: 'string', default: '3600' },
  data: { type: 'string' },
  port: { type: 'string' },
} as const;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/**
 * util.parseArgs takes `-5` after `--expires-in` for an option of its own and refuses it as "ambiguous";
 * a negative number right after a string option is its value, so join the two as `--expires-in=-5`.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const valued = new Set(
    Object.entries(OPTIONS).flatMap(([name, option]) => (option.type === 'string' ? [`--${name}`] : [])),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (valued.has(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Ask an in-memory platform's token endpoint (local/token-endpoint.ts) to sign in. */
async function signInAt(port: number, request: SignInRequest): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${port}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
  } catch (error) {
    fail(
      `No platform token endpoint on 127.0.0.1:${port} (${String(error)}): is \`npm start -- --memory\` running?`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as Partial<TokenAnswer> & { message?: string };
  if (res.status === 200 && typeof body.token === 'string') return body as TokenAnswer;
  if (res.status === 400) fail(body.message ?? 'Refused');
  fail(
    `127.0.0.1:${port} answered ${res.status}: not a token endpoint. Pass the token port that ` +
      '`npm start -- --memory` prints (not the API port).',
  );
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(process.argv.slice(2)), options: OPTIONS }));
  } catch (error) {
    fail((error as Error).message);
  }
  const role = values.role;
  if (role === undefined && values.sub === undefined && values.email === undefined) {
    fail('Say who signs in: --role (and optionally --email), --email or --sub.');
  }
  if (role !== undefined && role !== 'none' && !isRole(role)) fail(`Unknown role ${JSON.stringify(role)}.`);
  const expiresIn = Number(values['expires-in']);
  // Negative is allowed: an already expired token, to try out what a client does with one.
  if (values['expires-in'].trim() === '' || !Number.isInteger(expiresIn))
    fail('--expires-in must be a whole number of seconds (negative for an already expired token).');
  if (values.port !== undefined && values.data !== undefined)
    fail('--port asks a running in-memory platform, --data reads a directory on disk: pass one of them.');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    fail(`Invalid --port ${JSON.stringify(values.port)}.`);

  const request: SignInRequest = {
    ...(role === undefined ? {} : { role: role }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(values.email === undefined ? {} : { email: values.email }),
    expiresInSeconds: expiresIn,
  };
  try {
    const { token, user, created } =
      port === undefined
        ? await new LocalIdentity(join(values.data ?? '.switchyard', 'identity')).signIn(request)
        : await signInAt(port, request);
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

if (require.main === module) void main();

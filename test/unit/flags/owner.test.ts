import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { userChange } from '../../../shared/audit/actor';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Flag } from '../../../shared/flags/requests';
import { flagInputSchema } from '../../../shared/flags/schema';
import { FlagsService } from '../../../shared/flags/service';
import type { RolloutSchedule } from '../../../shared/rollouts/requests';
import type { Segment } from '../../../shared/segments/requests';
import type { StoredFlagSafety } from '../../../shared/safety/repository';
import { CognitoDirectory } from '../../../shared/users/cognito-directory';
import { MemoryRepository } from '../../support/memory-config';
import { admin } from '../../support/principals';

const cognito = mockClient(CognitoIdentityProviderClient);

/** Users of the mocked pool by username (= sub: the pool signs in by email, so usernames are subs). */
const pool = new Map([
  ['dev-1', { Enabled: true }],
  ['dev-off', { Enabled: false }],
]);

function setup() {
  const flags = new MemoryRepository<Flag>('flag');
  const service = new FlagsService(
    flags.asRepository(),
    new MemoryRepository<Segment>('segment').asRepository(),
    new MemoryRepository<Experiment>('experiment').asRepository(),
    new MemoryRepository<RolloutSchedule>('rollout').asRepository(),
    undefined,
    new CognitoDirectory(new CognitoIdentityProviderClient({ region: 'us-east-1' }), 'us-east-1_pool'),
  );
  return { flags, service };
}

beforeEach(() => {
  cognito.reset();
  cognito.on(AdminGetUserCommand).callsFake((input: { Username?: string }) => {
    const user = pool.get(input.Username ?? '');
    if (user === undefined)
      throw new UserNotFoundException({ message: 'User does not exist.', $metadata: {} });
    return { Username: input.Username, Enabled: user.Enabled, UserStatus: 'CONFIRMED', UserAttributes: [] };
  });
  cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [{ GroupName: 'developer' }] });
});

describe('PUT /feature-flags/{key}/owner: the new owner is an existing, enabled user', () => {
  async function created() {
    const { flags, service } = setup();
    const input = flagInputSchema.parse({
      key: 'checkout',
      name: 'Checkout',
      kind: 'boolean',
      variations: [
        { key: 'off', value: false },
        { key: 'on', value: true },
      ],
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    });
    await service.create(input, userChange(admin, 'r0'), admin);
    return { flags, service };
  }
  const change = (version: number) => ({
    principal: admin,
    context: userChange(admin, 'r1'),
    version,
  });

  it.each([
    ['a user that does not exist', 'ghost', 'no user ghost'],
    ['a disabled user', 'dev-off', 'user dev-off is disabled'],
  ])('refuses %s with 400 naming body.owner, changing nothing', async (_label, owner, message) => {
    const { flags, service } = await created();
    await expect(service.transferOwner('checkout', owner, change(1))).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: `body.owner: ${message}`,
      details: { issues: [{ path: 'body.owner', message }] },
    });
    expect(flags.items.get('checkout')).toMatchObject({ owner: 'admin-1', version: 1 });
    expect(flags.log.map((c) => c.action)).toEqual(['flag.create']);
    expect(cognito.commandCalls(AdminGetUserCommand)[0]!.args[0].input).toEqual({
      UserPoolId: 'us-east-1_pool',
      Username: owner,
    });
  });

  it('transfers to an enabled user, audited as flag.transferOwner', async () => {
    const { flags, service } = await created();
    await expect(service.transferOwner('checkout', 'dev-1', change(1))).resolves.toMatchObject({
      owner: 'dev-1',
      version: 2,
    });
    expect(flags.log.map((c) => c.action)).toEqual(['flag.create', 'flag.transferOwner']);
  });

  it('checks the version before the user (a stale transfer is a 409 whoever it names)', async () => {
    const { service } = await created();
    await expect(service.transferOwner('checkout', 'ghost', change(7))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('DELETE /feature-flags/{key}: what belongs to the flag goes with it', () => {
  it('removes the flag’s safety overrides after the flag (audited), so a flag created later under the key starts clean', async () => {
    const log: ConstructorParameters<typeof MemoryRepository>[1] = [];
    const flags = new MemoryRepository<Flag>('flag', log);
    const safety = new MemoryRepository<StoredFlagSafety>('safetyConfig', log);
    const service = new FlagsService(
      flags.asRepository(),
      new MemoryRepository<Segment>('segment').asRepository(),
      new MemoryRepository<Experiment>('experiment').asRepository(),
      new MemoryRepository<RolloutSchedule>('rollout').asRepository(),
      undefined,
      undefined,
      [safety.asRepository()],
    );
    const input = flagInputSchema.parse({
      key: 'checkout',
      name: 'Checkout',
      kind: 'boolean',
      variations: [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ],
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    });
    const change = userChange(admin, 'req-1');
    await service.create(input, change, admin);
    await safety.create({ key: 'checkout', maxErrorRate: 0.01 }, change);
    await safety.create({ key: 'other', maxErrorRate: 0.02 }, change);

    await service.remove('checkout', { principal: admin, context: change });
    expect(await safety.get('checkout')).toBeNull();
    expect(await safety.get('other')).not.toBeNull();
    expect(log.filter((c) => c.action.endsWith('.delete')).map((c) => `${c.kind}/${c.key}`)).toEqual([
      'flag/checkout',
      'safetyConfig/checkout',
    ]);
  });
});

import { ConfigRepository } from '../../../shared/config/repository';
import { configRepositories } from '../../../shared/config/wiring';
import { CONFIG_KINDS } from '../../../shared/db/keys';

describe('configRepositories', () => {
  it('has one repository for every config kind, on the config table', () => {
    const repositories = Object.values(
      configRepositories({ TABLE_CONFIG: 'config', TABLE_AUDIT: 'audit' }),
    ).filter((value): value is ConfigRepository<never> => value instanceof ConfigRepository);
    expect(repositories.map((r) => r.kind).sort()).toEqual([...CONFIG_KINDS].sort());
  });
});

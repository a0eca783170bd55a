import { userChange } from '../../../shared/audit/actor';
import type { ConfigRepository } from '../../../shared/config/repository';
import type { Experiment } from '../../../shared/experiments/requests';
import type { Flag } from '../../../shared/flags/requests';
import type { RouteImplementation } from '../../../shared/http/handler';
import { segmentRoutes } from '../../../shared/http/routes';
import { implementVersioned } from '../../../shared/http/versioned';
import type { Segment } from '../../../shared/segments/requests';
import { SegmentsService } from '../../../shared/segments/service';
import { MemoryRepository } from '../../support/memory-config';
import { admin } from '../../support/principals';

/** PUT and PATCH of a segment through its routes, as the segments function serves them. */
const countryIsFr = { attribute: 'country', op: 'eq' as const, values: ['FR'] };

function serve() {
  const segments = new MemoryRepository<Segment>('segment');
  const service = new SegmentsService(
    segments as unknown as ConfigRepository<Segment>,
    new MemoryRepository<Flag>('flag') as unknown as ConfigRepository<Flag>,
    new MemoryRepository<Experiment>('experiment') as unknown as ConfigRepository<Experiment>,
  );
  const routes = implementVersioned(segmentRoutes, service);
  const call = (route: RouteImplementation['route'], body: object) => {
    const implementation = routes.find((r) => r.route === route);
    if (implementation === undefined) throw new Error(`${route.operationId} is not implemented`);
    return implementation.run({
      params: { key: 'french' },
      query: undefined,
      body,
      principal: admin,
      headers: {},
      requestId: 'req-1',
    }) as Promise<Segment>;
  };
  return { segments, service, call };
}

async function withConditions() {
  const served = serve();
  await served.service.create(
    {
      key: 'french',
      name: 'French',
      description: 'units in France',
      tags: ['geo'],
      conditions: countryIsFr,
      included: ['u-1'],
      excluded: [],
    },
    userChange(admin, 'req-0'),
  );
  return served;
}

describe('segment changes through the routes', () => {
  it('PUT replaces every field: what the body leaves out is gone, defaults apply', async () => {
    const { call } = await withConditions();
    const replaced = await call(segmentRoutes.replace, { name: 'French (all)', version: 1 });
    expect(replaced).toMatchObject({
      key: 'french',
      name: 'French (all)',
      description: '',
      tags: [],
      included: [],
      excluded: [],
      version: 2,
    });
    expect(replaced.conditions).toBeUndefined();
  });

  it('PATCH changes only the fields sent', async () => {
    const { call } = await withConditions();
    const patched = await call(segmentRoutes.patch, { name: 'French (all)', version: 1 });
    expect(patched).toMatchObject({
      name: 'French (all)',
      description: 'units in France',
      tags: ['geo'],
      conditions: countryIsFr,
      included: ['u-1'],
      version: 2,
    });
  });
});

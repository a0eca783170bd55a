import { mapConcurrent, request } from './http';

/**
 * What a flag serves, seen as SDKs see it: the published ruleset (what a test waits on after a change) and the
 * answers of `POST /api/v1/evaluate`, unit by unit (what it measures). The rollout and rollback tests check a
 * served share with both.
 */

interface PublishedFlag {
  readonly key: string;
  readonly enabled: boolean;
  readonly fallthrough: {
    readonly variation?: string;
    readonly allocations?: readonly { readonly variation: string; readonly weight: number }[];
  };
}

/** The flag in the ruleset evaluation serves now; undefined while it is not published. */
export async function publishedFlag(
  baseUrl: string,
  serverKey: string,
  flagKey: string,
): Promise<PublishedFlag | undefined> {
  const res = await request(baseUrl, 'GET', '/api/v1/sdk/ruleset', { credential: serverKey });
  return (res.json.flags as PublishedFlag[]).find((f) => f.key === flagKey);
}

/** The weight (basis points) of `variation` in the published fallthrough split; undefined when there is none. */
export async function publishedShare(
  baseUrl: string,
  serverKey: string,
  flagKey: string,
  variation: string,
): Promise<number | undefined> {
  const flag = await publishedFlag(baseUrl, serverKey, flagKey);
  return flag?.fallthrough.allocations?.find((a) => a.variation === variation)?.weight;
}

interface ServedAnswer {
  readonly variation: string | null;
  readonly value: unknown;
  readonly reason: string;
}

/**
 * What `/evaluate` serves each unit (its `targetingKey`), in the order given. The API evaluates one context per
 * request, so this is one request per unit; 8 in flight keep the two cores of a CI machine busy without queueing.
 */
export async function servedAnswers(
  baseUrl: string,
  serverKey: string,
  flagKey: string,
  units: readonly string[],
): Promise<ServedAnswer[]> {
  return mapConcurrent(units, 8, async (unit) => {
    const res = await request(baseUrl, 'POST', '/api/v1/evaluate', {
      credential: serverKey,
      body: { context: { targetingKey: unit }, flags: [flagKey] },
    });
    const [result] = (res.json?.results ?? []) as ServedAnswer[];
    if (res.status !== 200 || result === undefined) {
      throw new Error(`/evaluate of ${flagKey} for ${unit}: ${res.status} ${res.text}`);
    }
    return result;
  });
}

/** The units served `variation`. */
export async function unitsServed(
  baseUrl: string,
  serverKey: string,
  flagKey: string,
  variation: string,
  units: readonly string[],
): Promise<Set<string>> {
  const answers = await servedAnswers(baseUrl, serverKey, flagKey, units);
  return new Set(units.filter((_, i) => answers[i]!.variation === variation));
}

/**
 * `served` of `units` is a share of `basisPoints` (of 10 000) give or take `sigmas` standard deviations of the
 * binomial count. At 0 % or 100 % there is no spread: the count must be exact.
 */
export function expectBinomialShare(served: number, units: number, basisPoints: number, sigmas = 5): void {
  const p = basisPoints / 10_000;
  const tolerance = sigmas * Math.sqrt(units * p * (1 - p));
  expect(served).toBeGreaterThanOrEqual(units * p - tolerance);
  expect(served).toBeLessThanOrEqual(units * p + tolerance);
}

import { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { STAGE_NAMES } from '../../lib/config';
import { BASE_ENV_KEYS } from '../../lib/constructs/switchyard-function';
import { deployedVariables, HTTP_ENV, type CapabilityId } from '../../shared/environment';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionRegistration } from '../../shared/functions';
import { resourcesOf, stageOf } from './synth';

/**
 * The environment contract, deployed side: each registered function's synthesized Environment.Variables are the
 * base variables plus exactly the variables of the capabilities its registration lists (shared/functions.ts) —
 * which are exactly what its handler parses (test/unit/environment-contract.test.ts checks that half).
 */
describe.each(STAGE_NAMES)('%s: environment of every registered function', (name) => {
  const { stage, api, config } = stageOf(name);
  const registered = stage.api.registeredFunctions;
  // A stage without a search domain or cache (lib/config.ts footprint) builds no search setup, and leaves the
  // variables of what it lacks unset: the handlers read them as optional (no search sink, no cache).
  const absent: CapabilityId[] = [
    ...(config.footprint.searchDomain ? [] : ['search' as const]),
    ...(config.footprint.rulesetCache ? [] : ['cache' as const]),
  ];
  const builtNames = FUNCTION_NAMES.filter((fn) => fn !== 'search-setup' || config.footprint.searchDomain);
  const functions = resourcesOf(api, 'AWS::Lambda::Function');
  const variablesOf = (logicalId: string): Record<string, unknown> => {
    const fn = functions[logicalId];
    if (fn === undefined) throw new Error(`no function ${logicalId} in the template`);
    return (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  };

  it('builds every registered function, and no function the registry does not know', () => {
    expect(Object.keys(registered).sort()).toEqual([...builtNames].sort());
    const known = new Set(
      Object.values(registered).map((fn) =>
        Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnFunction),
      ),
    );
    const unknown = Object.entries(functions)
      .filter(
        ([, fn]) => !String(fn.Properties!.Description).startsWith('AWS CDK resource provider framework'),
      )
      .map(([id]) => id)
      .filter((id) => !known.has(id));
    expect(unknown).toEqual([]);
  });

  it.each(builtNames)('%s gets the base variables and exactly those of its capabilities', (fnName) => {
    const fn = registered[fnName];
    if (fn === undefined) throw new Error(`${fnName} was not built`);
    const registration: FunctionRegistration = FUNCTIONS[fnName];
    const keys = Object.keys(
      variablesOf(Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnFunction)),
    );
    expect(keys.filter((key) => !BASE_ENV_KEYS.includes(key)).sort()).toEqual(
      deployedVariables(registration.uses.filter((id) => !absent.includes(id))),
    );
    expect(keys).toEqual(expect.arrayContaining([...BASE_ENV_KEYS]));
  });

  it('route-group functions, and only they, get the HTTP settings of the stage', () => {
    for (const fnName of builtNames) {
      const fn = registered[fnName]!;
      const variables = variablesOf(Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnFunction));
      if (FUNCTIONS[fnName].kind === 'http') {
        expect(variables).toMatchObject({
          [HTTP_ENV.corsAllowedOrigins]: config.corsAllowedOrigins.join(','),
          [HTTP_ENV.maxBodyBytes]: String(config.maxBodyBytes),
        });
      } else {
        expect(Object.keys(variables)).not.toContain(HTTP_ENV.maxBodyBytes);
      }
    }
  });
});

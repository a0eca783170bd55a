/**
 * The layering rules of docs/architecture.md, enforced by `npm run lint` (dependency-cruiser):
 *   lambdas/ → shared/<domain> → shared/{db,rules,stats,…};  shared/http is an edge the domain never imports;
 *   lib/ (CDK) never imports handler code; no import cycles anywhere (type-only imports count).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes every module in it load (and change) together: break it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-knows-no-http',
      severity: 'error',
      comment:
        'shared/http is the edge (route table, middy chain, responses): the domain returns domain results and ' +
        'the handler layer maps them to HTTP.',
      from: { path: '^shared/', pathNot: '^shared/http/' },
      to: { path: '^shared/http/' },
    },
    {
      name: 'cdk-imports-no-handlers',
      severity: 'error',
      comment: 'lib/ is infrastructure only: it names handler entries by path, never imports their code.',
      from: { path: '^(lib|bin/app\\.ts)' },
      to: { path: '^lambdas/' },
    },
    {
      name: 'shared-imports-no-outer-layer',
      severity: 'error',
      comment: 'shared/ is what every layer builds on: it cannot import handlers, CDK or the local platform.',
      from: { path: '^shared/' },
      to: { path: '^(lambdas|lib|local|bin)/' },
    },
    {
      name: 'handlers-import-no-other-handler',
      severity: 'error',
      comment: 'Each handler is its own Lambda bundle: what two handlers share belongs in shared/.',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/$1/' },
    },
    {
      name: 'sdk-runs-only-the-engine',
      severity: 'error',
      comment:
        'The SDKs bundle the evaluation engine (shared/rules, its public barrel and what it loads), never the ' +
        'service: no zod, no AWS, no Node. Write-side validation (schema.ts, regex-safety.ts) is not the engine.',
      from: { path: '^sdk/' },
      to: { path: '^(shared/(?!rules/)|shared/rules/(schema|regex-safety)\\.ts|lambdas|lib|local|bin)' },
    },
    {
      name: 'sdk-has-no-runtime-dependencies',
      severity: 'error',
      comment:
        '@switchyard/sdk runs on Node 18+, browsers and edge runtimes with zero runtime dependencies: no npm ' +
        'packages and no Node built-ins in src/ (the OpenFeature provider uses its peer, @openfeature/server-sdk).',
      from: { path: '^sdk/js/src/', pathNot: '^sdk/js/src/openfeature/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'core'],
      },
    },
    {
      name: 'console-bundles-only-pure-shared-code',
      severity: 'error',
      comment:
        'The console (a browser bundle) talks to the public API only: of shared/ it runs the role matrix and the ' +
        'rule language constants, and takes the rest as types (import type), never the service, AWS or Node code.',
      from: { path: '^console/' },
      to: {
        path: '^(shared/|lambdas|lib|local|bin|sdk)',
        pathNot: '^shared/(auth/(roles|permissions)|rules/types)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'only-clients-import-the-sdk',
      severity: 'error',
      comment: 'The platform does not depend on its SDK: only tests, benchmarks and examples use it.',
      from: { path: '^(shared|lambdas|lib|local|bin)/' },
      to: { path: '^sdk/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|coverage)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

/**
 * How every function is bundled for Lambda (NodejsFunction's esbuild options, `format: cjs` besides): the
 * cold-start bench (bench/coldstart.ts) and its size test build the bundles with exactly these settings, so
 * the sizes they check are the sizes deployed. Source maps are external files (`.js.map` beside the bundle,
 * read by `--enable-source-maps` when a stack is printed), never inlined into the code Lambda parses.
 */
export const FUNCTION_BUNDLING = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Prefer ESM entry points so esbuild can tree-shake; @aws-sdk/* stays external (the runtime ships it).
  mainFields: ['module', 'main'],
  externalModules: ['@aws-sdk/*'],
} as const;

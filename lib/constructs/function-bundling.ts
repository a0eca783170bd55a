/**
 * Packages only some invocations load, kept out of the bundles (whose every byte is parsed at cold start) and
 * shipped beside them instead: each is bundled on its own into `node_modules/<name>/index.js` of the function's
 * asset, where `require('<name>')` finds it in Lambda (the bench and the local platform resolve the repository's
 * own node_modules). With CommonJS output esbuild would inline even a dynamic `import()` of them.
 * - `ioredis`: the ruleset cache, loaded with its first call and only when CACHE_URL is set.
 * - the Powertools tracer with the X-Ray SDK (~120 KB, tens of ms to load): loaded only where tracing can be on
 *   (`tracingMiddleware`, shared/observability.ts). `subpaths` are answered by the same file.
 */
export const LAZY_MODULES: readonly LazyModule[] = [
  { name: 'ioredis', subpaths: [] },
  { name: '@aws-lambda-powertools/tracer', subpaths: ['middleware'] },
];

export interface LazyModule {
  readonly name: string;
  /** Subpath imports (`<name>/<subpath>`) the code uses: their exports are merged into the one file. */
  readonly subpaths: readonly string[];
}

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
  externalModules: ['@aws-sdk/*', ...LAZY_MODULES.map((m) => m.name)],
} as const;

/**
 * The entry (CommonJS source) of a lazy module's own bundle: the package itself (its `module.exports` unchanged),
 * or with subpaths, their named exports merged into one object.
 */
export function lazyModuleSource(module: LazyModule): string {
  if (module.subpaths.length === 0) return `module.exports = require(${JSON.stringify(module.name)});`;
  const parts = [module.name, ...module.subpaths.map((s) => `${module.name}/${s}`)];
  return `module.exports = Object.assign({}, ${parts.map((p) => `require(${JSON.stringify(p)})`).join(', ')});`;
}

/** Where a lazy module's files go, relative to the function's output directory. */
export function lazyModuleFiles(module: LazyModule): { main: string; subpaths: Record<string, string> } {
  const dir = `node_modules/${module.name}`;
  return {
    main: `${dir}/index.js`,
    subpaths: Object.fromEntries(
      module.subpaths.map((s) => [`${dir}/${s}.js`, `module.exports = require('./index.js');\n`]),
    ),
  };
}

/** esbuild's options for a lazy module's bundle, as for the functions themselves. */
export const LAZY_MODULE_BUILD = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: FUNCTION_BUNDLING.target,
  minify: FUNCTION_BUNDLING.minify,
  sourcesContent: FUNCTION_BUNDLING.sourcesContent,
  mainFields: [...FUNCTION_BUNDLING.mainFields],
  external: ['@aws-sdk/*'],
} as const;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell commands (NodejsFunction's `afterBundling` hook) that write every lazy module into `outputDir`, run
 * from the project root (`inputDir`) so the packages resolve from its node_modules.
 */
export function lazyModuleCommands(inputDir: string, outputDir: string): string[] {
  return LAZY_MODULES.flatMap((module) => {
    const files = lazyModuleFiles(module);
    const args = [
      '--bundle',
      `--platform=${LAZY_MODULE_BUILD.platform}`,
      `--format=${LAZY_MODULE_BUILD.format}`,
      `--target=${LAZY_MODULE_BUILD.target}`,
      ...(LAZY_MODULE_BUILD.minify ? ['--minify'] : []),
      ...(FUNCTION_BUNDLING.sourceMap ? ['--sourcemap'] : []),
      `--sources-content=${String(LAZY_MODULE_BUILD.sourcesContent)}`,
      `--main-fields=${LAZY_MODULE_BUILD.mainFields.join(',')}`,
      ...LAZY_MODULE_BUILD.external.map((e) => `--external:${e}`),
      '--log-level=error',
      `--outfile=${outputDir}/${files.main}`,
    ];
    return [
      `cd ${shellQuote(inputDir)} && printf '%s' ${shellQuote(lazyModuleSource(module))} | npx --no-install esbuild ${args.map(shellQuote).join(' ')}`,
      ...Object.entries(files.subpaths).map(
        ([file, source]) => `printf '%s' ${shellQuote(source)} > ${shellQuote(`${outputDir}/${file}`)}`,
      ),
    ];
  });
}

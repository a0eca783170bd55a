import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { bundleOptions } from './build';

/**
 * What the provider costs a page, minified and gzipped (level 9), measured on esbuild bundles for browsers:
 * the provider alone (what this package adds to an app that already uses OpenFeature), the OpenFeature web SDK
 * as an app imports it (`OpenFeature` and the event types, with @openfeature/core), and both together.
 * `npm run size --prefix sdk/openfeature-web` prints them; a unit test (test/unit/openfeature-web.test.ts) holds
 * the provider with the SDK to its budget.
 */
export interface SizeReport {
  readonly provider: Size;
  readonly openFeatureWebSdk: Size;
  readonly providerWithSdk: Size;
}

export interface Size {
  readonly minifiedBytes: number;
  readonly gzippedBytes: number;
}

/**
 * The budget, 15 KB (read as 15 KiB) minified and gzipped, for what a page ships to read flags: the
 * provider with the OpenFeature web SDK it needs (`providerWithSdk`), not the provider alone.
 */
export const PAGE_GZIP_BUDGET_BYTES = 15 * 1024;

const SDK_IMPORT = "export { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';";

export async function measureSizes(): Promise<SizeReport> {
  const [provider, openFeatureWebSdk, providerWithSdk] = await Promise.all([
    measure({ entryPoints: bundleOptions.entryPoints, external: bundleOptions.external }),
    measure({ stdin: { contents: SDK_IMPORT, resolveDir: __dirname } }),
    measure({
      stdin: {
        contents: `${SDK_IMPORT}\nexport { SwitchyardWebProvider } from '../src/index';`,
        resolveDir: __dirname,
      },
    }),
  ]);
  return { provider, openFeatureWebSdk, providerWithSdk };
}

async function measure(entry: Parameters<typeof build>[0]): Promise<Size> {
  const result = await build({
    ...entry,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: bundleOptions.target,
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0]!.contents;
  return { minifiedBytes: code.byteLength, gzippedBytes: gzipSync(code, { level: 9 }).byteLength };
}

if (require.main === module) {
  measureSizes().then(
    (report) => console.log(JSON.stringify(report, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/**
 * `tsx bin/openapi.ts [--out FILE] [--lint]`: the OpenAPI document the code generates (the same one
 * `GET /api/v1/openapi.json` serves), written to FILE or stdout; with `--lint`, written to a temporary file
 * and checked by Redocly's recommended rules (redocly.yaml). `npm run lint` runs the latter.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { version } from '../package.json';
import { buildOpenApiDocument } from '../shared/http/openapi';

const { values } = parseArgs({
  options: { out: { type: 'string' }, lint: { type: 'boolean', default: false } },
});
const text = `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`;

if (values.lint) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, text);
  const result = spawnSync(
    process.execPath,
    [
      require.resolve('@redocly/cli/bin/cli.js'),
      'lint',
      file,
      '--config',
      join(__dirname, '..', 'redocly.yaml'),
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Offline and quiet: no telemetry, no update check (both also off under CI=true and in redocly.yaml).
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  rmSync(dir, { recursive: true, force: true });
  if (result.error !== undefined) throw result.error;
  process.exit(result.status ?? 1);
} else if (values.out !== undefined) {
  writeFileSync(values.out, text);
} else {
  process.stdout.write(text);
}

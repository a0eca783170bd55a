/**
 * Issue 17, goal 2: what `GET /api/v1/sdk/ruleset` sends as the flag count grows — the body's size, its gzip size
 * (what API Gateway and the local gateway send to a caller that accepts gzip), and whether it goes inline or by
 * the 302 to a stored copy (over DEFAULT_INLINE_MAX_BYTES). Before goal 2 the body was always inline and
 * uncompressed: past Lambda's 6 MB response limit the download failed.
 */
import { gzipSync } from 'node:zlib';
import { DEFAULT_INLINE_MAX_BYTES } from '../shared/rulesets/objects';
import { buildFlagSpecs, switchyardRuleset } from './engine-workload';

const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
const FLAG_COUNTS = [1_000, 5_000, 10_000, 50_000] as const;

export function benchRulesetDelivery() {
  const rows = FLAG_COUNTS.map((flags) => {
    const body = JSON.stringify(switchyardRuleset(buildFlagSpecs(flags)));
    const bytes = Buffer.byteLength(body);
    const started = process.hrtime.bigint();
    const gzipBytes = gzipSync(body).length;
    const gzipMs = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      flags,
      bytes,
      gzipBytes,
      gzipRatio: Number((bytes / gzipBytes).toFixed(1)),
      gzipMs: Number(gzipMs.toFixed(1)),
      now: bytes > DEFAULT_INLINE_MAX_BYTES ? '302 to a stored copy' : 'inline',
      before: bytes > LAMBDA_RESPONSE_LIMIT_BYTES ? 'fails (over the 6 MB Lambda response limit)' : 'inline',
    };
  });
  return {
    description:
      'ruleset download by flag count (3 rules each, this bench’s workload): bytes, gzip bytes, and how it is sent',
    inlineMaxBytes: DEFAULT_INLINE_MAX_BYTES,
    rows,
  };
}

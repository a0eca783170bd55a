/**
 * What browsers may do cross-origin, in one place for API Gateway's preflight (lib/constructs/switchyard-api.ts),
 * the functions' answers (shared/http/handler.ts) and the local gateway.
 * - Request headers: credentials travel as `Authorization: Bearer …` only (SPEC §3: `X-API-Key` is refused, so it
 *   is not offered), plus the conditional headers of optimistic concurrency and ETag caching.
 * - Exposed response headers: a browser reads a response header only when the actual answer lists it (the
 *   preflight's list is not enough): SDKs in a browser revalidate the ruleset and OFREP bulk answers by ETag,
 *   and clients wait as long as a 429's or a 503's Retry-After says (events sent again after an outage). Every
 *   answer lists them — the functions', API Gateway's own errors and the local gateway's.
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match'] as const;
export const CORS_EXPOSED_HEADERS = ['ETag', 'Retry-After'] as const;
export const CORS_ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The security headers of the web console, one source for both places that serve it: the local gateway
 * (local/console.ts) and CloudFront's response-headers policy in AWS (lib/constructs/console-hosting.ts). No
 * inline script or style, no framing, no sniffing, no referrer. The console calls the API on its own origin
 * (`'self'`); in AWS it also posts the authorization code to the Cognito domain's token endpoint, which the
 * distribution adds as a further `connect-src` source.
 */
export function consoleContentSecurityPolicy(extraConnectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...extraConnectSources].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** `X-Frame-Options` (older browsers; `frame-ancestors 'none'` says the same to the others). */
export const CONSOLE_FRAME_OPTIONS = 'DENY';
export const CONSOLE_REFERRER_POLICY = 'no-referrer';

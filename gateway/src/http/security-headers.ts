import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Response headers for everything express answers (API, console, widget bundle), set by helmet, the kept library
 * for them. The API answers JSON that no page should render or frame: `default-src 'none'`. The console and the
 * demo page replace the CSP with their own (console-static.ts). The fast path (widget calls, Twilio webhooks) adds
 * only `nosniff` itself: it bypasses express, and its answers are read by scripts and Twilio, not rendered.
 */
export function securityHeaders(opts: { readonly hsts: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"] } },
    // Other sites' pages load the widget bundle and the inquiry widget: a same-origin resource policy would block them.
    crossOriginResourcePolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    // Only over TLS (PUBLIC_BASE_URL is https): on plain http a browser ignores it, and pinning a host that an
    // operator reaches on http by IP would lock them out once it moves behind TLS and back.
    strictTransportSecurity: opts.hsts ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  }) as unknown as RequestHandler;
}

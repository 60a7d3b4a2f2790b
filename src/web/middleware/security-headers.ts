import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

export interface SecurityOptions {
  production: boolean;
  /** Extra origins forms may post to (the IdP for SAML POST bindings). */
  formActionOrigins?: string[];
}

/** CSP with a per-request nonce plus the usual hardening headers; no CORS headers are ever sent. */
export function securityHeaders(options: SecurityOptions): MiddlewareHandler<AppEnv> {
  const formAction = ["'self'", ...(options.formActionOrigins ?? [])].join(' ');
  const tail =
    `; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action ${formAction}` +
    `; frame-ancestors 'none'; base-uri 'none'; object-src 'none'` +
    (options.production ? '; upgrade-insecure-requests' : '');
  // Headers are set before the handler runs: Hono merges them into the response it creates, which keeps
  // @hono/node-server on its fast path (touching c.res.headers afterwards forces a full Response object).
  return async (c, next) => {
    c.header(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self' 'nonce-${c.get('nonce')}'${tail}`,
    );
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.production)
      c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
  };
}

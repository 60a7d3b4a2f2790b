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
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    // The CSP matters for documents; JSON and static files skip building it.
    if (
      !h.has('Content-Security-Policy') &&
      (h.get('Content-Type') ?? '').startsWith('text/html')
    ) {
      h.set(
        'Content-Security-Policy',
        `default-src 'self'; script-src 'self' 'nonce-${c.get('nonce')}'${tail}`,
      );
    }
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'same-origin');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.production)
      h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}

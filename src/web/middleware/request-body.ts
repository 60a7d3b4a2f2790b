/**
 * What happens before anything reads a request body, for every route in one place (app.tsx mounts these
 * two middlewares around the session middleware; routes never read a body except through readForm or
 * readBody, which stop at MAX_BODY_BYTES while streaming):
 *
 *  1. `limitBodies` (first): a declared length over the limit → 413 at once; and any answer given while
 *     the body is still arriving closes the connection (politely, see closeAfterAnswer), so Node never
 *     reads the rest of a body nobody wanted.
 *  2. `bodyGate` (after the session is known), for state-changing methods: a request that will be
 *     refused anyway passes through unread — no route for its method and path (→ 404), or a gatekeeper
 *     on its route refuses it (sign-in → 401, admin → 404); then a body whose media type the route does
 *     not accept → 415 unread; then the CSRF token, from the X-CSRF-Token header or else the form.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { actingCsrfToken, tokensMatch } from '../../domain/sessions/sessions.js';
import { AppError } from '../../errors.js';
import { MAX_BODY_BYTES, closeAfterAnswer, hasBody, mediaType, nodeOf, tooLarge } from '../body.js';
import type { AppEnv } from '../env.js';
import { FORM_TYPES, readForm } from '../form.js';

type Ctx = Parameters<MiddlewareHandler<AppEnv>>[0];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Largest declared body left unread that Node may drop to keep the connection (as Go does, smaller). */
const DROP_UNREAD_BYTES = 64 * 1024;
const REFUSES = Symbol('refuses');
const ACCEPTS = Symbol('accepts');

interface Marked {
  [REFUSES]?: (c: Ctx) => boolean;
  [ACCEPTS]?: readonly string[];
}

/**
 * A middleware that refuses some requests outright (sign-in, admin). bodyGate asks `refuses` before it
 * reads anything, and lets such a request through unread to be refused here: the same predicate decides
 * both, so they cannot disagree.
 */
export function gatekeeper(
  refuses: (c: Ctx) => boolean,
  refuse: (c: Ctx) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  const mw: MiddlewareHandler<AppEnv> & Marked = async (c, next) =>
    refuses(c) ? refuse(c) : next();
  mw[REFUSES] = refuses;
  return mw;
}

/**
 * The media types a route accepts for a body (default: FORM_TYPES). Put it before the handler, e.g.
 * `app.post('/api/x', accepts('application/json'), handler)`; other bodies get 415 unread.
 */
export function accepts(...types: string[]): MiddlewareHandler<AppEnv> {
  const mw: MiddlewareHandler<AppEnv> & Marked = async (_c, next) => next();
  mw[ACCEPTS] = types.map((t) => t.toLowerCase());
  return mw;
}

/**
 * The route that will answer this request, as the media types it accepts; null when none will (no
 * handler for the method) or a gatekeeper before its handler refuses the request. Handlers and
 * middlewares come in registration order, which is the order they run in.
 */
function routeOf(c: Ctx): { accepts: readonly string[] } | null {
  const method = c.req.method;
  let types = FORM_TYPES;
  for (const route of matchedRoutes(c)) {
    const marked = route.handler as Marked;
    if (marked[REFUSES]) {
      if (marked[REFUSES](c)) return null;
    } else if (marked[ACCEPTS]) types = marked[ACCEPTS];
    else if (route.method === method) return { accepts: types };
  }
  return null;
}

/** See (1) above. First in the chain; costs two header lookups on a request without a body. */
export const limitBodies: MiddlewareHandler<AppEnv> = async (c, next) => {
  const node = nodeOf(c);
  if (!node) {
    if (Number(c.req.header('content-length')) > MAX_BODY_BYTES) throw tooLarge();
    return next();
  }
  const h = node.incoming.headers;
  const length = h['content-length'];
  if (h['transfer-encoding'] === undefined && (length === undefined || length === '0'))
    return next();
  if (Number(length) > MAX_BODY_BYTES) {
    closeAfterAnswer(c);
    throw tooLarge();
  }
  await next();
  // A body of known, small length that is left unread is dropped by Node after the answer, and the
  // connection kept (the answer can even come before Node has parsed a body that arrived with the
  // request head). Anything else still arriving: close.
  if (!node.incoming.complete && !(Number(length) <= DROP_UNREAD_BYTES)) closeAfterAnswer(c);
};

export interface BodyGateOptions {
  /** Paths that accept cross-site POSTs authenticated by other means (the SAML ACS). */
  csrfExempt?: (path: string) => boolean;
}

/**
 * "Stop impersonating" pressed twice, or in a second tab after the first stopped: the banner's token
 * was derived for the user acted as (actingCsrfToken), which the session no longer is. Stopping is
 * idempotent, so that token (still tied to this session's own secret) is accepted for it alone.
 */
function staleStop(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  given: string | undefined,
  form: Record<string, unknown>,
): boolean {
  const session = c.get('session');
  const as = typeof form._as === 'string' && /^[1-9][0-9]{0,15}$/.test(form._as) ? form._as : null;
  return (
    c.req.path === '/admin/impersonation/stop' &&
    session !== null &&
    as !== null &&
    tokensMatch(given, actingCsrfToken(session.row.csrf_token, Number(as)))
  );
}

/** See (2) above. After the session middleware (gatekeepers and the CSRF token need the session). */
export function bodyGate(options: BodyGateOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const route = routeOf(c);
    if (!route) return next();
    if (hasBody(c) && !route.accepts.includes(mediaType(c)))
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'This page only accepts a submitted form. Go back, reload the page and try again.',
      );
    if (options.csrfExempt?.(c.req.path)) return next();
    let given = c.req.header('x-csrf-token');
    let form: Record<string, unknown> = {};
    if (!given) {
      form = await readForm(c); // {} for a body that is not a form
      given = typeof form._csrf === 'string' ? form._csrf : undefined;
    }
    if (!tokensMatch(given, c.get('csrfToken')) && !staleStop(c, given, form)) {
      c.get('log').warn({ path: c.req.path, method: c.req.method }, 'CSRF token missing or wrong');
      return c.text(
        'Forbidden: this form has expired or did not come from this site. Reload the page and try again.',
        403,
      );
    }
    return next();
  };
}

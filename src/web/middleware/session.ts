/**
 * Session middleware. Every request gets c.var.session (or null) and c.var.csrfToken: the session's
 * token when signed in, else a signed anonymous token kept in its own cookie. Every state-changing
 * request must echo the token (form field `_csrf` or header `X-CSRF-Token`); bodyGate
 * (./request-body.ts) checks it once it knows the request is not refused anyway.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../ports/clock.js';
import { AppError } from '../../errors.js';
import {
  type ActiveSession,
  randomToken,
  resolveSession,
  signValue,
  unsignValue,
} from '../../domain/sessions/sessions.js';
import type { AppEnv } from '../env.js';
import { gatekeeper } from './request-body.js';

export const SESSION_COOKIE = '__session';
export const ANON_CSRF_COOKIE = '__csrf';

export interface SessionMiddlewareOptions {
  config: Pick<Config, 'sessionSecret' | 'session'>;
  db: Db;
  clock: Clock;
}

export function sessionCookieOptions(config: Pick<Config, 'session'>) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: config.session.secureCookie,
  };
}

export function sessionMiddleware(options: SessionMiddlewareOptions): MiddlewareHandler<AppEnv> {
  const { config, db, clock } = options;
  const policy = {
    secret: config.sessionSecret,
    idleTimeoutMs: config.session.idleTimeoutMs,
    absoluteTimeoutMs: config.session.absoluteTimeoutMs,
  };
  return async (c, next) => {
    // Every response from here on may carry this visitor's session data or CSRF token (every page has
    // one, signed in or not) and may set a cookie: no cache, shared or private, may keep it. Set before
    // the handler runs, so the response keeps @hono/node-server's fast path; a handler may override it.
    c.header('Cache-Control', 'no-store');
    const session = await resolveSession(
      db,
      policy,
      getCookie(c, SESSION_COOKIE),
      clock.now(),
      c.get('requestId') ?? null,
    );
    c.set('session', session);
    let csrfToken = session?.csrfToken;
    if (!csrfToken) {
      csrfToken = unsignValue(config.sessionSecret, getCookie(c, ANON_CSRF_COOKIE)) ?? undefined;
      if (!csrfToken) {
        csrfToken = randomToken(24);
        setCookie(
          c,
          ANON_CSRF_COOKIE,
          signValue(config.sessionSecret, csrfToken),
          sessionCookieOptions(config),
        );
      }
    }
    c.set('csrfToken', csrfToken);
    // The request of an impersonation that just ended is refused before its body is read.
    if (session?.impersonationEnded) return impersonationEnded(c, session.impersonationEnded);
    return next();
  };
}

/**
 * The request of an impersonation that just ended (the target became an admin, was suspended or
 * deleted, or the admin lost the role) is not carried out: it was meant for the other account. The
 * admin goes to a page that says why; someone who is no longer an admin gets the message itself.
 */
function impersonationEnded(
  c: Context<AppEnv>,
  ended: NonNullable<ActiveSession['impersonationEnded']>,
): Response {
  if (ended.reason === 'not-admin') {
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', '/');
      return c.body(null, 204);
    }
    throw new AppError(
      'CONFLICT',
      'Impersonation ended because your account is no longer an admin. Your last request was not carried out.',
    );
  }
  const to =
    ended.reason === 'target-deleted' || ended.userId === null
      ? '/admin?done=impersonation-ended'
      : `/admin/users/${ended.userId}?done=impersonation-ended-${ended.reason === 'target-admin' ? 'admin' : 'suspended'}`;
  if (c.req.header('hx-request')) {
    c.header('HX-Redirect', to);
    return c.body(null, 204);
  }
  return c.redirect(to, 303);
}

/**
 * Signed-in pages: anonymous GETs go to /login?redirectTo=…, other anonymous requests get 401 (their
 * body unread: see gatekeeper).
 */
export const requireUser = gatekeeper(
  (c) => !c.get('session'),
  (c) => {
    const url = new URL(c.req.url);
    const target = `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`;
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', target);
      return c.body(null, 401);
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return c.redirect(target, 302);
    return c.text('Unauthorized: sign in first.', 401);
  },
);

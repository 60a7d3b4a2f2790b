/**
 * Binds a started sign-in to the browser that started it (issue 16: login CSRF). POST /login puts the
 * AuthnRequest id in a short-lived cookie signed with SESSION_SECRET; the ACS accepts only a response
 * to one of the ids this browser holds. Without it, a SAMLResponse obtained in one browser (say, the
 * attacker's, for the attacker's account) signed in any other browser that posted it.
 *
 * One cookie per pending sign-in, so tabs (or a double-clicked Sign In button) that start at the same
 * moment never overwrite each other's id; at most MAX_PENDING_SIGN_INS are kept, the oldest dropped.
 *
 * The IdP returns with a cross-site POST (Entra ID), which carries only SameSite=None cookies, so with
 * an https APP_URL the cookie is `__Host-signin-…; Secure; SameSite=None; Path=/`. The `__Host-` prefix
 * matters here: users publish their own sites under subdomains of the root domain, and a cookie set for
 * a parent domain by one of those ("cookie tossing") could otherwise plant the attacker's pending id.
 * Browsers refuse SameSite=None without Secure, so with an http APP_URL (local development) the cookie
 * is `__signin-…; SameSite=Lax; Path=/login`: the development IdP posts from the same origin and
 * SimpleSAMLphp on another localhost port is same-site, and both carry Lax cookies.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config.js';
import { signValue, unsignValue } from '../domain/sessions/sessions.js';
import type { Clock } from '../ports/clock.js';
import { SIGN_IN_TTL_MS } from '../ports/identity-provider.js';
import type { AppEnv } from './env.js';

export const MAX_PENDING_SIGN_INS = 8;
const PURPOSE = 'signin';

interface Pending {
  cookieName: string;
  requestId: string;
  expiresAt: number;
}

export interface SignInBinding {
  /** Name prefix of the cookies (differs between https and http APP_URLs). */
  readonly cookiePrefix: string;
  /** Request ids this browser started that have not expired (signatures checked). */
  pending(c: Context<AppEnv>): string[];
  /** Remember that this browser started `requestId`; drops expired, forged and the oldest entries. */
  remember(c: Context<AppEnv>, requestId: string): void;
  /** Forget an answered request id. */
  forget(c: Context<AppEnv>, requestId: string): void;
  /** The cookie (name and value) that binds `requestId`, as `remember` would set it (tests). */
  cookieFor(requestId: string, now: number): { name: string; value: string };
}

export function signInBinding(
  config: Pick<Config, 'appUrl' | 'sessionSecret'>,
  clock: Clock,
): SignInBinding {
  const secure = new URL(config.appUrl).protocol === 'https:';
  const cookiePrefix = secure ? '__Host-signin-' : '__signin-';
  const options = secure
    ? { path: '/', secure: true, httpOnly: true, sameSite: 'None' as const }
    : { path: '/login', secure: false, httpOnly: true, sameSite: 'Lax' as const };
  const nameFor = (requestId: string) =>
    cookiePrefix + createHash('sha256').update(requestId).digest('base64url').slice(0, 16);
  const valueFor = (requestId: string, expiresAt: number) =>
    signValue(
      config.sessionSecret,
      `${PURPOSE}.${Buffer.from(requestId).toString('base64url')}.${expiresAt.toString(36)}`,
    );

  /** Every binding cookie of the request; invalid or expired ones come back with requestId ''. */
  const read = (c: Context<AppEnv>): Pending[] => {
    const now = clock.now();
    const out: Pending[] = [];
    for (const [cookieName, value] of Object.entries(getCookie(c))) {
      if (!cookieName.startsWith(cookiePrefix)) continue;
      const parts = unsignValue(config.sessionSecret, value)?.split('.') ?? [];
      const requestId =
        parts.length === 3 && parts[0] === PURPOSE
          ? Buffer.from(parts[1]!, 'base64url').toString()
          : '';
      const expiresAt = parseInt(parts[2] ?? '', 36);
      const valid =
        requestId !== '' &&
        nameFor(requestId) === cookieName &&
        expiresAt > now &&
        expiresAt <= now + SIGN_IN_TTL_MS;
      out.push({ cookieName, requestId: valid ? requestId : '', expiresAt: valid ? expiresAt : 0 });
    }
    return out;
  };
  const drop = (c: Context<AppEnv>, cookieName: string) => deleteCookie(c, cookieName, options);

  return {
    cookiePrefix,
    pending: (c) =>
      read(c)
        .map((p) => p.requestId)
        .filter(Boolean),
    remember(c, requestId) {
      const now = clock.now();
      const all = read(c);
      for (const p of all) if (p.requestId === '') drop(c, p.cookieName);
      const kept = all.filter((p) => p.requestId !== '').sort((a, b) => b.expiresAt - a.expiresAt);
      for (const old of kept.slice(MAX_PENDING_SIGN_INS - 1)) drop(c, old.cookieName);
      const expiresAt = now + SIGN_IN_TTL_MS;
      setCookie(c, nameFor(requestId), valueFor(requestId, expiresAt), {
        ...options,
        maxAge: Math.floor(SIGN_IN_TTL_MS / 1000),
      });
    },
    forget(c, requestId) {
      drop(c, nameFor(requestId));
    },
    cookieFor: (requestId, now) => ({
      name: nameFor(requestId),
      value: valueFor(requestId, now + SIGN_IN_TTL_MS),
    }),
  };
}

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * Sign-in and sign-out: GET/POST /login, the ACS POST /login/callback, GET/POST /logout (two steps, as
 * the original: end the local session, then optionally the IdP's), /logout/callback and SP metadata /sp.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Container } from '../../container.js';
import { destroySession, signValue, unsignValue } from '../../domain/sessions/sessions.js';
import { SignInRefused, signInWithSamlResponse } from '../../domain/users/sign-in.js';
import { SignInRejected } from '../../ports/identity-provider.js';
import type { AppEnv } from '../env.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../middleware/session.js';
import { type PageShell, renderPage } from '../render.js';
import { safeRedirectPath } from '../safe-redirect.js';
import { signInBinding } from '../sign-in-binding.js';
import {
  AccountSuspended,
  LoggedOutPage,
  LoginPage,
  SignInFailed,
  SignInNotStartedHere,
  SignedOutEverywhere,
} from '../views/auth.js';
import { readFormStrings } from '../form.js';

export const SLO_COOKIE = '__slo';

const REJECTION_MESSAGES: Record<SignInRejected['kind'], string> = {
  invalid:
    'The answer from the identity provider could not be verified, so you were not signed in.',
  replay: 'This sign-in answer was already used. Sign in again to get a fresh one.',
  unsolicited:
    'This sign-in answer does not belong to a sign-in started here, or it took too long. Start again from the sign-in page.',
  expired: 'This sign-in answer has expired. Sign in again.',
  'idp-error': 'The identity provider reported an error and did not sign you in.',
  'other-browser': 'This sign-in was not started in this browser, so you were not signed in.',
};

interface SloInfo {
  name: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
}

export function authRoutes(container: Container, shell: PageShell): Hono<AppEnv> {
  const { config, identityProvider: idp } = container;
  const db = container.dbh.db;
  const binding = signInBinding(config, container.clock);
  const app = new Hono<AppEnv>();

  const failed = (c: Context<AppEnv>, status: 400 | 403, reason: string, message: string) => {
    c.get('log').warn({ reason, path: c.req.path }, 'sign-in failed');
    return renderPage(
      c,
      shell,
      'Sign-in failed',
      <SignInFailed message={message} requestId={c.get('requestId')} />,
      status,
    );
  };
  const unsafeRedirect = (c: Context<AppEnv>, target: string) =>
    failed(
      c,
      400,
      `unsafe redirect target ${JSON.stringify(target.slice(0, 200))}`,
      'The address you were to be sent to after signing in is not on this site, so sign-in was stopped.',
    );

  app.get('/sp', (c) =>
    c.body(idp.spMetadataXml(), 200, { 'Content-Type': 'application/samlmetadata+xml' }),
  );

  app.get('/login', (c) => {
    const requested = c.req.query('redirectTo') ?? '/';
    const redirectTo = safeRedirectPath(requested, config.appUrl);
    if (redirectTo === null) return unsafeRedirect(c, requested);
    if (c.get('session')) return c.redirect(redirectTo, 302);
    return renderPage(
      c,
      shell,
      'Sign In',
      <LoginPage
        productName={config.productName}
        csrfToken={c.get('csrfToken')}
        redirectTo={redirectTo}
        devIdp={container.devIdp !== null}
      />,
    );
  });

  app.post('/login', async (c) => {
    const form = await readFormStrings(c);
    const requested = form.redirectTo ?? c.req.query('redirectTo') ?? '/';
    const redirectTo = safeRedirectPath(requested, config.appUrl);
    if (redirectTo === null) return unsafeRedirect(c, requested);
    if (c.get('session')) return c.redirect(redirectTo, 303);
    const { url, requestId } = await idp.startLogin(redirectTo);
    binding.remember(c, requestId);
    return c.redirect(url, 303);
  });

  app.get('/login/callback', (c) => c.redirect('/', 302));

  // The ACS. CSRF-exempt: the IdP's signed, one-time, solicited response is the authentication.
  app.post('/login/callback', async (c) => {
    const form = await readFormStrings(c);
    const relayState = form.RelayState ?? '/';
    const redirectTo = safeRedirectPath(relayState, config.appUrl);
    if (redirectTo === null) return unsafeRedirect(c, relayState);
    try {
      const started = performance.now();
      const { user, cookie, answered } = await signInWithSamlResponse(
        { db, clock: container.clock, idp, config },
        form,
        {
          requestId: c.get('requestId'),
          previousSessionId: c.get('session')?.id ?? null,
          startedHere: binding.pending(c),
        },
      );
      binding.forget(c, answered);
      setCookie(c, SESSION_COOKIE, cookie, sessionCookieOptions(config));
      c.get('log').info(
        {
          userId: user.id,
          username: user.username,
          role: user.role,
          acsMs: Math.round((performance.now() - started) * 10) / 10,
        },
        'signed in',
      );
      return c.redirect(redirectTo, 302);
    } catch (err) {
      if (err instanceof SignInRejected && err.kind === 'other-browser') {
        c.get('log').warn(
          { reason: err.reason, path: c.req.path },
          'sign-in failed: other browser',
        );
        return renderPage(
          c,
          shell,
          'Sign in again',
          <SignInNotStartedHere
            productName={config.productName}
            idpName={idp.displayName}
            csrfToken={c.get('csrfToken')}
            redirectTo={redirectTo}
            requestId={c.get('requestId')}
          />,
          400,
        );
      }
      if (err instanceof SignInRejected)
        return failed(c, 400, `${err.kind}: ${err.reason}`, REJECTION_MESSAGES[err.kind]);
      if (err instanceof SignInRefused && err.code === 'suspended') {
        c.get('log').warn(
          { reason: `refused suspended (${err.username ?? '-'})`, path: c.req.path },
          'sign-in failed',
        );
        return renderPage(
          c,
          shell,
          'Account suspended',
          <AccountSuspended
            productName={config.productName}
            contact={config.supportContact}
            requestId={c.get('requestId')}
          />,
          403,
        );
      }
      if (err instanceof SignInRefused)
        return failed(
          c,
          403,
          `refused ${err.code} (${err.username ?? '-'})${err.detail ? `: ${err.detail}` : ''}`,
          err.message,
        );
      throw err;
    }
  });

  const sloCookieOptions = {
    path: '/logout',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: config.session.secureCookie,
    maxAge: 3600,
  };
  const readSlo = (c: Context<AppEnv>): SloInfo | null => {
    const raw = unsignValue(config.sessionSecret, getCookie(c, SLO_COOKIE));
    if (!raw) return null;
    try {
      return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as SloInfo;
    } catch {
      return null;
    }
  };

  app.post('/logout', async (c) => {
    const session = c.get('session');
    if (session) {
      // Step one: end the local session; remember (signed, one hour) what single logout needs.
      await destroySession(db, session.id);
      deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(config));
      const row = session.row;
      const info: SloInfo = {
        name: session.user.display_name,
        nameId: row.idp_name_id ?? '',
        nameIdFormat: row.idp_name_id_format,
        sessionIndex: row.idp_session_index,
      };
      setCookie(
        c,
        SLO_COOKIE,
        signValue(config.sessionSecret, Buffer.from(JSON.stringify(info)).toString('base64url')),
        sloCookieOptions,
      );
      c.get('log').info(
        { userId: session.user.id, impersonating: session.impersonating },
        'signed out',
      );
      return c.redirect('/logout', 303);
    }
    // Step two (optional): ask the IdP to end its session too.
    const form = await readFormStrings(c);
    const slo = readSlo(c);
    deleteCookie(c, SLO_COOKIE, { path: '/logout' });
    if (form.everywhere === '1' && slo?.nameId) {
      const url = await idp.logoutUrl(
        { nameId: slo.nameId, nameIdFormat: slo.nameIdFormat, sessionIndex: slo.sessionIndex },
        '/login',
      );
      if (url) return c.redirect(url, 303);
    }
    return c.redirect('/login', 303);
  });

  app.get('/logout', (c) => {
    if (c.get('session')) return c.redirect('/', 302);
    const slo = readSlo(c);
    if (!slo) return c.redirect('/login', 302);
    return renderPage(
      c,
      shell,
      'Signed out',
      <LoggedOutPage
        productName={config.productName}
        name={slo.name}
        idpName={idp.displayName}
        canSingleLogout={idp.supportsSingleLogout && slo.nameId !== ''}
        csrfToken={c.get('csrfToken')}
      />,
    );
  });

  const logoutCallback = async (c: Context<AppEnv>, message: Record<string, string>) => {
    const rawQuery = c.req.method === 'GET' ? new URL(c.req.url).search.replace(/^\?/, '') : null;
    try {
      await idp.verifyLogoutResponse(message, rawQuery);
      return renderPage(
        c,
        shell,
        'Signed out everywhere',
        <SignedOutEverywhere idpName={idp.displayName} />,
      );
    } catch (err) {
      if (!(err instanceof SignInRejected)) throw err;
      c.get('log').warn({ reason: `${err.kind}: ${err.reason}` }, 'logout response rejected');
      return renderPage(
        c,
        shell,
        'Sign-out not confirmed',
        <SignInFailed
          message={`You are signed out of ${config.productName}, but the identity provider's sign-out answer could not be verified. Close your browser to end that session.`}
          requestId={c.get('requestId')}
        />,
        400,
      );
    }
  };
  app.get('/logout/callback', (c) => logoutCallback(c, c.req.query()));
  app.post('/logout/callback', async (c) => logoutCallback(c, await readFormStrings(c)));

  return app;
}

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from './jsx/runtime.js';
/**
 * createApp(container) → Hono app. Thin edges: routes parse input, check permission, call one domain
 * function, render. Errors with codes become their status; anything else is logged and shown as a 500.
 */
import { Hono } from 'hono';
import type { Container } from '../container.js';
import { isAppError } from '../errors.js';
import type { AppEnv } from './env.js';
import { apiDocsRoutes } from './api/docs.js';
import { apiRoutes } from './api/routes.js';
import { compression, sendAsset } from './middleware/compression.js';
import { requestContext } from './middleware/request-context.js';
import { bodyGate, limitBodies } from './middleware/request-body.js';
import { securityHeaders } from './middleware/security-headers.js';
import { sessionMiddleware } from './middleware/session.js';
import { type PageShell, renderPage } from './render.js';
import { devMailboxRoutes } from './routes/dev-mailbox.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { devIdpRoutes } from './routes/dev-idp.js';
import { dnsRecordRoutes } from './routes/dns-records.js';
import { acmeDnsRoutes } from './routes/acme-dns.js';
import { dyndns2Routes } from './routes/dyndns2.js';
import { certificateRoutes } from './routes/certificate.js';
import { healthRoutes } from './routes/health.js';
import { homeRoutes } from './routes/home.js';
import { namespaceRoutes } from './routes/namespaces.js';
import { tokenRoutes } from './routes/tokens.js';
import { ROOT_ICONS, loadAssets } from './static/assets.js';
import { ImpersonationBanner, SiteHeader } from './views/chrome.js';
import { ErrorBody } from './views/error-page.js';
import { recordCheckRoutes } from './routes/record-check.js';

export interface WebApp {
  app: Hono<AppEnv>;
  shell: PageShell;
}

export function createApp(container: Container): WebApp {
  const { config, logger } = container;
  const assets = loadAssets(config.productName);
  const shell: PageShell = {
    productName: config.productName,
    assets: assets.byName,
    footerLinks: config.footerLinks.map((l) => ({ href: l.href, label: l.label })),
    footer: {
      acceptableUsePolicyUrl: config.footer.acceptableUsePolicyUrl,
      copyright: () =>
        config.footer.copyrightNotice.replaceAll(
          '{year}',
          String(new Date(container.clock.now()).getUTCFullYear()),
        ),
      // The mailbox is mounted outside production only (below), so it is linked only there.
      devMailbox: !config.isProduction,
    },
    chrome: (c) => {
      const session = c.get('session') ?? null;
      if (!session) return {};
      return {
        header: <SiteHeader session={session} csrfToken={c.get('csrfToken')} path={c.req.path} />,
        banner: session.impersonating ? (
          <ImpersonationBanner session={session} csrfToken={c.get('csrfToken')} />
        ) : undefined,
      };
    },
  };
  const app = new Hono<AppEnv>();

  app.use('*', requestContext(logger));
  app.use(
    '*',
    securityHeaders({
      production: config.isProduction,
      // POST /login redirects the form submission to the IdP; browsers apply form-action to that hop.
      formActionOrigins: container.identityProvider.origins,
    }),
  );

  app.route('/api/v1', apiRoutes(container)); // bearer tokens only: before sessions, CSRF and compression

  // Before anything can read a body: the size limit, and closing connections whose body goes unread.
  app.use('*', limitBodies);

  // Trailing-slash normaliser (as the original): /a/ → /a, query kept.
  app.use('*', async (c, next) => {
    // c.req.path is cheap; the full URL is only parsed for the rare path that needs a redirect.
    if (c.req.path.length <= 1 || !c.req.path.endsWith('/')) return next();
    const url = new URL(c.req.url);
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      return c.redirect(url.pathname.replace(/\/+$/, '').replace(/\/{2,}/g, '/') + url.search, 301);
    }
    return next();
  });

  app.get('/static/:hash/:name', (c) => {
    const asset = assets.byUrl.get(c.req.path);
    if (!asset) return c.text('Not found', 404);
    return sendAsset(c, asset, 'public, max-age=31536000, immutable');
  });
  for (const [route, name] of Object.entries(ROOT_ICONS)) {
    const asset = assets.byName[name]!;
    // Not fingerprinted, so a day rather than a year: a new icon reaches browsers by tomorrow.
    app.get(route, (c) => sendAsset(c, asset, 'public, max-age=86400'));
  }
  app.route('/', healthRoutes(container));
  // Update protocols (token-authenticated, no cookies): before sessions and CSRF, which they never use.
  app.route('/', dyndns2Routes(container));
  app.route('/', acmeDnsRoutes(container));

  app.use('*', compression(1024));
  app.use('*', sessionMiddleware({ config, db: container.dbh.db, clock: container.clock }));
  // Requests refused anyway pass unread; then 415 for bodies routes do not accept; then CSRF.
  app.use(
    '*',
    bodyGate({ csrfExempt: (path) => path === '/login/callback' || path === '/logout/callback' }),
  );
  if (!config.isProduction) app.route('/', devMailboxRoutes(container, shell));
  app.route('/', authRoutes(container, shell));
  if (container.devIdp && !config.isProduction) app.route('/', devIdpRoutes(container, shell));
  app.route('/', homeRoutes(container, shell));
  app.route('/', dnsRecordRoutes(container, shell));
  app.route('/', recordCheckRoutes(container, shell));
  app.route('/', adminRoutes(container, shell));
  app.route('/', certificateRoutes(container, shell));
  app.route('/', apiDocsRoutes(container, shell));
  app.route('/', tokenRoutes(container, shell));
  app.route('/', namespaceRoutes(container, shell));

  app.notFound((c) =>
    renderPage(
      c,
      shell,
      'Not found',
      <ErrorBody status={404} requestId={c.get('requestId')} />,
      404,
    ),
  );
  app.onError((err, c) => {
    if (isAppError(err)) {
      return renderPage(
        c,
        shell,
        'Error',
        <ErrorBody status={err.status} message={err.message} requestId={c.get('requestId')} />,
        err.status,
      );
    }
    (c.get('log') ?? logger).error({ err, path: c.req.path }, 'unhandled error');
    return renderPage(
      c,
      shell,
      'Error',
      <ErrorBody status={500} requestId={c.get('requestId') ?? '-'} />,
      500,
    );
  });
  return { app, shell };
}

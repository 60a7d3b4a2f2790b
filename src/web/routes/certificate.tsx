/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * /certificate pages (paths kept from the original). Everything acts on the session's effective user;
 * another user's certificate is never reachable. Forms are plain POST → redirect; htmx only polls the
 * pending status.
 */
import { type Context, Hono } from 'hono';
import type { Container } from '../../container.js';
import {
  type CertificateOverview,
  type CertificatePart,
  PARTS,
  deleteCertificate,
  getCertificateOverview,
  getCertificatePart,
  isWhich,
  requestCertificate,
} from '../../domain/certificates/certificates.js';
import type { CertificateDeps } from '../../domain/certificates/issuance.js';
import { queuePlace } from '../../domain/certificates/queue.js';
import { expectedLifetimeMs } from '../../domain/certificates/profiles.js';
import type { Actor } from '../../domain/dns-records/dns-records.js';
import { certificatePfx } from '../certificate-pfx.js';
import { AppError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderConfirmation, renderPage } from '../render.js';
import { InformationPage } from '../views/certificate/information.js';
import {
  CertificatePage,
  ConfirmDeletePage,
  ConfirmRenewPage,
  PendingStatus,
  lifetimeWords,
} from '../views/certificate/page.js';
import { readForm } from '../form.js';

type Ctx = Context<AppEnv>;

/**
 * The message after a redirect, said once: while the request is pending or failed, its own box
 * says what is happening, so the flash stays silent.
 */
export function noticeFor(done: string | undefined, o: CertificateOverview): string | null {
  if (done === 'deleted') return 'Certificate deleted and revoked.';
  if (done !== 'requested' || o.request) return null;
  return o.current ? 'Your certificate is ready.' : null;
}

/** Who issues the certificates, as the pages name it ("Let's Encrypt" only when it is). */
export function caDisplayName(kind: string, directoryUrl: string | null): string {
  if (kind === 'local-dev') return 'The development certificate authority';
  if (/acme-staging[^/]*\.api\.letsencrypt\.org/i.test(directoryUrl ?? ''))
    return "Let's Encrypt (staging)";
  if (/\.letsencrypt\.org/i.test(directoryUrl ?? '')) return "Let's Encrypt";
  return 'The certificate authority';
}

export function certificateRoutes(container: Container, shell: PageShell) {
  const { config } = container;
  const deps: CertificateDeps = {
    db: container.dbh.db,
    config,
    clock: container.clock,
    queue: container.queue,
    logger: container.logger,
    ca: container.ca,
    dnsChecker: container.dnsChecker,
    dns: container.dns,
    mailer: container.mailer,
  };
  const app = new Hono<AppEnv>();
  app.use('/certificate', requireUser);
  app.use('/certificate/*', requireUser);

  const owner = (c: Ctx) => c.get('session')!.effectiveUser;
  const actor = (c: Ctx): Actor => {
    const s = c.get('session')!;
    return { user: s.user, effectiveUser: s.effectiveUser, requestId: c.get('requestId') };
  };
  // Private keys are decrypted only for their owner, never for an admin acting as them.
  const impersonating = (c: Ctx) => c.get('session')!.impersonating;
  const devRoot = () => container.ca.kind === 'local-dev';
  // Named only when it is certain: the development CA is never called Let's Encrypt, whatever
  // LETS_ENCRYPT_DIRECTORY_URL says.
  const caName = caDisplayName(container.ca.kind, config.acme.directoryUrl);
  /** `?which=previous` names the certificate the current one replaced (while it is still valid). */
  const which = (c: Ctx) => {
    const w = c.req.query('which') ?? 'current';
    if (!isWhich(w))
      throw new AppError('INVALID_INPUT', 'Unknown certificate: use current or previous.');
    return w;
  };
  // Downloads are recorded for the owner's own hand installs; an admin acting as them installs nothing.
  const via = (c: Ctx) => (impersonating(c) ? undefined : ('page' as const));

  const placeOf = (overview: Awaited<ReturnType<typeof getCertificateOverview>>) =>
    overview.request?.status === 'pending' && overview.request.order_sent_at === null
      ? queuePlace(deps, overview.request.id)
      : null;

  const page = async (c: Ctx, error: string | null = null, status = 200) => {
    const overview = await getCertificateOverview(deps, owner(c));
    const queue = await placeOf(overview);
    let parts: Record<CertificatePart, string> | null = null;
    if (overview.current) {
      parts = {} as Record<CertificatePart, string>;
      for (const p of PARTS)
        parts[p] =
          p === 'privateKey' && (impersonating(c) || !overview.keyAvailable)
            ? ''
            : (await getCertificatePart(deps, owner(c), p)).body;
    }
    c.header('Cache-Control', 'no-store');
    return renderPage(
      c,
      shell,
      'Certificate',
      <CertificatePage
        overview={overview}
        queue={queue}
        parts={parts}
        csrf={c.get('csrfToken')}
        notice={noticeFor(c.req.query('done'), overview)}
        error={error}
        devRoot={devRoot()}
        showKeys={!impersonating(c)}
        caName={caName}
        expectedLifetimeMs={expectedLifetimeMs(config.acme.profile, container.clock.now())}
        now={container.clock.now()}
      />,
      status,
    );
  };

  app.get('/certificate', (c) => page(c));

  app.get('/certificate/status', async (c) => {
    const overview = await getCertificateOverview(deps, owner(c));
    if (overview.request?.status === 'pending')
      return c.html(
        <PendingStatus
          request={overview.request}
          queue={await placeOf(overview)}
          now={deps.clock.now()}
        />,
      );
    // Finished: reload the whole page (htmx), or send a plain visitor there.
    if (c.req.header('hx-request') === 'true') {
      c.header('HX-Redirect', '/certificate');
      return c.body(null, 204);
    }
    return c.redirect('/certificate', 303);
  });

  /**
   * Asking before a renewal (it orders a new certificate and spends from the issuance budget): the
   * page, or its question in app.js's <dialog>. Nothing to ask while there is no certificate, a
   * request is already on its way, or it is not renewable yet: back to the certificate page, which
   * says so.
   */
  const renewPage = async (c: Ctx) => {
    const overview = await getCertificateOverview(deps, owner(c));
    if (!overview.current || overview.request?.status === 'pending' || !overview.renewable)
      return c.redirect('/certificate', 303);
    return renderConfirmation(
      c,
      shell,
      overview.keyAvailable ? 'Renew certificate' : 'Request a new certificate',
      (dialog) => (
        <ConfirmRenewPage
          overview={overview}
          csrf={c.get('csrfToken')}
          caName={caName}
          now={container.clock.now()}
          dialog={dialog}
        />
      ),
    );
  };
  app.get('/certificate/renew', renewPage);

  app.post('/certificate', async (c) => {
    const body = await readForm(c);
    const intent = typeof body.intent === 'string' ? body.intent : 'request';
    if (intent !== 'request' && intent !== 'renew')
      throw new AppError('INVALID_INPUT', 'Unknown action.');
    // Replacing a certificate that exists is a renewal, whatever the form said: it is confirmed
    // first (confirm=yes from the confirmation page). Without it: the question, nothing ordered. A
    // certificate that is not renewable yet goes on to requestCertificate, which says from when.
    if (body.confirm !== 'yes') {
      const overview = await getCertificateOverview(deps, owner(c));
      if (overview.current && overview.renewable && overview.request?.status !== 'pending')
        return renewPage(c);
    }
    try {
      await requestCertificate(deps, actor(c), owner(c));
    } catch (e) {
      if (e instanceof AppError && e.code === 'CONFLICT') return page(c, e.message, 409);
      throw e;
    }
    return c.redirect('/certificate?done=requested', 303);
  });

  app.get('/certificate/delete', async (c) => {
    const overview = await getCertificateOverview(deps, owner(c));
    if (!overview.current)
      throw new AppError('NOT_FOUND', 'Sorry, we could not find your certificate.');
    return renderPage(
      c,
      shell,
      'Delete certificate',
      <ConfirmDeletePage domain={overview.domain} csrf={c.get('csrfToken')} />,
    );
  });

  app.post('/certificate/delete', async (c) => {
    const body = await readForm(c);
    if (body.confirm !== 'yes') {
      // Without JavaScript there was no confirmation dialog: ask on a page first.
      return c.redirect('/certificate/delete', 303);
    }
    try {
      await deleteCertificate(deps, actor(c), owner(c));
    } catch (e) {
      if (e instanceof AppError && (e.code === 'CONFLICT' || e.code === 'UPSTREAM_UNAVAILABLE'))
        return page(c, e.message, e.status);
      throw e;
    }
    return c.redirect('/certificate?done=deleted', 303);
  });

  app.get('/certificate/download/pfx', async (c) => {
    if (impersonating(c))
      throw new AppError('FORBIDDEN', 'Private keys are shown only to their owner.');
    const pfx = await certificatePfx(deps, owner(c), { which: which(c), via: via(c) });
    return c.body(pfx.body, 200, {
      'Content-Type': 'application/x-pkcs12',
      'Content-Disposition': `attachment; filename="${pfx.filename}"`,
      'Cache-Control': 'no-store',
    });
  });

  app.get('/certificate/download/:part', async (c) => {
    if (c.req.param('part') === 'privateKey' && impersonating(c))
      throw new AppError('FORBIDDEN', 'Private keys are shown only to their owner.');
    const { body, filename } = await getCertificatePart(deps, owner(c), c.req.param('part'), {
      which: which(c),
      via: via(c),
    });
    return c.body(body, 200, {
      'Content-Type': 'application/x-pem-file',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
    });
  });

  app.get('/certificate/dev-root.pem', async (c) => {
    const pem = devRoot() ? await container.ca.rootCertificatePem() : null;
    if (!pem)
      throw new AppError('NOT_FOUND', 'There is no development certificate authority here.');
    return c.body(pem, 200, {
      'Content-Type': 'application/x-pem-file',
      'Content-Disposition': 'attachment; filename="starchart-dev-root.pem"',
    });
  });

  app.get('/certificate/information', async (c) => {
    const overview = await getCertificateOverview(deps, owner(c));
    return renderPage(
      c,
      shell,
      'Certificate information',
      <InformationPage
        productName={config.productName}
        renewPercent={Math.round(config.certificates.renewAtRemainingFraction * 100)}
        caName={caName}
        domain={overview.domain}
        lifetime={lifetimeWords(expectedLifetimeMs(config.acme.profile, container.clock.now()))}
      />,
    );
  });

  return app;
}

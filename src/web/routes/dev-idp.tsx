/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * The development IdP's HTTP side, mounted under /dev-idp only when the container built one (never in
 * production). It answers only this service's own SP.
 */
import { type Context, Hono } from 'hono';
import {
  DEV_IDENTITIES,
  buildRedirectLogoutResponse,
  buildSignedResponse,
  parseRedirectRequest,
} from '../../adapters/saml/dev-idp.js';
import type { Container } from '../../container.js';
import type { AppEnv } from '../env.js';
import { type PageShell, renderPage } from '../render.js';
import { AutoPostForm, DevIdpPicker } from '../views/auth.js';
import { ErrorBody } from '../views/error-page.js';
import { readForm } from '../form.js';

export function devIdpRoutes(container: Container, shell: PageShell): Hono<AppEnv> {
  const devIdp = container.devIdp;
  if (!devIdp || container.config.isProduction)
    throw new Error('The development IdP is not available in production');
  const { appUrl } = container.config;
  const spEntityId = `${appUrl}/sp`;
  const acsUrl = `${appUrl}/login/callback`;
  const app = new Hono<AppEnv>();

  const bad = (c: Context<AppEnv>, message: string) =>
    renderPage(
      c,
      shell,
      'Development IdP',
      <ErrorBody status={400} message={message} requestId={c.get('requestId')} />,
      400,
    );

  app.get('/dev-idp/metadata', (c) =>
    c.body(devIdp.metadataXml, 200, { 'Content-Type': 'application/samlmetadata+xml' }),
  );

  app.get('/dev-idp/sso', async (c) => {
    const samlRequest = c.req.query('SAMLRequest');
    if (!samlRequest) return bad(c, 'No SAMLRequest: start from the sign-in page.');
    let req;
    try {
      req = await parseRedirectRequest(samlRequest);
    } catch (err) {
      return bad(c, `Unreadable SAMLRequest: ${(err as Error).message}`);
    }
    if (req.kind !== 'AuthnRequest' || req.issuer !== spEntityId)
      return bad(c, 'This development IdP only serves this service.');
    if (req.acsUrl && req.acsUrl !== acsUrl)
      return bad(c, 'The request names an unknown AssertionConsumerServiceURL.');
    return renderPage(
      c,
      shell,
      'Development sign-in',
      <DevIdpPicker
        identities={DEV_IDENTITIES}
        requestId={req.id}
        relayState={c.req.query('RelayState') ?? ''}
        csrfToken={c.get('csrfToken')}
      />,
    );
  });

  app.post('/dev-idp/sso', async (c) => {
    const body = await readForm(c);
    const str = (k: string) => (typeof body[k] === 'string' ? body[k] : '');
    const identity = DEV_IDENTITIES.find((i) => i.key === str('identity'));
    const requestId = str('requestId');
    if (!identity || !/^[A-Za-z_][\w.-]{0,190}$/.test(requestId))
      return bad(c, 'Choose one of the test identities.');
    const xml = await buildSignedResponse(
      {
        idpEntityId: devIdp.entityId,
        audience: spEntityId,
        acsUrl,
        inResponseTo: requestId,
        nameId: identity.username,
        attributes: {
          sAMAccountName: [identity.username],
          displayname: [identity.displayName],
          email: [identity.email],
          group: identity.groups,
        },
        now: container.clock.now(),
      },
      devIdp.keys,
    );
    return renderPage(
      c,
      shell,
      'Signing in',
      <AutoPostForm
        action={acsUrl}
        samlResponse={Buffer.from(xml, 'utf8').toString('base64')}
        relayState={str('RelayState')}
        nonce={c.get('nonce')}
      />,
    );
  });

  app.get('/dev-idp/slo', async (c) => {
    const samlRequest = c.req.query('SAMLRequest');
    if (!samlRequest) return bad(c, 'No SAMLRequest.');
    let req;
    try {
      req = await parseRedirectRequest(samlRequest);
    } catch (err) {
      return bad(c, `Unreadable SAMLRequest: ${(err as Error).message}`);
    }
    if (req.kind !== 'LogoutRequest' || req.issuer !== spEntityId)
      return bad(c, 'This development IdP only serves this service.');
    const response = await buildRedirectLogoutResponse({
      idpEntityId: devIdp.entityId,
      destination: `${appUrl}/logout/callback`,
      inResponseTo: req.id,
      now: container.clock.now(),
    });
    const url = new URL(`${appUrl}/logout/callback`);
    url.searchParams.set('SAMLResponse', response);
    const relay = c.req.query('RelayState');
    if (relay) url.searchParams.set('RelayState', relay);
    return c.redirect(url.toString(), 302);
  });

  return app;
}

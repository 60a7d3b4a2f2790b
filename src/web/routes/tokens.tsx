/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * /tokens: the user's personal access tokens. Thin edges: parse the form, call createToken /
 * listTokens / revokeToken, render. The secret is shown once, in the answer to the create POST itself
 * (never in a URL, a redirect target or a later page; every page is `Cache-Control: no-store`), so a
 * reload cannot show it again: there is nothing stored to show.
 */
import { type Context, Hono } from 'hono';
import type { Container } from '../../container.js';
import type { Actor } from '../../domain/dns-records/dns-records.js';
import { PERMISSIONS, SCOPE_TYPES } from '../../domain/tokens/scope.js';
import { createToken, listTokens, revokeToken } from '../../domain/tokens/tokens.js';
import { AppError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { type FormBody, readForm } from '../form.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderConfirmation, renderPage } from '../render.js';
import {
  ConfirmRevokePage,
  type TokenFormValues,
  type TokensPageProps,
  TokensPage,
  emptyTokenForm,
  permissionField,
  typeField,
} from '../views/tokens/page.js';
import { buildSnippets, dnsUpdateServer } from '../views/tokens/snippets.js';

type Ctx = Context<AppEnv>;

const NOTICES: Record<string, string> = {
  revoked: 'Token revoked. Programs using it are refused from now on.',
};

const str = (v: FormBody[string] | undefined) => (typeof v === 'string' ? v : '');
/** A textarea of names or ranges: one per line or comma-separated. */
const list = (raw: string) =>
  raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The form as typed (kept on errors) from the posted fields. */
export function tokenFormValues(b: FormBody): TokenFormValues {
  return {
    name: str(b.name),
    expiresInDays: str(b.expiresInDays),
    permissions: PERMISSIONS.filter((p) => str(b[permissionField(p)]) !== ''),
    names: str(b.names),
    types: SCOPE_TYPES.filter((t) => str(b[typeField(t)]) !== ''),
    subnets: str(b.subnets),
  };
}

export function tokenRoutes(container: Container, shell: PageShell) {
  const { config } = container;
  const deps = { db: container.dbh.db, config, clock: container.clock };
  const app = new Hono<AppEnv>();
  app.use('/tokens', requireUser);
  app.use('/tokens/*', requireUser);

  const actor = (c: Ctx): Actor => {
    const s = c.get('session')!;
    return { user: s.user, effectiveUser: s.effectiveUser, requestId: c.get('requestId') };
  };
  const owner = (c: Ctx) => c.get('session')!.effectiveUser;
  const baseDomain = (c: Ctx) => `${owner(c).dns_label}.${config.rootDomain}`;

  const page = async (c: Ctx, over: Partial<TokensPageProps> = {}, status = 200) =>
    renderPage(
      c,
      shell,
      'Tokens',
      <TokensPage
        baseDomain={baseDomain(c)}
        csrf={c.get('csrfToken')}
        maxDays={config.tokens.maxDays}
        impersonating={c.get('session')!.impersonating}
        tokens={await listTokens(deps, owner(c))}
        values={emptyTokenForm(config.tokens.maxDays)}
        errors={{}}
        formError={null}
        notice={NOTICES[c.req.query('done') ?? ''] ?? null}
        created={null}
        {...over}
      />,
      status,
    );

  app.get('/tokens', (c) => page(c));

  app.post('/tokens', async (c) => {
    const b = await readForm(c);
    const values = tokenFormValues(b);
    try {
      const created = await createToken(deps, actor(c), {
        name: values.name,
        expiresInDays: values.expiresInDays,
        permissions: values.permissions,
        names: list(values.names),
        types: values.types,
        subnets: list(values.subnets),
      });
      const user = owner(c);
      const snippets = buildSnippets({
        appUrl: config.appUrl,
        rootDomain: config.rootDomain,
        username: user.username,
        dnsLabel: user.dns_label,
        token: {
          publicId: created.token.public_id,
          secret: created.secret,
          scope: created.token.scope,
        },
        tsig: created.tsig,
        dnsServer: dnsUpdateServer(config),
      });
      // Rendered in this answer (no redirect): the secret exists nowhere else to show later.
      return await page(c, {
        created: { token: created.token, secret: created.secret, tsig: created.tsig, snippets },
      });
    } catch (e) {
      if (e instanceof AppError && e.code === 'INVALID_INPUT')
        return page(c, { values, errors: e.fields, formError: e.message }, 400);
      if (e instanceof AppError && (e.code === 'LIMIT_EXCEEDED' || e.code === 'FORBIDDEN'))
        return page(c, { values, formError: e.message }, e.status);
      throw e;
    }
  });

  const findOwn = async (c: Ctx) => {
    const id = Number(c.req.param('id'));
    const token = Number.isSafeInteger(id)
      ? (await listTokens(deps, owner(c))).find((t) => Number(t.id) === id)
      : undefined;
    if (!token) throw new AppError('NOT_FOUND', 'Sorry, we could not find that token.');
    return token;
  };
  const confirmPage = async (c: Ctx) => {
    const token = await findOwn(c);
    return renderConfirmation(c, shell, 'Revoke token', (dialog) => (
      <ConfirmRevokePage
        token={token}
        csrf={c.get('csrfToken')}
        action={`/tokens/${token.id}/revoke`}
        cancelHref="/tokens"
        dialog={dialog}
      />
    ));
  };

  app.get('/tokens/:id/revoke', confirmPage);
  app.post('/tokens/:id/revoke', async (c) => {
    const b = await readForm(c);
    // Not confirmed (a bare POST): ask on the page, change nothing.
    if (b.confirm !== 'yes') return confirmPage(c);
    const token = await findOwn(c);
    await revokeToken(deps, actor(c), owner(c), Number(token.id));
    return c.redirect('/tokens?done=revoked', 303);
  });

  return app;
}

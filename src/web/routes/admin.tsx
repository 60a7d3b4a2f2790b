/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/**
 * /admin pages. Thin edges: requireAdmin (404 for everyone but a real admin), parse input, call one
 * domain function, render. Destructive actions ask on a confirmation page first; every form works as a
 * plain POST → redirect and htmx only enhances the user search.
 */
import { type Context, Hono } from 'hono';
import type { Container } from '../../container.js';
import type { AdminActor } from '../../domain/admin/admin-actor.js';
import { browseAuditLog, listOwnHistory } from '../../domain/admin/audit-log.js';
import { blockLabel, listBlockedLabels, unblockLabel } from '../../domain/admin/blocked-labels.js';
import { getAdminMetrics } from '../../domain/admin/metrics.js';
import { getIssuanceOverview } from '../../domain/admin/issuance.js';
import {
  type AdminDeps,
  deleteUser,
  getUserDetail,
  parseUserId,
  searchUsers,
  startImpersonation,
  stopImpersonation,
  suspendUser,
  unsuspendUser,
} from '../../domain/admin/users.js';
import {
  type Actor,
  deleteDnsRecord,
  getDnsRecord,
  parseRecordId,
  updateDnsRecord,
} from '../../domain/dns-records/dns-records.js';
import { recordToForm, toRecordForm } from '../../domain/dns-records/rules.js';
import { listTokens, revokeToken } from '../../domain/tokens/tokens.js';
import type { RecordForm } from '../../domain/dns-records/types.js';
import type { DnsRecordRow, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireAdmin } from '../middleware/require-admin.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderConfirmation, renderPage } from '../render.js';
import { AdminAuditPage, HistoryPage } from '../views/admin/audit.js';
import { AdminDashboard, UserResults } from '../views/admin/dashboard.js';
import { BlockedLabelsPage, ConfirmUnblockPage } from '../views/admin/labels.js';
import { IssuancePage } from '../views/admin/issuance.js';
import {
  AdminRecordFormPage,
  AdminUserPage,
  ConfirmAdminActionPage,
  ConfirmRecordDeletePage,
  ConfirmUserActionPage,
} from '../views/admin/user.js';
import { RecordFormView } from '../views/dns-records/form.js';
import { ConfirmRevokePage } from '../views/tokens/page.js';
import { readForm } from '../form.js';
import { queryPage } from '../query.js';

type Ctx = Context<AppEnv>;

const USER_NOTICES: Record<string, string> = {
  suspended: 'User suspended. Their records are being withdrawn from DNS.',
  unsuspended: 'User unsuspended. Their records are being restored to DNS.',
  'record-updated': 'DNS record updated.',
  'record-deleted': 'DNS record deleted.',
  'token-revoked': 'Token revoked. Programs using it are refused from now on.',
  stopped: 'You stopped impersonating this user.',
  'impersonation-ended-admin':
    'Impersonation ended: this user is now an admin, and admins cannot be impersonated. Your last request was not carried out.',
  'impersonation-ended-suspended':
    'Impersonation ended: this user is suspended. Your last request was not carried out.',
};
const DASHBOARD_NOTICES: Record<string, string> = {
  deleted: 'User deleted. Their DNS names are being removed.',
  'impersonation-ended':
    'Impersonation ended: the user you were impersonating was deleted. Your last request was not carried out.',
};
const LABEL_NOTICES: Record<string, string> = {
  blocked: 'Label blocked.',
  unblocked: 'Label unblocked.',
};

const isHtmx = (c: Ctx) => c.req.header('hx-request') === 'true';
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function adminRoutes(container: Container, shell: PageShell) {
  const deps: AdminDeps = {
    db: container.dbh.db,
    config: container.config,
    clock: container.clock,
    queue: container.queue,
    logger: container.logger,
    ca: container.ca,
  };
  const queueDeps = { ...deps, config: container.config, logger: container.logger };
  const app = new Hono<AppEnv>();
  app.use('/admin', requireAdmin);
  app.use('/admin/*', requireAdmin);

  const admin = (c: Ctx): AdminActor => ({
    user: c.get('session')!.user,
    requestId: c.get('requestId'),
  });
  const sessionRef = (c: Ctx) => {
    const s = c.get('session')!;
    return { id: s.id, impersonatedUserId: s.impersonating ? s.effectiveUser.id : null };
  };
  const csrf = (c: Ctx) => c.get('csrfToken');
  const self = (c: Ctx, userId: number) => c.get('session')!.user.id === userId;

  app.get('/admin', async (c) => {
    const q = c.req.query('q') ?? '';
    let queryError: string | null = null;
    let result;
    try {
      result = await searchUsers(deps, admin(c), q, queryPage(c));
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'INVALID_INPUT')) throw e;
      queryError = e.fields.q ?? e.message;
      // The box keeps what was typed (cut to the limit); the list shows the recent users meanwhile.
      result = { ...(await searchUsers(deps, admin(c), '', queryPage(c))), query: q.slice(0, 100) };
    }
    if (isHtmx(c) && c.req.header('hx-target') === 'user-results')
      return c.html(<UserResults result={result} />);
    const metrics = await getAdminMetrics(deps, admin(c));
    const issuance = await getIssuanceOverview(queueDeps, admin(c));
    return renderPage(
      c,
      shell,
      'Admin',
      <AdminDashboard
        metrics={metrics}
        issuance={issuance}
        now={container.clock.now()}
        result={result}
        queryError={queryError}
        notice={DASHBOARD_NOTICES[c.req.query('done') ?? ''] ?? null}
      />,
      queryError ? 400 : 200,
    );
  });

  app.get('/admin/certificates', async (c) =>
    renderPage(
      c,
      shell,
      'Certificates: budget and queue',
      <IssuancePage
        o={await getIssuanceOverview(queueDeps, admin(c))}
        now={container.clock.now()}
      />,
    ),
  );

  app.get('/admin/users/:id', async (c) => {
    const detail = await getUserDetail(deps, admin(c), parseUserId(c.req.param('id')));
    return renderPage(
      c,
      shell,
      `Admin · ${detail.user.username}`,
      <AdminUserPage
        detail={detail}
        csrf={csrf(c)}
        self={self(c, detail.user.id)}
        notice={USER_NOTICES[c.req.query('done') ?? ''] ?? null}
        tokens={await listTokens(deps, detail.user)}
      />,
    );
  });

  // ----- impersonation -----
  app.post('/admin/users/:id/impersonate', async (c) => {
    await startImpersonation(deps, admin(c), sessionRef(c), parseUserId(c.req.param('id')));
    return c.redirect('/', 303);
  });

  app.post('/admin/impersonation/stop', async (c) => {
    const ref = sessionRef(c);
    await stopImpersonation(deps, admin(c), ref);
    return c.redirect(
      ref.impersonatedUserId === null
        ? '/admin'
        : `/admin/users/${ref.impersonatedUserId}?done=stopped`,
      303,
    );
  });

  // ----- suspend / unsuspend / delete -----
  const CONFIRM_TITLES = {
    suspend: 'Suspend user',
    unsuspend: 'Unsuspend user',
    delete: 'Delete user',
  } as const;
  const confirmPage = async (
    c: Ctx,
    kind: 'suspend' | 'unsuspend' | 'delete',
    error: string | null = null,
  ) => {
    const detail = await getUserDetail(deps, admin(c), parseUserId(c.req.param('id')));
    if (self(c, detail.user.id))
      throw new AppError('CONFLICT', `You cannot ${kind} your own account.`);
    // Nothing to lift: back to the user's page (a stale tab or a double submit).
    if (kind === 'unsuspend' && detail.user.suspended_at === null)
      return c.redirect(`/admin/users/${detail.user.id}`, 303);
    return renderConfirmation(
      c,
      shell,
      CONFIRM_TITLES[kind],
      (dialog) => (
        <ConfirmUserActionPage
          user={detail.user}
          csrf={csrf(c)}
          kind={kind}
          recordCount={detail.records.length}
          error={error}
          dialog={dialog}
        />
      ),
      error ? 400 : 200,
    );
  };

  /** The second confirmation an action on another admin needs (the first one's answers carried). */
  const confirmAdminPage = (
    c: Ctx,
    target: User,
    kind: 'suspend' | 'delete',
    carried: { reason?: string; username?: string },
  ) =>
    renderPage(
      c,
      shell,
      kind === 'delete' ? 'Delete an admin' : 'Suspend an admin',
      <ConfirmAdminActionPage user={target} csrf={csrf(c)} kind={kind} {...carried} />,
    );

  app.get('/admin/users/:id/suspend', (c) => confirmPage(c, 'suspend'));
  app.post('/admin/users/:id/suspend', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const b = await readForm(c);
    if (b.confirm !== 'yes') return confirmPage(c, 'suspend');
    const reason = str(b.reason).trim().slice(0, 255);
    const adminConfirmed = b.confirm_admin === 'yes';
    const target = (await getUserDetail(deps, admin(c), id)).user;
    // (Oneself is refused by suspendUser, without a second question.)
    if (target.role === 'admin' && !adminConfirmed && !self(c, id))
      return confirmAdminPage(c, target, 'suspend', { reason });
    await suspendUser(deps, admin(c), id, reason || null, { adminConfirmed });
    return c.redirect(`/admin/users/${id}?done=suspended`, 303);
  });

  app.get('/admin/users/:id/unsuspend', (c) => confirmPage(c, 'unsuspend'));
  app.post('/admin/users/:id/unsuspend', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const b = await readForm(c);
    // Without the confirmation (no JavaScript, or a bare POST): ask on a page, change nothing.
    if (b.confirm !== 'yes') return confirmPage(c, 'unsuspend');
    await unsuspendUser(deps, admin(c), id);
    return c.redirect(`/admin/users/${id}?done=unsuspended`, 303);
  });

  app.get('/admin/users/:id/delete', (c) => confirmPage(c, 'delete'));
  app.post('/admin/users/:id/delete', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const b = await readForm(c);
    if (b.confirm !== 'yes') return confirmPage(c, 'delete');
    const detail = await getUserDetail(deps, admin(c), id);
    if (str(b.username).trim() !== detail.user.username)
      return confirmPage(
        c,
        'delete',
        'The username you typed does not match. Nothing was deleted.',
      );
    const adminConfirmed = b.confirm_admin === 'yes';
    if (detail.user.role === 'admin' && !adminConfirmed && !self(c, id))
      return confirmAdminPage(c, detail.user, 'delete', { username: detail.user.username });
    await deleteUser(deps, admin(c), id, { adminConfirmed });
    return c.redirect('/admin?done=deleted', 303);
  });

  // ----- one record of a user -----
  const recordActor = async (c: Ctx): Promise<{ actor: Actor; record: DnsRecordRow }> => {
    const detail = await getUserDetail(deps, admin(c), parseUserId(c.req.param('id')));
    const actor: Actor = {
      user: c.get('session')!.user,
      effectiveUser: detail.user,
      requestId: c.get('requestId'),
    };
    const record = await getDnsRecord(deps, detail.user, parseRecordId(c.req.param('rid')));
    return { actor, record };
  };
  const base = (a: Actor) => `${a.effectiveUser.dns_label}.${container.config.rootDomain}`;
  const renderRecordForm = (
    c: Ctx,
    a: Actor,
    r: DnsRecordRow,
    values: RecordForm,
    errors: Record<string, string>,
    formError: string | null,
    status: number,
  ) => {
    const props = {
      mode: 'edit' as const,
      action: `/admin/users/${a.effectiveUser.id}/records/${r.id}`,
      values,
      errors,
      formError,
      baseDomain: base(a),
      csrf: csrf(c),
      cancelHref: `/admin/users/${a.effectiveUser.id}`,
      validateUrl: null,
    };
    if (isHtmx(c)) return c.html(<RecordFormView {...props} />, 200);
    return renderPage(
      c,
      shell,
      `Editing ${a.effectiveUser.username}'s record`,
      <AdminRecordFormPage user={a.effectiveUser} name={`${r.subdomain}.${base(a)}`}>
        <RecordFormView {...props} />
      </AdminRecordFormPage>,
      status,
    );
  };

  app.get('/admin/users/:id/records/:rid', async (c) => {
    const { actor, record } = await recordActor(c);
    return renderRecordForm(c, actor, record, recordToForm(record), {}, null, 200);
  });

  app.post('/admin/users/:id/records/:rid', async (c) => {
    const { actor, record } = await recordActor(c);
    const b = await readForm(c);
    try {
      await updateDnsRecord(deps, actor, record.id, b);
    } catch (e) {
      if (e instanceof AppError && e.code === 'INVALID_INPUT')
        return renderRecordForm(c, actor, record, toRecordForm(b), e.fields, e.message, 400);
      throw e;
    }
    const to = `/admin/users/${actor.effectiveUser.id}?done=record-updated`;
    if (isHtmx(c)) {
      c.header('HX-Redirect', to);
      return c.body(null, 204);
    }
    return c.redirect(to, 303);
  });

  const recordDeletePage = async (c: Ctx) => {
    const { actor, record } = await recordActor(c);
    return renderPage(
      c,
      shell,
      `Delete ${actor.effectiveUser.username}'s DNS record`,
      <ConfirmRecordDeletePage
        user={actor.effectiveUser}
        record={record}
        baseDomain={base(actor)}
        csrf={csrf(c)}
      />,
    );
  };
  app.get('/admin/users/:id/records/:rid/delete', recordDeletePage);
  app.post('/admin/users/:id/records/:rid/delete', async (c) => {
    const b = await readForm(c);
    if (b.confirm !== 'yes') return recordDeletePage(c);
    const { actor, record } = await recordActor(c);
    await deleteDnsRecord(deps, actor, record.id);
    return c.redirect(`/admin/users/${actor.effectiveUser.id}?done=record-deleted`, 303);
  });

  // ----- a user's access tokens (an admin may revoke any; revokeToken audits it) -----
  const userToken = async (c: Ctx) => {
    const target = (await getUserDetail(deps, admin(c), parseUserId(c.req.param('id')))).user;
    const tid = Number(c.req.param('tid'));
    const token = Number.isSafeInteger(tid)
      ? (await listTokens(deps, target)).find((t) => Number(t.id) === tid)
      : undefined;
    if (!token) throw new AppError('NOT_FOUND', 'Sorry, we could not find that token.');
    return { target, token };
  };
  const tokenRevokePage = async (c: Ctx) => {
    const { target, token } = await userToken(c);
    return renderConfirmation(c, shell, 'Revoke token', (dialog) => (
      <ConfirmRevokePage
        token={token}
        csrf={csrf(c)}
        action={`/admin/users/${target.id}/tokens/${token.id}/revoke`}
        cancelHref={`/admin/users/${target.id}`}
        owner={target.username}
        dialog={dialog}
      />
    ));
  };
  app.get('/admin/users/:id/tokens/:tid/revoke', tokenRevokePage);
  app.post('/admin/users/:id/tokens/:tid/revoke', async (c) => {
    const b = await readForm(c);
    if (b.confirm !== 'yes') return tokenRevokePage(c);
    const { target, token } = await userToken(c);
    const actor: Actor = {
      user: c.get('session')!.user,
      effectiveUser: target,
      requestId: c.get('requestId'),
    };
    await revokeToken(deps, actor, target, Number(token.id));
    return c.redirect(`/admin/users/${target.id}?done=token-revoked`, 303);
  });

  // ----- blocked labels -----
  const labelsPage = async (
    c: Ctx,
    values = { label: '', reason: '' },
    errors: Record<string, string> = {},
    formError: string | null = null,
    status = 200,
  ) =>
    renderPage(
      c,
      shell,
      'Blocked labels',
      <BlockedLabelsPage
        labels={await listBlockedLabels(deps, admin(c))}
        csrf={csrf(c)}
        values={values}
        errors={errors}
        formError={formError}
        notice={LABEL_NOTICES[c.req.query('done') ?? ''] ?? null}
      />,
      status,
    );
  app.get('/admin/blocked-labels', (c) => labelsPage(c));
  app.post('/admin/blocked-labels', async (c) => {
    const b = await readForm(c);
    try {
      await blockLabel(deps, admin(c), b.label, b.reason);
    } catch (e) {
      if (e instanceof AppError && (e.code === 'INVALID_INPUT' || e.code === 'CONFLICT'))
        return labelsPage(
          c,
          { label: str(b.label), reason: str(b.reason) },
          e.fields,
          e.message,
          e.status,
        );
      throw e;
    }
    return c.redirect('/admin/blocked-labels?done=blocked', 303);
  });
  /** Asking before a label is freed again (the page, or its question in app.js's <dialog>). */
  const unblockPage = async (c: Ctx) => {
    const wanted = (c.req.param('label') ?? '').trim().toLowerCase();
    const label = (await listBlockedLabels(deps, admin(c))).find((l) => l.label === wanted);
    if (!label) throw new AppError('NOT_FOUND', 'That label is not blocked.');
    return renderConfirmation(c, shell, 'Unblock label', (dialog) => (
      <ConfirmUnblockPage label={label} csrf={csrf(c)} dialog={dialog} />
    ));
  };
  app.get('/admin/blocked-labels/:label/unblock', unblockPage);
  app.post('/admin/blocked-labels/:label/unblock', async (c) => {
    const b = await readForm(c);
    // Without the confirmation (a bare POST): ask on the page, change nothing.
    if (b.confirm !== 'yes') return unblockPage(c);
    await unblockLabel(deps, admin(c), c.req.param('label'));
    return c.redirect('/admin/blocked-labels?done=unblocked', 303);
  });

  // ----- audit log -----
  app.get('/admin/audit', async (c) => {
    const values = {
      user: c.req.query('user') ?? '',
      action: c.req.query('action') ?? '',
      from: c.req.query('from') ?? '',
      to: c.req.query('to') ?? '',
    };
    try {
      const res = await browseAuditLog(deps, admin(c), { ...values, page: queryPage(c) });
      return renderPage(
        c,
        shell,
        'Audit log',
        <AdminAuditPage {...res} values={values} errors={{}} />,
      );
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'INVALID_INPUT')) throw e;
      return renderPage(
        c,
        shell,
        'Audit log',
        <AdminAuditPage
          rows={[]}
          total={0}
          page={1}
          pages={1}
          actions={[]}
          values={values}
          errors={e.fields}
        />,
        400,
      );
    }
  });

  // ----- a user's own history (not admin-only) -----
  app.get('/history', requireUser, async (c) => {
    const res = await listOwnHistory(deps, c.get('session')!.effectiveUser, queryPage(c));
    return renderPage(c, shell, 'Account history', <HistoryPage {...res} />);
  });

  return app;
}

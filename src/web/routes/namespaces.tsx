/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
/**
 * /namespaces: shared namespaces (issue 20, decision 0026). Thin edges: parse the form, call the
 * namespace domain (which decides who may do what), render. Every change is a plain POST answered with
 * a 303 (or the page again with field errors); removals ask first on a confirmation page.
 */
import { type Context, Hono } from 'hono';
import type { Container } from '../../container.js';
import { findDnsRecordsOfUser } from '../../db/repos/dns-records.js';
import type { Actor } from '../../domain/dns-records/audit.js';
import { recordPolicy } from '../../domain/dns-records/record-policy.js';
import {
  createNamespace,
  grantMember,
  linkGroup,
  membersOf,
  namespacesOf,
  removeMember,
  requireRole,
  unlinkGroup,
} from '../../domain/namespaces/namespaces.js';
import { AppError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { type FormBody, readForm } from '../form.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderConfirmation, renderPage } from '../render.js';
import {
  ConfirmAction,
  type NamespacePageProps,
  NamespacePage,
  NamespacesPage,
  NewNamespacePage,
  type NewNamespaceValues,
  emptyNamespaceForm,
  emptySubForm,
} from '../views/namespaces/page.js';

type Ctx = Context<AppEnv>;

const NOTICES: Record<string, string> = {
  created: 'Namespace created. Add the people who share it below.',
  'member-added': 'Member saved.',
  'member-removed': 'Member removed.',
  'group-linked': 'Group linked. Its members have access now, and others at their next sign-in.',
  'group-unlinked': 'Group unlinked. Its members lost the access it gave them.',
  left: 'You left the namespace.',
};

const str = (v: FormBody[string] | undefined) => (typeof v === 'string' ? v : '');

/** Errors a form shows next to its fields rather than as an error page. */
const isFormError = (e: unknown): e is AppError =>
  e instanceof AppError &&
  (e.code === 'INVALID_INPUT' || e.code === 'CONFLICT' || e.code === 'LIMIT_EXCEEDED');

export function namespaceRoutes(container: Container, shell: PageShell) {
  const { config } = container;
  const db = container.dbh.db;
  const deps = { db, config, clock: container.clock };
  const app = new Hono<AppEnv>();
  app.use('/namespaces', requireUser);
  app.use('/namespaces/*', requireUser);

  const actor = (c: Ctx): Actor => {
    const s = c.get('session')!;
    return { user: s.user, effectiveUser: s.effectiveUser, requestId: c.get('requestId') };
  };
  const me = (c: Ctx) => c.get('session')!.effectiveUser;
  const canCreate = (c: Ctx) => config.dns.namespaceCreatorRoles.includes(me(c).role);
  const notice = (c: Ctx) => NOTICES[c.req.query('done') ?? ''] ?? null;

  /** The namespace id in the path, or NOT_FOUND (never a 500 for `/namespaces/abc`). */
  const nsId = (c: Ctx) => {
    const raw = c.req.param('id') ?? '';
    const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id))
      throw new AppError('NOT_FOUND', 'There is no such namespace, or it is not shared with you.');
    return id;
  };

  app.get('/namespaces', async (c) =>
    renderPage(
      c,
      shell,
      'Namespaces',
      <NamespacesPage
        root={config.rootDomain}
        namespaces={await namespacesOf(db, me(c))}
        canCreate={canCreate(c)}
        notice={notice(c)}
      />,
    ),
  );

  const newForm = (
    c: Ctx,
    values: NewNamespaceValues = emptyNamespaceForm,
    errors: Record<string, string> = {},
    formError: string | null = null,
    status = 200,
  ) =>
    renderPage(
      c,
      shell,
      'New namespace',
      <NewNamespacePage
        root={config.rootDomain}
        csrf={c.get('csrfToken')}
        values={values}
        errors={errors}
        formError={formError}
        defaultLimit={config.dns.recordLimit}
      />,
      status,
    );

  const forbidCreate = () =>
    new AppError(
      'FORBIDDEN',
      'Shared namespaces are created by instructors and administrators. Ask your instructor to create one and add you.',
    );

  app.get('/namespaces/new', (c) => {
    if (!canCreate(c)) throw forbidCreate();
    return newForm(c);
  });

  app.post('/namespaces', async (c) => {
    const b = await readForm(c);
    if (!canCreate(c)) throw forbidCreate();
    const values: NewNamespaceValues = {
      label: str(b.label),
      description: str(b.description),
      recordLimit: str(b.recordLimit),
      endsAt: str(b.endsAt),
    };
    try {
      const ns = await createNamespace(deps, actor(c), values);
      return c.redirect(`/namespaces/${ns.id}?done=created`, 303);
    } catch (e) {
      if (isFormError(e)) return newForm(c, values, e.fields, e.message, e.status);
      throw e;
    }
  });

  const page = async (c: Ctx, over: Partial<NamespacePageProps> = {}, status = 200) => {
    const id = nsId(c);
    const user = me(c);
    const { namespace, role } = await requireRole(db, user, id, 'viewer');
    const { people, groups } = await membersOf(db, id);
    const [records, policy] = await Promise.all([
      findDnsRecordsOfUser(db, namespace.account_id),
      recordPolicy(db, config, { id: namespace.account_id, kind: 'namespace' }),
    ]);
    records.sort((a, b) => a.subdomain.localeCompare(b.subdomain) || a.type.localeCompare(b.type));
    return renderPage(
      c,
      shell,
      namespace.label,
      <NamespacePage
        root={config.rootDomain}
        csrf={c.get('csrfToken')}
        namespace={namespace}
        role={role}
        me={user.id}
        adminView={!people.some((p) => p.userId === user.id)}
        people={people}
        groups={groups}
        records={records.map((r) => ({
          id: Number(r.id),
          subdomain: r.subdomain,
          type: r.type,
          value: r.value,
          expires_at: Number(r.expires_at),
        }))}
        recordLimit={policy.limit}
        notice={notice(c)}
        memberForm={emptySubForm({ member: '', role: 'editor' })}
        groupForm={emptySubForm({ group: '', role: 'viewer' })}
        {...over}
      />,
      status,
    );
  };

  app.get('/namespaces/:id', (c) => page(c));

  app.post('/namespaces/:id/members', async (c) => {
    const b = await readForm(c);
    const id = nsId(c);
    const values = { member: str(b.member), role: str(b.role) };
    try {
      await grantMember(deps, actor(c), id, values.member, values.role);
      return c.redirect(`/namespaces/${id}?done=member-added#members`, 303);
    } catch (e) {
      if (isFormError(e))
        return page(
          c,
          { memberForm: { values, errors: e.fields, formError: e.message } },
          e.status,
        );
      throw e;
    }
  });

  app.post('/namespaces/:id/groups', async (c) => {
    const b = await readForm(c);
    const id = nsId(c);
    const values = { group: str(b.group), role: str(b.role) };
    try {
      await linkGroup(deps, actor(c), id, values.group, values.role);
      return c.redirect(`/namespaces/${id}?done=group-linked#groups`, 303);
    } catch (e) {
      if (isFormError(e))
        return page(c, { groupForm: { values, errors: e.fields, formError: e.message } }, e.status);
      throw e;
    }
  });

  /* ----- Confirmations: GET asks; POST without confirm=yes asks again and changes nothing. ----- */

  const removeTarget = async (c: Ctx) => {
    const id = nsId(c);
    const { namespace } = await requireRole(db, me(c), id, 'owner');
    const uid = Number(c.req.param('uid'));
    const person = (await membersOf(db, id)).people.find((p) => p.userId === uid && p.direct);
    if (!person)
      throw new AppError('NOT_FOUND', 'That person has no direct membership in this namespace.');
    return { namespace, person };
  };
  const confirmRemove = async (c: Ctx) => {
    const { namespace, person } = await removeTarget(c);
    const name = person.displayName || person.username;
    return renderConfirmation(c, shell, 'Remove member', (dialog) => (
      <ConfirmAction
        title="Remove member"
        question={
          <>
            Remove <strong>{name}</strong> <span class="mono muted">({person.username})</span> from{' '}
            <span class="mono">{namespace.label}</span>? They lose access at once
            {person.groups.length > 0
              ? `, except what their group${person.groups.length > 1 ? 's' : ''} (${person.groups.join(', ')}) still give${person.groups.length > 1 ? '' : 's'} them`
              : ''}
            .
          </>
        }
        action={`/namespaces/${namespace.id}/members/${person.userId}/remove`}
        button="Remove"
        cancelHref={`/namespaces/${namespace.id}#members`}
        csrf={c.get('csrfToken')}
        dialog={dialog}
      />
    ));
  };
  app.get('/namespaces/:id/members/:uid/remove', confirmRemove);
  app.post('/namespaces/:id/members/:uid/remove', async (c) => {
    const b = await readForm(c);
    if (b.confirm !== 'yes') return confirmRemove(c);
    const { namespace, person } = await removeTarget(c);
    await removeMember(deps, actor(c), namespace.id, person.userId);
    const self = person.userId === me(c).id;
    return c.redirect(
      self ? '/namespaces?done=left' : `/namespaces/${namespace.id}?done=member-removed#members`,
      303,
    );
  });

  const unlinkTarget = async (c: Ctx) => {
    const id = nsId(c);
    const { namespace } = await requireRole(db, me(c), id, 'owner');
    const name = c.req.query('group') ?? '';
    const group = (await membersOf(db, id)).groups.find((g) => g.group_name === name);
    if (!group) throw new AppError('NOT_FOUND', 'That group is not linked to this namespace.');
    return { namespace, group };
  };
  const confirmUnlink = async (c: Ctx) => {
    const { namespace, group } = await unlinkTarget(c);
    return renderConfirmation(c, shell, 'Unlink group', (dialog) => (
      <ConfirmAction
        title="Unlink group"
        question={
          <>
            Unlink <strong class="mono">{group.group_name}</strong> from{' '}
            <span class="mono">{namespace.label}</span>? Everyone who is a member only through this
            group loses access at once.
          </>
        }
        action={`/namespaces/${namespace.id}/groups/unlink?group=${encodeURIComponent(group.group_name)}`}
        button="Unlink"
        cancelHref={`/namespaces/${namespace.id}#groups`}
        csrf={c.get('csrfToken')}
        dialog={dialog}
      />
    ));
  };
  app.get('/namespaces/:id/groups/unlink', confirmUnlink);
  app.post('/namespaces/:id/groups/unlink', async (c) => {
    const b = await readForm(c);
    if (b.confirm !== 'yes') return confirmUnlink(c);
    const { namespace, group } = await unlinkTarget(c);
    await unlinkGroup(deps, actor(c), namespace.id, group.group_name);
    return c.redirect(`/namespaces/${namespace.id}?done=group-unlinked#groups`, 303);
  });

  const leaveTarget = async (c: Ctx) => {
    const id = nsId(c);
    const user = me(c);
    const { namespace } = await requireRole(db, user, id, 'viewer');
    const self = (await membersOf(db, id)).people.find((p) => p.userId === user.id);
    if (!self?.direct)
      throw new AppError(
        'NOT_FOUND',
        self
          ? `You are a member of ${namespace.label} through a sign-in group (${self.groups.join(', ')}), not directly: you leave it by leaving the group.`
          : `You are not a member of ${namespace.label}.`,
      );
    return { namespace, self };
  };
  const confirmLeave = async (c: Ctx) => {
    const { namespace, self } = await leaveTarget(c);
    return renderConfirmation(c, shell, 'Leave namespace', (dialog) => (
      <ConfirmAction
        title="Leave namespace"
        question={
          <>
            Leave <span class="mono">{namespace.label}</span>? You can no longer see or change its
            records
            {self.groups.length > 0
              ? ` except through your group${self.groups.length > 1 ? 's' : ''} (${self.groups.join(', ')})`
              : ''}
            ; an owner can add you again.
          </>
        }
        action={`/namespaces/${namespace.id}/leave`}
        button="Leave"
        cancelHref={`/namespaces/${namespace.id}`}
        csrf={c.get('csrfToken')}
        dialog={dialog}
      />
    ));
  };
  app.get('/namespaces/:id/leave', confirmLeave);
  app.post('/namespaces/:id/leave', async (c) => {
    const b = await readForm(c);
    if (b.confirm !== 'yes') return confirmLeave(c);
    const { namespace } = await leaveTarget(c);
    await removeMember(deps, actor(c), namespace.id, me(c).id);
    return c.redirect('/namespaces?done=left', 303);
  });

  return app;
}

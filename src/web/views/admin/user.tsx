/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import type { UserDetail } from '../../../domain/admin/users.js';
import type { DnsRecordRow, User } from '../../../db/schema.js';
import type { TokenView } from '../../../domain/tokens/tokens.js';
import { TokenTable } from '../tokens/page.js';
import { AuditTable } from './audit.js';
import { type Column, DataTable } from '../table.js';

const fmtDate = (ms: number | null) =>
  ms === null ? '—' : new Date(ms).toISOString().slice(0, 10);
const shown = (r: Pick<DnsRecordRow, 'type' | 'value' | 'priority'>) =>
  r.type === 'MX' ? `${r.priority ?? 10} ${r.value}` : r.value;

/** Values longer than this are shown cut to one line, with the whole value one click away. */
const VALUE_CLIP = 48;

/**
 * A record's value: short ones as they are; a long one (a DKIM key, a verification TXT) on one line
 * cut with an ellipsis, and a <details> that shows the whole value, wrapped (works without JavaScript).
 */
export function RecordValue(props: { value: string }) {
  const v = props.value;
  if (v.length <= VALUE_CLIP) return <span class="mono">{v}</span>;
  return (
    <details class="long-value">
      <summary>
        <span class="mono clip">{v}</span>
        <span class="more muted">
          <span class="closed-only">Show all {v.length} characters</span>
          <span class="open-only">Hide the whole value</span>
        </span>
      </summary>
      <p class="mono full-value">{v}</p>
    </details>
  );
}

/** DNS status as the admin sees it: withdrawn while the owner is suspended. */
function DnsStatus(props: { record: DnsRecordRow; suspended: boolean }) {
  const r = props.record;
  if (props.suspended) return <span class="badge warn">withdrawn</span>;
  if (r.status === 'error')
    return (
      <>
        <span class="badge err">error</span>
        <p class="field-error">{r.status_message ?? 'The DNS provider rejected this record.'}</p>
      </>
    );
  if (r.status === 'pending') return <span class="badge warn">pending</span>;
  return <span class="badge ok">live</span>;
}

const recordColumns = (
  userId: number,
  baseDomain: string,
  suspended: boolean,
): Column<DnsRecordRow>[] => [
  {
    label: 'Name',
    class: 'record-name',
    cell: (r) => (
      <span class="mono">
        <strong>{r.subdomain}</strong>
        <span class="muted">.{baseDomain}</span>
      </span>
    ),
  },
  { label: 'Type', cell: (r) => r.type },
  { label: 'Value', class: 'record-value', cell: (r) => <RecordValue value={shown(r)} /> },
  { label: 'DNS status', cell: (r) => <DnsStatus record={r} suspended={suspended} /> },
  { label: 'Expires', class: 'nowrap', cell: (r) => fmtDate(r.expires_at) },
  {
    label: 'Actions',
    hideLabel: true,
    class: 'row-actions',
    cell: (r) => (
      <>
        <a class="btn secondary small" href={`/admin/users/${userId}/records/${r.id}`}>
          Edit
        </a>{' '}
        <a class="btn danger small" href={`/admin/users/${userId}/records/${r.id}/delete`}>
          Delete
        </a>
      </>
    ),
  },
];

const CERTIFICATE_COLUMNS: Column<UserDetail['certificates'][number]>[] = [
  { label: 'Domain', class: 'mono', cell: (c) => c.domain },
  { label: 'Status', cell: (c) => c.status },
  { label: 'Valid until', cell: (c) => fmtDate(c.valid_to) },
];

export function AdminUserPage(props: {
  detail: UserDetail;
  csrf: string;
  self: boolean;
  notice: string | null;
  tokens: TokenView[];
}) {
  const { user: u, records, certificates, history, historyTotal, baseDomain } = props.detail;
  const suspended = u.suspended_at !== null;
  return (
    <>
      <p>
        <a href="/admin">← Admin</a>
      </p>
      <h1>
        {u.display_name} <span class="muted mono">({u.username})</span>
      </h1>
      {props.notice && (
        <p class="alert ok" role="status">
          {props.notice}
        </p>
      )}
      {suspended && (
        <p class="alert error" id="suspended-alert">
          Suspended since {fmtDate(u.suspended_at)}: cannot sign in, records withdrawn from DNS.
        </p>
      )}
      <dl class="facts">
        <dt>Email</dt>
        <dd>{u.email || '—'}</dd>
        <dt>Role</dt>
        <dd>{u.role}</dd>
        <dt>Domain</dt>
        <dd class="mono">{baseDomain}</dd>
        <dt>Last sign-in</dt>
        <dd>{fmtDate(u.last_login_at)}</dd>
      </dl>
      <h2>Actions</h2>
      {props.self ? (
        <p class="hint">
          This is your own account: it cannot be impersonated, suspended or deleted here.
        </p>
      ) : (
        <div class="toolbar admin-actions">
          {u.role === 'admin' ? (
            <span class="hint">Admins cannot be impersonated.</span>
          ) : suspended ? (
            <span class="hint">Suspended users cannot be impersonated.</span>
          ) : (
            <form class="inline" method="post" action={`/admin/users/${u.id}/impersonate`}>
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button type="submit" class="secondary">
                Impersonate
              </button>
            </form>
          )}
          {suspended ? (
            // The confirmation page (without JavaScript) or its question in a <dialog> (app.js).
            <a class="btn secondary" href={`/admin/users/${u.id}/unsuspend`} data-dialog="">
              Unsuspend…
            </a>
          ) : (
            <a class="btn secondary" href={`/admin/users/${u.id}/suspend`}>
              Suspend…
            </a>
          )}
          <a class="btn danger" href={`/admin/users/${u.id}/delete`}>
            Delete user…
          </a>
        </div>
      )}
      <h2>DNS Records ({records.length})</h2>
      <DataTable
        class="admin-records"
        columns={recordColumns(u.id, baseDomain, suspended)}
        rows={records}
        empty="No DNS records."
        row={(r) => ({ id: `record-${r.id}` })}
      />
      <h2>Certificate</h2>
      <DataTable columns={CERTIFICATE_COLUMNS} rows={certificates} empty="No certificate." />
      <h2 id="tokens">
        Access tokens ({props.tokens.filter((t) => t.state === 'active').length} active)
      </h2>
      {props.tokens.length === 0 ? (
        <p class="hint">No access tokens.</p>
      ) : (
        <TokenTable
          tokens={props.tokens}
          csrf={props.csrf}
          revokeAction={(id) => `/admin/users/${u.id}/tokens/${id}/revoke`}
        />
      )}
      <h2>History</h2>
      <AuditTable rows={history} links />
      {historyTotal > history.length && (
        <p>
          <a href={`/admin/audit?user=${encodeURIComponent(u.username)}`}>
            See all {historyTotal} entries
          </a>
        </p>
      )}
    </>
  );
}

const CONFIRM_TITLES = {
  suspend: 'Suspend user',
  unsuspend: 'Unsuspend user',
  delete: 'Delete user',
} as const;

/**
 * Confirmation for suspend / unsuspend / delete user: the page that works without JavaScript, and
 * (`dialog`, unsuspend) the same question that app.js shows in a <dialog>. Only its form carries
 * `confirm=yes`; a POST without it lands here again and changes nothing.
 */
export function ConfirmUserActionPage(props: {
  user: User;
  csrf: string;
  kind: 'suspend' | 'unsuspend' | 'delete';
  recordCount: number;
  error?: string | null;
  dialog?: boolean;
}) {
  const u = props.user;
  const kind = props.kind;
  const Title = props.dialog ? 'h2' : 'h1';
  const records = `${props.recordCount} DNS record${props.recordCount === 1 ? '' : 's'}`;
  return (
    <section class="card narrow confirm" id={`confirm-${kind}`} aria-labelledby="confirm-title">
      <Title id="confirm-title">{CONFIRM_TITLES[kind]}</Title>
      {kind === 'delete' ? (
        <p>
          Delete <strong>{u.username}</strong> ({u.display_name})? Their {records} are removed from
          DNS, their certificate is deleted and the account is gone. The audit trail is kept. You
          can't undo this action.
        </p>
      ) : kind === 'suspend' ? (
        <p>
          Suspend <strong>{u.username}</strong> ({u.display_name})? They are signed out and cannot
          sign in, and their {records} stop resolving until you unsuspend them.
        </p>
      ) : (
        <p>
          Unsuspend <strong>{u.username}</strong> ({u.display_name})? They can sign in again
          {props.recordCount === 0 ? '' : ` and their ${records} return to DNS`}
          {u.suspended_at !== null && <> (suspended since {fmtDate(u.suspended_at)})</>}.
        </p>
      )}
      {u.role === 'admin' && kind !== 'unsuspend' && (
        <p class="alert info">
          {u.username} is an admin: you will be asked to confirm a second time.
        </p>
      )}
      {props.error && <p class="alert error">{props.error}</p>}
      <form method="post" action={`/admin/users/${u.id}/${kind}`} class="stack">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        {kind === 'delete' ? (
          <div>
            <label for="confirm-username">Type the username to confirm</label>
            <input id="confirm-username" name="username" autocomplete="off" required />
          </div>
        ) : kind === 'suspend' ? (
          <div>
            <label for="reason">Reason (kept in the audit log)</label>
            <input id="reason" name="reason" maxlength={255} />
          </div>
        ) : null}
        <p class="button-row">
          <button type="submit" class={kind === 'unsuspend' ? undefined : 'danger'}>
            {CONFIRM_TITLES[kind]}
          </button>
          <a
            class="btn secondary"
            href={`/admin/users/${u.id}`}
            data-close={props.dialog ? '' : undefined}
          >
            Cancel
          </a>
        </p>
      </form>
    </section>
  );
}

/**
 * Second confirmation before suspending or deleting another admin (a page, so it works without
 * JavaScript); the first confirmation's answers travel as hidden fields.
 */
export function ConfirmAdminActionPage(props: {
  user: User;
  csrf: string;
  kind: 'suspend' | 'delete';
  reason?: string;
  username?: string;
}) {
  const u = props.user;
  const isDelete = props.kind === 'delete';
  return (
    <section class="card narrow" id="confirm-admin-action">
      <h1>{isDelete ? 'Delete an admin' : 'Suspend an admin'}</h1>
      <p class="alert error" role="alert">
        <strong>{u.username}</strong> ({u.display_name}) is an admin.{' '}
        {isDelete
          ? 'Deleting them removes their account and their access to the admin pages.'
          : 'Suspending them signs them out and keeps them out of the admin pages until another admin unsuspends them.'}{' '}
        The audit log records this as an action against an admin.
      </p>
      {isDelete && (
        <p class="hint">
          Admins are made by their groups at the identity provider: while they are still in the
          admin group, signing in again gives them a new, empty admin account. Remove them from the
          group there as well, or suspend them instead.
        </p>
      )}
      <p>Are you sure? Confirm a second time to {props.kind} this admin.</p>
      <form method="post" action={`/admin/users/${u.id}/${props.kind}`} class="stack">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <input type="hidden" name="confirm_admin" value="yes" />
        {isDelete ? (
          <input type="hidden" name="username" value={props.username ?? ''} />
        ) : (
          <input type="hidden" name="reason" value={props.reason ?? ''} />
        )}
        <p>
          <button type="submit" class="danger">
            {isDelete ? 'Yes, delete this admin' : 'Yes, suspend this admin'}
          </button>{' '}
          <a class="btn secondary" href={`/admin/users/${u.id}`}>
            Cancel
          </a>
        </p>
      </form>
    </section>
  );
}

/** Confirmation for deleting one of a user's records. */
export function ConfirmRecordDeletePage(props: {
  user: User;
  record: DnsRecordRow;
  baseDomain: string;
  csrf: string;
}) {
  const r = props.record;
  return (
    <section class="card narrow">
      <h1>Delete {props.user.username}'s DNS record</h1>
      <p>
        Delete <strong class="mono">{`${r.subdomain}.${props.baseDomain}`}</strong> ({r.type}{' '}
        <span class="mono full-value">{shown(r)}</span>), a record of{' '}
        <strong>{props.user.display_name}</strong> ({props.user.username})? You can't undo this
        action.
      </p>
      <form method="post" action={`/admin/users/${props.user.id}/records/${r.id}/delete`}>
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Delete
        </button>{' '}
        <a class="btn secondary" href={`/admin/users/${props.user.id}`}>
          Cancel
        </a>
      </form>
    </section>
  );
}

/**
 * An admin editing another user's record: the page says whose it is before the form (the form itself
 * is the one users see, RecordFormView).
 */
export function AdminRecordFormPage(props: { user: User; name: string; children?: unknown }) {
  const u = props.user;
  return (
    <>
      <p>
        <a href={`/admin/users/${u.id}`}>← {u.username}</a>
      </p>
      <h1>Editing {u.username}'s record</h1>
      <p class="alert info" id="record-owner">
        <span class="mono">{props.name}</span> belongs to <strong>{u.display_name}</strong> (
        {u.username}). What you change here is theirs, and the audit log records it as done by you
        for them.
      </p>
      {props.children}
    </>
  );
}

/** Above the record form while an admin impersonates: whose record is being created or edited. */
export function OnBehalfNote(props: { user: User; mode: 'create' | 'edit' }) {
  const u = props.user;
  return (
    <p class="alert info" id="record-owner">
      {props.mode === 'edit'
        ? `Editing ${u.username}'s record`
        : `Creating a record for ${u.username}`}{' '}
      ({u.display_name}), as an admin: the audit log records it as done by you for them.
    </p>
  );
}

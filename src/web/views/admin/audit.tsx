/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import type { AuditRow } from '../../../db/schema.js';
import type { AuditEntry, AuditTarget } from '../../../domain/admin/audit-log.js';
import { type Column, DataTable } from '../table.js';

const fmtTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/**
 * "admin1 for jdoe" when someone acted for another account (impersonating, or for a namespace);
 * "admin1 on jdoe" for an administrator's action upon an account (suspend, delete, …); else the person.
 */
export function Who(props: { row: AuditRow }) {
  const r = props.row;
  const actor = r.actor_username ?? '(system)';
  if (r.effective_username && r.effective_user_id !== r.actor_user_id)
    return (
      <>
        <strong>{actor}</strong>{' '}
        <span class="muted">{r.action.startsWith('admin.') ? 'on' : 'for'}</span>{' '}
        {r.effective_username}
      </>
    );
  return <>{actor}</>;
}

const pretty = (json: string | null) => {
  if (json === null) return null;
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
};

/** Where an admin sees the target (its user's page, or the record's edit form); null = no link. */
const adminHref = (t: AuditTarget): string | null => {
  if (!t.exists || t.userId === null) return null;
  if (t.recordId !== null) return `/admin/users/${t.userId}/records/${t.recordId}`;
  return `/admin/users/${t.userId}`;
};

/** "DNS record www.jdoe.example.edu TXT", linked for admins while it exists, "(deleted)" after. */
export function Target(props: { target: AuditTarget; links: boolean }) {
  const t = props.target;
  const href = props.links ? adminHref(t) : null;
  return (
    <span>
      <span class="target-kind">{t.kind}</span>{' '}
      {href ? (
        <a class="mono target-name" href={href}>
          {t.name}
        </a>
      ) : (
        <span class="mono target-name">{t.name}</span>
      )}
      {t.detail && (
        <>
          {' '}
          <span class="badge">{t.detail}</span>
        </>
      )}
      {!t.exists && (
        <>
          {' '}
          <span class="muted">(deleted)</span>
        </>
      )}
    </span>
  );
}

/** An entry's before/after JSON (folded) and request id. */
function Details(props: { row: AuditEntry }) {
  const r = props.row;
  const before = pretty(r.before_json);
  const after = pretty(r.after_json);
  return (
    <>
      {before || after ? (
        <details>
          <summary>Before / after</summary>
          {before && (
            <>
              <p class="hint">Before</p>
              <pre class="pre-wrap">{before}</pre>
            </>
          )}
          {after && (
            <>
              <p class="hint">After</p>
              <pre class="pre-wrap">{after}</pre>
            </>
          )}
        </details>
      ) : null}
      {r.request_id && <p class="hint mono">Request {r.request_id}</p>}
    </>
  );
}

const auditColumns = (links: boolean): Column<AuditEntry>[] => [
  { label: 'When', cell: (r) => <span class="mono">{fmtTime(r.at)}</span> },
  { label: 'Who', cell: (r) => <Who row={r} /> },
  { label: 'Action', cell: (r) => <span class="mono">{r.action}</span> },
  {
    label: 'Target',
    class: (r) => (r.target ? 'audit-target' : undefined),
    cell: (r) => r.target && <Target target={r.target} links={links} />,
  },
  { label: 'Details', cell: (r) => <Details row={r} /> },
];

/** Audit rows as a table: time, who (actor for effective user), action, target, request id, before/after. */
export function AuditTable(props: { rows: AuditEntry[]; empty?: string; links?: boolean }) {
  return (
    <DataTable
      class="audit"
      columns={auditColumns(props.links ?? false)}
      rows={props.rows}
      empty={props.empty ?? 'Nothing recorded yet.'}
      row={(r) => ({ class: 'audit-row', 'data-action': r.action })}
    />
  );
}

/**
 * Previous/next links keeping the other query parameters (filters stay in the URL across pages). With
 * `target`, htmx swaps just that region and pushes the URL; the links work as plain links without it.
 */
export function Pager(props: {
  base: string;
  params: Record<string, string | null | undefined>;
  page: number;
  pages: number;
  target?: string;
}) {
  if (props.pages <= 1) return null;
  const href = (page: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(props.params)) if (v) q.set(k, v);
    if (page > 1) q.set('page', String(page));
    const qs = q.toString();
    return qs ? `${props.base}?${qs}` : props.base;
  };
  const hx = (page: number) =>
    props.target
      ? {
          'hx-get': href(page),
          'hx-target': props.target,
          'hx-swap': 'outerHTML',
          'hx-push-url': 'true',
        }
      : {};
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 ? (
        <a class="btn secondary" href={href(props.page - 1)} rel="prev" {...hx(props.page - 1)}>
          ← Previous
        </a>
      ) : (
        <span />
      )}
      <span aria-current="page">
        Page {props.page} of {props.pages}
      </span>
      {props.page < props.pages ? (
        <a class="btn secondary" href={href(props.page + 1)} rel="next" {...hx(props.page + 1)}>
          Next →
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}

export interface AuditPageProps {
  rows: AuditEntry[];
  total: number;
  page: number;
  pages: number;
  actions: string[];
  values: { user: string; action: string; from: string; to: string };
  errors: Record<string, string>;
}

/** /admin/audit: filter form (plain GET) and the matching rows. */
export function AdminAuditPage(props: AuditPageProps) {
  const v = props.values;
  const e = props.errors;
  return (
    <>
      <p>
        <a href="/admin">← Admin</a>
      </p>
      <h1>Audit log</h1>
      <form class="filters" method="get" action="/admin/audit" role="search">
        <div>
          <label for="f-user">User</label>
          <input id="f-user" name="user" value={v.user} placeholder="username" />
          <p class="field-error">{e.user ?? ''}</p>
        </div>
        <div>
          <label for="f-action">Action</label>
          <input id="f-action" name="action" value={v.action} list="audit-actions" />
          <datalist id="audit-actions">
            {props.actions.map((a) => (
              <option value={a} />
            ))}
          </datalist>
          <p class="field-error">{e.action ?? ''}</p>
        </div>
        <div>
          <label for="f-from">From</label>
          <input id="f-from" name="from" type="date" value={v.from} />
          <p class="field-error">{e.from ?? ''}</p>
        </div>
        <div>
          <label for="f-to">To</label>
          <input id="f-to" name="to" type="date" value={v.to} />
          <p class="field-error">{e.to ?? ''}</p>
        </div>
        <div>
          <button type="submit">Filter</button>{' '}
          <a class="btn secondary" href="/admin/audit">
            Clear
          </a>
        </div>
      </form>
      <p class="hint" id="audit-total">
        {props.total} matching entries
      </p>
      <AuditTable rows={props.rows} empty="No entries match these filters." links />
      <Pager base="/admin/audit" params={v} page={props.page} pages={props.pages} />
    </>
  );
}

/** /history: what happened in the user's own account. */
export function HistoryPage(props: {
  rows: AuditEntry[];
  total: number;
  page: number;
  pages: number;
}) {
  return (
    <>
      <h1>Account history</h1>
      <p class="lead">
        Every sign-in and every change to your DNS records and certificate, including changes an
        administrator made for you.
      </p>
      <AuditTable rows={props.rows} />
      <Pager base="/history" params={{}} page={props.page} pages={props.pages} />
    </>
  );
}

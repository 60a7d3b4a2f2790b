/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
import type { UserSearchResult } from '../../../domain/admin/users.js';
import { SEARCH_MIN } from '../../../domain/admin/users.js';
import type { AdminMetrics } from '../../../domain/admin/metrics.js';
import { Pager } from './audit.js';
import type { QueueOverview } from '../../../domain/certificates/queue.js';
import { IssuanceMetric } from './issuance.js';
import { shortDate } from '../../../time-format.js';
import { type Column, DataTable } from '../table.js';

const fmt = (n: number) => n.toLocaleString('en-CA');

function Metric(props: { id: string; title: string; value: number; children?: unknown }) {
  return (
    <section class="card metric" aria-labelledby={`m-${props.id}`}>
      <h2 id={`m-${props.id}`}>{props.title}</h2>
      <p class="metric-value" data-metric={props.id}>
        {fmt(props.value)}
      </p>
      {props.children}
    </section>
  );
}

export function MetricCards(props: { m: AdminMetrics; issuance?: QueueOverview; now?: number }) {
  const { m } = props;
  return (
    <div class="cards">
      <Metric id="users" title="Users" value={m.users}>
        <p class="hint">{fmt(m.suspendedUsers)} suspended</p>
      </Metric>
      <Metric id="records" title="DNS Records" value={m.records}>
        <ul class="hint">
          {m.recordsByType.map((r) => (
            <li>
              {r.key}: {fmt(r.n)}
            </li>
          ))}
        </ul>
      </Metric>
      <Metric id="records-error" title="Records in error" value={m.recordsInError}>
        <p class="hint">Rejected by the DNS provider</p>
      </Metric>
      <Metric id="certificates" title="Certificates" value={m.certificates}>
        <ul class="hint">
          {m.certificatesByStatus.map((r) => (
            <li>
              {r.key}: {fmt(r.n)}
            </li>
          ))}
        </ul>
      </Metric>
      {props.issuance && <IssuanceMetric o={props.issuance} now={props.now ?? Date.now()} />}
      <section class="card metric" aria-labelledby="m-jobs">
        <h2 id="m-jobs">Jobs</h2>
        {m.jobs ? (
          <>
            <p class="metric-value" data-metric="jobs-failed">
              {fmt(m.jobs.failed)} failed
            </p>
            <p class="hint" data-metric="jobs-waiting">
              {fmt(m.jobs.waiting)} waiting · {fmt(m.jobs.delayed)} delayed · {fmt(m.jobs.active)}{' '}
              running
            </p>
          </>
        ) : (
          <p class="alert error">The job queue did not answer.</p>
        )}
      </section>
    </div>
  );
}

const USER_COLUMNS: Column<UserSearchResult['users'][number]>[] = [
  {
    label: 'Username',
    cell: (u) => (
      <span class="user-cell">
        <a href={`/admin/users/${u.id}`}>{u.username}</a>
        {u.suspended_at !== null && <span class="badge err">suspended</span>}
      </span>
    ),
  },
  { label: 'Name', cell: (u) => u.display_name },
  { label: 'Email', class: 'email', cell: (u) => u.email || '—' },
  { label: 'Role', cell: (u) => u.role },
  { label: 'Records', cell: (u) => u.record_count },
  { label: 'Certificate', cell: (u) => u.certificate_status ?? '—' },
  {
    label: 'Last sign-in',
    class: 'nowrap',
    cell: (u) => (u.last_login_at === null ? 'never' : shortDate(u.last_login_at)),
  },
];

/**
 * The users region (also returned alone to htmx): the most recently signed-in users by default, the
 * matching users once a query of SEARCH_MIN characters is typed.
 */
export function UserResults(props: { result: UserSearchResult }) {
  const r = props.result;
  const recent = r.mode === 'recent';
  return (
    <div id="user-results" aria-live="polite">
      {r.skipped === 'short' && (
        <p class="hint" id="q-short">
          Type at least {SEARCH_MIN} characters to search. Meanwhile, the most recent sign-ins:
        </p>
      )}
      {r.total === 0 ? (
        <p class="hint">{recent ? 'No users yet.' : 'No users found.'}</p>
      ) : (
        <>
          <p class="hint" id="user-count">
            {recent
              ? `${fmt(r.total)} user${r.total === 1 ? '' : 's'}, most recent sign-in first`
              : `${fmt(r.total)} user${r.total === 1 ? '' : 's'} found`}
          </p>
          <DataTable class="users" columns={USER_COLUMNS} rows={r.users} />
          <Pager
            base="/admin"
            params={{ q: recent ? null : r.query }}
            page={r.page}
            pages={r.pages}
            target="#user-results"
          />
        </>
      )}
    </div>
  );
}

export function AdminDashboard(props: {
  metrics: AdminMetrics;
  issuance?: QueueOverview;
  now?: number;
  result: UserSearchResult;
  queryError: string | null;
  notice: string | null;
}) {
  return (
    <>
      <h1>Admin</h1>
      {props.notice && (
        <p class="alert ok" role="status">
          {props.notice}
        </p>
      )}
      <MetricCards m={props.metrics} issuance={props.issuance} now={props.now} />
      <p class="toolbar start">
        <a class="btn secondary" href="/admin/audit">
          Audit log
        </a>
        <a class="btn secondary" href="/admin/blocked-labels">
          Blocked labels
        </a>
        <a class="btn secondary" href="/admin/certificates">
          Certificate queue
        </a>
      </p>
      <h2 id="users-heading">Users</h2>
      <form
        method="get"
        action="/admin"
        role="search"
        class="search"
        aria-labelledby="users-heading"
      >
        <label for="q">Search by username, name or email</label>
        <div class="addon">
          <input
            id="q"
            name="q"
            type="search"
            value={props.result.query}
            placeholder="Search…"
            autocomplete="off"
            maxlength={100}
            hx-get="/admin"
            hx-trigger="keyup changed delay:300ms, search"
            hx-target="#user-results"
            hx-swap="outerHTML"
            hx-push-url="true"
            aria-describedby="q-hint q-error"
          />
          <button type="submit">Search</button>
        </div>
        <p class="hint" id="q-hint">
          At least {SEARCH_MIN} characters. Without a search, the most recent sign-ins are listed.
        </p>
        <p class="field-error" id="q-error">
          {props.queryError ?? ''}
        </p>
      </form>
      <UserResults result={props.result} />
    </>
  );
}

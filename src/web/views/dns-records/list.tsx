/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h, markup, safe } from '../../jsx/runtime.js';
import type { DnsRecordListItem } from '../../../db/repos/dns-records.js';
import { MAX_STATUS_IDS } from '../../../domain/dns-records/dns-records.js';
import type { DnsRecordRow } from '../../../db/schema.js';
import type { ClientChallengeView } from '../../../domain/dns-records/client-challenges.js';
import {
  RECORD_SORTS,
  type RawListQuery,
  type RecordListQuery,
  type RecordSort,
  SEARCH_MAX,
  expiryState,
  isDefaultListQuery,
  listQueryString,
  relativeExpiry,
} from '../../../domain/dns-records/record-list.js';
import { RECORD_TYPES } from '../../../domain/dns-records/types.js';
import { longDate } from '../../../time-format.js';
import { DataTable } from '../table.js';

export interface ListProps {
  records: DnsRecordListItem[];
  baseDomain: string;
  csrf: string;
  /** Matching records (all records when the query is the default one). */
  total: number;
  /** Every record of the owner, for "n / limit". */
  all: number;
  limit: number | null;
  page: number;
  pages: number;
  query: RecordListQuery;
  /** A bad query string: the field errors to show instead of the list (a 400 page). */
  queryErrors?: Record<string, string> | null;
  /** The flash message (no-JS redirects after renew, create, edit, delete). */
  notice: string | null;
  now: number;
  reminderThresholdsDays: readonly number[];
  /** ACME challenge values the user's own clients wrote through a token. */
  challenges?: ClientChallengeView[];
  tokenNames?: Map<number, string>;
}

const shown = (r: Pick<DnsRecordRow, 'type' | 'value' | 'priority'>) =>
  r.type === 'MX' ? `${r.priority ?? 10} ${r.value}` : r.value;
const CLIP = 48;
const clip = (s: string, n = CLIP) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Status cell. `oob` marks it for an htmx out-of-band swap (the status poller's response replaces cells
 * by id). The cell's class (ok, warn, err) draws the badge; the page's one StatusPoller asks about every
 * pending cell at once.
 */
export function StatusCell(props: {
  record: Pick<DnsRecordRow, 'id' | 'status' | 'status_message'>;
  oob?: boolean;
}) {
  const r = props.record;
  const oob = props.oob ? markup` hx-swap-oob="true"` : '';
  if (r.status === 'pending') return markup`<td id="s${r.id}" class="warn"${oob}>pending</td>`;
  if (r.status === 'error')
    return markup`<td id="s${r.id}" class="err"${oob}>error<p class="field-error">${r.status_message ?? 'The DNS provider rejected this record.'}</p></td>`;
  return markup`<td id="s${r.id}" class="ok"${oob}>live</td>`;
}

/**
 * While some records on the page are pending: one element that asks every 2 s for all their statuses
 * (GET /dns-records/status?ids=…). The response swaps the changed cells in by id and replaces this
 * element with a poller for those still pending, or with nothing once none are. Without JavaScript
 * nothing polls; reloading the page shows the current status.
 */
export function StatusPoller(props: { ids: readonly number[] }) {
  if (props.ids.length === 0) return safe('');
  const ids = props.ids.slice(0, MAX_STATUS_IDS).join(',');
  return markup`<div id="status-poller" hidden hx-get="/dns-records/status?ids=${ids}" hx-trigger="every 2s" hx-swap="outerHTML"></div>`;
}

/** When the record expires: relative ("in 3 days") with the date in the title, and a badge near the end. */
export function ExpiryCell(props: {
  expiresAt: number;
  now: number;
  reminderThresholdsDays: readonly number[];
  /** Out-of-band swap into this row's expiry cell (after a renew through htmx). */
  oobRow?: number;
}) {
  const { expiresAt, now } = props;
  const state = expiryState(expiresAt, now, props.reminderThresholdsDays);
  const badge =
    state === 'soon'
      ? markup` <span class="badge warn">expiring soon</span>`
      : state === 'expired'
        ? markup` <span class="badge err">expired</span>`
        : '';
  const oob =
    props.oobRow === undefined
      ? ''
      : markup` hx-swap-oob="outerHTML:#r${props.oobRow} > td:nth-child(5)"`;
  return markup`<td${oob}><time datetime="${isoDay(expiresAt)}" title="${longDate(expiresAt)}">${relativeExpiry(expiresAt, now)}</time>${badge}</td>`;
}

/**
 * One table row. Written with markup`` rather than JSX: it is the page's repeated part, and the template
 * renders it several times faster. Every byte here is paid 40 times on a full page (the page budget is
 * 20 KB), so: the base domain is shown once in the column header, not per row; the Copy button is added
 * by app.js (it only works with JavaScript); Renew buttons share one form (`form="rn"`, the CSRF token
 * once); Renew/Edit/Delete are named by their row header (the name, `<th scope="row">`), and app.js
 * gives them the full name ("Renew www.alice.example.edu") for voice control and lists of controls.
 */
export function RecordRow(props: {
  record: DnsRecordListItem;
  now: number;
  reminderThresholdsDays: readonly number[];
}) {
  const r = props.record;
  const value = shown(r);
  const extra = [
    r.description,
    r.ports ? `Ports = ${r.ports}` : null,
    r.course ? `Course = ${r.course}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const title = (t: string) => (t ? markup` title="${t}"` : '');
  return markup`<tr id="r${r.id}"><th scope="row"${title(extra)}>${r.subdomain}</th><td>${r.type}</td><td${title(value.length > CLIP ? value : '')}>${clip(value)}</td>${StatusCell({ record: r })}${ExpiryCell({ expiresAt: r.expires_at, now: props.now, reminderThresholdsDays: props.reminderThresholdsDays })}<td><button form="rn" name="record" value="${r.id}">Renew</button><a href="/dns-records/${r.id}">Edit</a><a href="/dns-records/${r.id}/delete" data-dialog>Delete</a></td></tr>`;
}

const SORT_LABELS: Record<RecordSort, string> = {
  name: 'Name',
  type: 'Type',
  expiry: 'Expiry (soonest first)',
};

/** Search, type filter and sort: a plain GET form; htmx swaps #records as you type. */
export function RecordFilters(props: {
  query: RecordListQuery;
  raw?: RawListQuery;
  errors?: Record<string, string> | null;
}) {
  const q = props.query;
  const e = props.errors ?? {};
  const raw = props.raw ?? {};
  const invalid = (f: string) => (e[f] ? 'true' : undefined);
  return (
    <form
      class="record-filters"
      method="get"
      action="/dns-records"
      role="search"
      aria-label="Find records"
      hx-get="/dns-records"
      hx-target="#records"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-trigger="input changed delay:250ms from:#q, change, submit"
    >
      <div class="grow">
        <label for="q">Search</label>
        <input
          type="search"
          id="q"
          name="q"
          value={e.q ? raw.q : q.search}
          maxlength={SEARCH_MAX}
          placeholder="Name or value"
          autocomplete="off"
          aria-invalid={invalid('q')}
        />
      </div>
      <div>
        <label for="type-filter">Type</label>
        <select id="type-filter" name="type" aria-invalid={invalid('type')}>
          <option value="">All types</option>
          {RECORD_TYPES.map((t) => (
            <option value={t} selected={q.type === t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="sort">Sort by</label>
        <select id="sort" name="sort" aria-invalid={invalid('sort')}>
          {RECORD_SORTS.map((s) => (
            <option value={s} selected={q.sort === s}>
              {SORT_LABELS[s]}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary">
        Apply
      </button>
    </form>
  );
}

/** The part of the page the filters replace: count, table or empty state, pager. */
export function RecordsRegion(props: ListProps) {
  const q = props.query;
  const filtered = !isDefaultListQuery(q);
  const nav = (page: number) => `/dns-records${listQueryString(q, page)}`;
  return (
    <section id="records" aria-labelledby="records-count">
      <p class="records-count" id="records-count">
        Records: <RecordCount all={props.all} limit={props.limit} />
        {filtered ? (
          <>
            {' '}
            · {props.total} {props.total === 1 ? 'match' : 'matches'}
          </>
        ) : null}
      </p>
      {props.queryErrors ? (
        <div class="empty">
          <p class="alert error" role="alert">
            {Object.values(props.queryErrors).join(' ')}
          </p>
          <p>
            <a class="btn secondary" href="/dns-records">
              Show all records
            </a>
          </p>
        </div>
      ) : props.all === 0 ? (
        <div class="empty">
          <h2>No records yet</h2>
          <p>
            A record gives one of your projects a name under{' '}
            <span class="mono">{props.baseDomain}</span>, for example{' '}
            <span class="mono">{`www.${props.baseDomain}`}</span>.
          </p>
          <p>
            <a class="btn" href="/dns-records/new">
              Create your first DNS Record
            </a>{' '}
            <a href="/dns-records/instructions">How DNS records work</a>
          </p>
        </div>
      ) : props.total === 0 ? (
        <div class="empty">
          <h2>Nothing matches</h2>
          <p>
            No record
            {q.search ? (
              <>
                {' '}
                has “<span class="mono">{q.search}</span>” in its name or value
              </>
            ) : null}
            {q.type ? <> of type {q.type}</> : null}.
          </p>
          <p>
            <a class="btn secondary" href="/dns-records">
              Clear search and filters
            </a>
          </p>
        </div>
      ) : (
        <>
          {/* Phone-width cell labels come from app.css (table.records), not a data-label per cell. */}
          <table class="responsive records" data-base={props.baseDomain}>
            <thead>
              <tr>
                <th scope="col" aria-sort={q.sort === 'name' ? 'ascending' : undefined}>
                  Name <span class="base mono">.{props.baseDomain}</span>
                </th>
                <th scope="col" aria-sort={q.sort === 'type' ? 'ascending' : undefined}>
                  Type
                </th>
                <th scope="col">Value</th>
                <th scope="col">Status</th>
                <th scope="col" aria-sort={q.sort === 'expiry' ? 'ascending' : undefined}>
                  Expires
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.records.map((r) =>
                RecordRow({
                  record: r,
                  now: props.now,
                  reminderThresholdsDays: props.reminderThresholdsDays,
                }),
              )}
            </tbody>
          </table>
          {StatusPoller({
            ids: props.records.filter((r) => r.status === 'pending').map((r) => r.id),
          })}
          {props.pages > 1 && (
            <nav class="pager" aria-label="Pages">
              {props.page > 1 && (
                <a class="btn secondary" href={nav(props.page - 1)} rel="prev">
                  Previous
                </a>
              )}
              <span>
                Page {props.page} of {props.pages}
              </span>
              {props.page < props.pages && (
                <a class="btn secondary" href={nav(props.page + 1)} rel="next">
                  Next
                </a>
              )}
            </nav>
          )}
        </>
      )}
    </section>
  );
}

/** What the list shows, in words: "3 of 40 records" (filtered), "40 records", or nothing. */
export function recordsStatusText(p: {
  all: number;
  total: number;
  query: RecordListQuery;
  queryErrors?: Record<string, string> | null;
}): string {
  if (p.queryErrors) return '';
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  return isDefaultListQuery(p.query) ? records(p.all) : `${p.total} of ${records(p.all)}`;
}

/**
 * The polite live region that says how many records the list shows. It stays in the page while the
 * filters swap #records (htmx), which updates its text out of band, so a screen reader announces the
 * new count after each search. Without JavaScript the count is printed above the table.
 */
export function RecordsStatus(props: { text: string; oob?: boolean }) {
  return (
    <p
      id="records-status"
      class="visually-hidden"
      role="status"
      aria-live="polite"
      aria-atomic="true"
      hx-swap-oob={props.oob ? 'innerHTML' : undefined}
    >
      {props.text}
    </p>
  );
}

/** "40 / 100": the owner's records against the limit (swapped out of band after a delete). */
export function RecordCount(props: { all: number; limit: number | null; oob?: boolean }) {
  const limit = props.limit === null ? 'unlimited' : String(props.limit);
  return (
    <strong id="record-count" hx-swap-oob={props.oob ? 'true' : undefined}>
      {`${props.all} / ${limit}`}
    </strong>
  );
}

/** The flash/toast: one polite live region, filled by a redirect's ?done= or by htmx out of band. */
export function Toast(props: { message: string | null; oob?: boolean }) {
  return (
    <div id="toast" class="toast" role="status" hx-swap-oob={props.oob ? 'innerHTML' : undefined}>
      {props.message ? <p>{props.message}</p> : null}
    </div>
  );
}

export function DnsRecordsPage(props: ListProps & { raw?: RawListQuery }) {
  const q = props.query;
  return (
    <>
      <div class="page-head">
        <h1>DNS Records</h1>
        <a class="btn" href="/dns-records/new">
          New record
        </a>
      </div>
      <p class="lead">
        Names under <span class="mono nowrap">{props.baseDomain}</span> for your projects. A record
        lives about six months after you create, edit or renew it.{' '}
        <a href="/dns-records/instructions">How DNS records work</a>
      </p>
      <Toast message={props.notice} />
      {props.all > 0 || props.queryErrors ? (
        <RecordFilters query={q} raw={props.raw} errors={props.queryErrors} />
      ) : null}
      <RecordsStatus text={recordsStatusText(props)} />
      <RecordsRegion {...props} />
      {/* One form for every Renew button (form="rn"): the token once, and the list as it is shown. */}
      <form
        id="rn"
        method="post"
        action="/dns-records/renew"
        hx-post="/dns-records/renew"
        hx-swap="none"
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        {q.search ? <input type="hidden" name="q" value={q.search} /> : null}
        {q.type ? <input type="hidden" name="type" value={q.type} /> : null}
        {q.sort !== 'name' ? <input type="hidden" name="sort" value={q.sort} /> : null}
        {props.page > 1 ? <input type="hidden" name="page" value={String(props.page)} /> : null}
      </form>
      {props.all > 0 && (
        <p class="legend muted">
          <span class="badge warn">pending</span> sent to DNS, waiting to be published.{' '}
          <span class="badge ok">live</span> anyone on the internet can look it up.{' '}
          <span class="badge err">error</span> the DNS provider refused it; the reason is shown.
        </p>
      )}
      {props.challenges && props.challenges.length > 0 && (
        <ClientChallenges
          challenges={props.challenges}
          tokenNames={props.tokenNames ?? new Map()}
        />
      )}
    </>
  );
}

const fmtTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * TXT values at `_acme-challenge…` names written by the user's own ACME client through a token. They
 * are not records the user manages here: the client removes them, or they expire on their own.
 */
export function ClientChallenges(props: {
  challenges: ClientChallengeView[];
  tokenNames: Map<number, string>;
}) {
  return (
    <section class="client-challenges" aria-labelledby="challenges-title">
      <h2 id="challenges-title">Certificate challenge values from your own clients</h2>
      <p class="hint">
        Your ACME client (certbot, lego, Caddy, cert-manager…) published these TXT values with one
        of your <a href="/tokens">tokens</a> to prove to the certificate authority that the name is
        yours. They are written by your ACME client and removed automatically: by the client when it
        is done, or at the time shown. They do not count toward your record limit.
      </p>
      <DataTable
        class="challenges"
        columns={[
          { label: 'Name', cell: (ch) => <span class="mono">{ch.fqdn}</span> },
          {
            label: 'Value',
            cell: (ch) => (
              <span class="mono" title={ch.value.length > 24 ? ch.value : undefined}>
                {clip(ch.value, 24)}
              </span>
            ),
          },
          {
            label: 'Written by',
            cell: (ch) =>
              ch.tokenId === null ? (
                <span class="muted">—</span>
              ) : (
                <span>token “{props.tokenNames.get(ch.tokenId) ?? `#${ch.tokenId}`}”</span>
              ),
          },
          { label: 'Removed automatically', cell: (ch) => fmtTime(ch.expiresAt) },
        ]}
        rows={props.challenges}
        row={(ch) => ({ id: `challenge-${ch.id}` })}
      />
    </section>
  );
}

/**
 * Asking before a delete: the page that works without JavaScript, and (`dialog`) the same content that
 * app.js fetches into a <dialog> when a Delete link is followed with JavaScript on. In the dialog the
 * form posts through htmx (the row goes, focus stays in the list) and Cancel closes it.
 */
export function ConfirmDeletePage(props: {
  record: DnsRecordRow;
  baseDomain: string;
  csrf: string;
  dialog?: boolean;
}) {
  const r = props.record;
  const fqdn = `${r.subdomain}.${props.baseDomain}`;
  const action = `/dns-records/${r.id}/delete`;
  const Title = props.dialog ? 'h2' : 'h1';
  return (
    <section class="card narrow confirm" aria-labelledby="confirm-title">
      <Title id="confirm-title">Delete this DNS record?</Title>
      <p>
        <strong class="mono">{fqdn}</strong> ({r.type} <span class="mono">{clip(shown(r))}</span>)
        stops resolving within minutes. You can't undo this action afterwards.
      </p>
      <form
        method="post"
        action={action}
        class="actions"
        hx-post={props.dialog ? action : undefined}
        hx-swap={props.dialog ? 'none' : undefined}
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Delete {r.subdomain}
        </button>
        <a class="btn secondary" href={`/dns-records#r${r.id}`} data-close autofocus>
          Cancel
        </a>
      </form>
    </section>
  );
}

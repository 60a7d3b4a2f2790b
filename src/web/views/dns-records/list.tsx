/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, escapeHtml, h, markup, safe } from '../../jsx/runtime.js';
import type { DnsRecordListItem } from '../../../db/repos/dns-records.js';
import { MAX_STATUS_IDS } from '../../../domain/dns-records/dns-records.js';
import type { DnsRecordRow } from '../../../db/schema.js';
import type { ClientChallengeView } from '../../../domain/dns-records/client-challenges.js';

export interface ListProps {
  records: DnsRecordListItem[];
  baseDomain: string;
  csrf: string;
  total: number;
  limit: number | null;
  page: number;
  pages: number;
  notice: string | null;
  /** ACME challenge values the user's own clients wrote through a token. */
  challenges?: ClientChallengeView[];
  tokenNames?: Map<number, string>;
}

const fmtDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const shown = (r: Pick<DnsRecordRow, 'type' | 'value' | 'priority'>) =>
  r.type === 'MX' ? `${r.priority ?? 10} ${r.value}` : r.value;
const CLIP = 48;
const clip = (s: string, n = CLIP) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Status cell. `oob` marks it for an htmx out-of-band swap (the status poller's response replaces cells
 * by id). Pending cells carry data-pending; the page's one StatusPoller asks about all of them at once.
 */
export function StatusCell(props: {
  record: Pick<DnsRecordRow, 'id' | 'status' | 'status_message'>;
  oob?: boolean;
}) {
  const r = props.record;
  const oob = props.oob ? markup` hx-swap-oob="true"` : '';
  if (r.status === 'pending')
    return markup`<td id="status-${r.id}" data-pending="${r.id}"${oob}><span class="badge warn">pending</span></td>`;
  if (r.status === 'error')
    return markup`<td id="status-${r.id}"${oob}><span class="badge err">error</span><p class="field-error">${r.status_message ?? 'The DNS provider rejected this record.'}</p></td>`;
  return markup`<td id="status-${r.id}"${oob}><span class="badge ok">live</span></td>`;
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

/** `.base.domain` with a line-break opportunity before each dot, so a long name wraps between labels. */
let shownBase = { domain: '', html: safe('') };
function baseWithBreaks(domain: string) {
  if (shownBase.domain !== domain)
    shownBase = { domain, html: safe(escapeHtml(`.${domain}`).replaceAll('.', '<wbr>.')) };
  return shownBase.html;
}

/**
 * One table row (also swapped in alone by htmx after a renew). Written with markup`` rather than JSX:
 * it is the page's repeated part, and the template renders it several times faster.
 */
export function RecordRow(props: { record: DnsRecordListItem; baseDomain: string; csrf: string }) {
  const r = props.record;
  const fqdn = `${r.subdomain}.${props.baseDomain}`;
  const value = shown(r);
  const extra = [
    r.description,
    r.ports ? `Ports = ${r.ports}` : null,
    r.course ? `Course = ${r.course}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const title = (t: string) => (t ? markup` title="${t}"` : '');
  const csrf = markup`<input type="hidden" name="_csrf" value="${props.csrf}"/>`;
  return markup`<tr id="record-${r.id}"><td><span class="mono"${title(extra)}><strong>${r.subdomain}</strong><span class="muted">${baseWithBreaks(props.baseDomain)}</span></span> <button type="button" class="secondary small" data-copy="${fqdn}" aria-label="Copy ${fqdn}">Copy</button></td><td>${r.type}</td><td><span class="mono"${title(value.length > CLIP ? value : '')}>${clip(value)}</span></td>${StatusCell({ record: r })}<td><span>${fmtDate(r.expires_at)}</span> <form class="inline" method="post" action="/dns-records/${r.id}/renew" hx-post="/dns-records/${r.id}/renew" hx-target="#record-${r.id}" hx-swap="outerHTML">${csrf}<button type="submit" class="secondary small" aria-label="Renew ${fqdn}">Renew</button></form></td><td class="row-actions"><a class="btn secondary small" href="/dns-records/${r.id}" aria-label="Edit ${fqdn}">Edit</a><form class="inline" method="post" action="/dns-records/${r.id}/delete" data-confirm="Delete ${fqdn}? You can't undo this action afterwards.">${csrf}<input type="hidden" name="confirm" value="" data-confirmed-value="yes"/><button type="submit" class="danger small" aria-label="Delete ${fqdn}">Delete</button></form></td></tr>`;
}

export function DnsRecordsPage(props: ListProps) {
  const limit = props.limit === null ? 'unlimited' : String(props.limit);
  return (
    <>
      <h1>DNS Records</h1>
      <p class="lead">
        Records point names under <span class="mono">{props.baseDomain}</span> at your projects. A
        record lives for about six months after you create, edit or renew it; use the Renew button
        next to its expiry date to keep it. New and changed records show <em>pending</em> until they
        are published. <a href="/dns-records/instructions">New to DNS? Read the instructions.</a>
      </p>
      {props.notice && (
        <p class="alert ok" role="status">
          {props.notice}
        </p>
      )}
      <p class="toolbar">
        <span>
          Total DNS records:{' '}
          <strong id="record-count">
            {props.total} / {limit}
          </strong>
        </span>
        <a class="btn" href="/dns-records/new">
          {props.total === 0 ? 'Create your first DNS Record!' : 'Create new DNS Record'}
        </a>
      </p>
      {props.total > 0 && (
        <>
          {/* Phone-width cell labels come from app.css (table.records), not a data-label per cell. */}
          <table class="responsive records">
            <thead>
              <tr>
                <th scope="col">DNS Record</th>
                <th scope="col">Type</th>
                <th scope="col">Value</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.records.map((r) =>
                RecordRow({ record: r, baseDomain: props.baseDomain, csrf: props.csrf }),
              )}
            </tbody>
          </table>
          {StatusPoller({
            ids: props.records.filter((r) => r.status === 'pending').map((r) => r.id),
          })}
          <p class="legend muted">
            <span class="badge warn">pending</span> sent to DNS, waiting to be published.{' '}
            <span class="badge ok">live</span> published: anyone on the internet can look it up.{' '}
            <span class="badge err">error</span> the DNS provider refused it; the reason is shown.
          </p>
          {props.pages > 1 && (
            <nav class="pager" aria-label="Pages">
              {props.page > 1 && (
                <a class="btn secondary" href={`/dns-records?page=${props.page - 1}`} rel="prev">
                  Previous
                </a>
              )}
              <span>
                Page {props.page} of {props.pages}
              </span>
              {props.page < props.pages && (
                <a class="btn secondary" href={`/dns-records?page=${props.page + 1}`} rel="next">
                  Next
                </a>
              )}
            </nav>
          )}
        </>
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
      <table class="responsive challenges">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
            <th scope="col">Written by</th>
            <th scope="col">Removed automatically</th>
          </tr>
        </thead>
        <tbody>
          {props.challenges.map((ch) => (
            <tr id={`challenge-${ch.id}`}>
              <td data-label="Name">
                <span class="mono">{ch.fqdn}</span>
              </td>
              <td data-label="Value">
                <span class="mono" title={ch.value.length > 24 ? ch.value : undefined}>
                  {clip(ch.value, 24)}
                </span>
              </td>
              <td data-label="Written by">
                {ch.tokenId === null ? (
                  <span class="muted">—</span>
                ) : (
                  <span>token “{props.tokenNames.get(ch.tokenId) ?? `#${ch.tokenId}`}”</span>
                )}
              </td>
              <td data-label="Removed automatically">{fmtTime(ch.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Confirmation page for deleting without JavaScript. */
export function ConfirmDeletePage(props: {
  record: DnsRecordRow;
  baseDomain: string;
  csrf: string;
}) {
  const r = props.record;
  return (
    <section class="card narrow">
      <h1>Delete DNS Record</h1>
      <p>
        Delete <strong class="mono">{`${r.subdomain}.${props.baseDomain}`}</strong> ({r.type}{' '}
        <span class="mono">{clip(shown(r))}</span>)? You can't undo this action afterwards.
      </p>
      <form method="post" action={`/dns-records/${r.id}/delete`} class="inline">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class="danger">
          Delete
        </button>{' '}
        <a class="btn secondary" href="/dns-records">
          Cancel
        </a>
      </form>
    </section>
  );
}

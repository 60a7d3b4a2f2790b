/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** /admin/certificates: the issuance budget, the queue, and the CA's recent rate-limit answers. */
import type { LimitName } from '../../../domain/certificates/budget.js';
import type { QueueOverview } from '../../../domain/certificates/queue.js';
import { weekdayTime } from '../../../time-format.js';
import { type Column, DataTable } from '../table.js';

const LIMIT_TITLE: Record<LimitName, string> = {
  'new-orders-per-account': 'New orders from this service',
  'certificates-per-registered-domain': 'New certificates for the root domain',
  'certificates-per-exact-set': 'Same certificate again',
  'failed-authorizations-per-identifier': 'Failed validations per name',
};

const at = weekdayTime;

/** A time still to come: "now" when it is (nearly) here. */
const when = (ms: number | null, now: number) => {
  if (ms === null) return '—';
  if (ms <= now) return 'now';
  if (ms <= now + 60_000) return 'within a minute';
  return at(ms);
};

const span = (ms: number) => {
  const h = ms / 3_600_000;
  if (h < 1) return `${Math.round(ms / 60_000)} min`;
  if (h < 48) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round((h / 24) * 10) / 10} days`;
};

const period = (ms: number) =>
  ms === 7 * 86_400_000
    ? 'week'
    : ms === 3 * 3_600_000
      ? '3 hours'
      : ms === 3_600_000
        ? 'hour'
        : span(ms);

/** The dashboard card: how many wait and when a new request would go. */
export function IssuanceMetric(props: { o: QueueOverview; now: number }) {
  const { o, now } = props;
  return (
    <section class="card metric" aria-labelledby="m-issuance">
      <h2 id="m-issuance">Certificate queue</h2>
      <p class="metric-value" data-metric="issuance-waiting">
        {o.waiting.toLocaleString('en-CA')} waiting
      </p>
      <p class="hint">
        {o.pausedUntil !== null ? (
          <span class="badge err">paused until {when(o.pausedUntil, now)}</span>
        ) : (
          <>A new request goes {when(o.newRequestEstimate, now)}.</>
        )}{' '}
        <a href="/admin/certificates">Budget and queue</a>
      </p>
    </section>
  );
}

const bucketColumns = (now: number): Column<QueueOverview['buckets'][number]>[] => [
  {
    label: 'Limit',
    cell: (b) => (
      <>
        {LIMIT_TITLE[b.limit]}{' '}
        <span class="hint">
          ({b.capacity.toLocaleString('en-CA')} per {period(b.periodMs)})
        </span>
      </>
    ),
  },
  { label: 'Used', cell: (b) => b.used.toLocaleString('en-CA') },
  { label: 'Remaining', cell: (b) => b.remaining.toLocaleString('en-CA') },
  {
    label: 'Next refill',
    cell: (b) => (b.nextTokenAt === null ? 'full' : when(b.nextTokenAt, now)),
  },
];

const RATE_LIMIT_COLUMNS: Column<QueueOverview['rateLimits'][number]>[] = [
  { label: 'When', cell: (r) => at(r.at) },
  {
    label: 'Request',
    cell: (r) => `${r.operation}${r.certificate_id !== null ? ` #${r.certificate_id}` : ''}`,
  },
  { label: 'Paused until', cell: (r) => at(r.retry_until) },
  { label: 'What the CA said', cell: (r) => r.detail },
];

export function IssuancePage(props: { o: QueueOverview; now: number }) {
  const { o, now } = props;
  return (
    <>
      <h1>Certificates: budget and queue</h1>
      <p>
        Orders are planned against the certificate authority's published limits (
        <span class="mono">ACME_LIMIT_PROFILE={o.profile}</span>
        {o.rootDomainOnPsl ? ', root domain on the Public Suffix List' : ''}). Requests beyond the
        budget wait here, renewals first, and go as the budget refills.
      </p>
      {o.pausedUntil !== null && (
        <div class="alert error" role="alert" id="issuance-paused">
          <strong>Paused.</strong> The certificate authority answered <em>rateLimited</em>; nothing
          is sent until {when(o.pausedUntil, now)}.
        </div>
      )}
      <div class="cards">
        <section class="card metric">
          <h2>Waiting</h2>
          <p class="metric-value" data-metric="queue-length">
            {o.waiting.toLocaleString('en-CA')}
          </p>
          <p class="hint">
            {o.oldestQueuedAt === null
              ? 'Nobody is waiting.'
              : `The oldest has waited ${span(Math.max(0, now - o.oldestQueuedAt))} (since ${at(o.oldestQueuedAt)}).`}
          </p>
        </section>
        <section class="card metric">
          <h2>A new request now</h2>
          <p class="metric-value" data-metric="new-request-estimate">
            {when(o.newRequestEstimate, now)}
          </p>
          <p class="hint">
            {o.newRequestEstimate > now + 60_000
              ? `wait about ${span(o.newRequestEstimate - now)}${o.newRequestLimit ? ` (${LIMIT_TITLE[o.newRequestLimit].toLowerCase()})` : ''}`
              : 'would be sent at once'}
          </p>
        </section>
      </div>
      <h2>Shared limits</h2>
      <DataTable
        columns={bucketColumns(now)}
        rows={o.buckets}
        empty="No limits are modelled (ACME_LIMIT_PROFILE=none)."
        row={(b) => ({ 'data-bucket': b.limit })}
      />
      <p class="hint">
        Renewals of the same names are exempt from both; renewals that use ACME Renewal Information
        are exempt from every limit. Each student's own limits (5 identical certificates a week, 5
        failed validations an hour) hold only that student's request.
      </p>
      <h2>Rate-limit answers from the certificate authority</h2>
      <DataTable
        id="rate-limits"
        columns={RATE_LIMIT_COLUMNS}
        rows={o.rateLimits}
        empty="None in the last 30 days."
      />
    </>
  );
}

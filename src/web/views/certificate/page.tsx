/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** The /certificate page: request, pending status, validity, the four parts, instructions, delete. */
import {
  type CertificateOverview,
  type CertificatePart,
  KEY_UNAVAILABLE_MESSAGE,
} from '../../../domain/certificates/certificates.js';
import type { CertificateRow } from '../../../db/schema.js';
import type { QueuePlace } from '../../../domain/certificates/queue.js';
import type { LimitName } from '../../../domain/certificates/budget.js';
import { isShortLived } from '../../../domain/certificates/profiles.js';

import type { HtmlEscapedString } from 'hono/utils/html';
import { shortDate, shortDateTime as fmtTime } from '../../../time-format.js';

const fmt = (ms: number | null) => (ms === null ? '—' : shortDate(ms));

const STEP_WORDS: Record<string, string> = {
  requested: 'Asking the certificate authority for an order',
  'order-created': 'Publishing the proof records in your DNS',
  'challenges-published': 'Waiting for the proof records to be visible on every DNS server',
  'dns-visible': 'Asking the certificate authority to check the proof records',
  'challenges-answered': 'The certificate authority is checking the proof records',
  'order-ready': 'Sending the certificate request',
  finalized: 'Downloading your certificate',
};

/** "Tuesday 5 January, 14:05 UTC", rounded to 5 minutes (it is an estimate). */
export function aboutWhen(ms: number, now: number): string {
  if (ms - now < 90_000) return 'in a moment';
  const at = new Date(Math.ceil(ms / 300_000) * 300_000);
  const day = at.toLocaleDateString('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    timeZone: 'UTC',
  });
  const time = at.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  });
  return `about ${day}, ${time} UTC`;
}

const WHY: Record<LimitName, string> = {
  'certificates-per-registered-domain':
    'The certificate authority issues a limited number of new certificates each week for everyone under this domain together, so first-time requests take turns.',
  'new-orders-per-account':
    'The certificate authority accepts a limited number of new requests from this service every three hours, so requests take turns.',
  'certificates-per-exact-set':
    'The certificate authority issues the same certificate only five times a week, and yours has reached that.',
  'failed-authorizations-per-identifier':
    'The last checks of your domain failed, and the certificate authority allows only five failures an hour, so we wait before trying again.',
};

/** A request waiting for the issuance budget: its place, why, and when it should go. */
function QueueNotice(props: { queue: QueuePlace; now: number; domain: string }) {
  const q = props.queue;
  const paused = q.pausedUntil !== null && q.pausedUntil >= q.estimate;
  return (
    <>
      <h2>Your request is in the queue</h2>
      <div class="queue-facts">
        <p>
          <span class="queue-big" data-queue-place={q.place}>
            {q.place === 1 ? 'Next' : `No. ${q.place}`}
          </span>
          <span class="hint">
            in line, {q.length} {q.length === 1 ? 'request' : 'requests'} waiting
          </span>
        </p>
        <p>
          <span class="queue-big">{aboutWhen(q.estimate, props.now).replace(/^about /, '')}</span>
          <span class="hint">when we expect to send it</span>
        </p>
      </div>
      <p>
        We expect to send your request for <span class="mono">{props.domain}</span> and{' '}
        <span class="mono">*.{props.domain}</span> {aboutWhen(q.estimate, props.now)}. Issuing then
        takes about a minute, and we will email you as soon as your certificate is ready. You can
        leave this page; it updates by itself.
      </p>
      <p class="hint" data-queue-reason={paused ? 'paused' : (q.limit ?? 'queue')}>
        <strong>Why the wait?</strong>{' '}
        {paused
          ? 'The certificate authority asked us to slow down, so nothing is sent until then.'
          : q.limit
            ? WHY[q.limit]
            : 'Requests ahead of yours go first.'}{' '}
        <a href="/certificate">Refresh</a>
      </p>
    </>
  );
}

/**
 * Pending status; polls itself with htmx (every 2 s while issuing, every minute while queued), with
 * a plain Refresh link without JavaScript.
 */
export function PendingStatus(props: {
  request: CertificateRow;
  queue?: QueuePlace | null;
  now?: number;
}) {
  if (props.queue)
    return (
      <section
        id="certificate-status"
        class="card queue"
        role="status"
        hx-get="/certificate/status"
        hx-trigger="every 60s"
        hx-swap="outerHTML"
      >
        <QueueNotice
          queue={props.queue}
          now={props.now ?? Date.now()}
          domain={props.request.domain}
        />
      </section>
    );
  const steps = Object.keys(STEP_WORDS);
  const at = steps.indexOf(props.request.step);
  return (
    <section
      id="certificate-status"
      class="card issuing"
      role="status"
      aria-busy="true"
      hx-get="/certificate/status"
      hx-trigger="every 2s"
      hx-swap="outerHTML"
    >
      <h2>
        <span class="spinner" aria-hidden="true"></span>
        {props.request.renewal_of ? 'Renewing your certificate…' : 'Issuing your certificate…'}
      </h2>
      <p>
        <strong>We have received your request.</strong> We will email you when your certificate is
        ready. You can leave this page; it updates by itself.
      </p>
      {at >= 0 && (
        <progress max={String(steps.length)} value={String(at + 1)} aria-label="Issuing progress">
          Step {at + 1} of {steps.length}
        </progress>
      )}
      <p class="hint">
        {at >= 0 && `Step ${at + 1} of ${steps.length}: `}
        {STEP_WORDS[props.request.step] ?? props.request.step}. <a href="/certificate">Refresh</a>
      </p>
    </section>
  );
}

const PARTS_SHOWN = ['certificate', 'privateKey', 'chain', 'fullChain'] as const;

const PART_INFO: Record<CertificatePart, { title: string; text: string }> = {
  certificate: {
    title: 'Public Certificate',
    text: 'Your certificate for your domain and all its subdomains. Servers send it to browsers.',
  },
  privateKey: {
    title: 'Private Key',
    text: 'The secret key that belongs to your certificate. Keep it private: never share or commit it.',
  },
  chain: {
    title: 'Intermediate Certificate Chain',
    text: "The certificate authority's intermediate certificate(s) that link yours to a trusted root.",
  },
  fullChain: {
    title: 'Full Chain',
    text: 'Your certificate followed by the intermediate chain, in one file (what most servers want).',
  },
};

function Part(props: { part: CertificatePart; pem: string }) {
  const info = PART_INFO[props.part];
  return (
    <section class="card part" id={`part-${props.part}`}>
      <h3>{info.title}</h3>
      <p>{info.text}</p>
      <p class="btn-group">
        <a class="btn secondary small" href={`/certificate/download/${props.part}`} download>
          Download
        </a>
        <button type="button" class="secondary small" data-copy={props.pem}>
          Copy
        </button>
      </p>
      <details>
        <summary>Show {info.title}</summary>
        <pre class="snippet">{props.pem}</pre>
      </details>
    </section>
  );
}

/** How far the current certificate is through its life, for the validity bar (percent, 0–100). */
export function validityMeter(
  validFrom: number,
  validTo: number,
  renewAt: number | null,
  now: number,
): { usedPercent: number; renewPercent: number | null; daysLeft: number } {
  const span = Math.max(1, validTo - validFrom);
  const pct = (t: number) => Math.min(100, Math.max(0, Math.round(((t - validFrom) / span) * 100)));
  return {
    usedPercent: pct(now),
    renewPercent: renewAt === null ? null : pct(renewAt),
    daysLeft: Math.max(0, Math.floor((validTo - now) / 86_400_000)),
  };
}

function daysWords(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}

/**
 * Validity as a bar from issue to expiry with the automatic renewal marked. The bar is an SVG (the
 * page's CSP forbids inline styles, so no style="width: …"); the numbers are in aria-value* and
 * in the dates under it.
 */
function Validity(props: {
  overview: CertificateOverview;
  current: CertificateRow;
  lifetime: number | null;
  caName: string;
  now: number;
}) {
  const { overview: o, current: c, now } = props;
  if (c.valid_from == null || c.valid_to == null) return null;
  const m = validityMeter(c.valid_from, c.valid_to, o.renewAt, now);
  const expired = c.valid_to <= now;
  const state = expired
    ? 'err'
    : o.renewAt !== null && o.renewAt <= now
      ? 'warn'
      : m.usedPercent >= 90
        ? 'warn'
        : 'ok';
  const headline = expired
    ? 'Expired'
    : m.daysLeft === 0
      ? 'Expires today'
      : `Valid for ${daysWords(m.daysLeft)} more`;
  return (
    <section class="card validity" id="validity" aria-labelledby="validity-title">
      <div class="validity-head">
        <h2 id="validity-title">{headline}</h2>
        {props.lifetime !== null && (
          <span class="hint">
            Lifetime <span data-lifetime-ms={props.lifetime}>{lifetimeWords(props.lifetime)}</span>
          </span>
        )}
      </div>
      <div
        class={`meter ${state}`}
        role="progressbar"
        aria-labelledby="validity-title"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow={String(m.usedPercent)}
        aria-valuetext={`${m.usedPercent}% of its validity used; ${expired ? 'expired' : `expires in ${daysWords(m.daysLeft)}`}`}
        data-renew-percent={m.renewPercent === null ? undefined : String(m.renewPercent)}
      >
        <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
          <rect class="meter-track" x="0" y="0" width="100" height="10" />
          <rect class="meter-fill" x="0" y="0" width={String(m.usedPercent)} height="10" />
          {m.renewPercent !== null && (
            <line
              class="meter-mark"
              x1={String(m.renewPercent)}
              x2={String(m.renewPercent)}
              y1="0"
              y2="10"
              vector-effect="non-scaling-stroke"
            />
          )}
        </svg>
      </div>
      <dl class="validity-dates">
        <div>
          <dt>Created On</dt>
          <dd>{fmt(c.valid_from)}</dd>
        </div>
        {o.renewAt !== null && (
          <div class="renew">
            <dt>
              <span class="mark-key" aria-hidden="true"></span>Renews automatically
            </dt>
            <dd>{o.renewAt <= now ? 'Due now' : fmt(o.renewAt)}</dd>
          </div>
        )}
        <div class="end">
          <dt>Expires On</dt>
          <dd>{fmt(c.valid_to)}</dd>
        </div>
      </dl>
      <RenewalTiming overview={o} caName={props.caName} now={now} />
    </section>
  );
}

export function CertificatePage(props: {
  overview: CertificateOverview;
  queue?: QueuePlace | null;
  parts: Record<CertificatePart, string> | null;
  csrf: string;
  notice: string | null;
  error: string | null;
  devRoot: boolean;
  /** False while an admin acts as the owner: no private key or .pfx links. */
  showKeys?: boolean;
  /** Who suggests the ARI window and issues the certificates (see caDisplayName). */
  caName?: string;
  /** The time the page is rendered at (epoch ms). */
  now?: number;
  /** How long a new certificate will last (the configured ACME profile, or the CA's default). */
  expectedLifetimeMs?: number;
}) {
  const { overview: o, parts } = props;
  const c = o.current;
  const now = props.now ?? Date.now();
  const caName = props.caName ?? 'The certificate authority';
  const pending = o.request?.status === 'pending';
  const pfx = props.showKeys !== false && o.keyAvailable;
  const lifetime =
    c?.valid_from != null && c.valid_to != null
      ? c.valid_to - c.valid_from
      : (props.expectedLifetimeMs ?? null);
  return (
    <>
      <div class="page-head cert-head">
        <div>
          <h1>Certificate</h1>
          {c && (
            <p class="lead">
              HTTPS for <span class="mono">{c.domain}</span> and{' '}
              <span class="mono">*.{c.domain}</span>
            </p>
          )}
        </div>
        {c && parts && (
          <div class="btn-group cert-actions" aria-label="Certificate actions" role="group">
            {!pending &&
              (o.renewable ? (
                // Renewal asks first (it orders a certificate and spends from the issuance
                // budget): the confirmation page, or its question in a <dialog> (app.js).
                <a
                  class="btn"
                  href="/certificate/renew"
                  data-dialog=""
                  aria-describedby="renewal-timing"
                >
                  {o.keyAvailable ? 'Renew now…' : 'Request a new certificate…'}
                </a>
              ) : (
                <button type="button" class="secondary" disabled aria-describedby="renewal-timing">
                  Renew now
                </button>
              ))}
            {pfx && (
              <a class="btn secondary" href="/certificate/download/pfx" download>
                Download .pfx
              </a>
            )}
            <a
              class="btn secondary danger-text"
              href="/certificate/delete"
              data-dialog="delete-dialog"
            >
              Delete…
            </a>
          </div>
        )}
      </div>
      {props.notice && (
        <div class="alert ok" role="status">
          {props.notice}
        </div>
      )}
      {props.error && (
        <div class="alert error" role="alert">
          {props.error}
        </div>
      )}
      {pending && <PendingStatus request={o.request!} queue={props.queue ?? null} now={now} />}
      {o.request?.status === 'failed' && (
        <div class="alert error" role="alert">
          <strong>Request unsuccessful.</strong> {o.request.error}
          {c && ' Your current certificate is still valid.'}
        </div>
      )}
      {!c && !pending && (
        <section class="card cert-request">
          <h2>Get an HTTPS certificate</h2>
          <p>
            One certificate for <span class="mono">{o.domain}</span> and{' '}
            <span class="mono">*.{o.domain}</span> (all of your subdomains), for any project
            connected to your DNS records. New to this? Read{' '}
            <a href="/certificate/information">what certificates are</a>.
          </p>
          {lifetime !== null && <LifetimeNote lifetimeMs={lifetime} issued={false} />}
          <form method="post" action="/certificate" class="cert-request-form">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="hidden" name="intent" value="request" />
            <button type="submit">Request a Certificate</button>
          </form>
        </section>
      )}
      {c && parts && (
        <>
          {!o.keyAvailable && (
            <div class="alert error" role="alert" id="key-unavailable">
              <strong>Private key unavailable.</strong> {KEY_UNAVAILABLE_MESSAGE}
            </div>
          )}
          <Validity overview={o} current={c} lifetime={lifetime} caName={caName} now={now} />
          {lifetime !== null && isShortLived(lifetime) && (
            <LifetimeNote lifetimeMs={lifetime} issued={true} />
          )}
          <h2>Using your certificate</h2>
          <p class="hint">
            Files are named <span class="mono nowrap">{c.domain}.certificate.pem</span>,{' '}
            <span class="mono nowrap">.privkey.pem</span>,{' '}
            <span class="mono nowrap">.chain.pem</span> and{' '}
            <span class="mono nowrap">.bundle.pem</span>
            {pfx && <>; the .pfx holds the certificate, chain and private key (empty password)</>}.
          </p>
          <div class={`cards cert-parts n${PARTS_SHOWN.filter((p) => parts[p] !== '').length}`}>
            {PARTS_SHOWN.filter((p) => parts[p] !== '').map((p) => (
              <Part part={p} pem={parts[p]} />
            ))}
          </div>
          {o.previous && (
            <PreviousCertificate
              previous={o.previous}
              keyAvailable={o.previousKeyAvailable}
              showKeys={props.showKeys !== false}
            />
          )}
          <Instructions domain={c.domain} pfx={pfx} />
          <DeleteDialog domain={c.domain} csrf={props.csrf} />
        </>
      )}
      {props.devRoot && (
        <section class="card dev-root">
          <h2>Development certificate authority</h2>
          <p>
            This installation issues certificates from a development CA that browsers do not trust.
            To make browsers and tools trust them, import its{' '}
            <a href="/certificate/dev-root.pem">root certificate</a>.
          </p>
        </section>
      )}
    </>
  );
}

/**
 * The delete confirmation as a modal `<dialog>` already in the page (app.js opens it from the Delete
 * link, data-dialog="delete-dialog", through the same code path as the fetched questions); without
 * JavaScript the link leads to the confirmation page instead, and the dialog is never shown.
 */
function DeleteDialog(props: { domain: string; csrf: string }) {
  return (
    <dialog id="delete-dialog" class="confirm" aria-labelledby="delete-dialog-title">
      <form method="post" action="/certificate/delete">
        <h2 id="delete-dialog-title">Delete your certificate?</h2>
        <p>
          The certificate for <span class="mono">{props.domain}</span> is revoked at the certificate
          authority and stops working everywhere you use it.
        </p>
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="confirm" value="yes" />
        {/* As in every confirmation: the action first, then Cancel (which gets the focus). */}
        <div class="actions">
          <button type="submit" class="danger">
            Delete and revoke
          </button>
          <button type="submit" class="secondary" formmethod="dialog" formnovalidate data-close="">
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** When the automatic renewal starts, and the CA's suggested window (ARI) when it gave one. */
function RenewalTiming(props: { overview: CertificateOverview; caName: string; now: number }) {
  const o = props.overview;
  if (o.renewAt === null) return null;
  return (
    <div class="renewal-timing" id="renewal-timing">
      <p>
        {o.request?.status === 'pending'
          ? 'Renewing now.'
          : !o.keyAvailable
            ? 'Request a new certificate: it comes with a new private key.'
            : o.renewAt <= props.now
              ? 'Renewal is due: we start it automatically shortly (after a failed attempt, we try again 12 hours later).'
              : o.renewable
                ? `We renew it automatically around ${fmt(o.renewAt)}; you can also renew it now.`
                : fmt(o.renewFrom) === fmt(o.renewAt)
                  ? `We renew it automatically around ${fmt(o.renewAt)}; you can also renew it yourself from then.`
                  : `We renew it automatically around ${fmt(o.renewAt)}; you can renew it yourself from ${fmt(o.renewFrom)}.`}
      </p>
      {o.ariWindow && (
        <p class="hint">
          {props.caName} suggests renewing between {fmtTime(o.ariWindow.start)} and{' '}
          {fmtTime(o.ariWindow.end)}.
          {o.ariWindow.explanationUrl && /^https?:\/\//i.test(o.ariWindow.explanationUrl) && (
            <>
              {' '}
              <a href={o.ariWindow.explanationUrl} rel="noopener noreferrer">
                Why?
              </a>
            </>
          )}
        </p>
      )}
    </div>
  );
}

/** The certificate the current one replaced: still valid, still downloadable until it expires. */
function PreviousCertificate(props: {
  previous: CertificateRow;
  keyAvailable: boolean;
  showKeys: boolean;
}) {
  const p = props.previous;
  const links: [string, string][] = [
    ['certificate', 'Public Certificate'],
    ['chain', 'Intermediate Certificate Chain'],
    ['fullChain', 'Full Chain'],
    ...(props.showKeys && props.keyAvailable
      ? ([
          ['privateKey', 'Private Key'],
          ['pfx', '.pfx bundle'],
        ] as [string, string][])
      : []),
  ];
  return (
    <section class="card" id="previous-certificate">
      <h2>Previous certificate</h2>
      <p>
        Valid until {fmt(p.valid_to)}. It still works wherever it is installed; switch to the new
        one before then.
      </p>
      <p>
        {links.map(([part, label], i) => (
          <>
            {i > 0 && ' · '}
            <a href={`/certificate/download/${part}?which=previous`} download>
              {label}
            </a>
          </>
        ))}
      </p>
    </section>
  );
}

/** "90 days", "45 days", "6 days and 16 hours". */
export function lifetimeWords(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  const days = Math.floor(hours / 24);
  const rest = hours - days * 24;
  if (days === 0) return `${rest} hours`;
  if (rest === 0 || days >= 10) return `${Math.round(ms / 86_400_000)} days`;
  return `${days} days and ${rest} hours`;
}

/**
 * How long certificates last and what that means: a short-lived one (under 10 days) is for servers
 * that fetch their certificate automatically, never for installing by hand.
 */
function LifetimeNote(props: { lifetimeMs: number; issued: boolean }) {
  const words = lifetimeWords(props.lifetimeMs);
  if (!isShortLived(props.lifetimeMs))
    return (
      <p class="hint">
        Certificates last {words}. We renew yours automatically before it expires and email you when
        the new one is ready.
      </p>
    );
  return (
    <div class="alert info lifetime-note" role="note" id="short-lived">
      <strong>
        {props.issued ? 'This certificate lasts' : 'Certificates here last'} only {words}.
      </strong>{' '}
      They are meant for servers that fetch a fresh certificate by themselves: we renew every few
      days, so a certificate you install by hand stops working within a week. Create an{' '}
      <a href="/tokens">access token</a> with the <span class="mono">certificate:read</span>{' '}
      permission and let your server download it from the <a href="/docs/api">API</a> (for example
      from a daily cron job), or use your own ACME client with the{' '}
      <a href="/tokens">update protocols</a>.
    </div>
  );
}

/** One platform's instructions: a few words and the code to copy. */
interface Platform {
  id: string;
  label: string;
  intro: HtmlEscapedString | string;
  code?: string;
  after?: HtmlEscapedString | string;
}

function platforms(d: string, pfx: boolean): Platform[] {
  return [
    {
      id: 'nginx',
      label: 'nginx',
      intro: 'Use the Full Chain and the Private Key in your server block:',
      code: `server {
    listen 443 ssl;
    server_name ${d} *.${d};
    ssl_certificate     /etc/ssl/${d}.bundle.pem;
    ssl_certificate_key /etc/ssl/${d}.privkey.pem;
}`,
      after: (
        <>
          Check with <span class="mono">nginx -t</span>, then reload with{' '}
          <span class="mono">systemctl reload nginx</span>.
        </>
      ),
    },
    {
      id: 'apache',
      label: 'Apache',
      intro: 'Enable mod_ssl (a2enmod ssl) and point the virtual host at the Full Chain and Key:',
      code: `<VirtualHost *:443>
    ServerName ${d}
    ServerAlias *.${d}
    SSLEngine on
    SSLCertificateFile    /etc/ssl/${d}.bundle.pem
    SSLCertificateKeyFile /etc/ssl/${d}.privkey.pem
</VirtualHost>`,
      after: (
        <>
          Apache 2.4.8 and later read the chain from <span class="mono">SSLCertificateFile</span>.
          Check with <span class="mono">apachectl configtest</span>, then reload.
        </>
      ),
    },
    {
      id: 'caddy',
      label: 'Caddy',
      intro: 'Give Caddy the Full Chain and the Key (it then skips its own certificate request):',
      code: `${d}, *.${d} {
    tls /etc/ssl/${d}.bundle.pem /etc/ssl/${d}.privkey.pem
    reverse_proxy localhost:3000
}`,
    },
    {
      id: 'nodejs',
      label: 'Node.js',
      intro: (
        <>
          Pass the Full Chain and the Key to{' '}
          <a href="https://nodejs.org/api/https.html#httpscreateserveroptions-requestlistener">
            https.createServer
          </a>
          :
        </>
      ),
      code: `import { readFileSync } from 'node:fs';
import https from 'node:https';

https
  .createServer(
    {
      cert: readFileSync('${d}.bundle.pem'),
      key: readFileSync('${d}.privkey.pem'),
    },
    app,
  )
  .listen(443);`,
    },
    {
      id: 'iis',
      label: 'IIS / Azure',
      intro: pfx ? (
        <>
          Windows uses one <a href="/certificate/download/pfx">.pfx file</a> with the certificate,
          chain and private key (empty password). In IIS Manager open{' '}
          <em>Server Certificates → Import</em>, choose the file, then add an <em>https</em> binding
          to your site. Azure App Service wants a .pfx with a password; make one from the PEM files:
        </>
      ) : (
        'Windows and Azure use a .pfx file, which only the owner of the certificate can download. Azure App Service wants one with a password; the owner can make one from the PEM files:'
      ),
      code: `openssl pkcs12 -export -out ${d}.pfx \
    -inkey ${d}.privkey.pem -in ${d}.bundle.pem`,
      after: (
        <>
          Then upload it under <em>Certificates → Bring your own certificates (.pfx)</em> and add a
          TLS/SSL binding.
        </>
      ),
    },
    {
      id: 'aws',
      label: 'AWS ACM',
      intro: (
        <>
          In AWS Certificate Manager choose <em>Import certificate</em> and paste the Public
          Certificate, the Private Key and the Intermediate Certificate Chain, or use the{' '}
          <a href="https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-api-cli.html">
            AWS CLI
          </a>
          :
        </>
      ),
      code: `aws acm import-certificate \
    --certificate fileb://${d}.certificate.pem \
    --private-key fileb://${d}.privkey.pem \
    --certificate-chain fileb://${d}.chain.pem`,
      after: 'Re-import the renewed files into the same certificate ARN after each renewal.',
    },
  ];
}

/**
 * Instructions per platform as tabs. Without JavaScript the tab strip is a list of links to the
 * sections (the CSS shows the :target one, the first by default, and all of them where :has() is
 * unknown); app.js turns it into an ARIA tablist with a roving tabindex.
 */
function Instructions(props: { domain: string; pfx: boolean }) {
  const list = platforms(props.domain, props.pfx);
  return (
    <section class="card instructions" id="instructions" aria-labelledby="instructions-title">
      <h2 id="instructions-title">Install it on your server</h2>
      <div class="tabs" data-tabs>
        <nav class="tab-list" aria-label="Platforms" data-tablist>
          {list.map((p) => (
            <a href={`#${p.id}`} id={`tab-${p.id}`} class="tab">
              {p.label}
            </a>
          ))}
        </nav>
        {list.map((p) => (
          <section class="tab-panel" id={p.id} aria-labelledby={`tab-${p.id}`}>
            <h3 class="visually-hidden">{p.label}</h3>
            <p>{p.intro}</p>
            {p.code && (
              <div class="copy-block">
                <div class="copy-head">
                  <span>{p.label}</span>
                  <button type="button" class="secondary small" data-copy={p.code}>
                    Copy
                  </button>
                </div>
                <pre class="snippet">
                  <code>{p.code}</code>
                </pre>
              </div>
            )}
            {p.after && <p class="hint">{p.after}</p>}
          </section>
        ))}
      </div>
    </section>
  );
}

export function ConfirmDeletePage(props: { domain: string; csrf: string }) {
  return (
    <>
      <h1>Delete certificate</h1>
      <section class="card">
        <p>
          Delete the certificate for <span class="mono">{props.domain}</span>? It is revoked at the
          certificate authority and stops working everywhere you use it.
        </p>
        <form method="post" action="/certificate/delete" class="stack">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" class="danger">
            Delete and revoke
          </button>{' '}
          <a href="/certificate">Cancel</a>
        </form>
      </section>
    </>
  );
}

/**
 * Asking before a renewal: a new order at the certificate authority, which spends from the issuance
 * budget everyone here shares. The page without JavaScript, and (`dialog`) the same question in
 * app.js's <dialog>. Only its form carries confirm=yes.
 */
export function ConfirmRenewPage(props: {
  overview: CertificateOverview;
  csrf: string;
  caName: string;
  now: number;
  dialog?: boolean;
}) {
  const o = props.overview;
  const c = o.current!;
  const Title = props.dialog ? 'h2' : 'h1';
  const fresh = !o.keyAvailable;
  return (
    <section class="card narrow confirm" aria-labelledby="confirm-title">
      <Title id="confirm-title">
        {fresh ? 'Request a new certificate?' : 'Renew your certificate now?'}
      </Title>
      <p>
        This orders a new certificate for <span class="mono">{c.domain}</span> and{' '}
        <span class="mono">*.{c.domain}</span> from {props.caName.replace(/^The /, 'the ')}
        {fresh ? ', with a new private key' : ''}. Your current certificate keeps working until it
        expires on {fmt(c.valid_to)}; install the new one when it is ready.
      </p>
      <p class="hint">
        Every order counts against the certificate authority's limits, which all users here share.
        {fresh || o.renewAt === null
          ? ''
          : o.renewAt > props.now
            ? ` If you do nothing, it renews automatically around ${fmt(o.renewAt)}.`
            : ' If you do nothing, it renews automatically soon: it is already due.'}
      </p>
      <form method="post" action="/certificate" class="actions">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <input type="hidden" name="intent" value="renew" />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">{fresh ? 'Request a new certificate' : 'Renew now'}</button>
        <a class="btn secondary" href="/certificate" data-close={props.dialog ? '' : undefined}>
          Cancel
        </a>
      </form>
    </section>
  );
}

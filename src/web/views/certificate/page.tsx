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
  return (
    <div
      id="certificate-status"
      class="alert info"
      role="status"
      hx-get="/certificate/status"
      hx-trigger="every 2s"
      hx-swap="outerHTML"
    >
      <p>
        <strong>We have received your request.</strong> We will email you when your certificate is
        ready. You can leave this page; it updates by itself.
      </p>
      <p class="hint">
        Current step: {STEP_WORDS[props.request.step] ?? props.request.step}.{' '}
        <a href="/certificate">Refresh</a>
      </p>
    </div>
  );
}

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
    <section class="card" id={`part-${props.part}`}>
      <h3>{info.title}</h3>
      <p>{info.text}</p>
      <p>
        <a class="btn" href={`/certificate/download/${props.part}`} download>
          Download
        </a>{' '}
        <button type="button" class="secondary" data-copy={props.pem}>
          Copy
        </button>
      </p>
      <details>
        <summary>Show {info.title}</summary>
        <pre class="mono pre-wrap">{props.pem}</pre>
      </details>
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
  /** Who suggests the ARI window: "Let's Encrypt" or "The certificate authority". */
  caName?: string;
  /** The time the page is rendered at (epoch ms). */
  now?: number;
  /** How long a new certificate will last (the configured ACME profile, or the CA's default). */
  expectedLifetimeMs?: number;
}) {
  const { overview: o, parts } = props;
  const c = o.current;
  const lifetime =
    c?.valid_from != null && c.valid_to != null
      ? c.valid_to - c.valid_from
      : (props.expectedLifetimeMs ?? null);
  return (
    <>
      <h1>Certificate</h1>
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
      {o.request?.status === 'pending' && (
        <PendingStatus request={o.request} queue={props.queue ?? null} now={props.now} />
      )}
      {o.request?.status === 'failed' && (
        <div class="alert error" role="alert">
          <strong>Request unsuccessful.</strong> {o.request.error}
          {c && ' Your current certificate is still valid.'}
        </div>
      )}
      {!c && o.request?.status !== 'pending' && (
        <section class="card">
          <p>
            Request an HTTPS certificate you can use with any project connected to your DNS records.
            To learn more, read <a href="/certificate/information">what certificates are</a>.
          </p>
          <p>
            Domain names: <span class="mono">{o.domain}</span> and{' '}
            <span class="mono">*.{o.domain}</span> (all of your subdomains).
          </p>
          {lifetime !== null && <LifetimeNote lifetimeMs={lifetime} issued={false} />}
          <form method="post" action="/certificate" class="stack">
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
          <p>
            With this certificate, you have HTTPS for <span class="mono">{c.domain}</span> and{' '}
            <span class="mono">*.{c.domain}</span>.
          </p>
          <div class="cards facts">
            <section class="card">
              <h2>Created On</h2>
              <p>{fmt(c.valid_from)}</p>
            </section>
            <section class="card">
              <h2>Expires On</h2>
              <p>{fmt(c.valid_to)}</p>
            </section>
            {lifetime !== null && (
              <section class="card">
                <h2>Lifetime</h2>
                <p data-lifetime-ms={lifetime}>{lifetimeWords(lifetime)}</p>
              </section>
            )}
            <RenewalTiming
              overview={o}
              caName={props.caName ?? 'The certificate authority'}
              now={props.now ?? Date.now()}
            />
          </div>
          {lifetime !== null && isShortLived(lifetime) && (
            <LifetimeNote lifetimeMs={lifetime} issued={true} />
          )}
          <div class="toolbar cert-actions">
            {o.request?.status !== 'pending' ? (
              <form method="post" action="/certificate" class="inline-action">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <input type="hidden" name="intent" value="renew" />
                <button type="submit" disabled={!o.renewable}>
                  {o.keyAvailable ? 'Renew now' : 'Request a new certificate'}
                </button>
                <span class="hint">
                  {!o.keyAvailable
                    ? 'A new certificate comes with a new private key.'
                    : o.renewable
                      ? 'Your certificate can be renewed now (we also renew it automatically).'
                      : `Renewal opens on ${fmt(o.renewFrom)}.`}
                </span>
              </form>
            ) : (
              <span />
            )}
            <form
              method="post"
              action="/certificate/delete"
              data-confirm="Delete your certificate? It is revoked and stops working everywhere."
            >
              <input type="hidden" name="_csrf" value={props.csrf} />
              <input type="hidden" name="confirm" value="" data-confirmed-value="yes" />
              <button type="submit" class="danger">
                Delete
              </button>
            </form>
          </div>
          <h2>Using your certificate</h2>
          <p class="hint">
            Downloads: <span class="mono">{c.domain}.certificate.pem</span>,{' '}
            <span class="mono">.privkey.pem</span>, <span class="mono">.chain.pem</span>,{' '}
            <span class="mono">.bundle.pem</span>
            {o.keyAvailable && (
              <>
                , and for Windows, IIS or Azure a{' '}
                <a href="/certificate/download/pfx">.pfx bundle</a> (certificate, chain and private
                key; empty password)
              </>
            )}
            .
          </p>
          <div class="cards">
            {(['certificate', 'privateKey', 'chain', 'fullChain'] as const)
              .filter((p) => parts[p] !== '')
              .map((p) => (
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
          <Instructions domain={c.domain} />
        </>
      )}
      {props.devRoot && (
        <section class="card">
          <h2>Development certificate authority</h2>
          <p>
            This installation issues certificates from a development CA. To make browsers and tools
            trust them, import its <a href="/certificate/dev-root.pem">root certificate</a>.
          </p>
        </section>
      )}
    </>
  );
}

/** When the automatic renewal starts, and the CA's suggested window (ARI) when it gave one. */
function RenewalTiming(props: { overview: CertificateOverview; caName: string; now: number }) {
  const o = props.overview;
  if (o.renewAt === null) return null;
  return (
    <section class="card" id="renewal-timing">
      <h2>Renews</h2>
      <p>
        {o.request?.status === 'pending'
          ? 'Renewing now.'
          : o.renewAt <= props.now
            ? 'Renewal is due: we start it automatically shortly (after a failed attempt, we try again 12 hours later).'
            : `Renews automatically around ${fmt(o.renewAt)}.`}
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
    </section>
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

function Instructions(props: { domain: string }) {
  const d = props.domain;
  return (
    <section class="card" id="instructions">
      <h2>Instructions</h2>
      <nav aria-label="Instructions">
        <a href="#nginx">nginx</a> · <a href="#nodejs">Node.js</a> ·{' '}
        <a href="#aws">AWS Certificate Manager</a>
      </nav>
      <section id="nginx">
        <h3>nginx</h3>
        <p>Use the Full Chain and the Private Key:</p>
        <pre class="mono pre-wrap">{`server {
  listen 443 ssl;
  server_name ${d} *.${d};
  ssl_certificate     /etc/ssl/${d}.bundle.pem;
  ssl_certificate_key /etc/ssl/${d}.privkey.pem;
}`}</pre>
      </section>
      <section id="nodejs">
        <h3>Node.js</h3>
        <p>
          Pass the certificate, key and chain to{' '}
          <a href="https://nodejs.org/api/https.html#httpscreateserveroptions-requestlistener">
            https.createServer
          </a>
          :
        </p>
        <pre class="mono pre-wrap">{`import { readFileSync } from 'node:fs';
import https from 'node:https';
https.createServer({
  cert: readFileSync('${d}.bundle.pem'),
  key: readFileSync('${d}.privkey.pem'),
}, app).listen(443);`}</pre>
      </section>
      <section id="aws">
        <h3>AWS Certificate Manager</h3>
        <p>
          In ACM choose <em>Import certificate</em> and paste: <strong>Certificate body</strong> =
          Public Certificate, <strong>Certificate private key</strong> = Private Key,{' '}
          <strong>Certificate chain</strong> = Intermediate Certificate Chain. See{' '}
          <a href="https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-api-cli.html">
            importing certificates
          </a>
          .
        </p>
      </section>
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

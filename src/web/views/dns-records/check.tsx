/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** /dns-records/:id/check: what DNS servers answer for one record now, in plain words. */
import type { RecordCheck, ServerView } from '../../../domain/dns-records/check.js';
import { type Column, DataTable } from '../table.js';

const SUMMARY: Record<RecordCheck['summary'], { cls: string; title: string; text: string }> = {
  live: {
    cls: 'ok',
    title: 'Your record is live.',
    text: 'Every DNS server we asked answers with it, so visitors everywhere can use this name.',
  },
  propagating: {
    cls: 'info',
    title: 'Your record is published; some resolvers have not caught up yet.',
    text: 'Public resolvers keep an earlier answer until its time to live (TTL) runs out. They pick up the change by themselves; there is nothing to do.',
  },
  'not-published': {
    cls: 'error',
    title: 'The authoritative servers do not answer with this value yet.',
    text: 'New and changed records usually appear within a minute. If this stays, look at the record’s status on the records page: an error there says what the DNS provider refused.',
  },
  unknown: {
    cls: 'error',
    title: 'We could not reach the authoritative servers.',
    text: 'This is a problem on our side, not with your record. Please try again in a few minutes.',
  },
};

function Answer(props: { v: ServerView }) {
  const r = props.v.result;
  if (!r.ok) return <span class="hint">{r.error}</span>;
  if (r.answers.length === 0)
    return (
      <span class="hint">
        {r.rcode === 'NXDOMAIN' ? 'No such name (NXDOMAIN)' : 'No record of this type'}
      </span>
    );
  return (
    <ul class="plain">
      {r.answers.map((a) => (
        <li>
          <span class="mono">
            {a.type} {a.value}
          </span>{' '}
          <span class="hint">TTL {a.ttl} s</span>
        </li>
      ))}
    </ul>
  );
}

function Verdict(props: { v: ServerView }) {
  if (props.v.matches === null) return <span class="badge warn">no answer</span>;
  return props.v.matches ? (
    <span class="badge ok">matches</span>
  ) : (
    <span class="badge err">different</span>
  );
}

const SERVER_COLUMNS: Column<ServerView>[] = [
  { label: 'Server', cell: (v) => v.server.label },
  { label: 'Answer', cell: (v) => <Answer v={v} /> },
  {
    label: 'Result',
    cell: (v) => (
      <>
        <Verdict v={v} /> <span class="hint">{v.result.ms} ms</span>
      </>
    ),
  },
];

function Servers(props: { title: string; hint: string; views: ServerView[]; id: string }) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <p class="hint">{props.hint}</p>
      <DataTable
        class="check"
        columns={SERVER_COLUMNS}
        rows={props.views}
        empty="None configured."
      />
    </section>
  );
}

export function RecordCheckPage(props: { check: RecordCheck }) {
  const c = props.check;
  const s = SUMMARY[c.summary];
  const web = c.record.type === 'A' || c.record.type === 'AAAA' || c.record.type === 'CNAME';
  return (
    <>
      <p>
        <a href="/dns-records">← DNS records</a>
      </p>
      <h1>Check a record</h1>
      <p>
        <span class="mono">{c.name}</span> <span class="badge">{c.record.type}</span> →{' '}
        <span class="mono">{c.expected}</span>
      </p>
      <div class={`alert ${s.cls}`} role="status" data-summary={c.summary}>
        <strong>{s.title}</strong> {s.text}
      </div>
      <Servers
        id="authoritative"
        title="Authoritative servers"
        hint="The source of truth for your name: they answer from our records directly."
        views={c.authoritative}
      />
      <Servers
        id="resolvers"
        title="Public resolvers"
        hint="What visitors’ computers ask. They keep answers for the TTL, so a change can take that long to reach everyone."
        views={c.resolvers}
      />
      <section class="card">
        <h2>Check it yourself</h2>
        <p>From any terminal:</p>
        <pre class="mono pre-wrap">{`dig +short ${c.name} ${c.record.type}`}</pre>
        <h3>Learn more</h3>
        <ul>
          <li>
            <a href="https://howdns.works/" rel="noopener noreferrer">
              How DNS works
            </a>{' '}
            — a short comic about names, resolvers and caches.
          </li>
          <li>
            <a
              href="https://developer.mozilla.org/en-US/docs/Glossary/TTL"
              rel="noopener noreferrer"
            >
              Time to live (TTL)
            </a>{' '}
            — why a change takes a while to reach everyone.
          </li>
          {web && (
            <li>
              <a
                href={`https://www.ssllabs.com/ssltest/analyze.html?d=${encodeURIComponent(c.name)}`}
                rel="noopener noreferrer"
              >
                Test HTTPS on {c.name}
              </a>{' '}
              — once a server answers there with your certificate.
            </li>
          )}
        </ul>
      </section>
    </>
  );
}

/** 429 from the record check: too many checks in a minute; nothing was asked. */
export function RecordCheckLimitedPage(props: { id: number; message: string }) {
  return (
    <>
      <p>
        <a href="/dns-records">← DNS records</a>
      </p>
      <h1>Too many checks</h1>
      <div class="alert info" role="status" id="check-limited">
        {props.message}
      </div>
      <p class="button-row">
        <a class="btn" href={`/dns-records/${props.id}/check`}>
          Check again
        </a>
        <a class="btn secondary" href={`/dns-records/${props.id}`}>
          Back to the record
        </a>
      </p>
    </>
  );
}

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** /certificate/information: certificates in plain words, six short cards in a balanced grid. */

/** "www.example.edu" with a line break allowed only before a dot, never inside a label. */
function Name(props: { name: string }) {
  const [first, ...rest] = props.name.split('.');
  return (
    <code class="name">
      {first}
      {rest.map((label) => (
        <>
          <wbr />.{label}
        </>
      ))}
    </code>
  );
}

export function InformationPage(props: {
  productName: string;
  renewPercent: number;
  /** Who issues the certificates here (see caDisplayName); never "Let's Encrypt" for the dev CA. */
  caName: string;
  /** The user's own domain, for the examples. */
  domain: string;
  /** "90 days", "6 days and 16 hours": what a new certificate lasts here. */
  lifetime: string | null;
}) {
  const dev = /development/i.test(props.caName);
  const known = props.caName !== 'The certificate authority';
  const ca = known ? props.caName.replace(/^The /, 'the ') : 'the CA';
  const d = props.domain;
  return (
    <>
      <div class="page-head">
        <div>
          <h1>SSL certificates</h1>
          <p class="lead">
            What a certificate is, what {props.productName} does for you, and how to use it.
          </p>
        </div>
        <a class="btn" href="/certificate">
          Go to your certificate
        </a>
      </div>
      <div class="info-grid">
        <section class="card" id="what">
          <h2>What is a certificate?</h2>
          <p>
            A certificate lets browsers check that they really talk to your website and encrypts
            everything in between (the padlock and <code class="name">https://</code>). It is issued
            by a certificate authority (CA), an organisation browsers trust
            {known && !dev && <>, here {props.caName}</>}.
          </p>
          {dev && (
            <p class="hint">
              This installation uses a development CA: browsers trust its certificates only after
              you import its root certificate (linked on the{' '}
              <a href="/certificate">certificate page</a>).
            </p>
          )}
        </section>
        <section class="card" id="how">
          <h2>How to get one</h2>
          <p>
            Open the <a href="/certificate">Certificate</a> page and choose{' '}
            <em>Request a Certificate</em>. {props.productName} proves to {ca} that you control your
            domain by publishing temporary DNS records, then downloads your certificate. This
            usually takes a few seconds to a few minutes; we email you when it is ready or if it
            failed.
          </p>
        </section>
        <section class="card" id="covers">
          <h2>What it covers</h2>
          <p>
            One certificate covers <Name name={d} /> and every name directly under it, such as{' '}
            <Name name={`www.${d}`} /> or <Name name={`api.${d}`} />, so it works for all your
            records. A name two levels down, such as <Name name={`a.b.${d}`} />, is not covered.
          </p>
        </section>
        <section class="card" id="files">
          <h2>The four files</h2>
          <dl class="file-list">
            <dt>Public Certificate</dt>
            <dd>your certificate.</dd>
            <dt>Private Key</dt>
            <dd>the secret that belongs to it. Keep it private.</dd>
            <dt>Intermediate Chain</dt>
            <dd>the CA certificates linking yours to a trusted root.</dd>
            <dt>Full Chain</dt>
            <dd>your certificate and the chain in one file (what most servers want).</dd>
          </dl>
          <p class="hint">For Windows, IIS and Azure there is also a .pfx with all of them.</p>
        </section>
        <section class="card" id="renewal">
          <h2>How long is it valid?</h2>
          <p>
            {props.lifetime ? `Certificates here last ${props.lifetime}.` : ''} We renew yours
            automatically when {ca} suggests (or, without a suggestion, shortly before about{' '}
            {props.renewPercent}% of its lifetime is left), and email you the new one; you can also
            renew it yourself from then. The previous certificate keeps working, and stays
            downloadable, until it expires.
          </p>
        </section>
        <section class="card" id="delete">
          <h2>What happens when I delete it?</h2>
          <p>
            It is revoked at {ca}, so it stops being trusted everywhere. You can request a new one
            at any time.
          </p>
          <p class="hint">
            Learn more:{' '}
            <a href="https://letsencrypt.org/how-it-works/" rel="noopener noreferrer">
              how certificates are issued
            </a>{' '}
            ·{' '}
            <a href="https://www.ssllabs.com/ssltest/" rel="noopener noreferrer">
              check your server (SSL Labs)
            </a>
          </p>
        </section>
      </div>
    </>
  );
}

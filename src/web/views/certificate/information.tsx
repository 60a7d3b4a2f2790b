/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** /certificate/information: certificates in plain words. */
export function InformationPage(props: { productName: string; renewPercent: number }) {
  return (
    <>
      <h1>SSL certificates</h1>
      <section class="card">
        <h2>What is a certificate?</h2>
        <p>
          A certificate lets browsers check that they really talk to your website and encrypts
          everything in between (the padlock and <span class="mono">https://</span>). It is issued
          by a certificate authority (CA), an organisation browsers trust, here Let's Encrypt.
        </p>
      </section>
      <section class="card">
        <h2>How to get one</h2>
        <p>
          Open the <a href="/certificate">Certificate</a> page and choose{' '}
          <em>Request a Certificate</em>. {props.productName} proves to the CA that you control your
          domain by publishing temporary DNS records, then downloads your certificate. This usually
          takes a few seconds to a few minutes; we email you when it is ready or if it failed.
        </p>
      </section>
      <section class="card">
        <h2>The four files</h2>
        <ul>
          <li>
            <strong>Public Certificate</strong>: your certificate.
          </li>
          <li>
            <strong>Private Key</strong>: the secret that belongs to it. Keep it private.
          </li>
          <li>
            <strong>Intermediate Chain</strong>: the CA certificates linking yours to a trusted
            root.
          </li>
          <li>
            <strong>Full Chain</strong>: your certificate and the chain in one file.
          </li>
        </ul>
      </section>
      <section class="card">
        <h2>Questions</h2>
        <p>
          <strong>How long is it valid?</strong> Let's Encrypt certificates are valid for 90 days
          (shorter in future). We renew yours automatically when Let's Encrypt suggests (or, without
          a suggestion, shortly before about {props.renewPercent}% of its lifetime is left), and
          email you the new one; you can also renew it yourself from then. The previous certificate
          keeps working, and stays downloadable, until it expires.
        </p>
        <p>
          <strong>Does one certificate cover all my records?</strong> Yes: it covers your domain and
          every name directly under it.
        </p>
        <p>
          <strong>What happens when I delete it?</strong> It is revoked at the CA, so it stops being
          trusted everywhere. You can request a new one at any time.
        </p>
      </section>
    </>
  );
}

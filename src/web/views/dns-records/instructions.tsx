/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** Plain-words help for students new to DNS, with examples under the user's real base domain. */
export function InstructionsPage(props: { baseDomain: string; productName: string }) {
  const b = props.baseDomain;
  return (
    <>
      <h1>DNS Record instructions</h1>
      <section class="card">
        <h2>What is a DNS Record?</h2>
        <p>
          DNS is the internet's phone book. A DNS record tells computers where a name such as{' '}
          <span class="mono">www.{b}</span> leads: to a server's address, to another name, to a mail
          server, or to a piece of text that proves you own the name.
        </p>
        <p>
          With {props.productName} you create records under your own domain{' '}
          <span class="mono">{b}</span>. Each record has a <strong>name</strong> (the part before{' '}
          <span class="mono">.{b}</span>), a <strong>type</strong> and a <strong>value</strong>.
        </p>
      </section>
      <h2>DNS Record types</h2>
      <div class="cards">
        <section class="card" id="type-a">
          <h3>A: an IPv4 address</h3>
          <p>Points a name at a server's IPv4 address (four numbers separated by dots).</p>
          <p class="mono">
            Name: www → www.{b}
            <br />
            Type: A · Value: 192.0.2.10
          </p>
        </section>
        <section class="card" id="type-aaaa">
          <h3>AAAA: an IPv6 address</h3>
          <p>Like A, but for the newer, longer IPv6 addresses.</p>
          <p class="mono">
            Name: www → www.{b}
            <br />
            Type: AAAA · Value: 2001:db8::10
          </p>
        </section>
        <section class="card" id="type-cname">
          <h3>CNAME: another name</h3>
          <p>
            Makes a name an alias of another host name, for example a site hosted on GitHub Pages.
            Enter just the host name: no <span class="mono">https://</span>, no{' '}
            <span class="mono">/</span> at the end. A CNAME must be the only record at its name.
          </p>
          <p class="mono">
            Name: blog → blog.{b}
            <br />
            Type: CNAME · Value: yourname.github.io
          </p>
        </section>
        <section class="card" id="type-mx">
          <h3>MX: a mail server</h3>
          <p>
            Says which server receives email for the name. The value must be a host name with its
            own A or AAAA record (not a CNAME). Servers with a lower priority are tried first.
          </p>
          <p class="mono">
            Name: mail → mail.{b}
            <br />
            Type: MX · Priority: 10 · Value: server.{b}
          </p>
          <p class="hint">Here server.{b} is an A record you created for the mail server.</p>
        </section>
        <section class="card" id="type-txt">
          <h3>TXT: text</h3>
          <p>
            Holds text, often used to prove you own a name (site verification) or for email settings
            such as SPF. Up to about 3,950 characters of plain text (spaces, quotes and accented
            letters take more room in DNS).
          </p>
          <p class="mono">
            Name: verify → verify.{b}
            <br />
            Type: TXT · Value: site-verification=abc123
          </p>
        </section>
      </div>
      <section class="card">
        <h2>How do I create my first DNS Record?</h2>
        <ol>
          <li>
            Open <a href="/dns-records">DNS Records</a> and choose <em>Create new DNS Record</em>.
          </li>
          <li>Enter a name, for example www (letters, numbers, - and _).</li>
          <li>Choose the type and enter the value that matches it.</li>
          <li>
            Press <em>Create</em>. The record shows <em>pending</em> and becomes <em>live</em> once
            it is published, usually within a minute.
          </li>
        </ol>
      </section>
      <section class="card">
        <h2>Questions</h2>
        <h3>How long until my record works?</h3>
        <p>
          It is published within about a minute. Computers that looked the name up before may
          remember the old answer for up to 5 minutes (the record's time to live).
        </p>
        <h3>How many records can I have, and for how long?</h3>
        <p>
          Your limit is shown on the DNS Records page. Records expire about six months after you
          create, edit or renew them; we email you before that, and Renew resets the clock.
        </p>
        <h3>Names I cannot use</h3>
        <p>
          _acme-challenge is reserved for your certificate. Some names are blocked (offensive words,
          or names reserved by the administrators).
        </p>
      </section>
    </>
  );
}

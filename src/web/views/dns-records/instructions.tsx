/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../../jsx/runtime.js';
/** A host name that may wrap before its dots (and nowhere else) when the card is narrow. */
const host = (name: string) =>
  name.split('.').map((part, i) => (i === 0 ? part : [<wbr />, `.${part}`]));

/**
 * One record as it is typed in the form: a field a line, so a value is never split from its label
 * (and wraps only where it must, between words or at a hyphen).
 */
function Example(props: {
  name: string;
  base: string;
  type: string;
  priority?: number;
  value: string;
}) {
  return (
    <dl class="example">
      <dt>Name</dt>
      <dd class="example-name">
        <span>
          <span class="mono">{props.name}</span> →
        </span>
        <span class="mono">{host(`${props.name}.${props.base}`)}</span>
      </dd>
      <dt>Type</dt>
      <dd class="mono">{props.type}</dd>
      {props.priority !== undefined && (
        <>
          <dt>Priority</dt>
          <dd class="mono">{props.priority}</dd>
        </>
      )}
      <dt>Value</dt>
      <dd class="mono">{props.type === 'TXT' ? props.value : host(props.value)}</dd>
    </dl>
  );
}

/** Plain-words help for students new to DNS, with examples under the user's real base domain. */
export function InstructionsPage(props: { baseDomain: string; productName: string }) {
  const b = props.baseDomain;
  return (
    <div class="guide">
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
      <div class="cards record-types">
        <section class="card" id="type-a">
          <h3>A: an IPv4 address</h3>
          <p>Points a name at a server's IPv4 address (four numbers separated by dots).</p>
          <Example name="www" base={b} type="A" value="192.0.2.10" />
        </section>
        <section class="card" id="type-aaaa">
          <h3>AAAA: an IPv6 address</h3>
          <p>Like A, but for the newer, longer IPv6 addresses.</p>
          <Example name="www" base={b} type="AAAA" value="2001:db8::10" />
        </section>
        <section class="card" id="type-cname">
          <h3>CNAME: another name</h3>
          <p>
            Makes a name an alias of another host name, for example a site hosted on GitHub Pages.
            Enter just the host name: no <span class="mono">https://</span>, no{' '}
            <span class="mono">/</span> at the end. A CNAME must be the only record at its name.
          </p>
          <Example name="blog" base={b} type="CNAME" value="yourname.github.io" />
        </section>
        <section class="card" id="type-mx">
          <h3>MX: a mail server</h3>
          <p>
            Says which server receives email for the name. The value must be a host name with its
            own A or AAAA record (not a CNAME). Servers with a lower priority are tried first.
          </p>
          <p class="hint">
            In this example, server.{b} is an A record you created for the mail server.
          </p>
          <Example name="mail" base={b} type="MX" priority={10} value={`server.${b}`} />
        </section>
        <section class="card" id="type-txt">
          <h3>TXT: text</h3>
          <p>
            Holds text, often used to prove you own a name (site verification) or for email settings
            such as SPF. Up to about 3,950 characters of plain text (spaces, quotes and accented
            letters take more room in DNS).
          </p>
          <Example name="verify" base={b} type="TXT" value="site-verification=abc123" />
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
    </div>
  );
}

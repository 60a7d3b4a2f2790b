/**
 * The certificate page's markup as a pure function of its props: platform tabs that work without
 * JavaScript, the validity bar's numbers, the CA's name, and the "ready" message said once.
 */
import { describe, expect, it } from 'vitest';
import type { CertificateRow } from '../../src/db/schema.js';
import type { CertificateOverview } from '../../src/domain/certificates/certificates.js';
import { caDisplayName, noticeFor } from '../../src/web/routes/certificate.js';
import { InformationPage } from '../../src/web/views/certificate/information.js';
import { CertificatePage, validityMeter } from '../../src/web/views/certificate/page.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 10, 12);
const domain = 'alice.example.edu';
const current = {
  id: 1,
  user_id: 1,
  domain,
  status: 'issued',
  step: 'done',
  valid_from: NOW - 30 * DAY,
  valid_to: NOW + 60 * DAY,
} as unknown as CertificateRow;
const overview = (o: Partial<CertificateOverview> = {}): CertificateOverview => ({
  domain,
  current,
  previous: null,
  previousKeyAvailable: false,
  renewAt: NOW + 30 * DAY,
  ariWindow: null,
  request: null,
  renewable: false,
  renewFrom: NOW + 30 * DAY,
  keyAvailable: true,
  ...o,
});
const parts = { certificate: 'CERT', privateKey: 'KEY', chain: 'CHAIN', fullChain: 'FULL' };
const render = (o: CertificateOverview, extra: { notice?: string | null; caName?: string } = {}) =>
  String(
    CertificatePage({
      overview: o,
      parts: o.current ? parts : null,
      csrf: 'tok',
      notice: extra.notice ?? null,
      error: null,
      devRoot: false,
      caName: extra.caName,
      now: NOW,
    }),
  );

const PLATFORMS = ['nginx', 'apache', 'caddy', 'nodejs', 'iis', 'aws'];

describe('platform tabs without JavaScript', () => {
  const html = render(overview());

  it('every platform is a section in the page with its own anchor, linked from the tab strip in order', () => {
    const links = [...html.matchAll(/<a href="#([a-z]+)" id="tab-\1" class="tab">/g)].map(
      (m) => m[1],
    );
    expect(links).toEqual(PLATFORMS);
    for (const id of PLATFORMS)
      expect(html).toMatch(
        new RegExp(`<section class="tab-panel" id="${id}" aria-labelledby="tab-${id}">`),
      );
    // Nothing is hidden on the server: the :target CSS (or app.js) chooses what shows.
    expect(html).not.toMatch(/class="tab-panel"[^>]* hidden/);
    // Tab roles are app.js's to add: without it these are plain links.
    expect(html).not.toContain('role="tab"');
  });

  it('each platform has a real code block with a Copy button holding the same text', () => {
    for (const id of PLATFORMS) {
      const panel = html.slice(html.indexOf(`id="${id}" aria-labelledby`));
      expect(panel).toMatch(/^[^]*?<pre class="snippet"><code>/);
    }
    expect(html).toContain(`server_name ${domain} *.${domain};`);
    expect(html).toContain(`ServerAlias *.${domain}`);
    expect(html).toContain(`tls /etc/ssl/${domain}.bundle.pem /etc/ssl/${domain}.privkey.pem`);
    expect(html).toContain(`--certificate-chain fileb://${domain}.chain.pem`);
    expect(html).toMatch(/data-copy="server \{\n {4}listen 443 ssl;/);
  });

  it('IIS/Azure links the .pfx for the owner, and not while an admin acts as them', () => {
    expect(html).toContain('<a href="/certificate/download/pfx">.pfx file</a>');
    const asAdmin = String(
      CertificatePage({
        overview: overview(),
        parts: { ...parts, privateKey: '' },
        csrf: 't',
        notice: null,
        error: null,
        devRoot: false,
        showKeys: false,
        now: NOW,
      }),
    );
    expect(asAdmin).not.toContain('/certificate/download/pfx');
    expect(asAdmin).toContain('id="iis"');
  });
});

describe('validity bar', () => {
  it('computes how much of the lifetime is used and where the renewal falls', () => {
    expect(validityMeter(0, 90 * DAY, 60 * DAY, 30 * DAY)).toEqual({
      usedPercent: 33,
      renewPercent: 67,
      daysLeft: 60,
    });
    // Clamped at both ends.
    expect(validityMeter(0, 10 * DAY, null, -DAY)).toMatchObject({ usedPercent: 0, daysLeft: 11 });
    expect(validityMeter(0, 10 * DAY, null, 11 * DAY)).toMatchObject({
      usedPercent: 100,
      renewPercent: null,
      daysLeft: 0,
    });
  });

  it('renders an accessible progress bar with those values and the renewal marked', () => {
    const html = render(overview());
    expect(html).toMatch(
      /role="progressbar" aria-labelledby="validity-title" aria-valuemin="0" aria-valuemax="100" aria-valuenow="33" aria-valuetext="33% of its validity used; expires in 60 days" data-renew-percent="67"/,
    );
    expect(html).toContain('<rect class="meter-fill" x="0" y="0" width="33" height="10">');
    expect(html).toContain('class="meter-mark" x1="67" x2="67"');
    expect(html).toContain('<h2 id="validity-title">Valid for 60 days more</h2>');
    // Issued → renew → expires, in that order.
    const order = ['Created On', 'Renews automatically', 'Expires On'].map((w) => html.indexOf(w));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThan(0);
  });

  it('turns to a warning once the renewal is due', () => {
    const html = render(overview({ renewAt: NOW - DAY, renewable: true }));
    expect(html).toContain('class="meter warn"');
    expect(html).toContain('Renewal is due');
  });
});

describe('toolbar and delete confirmation', () => {
  it('groups Renew, the .pfx and Delete; Delete opens a dialog and falls back to the confirmation page', () => {
    const html = render(overview());
    const bar = html.slice(html.indexOf('class="btn-group cert-actions"'));
    expect(bar.indexOf('Renew now')).toBeLessThan(bar.indexOf('Download .pfx'));
    expect(bar.indexOf('Download .pfx')).toBeLessThan(bar.indexOf('Delete…'));
    expect(html).toContain(
      '<a class="btn secondary danger-text" href="/certificate/delete" data-dialog="delete-dialog">',
    );
    expect(html).toMatch(/<dialog id="delete-dialog"[^]*name="confirm" value="yes"[^]*<\/dialog>/);
  });
});

describe('the certificate authority is named only when certain', () => {
  it('the development CA is never Let’s Encrypt, whatever the directory URL says', () => {
    expect(caDisplayName('local-dev', 'https://acme-v02.api.letsencrypt.org/directory')).toBe(
      'The development certificate authority',
    );
    expect(caDisplayName('acme', 'https://acme-v02.api.letsencrypt.org/directory')).toBe(
      "Let's Encrypt",
    );
    expect(caDisplayName('acme', 'https://acme-staging-v02.api.letsencrypt.org/directory')).toBe(
      "Let's Encrypt (staging)",
    );
    expect(caDisplayName('acme', 'https://pebble:14000/dir')).toBe('The certificate authority');
  });

  it('neither page says Let’s Encrypt with the development CA', () => {
    const caName = caDisplayName('local-dev', null);
    const info = String(
      InformationPage({ productName: 'P', renewPercent: 33, caName, domain, lifetime: '90 days' }),
    );
    const page = render(
      overview({ ariWindow: { start: NOW, end: NOW + DAY, explanationUrl: null } }),
      { caName },
    );
    for (const html of [info, page]) expect(html).not.toMatch(/Let(&#39;|')s Encrypt/);
    expect(page).toContain('The development certificate authority suggests renewing');
    const le = String(
      InformationPage({
        productName: 'P',
        renewPercent: 33,
        caName: "Let's Encrypt",
        domain,
        lifetime: '90 days',
      }),
    );
    expect(le).toMatch(/here Let(&#39;|')s Encrypt/);
  });
});

describe('the "ready" message is said once', () => {
  const pending = { ...current, id: 2, status: 'pending', step: 'requested' } as CertificateRow;
  it('no flash while the pending box says it; "ready" when the certificate is already there', () => {
    expect(noticeFor('requested', overview({ current: null, request: pending }))).toBeNull();
    expect(noticeFor('requested', overview())).toBe('Your certificate is ready.');
    expect(noticeFor('deleted', overview({ current: null }))).toBe(
      'Certificate deleted and revoked.',
    );
    const html = render(overview({ current: null, request: pending }), {
      notice: noticeFor('requested', overview({ current: null, request: pending })),
    });
    expect(html.match(/when your certificate is\s+ready/g)).toHaveLength(1);
    expect(html).toContain('Issuing your certificate');
  });
});

describe('information page', () => {
  it('six cards in one balanced grid; names break only before a dot', () => {
    const html = String(
      InformationPage({ productName: 'P', renewPercent: 33, caName: 'x', domain, lifetime: null }),
    );
    expect(html.match(/<section class="card"/g)).toHaveLength(6);
    expect(html).toContain('<div class="info-grid">');
    expect(html).toContain('<code class="name">www<wbr/>.alice<wbr/>.example<wbr/>.edu</code>');
  });
});

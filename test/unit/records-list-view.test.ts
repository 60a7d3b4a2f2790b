import { describe, expect, it } from 'vitest';
import type { DnsRecordListItem } from '../../src/db/repos/dns-records.js';
import { RecordRow, StatusCell, StatusPoller } from '../../src/web/views/dns-records/list.js';

const record: DnsRecordListItem = {
  id: 7,
  subdomain: 'www',
  type: 'TXT',
  value: `${'x'.repeat(60)}"><script>alert(1)</script>`,
  priority: null,
  ports: '80,443',
  course: 'OSD<700>',
  description: `it's "mine" & <b>bold</b>`,
  expires_at: Date.UTC(2027, 2, 22),
  status: 'error',
  status_message: '<img src=x onerror=alert(1)> rejected',
};

describe('records table row (markup template)', () => {
  const row = String(RecordRow({ record, baseDomain: 'u1.starchart.test', csrf: 'a"b<c' }));

  it('shows the base domain with a line break allowed before each dot, and copies the whole name', () => {
    expect(row).toContain(
      '<strong>www</strong><span class="muted"><wbr>.u1<wbr>.starchart<wbr>.test</span>',
    );
    expect(row).toContain('data-copy="www.u1.starchart.test"');
    const other = String(RecordRow({ record, baseDomain: 'bob.example.edu', csrf: 'x' }));
    expect(other).toContain('<span class="muted"><wbr>.bob<wbr>.example<wbr>.edu</span>');
  });

  it('escapes every value it shows, in text and in attributes', () => {
    expect(row).not.toMatch(/<script|<img|<b>|a"b<c/);
    expect(row).toContain(
      'title="it&#39;s &quot;mine&quot; &amp; &lt;b&gt;bold&lt;/b&gt; · Ports = 80,443 · Course = OSD&lt;700&gt;"',
    );
    expect(row).toContain('&lt;img src=x onerror=alert(1)&gt; rejected');
    expect(row).toContain('value="a&quot;b&lt;c"');
  });

  it('shows the full value in a title only when it is clipped, and every action for the record', () => {
    expect(row).toContain(
      `title="${'x'.repeat(60)}&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
    );
    expect(row).toContain('2027-03-22');
    for (const action of ['/dns-records/7/renew', '/dns-records/7/delete', 'href="/dns-records/7"'])
      expect(row).toContain(action);
    expect(row).toContain('aria-label="Delete www.u1.starchart.test"');
    const short = String(
      RecordRow({
        record: { ...record, value: '192.0.2.1', type: 'A' as const },
        baseDomain: 'b',
        csrf: 't',
      }),
    );
    expect(short).toContain('<span class="mono">192.0.2.1</span>');
  });

  it('marks pending cells for the page poller; only the poller polls', () => {
    const pending = String(StatusCell({ record: { ...record, status: 'pending' as const } }));
    expect(pending).toContain('data-pending="7"');
    expect(pending).not.toContain('hx-get');
    expect(String(StatusCell({ record: { ...record, status: 'live' as const } }))).not.toContain(
      'data-pending',
    );
    expect(String(StatusCell({ record, oob: true }))).toContain('hx-swap-oob="true"');
    expect(String(StatusPoller({ ids: [3, 9] }))).toContain(
      'hx-get="/dns-records/status?ids=3,9" hx-trigger="every 2s"',
    );
    expect(String(StatusPoller({ ids: [] }))).toBe('');
  });
});

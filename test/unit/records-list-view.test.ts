import { describe, expect, it } from 'vitest';
import type { DnsRecordListItem } from '../../src/db/repos/dns-records.js';
import { DEFAULT_LIST_QUERY } from '../../src/domain/dns-records/record-list.js';
import {
  ExpiryCell,
  RecordRow,
  RecordsStatus,
  StatusCell,
  StatusPoller,
  recordsStatusText,
} from '../../src/web/views/dns-records/list.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 12);
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
const row = (r: Partial<DnsRecordListItem> = {}) =>
  String(RecordRow({ record: { ...record, ...r }, now: NOW, reminderThresholdsDays: [30, 7, 1] }));

describe('records table row (markup template)', () => {
  it('names the row by its record (a row header) and links every action of the record', () => {
    const html = row();
    expect(html).toMatch(/^<tr id="r7"><th scope="row" title="[^"]*">www<\/th>/);
    for (const action of ['href="/dns-records/7/delete"', 'href="/dns-records/7"'])
      expect(html).toContain(action);
    // Renew buttons share the page's one form; Delete opens a dialog with JavaScript.
    expect(html).toContain('<button form="rn" name="record" value="7">Renew</button>');
    expect(html).toContain('data-dialog>Delete</a>');
  });

  it('escapes every value it shows, in text and in attributes', () => {
    const html = row();
    expect(html).not.toMatch(/<script|<img|<b>/);
    expect(html).toContain(
      'title="it&#39;s &quot;mine&quot; &amp; &lt;b&gt;bold&lt;/b&gt; · Ports = 80,443 · Course = OSD&lt;700&gt;"',
    );
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; rejected');
  });

  it('shows the full value in a title only when it is clipped', () => {
    expect(row()).toContain(
      `title="${'x'.repeat(60)}&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
    );
    expect(row({ value: '192.0.2.1', type: 'A' })).toContain('<td>192.0.2.1</td>');
  });

  it('says when a record expires in words, with the date in a <time> title', () => {
    const cell = (days: number) =>
      String(
        ExpiryCell({ expiresAt: NOW + days * DAY, now: NOW, reminderThresholdsDays: [30, 7, 1] }),
      );
    expect(cell(1)).toContain(
      '<time datetime="2026-12-08" title="December 8, 2026">tomorrow</time>',
    );
    expect(cell(3)).toContain('>in 3 days</time>');
    expect(cell(182)).toContain('>in 6 months</time>');
    // Inside the reminder window (the largest threshold, 30 days): expiring soon.
    expect(cell(3)).toContain('expiring soon');
    expect(cell(30)).toContain('expiring soon');
    expect(cell(31)).not.toContain('expiring soon');
    expect(cell(-1)).toContain('>expired</span>');
    expect(row()).toContain('>in 3 months</time></td>');
  });

  it('marks pending cells for the page poller; only the poller polls', () => {
    const pending = String(StatusCell({ record: { ...record, status: 'pending' as const } }));
    expect(pending).toBe('<td id="s7" class="warn">pending</td>');
    expect(String(StatusCell({ record: { ...record, status: 'live' as const } }))).toBe(
      '<td id="s7" class="ok">live</td>',
    );
    expect(String(StatusCell({ record, oob: true }))).toContain('hx-swap-oob="true"');
    expect(String(StatusPoller({ ids: [3, 9] }))).toContain(
      'hx-get="/dns-records/status?ids=3,9" hx-trigger="every 2s"',
    );
    expect(String(StatusPoller({ ids: [] }))).toBe('');
  });
});

describe('records count for screen readers', () => {
  it('says how many records the list shows, in words', () => {
    const q = DEFAULT_LIST_QUERY;
    expect(recordsStatusText({ all: 40, total: 40, query: q })).toBe('40 records');
    expect(recordsStatusText({ all: 1, total: 1, query: q })).toBe('1 record');
    expect(recordsStatusText({ all: 40, total: 3, query: { ...q, search: 'www' } })).toBe(
      '3 of 40 records',
    );
    expect(recordsStatusText({ all: 1, total: 0, query: { ...q, type: 'MX' } })).toBe(
      '0 of 1 record',
    );
    expect(recordsStatusText({ all: 4, total: 0, query: q, queryErrors: { q: 'Too long' } })).toBe(
      '',
    );
  });

  it('is a polite, atomic live region; the htmx answer replaces only its text', () => {
    expect(String(RecordsStatus({ text: '3 of 40 records' }))).toBe(
      '<p id="records-status" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">3 of 40 records</p>',
    );
    expect(String(RecordsStatus({ text: '<b>', oob: true }))).toContain(
      'hx-swap-oob="innerHTML">&lt;b&gt;</p>',
    );
  });
});

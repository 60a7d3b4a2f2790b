/**
 * The design system's table (views/table.tsx): headers and phone labels from one column list, hidden
 * headers, cells without a phone label, per-row classes and attributes, caption and empty state.
 */
import { describe, expect, it } from 'vitest';
import { h } from '../../src/web/jsx/runtime.js';
import { type Column, DataTable } from '../../src/web/views/table.js';

interface Row {
  id: number;
  name: string;
  ok: boolean;
}
const columns: Column<Row>[] = [
  { label: 'Name', class: 'mono', cell: (r) => r.name },
  { label: 'State', class: (r) => (r.ok ? undefined : 'err'), cell: (r) => (r.ok ? 'ok' : 'bad') },
  { label: 'Actions', hideLabel: true, phoneLabel: false, headClass: 'nowrap', cell: () => 'x' },
];
const rows: Row[] = [
  { id: 1, name: 'a<b', ok: true },
  { id: 2, name: 'c', ok: false },
];
const render = (props: Partial<Parameters<typeof DataTable<Row>>[0]> = {}) =>
  DataTable<Row>({ columns, rows, ...props }).toString();

describe('DataTable', () => {
  it('writes each header once and the same text as the phone label of its cells', () => {
    const html = render({ class: 'demo', id: 't', row: (r) => ({ id: `row-${r.id}` }) });
    expect(html).toBe(
      '<table class="responsive demo" id="t"><thead><tr>' +
        '<th scope="col">Name</th><th scope="col">State</th>' +
        '<th scope="col" class="nowrap"><span class="visually-hidden">Actions</span></th>' +
        '</tr></thead><tbody>' +
        '<tr id="row-1"><td data-label="Name" class="mono">a&lt;b</td><td data-label="State">ok</td><td>x</td></tr>' +
        '<tr id="row-2"><td data-label="Name" class="mono">c</td><td data-label="State" class="err">bad</td><td>x</td></tr>' +
        '</tbody></table>',
    );
  });

  it('has a caption when given one', () => {
    expect(render({ caption: 'Things' })).toContain(
      '<table class="responsive"><caption>Things</caption><thead>',
    );
  });

  it('shows the empty state instead of an empty table: a sentence as a hint, or an element', () => {
    expect(render({ rows: [], empty: 'Nothing & nobody.' })).toBe(
      '<p class="hint">Nothing &amp; nobody.</p>',
    );
    const element = h('div', { class: 'empty' }, h('h2', null, 'None yet'));
    expect(render({ rows: [], empty: element })).toBe('<div class="empty"><h2>None yet</h2></div>');
    // Without `empty`, the table (head only) stays.
    expect(render({ rows: [] })).toContain('<thead>');
  });
});

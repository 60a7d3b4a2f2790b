import { jsx as honoJsx, Fragment as HonoFragment } from 'hono/jsx';
import { describe, expect, it } from 'vitest';
import { Fragment, escapeHtml, h, markup, safe } from '../../src/web/jsx/runtime.js';

type Factory = (
  tag: unknown,
  props: Record<string, unknown> | null,
  ...children: unknown[]
) => unknown;

/** The same tree built with a given factory, so our output can be compared with hono/jsx's. */
function tree(f: Factory, frag: unknown) {
  const Row = (p: Record<string, unknown>) =>
    f('tr', { id: `r-${String(p.id)}` }, f('td', { 'data-label': 'Name' }, p.children));
  return f(
    'div',
    { class: 'a "quoted" <b>', hidden: false, 'aria-hidden': true, title: "it's & <x>" },
    'Text & <script>alert("x")</script> ',
    42,
    null,
    undefined,
    false,
    true,
    ['a', ['b', f('br', null)]],
    f('input', { type: 'checkbox', checked: true, disabled: false, value: 'v"1', maxLength: 5 }),
    f('label', { htmlFor: 'x', className: 'c' }, 'L'),
    f('select', { name: 's' }, f('option', { value: '1', selected: true }, 'One')),
    f(frag, null, f('p', null, 'in fragment'), 'tail'),
    f(Row, { id: 7 }, 'cell <b>'),
    f('script', { dangerouslySetInnerHTML: { __html: 'document.x = "<y>";' } }),
    f('textarea', { name: 't' }, 'multi\nline'),
    f('img', { src: '/a.png', alt: '' }),
    f('meta', { charset: 'utf-8' }),
  );
}

describe('JSX runtime', () => {
  it('renders exactly what hono/jsx renders for the features the views use', () => {
    const ours = String(tree(h as Factory, Fragment));
    const hono = String(tree(honoJsx as Factory, HonoFragment));
    expect(ours).toBe(hono);
    expect(ours).toContain('Text &amp; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(ours).toContain('title="it&#39;s &amp; &lt;x&gt;"');
    expect(ours).toContain('<input type="checkbox" checked="" value="v&quot;1" maxLength="5"/>');
  });

  it('markup`` escapes every value like a JSX child and lets elements and safe() strings through', () => {
    const hostile = `"><script>alert('x')</script>&`;
    const out = String(
      markup`<td title="${hostile}">${hostile}${h('b', null, 'x')}${safe('<i>ok</i>')}${['a<', markup`<em>${'b>'}</em>`]}${null}${undefined}${false}${true}${0}</td>`,
    );
    expect(out).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">' +
        '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;<b>x</b><i>ok</i>a&lt;<em>b&gt;</em>0</td>',
    );
    // The result nests inside JSX without being escaped again.
    expect(String(h('tr', null, markup`<td>${'<'}</td>`))).toBe('<tr><td>&lt;</td></tr>');
  });

  it('does not escape already-rendered elements or safe() strings, and escapes everything else', () => {
    const inner = h('b', null, 'x');
    expect(String(h('p', null, inner, safe('<i>ok</i>'), '<i>no</i>'))).toBe(
      '<p><b>x</b><i>ok</i>&lt;i&gt;no&lt;/i&gt;</p>',
    );
  });

  it('drops attributes with invalid names and dev-transform props, and refuses function props', () => {
    expect(
      String(h('a', { 'x" onload="y': 1, __source: {}, __self: {}, key: 'k', href: '/' })),
    ).toBe('<a href="/"></a>');
    expect(() => h('a', { href: () => 1 })).toThrow(/function/);
    expect(String(h('button', { onclick: () => 1 }, 'b'))).toBe('<button>b</button>');
  });

  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`&<>'"x`)).toBe('&amp;&lt;&gt;&#39;&quot;x');
    expect(escapeHtml('plain')).toBe('plain');
  });
});

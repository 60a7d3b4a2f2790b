/**
 * A small string-building JSX runtime for server-rendered pages (classic transform: every .tsx file
 * starts with `@jsxRuntime classic @jsx h @jsxFrag Fragment` and imports h/Fragment from here).
 *
 * Why not hono/jsx's renderer: it builds a node tree and renders it inside an AsyncLocalStorage context;
 * on the records page that was ~45% of request CPU. Here every element becomes its final, escaped HTML
 * string at once. Output and types match hono/jsx (elements are Hono's HtmlEscapedString, so `c.html()`
 * and `html` templates take them unchanged): text and attribute values escape & < > ' ", boolean HTML
 * attributes render as `name=""`, void elements as `<input .../>`, className/htmlFor are normalised.
 * Not supported (not used by the views): async components, context, style objects, refs, event handlers.
 */
import type { JSX as HonoJSX } from 'hono/jsx/jsx-runtime';
import type { HtmlEscapedString } from 'hono/utils/html';
import { escapeHtml } from '../../escape.js';

export { escapeHtml };

type Props = Record<string, unknown> | null;
type Component = (props: Record<string, unknown>) => unknown;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const BOOLEAN = new Set([
  'allowfullscreen',
  'async',
  'autofocus',
  'autoplay',
  'checked',
  'controls',
  'default',
  'defer',
  'disabled',
  'download',
  'formnovalidate',
  'hidden',
  'inert',
  'ismap',
  'itemscope',
  'loop',
  'multiple',
  'muted',
  'nomodule',
  'novalidate',
  'open',
  'playsinline',
  'readonly',
  'required',
  'reversed',
  'selected',
]);
const RENAMED: Record<string, string> = {
  className: 'class',
  htmlFor: 'for',
  crossOrigin: 'crossorigin',
  httpEquiv: 'http-equiv',
  itemProp: 'itemprop',
  fetchPriority: 'fetchpriority',
  noModule: 'nomodule',
  formAction: 'formaction',
};
const VALID_NAME = /^[A-Za-z0-9_.:-]+$/;
/** Mark a string as already-safe HTML (the same shape hono's `raw()` produces). */
export function safe(value: string): HtmlEscapedString {
  const s = new String(value) as HtmlEscapedString;
  s.isEscaped = true;
  return s;
}

const isSafe = (v: unknown): v is HtmlEscapedString =>
  v instanceof String && (v as { isEscaped?: boolean }).isEscaped === true;

function renderChild(child: unknown): string {
  if (typeof child === 'string') return escapeHtml(child);
  if (child === null || child === undefined || typeof child === 'boolean') return '';
  if (typeof child === 'number' || typeof child === 'bigint') return String(child);
  if (isSafe(child)) return child.toString();
  if (Array.isArray(child)) {
    let out = '';
    for (const c of child) out += renderChild(c);
    return out;
  }
  if (child instanceof Promise)
    throw new Error('Async components are not supported by this JSX runtime');
  // Like hono/jsx: any other object renders its (escaped) toString().
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return escapeHtml(String(child));
}

/** ` name="` for each attribute key seen (null: not a valid attribute name); keys come from view code. */
const attributePrefix = new Map<string, string | null>();
function prefixOf(key: string): string | null {
  let prefix = attributePrefix.get(key);
  if (prefix === undefined) {
    const name = RENAMED[key] ?? key;
    prefix = VALID_NAME.test(name) ? ` ${name}="` : null;
    if (attributePrefix.size < 1000) attributePrefix.set(key, prefix);
  }
  return prefix;
}

function renderAttribute(key: string, v: unknown, tag: string): string {
  if (v === null || v === undefined || key === 'ref') return '';
  if (typeof v === 'string') {
    const prefix = prefixOf(key);
    return prefix === null ? '' : `${prefix}${escapeHtml(v)}"`;
  }
  const name = RENAMED[key] ?? key;
  if (!VALID_NAME.test(name)) return '';
  if (typeof v === 'boolean' && BOOLEAN.has(name)) return v ? ` ${name}=""` : '';
  if (typeof v === 'function') {
    if (!name.startsWith('on'))
      throw new Error(`Invalid prop '${name}' of type 'function' supplied to '${tag}'.`);
    return '';
  }
  if (typeof v === 'number' || isSafe(v)) return ` ${name}="${v.toString()}"`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as hono/jsx: toString() of others
  return ` ${name}="${escapeHtml(String(v))}"`;
}

/** JSX factory: returns the element's final HTML. */
export function h(
  tag: string | Component,
  props: Props,
  ...children: unknown[]
): HtmlEscapedString {
  if (typeof tag === 'function') {
    const p: Record<string, unknown> = { ...props };
    if (children.length > 0) p.children = children.length === 1 ? children[0] : children;
    return safe(renderChild(tag(p)));
  }
  let open = `<${tag}`;
  let inner: string | null = null;
  if (props) {
    for (const key in props) {
      // __source/__self: added by development JSX transforms (vitest's esbuild)
      if (key === 'children' || key === 'key' || key === '__source' || key === '__self') continue;
      const v = props[key];
      if (key === 'dangerouslySetInnerHTML') {
        if (v && typeof v === 'object' && '__html' in v) inner = String(v.__html);
        continue;
      }
      open += renderAttribute(key, v, tag);
    }
  }
  if (inner === null) {
    const kids = children.length > 0 ? children : props?.children;
    if (VOID.has(tag) && (kids === undefined || (Array.isArray(kids) && kids.length === 0)))
      return safe(`${open}/>`);
    inner = renderChild(kids);
  }
  return safe(`${open}>${inner}</${tag}>`);
}

/**
 * Tagged template for markup repeated many times per page (table rows): about seven times faster than
 * the same markup through h(), because the literal parts are not elements. (Named `markup`, not `html`:
 * Prettier reformats the whitespace inside `html` templates.) Every interpolated value is
 * rendered like a JSX child: strings are escaped (so they are safe inside quoted attribute values too),
 * elements and safe() strings pass through, arrays are joined, null/undefined/booleans render nothing.
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): HtmlEscapedString {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += renderChild(values[i]) + strings[i + 1]!;
  return safe(out);
}

/** `<>…</>` */
export function Fragment(props: { children?: unknown }): HtmlEscapedString {
  return safe(renderChild(props.children));
}

// Type checking: the same element and attribute types as hono/jsx (TypeScript looks up `h.JSX`).
/* eslint-disable @typescript-eslint/no-namespace -- the JSX types must be a namespace */
export declare namespace h {
  export namespace JSX {
    /** Always synchronous here (hono/jsx also allows a Promise). */
    type Element = HtmlEscapedString;
    type ElementType = HonoJSX.ElementType;
    /* eslint-disable @typescript-eslint/no-empty-object-type -- TypeScript requires interfaces here */
    interface ElementChildrenAttribute extends HonoJSX.ElementChildrenAttribute {}
    interface IntrinsicElements extends HonoJSX.IntrinsicElements {}
    interface IntrinsicAttributes extends HonoJSX.IntrinsicAttributes {}
    /* eslint-enable @typescript-eslint/no-empty-object-type */
  }
}
/* eslint-enable @typescript-eslint/no-namespace */

/** Escaping for markup built as strings: pages (JSX runtime), email bodies, SAML XML. */

const HTML_SPECIAL = /[&<>'"]/;

/** Escape text for HTML content and quoted attribute values: & < > ' " (the entities hono/jsx uses). */
export function escapeHtml(s: string): string {
  if (!HTML_SPECIAL.test(s)) return s;
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    let rep: string;
    switch (s.charCodeAt(i)) {
      case 34:
        rep = '&quot;';
        break;
      case 39:
        rep = '&#39;';
        break;
      case 38:
        rep = '&amp;';
        break;
      case 60:
        rep = '&lt;';
        break;
      case 62:
        rep = '&gt;';
        break;
      default:
        continue;
    }
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return out + s.slice(last);
}

/** Escape text for XML content and double-quoted attribute values: & < > ". */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

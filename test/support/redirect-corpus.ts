/**
 * Hostile and legitimate return paths for sign-in (`redirectTo`, `RelayState`), generated so that each
 * trick appears in many combinations: dot-segments in all forms, percent- and double encodings,
 * backslashes, mixed-case schemes, `javascript:`, tabs/newlines/NULs, userinfo, unicode slashes,
 * very long values, protocol-relative forms. Values are as the server sees them after the one
 * decoding of the query string or form body.
 */

const HOSTS = ['evil.example', 'evil.example/', 'evil.example:443/x?y=1#z', '127.0.0.1', '[::1]'];

/** Ways to say "start over at another host" before a host name. */
const TO_ANOTHER_HOST = [
  '//',
  '///',
  '////',
  '/\\',
  '\\/',
  '\\\\',
  '/\\/',
  '/./',
  '/.//',
  '/..//',
  '/././/',
  '/../..//',
  '/.\\',
  '/..\\',
  '/.\\/',
  '/%2e//',
  '/%2E//',
  '/%2e%2e//',
  '/.%2e//',
  '/%2e./',
  '/%2e%2e%2f/',
  '/%2f/',
  '/%2F%2F',
  '/%2f%2f',
  '/%5c',
  '/%5C%5C',
  '/%5c/',
  '/%252e%252e//',
  '/%252f%252f',
  '/%255c',
  '/%25%32%65//',
  '/%c0%ae//',
  '/%c0%af',
  '/\t/',
  '/\n/',
  '/\r/',
  '/\r\n/',
  '/\0/',
  '/\u000b/',
  '/\u000c/',
  '/\u007f/',
  '/%09/',
  '/%0a/',
  '/%0d%0a/',
  '/%00/',
  '\t//',
  ' //',
  '\u00a0//',
  '\u3000//',
  '\ufeff//',
  '/\uff0f',
  '\uff0f\uff0f',
  '/\u2215',
  '/\u2044',
  '/\u29f8',
  '/\uff3c',
  '/\u3002/',
  '/\u200b/',
  '/\u202e/',
  '//\u200b',
  'http://',
  'https://',
  'HTTPS://',
  'hTtPs://',
  'http:',
  'https:/',
  'https:\\\\',
  'http:/\\',
  'ftp://',
  '//localhost:8080@',
  '/@',
  '@',
  'https://localhost:8080@',
  'https://localhost:8080.',
  'http://localhost:8080/..//',
];

const SCHEMES = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'javascript://%0aalert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\0script:alert(1)',
  '\u0001javascript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'blob:https://evil.example/x',
  'mailto:a@evil.example',
];

/** Paths on this site that nevertheless are not pages to return to, or not in canonical form. */
const NOT_A_PAGE = [
  '/login',
  '/logout',
  '/login/callback',
  '/sp',
  '/healthcheck',
  '/static/x/app.js',
  '/dev-idp/sso',
  '/dns-records/',
  '/dns-records//x',
  '/dns-records/./x',
  '/dns-records/../admin',
  '/dns-records/%2e%2e/admin',
  '/dns-records/.well-known',
  '/dns-records?x=\u00e9',
  "/dns-records?x='",
  '/dns-records?x=<script>',
  '/dns-records?x="',
  '/dns-records?x=%',
  '/dns-records?x=%zz',
  '/dns-records?x=%0a',
  '/dns-records?x=%7f',
  '/dns-records?x= y',
  '/dns-records#a b',
  '/DNS-records',
  '/?',
  '/#',
  'dns-records',
  './dns-records',
  '../dns-records',
  '.',
  '..',
  '/.',
  '/..',
  '/...',
  '/' + 'a'.repeat(5000),
  '/dns-records?' + 'x'.repeat(3000),
  '/dns-records/' + 'a/'.repeat(1500) + 'a',
];

/** Every hostile value of the corpus (deduplicated). */
export function hostileRedirects(): string[] {
  const out = new Set<string>();
  for (const prefix of TO_ANOTHER_HOST) {
    for (const host of HOSTS) {
      const v = prefix + host;
      out.add(v);
      // Behind a legitimate-looking section, and deep under one.
      out.add(`/dns-records${v.startsWith('/') ? '' : '/'}${v}`);
      out.add(`/dns-records/1/../../${v.replace(/^\/+/, '')}`);
      // Encoded once more than the server decodes (what a proxy or a second decoder might undo).
      out.add(encodeURIComponent(v));
      out.add(encodeURIComponent(encodeURIComponent(v)));
      // With a valid-looking tail.
      out.add(`${v}/dns-records?page=2`);
    }
  }
  for (const s of SCHEMES) {
    out.add(s);
    out.add(`/${s}`);
    out.add(encodeURIComponent(s));
  }
  for (const v of NOT_A_PAGE) out.add(v);
  // Very long protocol-relative values (beyond and just below the length limit).
  out.add('//evil.example/' + 'a'.repeat(4000));
  out.add('/.//evil.example/' + 'a'.repeat(2000));
  return [...out];
}

/** Legitimate return paths that must still round-trip unchanged. */
export const LEGITIMATE_REDIRECTS = [
  '/',
  '/?welcome=1',
  '/dns-records',
  '/dns-records?page=2',
  '/dns-records?page=2&sort=name',
  '/dns-records?search=a%2Fb',
  '/dns-records?q=caf%C3%A9',
  '/dns-records/new',
  '/dns-records/42',
  '/dns-records/42/delete',
  '/dns-records#records',
  '/certificate',
  '/certificate/information',
  '/history',
  '/admin',
  '/admin/users/7',
  '/admin/audit?page=3',
];

/**
 * Why a Location header (or RelayState) would take a browser off `appUrl`'s origin or could be
 * re-interpreted on the way, or null when it is a plain same-origin path.
 */
export function offSiteReason(location: string, appUrl: string): string | null {
  if (!location.startsWith('/')) return 'not an absolute path';
  if (location.startsWith('//')) return 'protocol-relative';
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  if (/[\\\u0000-\u001f\u007f]/.test(location)) return 'backslash or control character';
  if (/[^\u0021-\u007e]/.test(location)) return 'non-ASCII or space';
  if (/%(2e|2f|5c)/i.test(location.split(/[?#]/)[0]!)) return 'encoded dot, slash or backslash';
  const url = new URL(location, appUrl);
  if (url.origin !== new URL(appUrl).origin) return `resolves to ${url.origin}`;
  if (url.pathname + url.search + url.hash !== location) return 'not in canonical form';
  return null;
}

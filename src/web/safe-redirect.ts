/**
 * Where a user may be sent after sign-in (`redirectTo`, `RelayState`): a path of this app's own pages,
 * accepted only in the exact form it will be emitted. Nothing is normalised here: the value that is
 * checked is the value that goes into the Location header, so no later step can turn an accepted path
 * into something else. The old check validated its input and then returned the WHATWG parser's
 * normalised path, which turned `/.//evil.example` into `//evil.example` (issue 16).
 *
 * A positive rule rather than a list of dangers:
 * - the path is `/` or `/section/segment/...` where `section` is one of PAGE_SECTIONS and every segment
 *   is made of letters, digits, `-`, `_`, `~` and dots, never starting with a dot (so no `.`/`..`, no
 *   empty segment, no `//`, no backslash, no percent sign: nothing a browser or proxy could decode or
 *   collapse into a different path);
 * - the query and fragment use only unreserved characters, sub-delimiters other than `'`, `:@/?` and
 *   well-formed percent-escapes of printable characters (they cannot move the origin once the path is
 *   fixed, and `/dns-records?search=a%2Fb` must keep working);
 * - and, as a last check, the WHATWG URL parser resolving it against APP_URL keeps APP_URL's origin and
 *   gives back exactly the same path, query and fragment (a fixed point: nothing left to normalise).
 */

/** First path segments of the pages a signed-in person may be returned to. */
export const PAGE_SECTIONS: readonly string[] = [
  'dns-records',
  'certificate',
  'history',
  'tokens',
  'namespaces',
  'admin',
  'dev',
  'docs',
];

export const MAX_REDIRECT_LENGTH = 2048;

const SEGMENT = '[A-Za-z0-9_~-][A-Za-z0-9._~-]*';
// Percent-escapes of printable ASCII and of UTF-8 bytes; never of C0 controls or DEL.
const ESCAPE = '%(?:[2-6][0-9A-Fa-f]|7[0-9A-Ea-e]|[89A-Fa-f][0-9A-Fa-f])';
const QUERY_CHAR = `(?:[A-Za-z0-9\\-._~!$&()*+,;=:@/?]|${ESCAPE})`;
const SHAPE = new RegExp(
  `^/(?:(${SEGMENT})(?:/${SEGMENT})*)?(?:\\?${QUERY_CHAR}*)?(?:#${QUERY_CHAR}*)?$`,
);
const SECTIONS = new Set(PAGE_SECTIONS);

/**
 * The return path to use, or null when `input` is not one of this app's page paths in canonical form.
 * No input (absent or empty) means `/`. `appUrl` is APP_URL.
 */
export function safeRedirectPath(input: string | null | undefined, appUrl: string): string | null {
  if (input === null || input === undefined || input === '') return '/';
  if (input.length > MAX_REDIRECT_LENGTH) return null;
  const shape = SHAPE.exec(input);
  if (!shape) return null;
  const section = shape[1];
  if (section !== undefined && !SECTIONS.has(section)) return null;
  let url: URL;
  try {
    url = new URL(input, appUrl);
  } catch {
    return null;
  }
  if (url.origin !== new URL(appUrl).origin) return null;
  if (url.pathname + url.search + url.hash !== input) return null;
  return input;
}

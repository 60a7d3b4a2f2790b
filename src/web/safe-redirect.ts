/**
 * Where a user may be sent after sign-in: only a path on this site. Rejects absolute and
 * protocol-relative URLs ("//evil", "/\evil", "https://evil"), control characters and backslashes,
 * which browsers may treat as slashes.
 */
export function safeRedirectPath(input: string | null | undefined): string | null {
  if (input === null || input === undefined || input === '') return '/';
  if (input.length > 2048) return null;
  if (!input.startsWith('/') || input.startsWith('//')) return null;
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\\\u0000-\u001f\u007f]/.test(input)) return null;
  try {
    const base = 'http://same-origin.invalid';
    const url = new URL(input, base);
    if (url.origin !== base) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

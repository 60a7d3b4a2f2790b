import { gzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml))/;

/**
 * gzip for text responses at or above `threshold` bytes. Uses zlib synchronously on the whole body:
 * pages are small, and this is several times cheaper per request than a CompressionStream pipeline
 * (measured: ~3 ms → ~0.3 ms for an 18 KB page), which matters at 1000+ requests/s on 2 cores.
 */
export function compression(threshold = 1024): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const res = c.res;
    const accepts = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const type = res.headers.get('content-type') ?? '';
    if (
      !accepts ||
      !res.body ||
      c.req.method === 'HEAD' ||
      res.headers.has('content-encoding') ||
      !COMPRESSIBLE.test(type)
    )
      return;
    const body = Buffer.from(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    headers.append('Vary', 'Accept-Encoding');
    if (body.length < threshold) {
      c.res = new Response(body, { status: res.status, headers });
      return;
    }
    const gz = gzipSync(body, { level: 5 });
    headers.set('Content-Encoding', 'gzip');
    headers.set('Content-Length', String(gz.length));
    c.res = new Response(gz, { status: res.status, headers });
  };
}

import { gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import type { Asset } from '../static/assets.js';

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml))/;
/** Level 1: for a typical 18 KB page ~4× faster than the default level for ~15% more bytes. */
const GZIP = { level: 1 };
const HTML = 'text/html; charset=UTF-8';

const acceptsGzip = (c: Context<AppEnv>) => /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');

/**
 * Send an HTML string, gzipped when the client accepts it and it is at least `threshold` bytes. Pages
 * use this directly: a Uint8Array/string body keeps @hono/node-server on its fast path (no Response
 * object is materialised), which the generic middleware below cannot avoid. Pages are compressed
 * synchronously: at level 1 a 16 KB page takes 35–55 µs. zlib's asynchronous API moves the deflate to
 * the thread pool but spends about as much of the event loop on its stream bookkeeping; on the records
 * page under load (bench:dns page, builds alternated five times) both gave the same requests/s and
 * event-loop CPU per request, and the asynchronous one held 11–13 MB more memory.
 */
export async function sendHtml(
  c: Context<AppEnv>,
  body: string,
  status: number,
  threshold = 1024,
): Promise<Response> {
  c.set('encoded', true);
  c.header('Vary', 'Accept-Encoding', { append: true });
  if (body.length < threshold || !acceptsGzip(c) || c.req.method === 'HEAD')
    return c.body(body, status as 200, { 'Content-Type': HTML });
  const gz = gzipSync(body, GZIP);
  return c.body(new Uint8Array(gz.buffer, gz.byteOffset, gz.length), status as 200, {
    'Content-Type': HTML,
    'Content-Encoding': 'gzip',
  });
}

/**
 * gzip for other text responses at or above `threshold` bytes (htmx fragments, JSON, XML). Uses zlib
 * synchronously on the whole body: responses are small, and this is several times cheaper per request
 * than a CompressionStream pipeline.
 */
export function compression(threshold = 1024): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.get('encoded')) return;
    const res = c.res;
    const type = res.headers.get('content-type') ?? '';
    if (
      !acceptsGzip(c) ||
      c.req.method === 'HEAD' ||
      !COMPRESSIBLE.test(type) ||
      res.headers.has('content-encoding') ||
      !res.body
    )
      return;
    const body = Buffer.from(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    headers.append('Vary', 'Accept-Encoding');
    if (body.length < threshold) {
      c.res = new Response(body, { status: res.status, headers });
      return;
    }
    const gz = gzipSync(body, GZIP);
    headers.set('Content-Encoding', 'gzip');
    headers.set('Content-Length', String(gz.length));
    c.res = new Response(gz, { status: res.status, headers });
  };
}

/**
 * The content coding to send for a pre-compressed asset: Brotli when the client accepts it, else gzip,
 * else none (RFC 9110 §12.5.3: a coding with q=0 is refused; `*` stands for any coding not named).
 */
export function preferredEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  // Bounded: a header longer than any browser sends is read only in its first 50 codings.
  for (const part of acceptEncoding.split(',', 50)) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (coding) q.set(coding, Number.isFinite(value) ? value : 0);
  }
  const weight = (coding: string) => q.get(coding) ?? q.get('*') ?? 0;
  const br = weight('br');
  const gzip = Math.max(weight('gzip'), weight('x-gzip'));
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return undefined;
}

/** A static asset, in the coding the client prefers among those compressed at start-up. */
export function sendAsset(c: Context<AppEnv>, asset: Asset, cacheControl: string): Response {
  c.set('encoded', true);
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    'Cache-Control': cacheControl,
  };
  let body = asset.body;
  if (asset.encoded) {
    headers['Vary'] = 'Accept-Encoding';
    const coding = preferredEncoding(c.req.header('accept-encoding'));
    if (coding) {
      body = asset.encoded[coding];
      headers['Content-Encoding'] = coding;
    }
  }
  return c.body(
    new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length),
    200,
    headers,
  );
}

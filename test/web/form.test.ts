/**
 * readForm over a real socket (the Node fast path) and through app.request() (Hono's parser): same
 * fields, last value wins, size limit answered with 413 and the connection closed.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import type { AppEnv } from '../../src/web/env.js';
import { MAX_FORM_BYTES, readForm } from '../../src/web/form.js';

const app = new Hono<AppEnv>();
app.post('/echo', async (c) => {
  const first = await readForm(c);
  const again = await readForm(c); // cached: the body can only be read once
  expect(again).toBe(first);
  return c.json(first);
});
app.onError((err, c) =>
  isAppError(err)
    ? c.text(err.message, err.status as 413)
    : c.text(`unexpected: ${String(err)}`, 500),
);

let server: http.Server;
let url: string;
beforeAll(async () => {
  server = await new Promise<http.Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as http.Server),
    );
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const form = 'subdomain=www&type=A&value=192.0.2.1&note=a%20%26%20b%3D%C3%A9&x=1&x=2&empty=';
const expected = {
  subdomain: 'www',
  type: 'A',
  value: '192.0.2.1',
  note: 'a & b=é',
  x: '2',
  empty: '',
};
const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };

/** Raw request so the body can be streamed without a Content-Length (chunked). */
function rawPost(body: string[], headers: Record<string, string>) {
  return new Promise<{ status: number; connection: string | undefined; text: string }>(
    (resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, connection: res.headers.connection, text }),
        );
      });
      req.on('error', reject);
      for (const part of body) req.write(part);
      req.end();
    },
  );
}

describe('readForm', () => {
  it('reads URL-encoded fields from the socket; the last repeated value wins', async () => {
    const res = await fetch(url, { method: 'POST', headers: urlencoded, body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(expected);
  });

  it('gives the same fields through Hono when there is no socket (app.request)', async () => {
    const res = await app.request('/echo', { method: 'POST', headers: urlencoded, body: form });
    expect(await res.json()).toEqual(expected);
  });

  it('reads multipart forms and ignores bodies that are not forms', async () => {
    const fd = new FormData();
    fd.append('subdomain', 'www');
    fd.append('x', '1');
    fd.append('x', '2');
    expect(await (await fetch(url, { method: 'POST', body: fd })).json()).toEqual({
      subdomain: 'www',
      x: '2',
    });
    const json = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await json.json()).toEqual({});
  });

  it('refuses a body over the limit with 413 and closes the connection (declared or streamed)', async () => {
    const big = `value=${'a'.repeat(MAX_FORM_BYTES)}`;
    const declared = await rawPost([big], {
      ...urlencoded,
      'content-length': String(Buffer.byteLength(big)),
    });
    expect(declared.status).toBe(413);
    expect(declared.connection).toBe('close');
    expect(declared.text).toContain('too large');
    const chunks = Array.from({ length: 20 }, () => 'a'.repeat(64 * 1024));
    const streamed = await rawPost(['value=', ...chunks], {
      ...urlencoded,
      'transfer-encoding': 'chunked',
    });
    expect(streamed.status).toBe(413);
    expect(streamed.connection).toBe('close');
    // A body just under the limit is accepted.
    const ok = await fetch(url, {
      method: 'POST',
      headers: urlencoded,
      body: `value=${'a'.repeat(MAX_FORM_BYTES - 10)}`,
    });
    expect(ok.status).toBe(200);
  });
});

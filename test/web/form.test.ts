/**
 * readForm over a real socket (read from Node's request as it streams) and through app.request() (the
 * Fetch body stream): same fields, last value wins, size and field-count limits answered with 413 and
 * the connection closed, an unreadable multipart body with 400.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import type { AppEnv } from '../../src/web/env.js';
import { MAX_BODY_BYTES, MAX_FORM_FIELDS, readForm } from '../../src/web/form.js';

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
    const big = `value=${'a'.repeat(MAX_BODY_BYTES)}`;
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
      body: `value=${'a'.repeat(MAX_BODY_BYTES - 10)}`,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses more than MAX_FORM_FIELDS fields, URL-encoded or multipart, on both paths', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=x`).join('&');
    for (const send of [
      (body: string) => fetch(url, { method: 'POST', headers: urlencoded, body }),
      (body: string) => app.request('/echo', { method: 'POST', headers: urlencoded, body }),
    ]) {
      expect((await send(many(MAX_FORM_FIELDS))).status).toBe(200);
      const over = await send(many(MAX_FORM_FIELDS + 1));
      expect(over.status).toBe(413);
      expect(await over.text()).toContain('too many fields');
    }
    const fd = new FormData();
    for (let i = 0; i <= MAX_FORM_FIELDS; i++) fd.append(`f${i}`, 'x');
    expect((await fetch(url, { method: 'POST', body: fd })).status).toBe(413);
  });

  it('answers 400, not 500, to a multipart body it cannot parse', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing boundary',
    });
    expect(res.status).toBe(400);
  });

  it('stops reading a body streamed without a socket (app.request) at the limit', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(97));
      },
    });
    const res = await app.request('/echo', {
      method: 'POST',
      headers: urlencoded,
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(MAX_BODY_BYTES + 512 * 1024);
  });
});

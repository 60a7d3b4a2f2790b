/**
 * The HTTP server as deployed (serveApp) over raw sockets, for what a Fetch client cannot show: a
 * declared length over the limit refused before the body is sent, Expect: 100-continue answered without
 * inviting a body nobody will read, the request-head limit, and keep-alive kept when a body was read.
 */
import type { Server } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/web/body.js';
import { MAX_HEADER_BYTES, serveApp } from '../../src/web/server.js';
import { type TestApp, createTestApp } from '../support/app.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw HTTP/1.1 connection: write bytes, read answers one by one (1xx included). */
class Conn {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => {});
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
    });
  }
  write(data: string | Buffer): void {
    this.socket.write(data);
  }
  /** The next answer; rejects if the connection closes first. */
  async next(): Promise<Answer> {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end !== -1) {
        const [statusLine, ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines)
          headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        const status = Number(statusLine!.split(' ')[1]);
        const rest = this.buf.subarray(end + 4);
        let length: number | null = status < 200 ? 0 : Number(headers['content-length'] ?? 0);
        let body = '';
        if (headers['transfer-encoding'] === 'chunked') {
          // Chunk sizes and data up to the last (empty) chunk, if all have arrived.
          length = null;
          for (let at = 0; ;) {
            const eol = rest.indexOf('\r\n', at);
            if (eol === -1) break;
            const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
            if (rest.length < eol + 2 + size + 2) break;
            body += rest.subarray(eol + 2, eol + 2 + size).toString('utf8');
            at = eol + 2 + size + 2;
            if (size === 0) {
              length = at;
              break;
            }
          }
        } else if (rest.length >= length) body = rest.subarray(0, length).toString('utf8');
        if (length !== null && rest.length >= length) {
          this.buf = rest.subarray(length);
          return { status, headers, body };
        }
      }
      if (this.closed)
        throw new Error(`connection closed; unparsed: ${this.buf.toString('latin1')}`);
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = null;
    }
  }
  /** Whether nothing more arrives and the server closes (resolves true) — or the wait runs out. */
  closedByServer(ms = 10_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => (clearTimeout(t), resolve(true)));
    });
  }
  end(): void {
    this.socket.destroy();
  }
}

describe('the HTTP server', () => {
  let t: TestApp;
  let server: Server;
  let port: number;
  let anonCookie: string;
  let anonToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    server = await serveApp(t.app, 0, '127.0.0.1');
    port = (server.address() as net.AddressInfo).port;
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    anonCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    anonToken = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.cleanup();
  });

  const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

  it('refuses a declared length over the limit with 413 before the body is sent, and closes', async () => {
    const c = await Conn.open(port);
    c.write(
      head([
        'POST /login HTTP/1.1',
        'Host: localhost',
        `Cookie: ${anonCookie}`,
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${MAX_BODY_BYTES + 1}`,
      ]),
    );
    const a = await c.next();
    expect(a.status).toBe(413);
    expect(a.headers.connection).toBe('close');
    expect(a.body).toContain('too large');
    expect(await c.closedByServer()).toBe(true);
  });

  it('Expect: 100-continue — a request refused anyway is answered without inviting its body', async () => {
    for (const [path, status] of [
      ['/dns-records/new', 401], // needs sign-in
      ['/admin/blocked-labels', 404], // admins only
      ['/no-such-page', 404],
    ] as const) {
      const c = await Conn.open(port);
      c.write(
        head([
          `POST ${path} HTTP/1.1`,
          'Host: localhost',
          'Content-Type: application/x-www-form-urlencoded',
          'Content-Length: 500000',
          'Expect: 100-continue',
        ]),
      );
      const a = await c.next();
      expect(a.status, path).toBe(status); // not 100 first
      expect(a.headers.connection, path).toBe('close');
      c.end();
    }
    // A body of a type the route does not take: 415, uninvited.
    const c = await Conn.open(port);
    c.write(
      head([
        'POST /login HTTP/1.1',
        'Host: localhost',
        `Cookie: ${anonCookie}`,
        `X-CSRF-Token: ${anonToken}`,
        'Content-Type: application/json',
        'Content-Length: 500000',
        'Expect: 100-continue',
      ]),
    );
    expect((await c.next()).status).toBe(415);
    c.end();
  });

  it('Expect: 100-continue — a route that reads the body invites it, then answers', async () => {
    const body = 'redirectTo=%2Fdns-records';
    const c = await Conn.open(port);
    c.write(
      head([
        'POST /login HTTP/1.1',
        'Host: localhost',
        `Cookie: ${anonCookie}`,
        `X-CSRF-Token: ${anonToken}`,
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${body.length}`,
        'Expect: 100-continue',
      ]),
    );
    expect((await c.next()).status).toBe(100);
    c.write(body);
    const a = await c.next();
    expect(a.status).toBe(303);
    expect(a.headers.location).toContain('/dev-idp/sso');
    c.end();
  });

  it('keeps the connection alive when the body was read whole, or refused after it all arrived', async () => {
    const c = await Conn.open(port);
    const form = `_csrf=${anonToken}&redirectTo=%2F`;
    for (let i = 0; i < 2; i++) {
      c.write(
        head([
          'POST /login HTTP/1.1',
          'Host: localhost',
          `Cookie: ${anonCookie}`,
          'Content-Type: application/x-www-form-urlencoded',
          `Content-Length: ${form.length}`,
        ]) + form,
      );
      const a = await c.next();
      expect(a.status).toBe(303);
      expect(a.headers.connection).toBe('keep-alive');
    }
    c.write(
      head([
        'POST /dns-records/new HTTP/1.1',
        'Host: localhost',
        'Content-Type: application/x-www-form-urlencoded',
        'Content-Length: 3',
      ]) + 'a=b',
    );
    const refused = await c.next();
    expect(refused.status).toBe(401);
    c.write(head(['GET /login HTTP/1.1', 'Host: localhost']));
    expect((await c.next()).status).toBe(200);
    c.end();
  });

  it(`answers 431 to a request head over ${MAX_HEADER_BYTES / 1024} KB`, async () => {
    const c = await Conn.open(port);
    c.write(
      head(['GET /login HTTP/1.1', 'Host: localhost', `X-Big: ${'a'.repeat(MAX_HEADER_BYTES)}`]),
    );
    expect((await c.next()).status).toBe(431);
    c.end();
  });
});

/**
 * Request bodies against the real server over real sockets, the server (startService) in a child
 * process of its own so its memory can be measured. Every POST route of the app (enumerated from it: a
 * new route is covered without editing this file), plus paths that have no POST route, gets a chunked
 * body in every content type, anonymous and signed in, with the CSRF token nowhere, in a header or in
 * the body. Bodies are 42–200 MB here: larger than the kernels could buffer (see `smallest`), so an
 * answer that arrives before the client has sent everything proves the server answered without reading
 * it all. Each must be answered so (413, or 401/404/415 for requests refused anyway, or the route's own
 * answer to a form it does not read), with `Connection: close`, and the server's resident memory must
 * not grow by 20 MB. Bodies are generated lazily from one reused 64 KiB buffer, and the client stops
 * sending as soon as the answer arrives. Linux only (/proc), as everything here.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/web/body.js';
import { ROOT } from '../support/process.js';

const TSX_LOADER = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const MB = 1024 * 1024;
/** The server collects garbage after every GC_EVERY requests (see the loop). */
const GC_EVERY = 4;
const FILLER = Buffer.alloc(64 * 1024, 'a');

interface Ready {
  type: 'ready';
  url: string;
  routes: { method: string; path: string }[];
  ids: { record: number; user: number; userRecord: number; label: string };
}
interface Session {
  cookie: string;
  csrf: string;
}

let child: ChildProcess;
let ready: Ready;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'starchart-body-'));
  child = fork(path.join(ROOT, 'test', 'fixtures', 'web-server.ts'), [], {
    execArgv: ['--expose-gc', '--import', TSX_LOADER],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'test',
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
      ROOT_DOMAIN: 'starchart.test',
      APP_URL: 'http://localhost:8080',
      HOST: '127.0.0.1',
      PORT: '0',
      ROLE: 'web',
      DNS_SERVER_PORT: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ask = <T>(type: 'session' | 'gc') =>
  new Promise<T>((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ type });
  });
const newSession = () => ask<Session>('session');

/** Resident memory of the server process now, and its peak since resetPeak() (Linux /proc). */
const memory = () => {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
};
const resetPeak = () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5');

interface Outcome {
  status: number;
  connection: string | undefined;
  /** Bytes the client had handed to its socket when the answer's headers arrived. */
  sentAtResponse: number;
  total: number;
  body: string;
}

/**
 * POST `total` bytes, chunked: `prefix`, filler, `suffix`, written as the socket drains. Sending stops
 * when the answer arrives; errors after that (the server closing while data is in flight) are expected.
 */
function streamPost(
  pathname: string,
  headers: Record<string, string>,
  prefix: string,
  suffix: string,
  total: number,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const url = new URL(pathname, ready.url);
    let sent = 0;
    let answered = false;
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'transfer-encoding': 'chunked' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer to POST ${pathname} after ${sent} of ${total} bytes`));
    }, 60_000);
    req.on('response', (res) => {
      answered = true;
      const sentAtResponse = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({
          status: res.statusCode!,
          connection: res.headers.connection,
          sentAtResponse,
          total,
          body,
        });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (err) => {
      if (answered) return;
      clearTimeout(timer);
      reject(new Error(`POST ${pathname}: ${err.message} after ${sent} of ${total} bytes`));
    });
    const tail = Buffer.from(suffix);
    const pump = () => {
      while (!answered && !req.destroyed) {
        if (sent + tail.length >= total) {
          req.end(tail);
          sent += tail.length;
          return;
        }
        const chunk = FILLER.subarray(0, Math.min(FILLER.length, total - tail.length - sent));
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    if (prefix) {
      sent = Buffer.byteLength(prefix);
      req.write(prefix);
    }
    pump();
  });
}

type Kind =
  'urlencoded' | 'multipart' | 'json' | 'text' | 'octet-stream' | 'no content type' | 'bogus';
const KINDS: Kind[] = [
  'urlencoded',
  'multipart',
  'json',
  'text',
  'octet-stream',
  'no content type',
  'bogus',
];

/** Content type, and the text before and after the filler, with the token (if any) as a field. */
function shape(kind: Kind, token: string | null) {
  const b = 'x-boundary-7d1f';
  switch (kind) {
    case 'urlencoded':
      return {
        type: 'application/x-www-form-urlencoded',
        prefix: `${token ? `_csrf=${token}&` : ''}value=`,
        suffix: '&end=1',
      };
    case 'multipart': {
      const part = (name: string) =>
        `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`;
      return {
        type: `multipart/form-data; boundary=${b}`,
        prefix: `${token ? `${part('_csrf')}${token}\r\n` : ''}${part('value')}`,
        suffix: `\r\n--${b}--\r\n`,
      };
    }
    case 'json':
      return {
        type: 'application/json',
        prefix: `{${token ? `"_csrf":"${token}",` : ''}"value":"`,
        suffix: '"}',
      };
    case 'text':
      return {
        type: 'text/plain',
        prefix: `${token ? `_csrf=${token}\r\n` : ''}value=`,
        suffix: '',
      };
    case 'octet-stream':
      return { type: 'application/octet-stream', prefix: '', suffix: '' };
    case 'no content type':
      return { type: null, prefix: '', suffix: '' };
    case 'bogus':
      return { type: 'bogus', prefix: '', suffix: '' };
  }
}

/** Route path → a path that reaches it, with ids of rows the fixture made. */
function fill(routePath: string): string {
  return routePath.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string, _re, offset: number) => {
    const before = routePath.slice(0, offset);
    if (name === 'rid') return String(ready.ids.userRecord);
    // Token ids: the body limit answers before any token is looked up.
    if (name === 'tid' || (name === 'id' && before === '/tokens/')) return '1';
    if (name === 'label') return ready.ids.label;
    // Namespace ids: the body limit answers before any namespace is looked up.
    if (before.startsWith('/namespaces/')) return '1';
    if (name === 'id' && before === '/dns-records/') return String(ready.ids.record);
    if (name === 'id' && before === '/api/v1/records/') return String(ready.ids.record);
    if (name === 'id' && before === '/admin/users/') return String(ready.ids.user);
    throw new Error(`give this test a value for :${name} in ${routePath}`);
  });
}

/** Paths with no POST route. */
const NO_ROUTE = ['/no-such-page', '/certificate/information', '/admin/audit'];

/** Update protocols (dyndns2, acme-dns) authenticate with a token, never a session or CSRF token. */
const TOKEN_ROUTES = /^\/(nic|v3|acme-dns)\//;

/** Who may reach a path's POST route, by its prefix (401/404 otherwise, the body unread). */
const access = (p: string): 'admin' | 'user' | 'token' | 'anyone' =>
  p.startsWith('/api/') || TOKEN_ROUTES.test(p)
    ? 'token'
    : p.startsWith('/admin')
      ? 'admin'
      : /^\/(dns-records|certificate|tokens|namespaces)(\/|$)/.test(p)
        ? 'user'
        : 'anyone';

describe('request bodies over a real socket', () => {
  it('every POST route answers huge chunked bodies of every type early, with flat server memory', async () => {
    const postRoutes = [
      ...new Set(ready.routes.filter((r) => r.method === 'POST').map((r) => fill(r.path))),
    ];
    expect(postRoutes.length).toBeGreaterThanOrEqual(20);
    expect(postRoutes).toContain('/login/callback');
    // No POST route here: answered 404 without reading.
    const paths = [...postRoutes, ...NO_ROUTE];

    // An anonymous visitor's CSRF token and its cookie, as a browser gets them.
    const login = await fetch(new URL('/login', ready.url));
    const anonCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const anonToken = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;

    type Who =
      | 'anonymous'
      | 'anonymous, token in header'
      | 'signed in, token in body'
      | 'signed in, token in header';
    const WHO: Who[] = [
      'anonymous',
      'anonymous, token in header',
      'signed in, token in body',
      'signed in, token in header',
    ];
    // The client can be ahead of the server by what the kernels buffer (the server's receive buffer
    // grows up to tcp_rmem's maximum, the client's send buffer up to tcp_wmem's) plus what the server
    // reads (the limit, and a chunk or two). A body larger than all that cannot have been
    // sent whole when the answer arrives, however slow the server, so "answered while the client was
    // still sending" is decided by the server's reading, not by timing.
    const kernelMax = (f: string) =>
      Number(readFileSync(`/proc/sys/net/ipv4/${f}`, 'utf8').trim().split(/\s+/)[2]);
    const ahead = kernelMax('tcp_rmem') + kernelMax('tcp_wmem') + 2 * MAX_BODY_BYTES;
    const smallest = Math.max(10 * MB, Math.ceil((ahead + 4 * MB) / MB) * MB);
    expect(smallest, 'kernel buffers larger than the bodies this test sends').toBeLessThan(
      100 * MB,
    );
    const sizes = [smallest, 100 * MB, 150 * MB, 200 * MB];

    /** One request of the matrix: who sends what to where. */
    const send = async (p: string, who: Who, kind: Kind, total: number) => {
      const session = who.startsWith('signed in') ? await newSession() : null;
      const token = session ? session.csrf : who === 'anonymous' ? null : anonToken;
      const s = shape(kind, who.endsWith('in body') ? token : null);
      const headers: Record<string, string> = {};
      if (s.type) headers['content-type'] = s.type;
      if (session) headers.cookie = session.cookie;
      else if (token) headers.cookie = anonCookie;
      if (who.endsWith('in header')) headers['x-csrf-token'] = token!;
      const out = await streamPost(p, headers, s.prefix, s.suffix, total);
      return { out, signedIn: session !== null };
    };

    // Warm-up: the same requests with 2 KB bodies, so what the server holds after serving them (JIT,
    // heap growth, sessions, the database cache) is in the baseline, and the growth measured below is
    // what the large bodies add.
    for (const p of paths)
      for (const who of WHO) for (const kind of KINDS) await send(p, who, kind, 2048);
    await ask('gc');
    const baseline = memory().rss;
    resetPeak();

    let n = 0;
    let maxRss = baseline;
    let maxSentAtResponse = 0;
    const statuses = new Map<number, number>();
    for (const p of paths) {
      for (const who of WHO) {
        for (const kind of KINDS) {
          const total = sizes[n++ % sizes.length]!;
          const what = `POST ${p}, ${kind}, ${who}, ${total / MB} MB`;
          const { out, signedIn } = await send(p, who, kind, total);
          statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
          expect(out.sentAtResponse, `${what}: answered only after the whole body`).toBeLessThan(
            total,
          );
          expect(out.connection, what).toBe('close');
          const reach = access(p);
          const form = kind === 'urlencoded' || kind === 'multipart';
          let expected: number | 'any but 5xx';
          // The API and the update protocols take only a token: 401 before any body is read.
          if (reach === 'token') expected = 401;
          else if (reach !== 'anyone' && !signedIn) expected = reach === 'admin' ? 404 : 401;
          else if (NO_ROUTE.includes(p)) expected = 404;
          else if (!form) expected = 415;
          // The CSRF check reads the form for its token; a route exempt from it reads it itself.
          else if (!who.endsWith('in header') || p.endsWith('/callback')) expected = 413;
          else expected = 'any but 5xx'; // the route's own answer: 413 if it reads the form
          const detail = `${what}: ${out.status} ${out.body.slice(0, 300)}`;
          if (expected === 'any but 5xx') expect(out.status, detail).toBeLessThan(500);
          else expect(out.status, detail).toBe(expected);
          maxSentAtResponse = Math.max(maxSentAtResponse, out.sentAtResponse);
          maxRss = Math.max(maxRss, memory().rss);
          // V8 frees the server's dead buffers (every answer drops the socket's last read, a 413 the
          // megabyte it read) only at a full collection, which it puts off until some 64 MB of them
          // have piled up, across requests. Collecting every few requests keeps that pile out of the
          // figure, which then shows what requests hold: the peak still includes every body a
          // request read or buffered, before the collection after it.
          if (n % GC_EVERY === 0) await ask('gc');
        }
      }
    }
    const { peak } = memory();
    const growth = Math.max(peak, maxRss) - baseline;
    console.log(
      `${n} requests of ${sizes.map((x) => x / MB).join('/')} MB; statuses ` +
        `${JSON.stringify(Object.fromEntries(statuses))}; server RSS after warm-up ` +
        `${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB (growth ` +
        `${(growth / MB).toFixed(1)} MB); the client had sent at most ` +
        `${(maxSentAtResponse / MB).toFixed(1)} MB when answered`,
    );
    expect(statuses.get(413) ?? 0).toBeGreaterThan(0);
    expect(growth).toBeLessThan(20 * MB);
  }, 600_000);
});

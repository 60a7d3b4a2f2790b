import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/app.js';
import { insertUser } from '../support/factories.js';

describe('web skeleton', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  it('/healthcheck answers 200 JSON naming the database dialect, and is never cached', async () => {
    const res = await t.request('/healthcheck', {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'ok', dialect: 'sqlite' } },
    });
  });

  it('sends a CSP with a fresh nonce per request, used on every script tag, and hardening headers', async () => {
    const a = await t.request('/login');
    const b = await t.request('/login');
    const nonceOf = (r: Response) =>
      /'nonce-([^']+)'/.exec(r.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonceOf(a)).toBeTruthy();
    expect(nonceOf(a)).not.toBe(nonceOf(b));
    const html = await a.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toContain(`nonce="${nonceOf(a)}"`);
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(a.headers.get('x-frame-options')).toBe('DENY');
    expect(a.headers.get('access-control-allow-origin')).toBeNull();
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a well-formed incoming request id and replaces a hostile one', async () => {
    expect(
      (
        await t.request('/healthcheck', { headers: { 'x-request-id': 'lb-req-12345678' } })
      ).headers.get('x-request-id'),
    ).toBe('lb-req-12345678');
    expect(
      (await t.request('/healthcheck', { headers: { 'x-request-id': '<script>' } })).headers.get(
        'x-request-id',
      ),
    ).not.toBe('<script>');
  });

  it('serves htmx and the stylesheet from fingerprinted URLs with a one-year immutable cache', async () => {
    const html = await (await t.request('/login')).text();
    const urls = [...html.matchAll(/(?:src|href)="(\/static\/[0-9a-f]{12}\/[^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(urls.some((u) => u.endsWith('htmx.min.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('app.css'))).toBe(true);
    for (const u of urls) {
      const res = await t.request(u);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }
    expect((await t.request('/static/000000000000/app.css')).status).toBe(404);
  });

  it('serves stylesheets, scripts and SVGs compressed once at start-up, in the coding the browser prefers', async () => {
    const html = await (await t.request('/login')).text();
    const css = html.match(/href="(\/static\/[0-9a-f]{12}\/app\.css)"/)![1]!;
    const identity = Buffer.from(await (await t.request(css)).arrayBuffer());
    const cases: [string | undefined, string | null][] = [
      [undefined, null],
      ['identity', null],
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0.5, br;q=0.4', 'gzip'],
      ['*', 'br'],
      ['*;q=0', null],
      ['x-gzip', 'gzip'],
      ['br;q=garbage, gzip', 'gzip'],
      [',,;;,=,q=1;br', null],
    ];
    for (const [accept, coding] of cases) {
      const res = await t.request(css, accept ? { headers: { 'accept-encoding': accept } } : {});
      expect(res.status, accept).toBe(200);
      expect(res.headers.get('content-encoding'), accept).toBe(coding);
      expect(res.headers.get('vary'), accept).toContain('Accept-Encoding');
      const body = Buffer.from(await res.arrayBuffer());
      const decoded =
        coding === 'br' ? brotliDecompressSync(body) : coding === 'gzip' ? gunzipSync(body) : body;
      expect(decoded.equals(identity), accept).toBe(true);
    }
    // PNGs are compressed already: sent as they are.
    const png = await t.request('/favicon.ico', { headers: { 'accept-encoding': 'br, gzip' } });
    expect(png.headers.get('content-encoding')).toBeNull();
  });

  it('compresses pages when asked', async () => {
    const res = await t.request('/login', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });

  it('redirects trailing slashes and renders a 404 page', async () => {
    const r = await t.request('/healthcheck/?x=1');
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/healthcheck?x=1');
    const nf = await t.request('/no-such-page');
    expect(nf.status).toBe(404);
    expect(await nf.text()).toContain('Not found');
  });

  it('refuses a state-changing request without the CSRF token with 403, and accepts it with the token', async () => {
    const user = await insertUser(t.container.dbh.db);
    const agent = await t.agent(user);
    const form = { subdomain: 'www' };
    expect((await agent.post('/dns-records/validate', form, { csrf: false })).status).toBe(403);
    expect((await agent.post('/dns-records/validate', { ...form, _csrf: 'wrong' })).status).toBe(
      403,
    );
    const header = { headers: { 'x-csrf-token': 'wrong' }, csrf: false };
    expect((await agent.post('/dns-records/validate', form, header)).status).toBe(403);
    expect((await agent.post('/dns-records/validate', form)).status).toBe(200);
    const right = { headers: { 'x-csrf-token': agent.csrfToken! }, csrf: false };
    expect((await agent.post('/dns-records/validate', form, right)).status).toBe(200);
    // A path without a POST route is not found, token or not (its body is never read).
    expect((await agent.post('/no-such-form', {}, { csrf: false })).status).toBe(404);
    expect((await agent.post('/no-such-form')).status).toBe(404);
  });
});

describe('healthcheck with Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(async () => t.cleanup());

  it('answers 503 naming the failing part', async () => {
    const res = await t.request('/healthcheck');
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      failing: string[];
      checks: { database: { status: string } };
    };
    expect(body.failing).toEqual(['redis']);
    expect(body.checks.database.status).toBe('ok');
  });
});

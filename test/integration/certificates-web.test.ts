import { execFileSync } from 'node:child_process';
/**
 * The certificate pages end to end: the embedded default (development CA checking the built-in DNS
 * server) through HTTP, downloads and their errors, authorisation, delete = revoke at Pebble, and the
 * Route53 path (fake Route53 serving DNS to Pebble).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type CertEnv,
  ROOT,
  certificateEnv,
  opensslSan,
  opensslVerify,
  waitSettled,
} from '../support/certificates.js';
import { DIALECTS } from '../support/db.js';
import { requestCertificate } from '../../src/domain/certificates/certificates.js';
import { advanceCertificate } from '../../src/domain/certificates/issuance.js';
import { dispatchQueue } from '../../src/domain/certificates/queue.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import { insertUser } from '../support/factories.js';
import { insertCertificate } from '../../src/db/repos/certificates.js';
import { certificateSweepJob } from '../../src/jobs/certificate-advance.job.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'starchart-certweb-'));

describe.each(DIALECTS)('embedded default: development CA through the pages (%s)', (dialect) => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv(dialect, 'embedded', { devCa: true });
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());

  test('a newcomer requests a certificate and downloads a full chain that verifies against the development root', async () => {
    const user = await insertUser(e.db());
    const agent = await e.t.agent(user);
    let page = await (await agent.get('/certificate')).text();
    expect(page).toContain('Request a Certificate');
    expect(page).toContain(`${user.dns_label}.${ROOT}`);
    expect(page).toContain('/certificate/dev-root.pem');
    // No CSRF token → refused.
    expect((await agent.post('/certificate', { intent: 'request' }, { csrf: false })).status).toBe(
      403,
    );
    const res = await agent.post('/certificate', { intent: 'request' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/certificate?done=requested');
    const row = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    const done = await waitSettled(e.db(), row.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('issued');
    page = await (await agent.get('/certificate')).text();
    expect(page).toContain('Expires On');
    expect(page).toContain('href="#nginx"');
    expect(page).toContain('/certificate/download/fullChain');
    const full = await agent.get('/certificate/download/fullChain');
    expect(full.status).toBe(200);
    expect(full.headers.get('content-disposition')).toBe(
      `attachment; filename="${user.dns_label}.${ROOT}.bundle.pem"`,
    );
    const fullPem = await full.text();
    const rootRes = await agent.get('/certificate/dev-root.pem');
    expect(rootRes.status).toBe(200);
    const rootPath = path.join(scratch, `dev-root-${dialect}.pem`);
    writeFileSync(rootPath, await rootRes.text());
    const blocks = fullPem.match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g,
    )!;
    expect(blocks).toHaveLength(2);
    expect(opensslVerify(scratch, rootPath, blocks[0], blocks.slice(1).join(''))).toMatch(/: OK/);
    expect(opensslSan(scratch, blocks[0])).toContain(`DNS:*.${user.dns_label}.${ROOT}`);
    const key = await agent.get('/certificate/download/privateKey');
    expect(key.headers.get('content-disposition')).toContain(
      `${user.dns_label}.${ROOT}.privkey.pem`,
    );
    expect(await key.text()).toContain('-----BEGIN PRIVATE KEY-----');
    for (const [part, suffix] of [
      ['certificate', 'certificate.pem'],
      ['chain', 'chain.pem'],
    ] as const) {
      const r = await agent.get(`/certificate/download/${part}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-disposition')).toContain(`${user.dns_label}.${ROOT}.${suffix}`);
    }
    // The .pfx bundle holds the certificate, the chain and the matching key (empty password).
    const pfx = await agent.get('/certificate/download/pfx');
    expect(pfx.status).toBe(200);
    expect(pfx.headers.get('content-disposition')).toContain(`${user.dns_label}.${ROOT}.pfx`);
    const pfxPath = path.join(scratch, 'bundle.pfx');
    writeFileSync(pfxPath, Buffer.from(await pfx.arrayBuffer()));
    const unpacked = execFileSync(
      'openssl',
      ['pkcs12', '-in', pfxPath, '-passin', 'pass:', '-nodes'],
      { encoding: 'utf8' },
    );
    expect(unpacked.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(unpacked).toContain('-----BEGIN PRIVATE KEY-----');
    // Audit trail.
    const audit = await e
      .db()
      .selectFrom('audit_log')
      .select('action')
      .where('effective_user_id', '=', user.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['certificate.request', 'certificate.issue']);
  });

  test('certificate.sweep: a pending certificate whose job is gone (ran out of attempts, or lost with the queue) is issued; one a worker holds is left alone', async () => {
    const now = Date.now();
    const stranded = async (lease_until: number | null) => {
      const user = await insertUser(e.db());
      // As the dispatcher leaves it (order allowed by the budget), but no job was ever enqueued (or
      // it is gone).
      const id = await insertCertificate(e.db(), {
        order_sent_at: now,
        user_id: user.id,
        domain: `${user.dns_label}.${ROOT}`,
        status: 'pending',
        step: 'requested',
        inflight_user_id: user.id,
        renewal_of: null,
        lease_until,
        step_started_at: now,
        created_at: now,
        updated_at: now,
      });
      return id;
    };
    const lost = await stranded(null);
    const leaseRanOut = await stranded(now - 1_000);
    const held = await stranded(now + 3_600_000);
    const ctx = {
      jobName: certificateSweepJob.name,
      attempt: 1,
      signal: new AbortController().signal,
    };
    // Which ones the sweep hands back, seen through a recording queue.
    const enqueued: unknown[] = [];
    const deps = e.t.container.jobDeps;
    await certificateSweepJob.handler(
      {},
      { ...deps, queue: { ...deps.queue, enqueue: async (_n, p) => void enqueued.push(p) } },
      ctx,
    );
    expect(enqueued).toEqual(
      expect.arrayContaining([{ certificateId: lost }, { certificateId: leaseRanOut }]),
    );
    expect(enqueued).not.toContainEqual({ certificateId: held });
    // Through the real queue and worker: both are issued.
    await certificateSweepJob.handler({}, deps, ctx);
    for (const id of [lost, leaseRanOut]) {
      const done = await waitSettled(e.db(), id);
      expect(done.error).toBeNull();
      expect(done.status).toBe('issued');
    }
    const stillHeld = await e
      .db()
      .selectFrom('certificates')
      .select('status')
      .where('id', '=', held)
      .executeTakeFirstOrThrow();
    expect(stillHeld.status).toBe('pending');
  });

  test('downloads: 400 unknown part, 404 without a certificate, 409 while pending; other users get 404', async () => {
    const owner = await insertUser(e.db());
    const other = await insertUser(e.db());
    const a = await e.t.agent(owner);
    const b = await e.t.agent(other);
    expect((await a.get('/certificate/download/secret')).status).toBe(400);
    expect((await a.get('/certificate/download/certificate')).status).toBe(404);
    // A pending request (inserted directly so it stays pending).
    const now = Date.now();
    const ins = await e
      .db()
      .insertInto('certificates')
      .values({
        user_id: owner.id,
        domain: `${owner.dns_label}.${ROOT}`,
        status: 'pending',
        step: 'requested',
        inflight_user_id: owner.id,
        created_at: now,
        updated_at: now,
        lease_until: now + 3_600_000,
      })
      .executeTakeFirstOrThrow();
    expect((await a.get('/certificate/download/certificate')).status).toBe(409);
    const pendingPage = await (await a.get('/certificate')).text();
    expect(pendingPage).toContain('hx-get="/certificate/status"');
    expect(pendingPage).toContain('href="/certificate">Refresh</a>');
    expect((await a.get('/certificate/status', { 'hx-request': 'true' })).status).toBe(200);
    await e.db().deleteFrom('certificates').where('id', '=', Number(ins.insertId)).execute();
    // Issue one for the owner; the other user still sees nothing.
    await a.post('/certificate', { intent: 'request' });
    const row = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', owner.id)
      .executeTakeFirstOrThrow();
    expect((await waitSettled(e.db(), row.id)).status).toBe('issued');
    for (const part of ['certificate', 'privateKey', 'chain', 'fullChain'])
      expect((await b.get(`/certificate/download/${part}`)).status).toBe(404);
    expect(await (await b.get('/certificate')).text()).not.toContain(owner.dns_label);
    // Renewal outside the window is refused by the server.
    const renew = await a.post('/certificate', { intent: 'renew' });
    expect(renew.status).toBe(409);
    expect(await renew.text()).toContain('You can renew it from');
  });

  test('renewal asks first: a page that works without JavaScript (and its question for the dialog); a POST without confirm=yes orders nothing; others see none of it', async () => {
    const owner = await insertUser(e.db());
    const other = await insertUser(e.db());
    const a = await e.t.agent(owner);
    const b = await e.t.agent(other);
    const orders = async () =>
      (
        await e
          .db()
          .selectFrom('certificates')
          .select(['id', 'status'])
          .where('user_id', '=', owner.id)
          .orderBy('id')
          .execute()
      ).map((r) => r.status);
    // Nothing to renew yet: the confirmation sends back to the certificate page.
    const none = await a.get('/certificate/renew');
    expect(none.status).toBe(303);
    expect(none.headers.get('location')).toBe('/certificate');
    // The first request needs no confirmation.
    expect((await a.post('/certificate', { intent: 'request' })).status).toBe(303);
    const [first] = await e
      .db()
      .selectFrom('certificates')
      .select('id')
      .where('user_id', '=', owner.id)
      .execute();
    expect((await waitSettled(e.db(), first!.id)).status).toBe('issued');
    // Not renewable yet: no link to the question, which sends back; the POST says from when.
    expect(await (await a.get('/certificate')).text()).not.toContain('href="/certificate/renew"');
    expect((await a.get('/certificate/renew')).status).toBe(303);
    expect((await a.post('/certificate', { intent: 'renew' })).status).toBe(409);
    // Inside the window for a renewal by hand (the automatic one is not due, so the worker waits).
    const now = Date.now();
    await e
      .db()
      .updateTable('certificates')
      .set({
        valid_from: now - 89 * 86_400_000,
        valid_to: now + 86_400_000,
        renew_at: now + 30 * 86_400_000,
      })
      .where('id', '=', first!.id)
      .execute();
    const page = await (await a.get('/certificate')).text();
    expect(page).toMatch(
      /<a class="btn" href="\/certificate\/renew" data-dialog=""[^>]*>Renew now…<\/a>/,
    );
    const ask = await a.get('/certificate/renew');
    expect(ask.status).toBe(200);
    const askHtml = await ask.text();
    expect(askHtml).toContain('<html');
    expect(askHtml).toContain('<h1 id="confirm-title">Renew your certificate now?</h1>');
    expect(askHtml).toContain(`${owner.dns_label}.${ROOT}`);
    expect(askHtml).toContain('counts against the certificate authority&#39;s limits');
    expect(askHtml).toContain('name="intent" value="renew"');
    expect(askHtml).toContain('name="confirm" value="yes"');
    expect(askHtml).toMatch(/<a class="btn secondary" href="\/certificate">Cancel<\/a>/);
    const part = await (await a.get('/certificate/renew', { 'hx-request': 'true' })).text();
    expect(part).not.toContain('<html');
    expect(part).toContain('<h2 id="confirm-title">Renew your certificate now?</h2>');
    expect(part).toContain('data-close=""');
    // Without confirm=yes (an old form, a bare POST, even intent=request): the question, no order.
    for (const form of [
      { intent: 'renew' },
      { intent: 'renew', confirm: '' },
      { intent: 'request' },
      {},
    ] as Record<string, string>[]) {
      const res = await a.post('/certificate', form);
      expect(res.status, JSON.stringify(form)).toBe(200);
      expect(await res.text()).toContain('Renew your certificate now?');
    }
    expect(await orders()).toEqual(['issued']);
    // Another user: nothing of the owner's, nothing to renew of their own.
    const theirs = await b.get('/certificate/renew');
    expect(theirs.status).toBe(303);
    expect(await (await b.get('/certificate')).text()).not.toContain(owner.dns_label);
    expect(await orders()).toEqual(['issued']);
    // Confirmed: one new order.
    const done = await a.post('/certificate', { intent: 'renew', confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/certificate?done=requested');
    expect((await orders()).length).toBe(2);
  });

  test('an admin acting as the owner sees the certificate but never the private key', async () => {
    const owner = await insertUser(e.db());
    const admin = await insertUser(e.db(), { role: 'admin' });
    const a = await e.t.agent(owner);
    await a.post('/certificate', { intent: 'request' });
    const row = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', owner.id)
      .executeTakeFirstOrThrow();
    expect((await waitSettled(e.db(), row.id)).status).toBe('issued');
    const adm = await e.t.agent(admin);
    await e
      .db()
      .updateTable('sessions')
      .set({ impersonated_user_id: owner.id })
      .where('user_id', '=', admin.id)
      .execute();
    expect((await adm.get('/certificate/download/certificate')).status).toBe(200);
    expect((await adm.get('/certificate/download/privateKey')).status).toBe(403);
    const html = await (await adm.get('/certificate')).text();
    expect(html).toContain(owner.dns_label);
    expect(html).not.toContain('PRIVATE KEY');
    expect(await (await a.get('/certificate')).text()).toContain('PRIVATE KEY');
  });

  test('records that never become visible: failed after the propagation timeout, records removed', async () => {
    const user = await insertUser(e.db());
    const base = certificateDeps(e.t.container.jobDeps);
    const quiet = { ...base, queue: { ...e.t.container.queue, enqueue: async () => {} } };
    const { certificate } = await requestCertificate(quiet, null, user);
    expect((await dispatchQueue(quiet, async () => {})).sent).toContain(certificate.id);
    await advanceCertificate(
      {
        ...base,
        config: { ...base.config, acme: { ...base.config.acme, propagationTimeoutMs: 150 } },
        dnsChecker: { missingTxt: async (x) => x.map((n) => n.name) },
      },
      certificate.id,
    );
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/did not appear on every authoritative DNS server/);
    expect(
      await e
        .db()
        .selectFrom('acme_challenges')
        .selectAll()
        .where('certificate_id', '=', row.id)
        .execute(),
    ).toEqual([]);
  });

  test('information page and sign-in requirement', async () => {
    const user = await insertUser(e.db());
    const agent = await e.t.agent(user);
    const info = await agent.get('/certificate/information');
    expect(info.status).toBe(200);
    expect(await info.text()).toContain('What is a certificate?');
    const anon = await e.t.request('/certificate');
    expect([302, 303]).toContain(anon.status);
  });
});

describe('Pebble: delete revokes; Route53 path', () => {
  test('built-in DNS: delete revokes at Pebble and marks the row revoked', async () => {
    const e = await certificateEnv('sqlite', 'embedded');
    try {
      await e.startWorker();
      const user = await insertUser(e.db());
      const agent = await e.t.agent(user);
      await agent.post('/certificate', { intent: 'request' });
      const row = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect((await waitSettled(e.db(), row.id)).status).toBe('issued');
      // Without confirmation (no JavaScript) → the confirmation page first.
      const ask = await agent.post('/certificate/delete', {});
      expect(ask.headers.get('location')).toBe('/certificate/delete');
      expect(await (await agent.get('/certificate/delete')).text()).toContain('Delete and revoke');
      let revoked = 0;
      const orig = e.ca.revokeCertificate.bind(e.ca);
      e.ca.revokeCertificate = async (pem) => {
        await orig(pem);
        revoked++;
      };
      const del = await agent.post('/certificate/delete', { confirm: 'yes' });
      expect(del.status).toBe(303);
      expect(revoked).toBe(1);
      const after = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      expect(after.status).toBe('revoked');
      expect(after.private_key_enc).toBeNull();
      expect((await agent.get('/certificate/download/certificate')).status).toBe(404);
      // Pebble agrees: revoking again is refused as already revoked.
      await expect(orig(after.certificate!)).rejects.toMatchObject({ kind: 'rejected' });
      const audit = await e
        .db()
        .selectFrom('audit_log')
        .select('action')
        .where('effective_user_id', '=', user.id)
        .execute();
      expect(audit.map((a) => a.action)).toContain('certificate.revoke');
    } finally {
      await e.cleanup();
    }
  });

  test('fake Route53: challenges pushed through the API, Pebble validates against its DNS face', async () => {
    const e = await certificateEnv('mysql', 'route53');
    try {
      await e.startWorker();
      const user = await insertUser(e.db());
      const agent = await e.t.agent(user);
      await agent.post('/certificate', { intent: 'request' });
      const row = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('user_id', '=', user.id)
        .executeTakeFirstOrThrow();
      const done = await waitSettled(e.db(), row.id);
      expect(done.error).toBeNull();
      expect(done.status).toBe('issued');
      const root = await e.pebble!.rootPemPath();
      expect(opensslVerify(scratch, root, done.certificate!, done.chain!)).toMatch(/: OK/);
      // Removed from Route53 again once issued.
      const end = Date.now() + 10_000;
      while (e.fake!.get(`_acme-challenge.${user.dns_label}.${ROOT}`, 'TXT') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      expect(e.fake!.get(`_acme-challenge.${user.dns_label}.${ROOT}`, 'TXT')).toBeUndefined();
      expect(e.fake!.stats.change).toBeGreaterThanOrEqual(2); // published, then removed
    } finally {
      await e.cleanup();
    }
  });
});

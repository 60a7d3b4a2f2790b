/**
 * The issuance queue, ARI and profiles end to end against the real Pebble (orders, real DNS-01
 * validation against our built-in DNS server, finalization), through the test proxy that adds what
 * Debian's Pebble 2.4 lacks (test/support/acme-proxy.ts): Let's Encrypt's `429 rateLimited` answers,
 * RFC 9773 renewal information and `meta.profiles`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getCertificatePart,
  requestCertificate,
  startDueRenewals,
} from '../../src/domain/certificates/certificates.js';
import { pollRenewalInfo } from '../../src/domain/certificates/ari-poll.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import { type CertEnv, certificateEnv, waitSettled } from '../support/certificates.js';
import { insertUser } from '../support/factories.js';

describe('queue, ARI and profiles against Pebble through the test proxy (sqlite, worker running)', () => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded', {
      acmeProxy: true,
      env: { LETS_ENCRYPT_PROFILE: 'tlsserver' },
    });
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());
  const deps = () => certificateDeps(e.t.container.jobDeps);

  it(
    'a rateLimited answer pauses the whole queue until Retry-After: one 429, no retry storm, then every request is issued',
    { timeout: 90_000 },
    async () => {
      const proxy = e.proxy!;
      const before = proxy.newOrders.length;
      // The CA answers the next new order with 429 and Retry-After: 3 s.
      proxy.limitNewOrders(0, 3);
      const users = await Promise.all([1, 2, 3, 4].map(() => insertUser(e.db())));
      const t0 = Date.now();
      const ids = [(await requestCertificate(deps(), null, users[0]!)).certificate.id];
      const until = async (cond: () => Promise<boolean>, ms = 10_000) => {
        const end = Date.now() + ms;
        while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      };
      await until(
        async () => !!(await e.db().selectFrom('ca_rate_limits').selectAll().executeTakeFirst()),
      );
      const pause = await e.db().selectFrom('ca_rate_limits').selectAll().executeTakeFirstOrThrow();
      expect(pause.retry_until - t0).toBeGreaterThanOrEqual(3_000);
      // Others ask during the pause: nothing more reaches the CA, and the refused one is not retried.
      for (const u of users.slice(1))
        ids.push((await requestCertificate(deps(), null, u)).certificate.id);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(proxy.newOrders.slice(before).map((o) => o.status)).toEqual([429]);
      // The CA will take orders again once its pause is over.
      proxy.limitNewOrders(null);
      const rows = await Promise.all(ids.map((id) => waitSettled(e.db(), id, 60_000)));
      expect(rows.map((r) => r.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
      const after = proxy.newOrders.slice(before);
      expect(after.filter((o) => o.status === 429)).toHaveLength(1);
      expect(after.filter((o) => o.status === 201)).toHaveLength(4);
      // Everything after the 429 was sent once the pause was over.
      const resumed = after.slice(1);
      for (const o of resumed) expect(o.at).toBeGreaterThanOrEqual(pause.retry_until);
      // The configured profile travels with every order.
      expect(after.every((o) => o.payload.profile === 'tlsserver')).toBe(true);
    },
  );

  it(
    'an ARI window moves the renewal; the renewal order carries `replaces`; the old certificate stays downloadable',
    { timeout: 90_000 },
    async () => {
      const proxy = e.proxy!;
      const user = await insertUser(e.db());
      const first = await waitSettled(
        e.db(),
        (await requestCertificate(deps(), null, user)).certificate.id,
      );
      expect(first.status).toBe('issued');
      expect(first.ari_cert_id).toBeTruthy();
      const fallback = first.renew_at!;
      expect(fallback).toBeGreaterThan(Date.now() + 86_400_000);

      // The CA suggests renewing now (e.g. a revocation is coming): a window that started a minute ago.
      proxy.setWindow(first.ari_cert_id!, Date.now() - 60_000, Date.now() + 1_000, 3600);
      await e
        .db()
        .updateTable('certificates')
        .set({ ari_next_check_at: 0 })
        .where('id', '=', first.id)
        .execute();
      const polled = await pollRenewalInfo(deps());
      expect(polled.checked).toBeGreaterThanOrEqual(1);
      const moved = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('id', '=', first.id)
        .executeTakeFirstOrThrow();
      expect(moved.renew_at!).toBeLessThan(fallback);
      expect(moved.renew_at!).toBeLessThanOrEqual(Date.now() + 1_000);
      // Retry-After 3600 s → the next check in an hour.
      expect(moved.ari_next_check_at! - Date.now()).toBeGreaterThan(3_500_000);

      // The renewal scan starts it; it is an ARI renewal, exempt from every limit, naming the old one.
      await new Promise((r) => setTimeout(r, 1_100)); // the renewal time inside the window has come
      const ordersBefore = proxy.newOrders.length;
      expect(await startDueRenewals(deps())).toBeGreaterThanOrEqual(1);
      const renewal = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('renewal_of', '=', first.id)
        .executeTakeFirstOrThrow();
      expect(renewal).toMatchObject({ order_kind: 'ari-renewal', replaces: first.ari_cert_id });
      const done = await waitSettled(e.db(), renewal.id, 60_000);
      expect(done.status).toBe('issued');
      const sent = proxy.newOrders.slice(ordersBefore);
      expect(sent.map((o) => o.payload.replaces)).toContain(first.ari_cert_id);
      // The previous certificate is still downloadable until it expires.
      const prev = await getCertificatePart(deps(), user, 'fullChain', { which: 'previous' });
      expect(prev.body).toBe(first.certificate! + first.chain!);
    },
  );
});

/**
 * Certificate issuance against real Pebble with real DNS-01 validation (Pebble's VA asks our built-in
 * DNS server): wildcard + apex end to end, key encrypted at rest, crash/resume at every step, a CA that
 * cannot see the records, concurrent requests, renewal.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  getCertificateOverview,
  getCertificatePart,
  requestCertificate,
  startDueRenewals,
} from '../../src/domain/certificates/certificates.js';
import { type Step, advanceCertificate } from '../../src/domain/certificates/issuance.js';
import { dispatchQueue } from '../../src/domain/certificates/queue.js';
import { markDnsChanged } from '../../src/domain/reconciler/request.js';
import { createCertificatePorts } from '../../src/container.js';
import { certificateAdvanceJob } from '../../src/jobs/certificate-advance.job.js';
import { CaError, type CertificateAuthority } from '../../src/ports/certificate-authority.js';
import { CountingCa } from '../support/certificates.js';
import { insertUser } from '../support/factories.js';
import {
  type CertEnv,
  ROOT,
  certificateEnv,
  opensslSan,
  opensslVerify,
  waitSettled,
} from '../support/certificates.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'starchart-certs-'));

describe('certificates with Pebble and the built-in DNS server (sqlite)', () => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded');
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());

  test('wildcard + apex issued through real DNS-01; chain verifies against Pebble root; key encrypted', async () => {
    const user = await insertUser(e.db());
    const before = e.ca.orders.length;
    const { certificate } = await requestCertificate(
      certificateDeps(e.t.container.jobDeps),
      null,
      user,
    );
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.error).toBeNull();
    expect(row.status).toBe('issued');
    expect(e.ca.orders.length - before).toBe(1);
    const root = await e.pebble!.rootPemPath();
    expect(opensslVerify(scratch, root, row.certificate!, row.chain!)).toMatch(/: OK/);
    const san = opensslSan(scratch, row.certificate!);
    expect(san).toContain(`DNS:${user.dns_label}.${ROOT}`);
    expect(san).toContain(`DNS:*.${user.dns_label}.${ROOT}`);
    expect(row.private_key_enc).toBeTruthy();
    expect(row.private_key_enc).not.toContain('PRIVATE KEY');
    expect(row.private_key_enc!.startsWith('v2.')).toBe(true);
    const challenges = await e.db().selectFrom('acme_challenges').selectAll().execute();
    expect(challenges).toEqual([]);
  });
});

describe('issuance scenarios against Pebble (sqlite, worker running)', () => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded');
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());
  const deps = () => certificateDeps(e.t.container.jobDeps);

  test('ten concurrent requests by one user collapse into one order and one certificate', async () => {
    const user = await insertUser(e.db());
    const before = e.ca.orders.length;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => requestCertificate(deps(), null, user)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.certificate.id)).size).toBe(1);
    const row = await waitSettled(e.db(), results[0]!.certificate.id);
    expect(row.status).toBe('issued');
    expect(e.ca.orders.length - before).toBe(1);
    const rows = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  test('renewal: refused outside the window; inside it the old certificate stays downloadable until the new one is issued', async () => {
    const user = await insertUser(e.db());
    const first = await waitSettled(
      e.db(),
      (await requestCertificate(deps(), null, user)).certificate.id,
    );
    expect(first.status).toBe('issued');
    await expect(requestCertificate(deps(), null, user)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // Move the certificate into the renewal window (10 of 90 days left; its renewal time has come).
    const now = Date.now();
    await e
      .db()
      .updateTable('certificates')
      .set({
        valid_from: now - 80 * 86_400_000,
        valid_to: now + 10 * 86_400_000,
        renew_at: now - 1000,
      })
      .where('id', '=', first.id)
      .execute();
    // Hold the renewal at its first step so we can look at the pages in between.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const orig = e.ca.createOrder.bind(e.ca);
    e.ca.createOrder = async (ids) => {
      await held;
      return orig(ids);
    };
    expect(await startDueRenewals(deps())).toBe(1);
    const renewal = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(renewal.renewal_of).toBe(first.id);
    const during = await getCertificatePart(deps(), user, 'certificate');
    expect(during.body).toBe(first.certificate);
    const overview = await getCertificateOverview(deps(), user);
    expect(overview.current?.id).toBe(first.id);
    expect(overview.request?.id).toBe(renewal.id);
    release();
    e.ca.createOrder = orig;
    const done = await waitSettled(e.db(), renewal.id);
    expect(done.status).toBe('issued');
    const old = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('superseded');
    const after = await getCertificatePart(deps(), user, 'fullChain');
    expect(after.body).toBe(done.certificate! + done.chain!);
    expect(after.filename).toBe(`${user.dns_label}.${ROOT}.bundle.pem`);
    const mails = await e
      .db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', '=', user.email)
      .execute();
    expect(mails.map((m) => m.subject)).toEqual([
      'My.Custom.Domain: Your certificate is ready',
      'My.Custom.Domain: Your certificate was renewed',
    ]);
  });

  test('rate limited: the answer pauses the whole queue until Retry-After and the request keeps its place; badNonce retries at once', async () => {
    const user = await insertUser(e.db());
    const orig = e.ca.createOrder.bind(e.ca);
    const origAnswer = e.ca.answerChallenges.bind(e.ca);
    let nonceErrors = 0;
    e.ca.createOrder = async () => {
      e.ca.createOrder = orig;
      throw new CaError(
        'rateLimited',
        'too many new orders',
        'urn:ietf:params:acme:error:rateLimited',
        1_200,
      );
    };
    e.ca.answerChallenges = async (url) => {
      if (nonceErrors++ === 0)
        throw new CaError('badNonce', 'stale nonce', 'urn:ietf:params:acme:error:badNonce');
      return origAnswer(url);
    };
    const t0 = Date.now();
    const { certificate } = await requestCertificate(deps(), null, user);
    // The pause is recorded (durable, shown to admins) and the request waits in line again: no
    // order exists at the CA, so nothing is polled in the meantime.
    const end = Date.now() + 1_000;
    const read = async () => ({
      cert: await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('id', '=', certificate.id)
        .executeTakeFirstOrThrow(),
      pause: await e.db().selectFrom('ca_rate_limits').selectAll().executeTakeFirst(),
    });
    let seen = await read();
    while ((!seen.pause || seen.cert.order_sent_at !== null) && Date.now() < end)
      seen = await read();
    expect(seen.cert.step).toBe('requested');
    expect(seen.cert.order_sent_at).toBeNull();
    const pause = seen.pause!;
    expect(pause).toMatchObject({ certificate_id: certificate.id, operation: 'new-order' });
    expect(pause.retry_until - t0).toBeGreaterThanOrEqual(1_200);
    const row = await waitSettled(e.db(), certificate.id);
    e.ca.answerChallenges = origAnswer;
    expect(row.status).toBe('issued');
    // Sent again only once the pause was over.
    expect(row.order_sent_at).toBeGreaterThanOrEqual(pause.retry_until);
    expect(nonceErrors).toBe(2);
  });

  test('a challenge the CA cannot see fails with the CA reason; challenge records are removed', async () => {
    const user = await insertUser(e.db());
    const quiet = { ...deps(), queue: { ...e.t.container.queue, enqueue: async () => {} } };
    const { certificate } = await requestCertificate(quiet, null, user);
    expect((await dispatchQueue(quiet, async () => {})).sent).toContain(certificate.id);
    // Our own propagation check is told everything is visible, and the records are withdrawn right
    // after publication: Pebble's VA looks them up on the built-in server and finds nothing.
    await advanceCertificate(
      {
        ...deps(),
        dnsChecker: { missingTxt: async () => [] },
        afterStep: async (id, s) => {
          if (s === 'challenges-published') {
            await e.db().deleteFrom('acme_challenges').where('certificate_id', '=', id).execute();
            await markDnsChanged(e.db(), [user.dns_label], Date.now());
            await e.t.container.dnsServer!.refresh();
          }
        },
      },
      certificate.id,
    );
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/could not validate/);
    expect(row.error).toMatch(/TXT/i);
    expect(row.inflight_user_id).toBeNull();
    expect(
      await e
        .db()
        .selectFrom('acme_challenges')
        .selectAll()
        .where('certificate_id', '=', row.id)
        .execute(),
    ).toEqual([]);
    const mail = await e
      .db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', '=', user.email)
      .executeTakeFirstOrThrow();
    expect(mail.text_body).toContain('Reason: The certificate authority could not validate');
    // A new request is possible after a failure.
    const again = await requestCertificate(deps(), null, user);
    expect(again.created).toBe(true);
    expect((await waitSettled(e.db(), again.certificate.id)).status).toBe('issued');
  });
});

describe('crash and resume at every step against Pebble (sqlite, no worker)', () => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded');
  });
  afterAll(async () => e?.cleanup());

  const fresh = (orders: string[]) => {
    // A restarted process: a new CA adapter (no memory of the account or the order), same database.
    const ca = new CountingCa(createCertificatePorts(e.t.config, e.t.container.dnsServer).ca);
    ca.orders = orders;
    return ca;
  };

  const crashPoints: ({ step: Step } | { after: keyof CertificateAuthority })[] = [
    ...(
      [
        'order-created',
        'challenges-published',
        'dns-visible',
        'challenges-answered',
        'order-ready',
        'finalized',
      ] as Step[]
    ).map((step) => ({ step })),
    { after: 'answerChallenges' },
    { after: 'finalizeOrder' },
    { after: 'downloadCertificate' },
  ];

  test.each(crashPoints)('crash at %o, then resume → one order, one certificate', async (point) => {
    const user = await insertUser(e.db());
    const base = certificateDeps(e.t.container.jobDeps);
    const { certificate } = await requestCertificate(base, null, user);
    // No worker here: let the queue send the order by hand.
    expect((await dispatchQueue(base, async () => {})).sent).toContain(certificate.id);
    const orders: string[] = [];
    const ca1 = fresh(orders);
    if ('after' in point) ca1.crashAfter = point.after;
    await expect(
      advanceCertificate(
        {
          ...base,
          ca: ca1,
          afterStep: (_id, s) => {
            if ('step' in point && s === point.step)
              throw new Error(`simulated crash after storing ${s}`);
          },
        },
        certificate.id,
      ),
    ).rejects.toThrow(/simulated crash/);
    const mid = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', certificate.id)
      .executeTakeFirstOrThrow();
    expect(mid.status).toBe('pending');
    // A hard crash leaves the lease behind; it expires, recovery re-enqueues the pending certificate.
    expect(await certificateAdvanceJob.recover!(e.t.container.jobDeps)).toContainEqual({
      certificateId: certificate.id,
    });
    await advanceCertificate({ ...base, ca: fresh(orders) }, certificate.id);
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.error).toBeNull();
    expect(row.status).toBe('issued');
    expect(orders).toHaveLength(1);
    const rows = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(rows).toHaveLength(1);
    const root = await e.pebble!.rootPemPath();
    expect(opensslVerify(scratch, root, row.certificate!, row.chain!)).toMatch(/: OK/);
  });
});

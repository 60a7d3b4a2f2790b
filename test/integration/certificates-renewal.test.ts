/**
 * Renewal timing and what renewals leave behind, on both dialects, issuing through the development CA
 * (checking the built-in DNS server): the stored RFC 9773 id and spread renew_at, the renewal scan's
 * choices, ARI polling against a scripted CA, the previous certificate downloadable until it expires
 * (page and API), recorded downloads and the three kinds of "renewed" email in the outbox.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertCertificate, updateCertificate } from '../../src/db/repos/certificates.js';
import type { CertificateRow, User } from '../../src/db/schema.js';
import { ariCertId } from '../../src/domain/certificates/ari.js';
import { pollRenewalInfo } from '../../src/domain/certificates/ari-poll.js';
import {
  requestCertificate,
  startDueRenewals,
} from '../../src/domain/certificates/certificates.js';
import { DAY_MS, fallbackBand } from '../../src/domain/certificates/renewal-timing.js';
import { expireItems } from '../../src/domain/lifecycle/expiry.js';
import { createToken } from '../../src/domain/tokens/tokens.js';
import { certificateAriPollJob } from '../../src/jobs/certificate-ari-poll.job.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';
import {
  CaError,
  type CaDirectoryInfo,
  type CertificateAuthority,
  type NewOrderOptions,
  type RenewalInfo,
} from '../../src/ports/certificate-authority.js';
import { type CertEnv, ROOT, certificateEnv, waitSettled } from '../support/certificates.js';
import { DIALECTS } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const HOUR = 3_600_000;

/**
 * Stands in for a CA that serves ACME Renewal Information (Let's Encrypt's `renewalInfo` directory
 * entry and `GET {renewalInfo}/{certID}` with Retry-After): answers are scripted per certificate id and
 * every request is recorded. The order workflow is not used by the poll and is refused.
 */
class ScriptedAriCa implements CertificateAuthority {
  readonly kind = 'acme' as const;
  offered = true;
  directoryError: CaError | null = null;
  asked: string[] = [];
  answers = new Map<string, RenewalInfo | null | CaError>();
  async directoryInfo(): Promise<CaDirectoryInfo> {
    if (this.directoryError) throw this.directoryError;
    return { renewalInfo: this.offered, profiles: {} };
  }
  async renewalInfo(certId: string): Promise<RenewalInfo | null> {
    this.asked.push(certId);
    const a = this.answers.get(certId) ?? null;
    if (a instanceof CaError) throw a;
    return a;
  }
  private refuse(): never {
    throw new Error('not used by the renewal-information poll');
  }
  createOrder(_ids: string[], _o?: NewOrderOptions): Promise<string> {
    this.refuse();
  }
  getOrder(): never {
    this.refuse();
  }
  answerChallenges(): never {
    this.refuse();
  }
  finalizeOrder(): never {
    this.refuse();
  }
  downloadCertificate(): never {
    this.refuse();
  }
  revokeCertificate(): never {
    this.refuse();
  }
  async rootCertificatePem() {
    return null;
  }
}

describe.each(DIALECTS)('renewal timing and the previous certificate (%s)', (dialect) => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv(dialect, 'embedded', { devCa: true });
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());
  const deps = () => certificateDeps(e.t.container.jobDeps);
  /** Deps whose queue drops the advance job: a started renewal stays pending (in flight). */
  const holdingDeps = () => ({
    ...deps(),
    queue: { ...e.t.container.queue, enqueue: async () => {} },
  });
  const row = (id: number) =>
    e.db().selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const issue = async (user: User) =>
    waitSettled(e.db(), (await requestCertificate(deps(), null, user)).certificate.id);
  /** An issued row as issuance stores it (no files: the scan and the poll never read them). */
  const issuedRow = async (user: User, over: Partial<CertificateRow> = {}) => {
    const now = Date.now();
    return insertCertificate(e.db(), {
      user_id: user.id,
      domain: `${user.dns_label}.${ROOT}`,
      status: 'issued',
      step: 'issued',
      inflight_user_id: null,
      renewal_of: null,
      valid_from: now - DAY_MS,
      valid_to: now + 89 * DAY_MS,
      step_started_at: now,
      created_at: now,
      updated_at: now,
      ...over,
    });
  };
  const pendingOf = (user: User) =>
    e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('status', '=', 'pending')
      .execute();

  test('an issued certificate stores its RFC 9773 id, a spread renew_at inside the fallback band and an immediate ARI check', async () => {
    const user = await insertUser(e.db());
    const c = await issue(user);
    expect(c.status).toBe('issued');
    expect(c.ari_cert_id).toBe(await ariCertId(c.certificate!));
    expect(c.ari_cert_id).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const band = fallbackBand(c.valid_from!, c.valid_to!, 0.33);
    expect(c.renew_at).toBeGreaterThanOrEqual(band.start);
    expect(c.renew_at).toBeLessThanOrEqual(band.end);
    // 90-day development certificates: the band is a tenth of the lifetime (~9 days) wide.
    expect(band.end - band.start).toBe(Math.floor(0.1 * (c.valid_to! - c.valid_from!)));
    expect(Math.abs(band.end - band.start - 9 * DAY_MS)).toBeLessThan(HOUR);
    expect(c.ari_next_check_at).toBe(c.updated_at);
  });

  test('the renewal scan starts renewals whose renew_at has come, and for rows without one the spread fallback (long and short lifetimes); suspended owners, requests in flight and recent attempts wait', async () => {
    const now = Date.now();
    const make = async (over: Partial<CertificateRow>, user?: User) => {
      const u = user ?? (await insertUser(e.db()));
      return { user: u, id: await issuedRow(u, over) };
    };
    const due = await make({ renew_at: now - 1000 });
    const later = await make({ renew_at: now + DAY_MS });
    const legacyDue = await make({
      renew_at: null,
      valid_from: now - 80 * DAY_MS,
      valid_to: now + 10 * DAY_MS,
    });
    const legacyLater = await make({
      renew_at: null,
      valid_from: now - 10 * DAY_MS,
      valid_to: now + 80 * DAY_MS,
    });
    // 6-day certificates renew when half remains: after 3 days at the latest, never before 1.5.
    const shortDue = await make({
      renew_at: null,
      valid_from: now - 3 * DAY_MS - HOUR,
      valid_to: now + 3 * DAY_MS - HOUR,
    });
    const shortLater = await make({
      renew_at: null,
      valid_from: now - DAY_MS,
      valid_to: now + 5 * DAY_MS,
    });
    const suspended = await make(
      { renew_at: now - 1000 },
      await insertUser(e.db(), { suspended_at: now }),
    );
    const recent = await make({ renew_at: now - 1000 });
    await insertCertificate(e.db(), {
      user_id: recent.user.id,
      domain: `${recent.user.dns_label}.${ROOT}`,
      status: 'failed',
      step: 'failed',
      inflight_user_id: null,
      renewal_of: recent.id,
      created_at: now - HOUR,
      updated_at: now - HOUR,
    });
    const started = await startDueRenewals(holdingDeps());
    expect(started).toBeGreaterThanOrEqual(3);
    for (const c of [due, legacyDue, shortDue]) {
      const p = await pendingOf(c.user);
      expect(p, `user ${c.user.username}`).toHaveLength(1);
      expect(p[0]!.renewal_of).toBe(c.id);
    }
    for (const c of [later, legacyLater, shortLater, suspended, recent])
      expect(await pendingOf(c.user), `user ${c.user.username}`).toEqual([]);
    // In flight now: a second scan starts nothing more for them.
    await startDueRenewals(holdingDeps());
    for (const c of [due, legacyDue, shortDue]) expect(await pendingOf(c.user)).toHaveLength(1);
    for (const c of [due, legacyDue, shortDue])
      await e.db().deleteFrom('certificates').where('user_id', '=', c.user.id).execute();
  });

  test('ARI poll: the window is stored and renew_at chosen in it, kept on the next poll, at once when the window is over; Retry-After clamped; errors back off; superseded and expired certificates are never asked', async () => {
    let t = Date.now();
    const clock = { now: () => t };
    const ca = new ScriptedAriCa();
    const random = { v: 0.5 };
    const poll = () =>
      pollRenewalInfo({ ...deps(), ca, clock }, { random: () => random.v, limit: 1000 });
    const user = await insertUser(e.db());
    const id = await issuedRow(user, {
      ari_cert_id: `aki-${user.id}.serial`,
      ari_next_check_at: t - 1,
      renew_at: t + 60 * DAY_MS,
    });
    const certId = `aki-${user.id}.serial`;
    const other = await insertUser(e.db());
    const superseded = await issuedRow(other, {
      status: 'superseded',
      ari_cert_id: `aki-${other.id}.old`,
      ari_next_check_at: t - 1,
    });
    const expired = await issuedRow(other, {
      ari_cert_id: `aki-${other.id}.expired`,
      ari_next_check_at: t - 1,
      valid_from: t - 90 * DAY_MS,
      valid_to: t - 1,
    });
    void superseded;
    void expired;

    // A window 50–52 days out, Retry-After 6 hours.
    const w1 = { windowStart: t + 50 * DAY_MS, windowEnd: t + 52 * DAY_MS };
    ca.answers.set(certId, {
      ...w1,
      retryAfterMs: 6 * HOUR,
      explanationUrl: 'https://ca.example/why',
    });
    let r = await poll();
    expect(r.checked).toBeGreaterThanOrEqual(1);
    expect(ca.asked).toContain(certId);
    expect(ca.asked).not.toContain(`aki-${other.id}.old`);
    expect(ca.asked).not.toContain(`aki-${other.id}.expired`);
    let c = await row(id);
    expect(c).toMatchObject({
      ari_window_start: w1.windowStart,
      ari_window_end: w1.windowEnd,
      ari_explanation_url: 'https://ca.example/why',
      ari_checked_at: t,
      ari_next_check_at: t + 6 * HOUR,
      ari_failures: 0,
      renew_at: t + 51 * DAY_MS,
    });
    // Not due yet: nothing is asked.
    ca.asked = [];
    t += HOUR;
    await poll();
    expect(ca.asked).not.toContain(certId);

    // Six hours later the same window: the renewal time is kept although the random number changed.
    t += 5 * HOUR;
    random.v = 0.99;
    await poll();
    expect(ca.asked).toContain(certId);
    expect((await row(id)).renew_at).toBe(t - 6 * HOUR + 51 * DAY_MS);

    // Retry-After outside [1 minute, 12 hours] is clamped.
    ca.answers.set(certId, { ...w1, retryAfterMs: 3 * DAY_MS, explanationUrl: null });
    t += 6 * HOUR;
    await poll();
    expect((await row(id)).ari_next_check_at).toBe(t + 12 * HOUR);
    ca.answers.set(certId, { ...w1, retryAfterMs: 10_000, explanationUrl: null });
    t += 12 * HOUR;
    await poll();
    expect((await row(id)).ari_next_check_at).toBe(t + 60_000);
    ca.answers.set(certId, { ...w1, retryAfterMs: null, explanationUrl: null });
    t += 60_000;
    await poll();
    expect((await row(id)).ari_next_check_at).toBe(t + 6 * HOUR);

    // Errors: 5 minutes, then 10; an answer resets the count.
    ca.answers.set(certId, new CaError('unavailable', 'HTTP 503'));
    t += 6 * HOUR;
    r = await poll();
    expect(r.failed).toBeGreaterThanOrEqual(1);
    c = await row(id);
    expect(c.ari_failures).toBe(1);
    expect(c.ari_next_check_at).toBe(t + 5 * 60_000);
    t += 5 * 60_000;
    await poll();
    c = await row(id);
    expect(c.ari_failures).toBe(2);
    expect(c.ari_next_check_at).toBe(t + 10 * 60_000);
    expect(c.ari_window_start).toBe(w1.windowStart); // the last answer stands

    // The CA moves the window into the past (e.g. before a revocation): renew at once.
    ca.answers.set(certId, {
      windowStart: t - 2 * DAY_MS,
      windowEnd: t - DAY_MS,
      retryAfterMs: 6 * HOUR,
      explanationUrl: 'https://ca.example/incident',
    });
    t += 10 * 60_000;
    r = await poll();
    expect(r.dueNow).toBeGreaterThanOrEqual(1);
    c = await row(id);
    expect(c.renew_at).toBe(t);
    expect(c.ari_failures).toBe(0);

    // A CA without renewal information: the check is postponed by 12 hours and renew_at stands.
    ca.offered = false;
    ca.asked = [];
    t += 6 * HOUR;
    r = await poll();
    expect(r.unsupported).toBe(true);
    expect(ca.asked).toEqual([]);
    c = await row(id);
    expect(c.ari_next_check_at).toBe(t + 12 * HOUR);
    expect(c.renew_at).toBe(t - 6 * HOUR);

    // The directory cannot be read: nothing is claimed, the next run asks again.
    ca.offered = true;
    ca.directoryError = new CaError('unavailable', 'connect ECONNREFUSED');
    t += 12 * HOUR;
    await poll();
    expect((await row(id)).ari_next_check_at).toBe(t);
    await e.db().deleteFrom('certificates').where('user_id', 'in', [user.id, other.id]).execute();
  });

  test('the certificate.ari-poll job runs the renewal scan at once when a window says "now"', async () => {
    const user = await insertUser(e.db());
    const now = Date.now();
    const certId = `aki-${user.id}.job`;
    await issuedRow(user, { ari_cert_id: certId, ari_next_check_at: now - 1 });
    const ca = new ScriptedAriCa();
    ca.answers.set(certId, {
      windowStart: now - 2 * DAY_MS,
      windowEnd: now - DAY_MS,
      retryAfterMs: null,
      explanationUrl: null,
    });
    const enqueued: string[] = [];
    const jobDeps = e.t.container.jobDeps;
    await certificateAriPollJob.handler(
      {},
      {
        ...jobDeps,
        ca,
        queue: { ...jobDeps.queue, enqueue: async (name) => void enqueued.push(name) },
      },
      { jobName: certificateAriPollJob.name, attempt: 1, signal: new AbortController().signal },
    );
    expect(ca.asked).toContain(certId);
    expect(enqueued).toEqual(['certificate.renew-scan']);
    await e.db().deleteFrom('certificates').where('user_id', '=', user.id).execute();
  });

  test('renewal: the previous certificate keeps its key and stays downloadable (page and API, ?which=previous) until it expires; downloads are recorded; the "renewed" email fits how the files were fetched', async () => {
    const byPage = await insertUser(e.db());
    const byApi = await insertUser(e.db());
    const never = await insertUser(e.db());
    const first = new Map<number, CertificateRow>();
    for (const u of [byPage, byApi, never]) first.set(u.id, await issue(u));
    const pageAgent = await e.t.agent(byPage);
    const fullChain = await pageAgent.get('/certificate/download/fullChain');
    expect(fullChain.status).toBe(200);
    const oldKey = await (await pageAgent.get('/certificate/download/privateKey')).text();
    const { secret } = await createToken(
      { db: e.db(), clock: e.t.container.clock, config: e.t.config },
      { user: byApi, effectiveUser: byApi, requestId: 'test' },
      {
        name: 'deploy',
        expiresInDays: 30,
        permissions: ['certificate:read'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    const api = (p: string, headers: Record<string, string> = {}) =>
      e.t.app.request(`/api/v1${p}`, {
        headers: { authorization: `Bearer ${secret}`, ...headers },
      });
    const apiChain = await api('/certificate/fullChain');
    expect(apiChain.status).toBe(200);
    // A 304 (the automation already has it) counts as fetched through the API too.
    const etag = apiChain.headers.get('etag')!;
    expect((await api('/certificate/fullChain', { 'if-none-match': etag })).status).toBe(304);
    expect(await row(first.get(byPage.id)!.id)).toMatchObject({ downloaded_via: 'page' });
    expect((await row(first.get(byPage.id)!.id)).downloaded_at).toBeGreaterThan(0);
    expect(await row(first.get(byApi.id)!.id)).toMatchObject({ downloaded_via: 'api' });
    expect(await row(first.get(never.id)!.id)).toMatchObject({
      downloaded_via: null,
      downloaded_at: null,
    });

    // Their renewal time comes.
    for (const c of first.values())
      await updateCertificate(e.db(), c.id, { renew_at: Date.now() - 1000 });
    await startDueRenewals(deps());
    const renewed = new Map<number, CertificateRow>();
    for (const u of [byPage, byApi, never]) {
      const r = await e
        .db()
        .selectFrom('certificates')
        .selectAll()
        .where('user_id', '=', u.id)
        .where('renewal_of', '=', first.get(u.id)!.id)
        .executeTakeFirstOrThrow();
      const done = await waitSettled(e.db(), r.id);
      expect(done.status).toBe('issued');
      renewed.set(u.id, done);
      const old = await row(first.get(u.id)!.id);
      expect(old.status).toBe('superseded');
      expect(old.private_key_enc).toBe(first.get(u.id)!.private_key_enc);
      expect(old.ari_next_check_at).toBeNull();
    }

    // The page: the previous certificate with its links; its files download, key included.
    const page = await (await pageAgent.get('/certificate')).text();
    expect(page).toContain('Previous certificate');
    expect(page).toContain('still works wherever it is installed; switch to the new one');
    for (const part of ['certificate', 'chain', 'fullChain', 'privateKey', 'pfx'])
      expect(page).toContain(`/certificate/download/${part}?which=previous`);
    const prevCert = await pageAgent.get('/certificate/download/certificate?which=previous');
    expect(prevCert.status).toBe(200);
    expect(await prevCert.text()).toBe(first.get(byPage.id)!.certificate);
    const prevKey = await pageAgent.get('/certificate/download/privateKey?which=previous');
    expect(await prevKey.text()).toBe(oldKey);
    const newKey = await (await pageAgent.get('/certificate/download/privateKey')).text();
    expect(newKey).not.toBe(oldKey);
    expect((await pageAgent.get('/certificate/download/pfx?which=previous')).status).toBe(200);
    expect((await pageAgent.get('/certificate/download/certificate?which=other')).status).toBe(400);
    // Someone without a previous certificate: 404.
    const fresh = await insertUser(e.db());
    await issue(fresh);
    expect(
      (await (await e.t.agent(fresh)).get('/certificate/download/fullChain?which=previous')).status,
    ).toBe(404);

    // The API: status names the previous certificate; its parts with ?which=previous.
    const status = (await (await api('/certificate')).json()) as {
      previous: { validTo: string; keyAvailable: boolean } | null;
      renewAt: string | null;
    };
    expect(status.previous).toEqual({
      validFrom: new Date(first.get(byApi.id)!.valid_from!).toISOString(),
      validTo: new Date(first.get(byApi.id)!.valid_to!).toISOString(),
      keyAvailable: true,
    });
    expect(status.renewAt).toBe(new Date(renewed.get(byApi.id)!.renew_at!).toISOString());
    const apiPrev = await api('/certificate/fullChain?which=previous');
    expect(apiPrev.status).toBe(200);
    expect(await apiPrev.text()).toBe(
      first.get(byApi.id)!.certificate! + first.get(byApi.id)!.chain!,
    );
    // The same files as before the renewal: the same validator.
    expect(apiPrev.headers.get('etag')).toBe(etag);
    expect((await api('/certificate/privateKey?which=previous')).status).toBe(200);
    expect((await api('/certificate/fullChain?which=bogus')).status).toBe(400);

    // The emails: by hand → steps; API → the endpoint; never → a short note.
    const mail = async (u: User) => {
      const rows = await e
        .db()
        .selectFrom('email_outbox')
        .selectAll()
        .where('to_address', '=', u.email)
        .where('subject', 'like', '%renewed%')
        .execute();
      expect(rows).toHaveLength(1);
      return rows[0]!.text_body;
    };
    const oldUntil = (u: User) => new Date(first.get(u.id)!.valid_to!).toUTCString();
    const pageMail = await mail(byPage);
    expect(pageMail).toMatch(
      /The certificate files you downloaded on .+ were replaced by this renewal/,
    );
    expect(pageMail).toContain('Install the new files in place of the old ones');
    expect(pageMail).toContain('1. Open the certificate page');
    expect(pageMail).toContain(`The old files keep working until ${oldUntil(byPage)}`);
    expect(pageMail).toContain('stay downloadable');
    const apiMail = await mail(byApi);
    expect(apiMail).toContain('was last fetched through the API');
    expect(apiMail).toContain('GET http://localhost:8080/api/v1/certificate/fullChain');
    expect(apiMail).not.toContain('1. Open the certificate page');
    const neverMail = await mail(never);
    expect(neverMail).toContain('no record of the previous certificate files being downloaded');
    expect(neverMail).not.toContain('1. Open the certificate page');
    expect(neverMail).not.toContain('through the API');

    // At the previous certificate's valid_to the expiry job drops its key (and the row): gone.
    const prevId = first.get(byPage.id)!.id;
    const expiresAt = first.get(byPage.id)!.valid_to!;
    const before = await expireItems({
      db: e.db(),
      now: expiresAt - 1,
      email: { productName: 'x', appUrl: 'http://localhost:8080' },
      rootDomain: ROOT,
    });
    expect(before.keysCleared).toBe(0);
    expect((await row(prevId)).private_key_enc).not.toBeNull();
    await updateCertificate(e.db(), prevId, { valid_to: Date.now() - 1 });
    expect((await pageAgent.get('/certificate/download/privateKey?which=previous')).status).toBe(
      404,
    );
    const after = await expireItems({
      db: e.db(),
      now: Date.now(),
      email: { productName: 'x', appUrl: 'http://localhost:8080' },
      rootDomain: ROOT,
    });
    expect(after.keysCleared).toBeGreaterThanOrEqual(1);
    expect(
      await e.db().selectFrom('certificates').select('id').where('id', '=', prevId).execute(),
    ).toEqual([]);
    expect(await (await pageAgent.get('/certificate')).text()).not.toContain(
      'Previous certificate',
    );
  });

  test('an admin acting as the owner sees the previous certificate without key links and cannot download its key; nothing is recorded; after a delete and a fresh request nothing older comes back', async () => {
    const owner = await insertUser(e.db());
    const admin = await insertUser(e.db(), { role: 'admin' });
    const one = await issue(owner);
    await updateCertificate(e.db(), one.id, { renew_at: Date.now() - 1000 });
    await startDueRenewals(deps());
    const two = await e
      .db()
      .selectFrom('certificates')
      .selectAll()
      .where('renewal_of', '=', one.id)
      .executeTakeFirstOrThrow();
    expect((await waitSettled(e.db(), two.id)).status).toBe('issued');
    const adm = await e.t.agent(admin);
    await e
      .db()
      .updateTable('sessions')
      .set({ impersonated_user_id: owner.id })
      .where('user_id', '=', admin.id)
      .execute();
    const html = await (await adm.get('/certificate')).text();
    expect(html).toContain('Previous certificate');
    expect(html).toContain('/certificate/download/fullChain?which=previous');
    expect(html).not.toContain('/certificate/download/privateKey?which=previous');
    expect(html).not.toContain('/certificate/download/pfx?which=previous');
    expect((await adm.get('/certificate/download/privateKey?which=previous')).status).toBe(403);
    expect((await adm.get('/certificate/download/pfx?which=previous')).status).toBe(403);
    expect((await adm.get('/certificate/download/fullChain?which=previous')).status).toBe(200);
    expect((await adm.get('/certificate/download/fullChain')).status).toBe(200);
    expect((await row(one.id)).downloaded_at).toBeNull();
    expect((await row(two.id)).downloaded_at).toBeNull();

    // The owner deletes (revokes) the current certificate and requests a fresh one: the certificate
    // the deleted one had replaced does not come back as "previous".
    const own = await e.t.agent(owner);
    expect((await own.post('/certificate/delete', { confirm: 'yes' })).status).toBe(303);
    expect(await (await own.get('/certificate')).text()).not.toContain('Previous certificate');
    const three = await issue(owner);
    expect(three.renewal_of).toBeNull();
    expect(await (await own.get('/certificate')).text()).not.toContain('Previous certificate');
    expect((await own.get('/certificate/download/fullChain?which=previous')).status).toBe(404);
  });

  test('a renewal pending or failed never hides the still-valid current certificate; the page shows the renewal time and the CA window', async () => {
    const user = await insertUser(e.db());
    const agent = await e.t.agent(user);
    const current = await issue(user);
    const now = Date.now();
    await updateCertificate(e.db(), current.id, {
      renew_at: now + 20 * DAY_MS,
      ari_window_start: now + 19 * DAY_MS,
      ari_window_end: now + 21 * DAY_MS,
      ari_explanation_url: 'https://ca.example/why',
    });
    let html = await (await agent.get('/certificate')).text();
    expect(html).toContain('We renew it automatically around');
    expect(html).toMatch(/suggests renewing between .+ and /);
    expect(html).toContain('href="https://ca.example/why"');

    // A renewal in flight (held at its first step).
    const pending = await insertCertificate(e.db(), {
      user_id: user.id,
      domain: current.domain,
      status: 'pending',
      step: 'requested',
      inflight_user_id: user.id,
      renewal_of: current.id,
      // Its order went to the CA (the queue let it go); it is held at its first step.
      order_sent_at: now,
      lease_until: now + HOUR,
      step_started_at: now,
      created_at: now,
      updated_at: now,
    });
    html = await (await agent.get('/certificate')).text();
    expect(html).toContain('We have received your request');
    expect(html).toContain('Renewing now.');
    expect(html).toContain('Expires On');
    expect(html).toContain('/certificate/download/fullChain');
    const during = await agent.get('/certificate/download/fullChain');
    expect(during.status).toBe(200);
    expect(await during.text()).toBe(current.certificate! + current.chain!);

    // It fails: the current certificate is still there.
    await updateCertificate(e.db(), pending, {
      status: 'failed',
      step: 'failed',
      inflight_user_id: null,
      lease_until: null,
      error: 'The certificate authority could not be reached.',
    });
    html = await (await agent.get('/certificate')).text();
    expect(html).toContain('Request unsuccessful.');
    expect(html).toContain('We renew it automatically around');
    expect(html).toContain('Your current certificate is still valid.');
    expect(html).toContain('/certificate/download/privateKey');
    expect((await agent.get('/certificate/download/certificate')).status).toBe(200);
    await updateCertificate(e.db(), current.id, { renew_at: Date.now() - 1000 });
    expect(await (await agent.get('/certificate')).text()).toContain('Renewal is due');
  });
});

/**
 * Certificate issuance as a durable state machine. The stored `step` says what has been done:
 *
 *   requested → order-created → challenges-published → dns-visible → challenges-answered
 *             → order-ready → finalized → issued            (or failed, with a human reason)
 *
 * A request starts in the issuance queue (queue.ts): the dispatcher sends its order when the budget
 * allows (`order_sent_at`), and only then does the machine leave `requested`.
 *
 * `advanceCertificate` performs the next step and stores progress before moving on, so a crash or
 * restart at any point resumes from the stored step: the order URL is stored right after the order is
 * created and re-read from the CA afterwards, answering and finalizing are skipped when the CA already
 * moved on, and the key is stored before the CSR is sent. One worker at a time holds a certificate
 * (a lease in its row). Challenge TXT rows are removed in every outcome.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import {
  claimCertificateLease,
  deleteChallenges,
  findCertificate,
  findChallengesForCertificate,
  insertChallenges,
  updateCertificate,
} from '../../db/repos/certificates.js';
import { findUserById } from '../../db/repos/users.js';
import type { CertificateRow } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import { CaError, type CertificateAuthority } from '../../ports/certificate-authority.js';
import type { Clock } from '../../ports/clock.js';
import type { DnsChecker } from '../../ports/dns-checker.js';
import type { DnsProvider } from '../../ports/dns-provider.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { Mailer } from '../../ports/mailer.js';
import { composeEmail } from '../notifications/templates.js';
import { queueEmail } from '../notifications/outbox.js';
import { ACME_CHALLENGE_LABEL } from '../dns-records/types.js';
import { markDnsChanged, requestReconcile } from '../reconciler/request.js';
import {
  PrivateKeyUnavailable,
  generatePrivateKey,
  keyRingOf,
  openPrivateKey,
  sealPrivateKey,
} from './key-box.js';
import { ariCertId } from './ari.js';
import { parseChain } from './pem.js';
import { recordFailedAuthorization, refund } from './budget.js';
import { orderOf, recordRateLimit, requestDispatch } from './queue.js';
import { pausedUntil, returnToQueue } from '../../db/repos/issuance-queue.js';
import { renewedEmailParagraphs } from './renewal-email.js';
import { fallbackRenewAt } from './renewal-timing.js';

export const ADVANCE_JOB = 'certificate.advance';
export const advanceDedupeId = (id: number) => `${ADVANCE_JOB}:${id}`;

export const STEPS = [
  'requested',
  'order-created',
  'challenges-published',
  'dns-visible',
  'challenges-answered',
  'order-ready',
  'finalized',
  'issued',
  'failed',
] as const;
export type Step = (typeof STEPS)[number];

export interface CertificateDeps {
  db: Db;
  config: Pick<
    Config,
    | 'rootDomain'
    | 'sessionSecret'
    | 'previousSessionSecrets'
    | 'acme'
    | 'certificates'
    | 'productName'
    | 'appUrl'
  >;
  clock: Clock;
  queue: JobQueue;
  logger: Logger;
  ca: CertificateAuthority;
  dnsChecker: DnsChecker;
  dns: Pick<DnsProvider, 'notifyChanged'>;
  mailer: Mailer | null;
  /** Test hook: runs after each stored step; a throw there simulates a crash at that point. */
  afterStep?: (certificateId: number, step: Step) => void | Promise<void>;
}

/** What the caller should do after one step. */
type Outcome = { kind: 'continue' } | { kind: 'wait'; ms: number } | { kind: 'done' };

const LEASE_MS = 60_000;
/**
 * Waits up to this long are slept inside the job (fast issuance); longer ones become delayed jobs,
 * so a certificate waiting for DNS never holds a worker slot the DNS push itself may need.
 */
const INLINE_WAIT_MAX_MS = 300;
/** A job run gives its worker slot back after this long and continues in a new job. */
const RUN_BUDGET_MS = 5_000;
const MAX_TRANSIENT_ATTEMPTS = 10;

export const identifiersFor = (domain: string) => [domain, `*.${domain}`];

/**
 * Advance certificate `id` as far as it can go now: until issued or failed, or until it must wait
 * longer than a moment (then a delayed continuation job is enqueued). Safe to call concurrently and
 * repeatedly: a worker that cannot take the lease schedules a retry for when it expires.
 */
export async function advanceCertificate(
  deps: CertificateDeps,
  id: number,
  signal?: AbortSignal,
): Promise<void> {
  const started = deps.clock.now();
  if (!(await claimCertificateLease(deps.db, id, started, started + LEASE_MS))) {
    const row = await findCertificate(deps.db, id);
    if (row?.status === 'pending' && row.lease_until)
      await continueLater(deps, id, row.lease_until - started + 50);
    return;
  }
  let waitMs: number | null = null;
  try {
    for (;;) {
      if (signal?.aborted) {
        waitMs = 0;
        break;
      }
      const row = await findCertificate(deps.db, id);
      if (!row || row.status !== 'pending') break;
      const now = deps.clock.now();
      if (row.next_attempt_at && row.next_attempt_at > now) {
        const ms = row.next_attempt_at - now;
        if (ms > INLINE_WAIT_MAX_MS || now - started > RUN_BUDGET_MS) {
          waitMs = ms;
          break;
        }
        await sleep(ms, signal);
        continue;
      }
      const outcome = await step(deps, row);
      if (outcome.kind === 'done') break;
      if (outcome.kind === 'wait') {
        await updateCertificate(deps.db, id, {
          next_attempt_at: deps.clock.now() + outcome.ms,
          updated_at: deps.clock.now(),
        });
      }
      await updateCertificate(deps.db, id, { lease_until: deps.clock.now() + LEASE_MS });
    }
  } finally {
    await updateCertificate(deps.db, id, { lease_until: null });
  }
  if (waitMs !== null) await continueLater(deps, id, waitMs);
}

async function continueLater(deps: CertificateDeps, id: number, ms: number): Promise<void> {
  const at = deps.clock.now() + Math.max(0, ms);
  await deps.queue.enqueue(
    ADVANCE_JOB,
    { certificateId: id },
    { delayMs: Math.max(0, ms), dedupeId: `${advanceDedupeId(id)}:${at}` },
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Move to `next` (compare-and-set on the current step) and run the test hook. */
async function moveTo(
  deps: CertificateDeps,
  row: CertificateRow,
  next: Step,
  set: Partial<Pick<CertificateRow, 'order_url' | 'private_key_enc'>> = {},
): Promise<Outcome> {
  const now = deps.clock.now();
  const ok = await updateCertificate(
    deps.db,
    row.id,
    {
      ...set,
      step: next,
      step_attempts: 0,
      step_started_at: now,
      next_attempt_at: null,
      updated_at: now,
    },
    { step: row.step, status: 'pending' },
  );
  if (ok) await deps.afterStep?.(row.id, next);
  return { kind: 'continue' };
}

/** Poll delay that starts small (Pebble answers in milliseconds) and grows to 2 s. */
const pollDelay = (attempt: number) => Math.min(2_000, Math.round(50 * 1.6 ** attempt));

async function step(deps: CertificateDeps, row: CertificateRow): Promise<Outcome> {
  try {
    return await runStep(deps, row);
  } catch (err) {
    if (!(err instanceof CaError)) {
      // A bug or a database problem: let the job's retry handle it, the step is unchanged.
      throw err;
    }
    const attempts = row.step_attempts + 1;
    await updateCertificate(deps.db, row.id, {
      step_attempts: attempts,
      updated_at: deps.clock.now(),
    });
    switch (err.kind) {
      case 'badNonce':
        if (attempts >= MAX_TRANSIENT_ATTEMPTS) return fail(deps, row, caMessage(err));
        return { kind: 'continue' };
      case 'rateLimited': {
        // Every rate-limit answer pauses the whole queue until Retry-After (shown to admins).
        const until = await recordRateLimit(deps, {
          certificateId: row.id,
          operation: row.step === 'requested' ? 'new-order' : row.step,
          detail: err.message,
          retryAfterMs: err.retryAfterMs,
        });
        if (row.step === 'requested') {
          // No order was created: give the budget back and wait in line again at the same place.
          await refund(deps, orderOf(row));
          await returnToQueue(deps.db, row.id, deps.clock.now());
          await requestDispatch(deps, until - deps.clock.now());
          return { kind: 'done' };
        }
        return { kind: 'wait', ms: until - deps.clock.now() };
      }
      case 'unavailable':
        if (attempts >= MAX_TRANSIENT_ATTEMPTS)
          return fail(deps, row, `The certificate authority could not be reached: ${err.message}`);
        return { kind: 'wait', ms: err.retryAfterMs ?? Math.min(600_000, 1_000 * 2 ** attempts) };
      case 'rejected':
        // A refused new order was never created, so the CA counted nothing.
        if (row.step === 'requested') await refund(deps, orderOf(row));
        return fail(deps, row, caMessage(err));
    }
  }
}

const caMessage = (err: CaError) => `The certificate authority refused the request: ${err.message}`;

async function runStep(deps: CertificateDeps, row: CertificateRow): Promise<Outcome> {
  const { ca } = deps;
  const identifiers = identifiersFor(row.domain);
  const step = row.step as Step;
  switch (step) {
    case 'requested': {
      // Still waiting in the issuance queue: the dispatcher advances it when the budget allows.
      if (row.order_sent_at === null) return { kind: 'done' };
      // The CA asked for a pause after this request was let go: wait in line again, send nothing.
      const paused = await pausedUntil(deps.db, deps.clock.now());
      if (paused !== null) {
        await refund(deps, orderOf(row));
        await returnToQueue(deps.db, row.id, deps.clock.now());
        await requestDispatch(deps, paused - deps.clock.now());
        return { kind: 'done' };
      }
      const orderUrl = await ca.createOrder(identifiers, {
        replaces: row.replaces,
        profile: row.profile,
      });
      return moveTo(deps, row, 'order-created', { order_url: orderUrl });
    }
    case 'order-created': {
      const order = await ca.getOrder(row.order_url!);
      const now = deps.clock.now();
      const label = labelOf(row.domain, deps.config.rootDomain);
      const values = order.challenges.filter((c) => c.status !== 'valid');
      await deps.db.transaction().execute(async (trx) => {
        // Replace, never add: a resumed step must not leave duplicate values behind.
        await deleteChallenges(trx, row.id);
        await insertChallenges(
          trx,
          row.id,
          values.map((c) => ({ name: c.name, value: c.value })),
          now,
        );
        await markDnsChanged(trx, [{ label, name: ACME_CHALLENGE_LABEL }], now);
      });
      await publishNow(deps);
      return moveTo(deps, row, 'challenges-published');
    }
    case 'challenges-published': {
      const rows = await findChallengesForCertificate(deps.db, row.id);
      const byName = new Map<string, string[]>();
      for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r.value]);
      const missing =
        byName.size === 0
          ? []
          : await deps.dnsChecker.missingTxt(
              [...byName].map(([name, values]) => ({ name, values })),
            );
      if (missing.length === 0) return moveTo(deps, row, 'dns-visible');
      const waited = deps.clock.now() - (row.step_started_at ?? row.updated_at);
      if (waited > deps.config.acme.propagationTimeoutMs)
        return fail(
          deps,
          row,
          `The challenge records (${missing.join(', ')}) did not appear on every authoritative DNS server within ${Math.round(deps.config.acme.propagationTimeoutMs / 1000)} seconds.`,
        );
      await updateCertificate(deps.db, row.id, { step_attempts: row.step_attempts + 1 });
      return { kind: 'wait', ms: pollDelay(row.step_attempts) };
    }
    case 'dns-visible': {
      await ca.answerChallenges(row.order_url!);
      return moveTo(deps, row, 'challenges-answered');
    }
    case 'challenges-answered': {
      const order = await ca.getOrder(row.order_url!);
      const bad = order.challenges.find((c) => c.status === 'invalid');
      if (order.status === 'invalid' || bad) {
        // Each failed validation spends the name's failed-authorization budget (5 per hour at LE).
        for (const c of order.challenges)
          if (c.status === 'invalid') await recordFailedAuthorization(deps, c.identifier);
        return fail(
          deps,
          row,
          `The certificate authority could not validate ${bad?.identifier ?? row.domain}: ${bad?.error ?? 'the order is invalid'}`,
        );
      }
      if (order.status === 'ready') return moveTo(deps, row, 'order-ready');
      if (order.status === 'processing' || order.status === 'valid')
        return moveTo(deps, row, 'finalized');
      await updateCertificate(deps.db, row.id, { step_attempts: row.step_attempts + 1 });
      if (deps.clock.now() - (row.step_started_at ?? row.updated_at) > 10 * 60_000)
        return fail(
          deps,
          row,
          'The certificate authority did not finish validating within 10 minutes.',
        );
      return { kind: 'wait', ms: pollDelay(row.step_attempts) };
    }
    case 'order-ready': {
      let sealed = row.private_key_enc;
      if (!sealed) {
        // Store the key before the CSR leaves: after a crash the finalized order still matches it.
        sealed = sealPrivateKey(
          keyRingOf(deps.config),
          row.id,
          generatePrivateKey(deps.config.certificates.keyType),
        );
        const ok = await updateCertificate(
          deps.db,
          row.id,
          { private_key_enc: sealed, updated_at: deps.clock.now() },
          { step: 'order-ready', status: 'pending' },
        );
        if (!ok) return { kind: 'continue' };
      }
      let keyPem: string;
      try {
        keyPem = openPrivateKey(keyRingOf(deps.config), row.id, sealed);
      } catch (err) {
        if (!(err instanceof PrivateKeyUnavailable)) throw err;
        deps.logger.error({ err, certificateId: row.id }, 'stored private key cannot be decrypted');
        return fail(
          deps,
          row,
          'The private key stored for this request can no longer be read (the server secret changed). Please request the certificate again.',
        );
      }
      await ca.finalizeOrder(row.order_url!, keyPem, identifiers);
      return moveTo(deps, row, 'finalized');
    }
    case 'finalized': {
      const order = await ca.getOrder(row.order_url!);
      if (order.status === 'valid') {
        const fullChain = await ca.downloadCertificate(row.order_url!);
        return complete(deps, row, fullChain);
      }
      if (order.status === 'invalid')
        return fail(deps, row, 'The certificate authority refused to issue the certificate.');
      if (order.status === 'ready') {
        // Finalization never reached the CA (e.g. a crash before the call): do it again.
        await updateCertificate(deps.db, row.id, {
          step: 'order-ready',
          updated_at: deps.clock.now(),
        });
        return { kind: 'continue' };
      }
      await updateCertificate(deps.db, row.id, { step_attempts: row.step_attempts + 1 });
      return { kind: 'wait', ms: pollDelay(row.step_attempts) };
    }
    case 'issued':
    case 'failed':
      return { kind: 'done' };
  }
}

export const labelOf = (domain: string, root: string) => domain.slice(0, -(root.length + 1));

async function publishNow(deps: CertificateDeps): Promise<void> {
  deps.dns.notifyChanged();
  await requestReconcile(deps);
}

/**
 * Issued: store the certificate with its RFC 9773 id and renewal time (spread fallback; the ARI poll
 * asks the CA at once), retire the one it renews (superseded, key kept until it expires: it stays
 * downloadable), remove challenges, tell the owner what to do with the files they installed.
 */
async function complete(
  deps: CertificateDeps,
  row: CertificateRow,
  fullChain: string,
): Promise<Outcome> {
  const { leaf, chain, validFrom, validTo } = parseChain(fullChain);
  const now = deps.clock.now();
  const user = await findUserById(deps.db, row.user_id);
  let certId: string | null = null;
  try {
    certId = await ariCertId(leaf);
  } catch (err) {
    deps.logger.warn({ err, certificateId: row.id }, 'no RFC 9773 id for the issued certificate');
  }
  const renewAt = fallbackRenewAt(
    validFrom,
    validTo,
    deps.config.certificates.renewAtRemainingFraction,
    Math.random(),
  );
  let emailId: number | null = null;
  const done = await deps.db.transaction().execute(async (trx) => {
    // The certificate this one replaces (read before it is superseded): its downloads decide the email.
    const replaced = await trx
      .selectFrom('certificates')
      .select(['id', 'valid_to', 'downloaded_at', 'downloaded_via'])
      .where('user_id', '=', row.user_id)
      .where('status', '=', 'issued')
      .where('id', '<>', row.id)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    const ok = await updateCertificate(
      trx,
      row.id,
      {
        status: 'issued',
        step: 'issued',
        certificate: leaf,
        chain,
        valid_from: validFrom,
        valid_to: validTo,
        error: null,
        inflight_user_id: null,
        next_attempt_at: null,
        ari_cert_id: certId,
        renew_at: renewAt,
        ari_next_check_at: certId === null ? null : now,
        updated_at: now,
      },
      { step: row.step, status: 'pending' },
    );
    if (!ok) return false;
    // Older issued certificates of this user are replaced by this one. Their keys stay until they
    // expire (the expiry job clears them): they still work wherever they are installed.
    await trx
      .updateTable('certificates')
      .set({ status: 'superseded', ari_next_check_at: null, updated_at: now })
      .where('user_id', '=', row.user_id)
      .where('status', '=', 'issued')
      .where('id', '<>', row.id)
      .execute();
    await deleteChallenges(trx, row.id);
    await markDnsChanged(
      trx,
      [{ label: labelOf(row.domain, deps.config.rootDomain), name: ACME_CHALLENGE_LABEL }],
      now,
    );
    const renewal = row.renewal_of !== null;
    await insertAuditLog(trx, {
      at: now,
      actor_user_id: null,
      actor_username: null,
      effective_user_id: row.user_id,
      effective_username: user?.username ?? null,
      action: renewal ? 'certificate.renew.issue' : 'certificate.issue',
      target_type: 'certificate',
      target_id: String(row.id),
      request_id: null,
      before_json: null,
      after_json: JSON.stringify({ domain: row.domain, valid_from: validFrom, valid_to: validTo }),
    });
    if (user) {
      const email = composeEmail(
        { productName: deps.config.productName, appUrl: deps.config.appUrl },
        {
          subject: renewal ? 'Your certificate was renewed' : 'Your certificate is ready',
          greeting: `Hello ${user.display_name}`,
          paragraphs: renewal
            ? renewedEmailParagraphs({
                domain: row.domain,
                validTo,
                replaced: replaced ?? null,
                apiBase: `${deps.config.appUrl.replace(/\/+$/, '')}/api/v1`,
              })
            : [
                `Your HTTPS certificate for ${row.domain} and *.${row.domain} is ready to download.`,
                `It is valid until ${new Date(validTo).toUTCString()}.`,
              ],
          action: { label: 'Get your certificate', path: '/certificate' },
        },
      );
      emailId = await queueEmail(
        trx,
        deps.config.appUrl,
        { to: user.email, ...email, dedupeKey: `certificate:${row.id}:issued` },
        now,
      );
    }
    return true;
  });
  if (done) {
    await deps.afterStep?.(row.id, 'issued');
    await afterCommit(deps, emailId);
  }
  return { kind: 'done' };
}

/**
 * Failed (with a human reason): release the in-flight slot, remove challenge records, tell the owner.
 * Exported for the job's last attempt. Never throws for a row that is no longer pending.
 */
export async function fail(
  deps: CertificateDeps,
  row: CertificateRow,
  reason: string,
): Promise<Outcome> {
  const now = deps.clock.now();
  const user = await findUserById(deps.db, row.user_id);
  let emailId: number | null = null;
  const done = await deps.db.transaction().execute(async (trx) => {
    const ok = await updateCertificate(
      trx,
      row.id,
      {
        status: 'failed',
        step: 'failed',
        error: reason.slice(0, 2000),
        inflight_user_id: null,
        private_key_enc: null,
        next_attempt_at: null,
        updated_at: now,
      },
      { status: 'pending' },
    );
    if (!ok) return false;
    await deleteChallenges(trx, row.id);
    await markDnsChanged(
      trx,
      [{ label: labelOf(row.domain, deps.config.rootDomain), name: ACME_CHALLENGE_LABEL }],
      now,
    );
    await insertAuditLog(trx, {
      at: now,
      actor_user_id: null,
      actor_username: null,
      effective_user_id: row.user_id,
      effective_username: user?.username ?? null,
      action: 'certificate.fail',
      target_type: 'certificate',
      target_id: String(row.id),
      request_id: null,
      before_json: JSON.stringify({ step: row.step }),
      after_json: JSON.stringify({ error: reason }),
    });
    if (user) {
      const email = composeEmail(
        { productName: deps.config.productName, appUrl: deps.config.appUrl },
        {
          subject: 'Your certificate request did not succeed',
          greeting: `Hello ${user.display_name}`,
          paragraphs: [
            `We could not get an HTTPS certificate for ${row.domain} and *.${row.domain}.`,
            `Reason: ${reason}`,
            row.renewal_of !== null
              ? 'Your current certificate stays valid until it expires; we will try to renew it again later, and you can also request a renewal yourself.'
              : 'You can request a certificate again from the certificate page.',
          ],
          action: { label: 'Open the certificate page', path: '/certificate' },
        },
      );
      emailId = await queueEmail(
        trx,
        deps.config.appUrl,
        { to: user.email, ...email, dedupeKey: `certificate:${row.id}:failed` },
        now,
      );
    }
    return true;
  });
  if (done) {
    deps.logger.info({ certificateId: row.id, reason }, 'certificate request failed');
    await afterCommit(deps, emailId);
  }
  return { kind: 'done' };
}

async function afterCommit(deps: CertificateDeps, emailId: number | null): Promise<void> {
  await publishNow(deps);
  if (emailId !== null && deps.mailer) {
    try {
      await deps.queue.enqueue('email.deliver', { id: emailId });
    } catch (err) {
      deps.logger.warn({ err }, 'could not enqueue email delivery; the outbox sweep will send it');
    }
  }
}

/** Enqueue the advance job for a certificate (deduplicated per certificate). Never throws. */
export async function requestAdvance(
  deps: Pick<CertificateDeps, 'queue' | 'logger'>,
  id: number,
): Promise<void> {
  try {
    await deps.queue.enqueue(ADVANCE_JOB, { certificateId: id }, { dedupeId: advanceDedupeId(id) });
  } catch (err) {
    deps.logger.warn(
      { err, certificateId: id },
      'could not enqueue certificate job; recovery will',
    );
  }
}

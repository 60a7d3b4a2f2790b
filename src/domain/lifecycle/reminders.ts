/**
 * Expiry reminders: each record and certificate is reminded once per threshold (30, 7, 1 days by default);
 * renewing resets `reminders_sent`, which re-arms them. A user with several items due gets one email.
 * Items are claimed with a conditional UPDATE (compare-and-set on `reminders_sent`), so two scans running at
 * once never remind the same item twice.
 */
import { createHash } from 'node:crypto';
import { findOwnerContacts } from '../../db/repos/namespaces.js';
import type { Db } from '../../db/client.js';
import { queueEmail } from '../notifications/outbox.js';
import { type EmailContext, composeEmail } from '../notifications/templates.js';
import { longDate as formatDate } from '../../time-format.js';

const DAY = 86_400_000;

export interface ReminderDeps {
  db: Db;
  now: number;
  thresholdsDays: number[];
  email: EmailContext;
  rootDomain: string;
}

interface DueItem {
  kind: 'record' | 'certificate';
  id: number;
  userId: number;
  label: string;
  expiresAt: number;
  previous: string;
  next: string;
  autoRenew: boolean;
}

/** Thresholds (days) an item has crossed and not yet been reminded of. */
export function crossedThresholds(
  expiresAt: number,
  now: number,
  thresholds: number[],
  sent: number[],
): number[] {
  const left = expiresAt - now;
  if (left <= 0) return [];
  return thresholds.filter((t) => left <= t * DAY && !sent.includes(t));
}

const parseSent = (json: string): number[] => {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
};

/** Send the reminders due at `now`. Returns how many emails were queued (ids) for delivery. */
export async function sendDueReminders(deps: ReminderDeps): Promise<number[]> {
  const { db, now, thresholdsDays } = deps;
  if (thresholdsDays.length === 0) return [];
  const horizon = now + Math.max(...thresholdsDays) * DAY;
  const items: DueItem[] = [];

  const records = await db
    .selectFrom('dns_records as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select([
      'r.id',
      'r.user_id',
      'r.subdomain',
      'r.type',
      'r.expires_at',
      'r.reminders_sent',
      'u.dns_label',
    ])
    .where('r.expires_at', '>', now)
    .where('r.expires_at', '<=', horizon)
    .where('u.suspended_at', 'is', null)
    .execute();
  for (const r of records) {
    const sent = parseSent(r.reminders_sent);
    const crossed = crossedThresholds(Number(r.expires_at), now, thresholdsDays, sent);
    if (crossed.length === 0) continue;
    items.push({
      kind: 'record',
      id: r.id,
      userId: r.user_id,
      label: `${r.subdomain}.${r.dns_label}.${deps.rootDomain} (${r.type})`,
      expiresAt: Number(r.expires_at),
      previous: r.reminders_sent,
      next: JSON.stringify([...sent, ...crossed].sort((a, b) => b - a)),
      autoRenew: false,
    });
  }

  const certificates = await db
    .selectFrom('certificates as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .select(['c.id', 'c.user_id', 'c.domain', 'c.valid_to', 'c.reminders_sent'])
    .where('c.status', '=', 'issued')
    .where('c.valid_to', '>', now)
    .where('c.valid_to', '<=', horizon)
    .where('u.suspended_at', 'is', null)
    .execute();
  for (const c of certificates) {
    const sent = parseSent(c.reminders_sent);
    const crossed = crossedThresholds(Number(c.valid_to), now, thresholdsDays, sent);
    if (crossed.length === 0) continue;
    // A renewal that failed after this certificate was issued means the owner has to act.
    const failedLater = await db
      .selectFrom('certificates')
      .select('id')
      .where('user_id', '=', c.user_id)
      .where('id', '>', c.id)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    items.push({
      kind: 'certificate',
      id: c.id,
      userId: c.user_id,
      label: `certificate for ${c.domain} and *.${c.domain}`,
      expiresAt: Number(c.valid_to),
      previous: c.reminders_sent,
      next: JSON.stringify([...sent, ...crossed].sort((a, b) => b - a)),
      autoRenew: !failedLater,
    });
  }

  const byUser = new Map<number, DueItem[]>();
  for (const item of items) byUser.set(item.userId, [...(byUser.get(item.userId) ?? []), item]);

  const queued: number[] = [];
  for (const [userId, due] of byUser) {
    const id = await db.transaction().execute(async (trx) => {
      const claimed: DueItem[] = [];
      for (const item of due) {
        const table = item.kind === 'record' ? 'dns_records' : 'certificates';
        const res = await trx
          .updateTable(table)
          .set({ reminders_sent: item.next })
          .where('id', '=', item.id)
          .where('reminders_sent', '=', item.previous)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 1) claimed.push(item);
      }
      if (claimed.length === 0) return [];
      const user = await trx
        .selectFrom('users')
        .select(['email', 'display_name', 'kind', 'dns_label'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      // A shared namespace's reminders go to each of its owners (decision 0026), one digest each.
      const recipients =
        user.kind === 'namespace'
          ? await findOwnerContacts(trx, userId)
          : [{ id: userId, email: user.email, display_name: user.display_name }];
      const digest = createHash('sha256')
        .update(claimed.map((c) => `${c.kind}${c.id}@${c.expiresAt}:${c.next}`).join(','))
        .digest('hex');
      const ids: number[] = [];
      for (const to of recipients) {
        const content = reminderEmail(
          deps.email,
          to.display_name,
          claimed,
          user.kind === 'namespace' ? user.dns_label : null,
        );
        const queuedId = await queueEmail(
          trx,
          deps.email.appUrl,
          {
            to: to.email,
            ...content,
            dedupeKey:
              user.kind === 'namespace' ? `reminder:${digest}:${to.id}` : `reminder:${digest}`,
          },
          now,
        );
        if (queuedId !== null) ids.push(queuedId);
      }
      return ids;
    });
    queued.push(...id);
  }
  return queued;
}

function reminderEmail(
  ctx: EmailContext,
  name: string,
  items: DueItem[],
  namespace: string | null = null,
) {
  const act = items.filter((i) => !i.autoRenew);
  const auto = items.filter((i) => i.autoRenew);
  const paragraphs: string[] = [];
  if (namespace)
    paragraphs.push(
      `You are an owner of the shared namespace ${namespace}; this is about its records and certificate.`,
    );
  if (act.length > 0) {
    paragraphs.push(
      act.length === 1
        ? 'This is a friendly reminder that something of yours will expire soon. Renew it if you still need it; otherwise there is nothing to do.'
        : 'This is a friendly reminder that some of your items will expire soon. Renew the ones you still need; the rest will be removed when they expire.',
    );
  }
  if (auto.length > 0) {
    paragraphs.push(
      `Your ${auto.map((i) => i.label).join(', ')} will be renewed automatically before it expires; you do not need to do anything.`,
    );
  }
  return composeEmail(ctx, {
    subject:
      items.length === 1
        ? `${items[0]!.kind === 'record' ? 'DNS record' : 'certificate'} expiring soon`
        : `${items.length} items expiring soon`,
    greeting: `Hi ${name}`,
    paragraphs,
    items: items.map(
      (i) =>
        `${i.label}: expires ${formatDate(i.expiresAt)}${i.autoRenew ? ' (renews automatically)' : ''}`,
    ),
    action:
      act.length > 0
        ? {
            label: 'Review and renew',
            path: act.some((i) => i.kind === 'record') ? '/dns-records' : '/certificate',
          }
        : { label: 'View your certificate', path: '/certificate' },
  });
}

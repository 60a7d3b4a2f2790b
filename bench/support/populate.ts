/**
 * A populated database for benchmarks, written in bulk through the app's database layer (Kysely
 * multi-row inserts, no HTTP): a user with `smallRecords` records, one with `bigRecords`, and `others`
 * users with `perUser` records each; plus signed-in sessions for the two named users and the first
 * `sessions` of the others, minted the way the service signs its cookies (SESSION_SECRET).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.js';

export interface PopulateOptions {
  smallRecords: number;
  bigRecords: number;
  others: number;
  perUser: number;
  /** Sessions for the first this many of the other users (the "users taking turns" cells). */
  sessions: number;
  /** SESSION_SECRET of the service under test. */
  secret: string;
  /** Username prefix (unique per run). */
  prefix?: string;
  /** Rows per INSERT. */
  batch?: number;
}

export interface BenchSession {
  userId: number;
  cookie: string;
  csrf: string;
}

export interface Populated {
  small: BenchSession;
  big: BenchSession;
  /** Sessions of the first `sessions` other users. */
  others: BenchSession[];
  users: number;
  records: number;
  seconds: number;
}

/**
 * Insert benchmark A records in batches of `batch` rows (one multi-row INSERT each). `add` queues one
 * record; call `flush` at the end. `count` is how many were inserted.
 */
export function recordInserter(
  db: Db,
  batch: number,
  fields: { course: string | null; description: string | null } = {
    course: 'OSD700',
    description: 'benchmark record',
  },
) {
  const now = Date.now();
  let pending: object[] = [];
  let count = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await db
      .insertInto('dns_records')
      .values(pending as never)
      .execute();
    count += pending.length;
    pending = [];
  };
  return {
    async add(userId: number, subdomain: string, value: string) {
      pending.push({
        user_id: userId,
        subdomain,
        type: 'A',
        value,
        priority: null,
        ports: null,
        ...fields,
        expires_at: now + 1e10,
        status_message: null,
        change_id: null,
        status_at: now,
        created_at: now,
        updated_at: now,
      });
      if (pending.length >= batch) await flush();
    },
    flush,
    get count() {
      return count;
    },
  };
}

const sign = (secret: string, value: string) =>
  `${value}.${createHmac('sha256', secret).update(value).digest('base64url')}`;

export async function populate(db: Db, o: PopulateOptions): Promise<Populated> {
  const t0 = performance.now();
  const batch = o.batch ?? 1000;
  const prefix = o.prefix ?? 'bench';
  const now = Date.now();
  const user = (name: string) => ({
    username: name,
    dns_label: name,
    display_name: `Bench ${name}`,
    email: `${name}@example.edu`,
    groups: '["mycustomdomain-students"]',
    role: 'student' as const,
    suspended_at: null,
    created_at: now,
    updated_at: now,
    last_login_at: now,
  });
  const names = [`${prefix}small`, `${prefix}big`];
  for (let i = 0; i < o.others; i++) names.push(`${prefix}u${i}`);
  for (let i = 0; i < names.length; i += batch)
    await db
      .insertInto('users')
      .values(names.slice(i, i + batch).map(user))
      .execute();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', 'like', `${prefix}%`)
    .execute();
  const idOf = new Map(rows.map((r) => [r.username, Number(r.id)]));
  const ids = names.map((n) => idOf.get(n)!);

  const inserter = recordInserter(db, batch);
  const addRecords = async (userId: number, n: number) => {
    for (let k = 0; k < n; k++)
      await inserter.add(userId, `host${k}`, `10.${(k >> 8) % 250}.${k % 250}.${userId % 250}`);
  };
  await addRecords(ids[0]!, o.smallRecords);
  await addRecords(ids[1]!, o.bigRecords);
  for (const id of ids.slice(2)) await addRecords(id, o.perUser);
  await inserter.flush();
  const records = inserter.count;

  const sessionFor = (userId: number) => {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    return {
      session: {
        id: createHash('sha256').update(token).digest('hex'),
        user_id: userId,
        csrf_token: csrf,
        impersonated_user_id: null,
        created_at: now,
        last_seen_at: now,
        expires_at: now + 8 * 3_600_000,
      },
      bench: { userId, cookie: `__session=${sign(o.secret, token)}`, csrf },
    };
  };
  const all = [ids[0]!, ids[1]!, ...ids.slice(2, 2 + o.sessions)].map(sessionFor);
  for (let i = 0; i < all.length; i += batch)
    await db
      .insertInto('sessions')
      .values(all.slice(i, i + batch).map((s) => s.session))
      .execute();
  return {
    small: all[0]!.bench,
    big: all[1]!.bench,
    others: all.slice(2).map((s) => s.bench),
    users: names.length,
    records,
    seconds: (performance.now() - t0) / 1000,
  };
}

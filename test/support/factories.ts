/** Factories that make unique rows, so tests never collide on names. */
import type { Db } from '../../src/db/client.js';
import type { User } from '../../src/db/schema.js';

let n = 0;
const unique = () =>
  `${process.pid.toString(36)}${(++n).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function insertUser(db: Db, overrides: Partial<Omit<User, 'id'>> = {}): Promise<User> {
  const u = overrides.username ?? `user${unique()}`;
  const now = Date.now();
  const values = {
    username: u,
    dns_label: overrides.dns_label ?? u.toLowerCase().replace(/\./g, ''),
    display_name: overrides.display_name ?? `Test ${u}`,
    email: overrides.email ?? `${u}@example.edu`,
    groups: overrides.groups ?? '["mycustomdomain-students"]',
    role: overrides.role ?? 'student',
    suspended_at: overrides.suspended_at ?? null,
    created_at: overrides.created_at ?? now,
    updated_at: overrides.updated_at ?? now,
    last_login_at: overrides.last_login_at ?? null,
  } as const;
  const res = await db.insertInto('users').values(values).executeTakeFirstOrThrow();
  return { id: Number(res.insertId), kind: 'person', ...values };
}

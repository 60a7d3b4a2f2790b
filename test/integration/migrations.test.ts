import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type DbHandle, createDb, ensureMysqlDatabase } from '../../src/db/client.js';
import { prepareDatabase } from '../../src/db/migrate.js';
import {
  findReconciliationNeeded,
  updateReconciliationNeeded,
} from '../../src/db/repos/system-state.js';
import { DIALECTS, silentLogger, uniqueDatabaseConfig } from '../support/db.js';
import { insertUser } from '../support/factories.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function twoHandles(dialect: 'sqlite' | 'mysql'): Promise<[DbHandle, DbHandle]> {
  const cfg = uniqueDatabaseConfig(dialect);
  if (cfg.dialect === 'mysql') await ensureMysqlDatabase(cfg.url);
  const a = await createDb(cfg);
  const b = await createDb(cfg);
  cleanups.push(async () => {
    await a.close();
    await b.close();
    await cfg.cleanup();
  });
  return [a, b];
}

/** Captures warn/info messages, to see which replica did what. */
function recordingLogger() {
  const messages: string[] = [];
  const logger = silentLogger.child({});
  const push = (...args: unknown[]) => {
    messages.push(String(args.find((a) => typeof a === 'string') ?? ''));
  };
  logger.warn = push;
  logger.info = push;
  return { logger, messages };
}

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  it('creates every table and the single system_state row; a second run applies nothing', async () => {
    const [a] = await twoHandles(dialect);
    const first = await prepareDatabase(a, { wipe: false, logger: silentLogger });
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await prepareDatabase(a, { wipe: false, logger: silentLogger });
    expect(second.applied).toEqual([]);
    for (const t of [
      'users',
      'dns_records',
      'certificates',
      'acme_challenges',
      'system_state',
      'sessions',
      'audit_log',
      'email_outbox',
      'blocked_labels',
    ] as const) {
      await a.db.selectFrom(t).selectAll().limit(1).execute();
    }
    expect(await findReconciliationNeeded(a.db)).toBe(true);
    await updateReconciliationNeeded(a.db, false);
    expect(await findReconciliationNeeded(a.db)).toBe(false);
    // The single-row table refuses a second row.
    await expect(
      a.db
        .insertInto('system_state')
        .values({ id: 2, reconciliation_needed: 0, last_wipe_at: null, updated_at: 0 })
        .execute(),
    ).rejects.toThrow();
  });

  it('an everyday start skips nothing it should not: an unknown applied migration is still refused', async () => {
    const [a] = await twoHandles(dialect);
    await prepareDatabase(a, { wipe: false, logger: silentLogger });
    // A database migrated by a newer release: the start must not take the "all applied" shortcut.
    await sql`insert into kysely_migration (name, timestamp) values (${'29990101000000_from_the_future'}, ${new Date().toISOString()})`.execute(
      a.db,
    );
    await expect(prepareDatabase(a, { wipe: false, logger: silentLogger })).rejects.toThrow(
      /29990101000000_from_the_future/,
    );
  });

  it('two replicas migrating at the same moment apply each migration exactly once', async () => {
    const [a, b] = await twoHandles(dialect);
    const [ra, rb] = await Promise.all([
      prepareDatabase(a, { wipe: false, logger: silentLogger }),
      prepareDatabase(b, { wipe: false, logger: silentLogger }),
    ]);
    const total = [...ra.applied, ...rb.applied];
    expect(new Set(total).size).toBe(total.length);
    expect(ra.applied.length === 0 || rb.applied.length === 0).toBe(true);
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(a.db);
    expect(rows.rows.map((r) => r.name).sort()).toEqual(total.sort());
  });

  it('DANGER_DATABASE_WIPE_REINITIALIZE wipes exactly once when two replicas start together', async () => {
    const [a, b] = await twoHandles(dialect);
    await prepareDatabase(a, { wipe: false, logger: silentLogger });
    const marker = await insertUser(a.db, { username: 'marker' });
    let wipes = 0;
    const la = recordingLogger();
    const lb = recordingLogger();
    const [ra, rb] = await Promise.all([
      prepareDatabase(a, { wipe: true, logger: la.logger, onWipe: async () => void wipes++ }),
      prepareDatabase(b, { wipe: true, logger: lb.logger, onWipe: async () => void wipes++ }),
    ]);
    expect([ra.wiped, rb.wiped].filter(Boolean)).toHaveLength(1);
    expect(wipes).toBe(1);
    expect(
      await a.db.selectFrom('users').selectAll().where('id', '=', marker.id).execute(),
    ).toEqual([]);
    expect([...la.messages, ...lb.messages].some((m) => m.includes('not wiping again'))).toBe(true);
    // Schema is complete after the wipe.
    expect(await findReconciliationNeeded(b.db)).toBe(true);
  });
});

/**
 * `npm run db:seed`: development only. Brings the schema up to date, then adds the development IdP's
 * test identities as users (same usernames, names, emails and groups as the SimpleSAMLphp fixture in
 * docker/simplesamlphp/authsources.php, so a seeded user and a signed-in user are the same person).
 * Idempotent: existing usernames are left untouched. Refuses to run with NODE_ENV=production.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../config.js';
import { prepareSchema } from '../container.js';
import { createDb, ensureMysqlDatabase } from '../db/client.js';
import type { NewUser } from '../db/schema.js';
import { insertUser } from '../db/repos/users.js';
import { createLogger } from '../logger.js';
import { runCli } from './run.js';

type SeedUser = Pick<NewUser, 'username' | 'display_name' | 'email' | 'role'> & {
  groups: string[];
};

export const SEED_USERS: SeedUser[] = [
  {
    username: 'user1',
    display_name: 'Johannes Kepler',
    email: 'user1@myseneca.ca',
    groups: ['mycustomdomain-students'],
    role: 'student',
  },
  {
    username: 'user2',
    display_name: 'Galileo Galilei',
    email: 'user2@myseneca.ca',
    groups: ['mycustomdomain-faculty'],
    role: 'faculty',
  },
  {
    username: 'user3',
    display_name: 'Adam Mason',
    email: 'user3@myseneca.ca',
    groups: ['mycustomdomain-admins'],
    role: 'admin',
  },
  {
    username: 'han.solo',
    display_name: 'Hans Solo',
    email: 'hansolo@myseneca.ca',
    groups: ['mycustomdomain-faculty', 'mycustomdomain-admins'],
    role: 'admin',
  },
];

const REFUSAL =
  'db:seed adds test users and is for development only; refusing with NODE_ENV=production.\n';

async function main(): Promise<number> {
  // Checked before the configuration, so the refusal is the message even when production config is incomplete.
  if (process.env.NODE_ENV?.trim() === 'production') {
    process.stderr.write(REFUSAL);
    return 1;
  }
  const config = loadConfigOrExit();
  if (config.isProduction) {
    process.stderr.write(REFUSAL);
    return 1;
  }
  const logger = createLogger(config).child({ task: 'db-seed' });
  if (config.database.dialect === 'mysql') await ensureMysqlDatabase(config.database.url);
  const dbh = await createDb(config.database);
  try {
    await prepareSchema({ config, dbh, logger });
    const now = Date.now();
    const added: string[] = [];
    for (const u of SEED_USERS) {
      const existing = await dbh.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', u.username)
        .executeTakeFirst();
      if (existing) continue;
      await insertUser(dbh.db, {
        username: u.username,
        dns_label: u.username.toLowerCase().replace(/\./g, ''),
        display_name: u.display_name,
        email: u.email,
        groups: JSON.stringify(u.groups),
        role: u.role,
        suspended_at: null,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      });
      added.push(u.username);
    }
    logger.info(
      { added, skipped: SEED_USERS.length - added.length, database: config.database.dialect },
      'development users seeded',
    );
    return 0;
  } finally {
    await dbh.close();
  }
}

// Run only as a command (the test suite imports SEED_USERS).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli('db-seed', main);
}

/**
 * `npm run db:migrate` (and, in the image, `node dist/src/cli/db-migrate.js` from the entrypoint):
 * load the configuration, bring the database schema up to date under the cross-process schema lock
 * (wiping first, once, when DANGER_DATABASE_WIPE_REINITIALIZE=1), then exit. Exit codes: 0 done,
 * 78 bad configuration, 1 anything else.
 */
import { loadConfigOrExit } from '../config.js';
import { prepareSchema } from '../container.js';
import { createDb, ensureMysqlDatabase } from '../db/client.js';
import { createLogger } from '../logger.js';
import { runCli } from './run.js';

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger(config).child({ task: 'db-migrate' });
  // Same rule as the service: create a missing MySQL database only outside production.
  if (config.database.dialect === 'mysql' && !config.isProduction) {
    await ensureMysqlDatabase(config.database.url);
  }
  const dbh = await createDb(config.database);
  try {
    const result = await prepareSchema({ config, dbh, logger });
    logger.info(
      { applied: result.applied, wiped: result.wiped, database: config.database.dialect },
      result.applied.length > 0 ? 'database schema updated' : 'database schema already up to date',
    );
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'database migration failed');
    return 1;
  } finally {
    await dbh.close();
    logger.flush?.();
  }
}

runCli('db-migrate', main);

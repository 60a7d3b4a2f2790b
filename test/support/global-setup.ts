/**
 * Fails the run (never skips) when a service the tests need is not running, and says how to start it.
 */
import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { TEST_MYSQL_URL, TEST_REDIS_URL } from './env.js';

export default async function setup(): Promise<void> {
  const problems: string[] = [];
  try {
    const conn = await createConnection({ uri: TEST_MYSQL_URL, connectTimeout: 3000 });
    await conn.query('select 1');
    await conn.end();
  } catch (e) {
    problems.push(
      `MariaDB is not reachable at ${TEST_MYSQL_URL} (${(e as Error).message}). Start it with: bash .ci/services.sh mariadb`,
    );
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    problems.push(
      `Redis is not reachable at ${TEST_REDIS_URL} (${(e as Error).message}). Start it with: bash .ci/services.sh redis`,
    );
  } finally {
    redis.disconnect();
  }
  if (problems.length > 0) throw new Error(`Test services missing:\n  ${problems.join('\n  ')}`);
}

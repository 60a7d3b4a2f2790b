/**
 * `npm run keys:rotate` (in the image: `node dist/src/cli/keys-rotate.js`): re-encrypt every stored
 * certificate private key (and every access token's TSIG key) with the current SESSION_SECRET, reading old ones with SESSION_SECRET_PREVIOUS
 * (docs/deployment.md, "Changing SESSION_SECRET"; decision 0014). Safe to run while the service runs
 * and to run again. Exit codes: 0 every key is under the current secret, 2 some keys cannot be
 * decrypted with any secret given (listed), 78 bad configuration, 1 anything else.
 */
import { loadConfigOrExit } from '../config.js';
import { createDb } from '../db/client.js';
import { keyRingOf } from '../domain/certificates/key-box.js';
import { rotateCertificateKeys } from '../domain/certificates/key-rotation.js';
import { rotateTsigKeys } from '../domain/tokens/tokens.js';
import { createLogger } from '../logger.js';
import { runCli } from './run.js';

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger(config).child({ task: 'keys-rotate' });
  const dbh = await createDb(config.database);
  try {
    const ring = keyRingOf(config);
    const report = await rotateCertificateKeys(dbh.db, ring);
    const tsig = await rotateTsigKeys(dbh.db, ring);
    if (tsig.unreadable.length > 0)
      logger.warn(
        { unreadableTokens: tsig.unreadable },
        'some access tokens have TSIG keys no secret opens: their DNS UPDATE keys stop working (the tokens still work over HTTP); their owners should create new tokens',
      );
    const summary = {
      reencrypted: report.reencrypted,
      alreadyCurrent: report.alreadyCurrent,
      unreadable: report.unreadable.length,
      tsigKeysReencrypted: tsig.reencrypted,
      tsigKeysAlreadyCurrent: tsig.alreadyCurrent,
      tsigKeysUnreadable: tsig.unreadable.length,
      currentKeyId: ring.current.id,
      previousSecrets: config.previousSessionSecrets.length,
    };
    if (report.unreadable.length > 0) {
      logger.error(
        { ...summary, unreadableCertificates: report.unreadable },
        'some private keys cannot be decrypted with SESSION_SECRET or SESSION_SECRET_PREVIOUS: add the secret they were encrypted with to SESSION_SECRET_PREVIOUS and run this again, or their owners must request new certificates',
      );
      return 2;
    }
    logger.info(
      summary,
      'every stored private key is encrypted with the current SESSION_SECRET; SESSION_SECRET_PREVIOUS can be removed',
    );
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'key rotation failed');
    return 1;
  } finally {
    await dbh.close();
    logger.flush?.();
  }
}

runCli('keys-rotate', main);

/**
 * The only entry point. ROLE=web|worker|all (default all). Builds config → container → roles, and
 * shuts down in one ordered sequence on SIGTERM/SIGINT, exiting 0.
 */
import { loadConfigOrExit } from './config.js';
import { StartupError } from './errors.js';
import { createLogger } from './logger.js';
import { handleShutdownSignals, startService } from './service.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled promise rejection'),
  );
  const signals = handleShutdownSignals(logger);
  let service;
  try {
    service = await startService(config, logger);
  } catch (err) {
    if (err instanceof StartupError) {
      // A setting to change, not a bug: one line that names it, no stack trace.
      logger.flush?.();
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err }, 'failed to start');
    logger.flush?.();
    process.exit(1);
  }
  signals.attach(service);
}

await main();

/**
 * Starts the roles this process runs (web, worker or both) on a container, and stops them in order:
 * stop accepting requests → let in-flight requests and jobs finish (bounded) → close queue, Redis, database.
 */
import type { Server } from 'node:http';
import type { Config } from './config.js';
import {
  type Container,
  type ContainerOptions,
  createContainer,
  prepareSchema,
} from './container.js';
import {
  type ProfileCheckOptions,
  checkConfiguredProfile,
} from './domain/certificates/profile-check.js';
import { type ScheduleWatchdog, startJobs } from './jobs/worker.js';
import type { Logger } from './logger.js';
import { createApp } from './web/app.js';
import { serveApp } from './web/server.js';

export interface RunningService {
  container: Container;
  /** Bound address of the HTTP server (web role), e.g. for tests that use PORT=0. */
  url: string | null;
  /** Port of the built-in DNS server when this process runs it (embedded provider, web role). */
  dnsPort: number | null;
  stop(): Promise<void>;
}

export interface ServiceOptions extends ContainerOptions {
  /** The LETS_ENCRYPT_PROFILE start-up check's retries (tests shorten them). */
  profileCheck?: ProfileCheckOptions;
}

export async function startService(
  config: Config,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<RunningService> {
  const started = performance.now();
  const phases: Record<string, number> = {};
  const mark = (name: string, since: number) =>
    (phases[name] = Math.round(performance.now() - since));
  const container = await createContainer(config, logger, options);
  mark('containerMs', started);
  if (config.acme.profile !== null) {
    const profileStart = performance.now();
    try {
      const warning = await checkConfiguredProfile(
        container.ca,
        config.acme.profile,
        config.acme.directoryUrl
          ? `the certificate authority at ${config.acme.directoryUrl}`
          : 'the development CA',
        options.profileCheck,
      );
      if (warning) logger.warn(warning);
    } catch (err) {
      await container.close();
      throw err;
    }
    mark('profileCheckMs', profileStart);
  }
  const schemaStart = performance.now();
  await prepareSchema(container, options.redisPrefix);
  mark('schemaMs', schemaStart);

  let server: Server | null = null;
  let url: string | null = null;
  if (config.role === 'web' || config.role === 'all') {
    const { app } = createApp(container);
    try {
      server = await serveApp(app, config.http.port, config.http.host);
    } catch (err) {
      await container.close();
      throw err;
    }
    server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
    const address = server.address();
    if (address && typeof address === 'object') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
    }
  }
  mark('listeningMs', started);
  let dnsPort: number | null = null;
  // The built-in DNS server, or with Route53 the one that only takes DNS UPDATE (DNS_UPDATE_SERVER).
  const dnsServer = container.dnsServer ?? container.updateOnlyServer;
  if (dnsServer && (config.role === 'web' || config.role === 'all')) {
    try {
      dnsPort = await dnsServer.start();
    } catch (err) {
      // A taken DNS_SERVER_PORT: release what already started so the process can end at once.
      if (server) await closeServer(server, 0);
      await dnsServer.stop().catch(() => undefined);
      await container.close();
      throw err;
    }
  }
  let watchdog: ScheduleWatchdog | null = null;
  if (config.role === 'worker' || config.role === 'all') {
    watchdog = await startJobs({
      config,
      queue: container.queue,
      registry: container.registry,
      deps: container.jobDeps,
      logger,
    });
    container.worker.running = true;
  }
  logger.info(
    {
      role: config.role,
      url,
      dnsPort,
      appUrl: config.appUrl,
      database: config.database.dialect,
      queue: container.queue.kind,
      secrets: config.secretSources,
      startupMs: Math.round(performance.now() - started),
      // Since the process started (performance.now() counts from then), including loading the code.
      sinceProcessStartMs: Math.round(performance.now()),
      ...phases,
    },
    `${config.productName} started`,
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      const timeout = config.http.shutdownTimeoutMs;
      logger.info({ timeoutMs: timeout }, 'shutting down');
      watchdog?.stop();
      const closing = server ? closeServer(server, timeout) : Promise.resolve();
      await Promise.all([closing, container.queue.close(timeout)]);
      await dnsServer?.stop();
      await container.close();
      logger.info('shutdown complete');
    })());
  return { container, url, dnsPort, stop };
}

/** Stop accepting connections; wait for in-flight requests up to timeoutMs, then cut the rest. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * A second signal this long after the first forces an exit. Closer ones are the same request delivered
 * twice: Ctrl-C under `npm start` reaches the service from the terminal and again relayed by tsx.
 */
export const FORCE_EXIT_AFTER_MS = 1000;

/**
 * SIGTERM/SIGINT → ordered stop → exit 0; a signal arriving more than FORCE_EXIT_AFTER_MS after the
 * first exits at once (1). Installed before the service starts (`attach` it once started), so a signal
 * that arrives mid-start still shuts down cleanly.
 */
export function handleShutdownSignals(logger: Logger): { attach(service: RunningService): void } {
  let firstAt: number | null = null;
  let service: RunningService | null = null;
  const stop = (s: RunningService) =>
    s.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (firstAt !== null) {
      if (now - firstAt <= FORCE_EXIT_AFTER_MS) {
        logger.info({ signal }, 'repeated signal ignored: already shutting down');
        return;
      }
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush?.();
      process.exit(1);
    }
    firstAt = now;
    logger.info({ signal }, 'signal received');
    if (service) void stop(service);
    else logger.info('still starting; will stop as soon as start-up completes');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    attach(s) {
      service = s;
      if (firstAt !== null) void stop(s);
    },
  };
}

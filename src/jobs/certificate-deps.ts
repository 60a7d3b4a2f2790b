import type { CertificateDeps } from '../domain/certificates/issuance.js';
import type { JobDeps } from './deps.js';

/** The certificate use-cases' dependencies, from the job dependencies. */
export const certificateDeps = (deps: JobDeps): CertificateDeps => ({
  db: deps.db,
  config: deps.config,
  clock: deps.clock,
  queue: deps.queue,
  logger: deps.logger,
  ca: deps.ca,
  dnsChecker: deps.dnsChecker,
  dns: deps.dns,
  mailer: deps.mailer,
  ...(deps.certificateHooks ?? {}),
});

import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { CertificateDeps } from '../domain/certificates/issuance.js';
import type { CertificateAuthority } from '../ports/certificate-authority.js';
import type { Clock } from '../ports/clock.js';
import type { DnsChecker } from '../ports/dns-checker.js';
import type { DnsProvider } from '../ports/dns-provider.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Mailer } from '../ports/mailer.js';

/** What job handlers may use: the same ports the web side has, never request state. */
export interface JobDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  queue: JobQueue;
  /** null in development without SMTP_HOST: mail stays in the outbox (development mailbox). */
  mailer: Mailer | null;
  /** Where DNS records are published (Route53 or the built-in server). */
  dns: DnsProvider;
  /** Issues certificates (ACME, or the development CA in embedded mode). */
  ca: CertificateAuthority;
  /** Asks the zone's authoritative servers directly (challenge propagation). */
  dnsChecker: DnsChecker;
  /** Tests only: hooks into certificate issuance (simulated crashes). */
  certificateHooks?: Pick<CertificateDeps, 'afterStep'>;
}

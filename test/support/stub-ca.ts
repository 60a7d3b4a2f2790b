/**
 * A certificate authority that only takes new orders: the base of the stand-ins used where what is
 * under test is how many orders are sent and when (the issuance queue's tests and bench), not the
 * order workflow (that is Pebble's). Later steps refuse, so a sent request fails quietly.
 */
import { CaError, type CertificateAuthority } from '../../src/ports/certificate-authority.js';

export abstract class OrderOnlyCa implements CertificateAuthority {
  readonly kind = 'acme' as const;
  abstract createOrder(
    identifiers: string[],
    options?: { replaces?: string | null; profile?: string | null },
  ): Promise<string>;
  async directoryInfo() {
    return { renewalInfo: false, profiles: {} };
  }
  async renewalInfo() {
    return null;
  }
  async getOrder(): Promise<never> {
    throw new CaError('rejected', 'stand-in CA: orders stop here');
  }
  async answerChallenges() {}
  async finalizeOrder() {}
  async downloadCertificate(): Promise<never> {
    throw new CaError('rejected', 'stand-in CA: orders stop here');
  }
  async revokeCertificate() {}
  async rootCertificatePem() {
    return null;
  }
}

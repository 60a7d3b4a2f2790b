/**
 * The certificate authority port: an ACME-shaped order workflow (Let's Encrypt or Pebble through
 * acme-client, or the built-in development CA). Every call is safe to repeat after a crash: state
 * lives at the CA and is re-read by order URL.
 */

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';

export interface DnsChallenge {
  /** The identifier being proven, e.g. `jsmith.example.ca` or `*.jsmith.example.ca`. */
  identifier: string;
  /** Fully qualified TXT name, `_acme-challenge.jsmith.example.ca` (same for apex and wildcard). */
  name: string;
  /** The TXT value (DNS-01 key authorization digest). */
  value: string;
  status: 'pending' | 'processing' | 'valid' | 'invalid';
  /** The CA's explanation when the challenge or its authorization is invalid. */
  error: string | null;
}

export interface OrderState {
  url: string;
  status: OrderStatus;
  challenges: DnsChallenge[];
}

export type CaErrorKind =
  /** Too many requests; retry after `retryAfterMs`. */
  | 'rateLimited'
  /** Stale replay nonce; retry at once. */
  | 'badNonce'
  /** The CA refused for a reason that will not change by retrying (invalid order, rejected identifier). */
  | 'rejected'
  /** Network trouble or a server error; retry with backoff. */
  | 'unavailable';

export class CaError extends Error {
  constructor(
    readonly kind: CaErrorKind,
    message: string,
    /** The ACME problem type, when the CA sent one. */
    readonly type: string | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'CaError';
  }
}

/** What the CA's directory offers beyond the basic order workflow. */
export interface CaDirectoryInfo {
  /** The CA serves ACME Renewal Information (RFC 9773). */
  renewalInfo: boolean;
  /** Profile name → description (`meta.profiles`); empty when the CA has no profiles. */
  profiles: Record<string, string>;
}

/** The CA's answer to an RFC 9773 renewal-information request. */
export interface RenewalInfo {
  /** Suggested renewal window, epoch ms. */
  windowStart: number;
  windowEnd: number;
  /** The CA's `Retry-After`: ask no sooner than this (null when it sent none). */
  retryAfterMs: number | null;
  explanationUrl: string | null;
}

export interface NewOrderOptions {
  /** RFC 9773 id of the certificate this order renews (ARI `replaces`). */
  replaces?: string | null;
  /** ACME profile name (`meta.profiles`). */
  profile?: string | null;
}

export interface CertificateAuthority {
  readonly kind: 'acme' | 'local-dev';
  /** Create an order for these identifiers; returns its URL. Throws CaError. */
  createOrder(identifiers: string[], options?: NewOrderOptions): Promise<string>;
  /** What the directory offers (renewal information, profiles). Throws CaError. */
  directoryInfo(): Promise<CaDirectoryInfo>;
  /**
   * RFC 9773 renewal information for a certificate id; null when the CA offers none. Throws CaError.
   */
  renewalInfo(certId: string): Promise<RenewalInfo | null>;
  /** Current state of the order and its DNS-01 challenges. Throws CaError. */
  getOrder(orderUrl: string): Promise<OrderState>;
  /** Ask the CA to validate every challenge of the order that is still pending. Throws CaError. */
  answerChallenges(orderUrl: string): Promise<void>;
  /** Finalize a ready order with a CSR made from this key for these identifiers. Throws CaError. */
  finalizeOrder(orderUrl: string, privateKeyPem: string, identifiers: string[]): Promise<void>;
  /** The full chain (leaf first) of a valid order. Throws CaError. */
  downloadCertificate(orderUrl: string): Promise<string>;
  /** Revoke an issued certificate (leaf PEM). Throws CaError. */
  revokeCertificate(certificatePem: string): Promise<void>;
  /** The development CA's root certificate (PEM); null for real CAs. */
  rootCertificatePem(): Promise<string | null>;
}

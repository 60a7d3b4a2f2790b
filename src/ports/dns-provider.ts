/**
 * The DNS provider port: where the zone's published records live. The reconciler reads and changes
 * record sets through it; values are in canonical domain form (A dotted quad, AAAA fully expanded,
 * CNAME host without trailing dot, MX "priority host", TXT the raw text) and adapters encode them.
 */
import type { RecordType } from '../domain/dns-records/types.js';

export interface RecordSet {
  /** Fully qualified, lower case, no trailing dot. */
  name: string;
  type: RecordType;
  ttl: number;
  values: string[];
}

export type ChangeAction = 'CREATE' | 'UPSERT' | 'DELETE';

export interface RecordSetChange {
  action: ChangeAction;
  set: RecordSet;
}

export interface BatchLimits {
  /** ResourceRecord elements per request (UPSERT counts twice). */
  maxRecords: number;
  /** Characters across all values per request, as the provider encodes them (UPSERT counts twice). */
  maxValueChars: number;
  /** Change elements per request. */
  maxChanges: number;
}

export type ProviderErrorKind = 'throttled' | 'busy' | 'rejected' | 'unavailable';

/** A failure the provider reported; `kind` drives backoff (throttled/busy) and isolation (rejected). */
export class DnsProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'DnsProviderError';
  }
}

export interface DnsProvider {
  readonly kind: 'route53' | 'embedded';
  /** True when the provider serves straight from the database: a committed change is live at once. */
  readonly servesFromDatabase: boolean;
  readonly limits: BatchLimits;
  /** Characters a value occupies in a request (for the batch character limit). */
  encodedLength(type: RecordType, value: string): number;
  /**
   * Record sets of the supported types under `under` (a name and everything below it), or the whole
   * zone when omitted. Each underlying request goes through `retry` (so backoff repeats one page,
   * not the whole listing). Throws DnsProviderError.
   */
  listRecordSets(
    under?: string,
    retry?: <T>(request: () => Promise<T>) => Promise<T>,
  ): Promise<RecordSet[]>;
  /**
   * The whole zone's record sets of the supported types, one page at a time, in the provider's list
   * order (names with their labels reversed, compared as strings: see zoneOrderKey). Lets a caller
   * walk the zone in bounded memory. Each request goes through `retry`. Throws DnsProviderError.
   */
  walkRecordSets(retry?: <T>(request: () => Promise<T>) => Promise<T>): AsyncIterable<RecordSet[]>;
  /** Apply one batch atomically; returns the provider's change id. Throws DnsProviderError. */
  applyChanges(changes: RecordSetChange[]): Promise<string>;
  /** Whether a change has reached every authoritative server. Throws DnsProviderError. */
  isChangeInSync(changeId: string): Promise<boolean>;
  /** The database changed (used by providers that serve from it to refresh caches). */
  notifyChanged(): void;
}

/**
 * Where a name sorts in a provider's zone listing: Route53 lists names with their labels reversed
 * (`www.alice.example.com` → `com.example.alice.www`), compared as strings.
 */
export const zoneOrderKey = (name: string): string =>
  name.toLowerCase().replace(/\.$/, '').split('.').reverse().join('.');

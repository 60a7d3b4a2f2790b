/**
 * Asking DNS servers what they answer now, for people (the record check page): the authoritative
 * servers of the zone (the built-in server, or Route53's) and public recursive resolvers.
 */

export interface DnsServerRef {
  /** Shown to the user, e.g. "Built-in DNS server" or "Cloudflare 1.1.1.1". */
  label: string;
  host: string;
  port: number;
}

export interface LookupAnswer {
  type: string;
  value: string;
  ttl: number;
}

export type LookupResult =
  | { ok: true; rcode: string; answers: LookupAnswer[]; ms: number }
  | { ok: false; error: string; ms: number };

export interface DnsLookup {
  /** The servers that are authoritative for the zone now. */
  authoritative(): Promise<DnsServerRef[]>;
  /** The public recursive resolvers to ask (DNS_CHECK_RESOLVERS). */
  publicResolvers(): DnsServerRef[];
  /** One query; `recursive` sets RD. Never throws: a timeout or error is a result. */
  query(
    server: DnsServerRef,
    name: string,
    type: string,
    recursive: boolean,
  ): Promise<LookupResult>;
}

/**
 * DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945): what the built-in DNS server hands to the
 * application once a message is parsed and its signature verified. The adapter (src/adapters/dns/
 * update-message.ts, tsig.ts) owns the wire format; the handler owns keys and the records.
 */

/** A TSIG key the server knows: its lower-case name without the trailing dot, the raw secret, and whose it is. */
export interface TsigKey {
  name: string;
  secret: Buffer;
  tokenId: number;
  userId: number;
}

export type UpdateRcode =
  | 'NOERROR'
  | 'FORMERR'
  | 'SERVFAIL'
  | 'NXDOMAIN'
  | 'NOTIMP'
  | 'REFUSED'
  | 'YXDOMAIN'
  | 'YXRRSET'
  | 'NXRRSET'
  | 'NOTAUTH'
  | 'NOTZONE';

export interface UpdateRr {
  name: string;
  type: string;
  ttl: number;
  /** presentation value in the service's record form (see below); null when the type is not one we store */
  value: string | null;
  priority: number | null;
}

export type Prerequisite =
  | { kind: 'rrset-exists'; name: string; type: string }
  | { kind: 'rrset-equals'; name: string; type: string; records: UpdateRr[] }
  | { kind: 'rrset-absent'; name: string; type: string }
  | { kind: 'name-in-use'; name: string }
  | { kind: 'name-absent'; name: string };

export type UpdateOp =
  | { kind: 'add'; rr: UpdateRr }
  | { kind: 'delete-rrset'; name: string; type: string }
  | { kind: 'delete-name'; name: string }
  | { kind: 'delete-rr'; rr: UpdateRr };

export interface DnsUpdate {
  zone: string;
  prerequisites: Prerequisite[];
  updates: UpdateOp[];
}

export interface DnsUpdateHandler {
  /** The key with this name (lower-case, no trailing dot), or null when none is usable (unknown, revoked, expired, suspended user): BADKEY. */
  findKey(name: string): Promise<TsigKey | null>;
  /** Apply a verified update all-or-nothing; the rcode to answer. Never throws for bad input. */
  apply(
    update: DnsUpdate,
    key: TsigKey,
    source: { address: string },
  ): Promise<{ rcode: UpdateRcode; reason?: string }>;
}

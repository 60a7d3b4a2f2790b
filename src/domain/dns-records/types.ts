/** Record types, field limits and the shapes shared by pages, jobs and the reconciler. */
export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const isRecordType = (v: string): v is RecordType =>
  (RECORD_TYPES as readonly string[]).includes(v);

export const LIMITS = {
  subdomainMin: 2,
  subdomainMax: 63,
  txtMax: 4000,
  /**
   * Characters of one TXT value as published: quoted strings of at most 255 bytes with escapes
   * (txtPresentationLength). Route53 refuses a longer value ("not to exceed 4,000 characters").
   */
  txtPresentedMax: 4000,
  hostMax: 253,
  portsMax: 100,
  courseMax: 64,
  descriptionMax: 1000,
} as const;

export const DEFAULT_MX_PRIORITY = 10;
/** TTL of every published record set (seconds). */
export const RECORD_TTL = 300;
/** Label reserved for ACME DNS-01 challenges published by the certificates feature. */
export const ACME_CHALLENGE_LABEL = '_acme-challenge';

export type RecordField =
  'subdomain' | 'type' | 'value' | 'priority' | 'ports' | 'course' | 'description';

/** A validated record as users describe it (before it is stored). */
export interface RecordInput {
  subdomain: string;
  type: RecordType;
  value: string;
  priority: number | null;
  ports: string | null;
  course: string | null;
  description: string | null;
}

/** Raw form values (every field a string, missing = ''). */
export type RecordForm = Record<RecordField, string>;

export const TYPE_LABELS: Record<RecordType, string> = {
  A: 'A Record (IPv4 Address)',
  AAAA: 'AAAA Record (IPv6 Address)',
  CNAME: 'CNAME Record (Domain Name)',
  MX: 'MX Record (Mail Server)',
  TXT: 'TXT Record (Text Value)',
};

/**
 * Table types shared by both dialects. Times are epoch milliseconds (BIGINT / INTEGER) so that
 * comparisons and arithmetic behave the same on MySQL and SQLite; booleans are 0/1 integers.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Id = Generated<number>;

export interface UsersTable {
  id: Id;
  username: string;
  /** DNS label derived from the username (lower-cased, dots removed); unique. */
  dns_label: string;
  display_name: string;
  email: string;
  /** Groups from the IdP, JSON array of strings. */
  groups: string;
  role: 'admin' | 'faculty' | 'student';
  /**
   * 'person' for someone who signs in; 'namespace' for the account that holds a shared namespace's
   * label, records, certificate and tokens (never signs in; decision 0026).
   */
  kind: Generated<'person' | 'namespace'>;
  suspended_at: number | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export interface DnsRecordsTable {
  id: Id;
  user_id: number;
  subdomain: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT';
  value: string;
  priority: number | null;
  ports: string | null;
  course: string | null;
  description: string | null;
  expires_at: number;
  /** Reminder thresholds already sent for the current expiry, JSON array of days. */
  reminders_sent: Generated<string>;
  status: Generated<'pending' | 'live' | 'error'>;
  status_message: string | null;
  /** Provider change that carries the record's current state (Route53 change id) while pending. */
  change_id: string | null;
  /** When status last changed. */
  status_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CertificatesTable {
  id: Id;
  user_id: number;
  domain: string;
  status: Generated<'pending' | 'issued' | 'failed' | 'superseded' | 'revoked'>;
  /** Step of the issuance state machine; see domain/certificates. */
  step: Generated<string>;
  order_url: string | null;
  private_key_enc: string | null;
  certificate: string | null;
  chain: string | null;
  valid_from: number | null;
  valid_to: number | null;
  error: string | null;
  reminders_sent: Generated<string>;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
  /** = user_id while pending, NULL otherwise; unique: one request in flight per user. */
  inflight_user_id: number | null;
  /** The issued certificate this request renews (null for a first request). */
  renewal_of: number | null;
  /** Job runs spent on the current step (drives backoff and giving up). */
  step_attempts: Generated<number>;
  /** When the current step started (propagation timeout). */
  step_started_at: number | null;
  revoked_at: number | null;
  /** A worker advancing this certificate holds it until then (null = free). */
  lease_until: number | null;
  /** When the request joined the issuance queue (its place in line). */
  queued_at: Generated<number | null>;
  /** 0 = a renewal of a certificate in use (served first), 1 = everything else. */
  queue_priority: Generated<number>;
  /** Which budget buckets the order draws from: new | renewal | ari-renewal (budget.ts OrderKind). */
  order_kind: Generated<string | null>;
  /** When the budget let the order go to the CA; null while a pending request waits in the queue. */
  order_sent_at: Generated<number | null>;
  /** RFC 9773 certificate id of the certificate this order replaces (sent as `replaces`). */
  replaces: Generated<string | null>;
  /** This certificate's own RFC 9773 id (set when issued). */
  ari_cert_id: Generated<string | null>;
  /** The CA's suggested renewal window (ARI), when it offers one. */
  ari_window_start: Generated<number | null>;
  ari_window_end: Generated<number | null>;
  ari_checked_at: Generated<number | null>;
  /** The CA's explanation of its suggested window (ARI `explanationURL`), shown to the owner. */
  ari_explanation_url: Generated<string | null>;
  /** Consecutive failed renewal-information requests (the backoff exponent; 0 after an answer). */
  ari_failures: Generated<number>;
  /** When to ask the CA for renewal information again. */
  ari_next_check_at: Generated<number | null>;
  /** When the automatic renewal starts (random in the ARI window, or the spread fallback point). */
  renew_at: Generated<number | null>;
  /** The ACME profile the order asked for (null = the CA's default). */
  profile: Generated<string | null>;
  /** Last time the files were downloaded, and how: 'page' (by hand) or 'api' (a token). */
  downloaded_at: Generated<number | null>;
  downloaded_via: Generated<string | null>;
}

export interface AcmeChallengesTable {
  id: Id;
  /** The certificate request that published it; null for a value written by the user's own ACME client. */
  certificate_id: number | null;
  /** Whose namespace the name is in. */
  user_id: number;
  /** The token a client wrote it with (null for the service's own values, or once the token is gone). */
  token_id: Generated<number | null>;
  /** When a client-written value is withdrawn if the client does not remove it (null: the service's own). */
  expires_at: Generated<number | null>;
  /** Fully qualified name, e.g. _acme-challenge.jsmith.example.ca or _acme-challenge.www.jsmith.example.ca */
  name: string;
  value: string;
  created_at: number;
  /** Sync state of the TXT value at the DNS provider, as for dns_records. */
  status: Generated<'pending' | 'live' | 'error'>;
  status_message: string | null;
  change_id: string | null;
  status_at: number | null;
}

export interface SystemStateTable {
  /** Always 1: a single-row table. */
  id: number;
  reconciliation_needed: number;
  last_wipe_at: number | null;
  updated_at: number;
  /** Bumped by every DNS change; the embedded server's SOA serial and the reconciler's watermark. */
  dns_serial: Generated<number>;
  /** dns_zone_changes rows up to this serial have been pruned (a server behind it reloads the whole zone). */
  dns_changes_pruned_serial: Generated<number>;
}

export interface DnsLabelsTable {
  label: string;
  /** Serial of the latest unreconciled change under this label; null when clean. */
  dirty_serial: number | null;
  /** Set once anything was published under the label: from then on the reconciler owns its names. */
  published_at: number | null;
}

/**
 * A shared namespace (decision 0026): what only a namespace has. Its label, records, certificate,
 * tokens and suspension are those of its account (`account_id`, a users row of kind 'namespace').
 */
export interface NamespacesTable {
  id: Id;
  account_id: number;
  description: Generated<string>;
  /** Records allowed in the namespace; null = the operator's per-user limit. */
  record_limit: number | null;
  /** End of term: after it the namespace's records expire like a user's. */
  ends_at: number | null;
  /** Set when the namespace was left without an owner (admins are told and can transfer it). */
  orphaned_at: number | null;
  created_by: number | null;
  created_at: number;
  updated_at: number;
}

export type NamespaceRole = 'owner' | 'editor' | 'viewer';

/** One reason a person is a member: a direct grant (via '') or an SSO group (via = group name). */
export interface NamespaceMembersTable {
  namespace_id: number;
  user_id: number;
  via: string;
  role: NamespaceRole;
  added_by: number | null;
  created_at: number;
}

/** An SSO group linked to a namespace: everyone in it is a member with `role`. */
export interface NamespaceGroupsTable {
  namespace_id: number;
  group_name: string;
  role: NamespaceRole;
  created_at: number;
}

/** Which names a DNS change touched (see migration 20261127140000_dns_zone_changes). */
export interface DnsZoneChangesTable {
  id: Generated<number>;
  serial: number;
  label: string;
  /** The owner name's first label under `label` (a subdomain or `_acme-challenge`); null = all of it. */
  name: string | null;
  created_at: number;
}

export interface DnsReconcileLeasesTable {
  zone: string;
  holder: string;
  expires_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the opaque cookie token; the token itself is never stored. */
  id: string;
  user_id: number;
  csrf_token: string;
  impersonated_user_id: number | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** SAML NameID, its format and SessionIndex from sign-in, for single logout (null for test sessions). */
  idp_name_id: Generated<string | null>;
  idp_name_id_format: Generated<string | null>;
  idp_session_index: Generated<string | null>;
  /** Why the server ended this session's impersonation, until the next request shows it. */
  impersonation_ended: Generated<ImpersonationEndReason | null>;
}

/** Why an impersonation ended without the admin stopping it (shown to the admin, then cleared). */
export type ImpersonationEndReason =
  'target-admin' | 'target-suspended' | 'target-deleted' | 'not-admin';

/** AuthnRequests and LogoutRequests this SP sent and has not yet seen answered (InResponseTo). */
export interface SamlRequestsTable {
  id: string;
  created_at: number;
  expires_at: number;
}

/** Response and assertion IDs already accepted, kept until they would have expired anyway (replay). */
export interface SamlUsedIdsTable {
  id: string;
  expires_at: number;
}

export interface AuditLogTable {
  id: Id;
  at: number;
  actor_user_id: number | null;
  actor_username: string | null;
  effective_user_id: number | null;
  effective_username: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  before_json: string | null;
  after_json: string | null;
  /** The access token the change was made with (null: a page, an admin or the service). */
  token_id: Generated<number | null>;
}

/** Personal access tokens (domain/tokens). */
export interface ApiTokensTable {
  id: Id;
  user_id: number;
  /** Public part of the token, also the TSIG key name's first label; unique. */
  public_id: string;
  name: string;
  /** SHA-256 (hex) of the secret part; the token itself is never stored. */
  secret_hash: string;
  /** The TSIG key (base64), sealed with the key ring: a server needs it in clear to check an HMAC. */
  tsig_secret_enc: string;
  /** JSON array of permissions. */
  permissions: string;
  /** JSON array of name patterns under the user's domain; null = every name. */
  names: string | null;
  /** JSON array of record types; null = every type. */
  types: string | null;
  /** JSON array of CIDR ranges the token may be used from; null = anywhere. */
  subnets: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by_user_id: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
}

export interface EmailOutboxTable {
  id: Id;
  /** Stable RFC 5322 Message-ID, reused on every delivery attempt. */
  message_id: string;
  /** Optional idempotency key: one email per key. */
  dedupe_key: string | null;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  status: Generated<'pending' | 'sending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: number;
  created_at: number;
  sent_at: number | null;
}

export interface BlockedLabelsTable {
  label: string;
  reason: string | null;
  created_at: number;
}

/** One token bucket of the issuance budget (domain/certificates/budget.ts). */
export interface IssuanceBudgetTable {
  bucket_key: string;
  /** Whole tokens left at refilled_at; negative when orders are booked ahead of the refill. */
  level: number;
  refilled_at: number;
  updated_at: number;
}

/** One `rateLimited` answer from the CA; the issuance queue waits until the latest `retry_until`. */
export interface CaRateLimitsTable {
  id: Id;
  at: number;
  retry_until: number;
  certificate_id: number | null;
  /** What we asked: new-order, finalize, … */
  operation: string;
  detail: string;
}

export interface Database {
  users: UsersTable;
  dns_records: DnsRecordsTable;
  certificates: CertificatesTable;
  acme_challenges: AcmeChallengesTable;
  system_state: SystemStateTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  email_outbox: EmailOutboxTable;
  blocked_labels: BlockedLabelsTable;
  saml_requests: SamlRequestsTable;
  saml_used_ids: SamlUsedIdsTable;
  dns_labels: DnsLabelsTable;
  dns_zone_changes: DnsZoneChangesTable;
  dns_reconcile_leases: DnsReconcileLeasesTable;
  api_tokens: ApiTokensTable;
  issuance_budget: IssuanceBudgetTable;
  ca_rate_limits: CaRateLimitsTable;
  namespaces: NamespacesTable;
  namespace_members: NamespaceMembersTable;
  namespace_groups: NamespaceGroupsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type DnsRecordRow = Selectable<DnsRecordsTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type OutboxRow = Selectable<EmailOutboxTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type { ColumnType };
/** A namespace with its account's label and suspension. */
export type Namespace = Selectable<NamespacesTable> & {
  label: string;
  suspended_at: number | null;
};

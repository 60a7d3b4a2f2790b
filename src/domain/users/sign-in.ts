/**
 * Sign-in use-case: the IdP's verified word → a refreshed user row, a new server-side session and an audit
 * row. Protocol problems surface as SignInRejected (from the identity-provider port); policy refusals
 * (label taken, not in a group, suspended, unusable username) as SignInRefused.
 */
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { insertAuditLog } from '../../db/repos/audit-log.js';
import { findUserByDnsLabel, insertUser, updateUser } from '../../db/repos/users.js';
import type { NewUser, User } from '../../db/schema.js';
import type { Clock } from '../../ports/clock.js';
import type { IdentityProvider, VerifiedIdentity } from '../../ports/identity-provider.js';
import { syncGroupMemberships } from '../namespaces/namespaces.js';
import { normaliseEmailAddress } from '../notifications/email-address.js';
import { createSession, destroySession } from '../sessions/sessions.js';
import { dnsLabelFor, roleFromGroups } from './roles.js';

export type RefusalCode =
  | 'missing-username'
  | 'invalid-username'
  | 'invalid-email'
  | 'label-taken'
  | 'not-in-group'
  | 'suspended';

/** Sign-in refused by our rules although the IdP vouched for the person. */
export class SignInRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly username: string | null,
    message: string,
    /** For the operator's log: what exactly was wrong (the message is for the person). */
    readonly detail: string | null = null,
  ) {
    super(message);
    this.name = 'SignInRefused';
  }
}

export interface SignInDeps {
  db: Db;
  clock: Clock;
  idp: IdentityProvider;
  config: Pick<Config, 'saml' | 'sessionSecret' | 'session'>;
}

export interface SignedIn {
  user: User;
  /** Signed session cookie value. */
  cookie: string;
  /** The request id the response answered (no longer pending for this browser). */
  answered: string;
}

/**
 * Verify a POSTed SAMLResponse, create or refresh the user, end any previous session of this browser and
 * start a new one. `startedHere` are the sign-in request ids this browser started: a response to any
 * other request is refused (login CSRF). Throws SignInRejected (bad message, or not started here) or
 * SignInRefused (policy); writes nothing then.
 */
export async function signInWithSamlResponse(
  deps: SignInDeps,
  form: Record<string, string>,
  context: {
    requestId: string | null;
    previousSessionId: string | null;
    startedHere: readonly string[];
  },
): Promise<SignedIn> {
  const identity = await deps.idp.verifyLoginResponse(form, context.startedHere);
  const user = await upsertUserFromIdentity(deps, identity);
  const now = deps.clock.now();
  if (context.previousSessionId) await destroySession(deps.db, context.previousSessionId);
  const session = await createSession(
    deps.db,
    {
      secret: deps.config.sessionSecret,
      idleTimeoutMs: deps.config.session.idleTimeoutMs,
      absoluteTimeoutMs: deps.config.session.absoluteTimeoutMs,
    },
    user.id,
    now,
    {
      nameId: identity.nameId,
      nameIdFormat: identity.nameIdFormat,
      sessionIndex: identity.sessionIndex,
    },
  );
  await insertAuditLog(deps.db, {
    at: now,
    actor_user_id: user.id,
    actor_username: user.username,
    effective_user_id: user.id,
    effective_username: user.username,
    action: 'sign-in',
    target_type: 'user',
    target_id: String(user.id),
    request_id: context.requestId,
    before_json: null,
    after_json: JSON.stringify({ role: user.role, groups: JSON.parse(user.groups) as unknown }),
  });
  return { user, cookie: session.cookie, answered: identity.inResponseTo };
}

const first = (values: string[] | undefined) =>
  (values ?? []).map((v) => v.trim()).find((v) => v !== '') ?? null;

/**
 * Free text from the IdP (display name, group names) as pages and email bodies may show it: control and
 * invisible formatting characters (line breaks, NUL, bidirectional overrides, zero-width characters)
 * become spaces, runs of white space one space, and the result is cut to `max` characters.
 */
export function cleanIdpText(value: string, max = 255): string {
  const cleaned = value
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return Array.from(cleaned).slice(0, max).join('').trim();
}

/**
 * Create the user at first sign-in, otherwise refresh name, email, groups and role. The same person may
 * arrive with different letter case (directories are case-insensitive); a different username that maps
 * to an existing DNS label is refused rather than sharing that label's records.
 */
export async function upsertUserFromIdentity(
  deps: Pick<SignInDeps, 'db' | 'clock' | 'config'>,
  identity: VerifiedIdentity,
): Promise<User> {
  const names = deps.config.saml.attributes;
  const username = first(identity.attributes[names.username]);
  if (!username || username.length > 191)
    throw new SignInRefused(
      'missing-username',
      null,
      `The identity provider did not send a username (attribute "${names.username}").`,
    );
  const label = dnsLabelFor(username);
  if (!label)
    throw new SignInRefused(
      'invalid-username',
      username,
      `The username "${username}" cannot be turned into a DNS name (only letters, digits, dots and hyphens, at most 63 characters).`,
    );
  const groups = [
    ...new Set(
      (identity.attributes[names.groups] ?? []).map((g) => cleanIdpText(g)).filter(Boolean),
    ),
  ];
  const { role, member } = roleFromGroups(groups, deps.config.saml.rolePatterns);
  if (deps.config.saml.requireGroup && !member)
    throw new SignInRefused(
      'not-in-group',
      username,
      'Your account is not in any of the groups allowed to use this service.',
    );
  const displayName = cleanIdpText(first(identity.attributes[names.displayName]) ?? '') || username;
  const email = checkedEmail(identity.attributes[names.email], names.email, username);
  const now = deps.clock.now();
  const fields = {
    display_name: displayName,
    email,
    groups: JSON.stringify(groups),
    role,
    updated_at: now,
    last_login_at: now,
  };

  const user = await upsertUserRow(deps.db, username, label, now, fields);
  // Namespaces linked to the person's groups: joined and left exactly as the groups say today.
  await syncGroupMemberships(deps.db, user, groups, now);
  return user;
}

async function upsertUserRow(
  db: SignInDeps['db'],
  username: string,
  label: string,
  now: number,
  fields: Omit<NewUser, 'username' | 'dns_label' | 'created_at'>,
): Promise<User> {
  const existing = await findUserByDnsLabel(db, label);
  if (existing) {
    if (existing.kind === 'namespace') throw labelHeldByNamespace(username, label);
    if (existing.username.toLowerCase() !== username.toLowerCase())
      throw labelTaken(username, label);
    if (existing.suspended_at !== null)
      throw new SignInRefused('suspended', username, 'Your account has been suspended.');
    return updateUser(db, existing.id, fields);
  }
  try {
    return await insertUser(db, { username, dns_label: label, created_at: now, ...fields });
  } catch (err) {
    // Two first sign-ins racing for one label: the loser sees the winner's row. The winner may be a
    // namespace created meanwhile (people and namespaces share one label space, decision 0026).
    const winner = await findUserByDnsLabel(db, label);
    if (!winner) throw err;
    if (winner.kind === 'namespace') throw labelHeldByNamespace(username, label);
    if (winner.username.toLowerCase() !== username.toLowerCase()) throw labelTaken(username, label);
    return updateUser(db, winner.id, fields);
  }
}

/** The address the IdP asserted, normalised; refuses the sign-in when there is none or it is garbage. */
function checkedEmail(values: string[] | undefined, attribute: string, username: string): string {
  const given = first(values);
  if (given === null)
    throw new SignInRefused(
      'invalid-email',
      username,
      `Your organisation's sign-in service did not send an email address for you (attribute "${attribute}"). This service needs one to warn you before your DNS records and certificate expire. Ask your IT service desk to add it to your account, then sign in again.`,
      'no email address',
    );
  const checked = normaliseEmailAddress(given);
  if (!checked.ok) {
    const shown = JSON.stringify(given.length > 80 ? `${given.slice(0, 80)}…` : given);
    throw new SignInRefused(
      'invalid-email',
      username,
      `The email address your organisation's sign-in service sent for you, ${shown}, cannot be used: ${checked.reason}. Ask your IT service desk to correct the email address of your account, then sign in again.`,
      `email ${JSON.stringify(given.slice(0, 300))}: ${checked.reason}`,
    );
  }
  return checked.address;
}

const labelHeldByNamespace = (username: string, label: string) =>
  new SignInRefused(
    'label-taken',
    username,
    `Your username "${username}" maps to the domain name "${label}", which is already used by a shared namespace (a course, team or club). An administrator can rename or remove that namespace so that you can sign in.`,
    `label held by namespace ${label}`,
  );

const labelTaken = (username: string, label: string) =>
  new SignInRefused(
    'label-taken',
    username,
    `Your username "${username}" maps to the domain name "${label}", which already belongs to another account. To keep that account's records private you cannot sign in until an administrator resolves this.`,
  );

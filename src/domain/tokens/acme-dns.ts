/**
 * acme-dns compatibility: the credentials a client with an acme-dns provider (lego `acmedns`, Caddy's
 * acmedns module, cert-manager's acmeDNS solver, certbot-dns-acmedns) stores for one domain, and the
 * mapping from the `subdomain` such a client sends back to the challenge name it may write.
 *
 * Unlike a stand-alone acme-dns server there is no CNAME to set up: the service is authoritative for
 * the user's names, so `fulldomain` is the challenge name itself. `subdomain` is the name the
 * certificate is for, relative to the user's base name (`@` for `{user}.{root}`, which its wildcard
 * shares); `username` is the token's public id and `password` the token.
 */
import type { User } from '../../db/schema.js';

export interface AcmeDnsCredentials {
  username: string;
  password: string;
  subdomain: string;
  fulldomain: string;
  server_url: string;
  allowfrom: string[];
}

/** `@` (the base name) or a relative name such as `www` / `lab.www`: the names whose challenge may be written. */
const SUBDOMAIN =
  /^(@|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)?)$/;

/** The relative challenge record name (`_acme-challenge` or `_acme-challenge.<sub>`) of a `subdomain`, or null when malformed. */
export function challengeNameOf(subdomain: string): string | null {
  const s = subdomain.trim().toLowerCase().replace(/\.$/, '');
  if (!SUBDOMAIN.test(s)) return null;
  return s === '@' ? '_acme-challenge' : `_acme-challenge.${s}`;
}

/**
 * The acme-dns account a client stores for the certificate name `relative` (`@` for the base name),
 * given the token's public id, the token itself (shown once, right after creation) and its subnets.
 */
export function acmeDnsCredentials(
  config: { appUrl: string; rootDomain: string },
  user: Pick<User, 'dns_label'>,
  token: { publicId: string; secret: string; subnets: readonly string[] | null },
  relative = '@',
): AcmeDnsCredentials {
  const base = `${user.dns_label}.${config.rootDomain}`;
  const rel = challengeNameOf(relative);
  if (rel === null) throw new Error(`not a name under the user's base name: ${relative}`);
  return {
    username: token.publicId,
    password: token.secret,
    subdomain: relative === '@' ? '@' : relative.toLowerCase(),
    fulldomain: `${rel}.${base}`,
    server_url: `${config.appUrl.replace(/\/+$/, '')}/acme-dns`,
    allowfrom: [...(token.subnets ?? [])],
  };
}

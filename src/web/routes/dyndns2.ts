/**
 * Dynamic DNS, dyndns2 dialect (`GET /nic/update`, as ddclient, routers and inadyn speak it): HTTP
 * Basic with the account's username and a personal access token; `hostname` (comma-separated FQDNs under
 * the user's domain), `myip` (IPv4 and/or IPv6, comma-separated), `myipv6`, else the caller's address.
 * The answer is text/plain, one protocol word per hostname (docs/decisions/0018-update-protocols.md):
 *
 *   good <ip>   set (created or changed)          200     nohost   not yours / outside the token   200
 *   nochg <ip>  already so (nothing written)      200     notfqdn  not a host name                  200
 *   badauth     wrong or unusable credentials     401     numhost  too many hostnames               200
 *   abuse       rate limited (Retry-After)        429     dnserr   refused by the record rules      200
 *   911         server trouble, try later         500
 *
 * A thin edge: parse, authenticate, check scope, then setAddressRecords per hostname.
 */
import { isIP } from 'node:net';
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Container } from '../../container.js';
import { setAddressRecords } from '../../domain/dns-records/address-records.js';
import { limitRequest, limitWrite, RateLimited } from '../../domain/tokens/rate-limits.js';
import { plainAddress, recordProblem } from '../../domain/tokens/scope.js';
import { type TokenAuth, TokenRefused, authenticateToken } from '../../domain/tokens/tokens.js';
import { isAppError } from '../../errors.js';
import { clientAddress } from '../client-address.js';
import type { AppEnv } from '../env.js';

/** Hostnames one request may update (DynDNS allowed 20; routers send one). */
export const MAX_HOSTNAMES = 10;
/** Longest request URL looked at; longer ones are refused unread (notfqdn). */
const MAX_QUERY = 2048;
/** dyndns2 clients poll; last use is recorded at most this often (or when the address changes). */
const LAST_USE_EVERY_MS = 3_600_000;

type Ctx = Context<AppEnv>;

const HEADERS = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' };

function answer(c: Ctx, lines: string[], status: 200 | 401 | 429 | 500 = 200, extra = {}) {
  return c.body(lines.join('\n') + '\n', status, { ...HEADERS, ...extra });
}

const badauth = (c: Ctx) =>
  answer(c, ['badauth'], 401, { 'WWW-Authenticate': 'Basic realm="dyndns2", charset="UTF-8"' });

/** `Authorization: Basic …` → username and password, or null. */
function basicCredentials(header: string | undefined): { user: string; pass: string } | null {
  if (!header || header.length > 512) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Split `myip`/`myipv6` into families; null when an entry is not an address. */
function parseAddresses(values: string[]): { ipv4: string[]; ipv6: string[] } | null {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const v of values.flatMap((s) => s.split(','))) {
    const a = plainAddress(v.trim());
    if (a === '') continue;
    const family = isIP(a);
    if (family === 4) ipv4.push(a);
    else if (family === 6 && !a.includes('%')) ipv6.push(a.toLowerCase());
    else return null;
  }
  return { ipv4, ipv6 };
}

const FQDN = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/;

export function dyndns2Routes(container: Container) {
  const { config, rateLimiter } = container;
  const deps = container.jobDeps;
  const base = (auth: TokenAuth) => `${auth.user.dns_label}.${config.rootDomain}`.toLowerCase();
  const app = new Hono<AppEnv>();

  const update = async (c: Ctx) => {
    const log = c.get('log');
    const refuse = (reason: string, words: string[], extra: Record<string, unknown> = {}) => {
      log.info({ reason, ...extra }, 'dyndns2 update refused');
      return answer(c, words);
    };
    const creds = basicCredentials(c.req.header('authorization'));
    if (!creds) {
      log.info({ reason: 'no-credentials' }, 'dyndns2 update refused');
      return badauth(c);
    }
    const address = clientAddress(c, config.http.trustedProxies);
    let auth: TokenAuth;
    try {
      auth = await authenticateToken(deps, creds.pass, address, c.get('requestId'), {
        lastUseEveryMs: LAST_USE_EVERY_MS,
      });
    } catch (e) {
      if (!(e instanceof TokenRefused)) throw e;
      log.info({ reason: `token-${e.reason}`, address }, 'dyndns2 update refused');
      return badauth(c);
    }
    const who = { userId: auth.user.id, tokenId: auth.token.id };
    if (creds.user.toLowerCase() !== auth.user.username.toLowerCase()) {
      log.info({ reason: 'username-mismatch', ...who }, 'dyndns2 update refused');
      return badauth(c);
    }
    if (!auth.scope.permissions.includes('records:write')) {
      log.info({ reason: 'no records:write permission', ...who }, 'dyndns2 update refused');
      return badauth(c);
    }
    await limitRequest(rateLimiter, config.tokens.rateLimits, auth);

    if (c.req.url.length > MAX_QUERY) return refuse('query too long', ['notfqdn'], who);
    const hostnames = (c.req.queries('hostname') ?? [])
      .flatMap((h) => h.split(','))
      .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
      .filter((h) => h !== '');
    if (hostnames.length === 0) return refuse('no hostname', ['notfqdn'], who);
    if (hostnames.length > MAX_HOSTNAMES)
      return refuse(`${hostnames.length} hostnames`, ['numhost'], who);

    const myip = [...(c.req.queries('myip') ?? []), ...(c.req.queries('myipv6') ?? [])];
    let addresses = parseAddresses(myip);
    if (addresses === null)
      return refuse(
        'bad address',
        hostnames.map(() => 'dnserr'),
        who,
      );
    if (addresses.ipv4.length === 0 && addresses.ipv6.length === 0)
      addresses = parseAddresses([address]) ?? { ipv4: [], ipv6: [] };
    if (addresses.ipv4.length === 0 && addresses.ipv6.length === 0)
      return refuse(
        'no address',
        hostnames.map(() => 'dnserr'),
        who,
      );
    // A family not given keeps its records (routers often update IPv4 and IPv6 in separate requests).
    const wanted = {
      ipv4: addresses.ipv4.length ? addresses.ipv4 : null,
      ipv6: addresses.ipv6.length ? addresses.ipv6 : null,
    };
    const types = [...(wanted.ipv4 ? ['A'] : []), ...(wanted.ipv6 ? ['AAAA'] : [])];
    const suffix = `.${base(auth)}`;

    const lines: string[] = [];
    // Past the hourly change limit, this host and the rest answer abuse; those done before keep theirs.
    let limited: RateLimited | null = null;
    for (const host of hostnames) {
      if (limited) {
        lines.push('abuse');
        continue;
      }
      if (!FQDN.test(host)) {
        lines.push('notfqdn');
        log.info({ reason: 'not a host name', ...who }, 'dyndns2 update refused');
        continue;
      }
      const rel = host.endsWith(suffix) ? host.slice(0, -suffix.length) : null;
      const denied =
        rel === null || rel.includes('.')
          ? `${host} is not a name under ${base(auth)}`
          : types.map((t) => recordProblem(auth.scope, 'records:write', rel, t)).find(Boolean);
      if (denied || rel === null) {
        lines.push('nohost');
        log.info({ reason: denied, ...who }, 'dyndns2 update refused');
        continue;
      }
      try {
        const r = await setAddressRecords(deps, auth.actor, rel, wanted, {
          beforeWrite: () => limitWrite(rateLimiter, config.tokens.rateLimits, auth),
        });
        const now = [...(wanted.ipv4 ? r.ipv4 : []), ...(wanted.ipv6 ? r.ipv6 : [])];
        lines.push(`${r.changed ? 'good' : 'nochg'} ${now.join(',')}`);
        if (r.changed || r.renewed)
          log.info({ host, changed: r.changed, renewed: r.renewed, ...who }, 'dyndns2 update');
      } catch (e) {
        if (e instanceof RateLimited) {
          limited = e;
          lines.push('abuse');
          log.info({ reason: 'rate limited', host, ...who }, 'dyndns2 update refused');
          continue;
        }
        if (!isAppError(e)) throw e;
        // The record rules said no: a reserved or blocked name, a CNAME there, the record limit.
        lines.push(e.code === 'INVALID_INPUT' && 'subdomain' in e.fields ? 'nohost' : 'dnserr');
        log.info({ reason: e.message, host, ...who }, 'dyndns2 update refused');
      }
    }
    if (limited)
      return answer(c, lines, lines.every((l) => l === 'abuse') ? 429 : 200, {
        'Retry-After': String(limited.retryAfterS),
      });
    return answer(c, lines);
  };

  const handler = async (c: Ctx) => {
    try {
      return await update(c);
    } catch (e) {
      if (e instanceof RateLimited) {
        c.get('log').info({ reason: 'rate limited' }, 'dyndns2 update refused');
        return answer(c, ['abuse'], 429, { 'Retry-After': String(e.retryAfterS) });
      }
      c.get('log').error({ err: e }, 'dyndns2 update failed');
      return answer(c, ['911'], 500);
    }
  };
  // GET is what clients send; some routers use POST with the same query string and no body.
  for (const path of ['/nic/update', '/v3/update']) {
    app.get(path, handler);
    app.post(path, handler);
  }
  return app;
}

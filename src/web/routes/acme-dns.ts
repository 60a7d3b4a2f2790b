/**
 * acme-dns-compatible update (`POST /acme-dns/update`; a client's `server_url` is `{APP_URL}/acme-dns`),
 * for ACME clients with an acme-dns provider (lego `acme-dns`, Caddy, cert-manager, certbot-dns-acmedns).
 * Credentials as src/domain/tokens/acme-dns.ts gives them: `X-Api-User` = the token's public id,
 * `X-Api-Key` = the token, JSON `{"subdomain", "txt"}` with `subdomain` `@` (the user's base name, shared
 * by its wildcard) or a relative name. Answers as acme-dns does:
 *
 *   200 {"txt": "<value>"}   401 {"error": "forbidden"}   400 {"error": "bad_subdomain" | "bad_txt" |
 *   "malformed_json_payload"}   429 {"error": "too_many_requests"} (Retry-After)   500 {"error": "db_error"}
 *
 * The value goes to the `_acme-challenge` name through addClientChallenge, keeping the two most recent
 * values as acme-dns does (a name and its wildcard validate together). Nothing else can be written here.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Container } from '../../container.js';
import { addClientChallenge } from '../../domain/dns-records/client-challenges.js';
import { challengeNameOf } from '../../domain/tokens/acme-dns.js';
import { limitRequest, limitWrite, RateLimited } from '../../domain/tokens/rate-limits.js';
import { recordProblem } from '../../domain/tokens/scope.js';
import { type TokenAuth, TokenRefused, authenticateToken } from '../../domain/tokens/tokens.js';
import { isAppError } from '../../errors.js';
import { readBody } from '../body.js';
import { clientAddress } from '../client-address.js';
import type { AppEnv } from '../env.js';

/** The largest update body read (the real one is under 100 bytes). */
export const MAX_ACME_DNS_BODY = 4096;
/** acme-dns's own rule for a value: a 43-character base64url SHA-256 digest (RFC 8555 §8.4). */
const TXT = /^[A-Za-z0-9_-]{43}$/;
/** Values kept per name: acme-dns keeps two, so `name` and `*.name` validate in one order. */
export const ACME_DNS_KEEP = 2;

type Ctx = Context<AppEnv>;
type Status = 200 | 400 | 401 | 413 | 429 | 500;

const json = (c: Ctx, body: object, status: Status, extra: Record<string, string> = {}) =>
  c.body(JSON.stringify(body), status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    ...extra,
  });

export function acmeDnsRoutes(container: Container) {
  const { config, rateLimiter } = container;
  const deps = container.jobDeps;
  const app = new Hono<AppEnv>();

  const update = async (c: Ctx) => {
    const log = c.get('log');
    const refuse = (status: Status, error: string, reason: string, extra: object = {}) => {
      log.info({ reason, ...extra }, 'acme-dns update refused');
      return json(c, { error }, status);
    };
    const user = c.req.header('x-api-user') ?? '';
    const key = c.req.header('x-api-key') ?? '';
    if (user === '' || key === '') return refuse(401, 'forbidden', 'no credentials');
    let auth: TokenAuth;
    try {
      auth = await authenticateToken(
        deps,
        key,
        clientAddress(c, config.http.trustedProxies),
        c.get('requestId'),
      );
    } catch (e) {
      if (!(e instanceof TokenRefused)) throw e;
      return refuse(401, 'forbidden', `token-${e.reason}`);
    }
    const who = { userId: auth.user.id, tokenId: auth.token.id };
    if (user !== auth.token.public_id) return refuse(401, 'forbidden', 'X-Api-User mismatch', who);
    await limitRequest(rateLimiter, config.tokens.rateLimits, auth);

    const raw = await readBody(c);
    if (raw.length > MAX_ACME_DNS_BODY)
      return refuse(413, 'malformed_json_payload', `body of ${raw.length} bytes`, who);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse(400, 'malformed_json_payload', 'not JSON', who);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return refuse(400, 'malformed_json_payload', 'not a JSON object', who);
    const { subdomain, txt } = body as Record<string, unknown>;
    const rel = typeof subdomain === 'string' ? challengeNameOf(subdomain) : null;
    if (rel === null) return refuse(400, 'bad_subdomain', 'bad subdomain', who);
    if (typeof txt !== 'string' || !TXT.test(txt)) return refuse(400, 'bad_txt', 'bad txt', who);
    const denied = recordProblem(auth.scope, 'records:write', rel, 'TXT');
    if (denied) return refuse(401, 'forbidden', denied, who);
    await limitWrite(rateLimiter, config.tokens.rateLimits, auth);
    try {
      const r = await addClientChallenge(deps, auth.actor, rel, txt, { keepLatest: ACME_DNS_KEEP });
      log.info({ name: r.name, changed: r.changed, ...who }, 'acme-dns update');
    } catch (e) {
      if (isAppError(e) && e.code === 'INVALID_INPUT')
        return refuse(400, 'name' in e.fields ? 'bad_subdomain' : 'bad_txt', e.message, who);
      throw e;
    }
    return json(c, { txt }, 200);
  };

  app.post('/acme-dns/update', async (c) => {
    try {
      return await update(c);
    } catch (e) {
      if (e instanceof RateLimited) {
        c.get('log').info({ reason: 'rate limited' }, 'acme-dns update refused');
        return json(c, { error: 'too_many_requests' }, 429, {
          'Retry-After': String(e.retryAfterS),
        });
      }
      if (isAppError(e) && e.code === 'PAYLOAD_TOO_LARGE') {
        c.get('log').info({ reason: 'body too large' }, 'acme-dns update refused');
        return json(c, { error: 'malformed_json_payload' }, 413);
      }
      c.get('log').error({ err: e }, 'acme-dns update failed');
      return json(c, { error: 'db_error' }, 500);
    }
  });
  return app;
}

/**
 * REST API v1 (mounted at /api/v1 by app.tsx, before the session middleware: a session cookie never
 * authenticates it, so CSRF does not apply; no CORS headers are ever sent and preflights are refused).
 * A thin edge: every operation in OPERATIONS goes through one pipeline — bearer token
 * (authenticateToken, address ranges) → per-request rate limit → permission → path, query and body
 * validated by the operation's schemas → its handler, which checks the token's names and types, counts
 * a change against the hourly write limit, and calls the same domain function as the pages with the
 * token as the actor (audit rows carry token_id). Every refusal is a problem+json document and one log
 * line with the reason; nothing but a bug is a 500.
 */
import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { certificatePfx } from '../certificate-pfx.js';
import { encodeTxt } from '../../adapters/dns/route53-values.js';
import type { Container } from '../../container.js';
import type { CertificateRow, DnsRecordRow } from '../../db/schema.js';
import {
  getCertificateOverview,
  getCertificatePart,
  recordCertificateDownload,
} from '../../domain/certificates/certificates.js';
import type { CertificateDeps } from '../../domain/certificates/issuance.js';
import { queuePlace } from '../../domain/certificates/queue.js';
import {
  type DnsRecordDeps,
  baseDomainOf,
  createDnsRecord,
  deleteDnsRecord,
  getDnsRecord,
  renewDnsRecord,
  updateDnsRecord,
} from '../../domain/dns-records/dns-records.js';
import { queryDnsRecords } from '../../domain/dns-records/record-query.js';
import { recordToForm } from '../../domain/dns-records/rules.js';
import { DEFAULT_MX_PRIORITY, RECORD_TTL } from '../../domain/dns-records/types.js';
import { RateLimited, limitRequest, limitWrite } from '../../domain/tokens/rate-limits.js';
import { permissionProblem, recordProblem, visibleName } from '../../domain/tokens/scope.js';
import { type TokenAuth, TokenRefused, authenticateToken } from '../../domain/tokens/tokens.js';
import { isAppError } from '../../errors.js';
import { hasBody, mediaType, readBody } from '../body.js';
import { clientAddress } from '../client-address.js';
import type { AppEnv } from '../env.js';
import { limitBodies } from '../middleware/request-body.js';
import { buildOpenApi } from './openapi.js';
import {
  OPERATIONS,
  OPERATION_LIST,
  type Operation,
  type OperationId,
  honoPath,
} from './operations.js';
import {
  ApiProblem,
  PROBLEMS,
  PROBLEM_JSON,
  type ProblemKind,
  kindOfCode,
  problemBody,
} from './problem.js';

const statusOf = (kind: ProblemKind) => PROBLEMS[kind].status as 400;
import { type ApiRecord, DEFAULT_LIMIT, MAX_LIMIT, type RecordCreate } from './schemas.js';

export type ApiEnv = { Variables: AppEnv['Variables'] & { apiTokenId?: number } };
type Ctx = Context<ApiEnv>;

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;
interface Input<O extends Operation> {
  c: Ctx;
  auth: TokenAuth;
  params: z.infer<NonNullable<O['params']>>;
  query: Infer<O['query']>;
  body: Infer<O['body']>;
}
type Handlers = {
  [K in OperationId]: (input: Input<(typeof OPERATIONS)[K]>) => Promise<Response>;
};

const NO_STORE = { 'Cache-Control': 'no-store' };
const JSON_TYPE = 'application/json; charset=utf-8';
const CHALLENGE = 'Bearer realm="api"';
const utf8 = new TextDecoder('utf-8', { fatal: true });

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** Field names the domain uses → the API's (the form calls the name "subdomain"). */
const apiField = (f: string) => (f === 'subdomain' ? 'name' : f);
const apiFields = (fields: Record<string, string>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [apiField(k), v]));

/** Zod issues → one message per field (the first), unknown keys named as such. */
function fieldErrors(error: z.ZodError, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out[k.slice(0, 100)] ??= `Unknown ${where}.`;
      continue;
    }
    const key = issue.path.length ? issue.path.map(String).join('.') : '(body)';
    out[key] ??=
      issue.code === 'invalid_type' && issue.input === undefined ? 'Required.' : issue.message;
  }
  return out;
}

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiProblem(
    'invalid-input',
    `Check the ${where}s named in "errors".`,
    fieldErrors(r.error, where),
    {},
    `invalid ${where}`,
  );
}

/** Query parameters as single strings; a repeated one is an error. */
function queryObject(c: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const [k, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) errors[k.slice(0, 100)] = 'Give this parameter once.';
    else out[k] = values[0]!;
  }
  if (Object.keys(errors).length)
    throw new ApiProblem('invalid-input', 'A query parameter is repeated.', errors, {}, 'query');
  return out;
}

async function readJson(c: Ctx): Promise<unknown> {
  if (mediaType(c) !== 'application/json')
    throw new ApiProblem(
      'unsupported-media-type',
      `Send the body as JSON with "Content-Type: application/json" (got ${JSON.stringify(mediaType(c).slice(0, 100) || 'none')}).`,
    );
  const raw = await readBody(c);
  if (raw.length === 0) throw new ApiProblem('malformed-json', 'The request needs a JSON object.');
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new ApiProblem('malformed-json', 'The body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiProblem(
      'malformed-json',
      `The body is not valid JSON: ${(e as Error).message.slice(0, 200)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiProblem('malformed-json', 'The body must be a JSON object.');
  return value;
}

const scopeRefusal = (problem: string) =>
  new ApiProblem('forbidden', problem, undefined, {}, 'scope');

const etagOf = (cert: CertificateRow, part: string) =>
  `"${createHash('sha256')
    .update(`${cert.id}\n${part}\n${cert.certificate ?? ''}\n${cert.chain ?? ''}`)
    .digest('base64url')
    .slice(0, 27)}"`;

/** If-None-Match (RFC 9110 §13.1.2: weak comparison, `*`, a list). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .includes(bare);
}

/** One record as the API shows it. */
function toApi(r: DnsRecordRow, base: string): ApiRecord {
  return {
    id: r.id,
    name: r.subdomain,
    fqdn: `${r.subdomain}.${base}`,
    type: r.type,
    value: r.value,
    priority: r.type === 'MX' ? r.priority : null,
    ports: r.ports,
    course: r.course,
    description: r.description,
    status: r.status,
    statusMessage: r.status_message,
    expiresAt: iso(r.expires_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** API fields → the form the domain validates (every field a string, as the page posts them). */
function toForm(b: Partial<RecordCreate>): Record<string, string> {
  const out: Record<string, string> = {};
  if (b.name !== undefined) out.subdomain = b.name;
  if (b.type !== undefined) out.type = b.type;
  if (b.value !== undefined) out.value = b.value;
  if (b.priority !== undefined) out.priority = b.priority === null ? '' : String(b.priority);
  for (const k of ['ports', 'course', 'description'] as const)
    if (b[k] !== undefined) out[k] = b[k] ?? '';
  return out;
}

const fqdnValue = (host: string) => (host.endsWith('.') ? host : `${host}.`);

/** The records as a BIND zone-file fragment relative to `base`. */
function zoneFragment(records: DnsRecordRow[], base: string, generated: number): string {
  const lines = [
    `; ${records.length} record(s) of ${base}, generated ${iso(generated)}`,
    `$ORIGIN ${base}.`,
    `$TTL ${RECORD_TTL}`,
  ];
  for (const r of records) {
    const value =
      r.type === 'TXT'
        ? encodeTxt(r.value)
        : r.type === 'CNAME'
          ? fqdnValue(r.value)
          : r.type === 'MX'
            ? `${r.priority ?? DEFAULT_MX_PRIORITY} ${fqdnValue(r.value)}`
            : r.value;
    lines.push(`${r.subdomain}\t${RECORD_TTL}\tIN\t${r.type}\t${value}`);
  }
  return `${lines.join('\n')}\n`;
}

export function apiRoutes(container: Container): Hono<ApiEnv> {
  const { config, logger } = container;
  const db = container.dbh.db;
  const recordDeps: DnsRecordDeps = {
    db,
    config,
    clock: container.clock,
    queue: container.queue,
    logger,
  };
  const certDeps: CertificateDeps = {
    db,
    config,
    clock: container.clock,
    queue: container.queue,
    logger,
    ca: container.ca,
    dnsChecker: container.dnsChecker,
    dns: container.dns,
    mailer: container.mailer,
  };
  const limits = config.tokens.rateLimits;
  const openapi = JSON.stringify(buildOpenApi(config.appUrl, config.productName));
  const base = (auth: TokenAuth) => baseDomainOf(auth.user, config.rootDomain);
  const json = (c: Ctx, body: unknown, status: 200 | 201 = 200, headers = {}) =>
    c.body(JSON.stringify(body), status, { 'Content-Type': JSON_TYPE, ...NO_STORE, ...headers });
  const write = (auth: TokenAuth) => limitWrite(container.rateLimiter, limits, auth);
  /** The owner's record `id`, when the token may `permission` it (403 naming what it lacks). */
  const recordFor = async (
    auth: TokenAuth,
    id: string,
    permission: 'records:read' | 'records:write',
  ) => {
    const r = await getDnsRecord(recordDeps, auth.user, Number(id));
    const problem = recordProblem(auth.scope, permission, r.subdomain, r.type);
    if (problem) throw scopeRefusal(problem);
    return r;
  };

  const handlers: Handlers = {
    async listRecords({ c, auth, query }) {
      if (query.page !== undefined && query.cursor !== undefined)
        throw new ApiProblem(
          'invalid-input',
          'Give either page or cursor.',
          { cursor: 'Give either page or cursor, not both.' },
          {},
          'query',
        );
      const limit = Math.min(MAX_LIMIT, Math.max(1, Number(query.limit ?? DEFAULT_LIMIT)));
      const page = await queryDnsRecords(recordDeps, auth.user, {
        name: query.name,
        type: query.type,
        visible: (r) => visibleName(auth.scope, r.subdomain, r.type),
        page: query.page === undefined ? undefined : Number(query.page),
        after: query.cursor === undefined ? undefined : Number(query.cursor),
        limit,
      });
      return json(c, {
        records: page.records.map((r) => toApi(r, base(auth))),
        total: page.total,
        page: page.page,
        pages: page.pages,
        limit,
        nextCursor: page.nextAfter === null ? null : String(page.nextAfter),
      });
    },

    async getRecord({ c, auth, params }) {
      return json(c, toApi(await recordFor(auth, params.id, 'records:read'), base(auth)));
    },

    async createRecord({ c, auth, body }) {
      const problem = recordProblem(auth.scope, 'records:write', body.name, body.type);
      if (problem) throw scopeRefusal(problem);
      await write(auth);
      const r = await createDnsRecord(recordDeps, auth.actor, toForm(body));
      return json(c, toApi(r, base(auth)), 201, {
        Location: `${config.appUrl.replace(/\/+$/, '')}/api/v1/records/${r.id}`,
      });
    },

    async updateRecord({ c, auth, params, body }) {
      if (Object.keys(body).length === 0)
        throw new ApiProblem('invalid-input', 'Give at least one field to change.', {}, {}, 'body');
      const before = await recordFor(auth, params.id, 'records:write');
      const form = { ...recordToForm(before), ...toForm(body) };
      const problem = recordProblem(auth.scope, 'records:write', form.subdomain, form.type);
      if (problem) throw scopeRefusal(problem);
      await write(auth);
      const r = await updateDnsRecord(recordDeps, auth.actor, before.id, form);
      return json(c, toApi(r, base(auth)));
    },

    async deleteRecord({ c, auth, params }) {
      const before = await recordFor(auth, params.id, 'records:write');
      await write(auth);
      await deleteDnsRecord(recordDeps, auth.actor, before.id);
      return c.body(null, 204, NO_STORE);
    },

    async renewRecord({ c, auth, params }) {
      const before = await recordFor(auth, params.id, 'records:write');
      await write(auth);
      return json(c, toApi(await renewDnsRecord(recordDeps, auth.actor, before.id), base(auth)));
    },

    async getCertificate({ c, auth }) {
      const queueOf = async (r: CertificateRow | null) => {
        const q =
          r?.status === 'pending' && r.order_sent_at === null
            ? await queuePlace(certDeps, r.id)
            : null;
        if (!q) return null;
        const paused = q.pausedUntil !== null && q.pausedUntil >= q.estimate;
        return {
          place: q.place,
          length: q.length,
          estimate: new Date(q.estimate).toISOString(),
          reason: paused ? ('paused' as const) : (q.limit ?? ('queue' as const)),
        };
      };
      const o = await getCertificateOverview(certDeps, auth.user);
      const cur = o.current;
      const status = cur
        ? 'issued'
        : o.request?.status === 'pending'
          ? 'pending'
          : o.request?.status === 'failed'
            ? 'failed'
            : 'none';
      return json(c, {
        domain: o.domain,
        status,
        validFrom: isoOrNull(cur?.valid_from ?? null),
        validTo: isoOrNull(cur?.valid_to ?? null),
        renewFrom: isoOrNull(o.renewFrom),
        renewing: cur !== null && o.request?.status === 'pending',
        lastError: o.request?.status === 'failed' ? o.request.error : null,
        keyAvailable: o.keyAvailable,
        queue: await queueOf(o.request),
        renewAt: isoOrNull(o.renewAt),
        renewalWindow: o.ariWindow
          ? {
              start: iso(o.ariWindow.start),
              end: iso(o.ariWindow.end),
              explanationUrl: o.ariWindow.explanationUrl,
            }
          : null,
        previous: o.previous
          ? {
              validFrom: isoOrNull(o.previous.valid_from),
              validTo: isoOrNull(o.previous.valid_to),
              keyAvailable: o.previousKeyAvailable,
            }
          : null,
      });
    },

    async getCertificatePart({ c, auth, params, query }) {
      const { part } = params;
      const which = query.which ?? 'current';
      const o = await getCertificateOverview(certDeps, auth.user);
      const cert = which === 'previous' ? o.previous : o.current;
      // The PKCS#12 encoding differs per build (random salt): its validator is weak.
      const etag = cert ? `${part === 'pfx' ? 'W/' : ''}${etagOf(cert, part)}` : null;
      const caching = part === 'privateKey' || part === 'pfx' ? 'no-store' : 'private, no-cache';
      if (cert && etag && matches(c.req.header('if-none-match'), etag)) {
        await recordCertificateDownload(certDeps, cert.id, 'api');
        return c.body(null, 304, { ETag: etag, 'Cache-Control': caching });
      }
      const opts = { which, via: 'api' as const };
      if (part === 'pfx') {
        const pfx = await certificatePfx(certDeps, auth.user, opts);
        return c.body(pfx.body, 200, {
          'Content-Type': 'application/x-pkcs12',
          'Content-Disposition': `attachment; filename="${pfx.filename}"`,
          'Cache-Control': caching,
          ...(etag ? { ETag: etag } : {}),
        });
      }
      const { body, filename } = await getCertificatePart(certDeps, auth.user, part, opts);
      return c.body(body, 200, {
        'Content-Type': 'application/x-pem-file',
        'Content-Disposition': `attachment; filename="${filename}"`,
        'Cache-Control': caching,
        ...(etag ? { ETag: etag } : {}),
      });
    },

    async getZone({ c, auth }) {
      const all = await queryDnsRecords(recordDeps, auth.user, {
        visible: (r) => visibleName(auth.scope, r.subdomain, r.type),
        limit: Number.MAX_SAFE_INTEGER,
      });
      return c.body(zoneFragment(all.records, base(auth), container.clock.now()), 200, {
        'Content-Type': 'text/plain; charset=utf-8',
        ...NO_STORE,
      });
    },
  };

  async function authenticate(c: Ctx): Promise<TokenAuth> {
    const header = c.req.header('authorization');
    if (!header)
      throw new ApiProblem(
        'unauthorized',
        'Send a personal access token from the Tokens page: "Authorization: Bearer stc_…".',
        undefined,
        { 'WWW-Authenticate': CHALLENGE },
        'no token',
      );
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m)
      throw new ApiProblem(
        'unauthorized',
        'The Authorization header must be "Bearer stc_…".',
        undefined,
        { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_request"` },
        'malformed header',
      );
    try {
      const address = clientAddress(c, config.http.trustedProxies);
      return await authenticateToken(
        { db, clock: container.clock },
        m[1]!,
        address,
        c.get('requestId'),
      );
    } catch (e) {
      if (!(e instanceof TokenRefused)) throw e;
      if (e.reason === 'address')
        throw new ApiProblem('forbidden', e.message, undefined, {}, 'token address');
      throw new ApiProblem(
        'unauthorized',
        e.message,
        undefined,
        { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` },
        `token ${e.reason}`,
      );
    }
  }

  const pipeline =
    (op: Operation, handler: (input: Input<Operation>) => Promise<Response>) => async (c: Ctx) => {
      const auth = await authenticate(c);
      c.set('apiTokenId', auth.token.id);
      await limitRequest(container.rateLimiter, limits, auth);
      const missing = permissionProblem(auth.scope, op.permission);
      if (missing) throw new ApiProblem('forbidden', missing, undefined, {}, 'permission');
      const params = op.params ? validate(op.params, c.req.param(), 'path parameter') : {};
      const query = validate(op.query, queryObject(c), 'query parameter');
      let body: unknown;
      if (op.body) body = validate(op.body, await readJson(c), 'field');
      else if (hasBody(c))
        throw new ApiProblem('invalid-input', 'This request takes no body.', {}, {}, 'body');
      return handler({
        c,
        auth,
        params: params,
        query: query,
        body: body,
      });
    };

  const api = new Hono<ApiEnv>();
  // Browsers ask before a cross-origin call with a token; the answer is no (and carries no CORS headers).
  api.use('*', async (c, next) => {
    if (c.req.method === 'OPTIONS')
      throw new ApiProblem(
        'forbidden',
        'Cross-origin requests are not allowed: call the API from a program, not from another site.',
        undefined,
        {},
        'preflight',
      );
    return next();
  });
  api.use('*', limitBodies as unknown as Parameters<typeof api.use>[1]);
  api.get('/openapi.json', (c) => c.body(openapi, 200, { 'Content-Type': JSON_TYPE, ...NO_STORE }));
  for (const op of OPERATION_LIST)
    api.on(
      op.method.toUpperCase(),
      honoPath(op.path),
      pipeline(op, handlers[op.id as OperationId]),
    );

  const patterns = OPERATION_LIST.map((op) => ({
    op,
    re: new RegExp(`^/api/v1${op.path.replace(/\{\w+\}/g, '[^/]+')}$`),
  }));
  api.all('*', (c) => {
    const allowed = patterns.filter((p) => p.re.test(c.req.path)).map((p) => p.op.method);
    if (c.req.path === '/api/v1/openapi.json') allowed.push('get');
    if (allowed.length > 0)
      throw new ApiProblem(
        'method-not-allowed',
        `Use ${allowed.map((m) => m.toUpperCase()).join(' or ')} here.`,
        undefined,
        { Allow: allowed.map((m) => m.toUpperCase()).join(', ') },
      );
    throw new ApiProblem(
      'not-found',
      'There is no such endpoint; see /api/v1/openapi.json.',
      undefined,
      {},
      'no route',
    );
  });

  api.onError((err, c) => {
    const log = c.get('log') ?? logger;
    let kind: ProblemKind;
    let detail: string;
    let errors: Record<string, string> | undefined;
    let headers: Record<string, string> = {};
    let reason: string;
    if (err instanceof ApiProblem) {
      ({ kind, detail, errors, headers, reason } = err);
    } else if (err instanceof RateLimited) {
      kind = 'rate-limited';
      detail = err.message;
      headers = { 'Retry-After': String(err.retryAfterS) };
      reason = 'rate limit';
    } else if (isAppError(err)) {
      kind = kindOfCode(err.code);
      detail =
        err.code === 'PAYLOAD_TOO_LARGE'
          ? 'The body is larger than 1 MB, the most accepted.'
          : err.message;
      errors = apiFields(err.fields);
      reason = err.code.toLowerCase();
    } else {
      log.error({ err, path: c.req.path }, 'unhandled error');
      kind = 'internal';
      detail = `Something went wrong on our side; quote request id ${c.get('requestId') ?? '-'}.`;
      reason = 'bug';
    }
    if (kind !== 'internal')
      log.warn(
        {
          status: statusOf(kind),
          kind,
          reason,
          method: c.req.method,
          path: c.req.path,
          tokenId: c.get('apiTokenId'),
        },
        'api request refused',
      );
    return c.body(problemBody(config.appUrl, kind, detail, errors), statusOf(kind), {
      'Content-Type': PROBLEM_JSON,
      ...NO_STORE,
      ...headers,
    });
  });
  return api;
}

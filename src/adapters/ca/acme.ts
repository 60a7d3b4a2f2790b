/**
 * CertificateAuthority over ACME with acme-client (Let's Encrypt, staging, Pebble). One account for
 * the service (registered or found once per process). acme-client shares one axios instance across
 * clients, so per-call settings (the trusted CA bundle, no built-in retry sleeps) and the CA's problem
 * document for error classification travel in an AsyncLocalStorage context set around each call.
 * TLS verification is never disabled: a custom bundle is added as `ca` on an https.Agent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type acme from 'acme-client';
import { z } from 'zod';
import {
  CaError,
  type CaDirectoryInfo,
  type CertificateAuthority,
  type DnsChallenge,
  type NewOrderOptions,
  type OrderState,
  type OrderStatus,
  type RenewalInfo,
} from '../../ports/certificate-authority.js';

interface CallContext {
  agent: https.Agent | undefined;
  problem: {
    status: number;
    type: string | null;
    detail: string;
    retryAfterMs: number | null;
  } | null;
}

const calls = new AsyncLocalStorage<CallContext>();
let interceptorsInstalled = false;

type AcmeModule = typeof acme;
let acmeModule: Promise<AcmeModule> | null = null;

/** acme-client (with axios) is loaded on first use: processes that never issue do not pay for it. */
function loadAcme(): Promise<AcmeModule> {
  // eslint-disable-next-line no-restricted-syntax -- uses .default
  return (acmeModule ??= import('acme-client').then((m) => {
    installInterceptors(m.default);
    return m.default;
  }));
}

function installInterceptors(acme: AcmeModule): void {
  if (interceptorsInstalled) return;
  interceptorsInstalled = true;
  acme.axios.interceptors.request.use((config) => {
    const ctx = calls.getStore();
    if (ctx) {
      if (ctx.agent) config.httpsAgent = ctx.agent;
      // acme-client retries 429/5xx itself, sleeping inside the call; we classify and let the
      // durable job decide (Retry-After becomes a delayed re-run instead of a blocked worker).
      (config as unknown as { retryAttempt: number }).retryAttempt = 1_000;
    }
    return config;
  });
  acme.axios.interceptors.response.use((resp) => {
    const ctx = calls.getStore();
    if (ctx && resp.status >= 400) {
      const data = (resp.data ?? {}) as { type?: string; detail?: string };
      ctx.problem = {
        status: resp.status,
        type: typeof data.type === 'string' ? data.type : null,
        detail: typeof data.detail === 'string' ? data.detail : `HTTP ${resp.status}`,
        retryAfterMs: parseRetryAfter(resp.headers['retry-after'] as string | undefined),
      };
    }
    return resp;
  });
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const PROBLEM = 'urn:ietf:params:acme:error:';

/** Classify a failed call by the CA's problem document (or its absence). */
export function classify(err: unknown, problem: CallContext['problem']): CaError {
  if (err instanceof CaError) return err;
  const message = problem?.detail ?? (err instanceof Error ? err.message : String(err));
  if (!problem) return new CaError('unavailable', message);
  const type = problem.type;
  if (type === `${PROBLEM}rateLimited` || problem.status === 429)
    return new CaError('rateLimited', message, type, problem.retryAfterMs);
  if (type === `${PROBLEM}badNonce`) return new CaError('badNonce', message, type);
  if (problem.status >= 500) return new CaError('unavailable', message, type, problem.retryAfterMs);
  return new CaError('rejected', message, type);
}

/** The directory fields we read beyond acme-client's (RFC 8555 §7.1.1, RFC 9773, LE profiles). */
const DirectorySchema = z.object({
  newOrder: z.string(),
  renewalInfo: z.url().optional(),
  meta: z
    .object({ profiles: z.record(z.string(), z.string()).optional() })
    .loose()
    .optional(),
});

/** RFC 3339 date-time (with `Z` or an offset); Date.parse alone accepts far more. */
const rfc3339 = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
    'must be an RFC 3339 date-time',
  )
  .transform((v, ctx) => {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not a valid date-time' });
      return z.NEVER;
    }
    return ms;
  });

/** RFC 9773 §4.2 renewal information. */
const RenewalInfoSchema = z
  .object({
    suggestedWindow: z.object({ start: rfc3339, end: rfc3339 }),
    explanationURL: z.url().optional(),
  })
  .refine((r) => r.suggestedWindow.end > r.suggestedWindow.start, {
    message: 'suggestedWindow.end must be after its start',
  });

/** Largest body read from the directory or a renewal-information answer. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Time limit of one such unauthenticated GET. */
export const GET_TIMEOUT_MS = 10_000;

interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * An unauthenticated GET (directory, RFC 9773 renewal information) with our agent: bounded in size and
 * time, failures as CaError. HTTP errors are classified by their problem document like signed calls.
 */
async function getJson(
  url: string,
  agent: https.Agent | undefined,
  getTimeoutMs = GET_TIMEOUT_MS,
  allowHttp = false,
): Promise<JsonResponse> {
  const res = await new Promise<JsonResponse>((resolve, reject) => {
    const headers = { accept: 'application/json' };
    const onResponse = (r: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      r.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_RESPONSE_BYTES) {
          r.destroy();
          reject(
            new CaError('unavailable', `${url}: the answer exceeds ${MAX_RESPONSE_BYTES} bytes`),
          );
          return;
        }
        chunks.push(d);
      });
      r.on('error', (err) => reject(new CaError('unavailable', `${url}: ${err.message}`)));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text ? (JSON.parse(text) as unknown) : null;
        } catch {
          body = undefined;
        }
        resolve({ status: r.statusCode ?? 0, headers: r.headers, body });
      });
    };
    let req: http.ClientRequest;
    try {
      // Plain HTTP only when the configured directory itself is plain HTTP (a local test CA, as
      // acme-client allows); HTTPS always goes through our agent, which verifies the certificate.
      req =
        url.startsWith('http:') && allowHttp
          ? http.get(url, { headers }, onResponse)
          : https.get(url, { agent, headers }, onResponse);
    } catch (err) {
      reject(new CaError('unavailable', `${url}: ${(err as Error).message}`));
      return;
    }
    // The whole exchange, not just socket idleness: a CA trickling bytes is as unavailable as a silent one.
    const timer = setTimeout(
      () => req.destroy(new Error(`no complete answer within ${getTimeoutMs / 1000} s`)),
      getTimeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => reject(new CaError('unavailable', `${url}: ${err.message}`)));
  });
  if (res.status >= 400) {
    const p = (res.body && typeof res.body === 'object' ? res.body : {}) as {
      type?: unknown;
      detail?: unknown;
    };
    throw classify(null, {
      status: res.status,
      type: typeof p.type === 'string' ? p.type : null,
      detail: `${url}: ${typeof p.detail === 'string' ? p.detail : `HTTP ${res.status}`}`,
      retryAfterMs: parseRetryAfter(header(res.headers, 'retry-after')),
    });
  }
  if (res.status !== 200) throw new CaError('unavailable', `${url}: unexpected HTTP ${res.status}`);
  if (res.body === undefined) throw new CaError('unavailable', `${url}: the answer is not JSON`);
  return res;
}

const header = (headers: JsonResponse['headers'], name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const zodMessage = (err: z.ZodError) =>
  err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

export interface AcmeOptions {
  directoryUrl: string;
  accountKeyPem: string;
  accountEmail: string | null;
  caBundlePath: string | null;
  /** Time limit of the directory and renewal-information GETs (default GET_TIMEOUT_MS). */
  getTimeoutMs?: number;
}

interface AcmeOrder {
  url: string;
  status: OrderStatus;
  authorizations: string[];
  finalize: string;
  certificate?: string;
}

export class AcmeCertificateAuthority implements CertificateAuthority {
  readonly kind = 'acme' as const;
  private client: Promise<acme.Client> | null = null;
  private readonly directoryUrl: string;
  private readonly accountKeyPem: string;
  private readonly agent: https.Agent | undefined;
  private account: Promise<void> | null = null;
  private directory: Promise<z.infer<typeof DirectorySchema>> | null = null;

  constructor(options: AcmeOptions) {
    this.agent = options.caBundlePath
      ? new https.Agent({ ca: readFileSync(options.caBundlePath), keepAlive: true })
      : new https.Agent({ keepAlive: true });
    this.directoryUrl = options.directoryUrl;
    this.accountKeyPem = options.accountKeyPem;
    this.email = options.accountEmail;
    this.getTimeoutMs = options.getTimeoutMs ?? GET_TIMEOUT_MS;
  }
  private readonly getTimeoutMs: number;
  private get plainHttp() {
    return this.directoryUrl.startsWith('http:');
  }
  private readonly email: string | null;

  private getClient(): Promise<acme.Client> {
    return (this.client ??= loadAcme().then(
      (a) =>
        new a.Client({
          directoryUrl: this.directoryUrl,
          accountKey: this.accountKeyPem,
          backoffAttempts: 1,
        }),
    ));
  }

  /** Run one CA interaction with our agent, classifying failures into CaError. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    const ctx: CallContext = { agent: this.agent, problem: null };
    return calls.run(ctx, async () => {
      try {
        return await fn();
      } catch (err) {
        throw classify(err, ctx.problem);
      }
    });
  }

  /** Register the account once per process (finds the existing one for this key). */
  private ensureAccount(): Promise<void> {
    this.account ??= this.call(async () => {
      await (
        await this.getClient()
      ).createAccount({
        termsOfServiceAgreed: true,
        ...(this.email ? { contact: [`mailto:${this.email}`] } : {}),
      });
    }).catch((err: unknown) => {
      this.account = null;
      throw err;
    });
    return this.account;
  }

  async createOrder(identifiers: string[], options: NewOrderOptions = {}): Promise<string> {
    await this.ensureAccount();
    // acme-client signs `data` as the newOrder payload unchanged: RFC 9773 `replaces` and the
    // profile name travel in it (its types only know RFC 8555's fields).
    const payload: Parameters<acme.Client['createOrder']>[0] & {
      replaces?: string;
      profile?: string;
    } = {
      identifiers: identifiers.map((value) => ({ type: 'dns', value })),
      ...(options.replaces ? { replaces: options.replaces } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    };
    return this.call(async () => {
      const order = await (await this.getClient()).createOrder(payload);
      return order.url;
    });
  }

  /** The directory, read once per process with our agent; a failed read is retried next time. */
  private readDirectory(): Promise<z.infer<typeof DirectorySchema>> {
    this.directory ??= getJson(this.directoryUrl, this.agent, this.getTimeoutMs, this.plainHttp)
      .then((res) => {
        const parsed = DirectorySchema.safeParse(res.body);
        if (!parsed.success)
          throw new CaError(
            'unavailable',
            `${this.directoryUrl}: not an ACME directory (${zodMessage(parsed.error)})`,
          );
        return parsed.data;
      })
      .catch((err: unknown) => {
        this.directory = null;
        throw err;
      });
    return this.directory;
  }

  async directoryInfo(): Promise<CaDirectoryInfo> {
    const dir = await this.readDirectory();
    return { renewalInfo: !!dir.renewalInfo, profiles: { ...dir.meta?.profiles } };
  }

  async renewalInfo(certId: string): Promise<RenewalInfo | null> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(certId))
      throw new CaError('rejected', `not an RFC 9773 certificate id: ${certId}`);
    const dir = await this.readDirectory();
    if (!dir.renewalInfo) return null;
    const url = `${dir.renewalInfo.replace(/\/+$/, '')}/${certId}`;
    const res = await getJson(url, this.agent, this.getTimeoutMs, this.plainHttp);
    const parsed = RenewalInfoSchema.safeParse(res.body);
    if (!parsed.success)
      throw new CaError(
        'unavailable',
        `${url}: malformed renewal information (${zodMessage(parsed.error)})`,
      );
    return {
      windowStart: parsed.data.suggestedWindow.start,
      windowEnd: parsed.data.suggestedWindow.end,
      retryAfterMs: parseRetryAfter(header(res.headers, 'retry-after')),
      explanationUrl: parsed.data.explanationURL ?? null,
    };
  }

  private async fetchOrder(orderUrl: string): Promise<AcmeOrder> {
    await this.ensureAccount();
    return this.call(
      async () =>
        (await (await this.getClient()).getOrder({ url: orderUrl } as acme.Order)) as AcmeOrder,
    );
  }

  async getOrder(orderUrl: string): Promise<OrderState> {
    const order = await this.fetchOrder(orderUrl);
    return this.call(async () => {
      const authzs = await (
        await this.getClient()
      ).getAuthorizations(order as unknown as acme.Order);
      const challenges: DnsChallenge[] = [];
      for (const a of authzs) {
        const ch = a.challenges.find((c) => c.type === 'dns-01');
        if (!ch)
          throw new CaError(
            'rejected',
            `the CA offered no dns-01 challenge for ${a.identifier.value}`,
          );
        const identifier = a.wildcard ? `*.${a.identifier.value}` : a.identifier.value;
        const chError = (ch as { error?: { detail?: string } }).error?.detail ?? null;
        challenges.push({
          identifier,
          name: `_acme-challenge.${a.identifier.value}`,
          value: await (await this.getClient()).getChallengeKeyAuthorization(ch),
          status:
            a.status === 'valid'
              ? 'valid'
              : a.status === 'invalid' || ch.status === 'invalid'
                ? 'invalid'
                : ch.status === 'processing'
                  ? 'processing'
                  : 'pending',
          error:
            a.status === 'invalid' || ch.status === 'invalid'
              ? (chError ?? `authorization for ${identifier} is ${a.status}`)
              : null,
        });
      }
      return { url: orderUrl, status: order.status, challenges };
    });
  }

  async answerChallenges(orderUrl: string): Promise<void> {
    const order = await this.fetchOrder(orderUrl);
    await this.call(async () => {
      const authzs = await (
        await this.getClient()
      ).getAuthorizations(order as unknown as acme.Order);
      await Promise.all(
        authzs
          .filter((a) => a.status === 'pending')
          .map(async (a) => {
            const ch = a.challenges.find((c) => c.type === 'dns-01');
            if (ch && ch.status === 'pending') await (await this.getClient()).completeChallenge(ch);
          }),
      );
    });
  }

  async finalizeOrder(
    orderUrl: string,
    privateKeyPem: string,
    identifiers: string[],
  ): Promise<void> {
    const order = await this.fetchOrder(orderUrl);
    if (order.status !== 'ready') return; // already finalized (or not finalizable): the caller re-reads
    const wildcard = identifiers.find((i) => i.startsWith('*.'));
    const commonName = wildcard ?? identifiers[0]!;
    const [, csr] = await (
      await loadAcme()
    ).crypto.createCsr(
      { commonName, altNames: identifiers.filter((i) => i !== commonName) },
      privateKeyPem,
    );
    await this.call(async () =>
      (await this.getClient()).finalizeOrder(order as unknown as acme.Order, csr),
    );
  }

  async downloadCertificate(orderUrl: string): Promise<string> {
    const order = await this.fetchOrder(orderUrl);
    if (order.status !== 'valid')
      throw new CaError('rejected', `the order is ${order.status}, not valid`);
    return this.call(async () =>
      (await this.getClient()).getCertificate(order as unknown as acme.Order),
    );
  }

  async revokeCertificate(certificatePem: string): Promise<void> {
    await this.ensureAccount();
    await this.call(async () => (await this.getClient()).revokeCertificate(certificatePem));
  }

  async rootCertificatePem(): Promise<string | null> {
    return null;
  }
}

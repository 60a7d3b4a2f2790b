/**
 * CertificateAuthority over ACME with acme-client (Let's Encrypt, staging, Pebble). One account for
 * the service (registered or found once per process). acme-client shares one axios instance across
 * clients, so per-call settings (the trusted CA bundle, no built-in retry sleeps) and the CA's problem
 * document for error classification travel in an AsyncLocalStorage context set around each call.
 * TLS verification is never disabled: a custom bundle is added as `ca` on an https.Agent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type acme from 'acme-client';
import {
  CaError,
  type CertificateAuthority,
  type DnsChallenge,
  type OrderState,
  type OrderStatus,
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

export interface AcmeOptions {
  directoryUrl: string;
  accountKeyPem: string;
  accountEmail: string | null;
  caBundlePath: string | null;
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

  constructor(options: AcmeOptions) {
    this.agent = options.caBundlePath
      ? new https.Agent({ ca: readFileSync(options.caBundlePath), keepAlive: true })
      : new https.Agent({ keepAlive: true });
    this.directoryUrl = options.directoryUrl;
    this.accountKeyPem = options.accountKeyPem;
    this.email = options.accountEmail;
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

  async createOrder(identifiers: string[]): Promise<string> {
    await this.ensureAccount();
    return this.call(async () => {
      const order = await (
        await this.getClient()
      ).createOrder({
        identifiers: identifiers.map((value) => ({ type: 'dns', value })),
      });
      return order.url;
    });
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

/**
 * The node-saml half of the SAML service provider, loaded on first use by service-provider.ts: the
 * SAML instance (time checks through our Clock port) and the request-id store in the database.
 */
import {
  type CacheItem,
  type CacheProvider,
  SAML,
  type SamlConfig,
  SamlStatusError,
  ValidateInResponseTo,
} from '@node-saml/node-saml';
import type { Db } from '../../db/client.js';
import { deleteSamlRequest, findSamlRequest, insertSamlRequest } from '../../db/repos/saml.js';
import type { Clock } from '../../ports/clock.js';
import { SIGN_IN_TTL_MS as REQUEST_TTL_MS } from '../../ports/identity-provider.js';

export interface SamlEngine {
  saml: SAML;
  /** The IdP answered with a non-success status (node-saml's SamlStatusError). */
  isStatusError(err: unknown): boolean;
}

export function createSamlEngine(
  clock: Clock,
  db: Db,
  config: Omit<SamlConfig, 'cacheProvider' | 'validateInResponseTo'>,
): SamlEngine {
  return {
    saml: new ClockedSaml(clock, {
      ...config,
      validateInResponseTo: ValidateInResponseTo.always,
      cacheProvider: new DbRequestCache(db, clock),
    }),
    isStatusError: (err) => err instanceof SamlStatusError,
  };
}

/** Request ids this SP issued, in the database (shared by replicas). */
class DbRequestCache implements CacheProvider {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}
  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const now = this.clock.now();
    await insertSamlRequest(this.db, {
      id: key,
      created_at: now,
      expires_at: now + REQUEST_TTL_MS,
    });
    return { value, createdAt: now };
  }
  async getAsync(key: string): Promise<string | null> {
    const row = await findSamlRequest(this.db, key, this.clock.now());
    // node-saml compares this with its own clock and requestIdExpirationPeriodMs.
    return row ? new Date(row.created_at).toISOString() : null;
  }
  async removeAsync(key: string | null): Promise<string | null> {
    if (!key) return null;
    return (await deleteSamlRequest(this.db, key)) > 0 ? key : null;
  }
}

/** node-saml reads the wall clock; route its time checks through our Clock port (tests move it). */
class ClockedSaml extends SAML {
  constructor(
    private readonly clock: Clock,
    options: SamlConfig,
  ) {
    super(options);
  }
  protected override checkTimestampsValidityError(
    _nowMs: number,
    notBefore: string,
    notOnOrAfter: string,
    maxTimeLimitMs?: number,
  ): Error | null {
    return super.checkTimestampsValidityError(
      this.clock.now(),
      notBefore,
      notOnOrAfter,
      maxTimeLimitMs,
    );
  }
}

/**
 * The DnsUpdateHandler the built-in DNS server calls (src/ports/dns-update.ts): TSIG keys are access
 * tokens (key `<publicId>.tsig`), and a verified UPDATE is applied for the token's owner under the
 * token's source ranges, `records:write` scope and rate limits, through the same record rules as the
 * forms (applyDnsUpdate). `_acme-challenge[.sub]` TXT values go to the clients' challenge values
 * (client-challenges.ts) in the update's own transaction. Decision 0016.
 */
import type { Logger } from '../../logger.js';
import type { DnsUpdateHandler, TsigKey, UpdateRcode } from '../../ports/dns-update.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { isDeadlock } from '../../db/dialect.js';
import { isAppError } from '../../errors.js';
import {
  addClientChallengeIn,
  removeClientChallengesIn,
} from '../dns-records/client-challenges.js';
import type { DnsRecordDeps } from '../dns-records/dns-records.js';
import { applyDnsUpdate } from '../dns-records/dns-update.js';
import { RateLimited, limitRequest, limitWrite } from './rate-limits.js';
import { permissionProblem, recordProblem } from './scope.js';
import {
  type TokenAuth,
  type TokenDeps,
  TokenRefused,
  checkTokenAddress,
  findTsigKey,
} from './tokens.js';

/** Runs of one update when InnoDB reports a deadlock (then SERVFAIL; the client may retry). */
const DEADLOCK_TRIES = 3;

export interface DnsUpdateHandlerDeps extends DnsRecordDeps {
  config: DnsRecordDeps['config'] & TokenDeps['config'];
  rateLimiter: RateLimiter;
  logger: Logger;
}

/** Build the handler; `deps` is read on each call (the container may fill it after the server is made). */
export function createDnsUpdateHandler(deps: DnsUpdateHandlerDeps): DnsUpdateHandler {
  // The token behind each key handed out by findKey: the update service passes the same object back
  // to apply, so the token and its owner are read once per message.
  const auths = new WeakMap<TsigKey, TokenAuth>();
  return {
    async findKey(name) {
      const found = await findTsigKey(deps, name);
      if (!found) return null;
      const key: TsigKey = {
        name,
        secret: found.secret,
        tokenId: found.token.id,
        userId: found.user.id,
      };
      auths.set(key, found);
      return key;
    },

    async apply(update, key, source) {
      const auth = auths.get(key) ?? (await findTsigKey(deps, key.name));
      if (!auth) return { rcode: 'NOTAUTH', reason: 'the key is no longer usable' };
      const refuse = (rcode: UpdateRcode, reason: string) => {
        deps.logger.info(
          {
            key: key.name,
            tokenId: key.tokenId,
            userId: key.userId,
            address: source.address,
            reason,
          },
          'DNS UPDATE refused',
        );
        return { rcode, reason };
      };
      try {
        await checkTokenAddress(deps, auth, source.address);
        await limitRequest(deps.rateLimiter, deps.config.tokens.rateLimits, auth);
      } catch (e) {
        if (e instanceof TokenRefused || e instanceof RateLimited)
          return refuse('REFUSED', e.message);
        throw e;
      }
      // The permission here; each change's name and type are checked against the scope below.
      const denied = permissionProblem(auth.scope, 'records:write');
      if (denied) return refuse('REFUSED', denied);
      try {
        await limitWrite(deps.rateLimiter, deps.config.tokens.rateLimits, auth);
      } catch (e) {
        if (e instanceof RateLimited) return refuse('REFUSED', e.message);
        throw e;
      }
      const actor = {
        user: auth.user,
        effectiveUser: auth.user,
        requestId: `tsig:${key.name}`,
        tokenId: auth.token.id,
      };
      const attempt = () =>
        applyDnsUpdate(
          deps,
          actor,
          update,
          (rel, type) =>
            recordProblem(auth.scope, 'records:write', rel, type === 'ANY' ? null : type),
          {
            add: async (trx, rel, value) => {
              await addClientChallengeIn(trx, deps, actor, rel, value);
            },
            remove: async (trx, rel, value) => {
              await removeClientChallengesIn(trx, deps, actor, rel, value);
            },
          },
        );
      try {
        // All or nothing, so a transaction InnoDB rolled back for a deadlock is simply run again.
        for (let tries = 1; ; tries++) {
          try {
            return await attempt();
          } catch (e) {
            if (!isDeadlock(e) || tries >= DEADLOCK_TRIES) throw e;
          }
        }
      } catch (e) {
        // The challenge rules (name, value, values per name) refuse by AppError; nothing was written.
        if (isAppError(e) && (e.code === 'INVALID_INPUT' || e.code === 'LIMIT_EXCEEDED'))
          return refuse('REFUSED', e.message);
        throw e;
      }
    },
  };
}

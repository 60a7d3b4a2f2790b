import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../logger.js';
import type { AppEnv } from '../env.js';
import { pooledRandomBytes } from './random-pool.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/;
const QUIET = /^\/(healthcheck|static\/)/;

/** Request id (kept from a trusted proxy's X-Request-Id when well-formed), a CSP nonce and a request log line. */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('nonce', pooledRandomBytes(16).toString('base64'));
    const log = logger.child({ reqId: requestId });
    c.set('log', log);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const path = c.req.path;
    const entry = {
      method: c.req.method,
      path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (QUIET.test(path)) log.debug(entry, 'request');
    else log.info(entry, 'request');
  };
}

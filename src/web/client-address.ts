/**
 * The address a request comes from, for token address ranges, rate limits, dyndns2's "caller's
 * address" and logs. Behind the reverse proxy the socket's peer is the proxy: X-Forwarded-For is read
 * only when the peer is one of TRUSTED_PROXIES, and then from the right, skipping trusted hops, so a
 * client cannot choose its own address by sending the header itself.
 */
import { isIP } from 'node:net';
import type { Context } from 'hono';
import { addressAllowed, plainAddress } from '../domain/tokens/scope.js';
import type { AppEnv } from './env.js';
import { nodeOf } from './body.js';

export function clientAddress(c: Context<AppEnv>, trustedProxies: readonly string[]): string {
  const node = nodeOf(c);
  // app.request() in tests has no socket: the test may pass `{ remoteAddress }` as the env.
  const socketPeer = node
    ? node.incoming.socket.remoteAddress
    : ((c.env as { remoteAddress?: string } | undefined)?.remoteAddress ?? '127.0.0.1');
  const peer = plainAddress(socketPeer ?? '');
  if (trustedProxies.length === 0 || !peer || !addressAllowed(trustedProxies, peer)) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => plainAddress(h.trim()))
    .slice(-32);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer; // a malformed hop: trust nothing further left
    if (!addressAllowed(trustedProxies, hop)) return hop;
  }
  return peer;
}

/**
 * The built-in DNS server's defences against being used as a reflector or held open: the settings
 * (DNS_UDP_*, DNS_TCP_*, DNS_RRL_*, DNS_CACHE_MAX_BYTES in src/config.ts), response rate limiting per
 * source prefix, and the UDP query handler that the server and each of its UDP worker processes run,
 * so both follow exactly the same rules.
 * Decision 0013 says why these limits and these defaults.
 */
import type dgram from 'node:dgram';
import type { Config } from '../../config.js';
import { randomInt } from 'node:crypto';
import {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_UDP_MAX_PAYLOAD,
  type ZoneResponder,
} from './zone-responder.js';
import { isUpdateRequest, queryTsig } from './update-message.js';

/** The settings' own shape (src/config.ts, dns.embeddedServer.limits): declared once, there. */
export type DnsServerLimits = Config['dns']['embeddedServer']['limits'];

export const DEFAULT_DNS_LIMITS: DnsServerLimits = {
  udpMaxPayload: DEFAULT_UDP_MAX_PAYLOAD,
  tcpMaxConnections: 256,
  tcpMaxConnectionsPerIp: 32,
  tcpIdleTimeoutMs: 10_000,
  tcpMaxQueriesPerConnection: 100,
  rrlResponsesPerSecond: 0,
  rrlSlip: 2,
  cacheMaxBytes: DEFAULT_CACHE_MAX_BYTES,
};

/** What the rate limiter says about one response. */
export const RRL_SEND = 0;
export const RRL_DROP = 1;
export const RRL_SLIP = 2;
export type RrlVerdict = typeof RRL_SEND | typeof RRL_DROP | typeof RRL_SLIP;

/** Slots of the limiter's table: fixed, so its memory is too (~1.3 MB per answering process). */
const RRL_SLOTS = 1 << 16;
const RRL_MASK = RRL_SLOTS - 1;

/**
 * A token bucket per source prefix (/24 for IPv4, /56 for IPv6), refilled at `rate` per second up to
 * one second's worth. Buckets live in a fixed table indexed by a keyed hash of the prefix, two
 * candidate slots per prefix; a new prefix takes the one used least recently, so the table never grows
 * and an attacker cannot choose whose bucket it lands in.
 */
export class ResponseRateLimiter {
  private readonly tags = new Int32Array(RRL_SLOTS);
  private readonly stamps = new Float64Array(RRL_SLOTS);
  private readonly tokens = new Float64Array(RRL_SLOTS);
  private readonly seed = randomInt(0x7fffffff);
  private readonly burst: number;
  private limited = 0;

  constructor(
    private readonly rate: number,
    private readonly slip: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = Math.max(rate, 1);
  }

  /** Account one response to `address` and say whether to send it, drop it or slip it. */
  check(address: string): RrlVerdict {
    const t = this.now();
    const h = prefixHash(address, this.seed);
    const tag = h | 1;
    let i = h & RRL_MASK;
    if (this.tags[i] !== tag) {
      const j = (h >>> 16) & RRL_MASK;
      if (this.tags[j] === tag) i = j;
      else {
        if (this.stamps[j]! < this.stamps[i]!) i = j;
        this.tags[i] = tag;
        this.stamps[i] = t;
        this.tokens[i] = this.burst;
      }
    }
    const elapsed = Math.max(0, t - this.stamps[i]!) / 1000;
    const tokens = Math.min(this.burst, this.tokens[i]! + elapsed * this.rate);
    this.stamps[i] = t;
    if (tokens >= 1) {
      this.tokens[i] = tokens - 1;
      return RRL_SEND;
    }
    this.tokens[i] = tokens;
    return this.slip > 0 && ++this.limited % this.slip === 0 ? RRL_SLIP : RRL_DROP;
  }
}

/**
 * A 32-bit hash of the address's /24 (IPv4, also IPv4-mapped IPv6) or /56 (IPv6), keyed by `seed`.
 * Node gives addresses in canonical form, but an IPv6 /56 has many spellings, so IPv6 is parsed.
 */
export function prefixHash(address: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  if (address.includes('.')) {
    let dots = 0;
    for (let i = address.lastIndexOf(':') + 1; i < address.length; i++) {
      const c = address.charCodeAt(i);
      if (c === 0x2e && ++dots === 3) break;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return finalMix(h);
  }
  const groups = ipv6Groups(address);
  h = Math.imul(h ^ 0x36, 0x01000193); // never equal to an IPv4 prefix's hash by construction alone
  for (let g = 0; g < 4; g++) {
    const v = g === 3 ? groups[g]! & 0xff00 : groups[g]!;
    h = Math.imul(h ^ (v >> 8), 0x01000193);
    h = Math.imul(h ^ (v & 0xff), 0x01000193);
  }
  return finalMix(h);
}

/** The first four 16-bit groups of an IPv6 address (zone index ignored; unreadable parts are 0). */
function ipv6Groups(address: string): number[] {
  const plain = address.split('%')[0]!;
  const gap = plain.indexOf('::');
  const head = (gap < 0 ? plain : plain.slice(0, gap)).split(':').filter(Boolean);
  const tail =
    gap < 0
      ? []
      : plain
          .slice(gap + 2)
          .split(':')
          .filter(Boolean);
  const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0')];
  for (const part of tail) groups.push(part);
  return groups.slice(0, 4).map((p) => parseInt(p, 16) || 0);
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * The UDP 'message' handler of one answering process: rate limiting (when on) decides before any
 * work whether the response is sent, dropped, or replaced by a tiny truncated reply.
 */
export function udpQueryHandler(
  socket: dgram.Socket,
  responder: ZoneResponder,
  limiter: ResponseRateLimiter | null,
  updates: UdpUpdateRoute | null = null,
): (msg: Buffer, rinfo: dgram.RemoteInfo) => void {
  return (msg, rinfo) => {
    // UPDATE, and queries signed with TSIG (answered signed), go to the process with the keys.
    const forward = updates !== null && (isUpdateRequest(msg) || queryTsig(msg) !== null);
    if (updates && (forward || updates.only)) {
      // Rate-limited like any response; a limited UPDATE is dropped (a slip would be meaningless).
      if (limiter !== null && limiter.check(rinfo.address) !== RRL_SEND) return;
      if (forward) updates.forward(msg, rinfo);
      else if (msg.length >= 12 && !(msg[2]! & 0x80))
        socket.send(refusedReply(msg), rinfo.port, rinfo.address);
      return;
    }
    let out: Buffer | null;
    if (limiter === null) out = responder.respond(msg, 'udp');
    else {
      const verdict = limiter.check(rinfo.address);
      out =
        verdict === RRL_SEND
          ? responder.respond(msg, 'udp')
          : verdict === RRL_SLIP
            ? responder.slip(msg)
            : null;
    }
    if (out) socket.send(out, rinfo.port, rinfo.address);
  };
}

/**
 * Where UDP UPDATE messages go (they are answered asynchronously, by the primary process only), and
 * whether the server answers nothing else (DNS_UPDATE_SERVER with Route53: queries REFUSED).
 */
export interface UdpUpdateRoute {
  only: boolean;
  forward(msg: Buffer, rinfo: dgram.RemoteInfo): void;
}

/** REFUSED to a query, header only (the id, opcode and RD echoed). */
export function refusedReply(msg: Buffer): Buffer {
  const out = Buffer.alloc(12);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = 0x80 | (msg[2]! & 0x79);
  out[3] = 5;
  return out;
}

/** What one of `processes` answering processes needs to apply the server's UDP rules. */
export interface UdpRules {
  udpMaxPayload: number;
  cacheMaxBytes: number;
  /** This process's share of the per-prefix rate (0 = off). */
  rrlResponsesPerSecond: number;
  rrlSlip: number;
  /** UPDATE messages are forwarded to the primary process (it has the handler). */
  updates?: boolean;
  /** Answer UPDATE only: queries REFUSED. */
  updatesOnly?: boolean;
}

/**
 * The per-process rules: the kernel spreads datagrams over the processes reading the socket, so each
 * allows its share of the server's rate, and a prefix gets at most the configured rate from all.
 */
export function udpRules(limits: DnsServerLimits, processes: number): UdpRules {
  return {
    udpMaxPayload: limits.udpMaxPayload,
    cacheMaxBytes: limits.cacheMaxBytes,
    rrlResponsesPerSecond: limits.rrlResponsesPerSecond / Math.max(1, processes),
    rrlSlip: limits.rrlSlip,
  };
}

export function rateLimiter(rules: UdpRules): ResponseRateLimiter | null {
  return rules.rrlResponsesPerSecond > 0
    ? new ResponseRateLimiter(rules.rrlResponsesPerSecond, rules.rrlSlip)
    : null;
}

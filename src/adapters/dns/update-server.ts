/**
 * Answers DNS UPDATE requests (RFC 2136) for the built-in server: frame → TSIG (RFC 8945) → change set
 * → the DnsUpdateHandler port, one reply per request. Only signed updates are taken. Bounded: at most
 * maxInFlightPerAddress updates from one source address (and maxInFlight in all) are worked on at a
 * time, more are REFUSED at once; answers to recent requests are remembered (by key and MAC) for their
 * time window, so a retransmitted or replayed request gets the same answer and is never applied twice.
 * Decision 0016.
 */
import type { Logger } from '../../logger.js';
import type { DnsUpdateHandler, TsigKey, UpdateRcode } from '../../ports/dns-update.js';
import {
  ALGORITHM,
  MAC_LENGTH,
  MAX_FUDGE_S,
  TSIG_ERROR,
  type TsigRecord,
  appendTsig,
  timeBytes,
  verifyRequestMac,
} from './tsig.js';
import {
  isUpdateRequest,
  queryErrorReply,
  queryTsig,
  readUpdateFrame,
  toDnsUpdate,
  updateReply,
} from './update-message.js';

export interface UpdateServiceOptions {
  origin: string;
  handler: DnsUpdateHandler;
  logger: Logger;
  /** Updates worked on at once from one source address (default 4). */
  maxInFlightPerAddress?: number;
  /** Updates worked on at once in all (default 64). */
  maxInFlight?: number;
  /** Recent answers remembered against replays (default 10,000; beyond that, new updates are REFUSED). */
  replayCapacity?: number;
  /**
   * Of those, remembered for one key at most (default 600, a token's default rate limit over the
   * longest fudge window): one key flooding signed messages is refused, not everyone else.
   */
  replayPerKey?: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  /**
   * Answers a query (its TSIG record removed). With it, queries signed with a known key get signed
   * answers and those with an unknown key or a bad MAC NOTAUTH (RFC 8945 §5.2–5.3); without it, only
   * UPDATE is handled here.
   */
  answerQuery?: (msg: Buffer, transport: 'udp' | 'tcp', reserve?: number) => Buffer | null;
}

/** The fudge we sign our replies with. */
const REPLY_FUDGE_S = 300;
/** The shortest truncated MAC RFC 8945 §5.2.2.1 lets through to the truncation policy (half of 32). */
const MIN_MAC_LENGTH = 16;

interface Remembered {
  key: string;
  expiresAt: number;
  reply: Promise<Buffer | null>;
}

export class DnsUpdateService {
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly recent = new Map<string, Remembered>();
  /** Remembered answers per key name. */
  private readonly perKey = new Map<string, number>();
  /** When the replay cache was last swept (a sweep walks it all: at most once a second). */
  private sweptAt = 0;
  private readonly now: () => number;
  /** Counts for tests: requests answered from the replay cache, refused for being over a bound. */
  readonly stats = { replays: 0, overLimit: 0 };

  constructor(private readonly options: UpdateServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The reply to one UPDATE, or signed query (with answerQuery), from `address`; null for anything
   * else. Never throws:
   * a handler failure is SERVFAIL.
   */
  async handle(
    msg: Buffer,
    address: string,
    transport: 'udp' | 'tcp' = 'udp',
  ): Promise<Buffer | null> {
    const update = isUpdateRequest(msg);
    if (!update && !this.options.answerQuery) return null;
    const perAddress = this.inFlight.get(address) ?? 0;
    if (
      perAddress >= (this.options.maxInFlightPerAddress ?? 4) ||
      this.total >= (this.options.maxInFlight ?? 64)
    ) {
      this.stats.overLimit++;
      return update ? updateReply(msg, 'REFUSED', 0) : queryErrorReply(msg, 'REFUSED');
    }
    this.inFlight.set(address, perAddress + 1);
    this.total++;
    try {
      return update
        ? await this.answer(msg, address)
        : await this.answerSignedQuery(msg, transport);
    } catch (err) {
      this.options.logger.error({ err }, update ? 'DNS UPDATE failed' : 'signed DNS query failed');
      return update ? updateReply(msg, 'SERVFAIL', 0) : queryErrorReply(msg, 'SERVFAIL');
    } finally {
      this.total--;
      const left = (this.inFlight.get(address) ?? 1) - 1;
      if (left > 0) this.inFlight.set(address, left);
      else this.inFlight.delete(address);
    }
  }

  private async answer(msg: Buffer, address: string): Promise<Buffer | null> {
    const framed = readUpdateFrame(msg);
    if (!framed.ok) return updateReply(msg, 'FORMERR', 0);
    const { frame } = framed;
    const tsig = frame.tsig;
    if (!tsig) return updateReply(msg, 'REFUSED', frame.zoneEnd);
    if (tsig.mac.length > MAC_LENGTH || tsig.mac.length < MIN_MAC_LENGTH)
      return updateReply(msg, 'FORMERR', frame.zoneEnd);
    const verified = await this.verify(msg, tsig, () => updateReply(msg, 'NOTAUTH', frame.zoneEnd));
    if ('refusal' in verified) return verified.refusal;
    const { key, sign } = verified;
    const signed = (rcode: UpdateRcode) => sign(updateReply(msg, rcode, frame.zoneEnd));
    const fudge = Math.min(tsig.fudge, MAX_FUDGE_S);

    const replayKey = `${key.name} ${tsig.mac.toString('base64')}`;
    const seen = this.recent.get(replayKey);
    if (seen) {
      this.stats.replays++;
      const reply = await seen.reply;
      if (!reply) return null;
      const copy = Buffer.from(reply);
      copy.writeUInt16BE(msg.readUInt16BE(0), 0);
      return copy;
    }
    if (!this.makeRoom(key.name)) {
      this.stats.overLimit++;
      this.options.logger.warn(
        {
          key: key.name,
          address,
          capacity: this.options.replayCapacity ?? 10_000,
          perKey: this.options.replayPerKey ?? 600,
        },
        'DNS UPDATE refused: too many recent updates to remember against replays',
      );
      return signed('REFUSED');
    }
    const reply = this.apply(key, address, signed, toDnsUpdate(msg, frame, this.options.origin));
    this.recent.set(replayKey, {
      key: key.name,
      expiresAt: (tsig.timeSigned + fudge + 1) * 1000,
      reply,
    });
    this.perKey.set(key.name, (this.perKey.get(key.name) ?? 0) + 1);
    return reply;
  }

  private async apply(
    key: TsigKey,
    address: string,
    signed: (rcode: UpdateRcode) => Buffer,
    parsed: ReturnType<typeof toDnsUpdate>,
  ): Promise<Buffer> {
    if (!parsed.ok) {
      this.options.logger.info(
        { key: key.name, userId: key.userId, address, rcode: parsed.rcode, reason: parsed.reason },
        'DNS UPDATE rejected',
      );
      return signed(parsed.rcode);
    }
    let result: { rcode: UpdateRcode; reason?: string };
    try {
      result = await this.options.handler.apply(parsed.update, key, { address });
    } catch (err) {
      this.options.logger.error({ err, key: key.name }, 'DNS UPDATE handler failed');
      result = { rcode: 'SERVFAIL' };
    }
    this.options.logger.info(
      {
        key: key.name,
        userId: key.userId,
        tokenId: key.tokenId,
        address,
        rcode: result.rcode,
        reason: result.reason,
        updates: parsed.update.updates.length,
      },
      'DNS UPDATE',
    );
    return signed(result.rcode);
  }

  /**
   * A query that carries a TSIG record (RFC 8945): verified like an UPDATE's (BADKEY, BADTRUNC, BADSIG
   * unsigned; BADTIME signed), then answered as if unsigned and the answer signed with the key. Not
   * remembered against replays: a query changes nothing.
   */
  private async answerSignedQuery(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
    const answerQuery = this.options.answerQuery!;
    const tsig = queryTsig(msg);
    if (tsig === null) return answerQuery(msg, transport);
    if (tsig === 'bad' || tsig.mac.length > MAC_LENGTH || tsig.mac.length < MIN_MAC_LENGTH)
      return queryErrorReply(msg, 'FORMERR');
    const verified = await this.verify(msg, tsig, () => queryErrorReply(msg, 'NOTAUTH'));
    if ('refusal' in verified) return verified.refusal;
    const { sign } = verified;
    const bare = Buffer.from(msg.subarray(0, tsig.start));
    bare.writeUInt16BE(bare.readUInt16BE(10) - 1, 10);
    // Over UDP the answer leaves room for the signature: the signed reply keeps to the size rule.
    const signatureBytes =
      tsig.keyWire.length + 10 + tsig.algorithmWire.length + 10 + MAC_LENGTH + 6;
    const reply = answerQuery(bare, transport, signatureBytes);
    return reply ? sign(reply) : null;
  }

  /**
   * RFC 8945 §5.2 on a request's TSIG (its MAC length already within bounds): an unknown algorithm or
   * key → BADKEY, a truncated MAC → BADTRUNC, a wrong MAC → BADSIG (all unsigned, on `notAuth()`), a
   * time outside the fudge → BADTIME (signed, the request's time, ours in Other Data). Otherwise the
   * key and a function that signs a reply to this request with it.
   */
  private async verify(
    msg: Buffer,
    tsig: TsigRecord,
    notAuth: () => Buffer,
  ): Promise<{ refusal: Buffer } | { key: TsigKey; sign: (reply: Buffer) => Buffer }> {
    const unsigned = (error: keyof typeof TSIG_ERROR) => ({
      refusal: appendTsig(
        notAuth(),
        { ...tsigFields(tsig), timeSigned: this.seconds(), error: TSIG_ERROR[error] },
        null,
      ),
    });
    if (tsig.algorithm !== ALGORITHM) return unsigned('BADKEY');
    const key = await this.options.handler.findKey(tsig.keyName);
    if (!key) return unsigned('BADKEY');
    // Truncated MACs are below our policy (RFC 8945 §5.2.2.1: BADTRUNC): full-length only.
    if (tsig.mac.length !== MAC_LENGTH) return unsigned('BADTRUNC');
    if (!verifyRequestMac(msg, tsig, key.secret)) return unsigned('BADSIG');
    const sign = (reply: Buffer, error = 0, other: Buffer = Buffer.alloc(0), time?: number) =>
      appendTsig(
        reply,
        {
          ...tsigFields(tsig),
          timeSigned: time ?? this.seconds(),
          fudge: REPLY_FUDGE_S,
          error,
          other,
        },
        { secret: key.secret, requestMac: tsig.mac },
      );
    const now = this.seconds();
    if (Math.abs(now - tsig.timeSigned) > Math.min(tsig.fudge, MAX_FUDGE_S))
      return { refusal: sign(notAuth(), TSIG_ERROR.BADTIME, timeBytes(now), tsig.timeSigned) };
    return { key, sign: (reply) => sign(reply) };
  }

  /** Whether one more answer for `keyName` may be remembered (sweeping expired ones if needed). */
  private makeRoom(keyName: string): boolean {
    const capacity = this.options.replayCapacity ?? 10_000;
    const perKey = this.options.replayPerKey ?? 600;
    const fits = () => this.recent.size < capacity && (this.perKey.get(keyName) ?? 0) < perKey;
    if (fits()) return true;
    const now = this.now();
    if (now - this.sweptAt < 1000) return false;
    this.sweptAt = now;
    for (const [k, v] of this.recent)
      if (v.expiresAt <= now) {
        this.recent.delete(k);
        const n = (this.perKey.get(v.key) ?? 1) - 1;
        if (n > 0) this.perKey.set(v.key, n);
        else this.perKey.delete(v.key);
      }
    return fits();
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function tsigFields(t: TsigRecord) {
  return {
    keyWire: t.keyWire,
    algorithmWire: t.algorithmWire,
    originalId: t.originalId,
    fudge: t.fudge,
    other: Buffer.alloc(0),
  };
}

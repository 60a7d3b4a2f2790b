/**
 * TSIG (RFC 8945) with HMAC-SHA256 only: reading the TSIG record of a request, computing and checking
 * its MAC, and appending a TSIG record (signed, or unsigned for key/MAC errors) to a response.
 * Decision 0016 says which of the RFC's choices we made (full-length MACs only, replays answered from
 * a cache of recent answers).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TYPE_TSIG = 250;
export const CLASS_ANY = 255;
export const ALGORITHM = 'hmac-sha256';
/** HMAC-SHA256 output length. */
export const MAC_LENGTH = 32;
/** The largest fudge honoured: a request asking for more gets this much (seconds). */
export const MAX_FUDGE_S = 300;

/** TSIG error codes (RFC 8945 §3). */
export const TSIG_ERROR = {
  NOERROR: 0,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADTRUNC: 22,
} as const;
export type TsigError = keyof typeof TSIG_ERROR;

/** A request's TSIG record, located in its message. */
export interface TsigRecord {
  /** Key name: presentation form, lower-case, no trailing dot. */
  keyName: string;
  /** Key name on the wire, lower-cased, uncompressed (what the MAC covers). */
  keyWire: Buffer;
  algorithm: string;
  algorithmWire: Buffer;
  /** Seconds since the epoch (48-bit). */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
  /** Offset of the TSIG record in the message: everything before it is what the MAC covers. */
  start: number;
}

/** The TSIG variables (RFC 8945 §4.3.3) as the MAC covers them. */
function variables(
  t: Pick<TsigRecord, 'keyWire' | 'algorithmWire' | 'timeSigned' | 'fudge' | 'error' | 'other'>,
  timersOnly = false,
): Buffer {
  const timers = Buffer.alloc(8);
  writeTime(timers, 0, t.timeSigned);
  timers.writeUInt16BE(t.fudge, 6);
  if (timersOnly) return timers;
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS_ANY, 0);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(t.error, 0);
  tail.writeUInt16BE(t.other.length, 2);
  return Buffer.concat([t.keyWire, classTtl, t.algorithmWire, timers, tail, t.other]);
}

function writeTime(buf: Buffer, at: number, seconds: number): void {
  buf.writeUInt16BE(Math.floor(seconds / 2 ** 32) & 0xffff, at);
  buf.writeUInt32BE(seconds >>> 0, at + 2);
}

/** The request's MAC: over the message before its TSIG record (original id, ARCOUNT less one) and the variables. */
export function requestMac(msg: Buffer, t: TsigRecord, secret: Buffer): Buffer {
  const head = Buffer.from(msg.subarray(0, t.start));
  head.writeUInt16BE(t.originalId, 0);
  head.writeUInt16BE(head.readUInt16BE(10) - 1, 10);
  return createHmac('sha256', secret).update(head).update(variables(t)).digest();
}

/** True when the request's MAC is the full-length HMAC-SHA256 of it under `secret` (constant time). */
export function verifyRequestMac(msg: Buffer, t: TsigRecord, secret: Buffer): boolean {
  if (t.mac.length !== MAC_LENGTH) return false;
  return timingSafeEqual(requestMac(msg, t, secret), t.mac);
}

export interface TsigResponse {
  keyWire: Buffer;
  algorithmWire: Buffer;
  originalId: number;
  timeSigned: number;
  fudge: number;
  error: number;
  other: Buffer;
}

/**
 * Append a TSIG record to `response` (a complete message without one) and count it in ARCOUNT.
 * With `sign`, the MAC covers the request's MAC (length and bytes), the response and the variables
 * (RFC 8945 §5.3); without, the record carries an empty MAC (the unsigned error replies of §5.3.2).
 */
export function appendTsig(
  response: Buffer,
  t: TsigResponse,
  sign: { secret: Buffer; requestMac: Buffer } | null,
): Buffer {
  let mac = Buffer.alloc(0);
  if (sign) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(sign.requestMac.length, 0);
    mac = createHmac('sha256', sign.secret)
      .update(len)
      .update(sign.requestMac)
      .update(response)
      .update(variables(t))
      .digest();
  }
  const rdata = Buffer.alloc(t.algorithmWire.length + 16 + mac.length + t.other.length);
  let p = t.algorithmWire.copy(rdata, 0);
  writeTime(rdata, p, t.timeSigned);
  rdata.writeUInt16BE(t.fudge, p + 6);
  rdata.writeUInt16BE(mac.length, p + 8);
  p += 10 + mac.copy(rdata, p + 10);
  rdata.writeUInt16BE(t.originalId, p);
  rdata.writeUInt16BE(t.error, p + 2);
  rdata.writeUInt16BE(t.other.length, p + 4);
  t.other.copy(rdata, p + 6);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_TSIG, 0);
  fixed.writeUInt16BE(CLASS_ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  const out = Buffer.concat([response, t.keyWire, fixed, rdata]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** Wire form of a presentation name (no escapes; for our own key and algorithm names). */
export function nameToWire(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const bufs = parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

/** Six bytes of `seconds` (BADTIME's Other Data: the server's time). */
export function timeBytes(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  writeTime(b, 0, seconds);
  return b;
}

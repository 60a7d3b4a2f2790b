/**
 * Reads what an answer depends on from a query's wire bytes, without decoding the whole message: the
 * header, the first question (its name lower-cased into a key buffer) and the EDNS OPT record. Every
 * step is bounded by the message's length: names are walked label by label and never followed through
 * compression pointers, other records are skipped by their lengths, and a header announcing more
 * records than the bytes can hold fails as soon as the bytes run out. One reader is reused for every
 * query (the responder is synchronous), so reading allocates nothing.
 */

/** Offset of the first question: right after the 12-byte header. */
export const QUESTION_START = 12;
/** Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4). */
const MAX_NAME_WIRE = 255;
const TYPE_OPT = 41;
/** Bytes at the start of QueryReader.key that the caller owns (see ZoneResponder). */
export const KEY_PREFIX = 3;

export type ReadStatus = 'ok' | 'formerr';

export class QueryReader {
  /**
   * The key of the question: KEY_PREFIX bytes the caller fills (transport limit, flags), then the
   * lower-cased name, type and class. Sized for the longest name.
   */
  readonly key = Buffer.alloc(KEY_PREFIX + MAX_NAME_WIRE + 4);
  /** Bytes of `key` in use after a successful read (prefix included). */
  keyLength = 0;
  /** Offset just past the first question's name; QUESTION_START when it could not be read. */
  nameEnd = QUESTION_START;
  /** Offset just past the first question (name, type, class); QUESTION_START = no question to echo. */
  questionEnd = QUESTION_START;
  qtype = 0;
  qclass = 0;
  /** The name has an ASCII capital: an answer cached for the lower-case spelling must be re-spelled. */
  upper = false;
  /** The OPT record's UDP payload size, or -1 when the query has no OPT record. */
  ednsSize = -1;
  ednsVersion = 0;
  /** The OPT record's DO bit (RFC 3225: echoed in the response). */
  ednsDo = false;

  /**
   * Read a query of at least 12 bytes. 'ok' means exactly one readable question and well-formed
   * sections after it (at most one OPT record, owned by the root); anything else is 'formerr', with
   * questionEnd telling whether the first question at least could be read (and so echoed).
   */
  read(msg: Buffer): ReadStatus {
    this.ednsSize = -1;
    this.ednsVersion = 0;
    this.ednsDo = false;
    const qdcount = msg.readUInt16BE(4);
    if (qdcount === 0) {
      this.nameEnd = this.questionEnd = QUESTION_START;
      return 'formerr';
    }
    if (!this.readQuestion(msg)) return 'formerr';
    if (qdcount !== 1) return 'formerr';
    const records = msg.readUInt16BE(6) + msg.readUInt16BE(8);
    let p = this.questionEnd;
    for (let i = 0; i < records; i++) {
      p = skipRecord(msg, p);
      if (p < 0) return 'formerr';
    }
    const arcount = msg.readUInt16BE(10);
    for (let i = 0; i < arcount; i++) {
      const start = p;
      p = skipName(msg, p);
      if (p < 0 || p + 10 > msg.length) return 'formerr';
      if (msg.readUInt16BE(p) === TYPE_OPT) {
        // RFC 6891 §6.1.1: one OPT record at most, owned by the root.
        if (this.ednsSize >= 0 || p !== start + 1) return 'formerr';
        this.ednsSize = msg.readUInt16BE(p + 2);
        this.ednsVersion = msg[p + 5]!;
        this.ednsDo = (msg[p + 6]! & 0x80) !== 0;
      }
      p += 10 + msg.readUInt16BE(p + 8);
      if (p > msg.length) return 'formerr';
    }
    return 'ok';
  }

  /** Read only the first question (for replies that echo it without needing the rest). */
  readQuestion(msg: Buffer): boolean {
    this.nameEnd = QUESTION_START;
    this.questionEnd = QUESTION_START;
    this.upper = false;
    const key = this.key;
    let p = QUESTION_START;
    let k = KEY_PREFIX;
    let upper = false;
    for (;;) {
      if (p >= msg.length) return false;
      const len = msg[p]!;
      if (len === 0) break;
      // A pointer in the first name could only point into the header; 0x40/0x80 are reserved.
      if (len > 63) return false;
      if (p - QUESTION_START + len + 2 > MAX_NAME_WIRE || p + 1 + len > msg.length) return false;
      key[k++] = len;
      for (let i = p + 1, end = p + 1 + len; i < end; i++) {
        let b = msg[i]!;
        if (b >= 0x41 && b <= 0x5a) {
          b |= 0x20;
          upper = true;
        }
        key[k++] = b;
      }
      p += 1 + len;
    }
    key[k++] = 0;
    p++;
    if (p + 4 > msg.length) return false;
    this.nameEnd = p;
    const t1 = msg[p]!;
    const t2 = msg[p + 1]!;
    const c1 = msg[p + 2]!;
    const c2 = msg[p + 3]!;
    this.qtype = (t1 << 8) | t2;
    this.qclass = (c1 << 8) | c2;
    key[k] = t1;
    key[k + 1] = t2;
    key[k + 2] = c1;
    key[k + 3] = c2;
    this.keyLength = k + 4;
    this.questionEnd = p + 4;
    this.upper = upper;
    return true;
  }

  /**
   * The lower-cased name in presentation form without the final dot ('' for the root). Bytes that
   * could be mistaken for structure (a dot or backslash inside a label, spaces, non-ASCII) are
   * written \DDD, so such a name can never equal a name of the zone.
   */
  lowerName(): string {
    const key = this.key;
    let out = '';
    let k = KEY_PREFIX;
    for (let len = key[k]!; len !== 0; len = key[k]!) {
      if (out !== '') out += '.';
      for (let i = k + 1; i <= k + len; i++) {
        const b = key[i]!;
        out +=
          b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c
            ? String.fromCharCode(b)
            : `\\${String(b).padStart(3, '0')}`;
      }
      k += 1 + len;
    }
    return out;
  }
}

/** Offset after the name at `p` (a pointer ends it; it is not followed), or -1. */
function skipName(msg: Buffer, p: number): number {
  for (;;) {
    if (p >= msg.length) return -1;
    const len = msg[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= msg.length ? p + 2 : -1;
    if (len > 63) return -1;
    p += 1 + len;
  }
}

/** Offset after the resource record at `p`, or -1 when the bytes end first. */
function skipRecord(msg: Buffer, p: number): number {
  p = skipName(msg, p);
  if (p < 0 || p + 10 > msg.length) return -1;
  p += 10 + msg.readUInt16BE(p + 8);
  return p <= msg.length ? p : -1;
}

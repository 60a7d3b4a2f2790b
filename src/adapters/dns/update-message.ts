/**
 * DNS UPDATE messages (RFC 2136) on the wire: a bounded reader for the zone, prerequisite, update and
 * additional sections (classes ANY and NONE, empty rdata, compressed names), the TSIG record located
 * for verification, the sections turned into the port's typed change set, and the reply encoder.
 * dns-packet is not used: it cannot decode class NONE and ignores the opcode when encoding.
 *
 * Every step is bounded by the message: counts are capped before anything is read, names are at most
 * 255 bytes and compression pointers must point backwards, rdata must fit its record. Anything
 * malformed is FORMERR, never an exception.
 */
import { isIPv6 } from 'node:net';
import type { DnsUpdate, Prerequisite, UpdateOp, UpdateRcode } from '../../ports/dns-update.js';
import { CLASS_ANY, TYPE_TSIG, type TsigRecord } from './tsig.js';

export const OPCODE_UPDATE = 5;
/** The largest UPDATE message read (TCP frames allow 64 KB; an update of 200 long TXT values fits). */
export const MAX_UPDATE_BYTES = 16_384;
export const MAX_PREREQUISITES = 100;
export const MAX_UPDATES = 200;
/** Additional records: the TSIG and a few others (ignored). */
const MAX_ADDITIONAL = 4;
const MAX_NAME_WIRE = 255;
const MAX_POINTER_HOPS = 64;

const CLASS_IN = 1;
const CLASS_NONE = 254;
const TYPE_SOA = 6;
const TYPE_ANY = 255;

export const RCODE: Record<UpdateRcode, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
};

const TYPE_NAMES: Partial<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  257: 'CAA',
};
/** Types that are never data (RFC 6895 §3.1): OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA. */
const META_TYPES = new Set([41, 249, 250, 251, 252, 253, 254]);

export const typeName = (t: number): string => TYPE_NAMES[t] ?? `TYPE${t}`;

interface Name {
  /** Presentation form, lower-case, no trailing dot; odd bytes as \DDD (they never match a zone name). */
  name: string;
  /** Wire form, lower-case, uncompressed. */
  wire: Buffer;
  /** Offset just past the name where it was read. */
  end: number;
}

/** Read the (possibly compressed) name at `p`; null when malformed. */
export function readName(msg: Buffer, p: number): Name | null {
  const labels: Buffer[] = [];
  let wireLength = 1;
  let end = -1;
  let hops = 0;
  // A pointer must point before the name's start, and each further one before the previous target:
  // the walk always moves backwards, so it ends.
  let floor = p;
  for (;;) {
    if (p >= msg.length) return null;
    const len = msg[p]!;
    if (len === 0) {
      if (end < 0) end = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 2 > msg.length || ++hops > MAX_POINTER_HOPS) return null;
      const target = ((len & 0x3f) << 8) | msg[p + 1]!;
      if (end < 0) end = p + 2;
      if (target >= floor || target < 12) return null;
      floor = target;
      p = target;
      continue;
    }
    if (len > 63 || p + 1 + len > msg.length) return null;
    wireLength += 1 + len;
    if (wireLength > MAX_NAME_WIRE) return null;
    labels.push(msg.subarray(p + 1, p + 1 + len));
    p += 1 + len;
  }
  const wire = Buffer.alloc(wireLength);
  let w = 0;
  let name = '';
  for (const label of labels) {
    wire[w++] = label.length;
    if (name !== '') name += '.';
    for (const byte of label) {
      const b = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
      wire[w++] = b;
      name +=
        b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c
          ? String.fromCharCode(b)
          : `\\${String(b).padStart(3, '0')}`;
    }
  }
  return { name, wire, end };
}

/** One record of a section as read: its fields and where its rdata lies. */
export interface RawRr {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  rdStart: number;
  rdLength: number;
}

/** An UPDATE message read far enough to verify its signature. */
export interface UpdateFrame {
  id: number;
  zone: { name: string; type: number; cls: number };
  /** Offset just past the zone section (the reply echoes it). */
  zoneEnd: number;
  prerequisites: RawRr[];
  updates: RawRr[];
  tsig: TsigRecord | null;
}

export type FrameResult = { ok: true; frame: UpdateFrame } | { ok: false; rcode: 'FORMERR' };

const FORMERR = { ok: false, rcode: 'FORMERR' } as const;

/** True when `msg` is an UPDATE request (opcode 5, QR clear). */
export function isUpdateRequest(msg: Buffer): boolean {
  return msg.length >= 12 && (msg[2]! & 0x80) === 0 && ((msg[2]! >> 3) & 0x0f) === OPCODE_UPDATE;
}

function readRr(msg: Buffer, p: number): { rr: RawRr; end: number; nameWire: Buffer } | null {
  const n = readName(msg, p);
  if (!n || n.end + 10 > msg.length) return null;
  const q = n.end;
  const rdLength = msg.readUInt16BE(q + 8);
  if (q + 10 + rdLength > msg.length) return null;
  return {
    rr: {
      name: n.name,
      type: msg.readUInt16BE(q),
      cls: msg.readUInt16BE(q + 2),
      ttl: msg.readUInt32BE(q + 4),
      rdStart: q + 10,
      rdLength,
    },
    end: q + 10 + rdLength,
    nameWire: n.wire,
  };
}

/**
 * Read the sections of an UPDATE request and locate its TSIG record (which must be the last
 * additional record). FORMERR for anything malformed or over the bounds.
 */
export function readUpdateFrame(msg: Buffer): FrameResult {
  if (msg.length < 12 || msg.length > MAX_UPDATE_BYTES) return FORMERR;
  const zocount = msg.readUInt16BE(4);
  const prcount = msg.readUInt16BE(6);
  const upcount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  if (
    zocount !== 1 ||
    prcount > MAX_PREREQUISITES ||
    upcount > MAX_UPDATES ||
    arcount > MAX_ADDITIONAL
  )
    return FORMERR;
  const zn = readName(msg, 12);
  if (!zn || zn.end + 4 > msg.length) return FORMERR;
  const zone = { name: zn.name, type: msg.readUInt16BE(zn.end), cls: msg.readUInt16BE(zn.end + 2) };
  const zoneEnd = zn.end + 4;
  let p = zoneEnd;
  const prerequisites: RawRr[] = [];
  const updates: RawRr[] = [];
  for (let i = 0; i < prcount + upcount; i++) {
    const r = readRr(msg, p);
    if (!r) return FORMERR;
    (i < prcount ? prerequisites : updates).push(r.rr);
    p = r.end;
  }
  let tsig: TsigRecord | null = null;
  for (let i = 0; i < arcount; i++) {
    const start = p;
    const r = readRr(msg, p);
    if (!r) return FORMERR;
    p = r.end;
    if (r.rr.type !== TYPE_TSIG) continue;
    // RFC 8945 §5.1: the TSIG record is the last one, of class ANY and TTL 0.
    if (i !== arcount - 1 || r.rr.cls !== CLASS_ANY || r.rr.ttl !== 0) return FORMERR;
    const t = readTsigRdata(msg, r.rr, r.nameWire, start);
    if (!t) return FORMERR;
    tsig = t;
  }
  if (p !== msg.length) return FORMERR;
  return {
    ok: true,
    frame: { id: msg.readUInt16BE(0), zone, zoneEnd, prerequisites, updates, tsig },
  };
}

function readTsigRdata(msg: Buffer, rr: RawRr, keyWire: Buffer, start: number): TsigRecord | null {
  const end = rr.rdStart + rr.rdLength;
  const alg = readName(msg, rr.rdStart);
  if (!alg) return null;
  let p = alg.end;
  if (p + 10 > end) return null;
  const timeSigned = msg.readUInt16BE(p) * 2 ** 32 + msg.readUInt32BE(p + 2);
  const fudge = msg.readUInt16BE(p + 6);
  const macSize = msg.readUInt16BE(p + 8);
  p += 10;
  if (p + macSize + 6 > end) return null;
  const mac = Buffer.from(msg.subarray(p, p + macSize));
  p += macSize;
  const originalId = msg.readUInt16BE(p);
  const error = msg.readUInt16BE(p + 2);
  const otherLength = msg.readUInt16BE(p + 4);
  p += 6;
  if (p + otherLength !== end) return null;
  return {
    keyName: rr.name,
    keyWire,
    algorithm: alg.name,
    algorithmWire: alg.wire,
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    other: Buffer.from(msg.subarray(p, end)),
    start,
  };
}

/** Offset just past the (possibly compressed) name at `p`, without reading it; -1 when malformed. */
function skipName(msg: Buffer, p: number): number {
  for (let labels = 0; p < msg.length && labels < 128; labels++) {
    const len = msg[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= msg.length ? p + 2 : -1;
    if (len > 63) return -1;
    p += 1 + len;
  }
  return -1;
}

/** Records a signed query may carry at most (question, OPT, TSIG, and a little slack). */
const MAX_QUERY_RECORDS = 8;

/**
 * The TSIG record of a query (a message that is neither a response nor an UPDATE), when it carries
 * one as its last additional record: null when it has none (the usual case, found without
 * allocating), 'bad' when one is there but malformed or not last. Queries signed with a token's key
 * get signed answers (RFC 8945 §5.3).
 */
export function queryTsig(msg: Buffer): TsigRecord | 'bad' | null {
  if (msg.length < 12 || (msg[2]! & 0x80) !== 0 || msg.readUInt16BE(10) === 0) return null;
  const qd = msg.readUInt16BE(4);
  const total = qd + msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  if (total > MAX_QUERY_RECORDS) return null;
  let p = 12;
  for (let i = 0; i < qd; i++) {
    p = skipName(msg, p);
    if (p < 0 || p + 4 > msg.length) return null;
    p += 4;
  }
  const records = total - qd;
  for (let i = 0; i < records; i++) {
    const start = p;
    p = skipName(msg, p);
    if (p < 0 || p + 10 > msg.length) return null;
    const type = msg.readUInt16BE(p);
    const end = p + 10 + msg.readUInt16BE(p + 8);
    if (end > msg.length) return null;
    if (type === TYPE_TSIG) {
      if (i !== records - 1 || end !== msg.length) return 'bad';
      const r = readRr(msg, start);
      if (!r || r.rr.cls !== CLASS_ANY || r.rr.ttl !== 0) return 'bad';
      return readTsigRdata(msg, r.rr, r.nameWire, start) ?? 'bad';
    }
    p = end;
  }
  return null;
}

/**
 * An error reply to a query: its header (id, opcode, RD) with QR and `rcode`, the question section
 * echoed (`questionEnd` > 12), no records. A TSIG record is appended separately (tsig.ts).
 */
export function queryErrorReply(msg: Buffer, rcode: UpdateRcode): Buffer {
  let end = 12;
  const qd = msg.readUInt16BE(4);
  for (let i = 0; i < qd; i++) {
    const n = skipName(msg, end);
    if (n < 0 || n + 4 > msg.length) {
      end = 12;
      break;
    }
    end = n + 4;
  }
  const out = Buffer.alloc(end);
  msg.copy(out, 0, 0, end);
  out[2] = 0x80 | (msg[2]! & 0x79);
  out[3] = RCODE[rcode];
  out.writeUInt16BE(end > 12 ? qd : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}

export type UpdateResult =
  { ok: true; update: DnsUpdate } | { ok: false; rcode: UpdateRcode; reason: string };

const fail = (rcode: UpdateRcode, reason: string): UpdateResult => ({ ok: false, rcode, reason });

const inZone = (name: string, origin: string) => name === origin || name.endsWith(`.${origin}`);

/**
 * The change set of a framed UPDATE for the zone `origin` (RFC 2136 §3.1–3.4.1 prescan): the zone
 * must be `origin` (NOTAUTH otherwise), every name inside it (NOTZONE), classes, TTLs and rdata as
 * §2.4/§2.5 allow (FORMERR).
 */
export function toDnsUpdate(msg: Buffer, frame: UpdateFrame, origin: string): UpdateResult {
  const zoneName = origin.toLowerCase().replace(/\.$/, '');
  if (frame.zone.type !== TYPE_SOA) return fail('FORMERR', 'the zone section must name an SOA');
  if (frame.zone.cls !== CLASS_IN) return fail('NOTAUTH', 'only class IN is served');
  if (frame.zone.name !== zoneName)
    return fail('NOTAUTH', `not authoritative for ${frame.zone.name}`);
  const prerequisites: Prerequisite[] = [];
  const equals = new Map<string, Extract<Prerequisite, { kind: 'rrset-equals' }>>();
  for (const rr of frame.prerequisites) {
    if (!inZone(rr.name, zoneName)) return fail('NOTZONE', `${rr.name} is outside the zone`);
    if (rr.ttl !== 0) return fail('FORMERR', 'a prerequisite has a TTL');
    const type = typeName(rr.type);
    if (rr.cls === CLASS_ANY || rr.cls === CLASS_NONE) {
      if (rr.rdLength !== 0) return fail('FORMERR', 'a prerequisite of class ANY/NONE has rdata');
      const any = rr.type === TYPE_ANY;
      if (!any && META_TYPES.has(rr.type)) return fail('FORMERR', `prerequisite type ${type}`);
      prerequisites.push(
        rr.cls === CLASS_ANY
          ? any
            ? { kind: 'name-in-use', name: rr.name }
            : { kind: 'rrset-exists', name: rr.name, type }
          : any
            ? { kind: 'name-absent', name: rr.name }
            : { kind: 'rrset-absent', name: rr.name, type },
      );
    } else if (rr.cls === CLASS_IN) {
      if (rr.type === TYPE_ANY || META_TYPES.has(rr.type))
        return fail('FORMERR', `prerequisite type ${type}`);
      const value = readRdata(msg, rr);
      if (value === 'bad') return fail('FORMERR', `malformed ${type} rdata`);
      const key = `${rr.name} ${type}`;
      let set = equals.get(key);
      if (!set) {
        set = { kind: 'rrset-equals', name: rr.name, type, records: [] };
        equals.set(key, set);
        prerequisites.push(set);
      }
      set.records.push({ name: rr.name, type, ttl: 0, ...value });
    } else return fail('FORMERR', `prerequisite class ${rr.cls}`);
  }
  const updates: UpdateOp[] = [];
  for (const rr of frame.updates) {
    if (!inZone(rr.name, zoneName)) return fail('NOTZONE', `${rr.name} is outside the zone`);
    const type = typeName(rr.type);
    if (rr.cls === CLASS_IN) {
      if (rr.type === TYPE_ANY || META_TYPES.has(rr.type))
        return fail('FORMERR', `cannot add type ${type}`);
      const value = readRdata(msg, rr);
      if (value === 'bad') return fail('FORMERR', `malformed ${type} rdata`);
      updates.push({ kind: 'add', rr: { name: rr.name, type, ttl: rr.ttl, ...value } });
    } else if (rr.cls === CLASS_ANY) {
      if (rr.ttl !== 0 || rr.rdLength !== 0)
        return fail('FORMERR', 'a delete of class ANY has a TTL or rdata');
      if (rr.type === TYPE_ANY) updates.push({ kind: 'delete-name', name: rr.name });
      else if (META_TYPES.has(rr.type)) return fail('FORMERR', `cannot delete type ${type}`);
      else updates.push({ kind: 'delete-rrset', name: rr.name, type });
    } else if (rr.cls === CLASS_NONE) {
      if (rr.ttl !== 0) return fail('FORMERR', 'a delete of class NONE has a TTL');
      if (rr.type === TYPE_ANY || META_TYPES.has(rr.type))
        return fail('FORMERR', `cannot delete type ${type}`);
      const value = readRdata(msg, rr);
      if (value === 'bad') return fail('FORMERR', `malformed ${type} rdata`);
      updates.push({ kind: 'delete-rr', rr: { name: rr.name, type, ttl: 0, ...value } });
    } else return fail('FORMERR', `update class ${rr.cls}`);
  }
  return { ok: true, update: { zone: zoneName, prerequisites, updates } };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The rdata of a record in the service's value form: A dotted quad, AAAA compressed lower-case, CNAME
 * and MX host without the final dot (MX preference as priority), TXT its strings joined. Types we do
 * not store have value null; rdata that does not fit its type is 'bad'.
 */
function readRdata(
  msg: Buffer,
  rr: RawRr,
): { value: string | null; priority: number | null } | 'bad' {
  const { rdStart: p, rdLength: len } = rr;
  const end = p + len;
  switch (rr.type) {
    case 1:
      if (len !== 4) return 'bad';
      return { value: [...msg.subarray(p, end)].join('.'), priority: null };
    case 28: {
      if (len !== 16) return 'bad';
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(msg.readUInt16BE(p + 2 * i).toString(16));
      return { value: compressIPv6(groups), priority: null };
    }
    case 5: {
      const n = readName(msg, p);
      if (!n || n.end !== end) return 'bad';
      return { value: n.name, priority: null };
    }
    case 15: {
      if (len < 3) return 'bad';
      const n = readName(msg, p + 2);
      if (!n || n.end !== end) return 'bad';
      return { value: n.name, priority: msg.readUInt16BE(p) };
    }
    case 16: {
      if (len === 0) return 'bad';
      const parts: Buffer[] = [];
      for (let q = p; q < end;) {
        const l = msg[q]!;
        if (q + 1 + l > end) return 'bad';
        parts.push(msg.subarray(q + 1, q + 1 + l));
        q += 1 + l;
      }
      try {
        return { value: utf8.decode(Buffer.concat(parts)), priority: null };
      } catch {
        // Not UTF-8: not something a record here can hold (the apply step refuses null values).
        return { value: null, priority: null };
      }
    }
    default:
      return { value: null, priority: null };
  }
}

/** RFC 5952 form of eight hex groups: the longest run (≥ 2) of zero groups becomes '::'. */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const out =
    best < 0
      ? groups.join(':')
      : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  return isIPv6(out) ? out : groups.join(':');
}

/**
 * The reply to an UPDATE: header (id, opcode 5, QR, rcode) and the zone section echoed when it could
 * be read (`zoneEnd` > 12), nothing else. A TSIG record is appended separately (tsig.ts).
 */
export function updateReply(msg: Buffer, rcode: UpdateRcode, zoneEnd: number): Buffer {
  const echo = zoneEnd > 12 && zoneEnd <= msg.length ? zoneEnd - 12 : 0;
  const out = Buffer.alloc(12 + echo);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = 0x80 | (OPCODE_UPDATE << 3);
  out[3] = RCODE[rcode];
  if (echo > 0) {
    out.writeUInt16BE(1, 4);
    msg.copy(out, 12, 12, zoneEnd);
  }
  return out;
}

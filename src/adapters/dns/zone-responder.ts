/**
 * An authoritative answerer for one zone held in memory: SOA and NS at the apex, AA on every in-zone
 * answer, NXDOMAIN vs NODATA (SOA in the authority section), REFUSED outside the zone, case-insensitive
 * lookups that echo the asker's spelling, in-zone CNAME chasing, TXT split into 255-byte strings, EDNS0,
 * and truncation for UDP. Encoded answers are cached per question, bounded in bytes, until the zone
 * changes.
 */
import dnsPacket, { type Answer } from 'dns-packet';
import type { RecordType } from '../../domain/dns-records/types.js';
import type { ZoneScope } from '../../domain/reconciler/desired-state.js';
import { KEY_PREFIX, QUESTION_START, QueryReader } from './wire-query.js';

export interface ZoneRecord {
  /** Owner name, any case, no trailing dot. */
  name: string;
  type: RecordType;
  /** Canonical value (A dotted quad, AAAA, CNAME host, MX "priority host", TXT text). */
  value: string;
  ttl?: number;
}

export interface ZoneInput {
  origin: string;
  serial: number;
  nameservers: string[];
  records: readonly ZoneRecord[];
  /** TTL of records without their own (default 300). */
  ttl?: number;
  /** SOA MINIMUM = negative-caching TTL (default 60: keep it low so new names appear quickly). */
  negativeTtl?: number;
}

type StoredType = RecordType | 'SOA' | 'NS';
/**
 * The records at one name, by type. A plain object: with a Map per name, a zone of 100,000 records took
 * 74 MB of heap instead of 50.
 */
type RecordSets = Partial<Record<StoredType, Answer[]>>;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const MAX_CNAME_CHAIN = 8;

export class Zone {
  readonly origin: string;
  private currentSerial: number;
  private readonly sets = new Map<string, RecordSets>();
  /**
   * Every name that exists, including empty non-terminals (so their absence of data is NODATA), with
   * how many names holding data are at or below it (a name stops existing when that reaches 0).
   */
  private readonly names = new Map<string, number>();
  /** Names holding data, by their ancestor directly below the apex (so a user's part is found at once). */
  private readonly branches = new Map<string, Set<string>>();
  soa: Answer;
  private readonly ttl: number;
  private readonly nameservers: readonly string[];
  private readonly negativeTtl: number;

  constructor(input: ZoneInput) {
    this.origin = input.origin.toLowerCase().replace(/\.$/, '');
    this.currentSerial = input.serial >>> 0;
    this.ttl = input.ttl ?? 300;
    this.nameservers = input.nameservers;
    this.negativeTtl = input.negativeTtl ?? 60;
    this.names.set(this.origin, 1);
    this.soa = this.makeSoa();
    this.put(this.origin, 'SOA', this.soa);
    for (const ns of input.nameservers)
      this.put(this.origin, 'NS', {
        name: this.origin,
        type: 'NS',
        class: 'IN',
        ttl: this.ttl,
        data: ns,
      });
    for (const r of input.records) this.add(r);
  }

  get serial(): number {
    return this.currentSerial;
  }

  private makeSoa(): Answer {
    return {
      name: this.origin,
      type: 'SOA',
      class: 'IN',
      ttl: this.ttl,
      data: {
        mname: this.nameservers[0] ?? `ns1.${this.origin}`,
        rname: `hostmaster.${this.origin}`,
        serial: this.currentSerial,
        refresh: 3600,
        retry: 600,
        expire: 1_209_600,
        minimum: this.negativeTtl,
      },
    };
  }

  /** Add one record; records outside the zone are ignored. */
  private add(r: ZoneRecord): void {
    const name = r.name.toLowerCase().replace(/\.$/, '');
    if (name !== this.origin && !name.endsWith(`.${this.origin}`)) return;
    const answer = toAnswer(name, r, r.ttl ?? this.ttl);
    if (answer) this.put(name, r.type, answer);
  }

  /**
   * Replace parts of the zone in place: drop every record in `scopes`, add those of `records` that fall
   * in them, and take `serial`. The apex (SOA, NS) cannot be replaced.
   */
  patch(serial: number, scopes: readonly ZoneScope[], records: readonly ZoneRecord[]): void {
    const exact = new Set<string>();
    const subtrees = new Set<string>();
    for (const sc of scopes) {
      const name = sc.name.toLowerCase().replace(/\.$/, '');
      if (!name.endsWith(`.${this.origin}`)) continue;
      (sc.subtree ? subtrees : exact).add(name);
    }
    for (const name of exact) this.drop(name);
    for (const top of subtrees) {
      const branch = this.branchOf(top);
      for (const name of [...(this.branches.get(branch) ?? [])])
        if (name === top || name.endsWith(`.${top}`)) this.drop(name);
    }
    const covered = (name: string) => {
      if (exact.has(name)) return true;
      for (let n = name; n.length > this.origin.length; n = n.slice(n.indexOf('.') + 1))
        if (subtrees.has(n)) return true;
      return false;
    };
    for (const r of records) if (covered(r.name.toLowerCase().replace(/\.$/, ''))) this.add(r);
    this.currentSerial = serial >>> 0;
    this.sets.get(this.origin)!.SOA = [(this.soa = this.makeSoa())];
  }

  /** The name's ancestor directly below the apex (the name itself when it is there). */
  private branchOf(name: string): string {
    const rest = name.slice(0, -(this.origin.length + 1));
    return `${rest.slice(rest.lastIndexOf('.') + 1)}.${this.origin}`;
  }

  private put(name: string, type: StoredType, answer: Answer) {
    let node = this.sets.get(name);
    if (!node) {
      node = {};
      this.sets.set(name, node);
      // The name and its ancestors up to the apex exist (empty non-terminals too).
      for (let n = name; n.length > this.origin.length; n = n.slice(n.indexOf('.') + 1))
        this.names.set(n, (this.names.get(n) ?? 0) + 1);
      if (name !== this.origin) {
        const branch = this.branchOf(name);
        let set = this.branches.get(branch);
        if (!set) this.branches.set(branch, (set = new Set()));
        set.add(name);
      }
    }
    const list = node[type];
    if (list) list.push(answer);
    else node[type] = [answer];
  }

  /** Remove every record at `name` (below the apex). */
  private drop(name: string): void {
    if (!this.sets.delete(name)) return;
    for (let n = name; n.length > this.origin.length; n = n.slice(n.indexOf('.') + 1)) {
      const left = (this.names.get(n) ?? 1) - 1;
      if (left > 0) this.names.set(n, left);
      else this.names.delete(n);
    }
    const branch = this.branchOf(name);
    const set = this.branches.get(branch);
    set?.delete(name);
    if (set?.size === 0) this.branches.delete(branch);
  }

  inZone(lname: string): boolean {
    return lname === this.origin || lname.endsWith(`.${this.origin}`);
  }

  /** Resolve a question: answers, rcode, and whether the SOA goes in the authority section. */
  resolve(qname: string, qtype: string): { answers: Answer[]; rcode: number; negative: boolean } {
    const answers: Answer[] = [];
    let name = qname.toLowerCase().replace(/\.$/, '');
    let spelled = qname.replace(/\.$/, '');
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      if (!this.inZone(name)) return { answers, rcode: RCODE.NOERROR, negative: false };
      const node = this.sets.get(name);
      if (!node) {
        const exists = this.names.has(name);
        return { answers, rcode: exists ? RCODE.NOERROR : RCODE.NXDOMAIN, negative: true };
      }
      if (qtype === 'ANY') {
        for (const list of Object.values(node))
          answers.push(...list.map((a) => ({ ...a, name: spelled })));
        return { answers, rcode: RCODE.NOERROR, negative: false };
      }
      // Own properties only: a type name can never reach Object.prototype's members.
      const direct = Object.hasOwn(node, qtype) ? node[qtype as StoredType] : undefined;
      if (direct) {
        answers.push(...direct.map((a) => ({ ...a, name: spelled })));
        return { answers, rcode: RCODE.NOERROR, negative: false };
      }
      const cname = node.CNAME;
      if (cname && cname[0]) {
        answers.push({ ...cname[0], name: spelled });
        name = String((cname[0] as { data: unknown }).data).toLowerCase();
        spelled = name;
        continue;
      }
      return { answers, rcode: RCODE.NOERROR, negative: true };
    }
    return { answers, rcode: RCODE.SERVFAIL, negative: false };
  }

  negativeSoa(): Answer {
    const soa = this.soa as Answer & { ttl?: number };
    return { ...soa, ttl: Math.min(soa.ttl ?? 300, this.negativeTtl) } as Answer;
  }
}

function toAnswer(name: string, r: ZoneRecord, ttl: number): Answer | null {
  const base = { name, class: 'IN' as const, ttl };
  switch (r.type) {
    case 'A':
      return { ...base, type: 'A', data: r.value };
    case 'AAAA':
      return { ...base, type: 'AAAA', data: r.value };
    case 'CNAME':
      return { ...base, type: 'CNAME', data: r.value.replace(/\.$/, '') };
    case 'MX': {
      const [prio, host] = r.value.split(/\s+/);
      return { ...base, type: 'MX', data: { preference: Number(prio), exchange: host ?? '' } };
    }
    case 'TXT': {
      const bytes = Buffer.from(r.value, 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
      if (chunks.length === 0) chunks.push(Buffer.alloc(0));
      return { ...base, type: 'TXT', data: chunks };
    }
  }
}

export interface ResponderOptions {
  /** Largest UDP reply to an EDNS query, the client's advertised size permitting (default 1232). */
  udpMaxPayload?: number;
  /** Bound of the answer cache in bytes, replies and keys plus a per-entry estimate; 0 = no cache. */
  cacheMaxBytes?: number;
}

/** The DNS Flag Day 2020 value: fits the common 1280-byte IPv6 MTU without fragmentation. */
export const DEFAULT_UDP_MAX_PAYLOAD = 1232;
export const DEFAULT_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** What a cached answer costs beyond its reply and key bytes: Map slot, entry, Buffer and array objects. */
const ENTRY_OVERHEAD = 200;
/** Without EDNS a UDP reply is at most 512 bytes (RFC 1035 §4.2.1). */
const PLAIN_UDP = 512;
/** Largest message a 2-byte TCP length prefix can frame. */
const MAX_TCP = 65_535;
const OPT_LENGTH = 11;

/** The types the zone can hold (and ANY); any other type is looked up by a name no record has. */
const TYPE_NAMES: Partial<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  255: 'ANY',
};
const CLASS_IN = 1;
const CLASS_ANY = 255;
/** What a meta-type in the question gets (RFC 6895 §3.1): zone transfers are refused. */
const META_TYPES: Partial<Record<number, number>> = {
  41: RCODE.FORMERR, // OPT
  249: RCODE.FORMERR, // TKEY
  250: RCODE.FORMERR, // TSIG
  251: RCODE.REFUSED, // IXFR
  252: RCODE.REFUSED, // AXFR
  253: RCODE.NOTIMP, // MAILB
  254: RCODE.NOTIMP, // MAILA
};

interface CacheEntry {
  bytes: Buffer;
  /** Offsets where the question's name is written (the question, answers it owns): re-spelled per asker. */
  names: number[];
  cost: number;
}

/**
 * Answers wire-format queries for one zone; swap the zone with setZone (clears the cache).
 *
 * Replies hold to the size rule on every path: over UDP at most 512 bytes without EDNS, and at most the
 * smaller of the client's size and udpMaxPayload with it; error replies carry at most the first
 * question. Answers are cached by what determines their bytes apart from the id and the name's case
 * (the transport's size limit, RD, EDNS and DO, the lower-cased question), bounded in bytes and
 * evicted oldest first; each reply gets the asker's id and spelling.
 */
export class ZoneResponder {
  private zone: Zone;
  private cache = new Map<string, CacheEntry>();
  /** Cache keys oldest first from `oldest`: the eviction queue. */
  private order: string[] = [];
  private oldest = 0;
  private bytes = 0;
  private readonly reader = new QueryReader();
  readonly udpMaxPayload: number;
  readonly cacheMaxBytes: number;
  /** Answers served from the cache and built afresh (for tests and benchmarks). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(zone: Zone, options: ResponderOptions = {}) {
    this.zone = zone;
    this.udpMaxPayload = Math.max(PLAIN_UDP, options.udpMaxPayload ?? DEFAULT_UDP_MAX_PAYLOAD);
    this.cacheMaxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  get current(): Zone {
    return this.zone;
  }

  /** Bytes the cached answers are accounted at (never above cacheMaxBytes). */
  get cacheBytes(): number {
    return this.bytes;
  }

  get cacheEntries(): number {
    return this.cache.size;
  }

  setZone(zone: Zone): void {
    this.zone = zone;
    this.clearCache();
  }

  /** Replace parts of the current zone (see Zone.patch); cached answers are dropped. */
  patch(serial: number, scopes: readonly ZoneScope[], records: readonly ZoneRecord[]): void {
    this.zone.patch(serial, scopes, records);
    this.clearCache();
  }

  private clearCache(): void {
    this.cache = new Map();
    this.order = [];
    this.oldest = 0;
    this.bytes = 0;
  }

  /**
   * Build the response to one query message; null when the message is not worth answering. `reserve`
   * bytes of a UDP reply's size are kept free for a record appended afterwards (a TSIG signature).
   */
  respond(query: Buffer, transport: 'udp' | 'tcp', reserve = 0): Buffer | null {
    if (query.length < 12 || query[2]! & 0x80) return null; // no room for a header, or a response
    const r = this.reader;
    if (query[2]! & 0x78) {
      // Not a standard query (NOTIFY, UPDATE, …): NOTIMP, echoing at most the first question.
      r.readQuestion(query);
      return this.smallReply(query, RCODE.NOTIMP, r.questionEnd, false);
    }
    if (r.read(query) !== 'ok') return this.smallReply(query, RCODE.FORMERR, r.questionEnd, false);
    const edns = r.ednsSize >= 0;
    // BADVERS: extended rcode 16 = OPT high bits 1, header rcode 0.
    if (edns && r.ednsVersion !== 0) return this.smallReply(query, 0, r.questionEnd, true, 1);
    const meta = META_TYPES[r.qtype];
    if (meta !== undefined) return this.smallReply(query, meta, r.questionEnd, edns);
    if (r.qclass !== CLASS_IN && r.qclass !== CLASS_ANY)
      return this.smallReply(query, RCODE.REFUSED, r.questionEnd, edns);
    const limit =
      transport === 'tcp'
        ? MAX_TCP
        : edns
          ? Math.min(Math.max(r.ednsSize, PLAIN_UDP), this.udpMaxPayload) - reserve
          : PLAIN_UDP - reserve;
    const key = r.key;
    key[0] = limit >> 8;
    key[1] = limit & 0xff;
    key[2] = (query[2]! & 0x01) | (edns ? 2 : 0) | (r.ednsDo ? 4 : 0);
    const k = key.toString('latin1', 0, r.keyLength);
    let entry = this.cache.get(k);
    if (entry) this.stats.hits++;
    else {
      this.stats.misses++;
      let built: CacheEntry | null;
      try {
        built = this.build(query, limit, edns);
      } catch {
        return this.smallReply(query, RCODE.SERVFAIL, r.questionEnd, edns);
      }
      if (!built) return this.smallReply(query, RCODE.REFUSED, r.questionEnd, edns);
      entry = built;
      this.remember(k, entry, built.bytes.length + k.length + ENTRY_OVERHEAD);
    }
    const out = Buffer.from(entry.bytes);
    out[0] = query[0]!;
    out[1] = query[1]!;
    if (r.upper) for (const at of entry.names) query.copy(out, at, QUESTION_START, r.nameEnd);
    return out;
  }

  /**
   * A minimal TC=1 reply (header and first question) that sends the client to TCP, for rate-limited
   * UDP (RRL "slip"); null when the message is not a readable query.
   */
  slip(query: Buffer): Buffer | null {
    if (query.length < 12 || query[2]! & 0xf8) return null;
    if (!this.reader.readQuestion(query)) return null;
    const out = this.smallReply(query, 0, this.reader.questionEnd, false);
    out[2] = out[2]! | 0x02;
    return out;
  }

  /**
   * The answer to the question the reader holds, spelled in lower case, or null when the name is not
   * in the zone. Too big for `limit`: the question alone with TC set (the client retries over TCP).
   */
  private build(query: Buffer, limit: number, edns: boolean): CacheEntry | null {
    const r = this.reader;
    const lname = r.lowerName();
    if (!this.zone.inZone(lname)) return null;
    const { answers, rcode, negative } = this.zone.resolve(
      lname,
      TYPE_NAMES[r.qtype] ?? `TYPE${r.qtype}`,
    );
    // dns-packet writes the records (uncompressed); the header and question are written here.
    const records = dnsPacket.encode({
      type: 'response',
      id: 0,
      flags: 0,
      questions: [],
      answers,
      authorities: negative ? [this.zone.negativeSoa()] : [],
      additionals: [],
    });
    const qlen = r.keyLength - KEY_PREFIX;
    const optLen = edns ? OPT_LENGTH : 0;
    const fullLength = QUESTION_START + qlen + records.length - 12 + optLen;
    const truncated = fullLength > limit;
    const out = Buffer.alloc(truncated ? QUESTION_START + qlen + optLen : fullLength);
    out[2] = 0x80 | 0x04 | (query[2]! & 0x01) | (truncated ? 0x02 : 0); // QR AA RD (TC)
    out[3] = rcode;
    out[5] = 1;
    r.key.copy(out, QUESTION_START, KEY_PREFIX, r.keyLength);
    const names = [QUESTION_START];
    if (!truncated) {
      records.copy(out, 6, 6, 12); // answer, authority and additional counts
      records.copy(out, QUESTION_START + qlen, 12);
      const nameLen = r.nameEnd - QUESTION_START;
      let p = QUESTION_START + qlen;
      for (let i = out.readUInt16BE(6); i > 0; i--) {
        if (out.compare(r.key, KEY_PREFIX, KEY_PREFIX + nameLen, p, p + nameLen) === 0)
          names.push(p);
        while (out[p] !== 0) p += 1 + out[p]!;
        p += 11 + out.readUInt16BE(p + 9);
      }
    }
    if (edns) {
      out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
      this.writeOpt(out, out.length - OPT_LENGTH, 0);
    }
    return { bytes: out, names, cost: 0 };
  }

  private remember(key: string, entry: CacheEntry, cost: number): void {
    if (cost > this.cacheMaxBytes) return;
    while (this.bytes + cost > this.cacheMaxBytes && this.oldest < this.order.length) {
      const old = this.order[this.oldest++]!;
      const gone = this.cache.get(old);
      if (gone) {
        this.cache.delete(old);
        this.bytes -= gone.cost;
      }
    }
    if (this.oldest > 1024 && this.oldest * 2 > this.order.length) {
      this.order = this.order.slice(this.oldest);
      this.oldest = 0;
    }
    entry.cost = cost;
    this.cache.set(key, entry);
    this.order.push(key);
    this.bytes += cost;
  }

  /**
   * A reply of header, at most the first question (the query's bytes up to questionEnd) and an OPT
   * record: the id, opcode and RD echoed, QR and the rcode set.
   */
  private smallReply(
    query: Buffer,
    rcode: number,
    questionEnd: number,
    opt: boolean,
    extendedRcode = 0,
  ): Buffer {
    const qlen = questionEnd - QUESTION_START;
    const out = Buffer.alloc(QUESTION_START + qlen + (opt ? OPT_LENGTH : 0));
    out[0] = query[0]!;
    out[1] = query[1]!;
    out[2] = 0x80 | (query[2]! & 0x79);
    out[3] = rcode;
    if (qlen > 0) {
      out[5] = 1;
      query.copy(out, QUESTION_START, QUESTION_START, questionEnd);
    }
    if (opt) {
      out[11] = 1;
      this.writeOpt(out, QUESTION_START + qlen, extendedRcode);
    }
    return out;
  }

  /** Our OPT record: the payload size we accept, version 0, the query's DO bit echoed. */
  private writeOpt(out: Buffer, at: number, extendedRcode: number): void {
    out[at] = 0; // root owner
    out.writeUInt16BE(41, at + 1);
    out.writeUInt16BE(this.udpMaxPayload, at + 3);
    out[at + 5] = extendedRcode;
    out[at + 6] = 0;
    out[at + 7] = this.reader.ednsDo ? 0x80 : 0;
    out[at + 8] = 0;
    out.writeUInt16BE(0, at + 9);
  }
}

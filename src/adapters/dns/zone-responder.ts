/**
 * An authoritative answerer for one zone held in memory: SOA and NS at the apex, AA on every in-zone
 * answer, NXDOMAIN vs NODATA (SOA in the authority section), REFUSED outside the zone, case-insensitive
 * lookups that echo the asker's spelling, in-zone CNAME chasing, TXT split into 255-byte strings, EDNS0,
 * and truncation for UDP. Encoded answers are cached per question until the zone is replaced.
 */
import dnsPacket, { type Answer, type Packet, type Question } from 'dns-packet';
import type { RecordType } from '../../domain/dns-records/types.js';
import type { ZoneScope } from '../../domain/reconciler/desired-state.js';

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
const MAX_UDP = 1232;
const CACHE_MAX = 50_000;

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

/** Answers wire-format queries for one zone; swap the zone with setZone (clears the cache). */
export class ZoneResponder {
  private zone: Zone;
  private cache = new Map<string, Buffer>();

  constructor(zone: Zone) {
    this.zone = zone;
  }

  get current(): Zone {
    return this.zone;
  }

  setZone(zone: Zone): void {
    this.zone = zone;
    this.cache = new Map();
  }

  /** Replace parts of the current zone (see Zone.patch); cached answers are dropped. */
  patch(serial: number, scopes: readonly ZoneScope[], records: readonly ZoneRecord[]): void {
    this.zone.patch(serial, scopes, records);
    this.cache = new Map();
  }

  /** Build the response to one query message; null when the message is not worth answering. */
  respond(query: Buffer, transport: 'udp' | 'tcp'): Buffer | null {
    if (query.length < 12) return null;
    if (query[2]! & 0x80) return null; // a response, not a query
    const key = (transport === 'udp' ? 'u' : 't') + query.toString('latin1', 2);
    const hit = this.cache.get(key);
    if (hit) {
      const out = Buffer.from(hit);
      out[0] = query[0]!;
      out[1] = query[1]!;
      return out;
    }
    const out = this.build(query, transport);
    if (out && this.cache.size < CACHE_MAX) this.cache.set(key, out);
    return out;
  }

  private build(query: Buffer, transport: 'udp' | 'tcp'): Buffer | null {
    let req: Packet;
    try {
      req = dnsPacket.decode(query);
    } catch {
      return errorReply(query, RCODE.FORMERR);
    }
    const rd = req.flags !== undefined ? req.flags & dnsPacket.RECURSION_DESIRED : 0;
    const opcode = (query[2]! >> 3) & 0x0f;
    const opt = (req.additionals ?? []).find((a) => a.type === 'OPT') as
      { udpPayloadSize?: number; ednsVersion?: number; flags?: number } | undefined;
    const response: Packet = {
      id: req.id ?? 0,
      type: 'response',
      flags: rd,
      questions: req.questions ?? [],
      answers: [],
      authorities: [],
      additionals: [],
    };
    if (opt)
      response.additionals!.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: MAX_UDP,
        flags: 0,
        options: [],
      } as unknown as Answer);
    if (opcode !== 0) return encode(response, RCODE.NOTIMP);
    if (opt && (opt.ednsVersion ?? 0) !== 0) {
      // BADVERS: extended rcode 16 = OPT high bits 1, header rcode 0.
      (response.additionals![0] as unknown as { extendedRcode: number }).extendedRcode = 1;
      return encode(response, 0);
    }
    const q: Question | undefined = req.questions?.[0];
    if (!q || (req.questions?.length ?? 0) !== 1) return encode(response, RCODE.FORMERR);
    const lname = q.name.toLowerCase().replace(/\.$/, '');
    if (!this.zone.inZone(lname) || (q.class !== 'IN' && q.class !== 'ANY'))
      return encode(response, RCODE.REFUSED);
    const { answers, rcode, negative } = this.zone.resolve(q.name, q.type);
    response.flags = (response.flags ?? 0) | dnsPacket.AUTHORITATIVE_ANSWER;
    response.answers = answers;
    if (negative) response.authorities = [this.zone.negativeSoa()];
    const full = encode(response, rcode);
    const limit =
      transport === 'tcp'
        ? 65_535
        : opt
          ? Math.min(Math.max(opt.udpPayloadSize ?? 512, 512), MAX_UDP)
          : 512;
    if (full.length <= limit) return full;
    // Too big for UDP: empty sections with TC set; the client retries over TCP.
    response.flags = (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
    response.answers = [];
    response.authorities = [];
    return encode(response, rcode);
  }
}

function encode(p: Packet, rcode: number): Buffer {
  return dnsPacket.encode({ ...p, flags: ((p.flags ?? 0) & ~0x0f) | rcode });
}

/** Minimal reply for undecodable queries: echo id + question count 0, set QR and rcode. */
function errorReply(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  query.copy(out, 0, 0, 2);
  out[2] = 0x80 | (query[2]! & 0x79);
  out[3] = rcode;
  return out;
}

/**
 * A Route53-compatible fake for tests and benchmarks, driven by the real @aws-sdk/client-route-53 over
 * HTTP (node:http + fast-xml-parser). It enforces the documented ChangeResourceRecordSets limits
 * (1000 ResourceRecord elements and 32000 value characters per request, UPSERT counted twice; each
 * Value at most 4000 characters, and each TXT character-string at most 255 bytes),
 * transactional batches, CREATE/DELETE preconditions, CNAME exclusivity and duplicate values
 * (InvalidChangeBatch), a request-rate limit (Throttling), PriorRequestNotComplete while a change is
 * pending (optional), and reports INSYNC after a configurable delay. It also answers DNS queries for
 * its zone over UDP and TCP, so tests can resolve what was pushed.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { decodeTxtStrings, decodeValue } from '../../src/adapters/dns/route53-values.js';
import { Zone, type ZoneRecord, ZoneResponder } from '../../src/adapters/dns/zone-responder.js';
import { isRecordType } from '../../src/domain/dns-records/types.js';

export interface FakeRoute53Options {
  /** Zone origin, e.g. starchart.test */
  origin: string;
  zoneId?: string;
  /** Requests per second across all API calls (token bucket, burst = rate); 0 = unlimited. */
  throttleRps?: number;
  /** Milliseconds after submission when a change reports INSYNC. */
  insyncDelayMs?: number;
  /** Reject new changes with PriorRequestNotComplete while an earlier change is still PENDING. */
  busyWhilePending?: boolean;
  maxRecords?: number;
  maxChars?: number;
  /** Characters in one ResourceRecord Value (Route53: "not to exceed 4,000 characters"). */
  maxValueLength?: number;
  /** Records allowed in the zone (Route53's default quota is 10,000). */
  maxRecordSetsInZone?: number;
  /** Extra rejection rule (simulates values Route53 refuses); return a message to reject. */
  rejectChange?: (change: {
    action: string;
    name: string;
    type: string;
    values: string[];
  }) => string | null;
}

export interface FakeSet {
  name: string; // with trailing dot
  type: string;
  ttl: number;
  values: string[]; // Route53 wire values
}

export interface FakeStats {
  change: number;
  list: number;
  getChange: number;
  other: number;
  throttled: number;
  rejected: number;
  busy: number;
  changeElements: number[];
}

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const sortKey = (name: string, type: string) =>
  `${name.replace(/\.$/, '').split('.').reverse().join('.')}\u0000${type}`;

class RejectError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class FakeRoute53 {
  readonly origin: string;
  readonly zoneId: string;
  readonly sets = new Map<string, FakeSet>();
  readonly changes = new Map<string, { submittedAt: number }>();
  stats: FakeStats = this.zeroStats();
  options: FakeRoute53Options;
  private server: http.Server | null = null;
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private tokens: number;
  private lastRefill = Date.now();
  /** The rate the bucket was filled for: a new rate (options replaced) starts a full bucket. */
  private bucketRate: number;
  private responder: ZoneResponder;
  private dirtyZone = true;
  private sortedCache: FakeSet[] | null = null;
  private readonly parser = new XMLParser({
    isArray: (name) => ['Change', 'ResourceRecord'].includes(name),
    parseTagValue: false,
    ignoreAttributes: true,
  });
  port = 0;
  dnsPort = 0;

  constructor(options: FakeRoute53Options) {
    this.options = options;
    this.origin = options.origin.toLowerCase().replace(/\.$/, '');
    this.zoneId = options.zoneId ?? `Z${randomBytes(8).toString('hex').toUpperCase()}`;
    this.tokens = options.throttleRps ?? 0;
    this.bucketRate = this.tokens;
    this.responder = new ZoneResponder(this.buildZone());
    // A zone always has its SOA and NS at the apex (never owned by the reconciler).
    this.put({
      name: `${this.origin}.`,
      type: 'SOA',
      ttl: 900,
      values: [`ns-1.fake. hostmaster.fake. 1 7200 900 1209600 86400`],
    });
    this.put({ name: `${this.origin}.`, type: 'NS', ttl: 172800, values: ['ns-1.fake.'] });
  }

  private zeroStats(): FakeStats {
    return {
      change: 0,
      list: 0,
      getChange: 0,
      other: 0,
      throttled: 0,
      rejected: 0,
      busy: 0,
      changeElements: [],
    };
  }

  resetStats(): void {
    this.stats = this.zeroStats();
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Put a set directly (as if someone edited the zone in the console). */
  put(set: FakeSet): void {
    const name = set.name.toLowerCase().endsWith('.')
      ? set.name.toLowerCase()
      : `${set.name.toLowerCase()}.`;
    this.sets.set(`${name}|${set.type}`, { ...set, name });
    this.dirtyZone = true;
    this.sortedCache = null;
  }

  get(name: string, type: string): FakeSet | undefined {
    return this.sets.get(`${name.toLowerCase().replace(/\.$/, '')}.|${type}`);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    // DNS face on one free port, UDP and TCP.
    for (let i = 0; ; i++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      const port = udp.address().port;
      const tcp = net.createServer((s) => this.onTcp(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, '127.0.0.1', resolve);
        });
      } catch (e) {
        udp.close();
        if (i > 10) throw e;
        continue;
      }
      udp.on('message', (msg, rinfo) => {
        const out = this.zoneResponder().respond(msg, 'udp');
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
      this.udp = udp;
      this.tcp = tcp;
      this.dnsPort = port;
      break;
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r()));
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  private zoneResponder(): ZoneResponder {
    if (this.dirtyZone) {
      this.responder.setZone(this.buildZone());
      this.dirtyZone = false;
    }
    return this.responder;
  }

  private buildZone(): Zone {
    const records: ZoneRecord[] = [];
    for (const s of this.sets?.values() ?? []) {
      if (!isRecordType(s.type)) continue;
      for (const v of s.values)
        records.push({
          name: s.name.replace(/\.$/, ''),
          type: s.type,
          value: decodeValue(s.type, v),
          ttl: s.ttl,
        });
    }
    return new Zone({ origin: this.origin, serial: 1, nameservers: ['ns-1.fake'], records });
  }

  private onTcp(socket: net.Socket) {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const out = this.zoneResponder().respond(buf.subarray(2, 2 + len), 'tcp');
        buf = buf.subarray(2 + len);
        if (out) {
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          socket.write(Buffer.concat([head, out]));
        }
      }
    });
    socket.on('error', () => socket.destroy());
  }

  private takeToken(): boolean {
    const rate = this.options.throttleRps ?? 0;
    if (rate <= 0) return true;
    const now = Date.now();
    if (rate !== this.bucketRate) {
      this.bucketRate = rate;
      this.tokens = rate;
      this.lastRefill = now;
    }
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, xml: string) => {
      res.writeHead(status, {
        'content-type': 'text/xml',
        'x-amzn-requestid': randomBytes(8).toString('hex'),
      });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    const fail = (e: RejectError) =>
      send(
        e.status,
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
      );
    if (!this.takeToken()) {
      this.stats.throttled++;
      return fail(new RejectError('Throttling', 'Rate exceeded'));
    }
    try {
      const zoneMatch = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(url.pathname);
      const changeMatch = /^\/2013-04-01\/change\/([^/]+)$/.exec(url.pathname);
      if (zoneMatch) {
        if (zoneMatch[1] !== this.zoneId)
          throw new RejectError(
            'NoSuchHostedZone',
            `No hosted zone found with ID: ${zoneMatch[1]}`,
            404,
          );
        if (req.method === 'POST') {
          this.stats.change++;
          return send(200, this.changeRecordSets(body));
        }
        this.stats.list++;
        return send(200, this.listRecordSets(url.searchParams));
      }
      if (changeMatch && req.method === 'GET') {
        this.stats.getChange++;
        const c = this.changes.get(changeMatch[1]!);
        if (!c)
          throw new RejectError(
            'NoSuchChange',
            `A change with the specified change ID does not exist.`,
            404,
          );
        return send(
          200,
          `<GetChangeResponse xmlns="${NS}">${this.changeInfo(changeMatch[1]!)}</GetChangeResponse>`,
        );
      }
      this.stats.other++;
      throw new RejectError('InvalidInput', `Unsupported request ${req.method} ${url.pathname}`);
    } catch (e) {
      if (e instanceof RejectError) {
        if (e.code === 'InvalidChangeBatch') this.stats.rejected++;
        if (e.code === 'PriorRequestNotComplete') this.stats.busy++;
        return fail(e);
      }
      return fail(new RejectError('InternalFailure', String(e), 500));
    }
  }

  private status(id: string): 'PENDING' | 'INSYNC' {
    const c = this.changes.get(id)!;
    return Date.now() - c.submittedAt >= (this.options.insyncDelayMs ?? 0) ? 'INSYNC' : 'PENDING';
  }

  private changeInfo(id: string): string {
    const c = this.changes.get(id)!;
    return `<ChangeInfo><Id>/change/${id}</Id><Status>${this.status(id)}</Status><SubmittedAt>${new Date(c.submittedAt).toISOString()}</SubmittedAt></ChangeInfo>`;
  }

  private changeRecordSets(body: string): string {
    if (
      this.options.busyWhilePending &&
      [...this.changes.keys()].some((id) => this.status(id) === 'PENDING')
    )
      throw new RejectError(
        'PriorRequestNotComplete',
        'The request was rejected because Route 53 was still processing a prior request.',
      );
    const doc = this.parser.parse(body) as {
      ChangeResourceRecordSetsRequest?: { ChangeBatch?: { Changes?: { Change?: RawChange[] } } };
    };
    const changes = doc.ChangeResourceRecordSetsRequest?.ChangeBatch?.Changes?.Change ?? [];
    if (changes.length === 0) throw new RejectError('InvalidChangeBatch', 'Empty change batch');
    let elements = 0;
    let chars = 0;
    const parsed = changes.map((c) => {
      const rs = c.ResourceRecordSet ?? {};
      const values = (rs.ResourceRecords?.ResourceRecord ?? []).map((r) => String(r.Value ?? ''));
      const factor = c.Action === 'UPSERT' ? 2 : 1;
      elements += values.length * factor;
      chars += values.reduce((n, v) => n + v.length, 0) * factor;
      return {
        action: String(c.Action),
        name: String(rs.Name ?? '')
          .toLowerCase()
          .replace(/\.?$/, '.'),
        type: String(rs.Type ?? ''),
        ttl: Number(rs.TTL ?? 0),
        values,
      };
    });
    const maxRecords = this.options.maxRecords ?? 1000;
    const maxChars = this.options.maxChars ?? 32_000;
    if (elements > maxRecords)
      throw new RejectError(
        'InvalidChangeBatch',
        `Number of records limit of ${maxRecords} exceeded.`,
      );
    if (chars > maxChars)
      throw new RejectError(
        'InvalidChangeBatch',
        `Number of characters limit of ${maxChars} exceeded.`,
      );
    this.stats.changeElements.push(elements);
    // Apply to a copy: batches are all-or-nothing.
    const next = new Map(this.sets);
    const errors: string[] = [];
    for (const c of parsed) {
      const key = `${c.name}|${c.type}`;
      const label = `[name='${c.name}', type='${c.type}']`;
      if (c.name !== `${this.origin}.` && !c.name.endsWith(`.${this.origin}.`)) {
        errors.push(`RRSet with DNS name ${c.name} is not permitted in zone ${this.origin}.`);
        continue;
      }
      const extra = this.options.rejectChange?.(c) ?? null;
      if (extra) errors.push(extra);
      const maxValue = this.options.maxValueLength ?? 4000;
      for (const v of c.values)
        if (v.length > maxValue)
          errors.push(
            `Invalid Resource Record: FATAL problem: RRDATATooLong (Value is longer than ${maxValue} characters: ${v.length}) encountered with '${v.slice(0, 40)}…' ${label}`,
          );
      if (c.action !== 'DELETE') {
        const problem = this.valueProblem(c.type, c.values);
        if (problem) errors.push(`${problem} ${label}`);
        if (new Set(c.values).size !== c.values.length)
          errors.push(`Duplicate Resource Record: ${label}`);
        if (c.type === 'CNAME' && c.values.length !== 1)
          errors.push(`CNAME ${label} must have exactly one value`);
      }
      const cur = next.get(key);
      if (c.action === 'CREATE') {
        if (cur) errors.push(`Tried to create resource record set ${label} but it already exists`);
        else next.set(key, { name: c.name, type: c.type, ttl: c.ttl, values: c.values });
      } else if (c.action === 'UPSERT') {
        next.set(key, { name: c.name, type: c.type, ttl: c.ttl, values: c.values });
      } else if (c.action === 'DELETE') {
        if (!cur) errors.push(`Tried to delete resource record set ${label} but it was not found`);
        else if (
          cur.ttl !== c.ttl ||
          [...cur.values].sort().join('\n') !== [...c.values].sort().join('\n')
        )
          errors.push(
            `Tried to delete resource record set ${label} but the values provided do not match the current values`,
          );
        else next.delete(key);
      } else errors.push(`Unknown action ${c.action}`);
    }
    // CNAME exclusivity over the resulting zone, for names touched by this batch.
    const touched = new Set(parsed.map((c) => c.name));
    const typesAt = new Map<string, string[]>();
    for (const s of next.values())
      if (touched.has(s.name)) typesAt.set(s.name, [...(typesAt.get(s.name) ?? []), s.type]);
    for (const name of touched) {
      const types = typesAt.get(name) ?? [];
      if (types.includes('CNAME') && types.length > 1)
        errors.push(
          `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${this.origin}.`,
        );
    }
    const recordSets = [...next.values()].length;
    if (this.options.maxRecordSetsInZone && recordSets > this.options.maxRecordSetsInZone)
      errors.push(
        `The hosted zone would exceed its limit of ${this.options.maxRecordSetsInZone} records`,
      );
    if (errors.length > 0) throw new RejectError('InvalidChangeBatch', errors.join('; '));
    this.sets.clear();
    for (const [k, v] of next) this.sets.set(k, v);
    this.dirtyZone = true;
    this.sortedCache = null;
    const id = `C${randomBytes(8).toString('hex').toUpperCase()}`;
    this.changes.set(id, { submittedAt: Date.now() });
    return `<ChangeResourceRecordSetsResponse xmlns="${NS}">${this.changeInfo(id)}</ChangeResourceRecordSetsResponse>`;
  }

  private valueProblem(type: string, values: string[]): string | null {
    for (const v of values) {
      switch (type) {
        case 'A':
          if (!net.isIPv4(v))
            return `Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${v}'`;
          break;
        case 'AAAA':
          if (!net.isIPv6(v))
            return `Invalid Resource Record: FATAL problem: AAAARRDATAIllegalIPv6Address encountered with '${v}'`;
          break;
        case 'MX':
          if (!/^\d{1,5} \S+$/.test(v))
            return `Invalid Resource Record: FATAL problem: MXRRDATANotTwoFields encountered with '${v}'`;
          break;
        case 'TXT': {
          if (!/^"/.test(v))
            return `Invalid Resource Record: FATAL problem: TXTRDATAMalformed encountered with '${v}'`;
          if (decodeTxtStrings(v).some((b) => b.length > 255))
            return `Invalid Resource Record: FATAL problem: TXTRDATATooLong encountered with '${v.slice(0, 40)}'`;
          break;
        }
        default:
          break;
      }
    }
    return null;
  }

  private listRecordSets(q: URLSearchParams): string {
    const max = Math.min(Number(q.get('maxitems') ?? '300') || 300, 300);
    const startName = q.get('name');
    const startType = q.get('type') ?? '';
    const sorted = (this.sortedCache ??= [...this.sets.values()]
      .map((s) => ({ s, k: sortKey(s.name, s.type) }))
      .sort((a, b) => (a.k < b.k ? -1 : 1))
      .map((x) => x.s));
    let from = 0;
    if (startName) {
      const k = sortKey(startName.toLowerCase().replace(/\.?$/, '.'), startType);
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortKey(sorted[mid]!.name, sorted[mid]!.type) < k) lo = mid + 1;
        else hi = mid;
      }
      from = lo;
    }
    const page = sorted.slice(from, from + max);
    const next = sorted[from + max];
    const sets = page
      .map(
        (s) =>
          `<ResourceRecordSet><Name>${esc(s.name)}</Name><Type>${s.type}</Type><TTL>${s.ttl}</TTL><ResourceRecords>${s.values
            .map((v) => `<ResourceRecord><Value>${esc(v)}</Value></ResourceRecord>`)
            .join('')}</ResourceRecords></ResourceRecordSet>`,
      )
      .join('');
    return `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${sets}</ResourceRecordSets><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${
      next
        ? `<NextRecordName>${esc(next.name)}</NextRecordName><NextRecordType>${next.type}</NextRecordType>`
        : ''
    }<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`;
  }
}

interface RawChange {
  Action?: string;
  ResourceRecordSet?: {
    Name?: string;
    Type?: string;
    TTL?: string;
    ResourceRecords?: { ResourceRecord?: { Value?: string }[] };
  };
}

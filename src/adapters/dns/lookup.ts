/**
 * DnsLookup over UDP with dns-packet: one question, a 2-second limit, the answer section of the
 * question's name rendered as text. Used only to show people what servers answer (the record check),
 * never to decide anything.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type {
  DnsLookup,
  DnsServerRef,
  LookupAnswer,
  LookupResult,
} from '../../ports/dns-lookup.js';

const TIMEOUT_MS = 2_000;

function render(a: dnsPacket.Answer): string {
  const data = (a as { data?: unknown }).data;
  if (a.type === 'TXT') {
    const parts = Array.isArray(data) ? data : [data];
    return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('');
  }
  if (a.type === 'MX') {
    const mx = data as { preference: number; exchange: string };
    return `${mx.preference} ${mx.exchange}`;
  }
  return String(data);
}

export function lookupOnce(
  server: Pick<DnsServerRef, 'host' | 'port'>,
  name: string,
  type: string,
  recursive: boolean,
  timeoutMs = TIMEOUT_MS,
): Promise<LookupResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = randomInt(0, 65536);
    let done = false;
    const finish = (r: LookupResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${timeoutMs / 1000} s`, ms: ms() }),
      timeoutMs,
    );
    sock.on('error', (err) => finish({ ok: false, error: err.message, ms: ms() }));
    sock.on('message', (msg) => {
      let res: dnsPacket.DecodedPacket;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return; // not a DNS answer; keep waiting for one
      }
      if (res.id !== id) return;
      const answers: LookupAnswer[] = [];
      for (const a of res.answers ?? []) {
        if (a.name.toLowerCase() !== name.toLowerCase()) continue;
        if (a.type !== type && a.type !== 'CNAME') continue;
        answers.push({ type: a.type, value: render(a), ttl: (a as { ttl?: number }).ttl ?? 0 });
      }
      const rcode = (res as { rcode?: string }).rcode ?? 'NOERROR';
      finish({ ok: true, rcode, answers, ms: ms() });
    });
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: recursive ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ type: type as dnsPacket.RecordType, name, class: 'IN' }],
    });
    sock.send(query, server.port, server.host, (err) => {
      if (err) finish({ ok: false, error: err.message, ms: ms() });
    });
  });
}

export class UdpDnsLookup implements DnsLookup {
  constructor(
    private readonly authoritativeServers: () => Promise<DnsServerRef[]>,
    private readonly resolvers: DnsServerRef[],
  ) {}
  authoritative(): Promise<DnsServerRef[]> {
    return this.authoritativeServers();
  }
  publicResolvers(): DnsServerRef[] {
    return this.resolvers;
  }
  query(server: DnsServerRef, name: string, type: string, recursive: boolean) {
    return lookupOnce(server, name, type, recursive);
  }
}

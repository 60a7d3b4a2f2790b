/**
 * DnsChecker over UDP with dns-packet: asks each authoritative server directly for the TXT values at a
 * name (recursion not desired). The server list is configured (ACME_DNS_RESOLVERS), the built-in
 * server in embedded mode, or the zone's NS hosts resolved through the system resolver.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { DnsChecker } from '../../ports/dns-checker.js';

export interface ServerAddress {
  host: string;
  port: number;
}

export function parseServer(hostPort: string): ServerAddress {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort.trim());
  if (!m) throw new Error(`not host:port: ${hostPort}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The zone's NS hosts (IPv4 and IPv6) on port 53, through the system resolver. */
export async function zoneNameservers(zone: string): Promise<ServerAddress[]> {
  const names = await dnsPromises.resolveNs(zone);
  const out: ServerAddress[] = [];
  for (const ns of names) {
    const [v4, v6] = await Promise.all([
      dnsPromises.resolve4(ns).catch(() => [] as string[]),
      dnsPromises.resolve6(ns).catch(() => [] as string[]),
    ]);
    for (const host of [...v4, ...v6]) out.push({ host, port: 53 });
  }
  if (out.length === 0) throw new Error(`no address for the name servers of ${zone}`);
  return out;
}

/** One TXT query over UDP; resolves with the values (strings joined per record). */
export function queryTxt(server: ServerAddress, name: string, timeoutMs = 1500): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = randomInt(0, 65536);
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: 0,
      questions: [{ type: 'TXT', name, class: 'IN' }],
    });
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`DNS query to ${server.host}:${server.port} timed out`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (msg) => {
      let res;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (res.id !== id) return;
      clearTimeout(timer);
      sock.close();
      const values: string[] = [];
      for (const a of res.answers ?? []) {
        if (a.type !== 'TXT' || a.name.toLowerCase() !== name.toLowerCase()) continue;
        const data = a.data as Buffer | Buffer[] | string | string[];
        const parts = Array.isArray(data) ? data : [data];
        values.push(parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join(''));
      }
      resolve(values);
    });
    sock.send(query, server.port, server.host);
  });
}

export class UdpDnsChecker implements DnsChecker {
  constructor(private readonly servers: () => Promise<ServerAddress[]>) {}

  async missingTxt(expected: { name: string; values: string[] }[]): Promise<string[]> {
    const servers = await this.servers();
    const missing = new Set<string>();
    await Promise.all(
      servers.flatMap((server) =>
        expected.map(async ({ name, values }) => {
          try {
            const got = new Set(await queryTxt(server, name));
            if (values.some((v) => !got.has(v))) missing.add(name);
          } catch {
            missing.add(name);
          }
        }),
      ),
    );
    return [...missing];
  }
}

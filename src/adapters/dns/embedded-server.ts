/**
 * The built-in authoritative DNS server for ROOT_DOMAIN (UDP and TCP on one port) and the matching
 * "embedded" DNS provider. Answers come from an in-memory copy of the zone loaded from the shared
 * database. The copy is updated when this process changes DNS data (notifyChanged) and when the zone
 * serial in the database moves (polled every pollMs), so every replica converges within a fraction of
 * a second. An update reloads only the names changed since the copy's serial (the source's change log);
 * the whole zone is reloaded at start, when the log cannot tell, and every fullReloadMs as a backstop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { RecordType } from '../../domain/dns-records/types.js';
import type { ZonePatch } from '../../domain/reconciler/desired-state.js';
import type { Logger } from '../../logger.js';
import type {
  BatchLimits,
  DnsProvider,
  RecordSet,
  RecordSetChange,
} from '../../ports/dns-provider.js';
import {
  DEFAULT_DNS_LIMITS,
  type DnsServerLimits,
  type UdpUpdateRoute,
  rateLimiter,
  refusedReply,
  udpQueryHandler,
  udpRules,
} from './limits.js';
import type { WorkerMessage, WorkerReply } from './udp-worker.js';
import { MAX_UPDATE_BYTES, OPCODE_UPDATE, isUpdateRequest, queryTsig } from './update-message.js';
import { DnsUpdateService } from './update-server.js';
import type { DnsUpdateHandler } from '../../ports/dns-update.js';
import { bindProblem } from '../../errors.js';
import { Zone, type ZoneRecord, ZoneResponder } from './zone-responder.js';

export interface ZoneSource {
  /** The zone serial in the database (cheap; polled). */
  serial(): Promise<number>;
  /** Every record of the zone with the serial read before them. */
  load(): Promise<{ serial: number; records: ZoneRecord[] }>;
  /**
   * What changed after serial `since` (the serial read before the changes), or null when only a full
   * load can tell. Without it every update is a full load.
   */
  changesSince?(since: number): Promise<ZonePatch<ZoneRecord> | null>;
}

export interface EmbeddedServerOptions {
  origin: string;
  nameservers: string[];
  host: string;
  /** 0 = any free port (UDP and TCP share it). */
  port: number;
  source: ZoneSource;
  logger: Logger;
  pollMs?: number;
  /** Minimum time between two zone updates (default 200 ms). */
  minReloadMs?: number;
  /**
   * Reload the whole zone this often even when nothing changed (default 10 min): repairs anything the
   * change log cannot show, such as rows edited by hand in the database.
   */
  fullReloadMs?: number;
  /**
   * Child processes that also answer UDP queries on the same socket (default 0: this process only).
   * Each holds a copy of the zone; use them when the server carries real query load.
   */
  udpWorkers?: number;
  /** Abuse limits (src/adapters/dns/limits.ts); each one missing takes its default. */
  limits?: Partial<DnsServerLimits>;
  /**
   * Takes DNS UPDATE (RFC 2136, TSIG-signed) for the zone and hands verified change sets here;
   * without it UPDATE is NOTIMP. Answered by this process only (UDP workers forward it).
   */
  updates?: DnsUpdateHandler;
  /** Updates worked on at once from one source address (default 4). */
  maxUpdatesPerAddress?: number;
  /** Answer UPDATE only, queries REFUSED (the zone is served elsewhere, e.g. Route53). */
  updatesOnly?: boolean;
  /** The clock TSIG times are checked against, ms since the epoch (tests skew it for BADTIME). */
  tsigNow?: () => number;
}

/**
 * A TCP query longer than this closes the connection. A query is one question and an OPT record (a
 * few hundred bytes); the bound keeps what a connection can make the server buffer small.
 */
export const MAX_TCP_QUERY_BYTES = 4096;
/** Logs about refused connections at most this often. */
const REFUSED_LOG_INTERVAL_MS = 60_000;

/** The worker's entry file next to this module: .ts under tsx, .js when built (and in the bundle). */
const WORKER_FILE = new URL(
  `./udp-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

export class EmbeddedDnsServer {
  private readonly responder: ZoneResponder;
  /** Answers UPDATE messages (null: UPDATE is NOTIMP). */
  readonly updates: DnsUpdateService | null;
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** Open TCP connections per source address. */
  private readonly perAddress = new Map<string, number>();
  private readonly limits: DnsServerLimits;
  /** TCP connections closed at once for being over a limit, since the last log line about them. */
  private refused = 0;
  private lastRefusedLog = 0;
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<void> | null = null;
  private again = false;
  private boundPort = 0;
  private lastLoad = 0;
  /** How long the last successful zone update took. */
  private lastLoadMs = 0;
  /** The database serial the copy reflects (the SOA carries it modulo 2^32); null = nothing loaded. */
  private loadedSerial: number | null = null;
  private lastFullLoad = 0;
  private fullWanted = true;
  private readonly workers: ChildProcess[] = [];
  private stopping = false;
  private readonly workerSerials = new Map<ChildProcess, number>();
  /** UDP messages this process read (its UDP workers read the others); for tests. */
  udpQueries = 0;
  /** Counts of whole-zone loads and of change-only updates since start (for tests and benchmarks). */
  readonly loads = { full: 0, partial: 0 };

  constructor(private readonly options: EmbeddedServerOptions) {
    this.limits = { ...DEFAULT_DNS_LIMITS, ...options.limits };
    this.responder = new ZoneResponder(
      new Zone({
        origin: options.origin,
        serial: 0,
        nameservers: options.nameservers,
        records: [],
      }),
      this.limits,
    );
    this.updates = options.updates
      ? new DnsUpdateService({
          origin: options.origin,
          handler: options.updates,
          logger: options.logger,
          ...(options.tsigNow ? { now: options.tsigNow } : {}),
          answerQuery: (msg, transport, reserve) =>
            options.updatesOnly
              ? refusedReply(msg)
              : this.responder.respond(msg, transport, reserve),
          ...(options.maxUpdatesPerAddress
            ? { maxInFlightPerAddress: options.maxUpdatesPerAddress }
            : {}),
        })
      : null;
  }

  /** Load the zone, bind UDP and TCP, start following the database. Returns the bound port. */
  async start(): Promise<number> {
    await this.refresh();
    const { host } = this.options;
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({
        type: net.isIPv6(host) ? 'udp6' : 'udp4',
        lookup: literalFirstLookup,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(this.options.port, host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        const port = udp.address().port;
        const tcp = net.createServer((s) => this.onTcp(s));
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
        this.udp = udp;
        this.tcp = tcp;
        this.boundPort = port;
        break;
      } catch (e) {
        udp.close();
        if (this.options.port !== 0 || attempt >= 10)
          throw bindProblem(e, this.options.port, 'DNS_SERVER_PORT') ?? e;
      }
    }
    const workers = this.options.udpWorkers ?? 0;
    const rules = {
      ...udpRules(this.limits, 1 + workers),
      updates: this.updates !== null,
      updatesOnly: this.options.updatesOnly === true,
    };
    const answer = udpQueryHandler(
      this.udp,
      this.responder,
      rateLimiter(rules),
      this.udpUpdateRoute(this.udp),
    );
    this.udp.on('message', (msg, rinfo) => {
      this.udpQueries++;
      answer(msg, rinfo);
    });
    this.udp.on('error', (err) => this.options.logger.warn({ err }, 'DNS UDP socket error'));
    await this.startWorkers(this.udp, workers, JSON.stringify(rules));
    const poll = this.options.pollMs ?? 250;
    this.timer = setInterval(() => {
      this.options.source.serial().then(
        (s) => {
          if (s !== this.loadedSerial || this.fullReloadDue()) void this.refresh();
        },
        (err: unknown) => this.options.logger.warn({ err }, 'DNS zone serial check failed'),
      );
    }, poll);
    this.timer.unref();
    this.options.logger.info(
      { host, port: this.boundPort, zone: this.options.origin },
      'built-in DNS server listening (UDP and TCP)',
    );
    return this.boundPort;
  }

  /** UDP UPDATE messages (this process's and its workers'): answered here, on the shared socket. */
  private udpUpdateRoute(udp: dgram.Socket): UdpUpdateRoute | null {
    const service = this.updates;
    if (!service) return null;
    return {
      only: this.options.updatesOnly === true,
      forward: (msg, rinfo) => this.answerUdpUpdate(udp, service, msg, rinfo.address, rinfo.port),
    };
  }

  private answerUdpUpdate(
    udp: dgram.Socket,
    service: DnsUpdateService,
    msg: Buffer,
    address: string,
    port: number,
  ): void {
    void service.handle(msg, address).then((out) => {
      if (out && this.udp === udp) udp.send(out, port, address);
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** The zone serial each UDP worker process has loaded (empty without workers). */
  workerZoneSerials(): number[] {
    return [...this.workerSerials.values()];
  }

  /** True when the periodic whole-zone reload (fullReloadMs) is due. */
  private fullReloadDue(): boolean {
    return Date.now() - this.lastFullLoad >= (this.options.fullReloadMs ?? 600_000);
  }

  /** Bring the zone up to date with the database now; concurrent calls coalesce. Never throws. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        // Under a burst of changes, update at most every minReloadMs, and leave at least twice the last
        // update's duration between updates (a whole-zone load of a large zone takes a while).
        const spacing = Math.max(this.options.minReloadMs ?? 200, 2 * this.lastLoadMs);
        const wait = this.lastLoad + spacing - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.lastLoad = Date.now();
        this.again = false;
        try {
          const { source } = this.options;
          const changes =
            this.fullWanted ||
            this.fullReloadDue() ||
            this.loadedSerial === null ||
            !source.changesSince
              ? null
              : await source.changesSince(this.loadedSerial);
          if (changes) {
            if (changes.serial !== this.loadedSerial) {
              this.responder.patch(changes.serial, changes.scopes, changes.records);
              this.loadedSerial = changes.serial;
              this.loads.partial++;
              for (const w of this.workers) this.send(w, { type: 'patch', ...changes });
            }
          } else {
            const { serial, records } = await source.load();
            this.responder.setZone(
              new Zone({
                origin: this.options.origin,
                serial,
                nameservers: this.options.nameservers,
                records,
              }),
            );
            this.loadedSerial = serial;
            this.fullWanted = false;
            this.lastFullLoad = this.lastLoad;
            this.loads.full++;
            for (const w of this.workers) this.sendZone(w, records);
          }
          this.lastLoadMs = Date.now() - this.lastLoad;
        } catch (err) {
          this.options.logger.error(
            { err },
            'could not load the DNS zone; keeping the previous copy',
          );
        }
      } while (this.again);
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /**
   * Fork `count` UDP answerers, give them a whole-zone copy (one more full load), then the socket;
   * resolves once each holds the zone. From then on they get the same patches as this process.
   */
  private async startWorkers(udp: dgram.Socket, count: number, rules: string): Promise<void> {
    if (count <= 0) return;
    // Under tsx (npm start, tests) the worker is TypeScript too: make sure the child can load it.
    const execArgv =
      WORKER_FILE.pathname.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx'))
        ? [...process.execArgv, '--import', 'tsx']
        : process.execArgv;
    const started: { child: ChildProcess; loaded: Promise<void> }[] = [];
    for (let i = 0; i < count; i++) {
      const child = fork(WORKER_FILE, [rules], {
        serialization: 'advanced',
        stdio: 'inherit',
        execArgv,
      });
      child.on('exit', (code, signal) => {
        const i = this.workers.indexOf(child);
        if (i >= 0) this.workers.splice(i, 1);
        this.workerSerials.delete(child);
        if (!this.stopping)
          this.options.logger.warn({ code, signal }, 'built-in DNS UDP worker exited');
      });
      const loaded = new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.on('message', (m: WorkerReply) => {
          if (m.type === 'update') {
            const msg = Buffer.from(m.msg);
            if (this.updates && (isUpdateRequest(msg) || queryTsig(msg) !== null))
              this.answerUdpUpdate(udp, this.updates, msg, m.address, m.port);
            return;
          }
          this.workerSerials.set(child, m.serial);
          if (m.type === 'zone-loaded') resolve();
        });
      });
      this.workers.push(child);
      started.push({ child, loaded });
    }
    this.fullWanted = true;
    await this.refresh();
    await Promise.all(started.map((w) => w.loaded));
    for (const { child } of started) child.send({ type: 'socket' }, udp);
  }

  private sendZone(child: ChildProcess, records: ZoneRecord[]): void {
    this.send(child, {
      type: 'zone',
      origin: this.options.origin,
      serial: this.responder.current.serial,
      nameservers: this.options.nameservers,
      records,
    });
  }

  private send(child: ChildProcess, msg: WorkerMessage): void {
    if (child.connected) child.send(msg);
  }

  /** Stop answering and release the port. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.workers.splice(0)) {
      w.disconnect();
      w.kill();
    }
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    for (const s of this.sockets) s.destroy();
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
    await this.loading;
  }

  /** The answer cache's hits and misses in this process (tests, benchmarks). */
  get cacheStats(): { hits: number; misses: number; bytes: number } {
    return { ...this.responder.stats, bytes: this.responder.cacheBytes };
  }

  /**
   * One DNS-over-TCP connection (RFC 7766), bounded: refused above the global or per-address
   * connection limit; closed after tcpIdleTimeoutMs without a complete query (trickled bytes do not
   * count), after tcpMaxQueriesPerConnection queries, or on a query over MAX_TCP_QUERY_BYTES; and it
   * is not read while its replies are not being read (write returned false → pause until 'drain').
   */
  private onTcp(socket: net.Socket) {
    const limits = this.limits;
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (
      this.sockets.size >= limits.tcpMaxConnections ||
      fromAddress >= limits.tcpMaxConnectionsPerIp
    ) {
      socket.on('error', () => {});
      socket.destroy();
      this.noteRefused();
      return;
    }
    this.sockets.add(socket);
    this.perAddress.set(address, fromAddress + 1);
    const idle = setTimeout(() => socket.destroy(), limits.tcpIdleTimeoutMs);
    idle.unref();
    let buf = Buffer.alloc(0);
    let answered = 0;
    let blocked = false;
    let done = false;
    /** An UPDATE is being answered: nothing more is read until its reply is written (replies in order). */
    let waiting = false;
    const updates = this.updates;
    const pump = () => {
      while (!blocked && !done && !waiting && buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len > MAX_TCP_QUERY_BYTES) {
          // Only an UPDATE may be longer than a query (up to MAX_UPDATE_BYTES).
          if (!updates || len > MAX_UPDATE_BYTES) {
            socket.destroy();
            return;
          }
          if (buf.length < 5) break;
          if (((buf[4]! >> 3) & 0x0f) !== OPCODE_UPDATE) {
            socket.destroy();
            return;
          }
        }
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        idle.refresh();
        answered++;
        if (updates && (isUpdateRequest(msg) || queryTsig(msg) !== null)) {
          waiting = true;
          socket.pause();
          void updates.handle(Buffer.from(msg), address, 'tcp').then((reply) => {
            waiting = false;
            if (socket.destroyed) return;
            if (reply) write(reply);
            idle.refresh();
            if (!blocked && !done) socket.resume();
            pump();
          });
          continue;
        }
        const out =
          this.options.updatesOnly && msg.length >= 12 && !(msg[2]! & 0x80)
            ? refusedReply(msg)
            : this.responder.respond(msg, 'tcp');
        if (out) write(out);
        if (
          limits.tcpMaxQueriesPerConnection > 0 &&
          answered >= limits.tcpMaxQueriesPerConnection
        ) {
          done = true;
          buf = Buffer.alloc(0);
          socket.pause();
          if (!waiting) socket.end();
        }
      }
    };
    const write = (out: Buffer) => {
      const length = Buffer.allocUnsafe(2);
      length.writeUInt16BE(out.length, 0);
      // One segment for both (writev), without copying the reply behind its length.
      socket.cork();
      socket.write(length);
      const more = socket.write(out);
      socket.uncork();
      if (!more) {
        blocked = true;
        socket.pause();
      }
      if (done && !waiting) socket.end();
    };
    socket.on('data', (chunk) => {
      if (done) return;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      pump();
    });
    socket.on('drain', () => {
      blocked = false;
      if (done) return;
      socket.resume();
      pump();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(idle);
      this.sockets.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
  }

  private noteRefused(): void {
    this.refused++;
    const now = Date.now();
    if (now - this.lastRefusedLog < REFUSED_LOG_INTERVAL_MS) return;
    this.options.logger.warn(
      {
        refused: this.refused,
        open: this.sockets.size,
        maxConnections: this.limits.tcpMaxConnections,
        maxConnectionsPerIp: this.limits.tcpMaxConnectionsPerIp,
      },
      'built-in DNS server closed TCP connections over its limits (DNS_TCP_MAX_CONNECTIONS, DNS_TCP_MAX_CONNECTIONS_PER_IP)',
    );
    this.lastRefusedLog = now;
    this.refused = 0;
  }
}

/**
 * DNS provider for the built-in server: the database is what it serves, so there is nothing to push;
 * a committed change is live once the server reloads (notifyChanged does that at once here and the
 * serial poll does it on other replicas).
 */
export class EmbeddedDnsProvider implements DnsProvider {
  readonly kind = 'embedded' as const;
  readonly servesFromDatabase = true;
  readonly limits: BatchLimits = {
    maxRecords: Number.MAX_SAFE_INTEGER,
    maxValueChars: Number.MAX_SAFE_INTEGER,
    maxChanges: Number.MAX_SAFE_INTEGER,
  };

  constructor(private readonly server: EmbeddedDnsServer | null) {}

  encodedLength(_type: RecordType, value: string): number {
    return value.length;
  }
  async listRecordSets(): Promise<RecordSet[]> {
    return [];
  }
  async *walkRecordSets(): AsyncIterable<RecordSet[]> {}
  async applyChanges(_changes: RecordSetChange[]): Promise<string> {
    return 'embedded';
  }
  async isChangeInSync(): Promise<boolean> {
    return true;
  }
  notifyChanged(): void {
    void this.server?.refresh();
  }
}

/**
 * Address lookup for the UDP socket. Every reply goes to `rinfo.address`, an IP literal, and Node's
 * default lookup answers those only on the next tick (a measurable share of each query's cost under
 * load); this one answers IP literals at once and leaves names to `dns.lookup`.
 */
export function literalFirstLookup(
  hostname: string,
  options: dns.LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
}

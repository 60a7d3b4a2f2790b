/**
 * Extra UDP answerer for the built-in DNS server (DNS_SERVER_UDP_WORKERS > 0): a child process that
 * receives the server's bound UDP socket from its parent (the kernel then spreads datagrams over every
 * process reading it), a copy of the zone, and the same patches the parent applies to its own. It has
 * no database or configuration of its own: its UDP rules (reply sizes, cache bound, its share of the
 * rate limit) come from the parent as its one argument, and it answers with the same handler as the
 * parent. It exits when its parent goes away.
 */
import type dgram from 'node:dgram';
import type { ZonePatch } from '../../domain/reconciler/desired-state.js';
import { rateLimiter, type UdpRules, udpQueryHandler } from './limits.js';
import { Zone, type ZoneRecord, ZoneResponder } from './zone-responder.js';

/** From the parent: a whole zone, or a patch to the zone held (see Zone.patch). */
export type WorkerMessage =
  | { type: 'zone'; origin: string; serial: number; nameservers: string[]; records: ZoneRecord[] }
  | ({ type: 'patch' } & ZonePatch<ZoneRecord>);

/** To the parent, after each message: the serial now held; or an UPDATE for the parent to answer. */
export type WorkerReply =
  | { type: 'zone-loaded' | 'zone-patched'; serial: number }
  | { type: 'update'; msg: Uint8Array; address: string; port: number };

const rules = JSON.parse(process.argv[2] ?? '{}') as UdpRules;
const responder = new ZoneResponder(
  new Zone({ origin: 'invalid.', serial: 0, nameservers: [], records: [] }),
  rules,
);

const reply = (r: WorkerReply) => process.send?.(r);

process.on('message', (msg: WorkerMessage | { type: 'socket' }, handle?: unknown) => {
  if (msg.type === 'zone') {
    responder.setZone(
      new Zone({
        origin: msg.origin,
        serial: msg.serial,
        nameservers: msg.nameservers,
        records: msg.records,
      }),
    );
    reply({ type: 'zone-loaded', serial: msg.serial });
  } else if (msg.type === 'patch') {
    responder.patch(msg.serial, msg.scopes, msg.records);
    reply({ type: 'zone-patched', serial: responder.current.serial });
  } else if (msg.type === 'socket' && handle) {
    const udp = handle as dgram.Socket;
    // UPDATE needs the database and the handler: the parent answers it on the same socket.
    const updates = rules.updates
      ? {
          only: rules.updatesOnly === true,
          forward: (msg: Buffer, rinfo: dgram.RemoteInfo) =>
            reply({ type: 'update', msg, address: rinfo.address, port: rinfo.port }),
        }
      : null;
    udp.on('message', udpQueryHandler(udp, responder, rateLimiter(rules), updates));
    udp.on('error', () => {
      /* the parent logs socket errors */
    });
  }
});
process.on('disconnect', () => process.exit(0));

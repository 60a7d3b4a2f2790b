/**
 * Extra UDP answerer for the built-in DNS server (DNS_SERVER_UDP_WORKERS > 0): a child process that
 * receives the server's bound UDP socket from its parent (the kernel then spreads datagrams over every
 * process reading it) and copies of the zone whenever the parent reloads it. It has no database or
 * configuration of its own and exits when its parent goes away.
 */
import type dgram from 'node:dgram';
import { Zone, type ZoneRecord, ZoneResponder } from './zone-responder.js';

export interface ZoneMessage {
  type: 'zone';
  origin: string;
  serial: number;
  nameservers: string[];
  records: ZoneRecord[];
}

const responder = new ZoneResponder(
  new Zone({ origin: 'invalid.', serial: 0, nameservers: [], records: [] }),
);

process.on('message', (msg: ZoneMessage | { type: 'socket' }, handle?: unknown) => {
  if (msg.type === 'zone') {
    responder.setZone(
      new Zone({
        origin: msg.origin,
        serial: msg.serial,
        nameservers: msg.nameservers,
        records: msg.records,
      }),
    );
    process.send?.({ type: 'zone-loaded', serial: msg.serial });
  } else if (msg.type === 'socket' && handle) {
    const udp = handle as dgram.Socket;
    udp.on('message', (query, rinfo) => {
      const out = responder.respond(query, 'udp');
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    udp.on('error', () => {
      /* the parent logs socket errors */
    });
  }
});
process.on('disconnect', () => process.exit(0));

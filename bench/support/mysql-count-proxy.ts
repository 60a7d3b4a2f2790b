/**
 * A TCP pass-through in front of MariaDB that counts the commands clients send (one command = one
 * round trip: mysql2 does not pipeline) and keeps the SQL text of COM_QUERY / COM_STMT_PREPARE, so a
 * benchmark can say how many statements and round trips one request costs, without touching the
 * server's configuration (the general log is global to a shared MariaDB) or the application.
 * It adds a hop, so it is used only for counting, never while timing.
 */
import net from 'node:net';

const COMMANDS: Record<number, string> = {
  0x01: 'COM_QUIT',
  0x02: 'COM_INIT_DB',
  0x03: 'COM_QUERY',
  0x0e: 'COM_PING',
  0x11: 'COM_CHANGE_USER',
  0x16: 'COM_STMT_PREPARE',
  0x17: 'COM_STMT_EXECUTE',
  0x19: 'COM_STMT_CLOSE',
  0x1a: 'COM_STMT_RESET',
  0x1f: 'COM_RESET_CONNECTION',
};

export interface CountedCommand {
  at: number;
  command: string;
  sql: string | null;
}

export interface CountProxy {
  port: number;
  commands: CountedCommand[];
  /** Bytes MariaDB sent back since the last reset (result sets). */
  bytesFromServer: number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountProxy(targetHost: string, targetPort: number): Promise<CountProxy> {
  const commands: CountedCommand[] = [];
  let fromServer = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    let buf: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 4) {
        const len = buf.readUIntLE(0, 3);
        if (buf.length < 4 + len) break;
        const seq = buf[3]!;
        if (seq === 0 && len > 0) {
          const code = buf[4]!;
          const command = COMMANDS[code] ?? `0x${code.toString(16)}`;
          const sql =
            code === 0x03 || code === 0x16 ? buf.subarray(5, 4 + len).toString('utf8') : null;
          commands.push({ at: Date.now(), command, sql });
        }
        buf = buf.subarray(4 + len);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer += chunk.length;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    get bytesFromServer() {
      return fromServer;
    },
    reset: () => {
      commands.splice(0);
      fromServer = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** SQL with literals replaced, so statements of one shape group together. */
export function statementShape(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(\.\d+)?\b/g, '?')
    .replace(/\((\?,\s*)+\?\)/g, '(?…)')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Debian's unbound as a local recursive resolver for tests: it sends questions for the test zone to our
 * built-in DNS server (a stub zone) and caches answers like any public resolver does. Stands in for
 * 1.1.1.1 and friends, which the machine cannot reach.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lookupOnce } from '../../src/adapters/dns/lookup.js';
import { freePort } from './process.js';

const UNBOUND = '/usr/sbin/unbound';

export interface Unbound {
  port: number;
  stop(): Promise<void>;
}

export async function startUnbound(
  zone: string,
  upstream: { host: string; port: number },
  port?: number,
): Promise<Unbound> {
  if (!existsSync(UNBOUND))
    throw new Error('unbound is not installed: apt-get install unbound (see .ci/services.sh)');
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-unbound-'));
  port ??= await freePort();
  const conf = path.join(dir, 'unbound.conf');
  writeFileSync(
    conf,
    `server:
  interface: 127.0.0.1
  port: ${port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: ${process.env.UNBOUND_VERBOSITY ?? 0}
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  domain-insecure: "${zone}"
  # unbound answers names under RFC 6761's special-use TLDs (test., invalid., …) itself with NXDOMAIN
  # unless told not to: the test zone lives under .test.
  local-zone: "test." nodefault
  local-zone: "invalid." nodefault
stub-zone:
  name: "${zone}"
  stub-addr: ${upstream.host}@${upstream.port}
`,
  );
  const child: ChildProcess = spawn(UNBOUND, ['-d', '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await lookupOnce({ host: '127.0.0.1', port }, zone, 'SOA', true, 300);
    if (r.ok) break;
    if (child.exitCode !== null || Date.now() > end) {
      child.kill();
      throw new Error(`unbound did not start: ${stderr.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

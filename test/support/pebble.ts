/**
 * Runs Debian's `pebble` (a test ACME CA) on loopback with real DNS-01 validation: its VA asks
 * `dnsServer` (our built-in DNS server or the fake Route53's DNS face) for the TXT records. The API
 * listener gets a certificate from a throwaway CA made with openssl; the issuing roots (regenerated at
 * every start) are fetched from the management port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './process.js';

export interface Pebble {
  directoryUrl: string;
  /** PEM of the CA that signed Pebble's API listener certificate (ACME_CA_BUNDLE_PATH). */
  caBundlePath: string;
  dir: string;
  /** Start Pebble with its VA pointed at this DNS server (host:port). */
  start(dnsServer: string): Promise<void>;
  /** Pebble's current issuing root (PEM), written to a file for openssl. */
  rootPemPath(): Promise<string>;
  stop(): Promise<void>;
}

const PEBBLE = '/usr/bin/pebble';

/** Prepare certificates and ports; Pebble starts with start(dnsServer). */
export async function preparePebble(): Promise<Pebble> {
  if (!existsSync(PEBBLE))
    throw new Error('pebble is not installed: apt-get install pebble (see .ci/services.sh)');
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-pebble-'));
  const f = (n: string) => path.join(dir, n);
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '30',
    '-subj',
    '/CN=starchart test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  ossl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('key.pem'),
    '-out',
    f('csr.pem'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    f('ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  ossl([
    'x509',
    '-req',
    '-in',
    f('csr.pem'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('cert.pem'),
    '-days',
    '30',
    '-extfile',
    f('ext.cnf'),
  ]);
  const [port, mgmt, httpPort, tlsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  writeFileSync(
    f('pebble-config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: f('cert.pem'),
        privateKey: f('key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const ca = readFileSync(f('ca.pem'));
  let child: ChildProcess | null = null;
  const output: string[] = [];
  const get = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get(url, { ca }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caBundlePath: f('ca.pem'),
    dir,
    async start(dnsServer: string) {
      child = spawn(
        PEBBLE,
        ['-config', f('pebble-config.json'), '-dnsserver', dnsServer, '-strict'],
        {
          env: {
            PATH: process.env.PATH ?? '',
            PEBBLE_VA_NOSLEEP: '1',
            PEBBLE_WFE_NONCEREJECT: '0',
            PEBBLE_AUTHZREUSE: '0',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      const end = Date.now() + 15_000;
      for (;;) {
        try {
          if ((await get(`https://127.0.0.1:${port}/dir`)).status === 200) return;
        } catch {
          /* not up yet */
        }
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`pebble did not start:\n${output.join('')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async rootPemPath() {
      const res = await get(`https://127.0.0.1:${mgmt}/roots/0`);
      if (res.status !== 200) throw new Error(`pebble roots: HTTP ${res.status}`);
      writeFileSync(f('pebble-root.pem'), res.body);
      return f('pebble-root.pem');
    },
    async stop() {
      const c = child;
      child = null;
      if (c && c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

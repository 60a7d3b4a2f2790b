/**
 * DNS UPDATE (RFC 2136 + TSIG) end to end with real clients and real access tokens, through the
 * service's own container (the handler wired in src/container.ts): nsupdate adds and deletes records
 * and ACME challenge values in the token owner's names and is refused outside them, outside the token's
 * scope or source ranges, with a wrong key or secret and with a clock off by more than the fudge; dig
 * verifies signed answers to signed queries; certbot (--dns-rfc2136) and lego (--dns rfc2136) obtain
 * certificates for {user}.{root} and *.{user}.{root} from Pebble with real DNS-01 validation using
 * only the token's TSIG key, and leave no challenge value behind.
 *
 * BADTIME: nsupdate cannot run under libfaketime (decision 0016), so the server's clock is skewed
 * instead (a second server on the same database whose TSIG clock is 10 minutes ahead): the client's
 * time is then off by more than the fudge, which is the same condition seen from the other side.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDnsServer } from '../../src/adapters/dns/embedded-server.js';
import type { User } from '../../src/db/schema.js';
import { createDnsUpdateHandler } from '../../src/domain/tokens/dns-update-handler.js';
import { type CreatedToken, createToken, revokeToken } from '../../src/domain/tokens/tokens.js';
import { databaseZoneSource } from '../../src/domain/reconciler/desired-state.js';
import { systemClock } from '../../src/ports/clock.js';
import { type CertEnv, ROOT, certificateEnv, opensslSan } from '../support/certificates.js';
import { DIALECTS, silentLogger } from '../support/db.js';
import { insertRecord } from '../support/dns.js';
import { insertUser } from '../support/factories.js';

const TOOLS: [string, string][] = [
  ['/usr/bin/nsupdate', 'dnsutils'],
  ['/usr/bin/dig', 'dnsutils'],
  ['/usr/bin/certbot', 'certbot'],
  ['/usr/bin/lego', 'lego'],
  ['/usr/bin/pebble', 'pebble'],
];

function requireTools(): void {
  const missing = TOOLS.filter(([bin]) => !existsSync(bin)).map(([bin, pkg]) => `${bin} (${pkg})`);
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import certbot_dns_rfc2136'], { stdio: 'pipe' });
  } catch {
    missing.push('certbot_dns_rfc2136 (python3-certbot-dns-rfc2136)');
  }
  if (missing.length > 0)
    throw new Error(
      `missing: ${missing.join(', ')}; install them with: bash .ci/services.sh packages`,
    );
}

interface Run {
  code: number;
  out: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 60_000,
        env: { ...process.env, ...opts.env },
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0,
          out: `${stdout}${stderr}`,
        }),
    );
    child.stdin!.end(opts.input ?? '');
  });
}

interface Key {
  name: string;
  secret: string;
}

const keyOf = (t: CreatedToken): Key => ({ name: t.tsig.keyName, secret: t.tsig.secret });

function nsupdate(port: number, key: Key, lines: string[], opts: { zone?: string } = {}) {
  const script = [
    `server 127.0.0.1 ${port}`,
    `zone ${opts.zone ?? ROOT}`,
    ...lines,
    'send',
    '',
  ].join('\n');
  return run('nsupdate', ['-t', '3', '-y', `hmac-sha256:${key.name}:${key.secret}`], {
    input: script,
  });
}

/** dig, optionally signing the query (`-y`); output with stderr. */
function dig(port: number, name: string, type: string, key?: Key) {
  return run('dig', [
    '+norec',
    '+nocookie',
    '+tries=1',
    '+time=2',
    '@127.0.0.1',
    '-p',
    String(port),
    ...(key ? ['-y', `hmac-sha256:${key.name}:${key.secret}`] : []),
    name,
    type,
  ]);
}

const answers = (out: string) => {
  const sec = out.split(';; ANSWER SECTION:\n')[1];
  if (!sec) return [];
  const lines: string[] = [];
  for (const line of sec.split('\n')) {
    if (line.trim() === '') break;
    lines.push(line.replace(/\s+/g, ' ').trim());
  }
  return lines.sort();
};

describe.each(DIALECTS)('RFC 2136 with real clients and access tokens (%s)', (dialect) => {
  let e: CertEnv;
  let port: number;
  let scratch: string;
  let alice: User;
  let aliceKey: Key;
  let laptopKey: Key;
  let rangedKey: Key;
  const root = ROOT;

  const newToken = async (
    user: User,
    over: Partial<{ names: string[]; subnets: string[]; permissions: string[] }> = {},
  ) =>
    createToken(
      { db: e.db(), config: e.t.config, clock: systemClock },
      { user, effectiveUser: user, requestId: null },
      {
        name: 'test',
        expiresInDays: 30,
        permissions: over.permissions ?? ['records:write'],
        names: over.names ?? [],
        types: [],
        subnets: over.subnets ?? [],
      },
    );

  const records = (user: User, subdomain: string) =>
    e
      .db()
      .selectFrom('dns_records')
      .select(['type', 'value'])
      .where('user_id', '=', user.id)
      .where('subdomain', '=', subdomain)
      .orderBy('value')
      .execute();
  const challenges = (user: User) =>
    e
      .db()
      .selectFrom('acme_challenges')
      .select(['name', 'value', 'token_id'])
      .where('user_id', '=', user.id)
      .orderBy('value')
      .execute();
  /** dig after the server has caught up with the database. */
  const resolve = async (name: string, type: string) => {
    await e.t.container.dnsServer!.refresh();
    return answers((await dig(port, name, type)).out);
  };

  beforeAll(async () => {
    requireTools();
    scratch = mkdtempSync(path.join(tmpdir(), 'starchart-rfc2136-'));
    e = await certificateEnv(dialect, 'embedded', { env: { USER_DNS_RECORD_LIMIT: '10' } });
    await e.startWorker();
    port = e.t.container.dnsServer!.port;
    alice = await insertUser(e.db());
    aliceKey = keyOf(await newToken(alice));
    laptopKey = keyOf(await newToken(alice, { names: ['laptop'] }));
    rangedKey = keyOf(await newToken(alice, { subnets: ['192.0.2.0/24'] }));
  }, 120_000);

  afterAll(async () => {
    await e?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('nsupdate adds and deletes records in the owner’s names; dig follows; audit names the token', async () => {
    const base = `${alice.dns_label}.${root}`;
    let r = await nsupdate(port, aliceKey, [
      `update add www.${base} 300 A 192.0.2.10`,
      `update add www.${base} 300 AAAA 2001:db8::10`,
    ]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    expect(await records(alice, 'www')).toEqual([
      { type: 'A', value: '192.0.2.10' },
      { type: 'AAAA', value: '2001:db8::10' },
    ]);
    expect(await resolve(`www.${base}`, 'A')).toEqual([`www.${base}. 300 IN A 192.0.2.10`]);
    const audit = await e
      .db()
      .selectFrom('audit_log')
      .select(['action', 'token_id', 'request_id'])
      .where('effective_user_id', '=', alice.id)
      .where('action', '=', 'dns-record.create')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]!.request_id).toBe(`tsig:${aliceKey.name}`);
    expect(audit[0]!.token_id).not.toBeNull();

    r = await nsupdate(port, aliceKey, [`update delete www.${base} A`]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    expect(await records(alice, 'www')).toEqual([{ type: 'AAAA', value: '2001:db8::10' }]);
    r = await nsupdate(port, aliceKey, [`update delete www.${base}`]);
    expect(r.code, r.out).toBe(0);
    expect(await records(alice, 'www')).toEqual([]);
    expect(await resolve(`www.${base}`, 'AAAA')).toEqual([]);
  });

  test('ACME challenge values go beside the records, not into them, and can be removed', async () => {
    const base = `${alice.dns_label}.${root}`;
    let r = await nsupdate(port, aliceKey, [
      `update add _acme-challenge.${base} 60 TXT "challenge-one"`,
      `update add _acme-challenge.${base} 60 TXT "challenge-two"`,
    ]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    const rows = await challenges(alice);
    expect(rows.map((c) => [c.name, c.value])).toEqual([
      [`_acme-challenge.${base}`, 'challenge-one'],
      [`_acme-challenge.${base}`, 'challenge-two'],
    ]);
    expect(rows.every((c) => c.token_id !== null)).toBe(true);
    expect(await records(alice, '_acme-challenge')).toEqual([]);
    expect(await resolve(`_acme-challenge.${base}`, 'TXT')).toEqual([
      `_acme-challenge.${base}. 300 IN TXT "challenge-one"`,
      `_acme-challenge.${base}. 300 IN TXT "challenge-two"`,
    ]);
    r = await nsupdate(port, aliceKey, [
      `update delete _acme-challenge.${base} TXT "challenge-one"`,
    ]);
    expect(r.code, r.out).toBe(0);
    expect((await challenges(alice)).map((c) => c.value)).toEqual(['challenge-two']);
    r = await nsupdate(port, aliceKey, [`update delete _acme-challenge.${base} TXT`]);
    expect(r.code, r.out).toBe(0);
    expect(await challenges(alice)).toEqual([]);
    expect(await resolve(`_acme-challenge.${base}`, 'TXT')).toEqual([]);
  });

  test('refused outside the owner’s names: another user’s, the apex, another zone, a name outside the zone', async () => {
    const bob = await insertUser(e.db());
    await insertRecord(e.db(), bob, 'www', 'A', '192.0.2.99');
    let r = await nsupdate(port, aliceKey, [`update delete www.${bob.dns_label}.${root} A`]);
    expect(r.out).toMatch(/REFUSED/);
    expect(await records(bob, 'www')).toEqual([{ type: 'A', value: '192.0.2.99' }]);
    r = await nsupdate(port, aliceKey, [`update add ${alice.dns_label}.${root} 60 A 192.0.2.1`]);
    expect(r.out).toMatch(/REFUSED/);
    r = await nsupdate(port, aliceKey, [`update add ${root} 60 A 192.0.2.1`]);
    expect(r.out).toMatch(/REFUSED/);
    r = await nsupdate(port, aliceKey, [`update add www.example.org 60 A 192.0.2.1`], {
      zone: 'example.org',
    });
    expect(r.out).toMatch(/NOTAUTH/);
    r = await nsupdate(port, aliceKey, [`update add www.example.org 60 A 192.0.2.1`]);
    expect(r.out).toMatch(/NOTZONE/);
    expect(await records(alice, '')).toEqual([]);
  });

  test('refused outside the token’s scope and source ranges; a read-only token may not write', async () => {
    const base = `${alice.dns_label}.${root}`;
    let r = await nsupdate(port, laptopKey, [`update add laptop.${base} 60 A 192.0.2.20`]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    r = await nsupdate(port, laptopKey, [`update add www.${base} 60 A 192.0.2.20`]);
    expect(r.out).toMatch(/REFUSED/);
    expect(await records(alice, 'www')).toEqual([]);
    r = await nsupdate(port, rangedKey, [`update add ranged.${base} 60 A 192.0.2.21`]);
    expect(r.out).toMatch(/REFUSED/);
    const readOnly = keyOf(await newToken(alice, { permissions: ['records:read'] }));
    r = await nsupdate(port, readOnly, [`update add ro.${base} 60 A 192.0.2.22`]);
    expect(r.out).toMatch(/REFUSED/);
    expect(await records(alice, 'ranged')).toEqual([]);
    expect(await records(alice, 'ro')).toEqual([]);
  });

  test('a wrong key name (BADKEY), a wrong secret (BADSIG), a revoked token (BADKEY)', async () => {
    const base = `${alice.dns_label}.${root}`;
    const line = `update add bad.${base} 60 A 192.0.2.30`;
    let r = await nsupdate(port, { ...aliceKey, name: 'aaaaaaaaaaaa.tsig' }, [line]);
    expect(r.out).toMatch(/NOTAUTH\(BADKEY\)|BADKEY/);
    r = await nsupdate(port, { ...aliceKey, secret: Buffer.alloc(32, 7).toString('base64') }, [
      line,
    ]);
    expect(r.out).toMatch(/NOTAUTH\(BADSIG\)|BADSIG/);
    const doomed = await newToken(alice);
    await revokeToken(
      { db: e.db(), clock: systemClock },
      { user: alice, effectiveUser: alice, requestId: null },
      alice,
      doomed.token.id,
    );
    r = await nsupdate(port, keyOf(doomed), [line]);
    expect(r.out).toMatch(/BADKEY/);
    expect(await records(alice, 'bad')).toEqual([]);
  });

  test('a client clock off by more than the fudge: BADTIME, nothing written', async () => {
    // Same database and handler, but this server's TSIG clock runs 10 minutes ahead.
    const c = e.t.container;
    const skewed = new EmbeddedDnsServer({
      origin: root,
      nameservers: [`ns1.${root}`],
      host: '127.0.0.1',
      port: 0,
      source: databaseZoneSource(e.db(), root),
      logger: silentLogger,
      updates: createDnsUpdateHandler({
        db: e.db(),
        config: c.config,
        clock: c.clock,
        queue: c.queue,
        logger: silentLogger,
        rateLimiter: c.rateLimiter,
      }),
      tsigNow: () => Date.now() + 600_000,
    });
    const skewedPort = await skewed.start();
    try {
      const r = await nsupdate(skewedPort, aliceKey, [
        `update add late.${alice.dns_label}.${root} 60 A 192.0.2.40`,
      ]);
      expect(r.out).toMatch(/BADTIME/);
      expect(await records(alice, 'late')).toEqual([]);
    } finally {
      await skewed.stop();
    }
  });

  test('dig -y: a signed query gets a signed answer that dig verifies; an unknown key gets BADKEY', async () => {
    const base = `${alice.dns_label}.${root}`;
    const added = await nsupdate(port, aliceKey, [`update add signed.${base} 60 A 192.0.2.50`]);
    expect(added.code, added.out).toBe(0);
    await e.t.container.dnsServer!.refresh();
    const r = await dig(port, `signed.${base}`, 'A', aliceKey);
    expect(r.out).not.toMatch(/Couldn't verify signature/);
    expect(r.out).not.toMatch(/TSIG error|tsig verify failure/i);
    expect(r.out).toMatch(/status: NOERROR/);
    expect(r.out).toMatch(/;; TSIG PSEUDOSECTION:/);
    expect(r.out).toMatch(new RegExp(`${aliceKey.name}\\.\\s+0\\s+ANY\\s+TSIG\\s+hmac-sha256\\.`));
    expect(answers(r.out)).toEqual([`signed.${base}. 300 IN A 192.0.2.50`]);
    // Over TCP too.
    const tcp = await run('dig', [
      '+tcp',
      '+norec',
      '@127.0.0.1',
      '-p',
      String(port),
      '-y',
      `hmac-sha256:${aliceKey.name}:${aliceKey.secret}`,
      `signed.${base}`,
      'A',
    ]);
    expect(tcp.out).toMatch(/status: NOERROR/);
    expect(tcp.out).not.toMatch(/Couldn't verify signature/);
    expect(tcp.out).toMatch(/;; TSIG PSEUDOSECTION:/);

    const bad = await dig(port, `signed.${base}`, 'A', { ...aliceKey, name: 'aaaaaaaaaaaa.tsig' });
    expect(bad.out).toMatch(/status: NOTAUTH/);
    expect(bad.out).toMatch(/BADKEY/);
    const badSig = await dig(port, `signed.${base}`, 'A', {
      ...aliceKey,
      secret: Buffer.alloc(32, 9).toString('base64'),
    });
    expect(badSig.out).toMatch(/status: NOTAUTH/);
    expect(badSig.out).toMatch(/BADSIG/);
    // Unsigned queries are answered as before.
    const plain = await dig(port, `signed.${base}`, 'A');
    expect(plain.out).toMatch(/status: NOERROR/);
    expect(plain.out).not.toMatch(/TSIG/);
  });

  test('dig -y without EDNS: a signed answer keeps to 512 bytes (truncated, still signed, when the signature would not fit)', async () => {
    const base = `${alice.dns_label}.${root}`;
    // Two 170-character TXT values: about 480 bytes unsigned (fits 512), about 570 signed (does not).
    const values = ['a', 'b'].map((c) => c.repeat(170));
    const added = await nsupdate(
      port,
      aliceKey,
      values.map((v) => `update add big.${base} 60 TXT "${v}"`),
    );
    expect(added.code, added.out).toBe(0);
    await e.t.container.dnsServer!.refresh();
    const unsigned = await run('dig', [
      '+norec',
      '+noedns',
      '+ignore',
      '@127.0.0.1',
      '-p',
      String(port),
      `big.${base}`,
      'TXT',
    ]);
    expect(unsigned.out).not.toMatch(/flags:[^;]*\btc\b/);
    const plainSize = Number(/MSG SIZE\s+rcvd: (\d+)/.exec(unsigned.out)![1]);
    expect(plainSize).toBeLessThanOrEqual(512);
    expect(plainSize + 90).toBeGreaterThan(512);
    const signed = await run('dig', [
      '+norec',
      '+noedns',
      '+ignore',
      '@127.0.0.1',
      '-p',
      String(port),
      '-y',
      `hmac-sha256:${aliceKey.name}:${aliceKey.secret}`,
      `big.${base}`,
      'TXT',
    ]);
    expect(signed.out).toMatch(/flags:[^;]*\btc\b/);
    expect(Number(/MSG SIZE\s+rcvd: (\d+)/.exec(signed.out)![1])).toBeLessThanOrEqual(512);
    expect(signed.out).toMatch(/;; TSIG PSEUDOSECTION:/);
    expect(signed.out).not.toMatch(/Couldn't verify signature/);
  });

  test('certbot certonly --dns-rfc2136 gets {user} and *.{user} from Pebble with only the token’s key', async () => {
    const user = await insertUser(e.db());
    const key = keyOf(await newToken(user));
    const dir = mkdtempSync(path.join(scratch, 'certbot-'));
    const ini = path.join(dir, 'rfc2136.ini');
    writeFileSync(
      ini,
      [
        'dns_rfc2136_server = 127.0.0.1',
        `dns_rfc2136_port = ${port}`,
        `dns_rfc2136_name = ${key.name}`,
        `dns_rfc2136_secret = ${key.secret}`,
        'dns_rfc2136_algorithm = HMAC-SHA256',
        '',
      ].join('\n'),
    );
    chmodSync(ini, 0o600);
    const base = `${user.dns_label}.${root}`;
    const r = await run(
      'certbot',
      [
        'certonly',
        '--non-interactive',
        '--agree-tos',
        '--register-unsafely-without-email',
        '--server',
        e.pebble!.directoryUrl,
        '--config-dir',
        path.join(dir, 'config'),
        '--work-dir',
        path.join(dir, 'work'),
        '--logs-dir',
        path.join(dir, 'logs'),
        '--dns-rfc2136',
        '--dns-rfc2136-credentials',
        ini,
        '--dns-rfc2136-propagation-seconds',
        '1',
        '--cert-name',
        base,
        '-d',
        base,
        '-d',
        `*.${base}`,
      ],
      { env: { REQUESTS_CA_BUNDLE: e.pebble!.caBundlePath }, timeoutMs: 120_000 },
    );
    expect(r.code, r.out).toBe(0);
    const cert = readFileSync(path.join(dir, 'config', 'live', base, 'cert.pem'), 'utf8');
    const san = opensslSan(dir, cert);
    expect(san).toContain(`DNS:${base}`);
    expect(san).toContain(`DNS:*.${base}`);
    expect(await challenges(user)).toEqual([]);
    expect(await resolve(`_acme-challenge.${base}`, 'TXT')).toEqual([]);
  }, 150_000);

  test('lego --dns rfc2136 gets {user} and *.{user} from Pebble with only the token’s key', async () => {
    const user = await insertUser(e.db());
    const key = keyOf(await newToken(user));
    const dir = mkdtempSync(path.join(scratch, 'lego-'));
    const base = `${user.dns_label}.${root}`;
    const r = await run(
      'lego',
      [
        '--server',
        e.pebble!.directoryUrl,
        '--accept-tos',
        '--email',
        'lego@example.org',
        '--path',
        dir,
        '--dns',
        'rfc2136',
        '--dns.resolvers',
        `127.0.0.1:${port}`,
        '--dns.disable-cp',
        '-d',
        base,
        '-d',
        `*.${base}`,
        'run',
      ],
      {
        env: {
          LEGO_CA_CERTIFICATES: e.pebble!.caBundlePath,
          LEGO_DISABLE_CNAME_SUPPORT: 'true',
          RFC2136_NAMESERVER: `127.0.0.1:${port}`,
          RFC2136_TSIG_KEY: key.name,
          RFC2136_TSIG_SECRET: key.secret,
          RFC2136_TSIG_ALGORITHM: 'hmac-sha256.',
          RFC2136_PROPAGATION_TIMEOUT: '30',
          RFC2136_POLLING_INTERVAL: '1',
          // lego solves the name and its wildcard one after the other, 60 s apart by default.
          RFC2136_SEQUENCE_INTERVAL: '1',
        },
        timeoutMs: 120_000,
      },
    );
    expect(r.code, r.out).toBe(0);
    const cert = readFileSync(path.join(dir, 'certificates', `${base}.crt`), 'utf8');
    const san = opensslSan(dir, cert);
    expect(san).toContain(`DNS:${base}`);
    expect(san).toContain(`DNS:*.${base}`);
    expect(await challenges(user)).toEqual([]);
    expect(await resolve(`_acme-challenge.${base}`, 'TXT')).toEqual([]);
  }, 150_000);
});

describe('DNS_UPDATE_SERVER with Route53 serving the zone; rate limits (sqlite)', () => {
  let e: CertEnv;
  let port: number;

  beforeAll(async () => {
    requireTools();
    e = await certificateEnv('sqlite', 'route53', {
      devCa: true,
      env: { DNS_UPDATE_SERVER: '1', API_RATE_LIMIT_WRITES_PER_HOUR: '3' },
    });
    await e.startWorker();
    expect(e.t.container.dnsServer).toBeNull();
    port = await e.t.container.updateOnlyServer!.start();
  }, 60_000);

  afterAll(async () => {
    await e?.t.container.updateOnlyServer?.stop();
    await e?.cleanup();
  });

  test('nsupdate is taken on the DNS port and the reconciler pushes it to Route53; queries are REFUSED', async () => {
    const user = await insertUser(e.db());
    const created = await createToken(
      { db: e.db(), config: e.t.config, clock: systemClock },
      { user, effectiveUser: user, requestId: null },
      {
        name: 'r53',
        expiresInDays: 30,
        permissions: ['records:write'],
        names: [],
        types: [],
        subnets: [],
      },
    );
    const key = keyOf(created);
    const base = `${user.dns_label}.${ROOT}`;
    const r = await nsupdate(port, key, [
      `update add www.${base} 60 A 192.0.2.60`,
      `update add _acme-challenge.${base} 60 TXT "r53-challenge"`,
    ]);
    expect(r, r.out).toEqual({ code: 0, out: '' });
    const end = Date.now() + 20_000;
    while (
      (!e.fake!.get(`www.${base}`, 'A') || !e.fake!.get(`_acme-challenge.${base}`, 'TXT')) &&
      Date.now() < end
    )
      await new Promise((res) => setTimeout(res, 50));
    expect(e.fake!.get(`www.${base}`, 'A')?.values).toEqual(['192.0.2.60']);
    expect(e.fake!.get(`_acme-challenge.${base}`, 'TXT')?.values).toEqual(['"r53-challenge"']);
    const q = await dig(port, `www.${base}`, 'A');
    expect(q.out).toMatch(/status: REFUSED/);
  }, 60_000);

  test('past the per-user change limit an update is REFUSED and nothing is written', async () => {
    const user = await insertUser(e.db());
    const key = keyOf(
      await createToken(
        { db: e.db(), config: e.t.config, clock: systemClock },
        { user, effectiveUser: user, requestId: null },
        {
          name: 'limited',
          expiresInDays: 30,
          permissions: ['records:write'],
          names: [],
          types: [],
          subnets: [],
        },
      ),
    );
    const base = `${user.dns_label}.${ROOT}`;
    for (let i = 1; i <= 3; i++) {
      const r = await nsupdate(port, key, [`update add n${i}.${base} 60 A 192.0.2.${i}`]);
      expect(r, r.out).toEqual({ code: 0, out: '' });
    }
    const r = await nsupdate(port, key, [`update add n4.${base} 60 A 192.0.2.4`]);
    expect(r.out).toMatch(/REFUSED/);
    const rows = await e
      .db()
      .selectFrom('dns_records')
      .select('subdomain')
      .where('user_id', '=', user.id)
      .orderBy('subdomain')
      .execute();
    expect(rows.map((x) => x.subdomain)).toEqual(['n1', 'n2', 'n3']);
  });
});

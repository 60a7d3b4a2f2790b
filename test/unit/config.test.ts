import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARS, SECRETS, loadConfig } from '../../src/config.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'starchart-config-'));
const dev = (env: Record<string, string> = {}) => {
  const dir = tmp();
  return loadConfig(
    { DATA_DIR: path.join(dir, 'data'), SECRETS_DIR: path.join(dir, 'no-secrets'), ...env },
    { cwd: dir },
  );
};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

function productionSecrets(overrides: Record<string, string | null> = {}) {
  const dir = tmp();
  const secrets = path.join(dir, 'secrets');
  mkdirSync(secrets);
  const values: Record<string, string | null> = {
    AWS_ACCESS_KEY_ID: 'AKIATEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM:
      '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    SESSION_SECRET: 's'.repeat(40),
    NOTIFICATIONS_USERNAME: 'smtp-user',
    NOTIFICATIONS_PASSWORD: 'smtp-pass',
    DATABASE_URL: 'mysql://starchart:pw@db:3306/starchart',
    ...overrides,
  };
  for (const [k, v] of Object.entries(values))
    if (v !== null) writeFileSync(path.join(secrets, k), `${v}\n`);
  const metadata = path.join(dir, 'idp.xml');
  writeFileSync(metadata, '<EntityDescriptor/>');
  const env = {
    NODE_ENV: 'production',
    SECRETS_DIR: secrets,
    DATA_DIR: path.join(dir, 'data'),
    APP_URL: 'https://mycustomdomain.example.edu/',
    ROOT_DOMAIN: 'MyStudentProject.ca',
    AWS_ROUTE53_HOSTED_ZONE_ID: 'Z23ABC4XYZL05B',
    NOTIFICATIONS_EMAIL_USER: 'mycustomdomain@example.edu',
    LETS_ENCRYPT_ACCOUNT_EMAIL: 'ops@example.edu',
    SAML_IDP_METADATA_PATH: metadata,
  };
  return { env, dir };
}

describe('embedded defaults (no configuration)', () => {
  it('runs everything on one machine: SQLite under DATA_DIR, in-process jobs, embedded DNS, dev CA, dev IdP, outbox mail', () => {
    const c = dev();
    expect(c.env).toBe('development');
    expect(c.role).toBe('all');
    expect(c.http.port).toBe(8080);
    expect(c.logLevel).toBe('info');
    expect(c.productName).toBe('My.Custom.Domain');
    expect(c.database.dialect).toBe('sqlite');
    expect(c.database.url).toContain(path.join('data', 'starchart.sqlite'));
    expect(c.redis).toBeNull();
    expect(c.dns.provider).toBe('embedded');
    expect(c.dns.embeddedServer).toMatchObject({
      host: '127.0.0.1',
      port: 10053,
      nameservers: ['ns1.starchart.test'],
    });
    expect(c.dns.recordLimit).toBeNull();
    expect(c.acme.directoryUrl).toBeNull();
    expect(c.saml.idpMetadataPath).toBeNull();
    expect(c.mail.smtp).toBeNull();
    expect(c.jobs).toEqual({
      removalAgeS: 604_800,
      expirationRepeatS: 86_400,
      reminderScanS: 3600,
      scheduleCheckMs: 30_000,
    });
    expect(c.reminderThresholdsDays).toEqual([30, 7, 1]);
    expect(c.dangerWipe).toBe(false);
    expect(c.secretSources.SESSION_SECRET).toBe('generated');
    expect(Object.isFrozen(c) && Object.isFrozen(c.dns)).toBe(true);
  });

  it('persists the generated session secret under DATA_DIR so restarts keep sessions', () => {
    const dir = tmp();
    const env = { DATA_DIR: path.join(dir, 'data'), SECRETS_DIR: path.join(dir, 'none') };
    const a = loadConfig(env, { cwd: dir });
    const b = loadConfig(env, { cwd: dir });
    expect(a.sessionSecret).toBe(b.sessionSecret);
    expect(a.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'data', 'dev-secrets.json'), 'utf8')).toContain(
      a.sessionSecret,
    );
  });
});

describe('every variable', () => {
  it('parses each documented variable with its meaning', () => {
    const dir = tmp();
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, 'x');
    const metadata = path.join(dir, 'idp.xml');
    writeFileSync(metadata, '<x/>');
    const c = dev({
      NODE_ENV: 'test',
      ROLE: 'worker',
      APP_URL: 'http://host.docker.internal:8080/',
      PORT: '3000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      PRODUCT_NAME: 'Our Domains',
      ROOT_DOMAIN: 'Starchart.Com',
      DNS_PROVIDER: 'route53',
      AWS_ROUTE53_HOSTED_ZONE_ID: '/hostedzone/Z23ABC4XYZL05B',
      AWS_REGION: 'ca-central-1',
      AWS_ROUTE53_ENDPOINT: 'http://127.0.0.1:5053',
      DNS_SERVER_HOST: '0.0.0.0',
      DNS_SERVER_PORT: '53',
      USER_DNS_RECORD_LIMIT: '10',
      DNS_RECORD_LIFETIME_DAYS: '30',
      NOTIFICATIONS_EMAIL_USER: 'noreply@example.edu',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: '2525',
      LETS_ENCRYPT_ACCOUNT_EMAIL: 'le@example.edu',
      LETS_ENCRYPT_DIRECTORY_URL: 'https://127.0.0.1:14000/dir',
      ACME_CA_BUNDLE_PATH: ca,
      REDIS_URL: 'redis://127.0.0.1:6379',
      SAML_IDP_METADATA_PATH: metadata,
      DANGER_DATABASE_WIPE_REINITIALIZE: '1',
      EXPIRATION_REPEAT_FREQUENCY_S: '3600',
      JOB_REMOVAL_FREQUENCY_S: '60',
      SHUTDOWN_TIMEOUT_MS: '5000',
      SESSION_IDLE_TIMEOUT_MIN: '30',
      REMINDER_THRESHOLDS_DAYS: '1, 14,7,14',
      REMINDER_SCAN_FREQUENCY_S: '600',
      JOBS_SCHEDULE_CHECK_INTERVAL_S: '5',
      SESSION_ABSOLUTE_TIMEOUT_H: '12',
    });
    expect(c.env).toBe('test');
    expect(c.role).toBe('worker');
    expect(c.appUrl).toBe('http://host.docker.internal:8080');
    expect(c.http).toEqual({
      host: '127.0.0.1',
      port: 3000,
      shutdownTimeoutMs: 5000,
      trustedProxies: [],
    });
    expect(c.logLevel).toBe('debug');
    expect(c.productName).toBe('Our Domains');
    expect(c.rootDomain).toBe('starchart.com');
    expect(c.dns.provider).toBe('route53');
    expect(c.dns.route53).toMatchObject({
      hostedZoneId: 'Z23ABC4XYZL05B',
      region: 'ca-central-1',
      endpoint: 'http://127.0.0.1:5053',
    });
    expect(c.dns.embeddedServer).toMatchObject({ host: '0.0.0.0', port: 53 });
    expect(c.dns.recordLimit).toBe(10);
    expect(c.dns.recordLifetimeDays).toBe(30);
    expect(c.mail.from).toBe('noreply@example.edu');
    expect(c.mail.smtp).toMatchObject({ host: '127.0.0.1', port: 2525, requireTls: false });
    expect(c.acme).toMatchObject({
      accountEmail: 'le@example.edu',
      directoryUrl: 'https://127.0.0.1:14000/dir',
      caBundlePath: ca,
    });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379' });
    expect(c.saml.idpMetadataPath).toBe(metadata);
    expect(c.dangerWipe).toBe(true);
    expect(c.jobs).toEqual({
      removalAgeS: 60,
      expirationRepeatS: 3600,
      reminderScanS: 600,
      scheduleCheckMs: 5000,
    });
    expect(c.reminderThresholdsDays).toEqual([14, 7, 1]);
    expect(c.session).toEqual({
      idleTimeoutMs: 30 * 60_000,
      absoluteTimeoutMs: 12 * 3_600_000,
      secureCookie: false,
    });
  });

  it("maps the original's winston log levels to pino's nearest, with a warning; refuses garbage by name", () => {
    for (const [given, level] of [
      ['verbose', 'debug'],
      ['http', 'debug'],
      ['SILLY', 'trace'],
    ] as const) {
      const c = dev({ LOG_LEVEL: given });
      expect(c.logLevel, given).toBe(level);
      expect(c.warnings).toEqual([
        `LOG_LEVEL "${given.toLowerCase()}" is a winston level (the original's logger); logging at pino's "${level}" instead`,
      ]);
    }
    expect(dev({ LOG_LEVEL: 'debug' }).warnings).toEqual([]);
    expect(dev().warnings).toEqual([]);
    for (const garbage of ['loud', 'warning', 'info,debug', '5'])
      expect(problemsOf(() => dev({ LOG_LEVEL: garbage }))).toEqual([
        `LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (or winston's verbose, http, silly) (got "${garbage}")`,
      ]);
  });

  it('development SMTP defaults to port 1025 once a host is set', () => {
    expect(dev({ SMTP_HOST: 'localhost' }).mail.smtp?.port).toBe(1025);
  });

  it('SUPPORT_CONTACT: an email address (mailto:) or an http(s) URL, unset by default, anything else refused', () => {
    expect(dev().supportContact).toBeNull();
    expect(dev({ SUPPORT_CONTACT: ' dns-help@example.edu ' }).supportContact).toEqual({
      label: 'dns-help@example.edu',
      href: 'mailto:dns-help@example.edu',
    });
    expect(dev({ SUPPORT_CONTACT: 'https://help.example.edu/dns' }).supportContact).toEqual({
      label: 'https://help.example.edu/dns',
      href: 'https://help.example.edu/dns',
    });
    for (const bad of ['the helpdesk', 'javascript:alert(1)', 'mailto:x@example.edu'])
      expect(
        problemsOf(() => dev({ SUPPORT_CONTACT: bad })).some((p) =>
          p.startsWith('SUPPORT_CONTACT'),
        ),
        bad,
      ).toBe(true);
  });

  it('reports every invalid value at once, by variable name', () => {
    const problems = problemsOf(() =>
      dev({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        ROLE: 'cron',
        APP_URL: 'ftp://x',
        REDIS_URL: 'localhost:6379',
        USER_DNS_RECORD_LIMIT: '-1',
        DANGER_DATABASE_WIPE_REINITIALIZE: 'yes',
      }),
    );
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'ROLE',
      'APP_URL',
      'REDIS_URL',
      'USER_DNS_RECORD_LIMIT',
      'DANGER_DATABASE_WIPE_REINITIALIZE',
    ]) {
      expect(
        problems.some((p) => p.startsWith(name)),
        `${name} in ${problems.join(' | ')}`,
      ).toBe(true);
    }
  });

  it('the built-in DNS server limits: defaults, overrides, and every bad value reported at once', () => {
    expect(dev().dns.embeddedServer.limits).toEqual({
      udpMaxPayload: 1232,
      tcpMaxConnections: 256,
      tcpMaxConnectionsPerIp: 32,
      tcpIdleTimeoutMs: 10_000,
      tcpMaxQueriesPerConnection: 100,
      rrlResponsesPerSecond: 0,
      rrlSlip: 2,
      cacheMaxBytes: 16 * 1024 * 1024,
    });
    expect(
      dev({
        DNS_UDP_MAX_PAYLOAD: '1400',
        DNS_TCP_MAX_CONNECTIONS: '1000',
        DNS_TCP_MAX_CONNECTIONS_PER_IP: '8',
        DNS_TCP_IDLE_TIMEOUT_S: '3',
        DNS_TCP_MAX_QUERIES_PER_CONNECTION: '0',
        DNS_RRL_RESPONSES_PER_SECOND: '50',
        DNS_RRL_SLIP: '1',
        DNS_CACHE_MAX_BYTES: '1048576',
      }).dns.embeddedServer.limits,
    ).toEqual({
      udpMaxPayload: 1400,
      tcpMaxConnections: 1000,
      tcpMaxConnectionsPerIp: 8,
      tcpIdleTimeoutMs: 3000,
      tcpMaxQueriesPerConnection: 0,
      rrlResponsesPerSecond: 50,
      rrlSlip: 1,
      cacheMaxBytes: 1_048_576,
    });
    const bad = {
      DNS_UDP_MAX_PAYLOAD: '511',
      DNS_TCP_MAX_CONNECTIONS: '0',
      DNS_TCP_MAX_CONNECTIONS_PER_IP: 'many',
      DNS_TCP_IDLE_TIMEOUT_S: '0',
      DNS_TCP_MAX_QUERIES_PER_CONNECTION: '-1',
      DNS_RRL_RESPONSES_PER_SECOND: '1.5',
      DNS_RRL_SLIP: '11',
      DNS_CACHE_MAX_BYTES: '2147483648',
    };
    const problems = problemsOf(() => dev(bad));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(Object.keys(bad).sort());
  });

  it('documents every variable and secret', () => {
    for (const [name, doc] of [...Object.entries(ENV_VARS), ...Object.entries(SECRETS)]) {
      expect(doc.length, name).toBeGreaterThan(10);
    }
    expect(Object.keys(SECRETS).sort()).toEqual(
      [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'DATABASE_URL',
        'LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM',
        'NOTIFICATIONS_PASSWORD',
        'NOTIFICATIONS_USERNAME',
        'SESSION_SECRET',
        'SESSION_SECRET_PREVIOUS',
      ].sort(),
    );
  });
});

describe('database selection', () => {
  it('accepts mysql:// and sqlite: URLs and rejects others', () => {
    const m = dev({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/starchart' });
    expect(m.database).toMatchObject({ dialect: 'mysql', database: 'starchart' });
    const s = dev({ DATABASE_URL: 'sqlite:/tmp/x.db' });
    expect(s.database).toMatchObject({ dialect: 'sqlite', file: '/tmp/x.db' });
    expect(problemsOf(() => dev({ DATABASE_URL: 'postgres://x/y' }))[0]).toMatch(/^DATABASE_URL/);
    expect(problemsOf(() => dev({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/' }))[0]).toMatch(
      /must name a database/,
    );
  });
});

describe('secrets', () => {
  it('reads Docker secret files from SECRETS_DIR (trimmed)', () => {
    const { env } = productionSecrets();
    const c = loadConfig(env);
    expect(c.sessionSecret).toBe('s'.repeat(40));
    expect(c.dns.route53.accessKeyId).toBe('AKIATEST');
    expect(c.dns.route53.secretAccessKey).toBe('secret');
    expect(c.acme.accountKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(c.mail.smtp).toEqual({
      host: 'smtp.office365.com',
      port: 587,
      requireTls: true,
      user: 'smtp-user',
      password: 'smtp-pass',
    });
    expect(c.database).toMatchObject({ dialect: 'mysql', database: 'starchart' });
    expect(c.secretSources).toMatchObject({ SESSION_SECRET: 'file', DATABASE_URL: 'file' });
    expect(c.previousSessionSecrets).toEqual([]);
  });

  it('SESSION_SECRET_PREVIOUS (optional secret): earlier values one per line, a wrapped value as a whole, never the current one', () => {
    const wrapped = `${'w'.repeat(64)}\n${'v'.repeat(24)}`; // as `openssl rand -base64 66` prints it
    const { env } = productionSecrets({
      SESSION_SECRET_PREVIOUS: `  ${'a'.repeat(40)}\n\n${'b'.repeat(40)}\n${'s'.repeat(40)}\n`,
    });
    expect(loadConfig(env).previousSessionSecrets).toEqual(['a'.repeat(40), 'b'.repeat(40)]);
    const { env: env2 } = productionSecrets({ SESSION_SECRET_PREVIOUS: wrapped });
    expect(loadConfig(env2).previousSessionSecrets).toEqual([wrapped, 'w'.repeat(64)]);
    expect(loadConfig(env2).secretSources.SESSION_SECRET_PREVIOUS).toBe('file');
  });

  it('with SECRETS_OVERRIDE, development reads the environment, then ./dev-secrets/', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'dev-secrets'));
    writeFileSync(path.join(dir, 'dev-secrets', 'SESSION_SECRET'), 'd'.repeat(40));
    writeFileSync(path.join(dir, 'dev-secrets', 'AWS_ACCESS_KEY_ID'), 'from-folder');
    const env = {
      DATA_DIR: path.join(dir, 'data'),
      SECRETS_OVERRIDE: '1',
      AWS_ACCESS_KEY_ID: 'from-env',
      NOTIFICATIONS_USERNAME: 'u',
    };
    const c = loadConfig(env, { cwd: dir });
    expect(c.sessionSecret).toBe('d'.repeat(40));
    expect(c.secretSources.SESSION_SECRET).toBe('dev-secrets');
    expect(c.dns.route53.accessKeyId).toBe('from-env');
    expect(c.secretSources.AWS_ACCESS_KEY_ID).toBe('environment');
  });

  it('without SECRETS_OVERRIDE, secrets in the environment are ignored (except DATABASE_URL, used by setup commands)', () => {
    const c = dev({
      SESSION_SECRET: 'e'.repeat(40),
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/x',
    });
    expect(c.sessionSecret).not.toBe('e'.repeat(40));
    expect(c.database.dialect).toBe('mysql');
  });

  it('refuses a short SESSION_SECRET', () => {
    const { env } = productionSecrets({ SESSION_SECRET: 'short' });
    expect(problemsOf(() => loadConfig(env))).toContain(
      'SESSION_SECRET must be at least 32 characters',
    );
  });
});

describe('production refusals', () => {
  it('with nothing set, names every missing required setting in one error', () => {
    const dir = tmp();
    const problems = problemsOf(() =>
      loadConfig({ NODE_ENV: 'production', SECRETS_DIR: path.join(dir, 'none'), DATA_DIR: dir }),
    );
    const text = problems.join('\n');
    for (const name of [
      'APP_URL',
      'ROOT_DOMAIN',
      'DATABASE_URL',
      'AWS_ROUTE53_HOSTED_ZONE_ID',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'LETS_ENCRYPT_ACCOUNT_EMAIL',
      'LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM',
      'NOTIFICATIONS_EMAIL_USER',
      'NOTIFICATIONS_USERNAME',
      'NOTIFICATIONS_PASSWORD',
      'SAML_IDP_METADATA_PATH',
      'SESSION_SECRET',
    ]) {
      expect(text, name).toContain(name);
    }
  });

  it('never generates secrets or falls back to in-process jobs; Redis defaults to the stack service', () => {
    const { env } = productionSecrets();
    const c = loadConfig(env);
    expect(c.redis).toEqual({ url: 'redis://redis:6379' });
    expect(c.dns.provider).toBe('route53');
    expect(c.acme.directoryUrl).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(c.session.secureCookie).toBe(true);
    expect(c.rootDomain).toBe('mystudentproject.ca');
    expect(
      problemsOf(() => loadConfig({ ...productionSecrets({ SESSION_SECRET: null }).env })),
    ).toEqual([
      'SESSION_SECRET (secret) is required in production; generated secrets are unsafe for several replicas',
    ]);
  });

  it('refuses SECRETS_OVERRIDE and uses SQLite only when chosen explicitly', () => {
    const { env } = productionSecrets({ DATABASE_URL: 'sqlite:/var/lib/starchart/db.sqlite' });
    expect(loadConfig(env).database.dialect).toBe('sqlite');
    expect(problemsOf(() => loadConfig({ ...env, SECRETS_OVERRIDE: '1' }))[0]).toMatch(
      /SECRETS_OVERRIDE is for development only/,
    );
  });
});

describe('issuance budget settings', () => {
  it("default to Let's Encrypt production limits with the root not on the PSL", () => {
    expect(dev().acme.limits).toEqual({
      profile: 'letsencrypt',
      rootDomainOnPsl: false,
      overrides: {},
    });
    expect(
      dev({ ACME_LIMIT_PROFILE: 'letsencrypt-staging', ROOT_DOMAIN_ON_PSL: '1' }).acme.limits,
    ).toEqual({ profile: 'letsencrypt-staging', rootDomainOnPsl: true, overrides: {} });
    expect(dev({ ACME_LIMIT_PROFILE: 'none' }).acme.limits.profile).toBe('none');
  });
  it('refuse an unknown profile or a PSL flag that is not 0/1', () => {
    const problems = problemsOf(() =>
      dev({ ACME_LIMIT_PROFILE: 'zerossl', ROOT_DOMAIN_ON_PSL: 'yes' }),
    );
    expect(problems.some((p) => p.startsWith('ACME_LIMIT_PROFILE'))).toBe(true);
    expect(problems.some((p) => p.startsWith('ROOT_DOMAIN_ON_PSL'))).toBe(true);
  });
  it('take adjusted limits as limit=count/period and refuse anything else with the accepted form', () => {
    expect(
      dev({
        ACME_LIMIT_OVERRIDES:
          'certificates-per-registered-domain=4000/7d, new-orders-per-account=3000/3h',
      }).acme.limits.overrides,
    ).toEqual({
      'certificates-per-registered-domain': { capacity: 4000, periodMs: 7 * 86_400_000 },
      'new-orders-per-account': { capacity: 3000, periodMs: 3 * 3_600_000 },
    });
    for (const bad of [
      'certificates=50/7d',
      'certificates-per-registered-domain=50',
      'certificates-per-registered-domain=0/7d',
      'new-orders-per-account=300/3y',
      'new-orders-per-account=-1/3h',
    ]) {
      const problems = problemsOf(() => dev({ ACME_LIMIT_OVERRIDES: bad }));
      expect(
        problems.some((p) => p.startsWith('ACME_LIMIT_OVERRIDES')),
        bad,
      ).toBe(true);
    }
  });
});

describe('footer settings', () => {
  it('default: no Acceptable Use Policy link, "© {year} {PRODUCT_NAME}"', () => {
    expect(dev({ PRODUCT_NAME: 'Seneca Domains' }).footer).toEqual({
      acceptableUsePolicyUrl: null,
      copyrightNotice: '© {year} Seneca Domains',
    });
  });

  it('ACCEPTABLE_USE_POLICY_URL and COPYRIGHT_NOTICE are taken as given', () => {
    expect(
      dev({
        ACCEPTABLE_USE_POLICY_URL: 'https://example.edu/aup',
        COPYRIGHT_NOTICE: ' © 2020–{year} Example College ',
      }).footer,
    ).toEqual({
      acceptableUsePolicyUrl: 'https://example.edu/aup',
      copyrightNotice: '© 2020–{year} Example College',
    });
    expect(dev({ ACCEPTABLE_USE_POLICY_URL: '/policies/aup' }).footer.acceptableUsePolicyUrl).toBe(
      '/policies/aup',
    );
  });

  it('a policy address that is neither http(s) nor a local path is refused at boot', () => {
    for (const bad of ['javascript:alert(1)', '//evil.example/aup', 'aup.html']) {
      expect(problemsOf(() => dev({ ACCEPTABLE_USE_POLICY_URL: bad }))).toEqual([
        `ACCEPTABLE_USE_POLICY_URL: must be an https://… address or a /path on this site (got "${bad}")`,
      ]);
    }
  });
});

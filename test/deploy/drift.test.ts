/**
 * The operator's files (docs/deployment.md, .env.example, docker-staging.yml, docker-production.yml)
 * agree with the configuration schema, the checkers catch a removed or invented variable, and every
 * variable and secret of the original deployment guide means the same thing here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_VARS, SECRETS, loadConfig } from '../../src/config.js';
import {
  STACK_REQUIRED_ENV,
  checkDeploymentDoc,
  checkEnvExample,
  checkStackFile,
} from './drift-check.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const STACKS = ['docker-staging.yml', 'docker-production.yml'];
const tmp = mkdtempSync(path.join(tmpdir(), 'starchart-drift-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Write a modified copy to a temp file and check the copy, as an operator's edit would be checked. */
function checkCopy(file: string, edit: (text: string) => string, check: (t: string) => string[]) {
  const copy = path.join(tmp, path.basename(file));
  const edited = edit(read(file));
  expect(edited, `the edit of ${file} did not apply`).not.toBe(read(file));
  writeFileSync(copy, edited);
  return check(readFileSync(copy, 'utf8'));
}

describe('operator files agree with src/config.ts', () => {
  it('docs/deployment.md documents every variable and secret and no unknown one', () => {
    expect(checkDeploymentDoc(read('docs/deployment.md'))).toEqual([]);
  });

  it('.env.example lists every variable and secret and no unknown one', () => {
    expect(checkEnvExample(read('.env.example'))).toEqual([]);
  });

  it.each(STACKS)('%s sets the required environment and every secret, all external', (f) => {
    expect(checkStackFile(f, read(f))).toEqual([]);
  });
});

describe('the checkers fail on drift (tried on copies)', () => {
  it('a variable removed from the docs is reported', () => {
    const problems = checkCopy(
      'docs/deployment.md',
      (t) => t.replace(/^\| `JOB_REMOVAL_FREQUENCY_S` +\|.*\n/m, ''),
      checkDeploymentDoc,
    );
    expect(problems).toEqual([
      'docs/deployment.md "Environment variables" table: JOB_REMOVAL_FREQUENCY_S is missing',
    ]);
  });

  it('a secret removed from the docs is reported', () => {
    const problems = checkCopy(
      'docs/deployment.md',
      (t) => t.replace(/^\| `SESSION_SECRET` +\|.*\n/m, ''),
      checkDeploymentDoc,
    );
    expect(problems).toEqual(['docs/deployment.md "Secrets" table: SESSION_SECRET is missing']);
  });

  it('a variable the schema does not know is reported in the docs', () => {
    const problems = checkCopy(
      'docs/deployment.md',
      (t) =>
        t
          .replace(/^(\| `PORT` +\|.*\n)/m, '$1| `MAX_UPLOAD_MB` | `10` | an invented setting |\n')
          .replace('docker stack rm starchart', 'REDIS_PASSWORD=x docker stack rm starchart'),
      checkDeploymentDoc,
    );
    expect(problems).toContain(
      'docs/deployment.md "Environment variables" table: MAX_UPLOAD_MB is not in the configuration schema',
    );
    expect(problems).toContain(
      'docs/deployment.md: MAX_UPLOAD_MB is not in the configuration schema',
    );
  });

  it('a variable removed from .env.example, or an unknown one added, is reported', () => {
    const problems = checkCopy(
      '.env.example',
      (t) => t.replace(/^# SMTP_PORT=.*\n/m, '').replace('LOG_LEVEL=debug', 'LOGLEVEL=debug'),
      checkEnvExample,
    );
    expect(problems.sort()).toEqual(
      [
        '.env.example: SMTP_PORT is missing',
        '.env.example: LOG_LEVEL is missing',
        '.env.example: LOGLEVEL is not in the configuration schema',
      ].sort(),
    );
  });

  it('a stack missing a variable or secret, or with an unknown or forbidden one, is reported', () => {
    const problems = checkCopy(
      'docker-production.yml',
      (t) =>
        t
          .replace(/^ {2}REDIS_URL: .*\n/m, '')
          .replace(/^ {2}- SESSION_SECRET\n/m, '')
          .replace("  PORT: '8080'", "  PORT: '8080'\n  SMTP_SECURE: 'true'")
          .replace(
            "# DANGER_DATABASE_WIPE_REINITIALIZE: '1'",
            "DANGER_DATABASE_WIPE_REINITIALIZE: '1'",
          )
          .replace(/(SESSION_SECRET:\n {4}external: )true/, '$1false'),
      (t) => checkStackFile('copy', t),
    );
    for (const svc of ['mycustomdomain', 'worker']) {
      expect(problems).toContain(`copy ${svc}: environment is missing REDIS_URL`);
      expect(problems).toContain(`copy ${svc} secrets: SESSION_SECRET is missing`);
      expect(problems).toContain(`copy ${svc}: SMTP_SECURE is not in the configuration schema`);
      expect(problems).toContain(
        `copy ${svc}: DANGER_DATABASE_WIPE_REINITIALIZE must not be set in a stack file`,
      );
    }
    expect(problems).toContain('copy: secret SESSION_SECRET must be external');
  });
});

describe('SESSION_SECRET_PREVIOUS is optional in a stack (it exists only during a rotation)', () => {
  it('a stack without it passes; one that gives it (external, renamed secret) passes; a non-external one is reported', () => {
    const withPrevious = (external: string) => (t: string) =>
      t
        .replace(/^( {2}- SESSION_SECRET\n)/m, '$1  - SESSION_SECRET_PREVIOUS\n')
        .replace(
          /^( {2}SESSION_SECRET:\n {4}external: true\n)/m,
          `  SESSION_SECRET:\n    external: true\n    name: SESSION_SECRET_v2\n  SESSION_SECRET_PREVIOUS:\n    external: ${external}\n    name: SESSION_SECRET\n`,
        );
    expect(
      checkCopy('docker-production.yml', withPrevious('true'), (t) => checkStackFile('copy', t)),
    ).toEqual([]);
    expect(
      checkCopy('docker-production.yml', withPrevious('false'), (t) => checkStackFile('copy', t)),
    ).toEqual(['copy: secret SESSION_SECRET_PREVIOUS must be external']);
  });
});

describe("the original guide's variables and secrets keep their meaning", () => {
  // As listed in the original deployment guide (the operator's contract).
  const SEED_ENV = [
    'APP_URL',
    'PORT',
    'LOG_LEVEL',
    'ROOT_DOMAIN',
    'AWS_ROUTE53_HOSTED_ZONE_ID',
    'NOTIFICATIONS_EMAIL_USER',
    'SMTP_PORT',
    'LETS_ENCRYPT_ACCOUNT_EMAIL',
    'REDIS_URL',
    'SAML_IDP_METADATA_PATH',
    'SECRETS_OVERRIDE',
    'DANGER_DATABASE_WIPE_REINITIALIZE',
    'EXPIRATION_REPEAT_FREQUENCY_S',
    'JOB_REMOVAL_FREQUENCY_S',
  ];
  const SEED_SECRETS = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM',
    'SESSION_SECRET',
    'NOTIFICATIONS_USERNAME',
    'NOTIFICATIONS_PASSWORD',
    'DATABASE_URL',
  ];

  it('are all known to the schema', () => {
    expect(SEED_ENV.filter((n) => !(n in ENV_VARS))).toEqual([]);
    expect(SEED_SECRETS.filter((n) => !(n in SECRETS))).toEqual([]);
  });

  it('environment variables land where the guide says (production, secrets from files)', () => {
    const dir = mkdtempSync(path.join(tmp, 'secrets-'));
    const secret: Record<string, string> = {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-example',
      LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM:
        '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
      SESSION_SECRET: 's'.repeat(40),
      NOTIFICATIONS_USERNAME: 'smtp-user',
      NOTIFICATIONS_PASSWORD: 'smtp-password',
      DATABASE_URL: 'mysql://u:p@db.example:3306/starchart',
    };
    for (const [k, v] of Object.entries(secret)) writeFileSync(path.join(dir, k), `${v}\n`);
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        SECRETS_DIR: dir,
        APP_URL: 'https://mycustomdomain.example.edu/',
        PORT: '8081',
        LOG_LEVEL: 'DEBUG',
        ROOT_DOMAIN: 'mystudentproject.ca',
        AWS_ROUTE53_HOSTED_ZONE_ID: 'Z23ABC4XYZL05B',
        NOTIFICATIONS_EMAIL_USER: 'mycustomdomain@example.edu',
        SMTP_PORT: '2525',
        LETS_ENCRYPT_ACCOUNT_EMAIL: 'acme@example.edu',
        REDIS_URL: 'redis://redis:6380',
        SAML_IDP_METADATA_PATH: path.join(root, 'config/idp-metadata-dev.xml'),
        DANGER_DATABASE_WIPE_REINITIALIZE: '1',
        EXPIRATION_REPEAT_FREQUENCY_S: '3600',
        JOB_REMOVAL_FREQUENCY_S: '7200',
      },
      { cwd: tmp },
    );
    expect(config.appUrl).toBe('https://mycustomdomain.example.edu');
    expect(config.http.port).toBe(8081);
    expect(config.logLevel).toBe('debug');
    expect(config.rootDomain).toBe('mystudentproject.ca');
    expect(config.dns.route53.hostedZoneId).toBe('Z23ABC4XYZL05B');
    expect(config.mail.from).toBe('mycustomdomain@example.edu');
    expect(config.mail.smtp).toMatchObject({
      host: 'smtp.office365.com',
      port: 2525,
      user: 'smtp-user',
      password: 'smtp-password',
    });
    expect(config.acme.accountEmail).toBe('acme@example.edu');
    expect(config.acme.accountKeyPem).toBe(secret.LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM);
    expect(config.redis).toEqual({ url: 'redis://redis:6380' });
    expect(config.saml.idpMetadataPath).toBe(path.join(root, 'config/idp-metadata-dev.xml'));
    expect(config.dangerWipe).toBe(true);
    expect(config.jobs).toMatchObject({ expirationRepeatS: 3600, removalAgeS: 7200 });
    expect(config.dns.route53.accessKeyId).toBe('AKIAEXAMPLE');
    expect(config.dns.route53.secretAccessKey).toBe('aws-secret-example');
    expect(config.sessionSecret).toBe(secret.SESSION_SECRET);
    expect(config.database).toMatchObject({ dialect: 'mysql', database: 'starchart' });
    expect(new Set(Object.values(config.secretSources))).toEqual(new Set(['file']));
  });

  it('SECRETS_OVERRIDE reads secrets from the environment in development, and is refused in production', () => {
    const config = loadConfig(
      { SECRETS_OVERRIDE: '1', AWS_ACCESS_KEY_ID: 'from-env', SESSION_SECRET: 'e'.repeat(40) },
      { cwd: tmp },
    );
    expect(config.dns.route53.accessKeyId).toBe('from-env');
    expect(config.secretSources.SESSION_SECRET).toBe('environment');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', SECRETS_OVERRIDE: '1' }, { cwd: tmp }),
    ).toThrow(/SECRETS_OVERRIDE is for development only/);
  });

  it('DATABASE_URL is also accepted from the environment (database setup commands)', () => {
    const config = loadConfig(
      { DATABASE_URL: 'mysql://root@127.0.0.1:3306/starchart_setup', DATA_DIR: tmp },
      { cwd: tmp },
    );
    expect(config.database).toMatchObject({ dialect: 'mysql', database: 'starchart_setup' });
    expect(config.secretSources.DATABASE_URL).toBe('environment');
  });

  it('the stack rule covers every seed variable except the development-only and destructive ones', () => {
    expect(
      SEED_ENV.filter(
        (n) =>
          !(STACK_REQUIRED_ENV as readonly string[]).includes(n) &&
          n !== 'SECRETS_OVERRIDE' &&
          n !== 'DANGER_DATABASE_WIPE_REINITIALIZE',
      ),
    ).toEqual([]);
  });
});

/**
 * Static checks of the deployment files: every YAML and JSON file parses, shellcheck passes on every shell
 * script, and the Dockerfile, stacks, compose file and webhook keep the properties the guide promises.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { productionCommand } from '../support/process.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
/** Files git knows about plus new ones not ignored, so checks see what would be committed. */
const repoFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '-z'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\0')
  .filter((f) => f && !f.startsWith('node_modules/'))
  .filter((f) => {
    try {
      return statSync(path.join(root, f)).isFile();
    } catch {
      return false; // deleted in the working tree
    }
  });

const yamlFiles = repoFiles.filter((f) => /\.ya?ml$/.test(f));
const shellScripts = repoFiles.filter((f) => {
  if (/\.(sh|bash)$/.test(f)) return true;
  if (!/^(ops|webhook|\.ci|scripts)\//.test(f) || /\.[a-z]+$/.test(path.basename(f))) return false;
  return /^#!.*\b(ba)?sh\b/.test(read(f).split('\n')[0] ?? '');
});

describe('YAML and JSON', () => {
  it('finds the deployment YAML files', () => {
    expect(yamlFiles).toEqual(
      expect.arrayContaining([
        'compose.yaml',
        'docker-staging.yml',
        'docker-production.yml',
        '.github/workflows/ci.yml',
        '.github/workflows/release.yml',
      ]),
    );
  });

  it.each(yamlFiles)('%s parses', (f) => {
    const docs = parseAllDocuments(read(f), { merge: true });
    for (const d of Array.isArray(docs) ? docs : [docs])
      expect(d.errors.map((e) => e.message)).toEqual([]);
  });

  it.each(['webhook/hooks.json', 'docker/pebble/pebble-config.json'])('%s parses', (f) => {
    // hooks.json is a Go template; its template actions sit inside JSON strings.
    expect(() => JSON.parse(read(f))).not.toThrow();
  });
});

describe('shell scripts', () => {
  it('finds the scripts', () => {
    expect(shellScripts).toEqual(
      expect.arrayContaining([
        'docker-entrypoint.sh',
        'webhook/deploy.sh',
        'webhook/call-webhook.sh',
        'ops/docker-prune',
      ]),
    );
  });

  it.each(shellScripts)('%s passes shellcheck and is executable', (f) => {
    const r = spawnSync('shellcheck', ['--external-sources', f], { cwd: root, encoding: 'utf8' });
    if (r.error)
      throw new Error(
        `shellcheck is not installed (apt-get install shellcheck): ${r.error.message}`,
      );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(path.join(root, f)).mode & 0o111).not.toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1)!;

  it('is multi-stage on node:20-bookworm-slim, final stage from base with production deps only', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(final.split('\n')[0]).toBe('base AS deploy');
    expect(dockerfile).toMatch(/^FROM deps AS production-deps\nRUN npm prune --omit=dev$/m);
    expect(final).toContain('COPY --from=production-deps /app/node_modules ./node_modules');
    expect(final).not.toMatch(/--from=deps\b/);
  });

  it('runs as node under tini with the entrypoint, exposes 8080, health-checks /healthcheck', () => {
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^EXPOSE 8080$/m);
    expect(final).toMatch(/^HEALTHCHECK .*\n.*\/healthcheck/m);
    expect(final).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker-entrypoint.sh"]');
    const { flags, entry } = productionCommand();
    expect(entry).toBe('dist/src/main.js');
    expect(final).toContain(
      `CMD ${JSON.stringify(['node', ...flags, entry]).replaceAll(',', ', ')}`,
    );
    expect(stages[0]).toMatch(/apt-get install .*\btini\b/);
  });

  it('selects the IdP metadata at build time and bakes in no secret', () => {
    expect(final).toMatch(/^ARG SAML_IDP_METADATA_PATH=config\/idp-metadata-dev\.xml$/m);
    expect(final).toContain('COPY ${SAML_IDP_METADATA_PATH} ./config/idp-metadata.xml');
    expect(final).toMatch(/SAML_IDP_METADATA_PATH=\/app\/config\/idp-metadata\.xml/);
    const envAndArgs = dockerfile.match(/^(ENV|ARG) [\s\S]*?(?=^\S)/gm) ?? [];
    for (const block of envAndArgs)
      expect(block).not.toMatch(/SECRET|PASSWORD|PRIVATE_KEY|DATABASE_URL|ACCESS_KEY/);
  });

  it('.dockerignore keeps secrets and local state out of the build context', () => {
    const ignore = read('.dockerignore');
    expect(ignore.split('\n')[ignore.split('\n').findIndex((l) => !l.startsWith('#'))]).toBe('**');
    for (const rule of ['**/.env', 'dev-secrets', '**/*.pem', '**/*.key'])
      expect(ignore.split('\n')).toContain(rule);
    expect(ignore).not.toMatch(/^!(data|dev-secrets|node_modules|dist)/m);
  });
});

describe('Swarm stacks', () => {
  type Service = {
    image: string;
    environment: Record<string, string>;
    deploy: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    logging: { driver: string; options: { tag: string } };
    command?: string[];
    volumes?: string[];
    healthcheck?: { disable?: boolean };
    ports?: string[];
    stop_grace_period?: string;
  };
  it.each([
    ['docker-staging.yml', 'staging'],
    ['docker-production.yml', 'production'],
  ])('%s', (file, env) => {
    const stack = parse(read(file), { merge: true }) as { services: Record<string, Service> };
    const { mycustomdomain: web, worker, redis } = stack.services;
    expect(Object.keys(stack.services).sort()).toEqual(['mycustomdomain', 'redis', 'worker']);
    expect(web!.image).toBe(`ghcr.io/developingspace/starchart:${env}`);
    expect(worker!.image).toBe(web!.image);
    expect(web!.deploy.replicas).toBe(2);
    for (const svc of [web!, worker!]) {
      expect(svc.deploy.update_config).toEqual({
        parallelism: 1,
        delay: '20s',
        order: 'stop-first',
        failure_action: 'rollback',
        monitor: '60s',
      });
      expect(svc.deploy.rollback_config.parallelism).toBe(0);
      expect(svc.logging.driver).toBe('journald');
      // Docker's stop timeout must exceed the service's own shutdown budget.
      expect(parseInt(svc.stop_grace_period!, 10) * 1000).toBeGreaterThan(
        Number(svc.environment.SHUTDOWN_TIMEOUT_MS),
      );
      expect(svc.environment.NODE_ENV).toBe('production');
    }
    expect(web!.environment.ROLE).toBe('web');
    expect(worker!.environment.ROLE).toBe('worker');
    expect(worker!.healthcheck).toEqual({ disable: true });
    expect(web!.ports).toEqual(['8080:8080']);
    expect(web!.logging.options.tag).toBe('mycustomdomain');
    expect(redis!.logging).toEqual({ driver: 'journald', options: { tag: 'redis' } });
    expect(redis!.image).toMatch(/^redis:7\./);
    expect(redis!.command!.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(redis!.volumes).toEqual(['redis-data:/data']);
    expect(redis!.deploy.placement.constraints).toEqual(['node.role == manager']);
    expect(web!.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(web!.environment.LETS_ENCRYPT_DIRECTORY_URL).toBe(
      env === 'production'
        ? 'https://acme-v02.api.letsencrypt.org/directory'
        : 'https://acme-staging-v02.api.letsencrypt.org/directory',
    );
  });
});

describe('compose.yaml (development services)', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, { image?: string; build?: string; ports?: string[] }>;
  };
  it('has MySQL 8, Redis 7, Pebble, the SimpleSAMLphp IdP and an SMTP catcher, on loopback only', () => {
    const s = compose.services;
    expect(s.mysql!.image).toBe('mysql:8.0');
    expect(s.redis!.image).toMatch(/^redis:7\./);
    expect(s.pebble!.image).toMatch(/^ghcr\.io\/letsencrypt\/pebble:/);
    expect(s.idp!.build).toBe('./docker/simplesamlphp');
    expect(s.mail!.image).toMatch(/^maildev\/maildev:/);
    for (const svc of Object.values(s))
      for (const port of svc.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    // The development defaults in src/config.ts: SMTP port 1025 outside production.
    expect(s.mail!.ports).toContain('127.0.0.1:1025:1025');
  });

  it('the IdP has the test users of the e2e suite', () => {
    const users = read('docker/simplesamlphp/config/authsources.php');
    for (const u of ['user1:user1pass', 'user2:user2pass', 'user3:user3pass', 'han.solo:starchart'])
      expect(users).toContain(`'${u}'`);
  });
});

describe('workflows', () => {
  const ci = parse(read('.github/workflows/ci.yml'));
  const release = parse(read('.github/workflows/release.yml'));
  it('CI runs on pull requests and main; main builds the staging image and calls the staging webhook', () => {
    expect(Object.keys(ci.on)).toEqual(['pull_request', 'push']);
    expect(ci.on.push.branches).toEqual(['main']);
    const steps = JSON.stringify(ci.jobs['deploy-staging']);
    expect(ci.jobs['deploy-staging'].needs).toEqual(['checks', 'dockerfile', 'test']);
    expect(steps).toContain('SAML_IDP_METADATA_PATH=config/idp-metadata-staging.xml');
    expect(steps).toContain('staging-sha-${GITHUB_SHA::6}');
    expect(steps).toContain('webhook/call-webhook.sh');
    expect(steps).toContain('WEBHOOK_STAGING_SECRET');
    expect(Object.keys(ci.jobs.test.services).sort()).toEqual(['mysql', 'redis']);
  });
  it('release builds production, creates a GitHub release, and calls the production webhook', () => {
    expect(release.on.push.branches).toEqual(['release']);
    const steps = JSON.stringify(release.jobs.release);
    expect(steps).toContain('SAML_IDP_METADATA_PATH=config/idp-metadata-production.xml');
    expect(steps).toContain('production-sha-${GITHUB_SHA::6}');
    expect(steps).toContain('gh release create');
    expect(steps).toContain('WEBHOOK_PRODUCTION_SECRET');
  });
});

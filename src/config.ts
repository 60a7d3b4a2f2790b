/**
 * The one place that reads process.env and Docker secrets. Everything is validated at boot with a
 * single zod schema; every problem is reported at once, by variable name, and the caller exits non-zero.
 * Other modules receive the frozen, structured Config (or their slice of it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseCidr } from './domain/tokens/scope.js';
import { withGenerationLockSync, writeFileAtomic } from './generated-files.js';

/** Environment variables the schema knows, with their documentation. The drift tests read this. */
export const ENV_VARS = {
  NODE_ENV: 'production | development | test (default development)',
  ROLE: 'web | worker | all (default all): which parts of the service this process runs',
  APP_URL:
    'Public URL of the service (e.g. https://mycustomdomain.example.edu); required in production',
  PORT: 'HTTP port (default 8080; 0 = any free port, for tests)',
  HOST: 'Address the HTTP server binds (default 0.0.0.0)',
  TRUSTED_PROXIES:
    'Comma-separated address ranges (CIDR) of reverse proxies whose X-Forwarded-For names the client (default none: the connecting address is the client)',
  LOG_LEVEL:
    "fatal | error | warn | info | debug | trace | silent (default info); the original's winston levels are mapped, with a warning: verbose and http to debug, silly to trace",
  PRODUCT_NAME: 'Name shown to users (default My.Custom.Domain)',
  SUPPORT_CONTACT:
    'Whom people are told to contact, e.g. on the page a suspended user sees: an email address or an http(s):// URL (default unset: "the administrators of {PRODUCT_NAME}", no link)',
  DATA_DIR: 'Directory for embedded-mode state: SQLite file, generated secrets (default ./data)',
  ROOT_DOMAIN:
    'DNS root domain of the hosted zone (e.g. mystudentproject.ca); required in production',
  DNS_PROVIDER: 'route53 | embedded (default route53 in production, embedded otherwise)',
  AWS_ROUTE53_HOSTED_ZONE_ID: 'Existing Route53 hosted zone id; required with DNS_PROVIDER=route53',
  AWS_REGION: 'AWS region for the Route53 client (default us-east-1)',
  AWS_ROUTE53_ENDPOINT: 'Override of the Route53 API endpoint (tests and simulators only)',
  AWS_ROUTE53_REQUESTS_PER_SECOND:
    "Most Route53 API requests per second this service sends (default 5, Route53's documented per-account rate; 0 = no pacing)",
  DNS_SERVER_HOST: 'Address the built-in DNS server binds (default 127.0.0.1)',
  DNS_SERVER_PORT:
    'Port of the built-in DNS server, UDP and TCP (default 10053; not 5353, which mDNS holds on most Linux desktops; 0 = any free port, for tests)',
  DNS_UPDATE_SERVER:
    'Accept DNS UPDATE (RFC 2136, TSIG keys of access tokens) on the built-in DNS server port: 1 or 0 (default 1 with DNS_PROVIDER=embedded; with route53 1 starts the built-in server for updates only, queries REFUSED, and the reconciler pushes the changes to Route53)',
  DNS_SERVER_UDP_WORKERS:
    'Extra processes that answer UDP queries for the built-in DNS server on the same socket (default 0; e.g. 1 on a 2-core host that serves real DNS traffic)',
  DNS_UDP_MAX_PAYLOAD:
    "Largest UDP reply of the built-in DNS server to an EDNS query, in bytes, if the client's size allows (default 1232, the DNS Flag Day value; without EDNS replies are at most 512)",
  DNS_TCP_MAX_CONNECTIONS:
    'Open TCP connections the built-in DNS server accepts at most; more are closed at once while UDP keeps answering (default 256)',
  DNS_TCP_MAX_CONNECTIONS_PER_IP:
    'Open TCP connections the built-in DNS server accepts from one source address at most (default 32)',
  DNS_TCP_IDLE_TIMEOUT_S:
    'Seconds a TCP connection to the built-in DNS server stays open after its last complete query (default 10)',
  DNS_TCP_MAX_QUERIES_PER_CONNECTION:
    'Queries the built-in DNS server answers on one TCP connection before closing it (default 100; 0 = no limit)',
  DNS_RRL_RESPONSES_PER_SECOND:
    'UDP responses per second the built-in DNS server sends to one /24 (IPv4) or /56 (IPv6) source prefix (default 0 = no limit; 50 recommended on a public server)',
  DNS_RRL_SLIP:
    'Every Nth rate-limited UDP response goes out as a tiny truncated reply so a real client retries over TCP; the rest are dropped (default 2; 0 = drop all)',
  DNS_CACHE_MAX_BYTES:
    'Bytes of answers the built-in DNS server caches, in each process that answers (default 16777216 = 16 MiB; 0 = no cache)',
  DNS_NAMESERVERS:
    'Comma-separated name servers the built-in DNS server puts in the apex NS and SOA (default ns1.{ROOT_DOMAIN})',
  DNS_RECONCILE_INTERVAL_S:
    'Seconds between full DNS reconciliation passes that repair drift (default 600); changes are pushed at once regardless',
  USER_DNS_RECORD_LIMIT: 'Maximum DNS records per user; unset means unlimited',
  NAMESPACE_CREATOR_ROLES:
    'Comma-separated roles (admin, faculty, student) allowed to create shared namespaces (default admin,faculty)',
  DNS_RECORD_LIFETIME_DAYS:
    'Days a record lives after create, edit or renew (default 182, about 6 months)',
  CLIENT_CHALLENGE_LIFETIME_S:
    "Seconds an ACME challenge value written by a user's own client (API, acme-dns, DNS UPDATE) stays published if the client does not remove it (default 3600)",
  API_TOKEN_MAX_DAYS:
    'Longest lifetime a user may give a personal access token, in days (default 365)',
  API_RATE_LIMIT_TOKEN_PER_MINUTE:
    'Requests one access token may make per minute over the API, dyndns2, acme-dns and DNS UPDATE together; more get 429 with Retry-After (default 120; 0 = no limit)',
  API_RATE_LIMIT_USER_PER_MINUTE:
    "Requests all of one user's tokens may make per minute together (default 300; 0 = no limit)",
  API_RATE_LIMIT_WRITES_PER_HOUR:
    "Changes (record or challenge writes) all of one user's tokens may make per hour together (default 300; 0 = no limit)",
  NOTIFICATIONS_EMAIL_USER: 'Sender address of notification emails; required in production',
  SMTP_HOST:
    'SMTP server (default smtp.office365.com in production; unset in development = local mailbox only)',
  SMTP_PORT: 'SMTP port (default 587 in production, 1025 in development)',
  LETS_ENCRYPT_ACCOUNT_EMAIL:
    "Contact email of the service's single ACME account; required in production",
  LETS_ENCRYPT_DIRECTORY_URL:
    "ACME directory (default Let's Encrypt production in production; unset in development = development CA)",
  LETS_ENCRYPT_PROFILE:
    "ACME profile new orders ask for, e.g. classic, tlsserver (45-day certificates) or shortlived (160 hours); unset = the CA's default. The service refuses to start when the CA's directory does not offer it",
  ACME_CA_BUNDLE_PATH:
    'PEM file of extra CAs trusted for the ACME server (test servers such as Pebble)',
  ACME_DNS_RESOLVERS:
    "Comma-separated host:port list of the authoritative DNS servers checked for challenge records before the CA is asked to validate (default: the built-in DNS server in embedded mode, otherwise the zone's NS servers on port 53)",
  ACME_DNS_PROPAGATION_TIMEOUT_S:
    'Seconds to wait for challenge records to appear on every authoritative server before the request fails (default 600)',
  ACME_LIMIT_PROFILE:
    "Rate limits of the CA that certificate orders are budgeted against: letsencrypt (default, Let's Encrypt production), letsencrypt-staging, or none (no budget, e.g. Pebble)",
  DNS_CHECK_RESOLVERS:
    "Comma-separated host:port list of public recursive resolvers the record check page asks (default 1.1.1.1:53,8.8.8.8:53,9.9.9.9:53; 'none' = ask none)",
  DNS_CHECK_PER_MINUTE:
    'Record checks one person may run per minute (each sends DNS queries to the public resolvers); more get a 429 page with Retry-After (default 10; 0 = no limit)',
  ACME_LIMIT_OVERRIDES:
    'Raised (or lowered) limits the CA granted you, on top of ACME_LIMIT_PROFILE, comma-separated limit=count/period, e.g. certificates-per-registered-domain=4000/7d (limits: new-orders-per-account, certificates-per-registered-domain, certificates-per-exact-set, failed-authorizations-per-identifier; periods in s, m, h or d)',
  ROOT_DOMAIN_ON_PSL:
    '1 = ROOT_DOMAIN is on the Public Suffix List, so each {user}.{ROOT_DOMAIN} is its own registered domain with its own certificate limit (default 0: all users share one)',
  CERTIFICATE_KEY_TYPE: 'Key of each new certificate: ecdsa-p256 (default) or rsa-2048',
  CERTIFICATE_RENEW_REMAINING_PERCENT:
    "Without the CA's renewal information (ARI): renew when this percentage of the lifetime remains, at a random time up to a tenth of the lifetime earlier; lifetimes under 10 days use at least 50 (default 33)",
  CERTIFICATE_RENEWAL_SCAN_FREQUENCY_S:
    'Seconds between scans for certificates to renew (default 3600)',
  REDIS_URL:
    'Redis for job queues (default redis://redis:6379 in production; unset in development = in-process jobs)',
  SAML_IDP_METADATA_PATH:
    'Path of the SAML IdP metadata XML; required in production (unset in development = built-in development IdP)',
  SAML_ATTR_USERNAME: 'SAML attribute carrying the username (default sAMAccountName)',
  SAML_ATTR_DISPLAY_NAME: 'SAML attribute carrying the display name (default displayname)',
  SAML_ATTR_EMAIL: 'SAML attribute carrying the email address (default email)',
  SAML_ATTR_GROUPS: 'SAML attribute carrying the groups, single or multi-valued (default group)',
  ROLE_ADMIN_GROUP_PATTERN:
    'Regular expression (case-insensitive) a group must match to make its member an admin (default ^mycustomdomain(-dev)?-admins$)',
  ROLE_FACULTY_GROUP_PATTERN:
    'Regular expression (case-insensitive) for faculty groups (default ^mycustomdomain(-dev)?-faculty$)',
  ROLE_STUDENT_GROUP_PATTERN:
    'Regular expression (case-insensitive) for student groups (default ^mycustomdomain(-dev)?-students$)',
  SAML_REQUIRE_GROUP:
    '1 = only members of a group matching one of the role patterns may sign in (default 0: everyone the IdP vouches for, as a student)',
  SAML_CLOCK_SKEW_S:
    'Seconds of clock difference tolerated on SAML NotBefore/NotOnOrAfter (default 60, at most 600)',
  FOOTER_LINKS:
    'Footer links as "Label|URL" pairs separated by ";" (default "GitHub|https://github.com/DevelopingSpace/starchart")',
  ACCEPTABLE_USE_POLICY_URL:
    "Address of the Acceptable Use Policy linked from every page's footer (https://… or /path; default none: no link)",
  COPYRIGHT_NOTICE:
    'Copyright line in every page\'s footer; {year} is replaced by the current year (default "© {year} {PRODUCT_NAME}")',
  SECRETS_OVERRIDE:
    'Development only: read secrets from the environment or ./dev-secrets/ instead of Docker secrets',
  SECRETS_DIR: 'Directory of Docker secret files (default /run/secrets)',
  DANGER_DATABASE_WIPE_REINITIALIZE:
    '1 = wipe the database and the queue keys in Redis at start, then recreate the schema (once per boot)',
  EXPIRATION_REPEAT_FREQUENCY_S: 'Seconds between runs of expiry processing (default 86400)',
  JOB_REMOVAL_FREQUENCY_S: 'Seconds finished jobs are kept before removal (default 604800)',
  JOBS_SCHEDULE_CHECK_INTERVAL_S:
    'Seconds between checks, in each worker, that the recurring job schedules still exist in Redis; missing ones are re-created and, when the queue was emptied, unfinished work is re-enqueued (default 30)',
  SHUTDOWN_TIMEOUT_MS: 'How long shutdown waits for in-flight requests and jobs (default 25000)',
  REMINDER_THRESHOLDS_DAYS:
    'Days before expiry at which owners are reminded, comma-separated (default 30,7,1); each is sent once',
  REMINDER_SCAN_FREQUENCY_S: 'Seconds between reminder scans (default 3600)',
  SESSION_IDLE_TIMEOUT_MIN: 'Minutes of inactivity after which a session ends (default 720)',
  SESSION_ABSOLUTE_TIMEOUT_H:
    'Hours after sign-in after which a session ends regardless of activity (default 168)',
} as const;

/** Docker secrets the service reads, with their documentation. */
export const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AWS access key id for Route53',
  AWS_SECRET_ACCESS_KEY: 'AWS secret access key for Route53',
  LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM: "Private key (PEM) of the service's ACME account",
  SESSION_SECRET:
    'Long random string that signs session cookies and derives the encryption key for private keys',
  SESSION_SECRET_PREVIOUS:
    'Optional, during a rotation only: earlier SESSION_SECRET value(s), one per line, that still decrypt stored private keys until `npm run keys:rotate` re-encrypts them',
  NOTIFICATIONS_USERNAME: 'SMTP user name',
  NOTIFICATIONS_PASSWORD: 'SMTP password',
  DATABASE_URL:
    'mysql://user:pass@host:3306/db, or sqlite:/path/file.db (also read from the environment, for database setup commands)',
} as const;

export type EnvVarName = keyof typeof ENV_VARS;
export type SecretName = keyof typeof SECRETS;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * winston's levels (the original's LOG_LEVEL) that pino lacks, mapped to the nearest pino level that
 * shows at least as much: http sits between info and debug, so it becomes debug rather than hide what
 * was asked for.
 */
const WINSTON_LEVELS: Record<string, LogLevel> = {
  verbose: 'debug',
  http: 'debug',
  silly: 'trace',
};

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** "a, b,,c" → ["a", "b", "c"]. */
const commaList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** A DNS server as host:port (IPv4, [IPv6] or a name). */
const hostPort = (message: string) =>
  z.string().regex(/^(\[[0-9a-f:]+\]|[0-9.]+|[a-z0-9.-]+):\d{1,5}$/i, message);
const optionalInt = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional(),
  );
const intFrom = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  optionalInt(min, max).transform((v) => v ?? def);
const bool01 = optionalString.pipe(
  z
    .enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' })
    .optional()
    .transform((v) => v === '1' || v === 'true'),
);
const domainName = z
  .string()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/,
    'must be a DNS name such as mystudentproject.ca',
  );

/** A case-insensitive regular expression for role groups; invalid patterns are reported at boot. */
const groupPattern = (def: string) =>
  optionalString
    .transform((v) => v ?? def)
    .refine(
      (v) => {
        try {
          new RegExp(v, 'i');
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a valid regular expression' },
    );

const EnvSchema = z.object({
  NODE_ENV: optionalString.pipe(
    z.enum(['production', 'development', 'test']).optional().default('development'),
  ),
  ROLE: optionalString.pipe(z.enum(['web', 'worker', 'all']).optional().default('all')),
  APP_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  PORT: intFrom(8080, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  TRUSTED_PROXIES: optionalString.transform((v, ctx) => {
    const out: string[] = [];
    for (const raw of (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const cidr = parseCidr(raw);
      if (!cidr) {
        ctx.addIssue({
          code: 'custom',
          message: `"${raw}" is not an address range such as 10.0.0.0/8`,
        });
        return z.NEVER;
      }
      out.push(cidr);
    }
    return out;
  }),
  LOG_LEVEL: optionalString.pipe(
    z
      .string()
      .toLowerCase()
      .pipe(
        z.enum([...LOG_LEVELS, ...(Object.keys(WINSTON_LEVELS) as [string, ...string[]])], {
          message: `must be one of ${LOG_LEVELS.join(', ')} (or winston's verbose, http, silly)`,
        }),
      )
      .optional()
      .default('info'),
  ),
  PRODUCT_NAME: optionalString.transform((v) => v ?? 'My.Custom.Domain'),
  SUPPORT_CONTACT: optionalString.transform((v, ctx) => {
    if (v === undefined) return null;
    if (/^https?:\/\/[^\s]+$/.test(v)) return { label: v, href: v };
    if (z.email().safeParse(v).success) return { label: v, href: `mailto:${v}` };
    ctx.addIssue({ code: 'custom', message: 'must be an email address or an http(s):// URL' });
    return z.NEVER;
  }),
  DATA_DIR: optionalString.transform((v) => path.resolve(v ?? 'data')),
  ROOT_DOMAIN: optionalString.pipe(domainName.optional()),
  DNS_PROVIDER: optionalString.pipe(z.enum(['route53', 'embedded']).optional()),
  AWS_ROUTE53_HOSTED_ZONE_ID: optionalString.pipe(
    z
      .string()
      .regex(
        /^(\/hostedzone\/)?[A-Z0-9]{1,32}$/,
        'must be a Route53 zone id such as Z23ABC4XYZL05B',
      )
      .transform((v) => v.replace(/^\/hostedzone\//, ''))
      .optional(),
  ),
  AWS_REGION: optionalString.transform((v) => v ?? 'us-east-1'),
  AWS_ROUTE53_ENDPOINT: optionalString.pipe(z.url().optional()),
  AWS_ROUTE53_REQUESTS_PER_SECOND: intFrom(5, 0, 1000),
  DNS_SERVER_HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  DNS_SERVER_PORT: intFrom(10053, 0, 65535),
  DNS_SERVER_UDP_WORKERS: intFrom(0, 0, 16),
  DNS_UPDATE_SERVER: optionalString.pipe(
    z
      .enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' })
      .optional()
      .transform((v) => (v === undefined ? undefined : v === '1' || v === 'true')),
  ),
  DNS_UDP_MAX_PAYLOAD: intFrom(1232, 512, 4096),
  DNS_TCP_MAX_CONNECTIONS: intFrom(256, 1, 65_535),
  DNS_TCP_MAX_CONNECTIONS_PER_IP: intFrom(32, 1, 65_535),
  DNS_TCP_IDLE_TIMEOUT_S: intFrom(10, 1, 3600),
  DNS_TCP_MAX_QUERIES_PER_CONNECTION: intFrom(100, 0, 1_000_000),
  DNS_RRL_RESPONSES_PER_SECOND: intFrom(0, 0, 1_000_000),
  DNS_RRL_SLIP: intFrom(2, 0, 10),
  DNS_CACHE_MAX_BYTES: intFrom(16 * 1024 * 1024, 0, 1024 * 1024 * 1024),
  DNS_NAMESERVERS: optionalString.pipe(
    z
      .string()
      .toLowerCase()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim().replace(/\.$/, ''))
          .filter(Boolean),
      )
      .pipe(z.array(domainName).min(1).max(13, 'at most 13 name servers'))
      .optional(),
  ),
  DNS_RECONCILE_INTERVAL_S: intFrom(600, 10, 86_400),
  USER_DNS_RECORD_LIMIT: optionalInt(0),
  NAMESPACE_CREATOR_ROLES: optionalString.pipe(
    z
      .string()
      .transform((v) => commaList(v.toLowerCase()))
      .pipe(
        z
          .array(
            z.enum(['admin', 'faculty', 'student'], 'each role must be admin, faculty or student'),
          )
          .min(1),
      )
      .optional(),
  ),
  DNS_RECORD_LIFETIME_DAYS: intFrom(182, 1, 3650),
  CLIENT_CHALLENGE_LIFETIME_S: intFrom(3600, 60, 7 * 86_400),
  API_TOKEN_MAX_DAYS: intFrom(365, 1, 3650),
  API_RATE_LIMIT_TOKEN_PER_MINUTE: intFrom(120, 0, 10_000_000),
  API_RATE_LIMIT_USER_PER_MINUTE: intFrom(300, 0, 10_000_000),
  API_RATE_LIMIT_WRITES_PER_HOUR: intFrom(300, 0, 10_000_000),
  NOTIFICATIONS_EMAIL_USER: optionalString.pipe(z.email('must be an email address').optional()),
  SMTP_HOST: optionalString,
  SMTP_PORT: optionalInt(1, 65535),
  LETS_ENCRYPT_ACCOUNT_EMAIL: optionalString.pipe(z.email('must be an email address').optional()),
  LETS_ENCRYPT_DIRECTORY_URL: optionalString.pipe(z.url().optional()),
  LETS_ENCRYPT_PROFILE: optionalString.pipe(
    z
      .string()
      .regex(
        /^[a-z0-9-]{1,64}$/,
        'must be a profile name such as tlsserver ([a-z0-9-], at most 64)',
      )
      .optional(),
  ),
  ACME_CA_BUNDLE_PATH: optionalString,
  ACME_DNS_RESOLVERS: optionalString.pipe(
    z
      .string()
      .transform(commaList)
      .pipe(z.array(hostPort('each server must be host:port, e.g. 127.0.0.1:53')).min(1))
      .optional(),
  ),
  ACME_DNS_PROPAGATION_TIMEOUT_S: intFrom(600, 5, 86_400),
  DNS_CHECK_PER_MINUTE: intFrom(10, 0, 10_000),
  DNS_CHECK_RESOLVERS: optionalString.pipe(
    z
      .string()
      .transform((v) => (v.trim().toLowerCase() === 'none' ? [] : commaList(v)))
      .pipe(
        z
          .array(hostPort('each resolver must be host:port, e.g. 1.1.1.1:53'))
          .max(8, 'at most 8 resolvers'),
      )
      .optional(),
  ),
  ACME_LIMIT_OVERRIDES: optionalString.pipe(
    z
      .string()
      .transform((v, ctx) => parseLimitOverrides(v, ctx))
      .optional(),
  ),
  ACME_LIMIT_PROFILE: optionalString.pipe(
    z.enum(['letsencrypt', 'letsencrypt-staging', 'none']).optional().default('letsencrypt'),
  ),
  ROOT_DOMAIN_ON_PSL: bool01,
  CERTIFICATE_KEY_TYPE: optionalString.pipe(
    z.enum(['ecdsa-p256', 'rsa-2048']).optional().default('ecdsa-p256'),
  ),
  CERTIFICATE_RENEW_REMAINING_PERCENT: intFrom(33, 1, 90),
  CERTIFICATE_RENEWAL_SCAN_FREQUENCY_S: intFrom(3600, 10, 86_400),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
  ),
  SAML_IDP_METADATA_PATH: optionalString,
  SAML_ATTR_USERNAME: optionalString.transform((v) => v ?? 'sAMAccountName'),
  SAML_ATTR_DISPLAY_NAME: optionalString.transform((v) => v ?? 'displayname'),
  SAML_ATTR_EMAIL: optionalString.transform((v) => v ?? 'email'),
  SAML_ATTR_GROUPS: optionalString.transform((v) => v ?? 'group'),
  ROLE_ADMIN_GROUP_PATTERN: groupPattern('^mycustomdomain(-dev)?-admins$'),
  ROLE_FACULTY_GROUP_PATTERN: groupPattern('^mycustomdomain(-dev)?-faculty$'),
  ROLE_STUDENT_GROUP_PATTERN: groupPattern('^mycustomdomain(-dev)?-students$'),
  SAML_REQUIRE_GROUP: bool01,
  SAML_CLOCK_SKEW_S: intFrom(60, 0, 600),
  FOOTER_LINKS: optionalString.pipe(
    z
      .string()
      .transform((v, ctx) => {
        const links: { label: string; href: string }[] = [];
        for (const part of v
          .split(';')
          .map((p) => p.trim())
          .filter(Boolean)) {
          const bar = part.indexOf('|');
          const label = bar > 0 ? part.slice(0, bar).trim() : '';
          const href = bar > 0 ? part.slice(bar + 1).trim() : '';
          if (!label || !(/^https?:\/\/[^\s]+$/.test(href) || /^\/(?![/\\])[^\s]*$/.test(href))) {
            ctx.addIssue({
              code: 'custom',
              message: `each link must be "Label|https://…" or "Label|/path" (bad: "${part}")`,
            });
            return z.NEVER;
          }
          links.push({ label, href });
        }
        return links;
      })
      .optional()
      .transform(
        (v) => v ?? [{ label: 'GitHub', href: 'https://github.com/DevelopingSpace/starchart' }],
      ),
  ),
  ACCEPTABLE_USE_POLICY_URL: optionalString.pipe(
    z
      .string()
      .regex(
        /^(https?:\/\/[^\s]+|\/(?![/\\])[^\s]*)$/,
        'must be an https://… address or a /path on this site',
      )
      .optional(),
  ),
  COPYRIGHT_NOTICE: optionalString.pipe(z.string().max(300).optional()),
  SECRETS_OVERRIDE: optionalString,
  SECRETS_DIR: optionalString.transform((v) => v ?? '/run/secrets'),
  DANGER_DATABASE_WIPE_REINITIALIZE: bool01,
  EXPIRATION_REPEAT_FREQUENCY_S: intFrom(86_400, 1),
  JOB_REMOVAL_FREQUENCY_S: intFrom(604_800, 1),
  JOBS_SCHEDULE_CHECK_INTERVAL_S: intFrom(30, 1, 3600),
  SHUTDOWN_TIMEOUT_MS: intFrom(25_000, 0, 600_000),
  REMINDER_THRESHOLDS_DAYS: optionalString.pipe(
    z
      .string()
      .regex(
        /^\s*\d+(\s*,\s*\d+)*\s*$/,
        'must be comma-separated whole numbers of days, e.g. 30,7,1',
      )
      .transform((v) =>
        [...new Set(v.split(',').map((d) => Number(d.trim())))]
          .filter((d) => d > 0)
          .sort((a, b) => b - a),
      )
      .optional()
      .transform((v) => (v && v.length > 0 ? v : [30, 7, 1])),
  ),
  REMINDER_SCAN_FREQUENCY_S: intFrom(3600, 10, 86_400),
  SESSION_IDLE_TIMEOUT_MIN: intFrom(720, 1, 525_600),
  SESSION_ABSOLUTE_TIMEOUT_H: intFrom(168, 1, 8760),
});

export type DatabaseConfig =
  | { dialect: 'sqlite'; file: string; url: string }
  | { dialect: 'mysql'; url: string; database: string };

export interface Config {
  env: 'production' | 'development' | 'test';
  isProduction: boolean;
  role: 'web' | 'worker' | 'all';
  productName: string;
  appUrl: string;
  http: {
    host: string;
    port: number;
    shutdownTimeoutMs: number;
    /** Reverse proxies (CIDR) whose X-Forwarded-For is believed (web/client-address.ts). */
    trustedProxies: string[];
  };
  logLevel: LogLevel;
  dataDir: string;
  database: DatabaseConfig;
  /** null = in-process job queue (embedded mode). */
  redis: { url: string } | null;
  jobs: {
    removalAgeS: number;
    expirationRepeatS: number;
    reminderScanS: number;
    /** Period of each worker's check that schedules exist and the queue was not emptied. */
    scheduleCheckMs: number;
  };
  /** Reminder thresholds in days before expiry, largest first. */
  reminderThresholdsDays: number[];
  dangerWipe: boolean;
  rootDomain: string;
  dns: {
    provider: 'route53' | 'embedded';
    recordLimit: number | null;
    /** Roles that may create shared namespaces (NAMESPACE_CREATOR_ROLES). */
    namespaceCreatorRoles: ('admin' | 'faculty' | 'student')[];
    recordLifetimeDays: number;
    /** How long a challenge value written by a user's own ACME client stays unless removed. */
    clientChallengeLifetimeMs: number;
    /** host:port of the public resolvers the record check asks (DNS_CHECK_RESOLVERS). */
    checkResolvers: string[];
    /** Record checks one person may run per minute (DNS_CHECK_PER_MINUTE; 0 = no limit). */
    checksPerMinute: number;
    route53: {
      hostedZoneId: string | null;
      region: string;
      endpoint: string | null;
      /** Pace of API requests (0 = unpaced): Route53 throttles an account's requests above its rate. */
      requestsPerSecond: number;
      accessKeyId: string | null;
      secretAccessKey: string | null;
    };
    /**
     * Whether the built-in DNS server takes DNS UPDATE. With route53 it then runs for updates only
     * (queries REFUSED); the reconciler pushes what they change.
     */
    updateServer: boolean;
    embeddedServer: {
      host: string;
      port: number;
      udpWorkers: number;
      nameservers: string[];
      /** Abuse limits of the built-in server (src/adapters/dns/limits.ts applies them). */
      limits: {
        /** Largest UDP reply to an EDNS query (the client's advertised size permitting). */
        udpMaxPayload: number;
        /** Open TCP connections at most, and from one source address at most; more are closed at once. */
        tcpMaxConnections: number;
        tcpMaxConnectionsPerIp: number;
        /** A TCP connection is closed this long after its last complete query (or its opening). */
        tcpIdleTimeoutMs: number;
        /** Queries answered on one TCP connection before the server closes it (0 = no limit). */
        tcpMaxQueriesPerConnection: number;
        /** UDP responses per second to one /24 (IPv4) or /56 (IPv6), whole server; 0 = no limit. */
        rrlResponsesPerSecond: number;
        /** Every slip-th rate-limited response goes out as an empty TC=1 reply; 0 = drop them all. */
        rrlSlip: number;
        /** Bound of each answering process's answer cache, in bytes. */
        cacheMaxBytes: number;
      };
    };
    /** Period of the full reconciliation pass. */
    reconcileIntervalMs: number;
  };
  acme: {
    /** null = development CA (embedded mode). */
    directoryUrl: string | null;
    accountEmail: string | null;
    accountKeyPem: string | null;
    caBundlePath: string | null;
    /** ACME profile (`meta.profiles` name) new orders ask for; null = the CA's default. */
    profile: string | null;
    /** host:port of the authoritative servers to check; null = derive (built-in server or the zone's NS). */
    dnsResolvers: string[] | null;
    propagationTimeoutMs: number;
    /** The CA's rate limits that orders are budgeted against (domain/certificates/budget.ts). */
    limits: {
      profile: 'letsencrypt' | 'letsencrypt-staging' | 'none';
      /** ROOT_DOMAIN is a public suffix: each {user}.{root} is its own registered domain. */
      rootDomainOnPsl: boolean;
      /** Limits the CA adjusted for this account or domain (ACME_LIMIT_OVERRIDES). */
      overrides: LimitOverrides;
    };
  };
  certificates: {
    keyType: 'ecdsa-p256' | 'rsa-2048';
    /** Renew when this fraction of the lifetime remains (0 < f < 1). */
    renewAtRemainingFraction: number;
    renewalScanMs: number;
  };
  /** Personal access tokens (domain/tokens). */
  tokens: {
    /** Longest lifetime a user may choose, in days. */
    maxDays: number;
    /** Shared request and change limits for token use (0 = off). */
    rateLimits: { tokenPerMinute: number; userPerMinute: number; writesPerHour: number };
  };
  mail: {
    from: string;
    /** null = outbox only, shown on the development mailbox page. */
    smtp: {
      host: string;
      port: number;
      requireTls: boolean;
      user: string | null;
      password: string | null;
    } | null;
  };
  saml: {
    /** IdP metadata XML file; null = the built-in development IdP (never in production). */
    idpMetadataPath: string | null;
    /** True when the built-in development IdP serves sign-in (development and test only). */
    devIdp: boolean;
    attributes: { username: string; displayName: string; email: string; groups: string };
    /** Case-insensitive regular expression sources, matched against each group. */
    rolePatterns: { admin: string; faculty: string; student: string };
    /** Refuse sign-in to people in none of the role groups. */
    requireGroup: boolean;
    clockSkewMs: number;
  };
  footerLinks: { label: string; href: string }[];
  footer: {
    /** ACCEPTABLE_USE_POLICY_URL; null = no link. */
    acceptableUsePolicyUrl: string | null;
    /** COPYRIGHT_NOTICE with {year} still in it (the footer fills in the year when it renders). */
    copyrightNotice: string;
  };
  /** Whom people are told to contact (mailto: or a URL); null = no address configured. */
  supportContact: { label: string; href: string } | null;
  sessionSecret: string;
  /** Earlier SESSION_SECRET values: they still decrypt stored private keys (the key ring, decision 0014). */
  previousSessionSecrets: string[];
  session: { idleTimeoutMs: number; absoluteTimeoutMs: number; secureCookie: boolean };
  /** Settings accepted with an adjustment the operator should know about; logged once at start. */
  warnings: string[];
  /** Where each secret came from, for the boot log (never the values). */
  secretSources: Partial<Record<SecretName, 'file' | 'environment' | 'dev-secrets' | 'generated'>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

interface LoadOptions {
  /** Working directory used to find ./dev-secrets (tests point this elsewhere). */
  cwd?: string;
}

/**
 * loadConfig() for the entry points (the service and the CLIs): an invalid configuration is printed,
 * every problem at once, and the process exits 78 (EX_CONFIG).
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}

/** Parse and validate configuration. Throws ConfigError listing every problem at once. */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '?');
      problems.push(
        `${name}: ${issue.message}${env[name] !== undefined ? ` (got "${env[name]}")` : ''}`,
      );
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const need = <T>(
    value: T | undefined,
    name: string,
    why = 'is required in production',
  ): T | undefined => {
    if (value === undefined) problems.push(`${name} ${why}`);
    return value;
  };

  if (isProduction && e.SECRETS_OVERRIDE) {
    problems.push(
      'SECRETS_OVERRIDE is for development only; in production secrets come from Docker secret files',
    );
  }

  // Secrets: production reads only Docker secret files; development may override from env / ./dev-secrets.
  const secretSources: Config['secretSources'] = {};
  const readSecret = (name: SecretName): string | undefined => {
    const fromFile = (dir: string) => {
      const file = path.join(dir, name);
      if (!existsSync(file)) return undefined;
      const value = readFileSync(file, 'utf8').trim();
      return value === '' ? undefined : value;
    };
    const envValue = env[name]?.trim() || undefined;
    if (name === 'DATABASE_URL' && envValue) {
      // The guide's database setup commands pass DATABASE_URL in the environment.
      secretSources[name] = 'environment';
      return envValue;
    }
    if (!isProduction && e.SECRETS_OVERRIDE) {
      if (envValue) {
        secretSources[name] = 'environment';
        return envValue;
      }
      const dev = fromFile(path.join(cwd, 'dev-secrets'));
      if (dev) {
        secretSources[name] = 'dev-secrets';
        return dev;
      }
    }
    const file = fromFile(e.SECRETS_DIR);
    if (file) secretSources[name] = 'file';
    return file;
  };

  const appUrl = isProduction
    ? need(e.APP_URL, 'APP_URL')
    : (e.APP_URL ?? `http://localhost:${e.PORT}`);
  const rootDomain = isProduction
    ? need(e.ROOT_DOMAIN, 'ROOT_DOMAIN')
    : (e.ROOT_DOMAIN ?? 'starchart.test');

  // Database: SQLite under DATA_DIR by default outside production; production must choose explicitly.
  let database: DatabaseConfig | undefined;
  const databaseUrl = readSecret('DATABASE_URL');
  if (databaseUrl === undefined) {
    if (isProduction) {
      problems.push(
        'DATABASE_URL is required in production (Docker secret DATABASE_URL: mysql://user:pass@host:3306/db, or sqlite:/path/file.db to choose SQLite explicitly)',
      );
    } else {
      const file = path.join(e.DATA_DIR, 'starchart.sqlite');
      database = { dialect: 'sqlite', file, url: `sqlite:${file}` };
    }
  } else if (/^sqlite:/.test(databaseUrl)) {
    const file = path.resolve(cwd, databaseUrl.replace(/^sqlite:(\/\/)?/, ''));
    database = { dialect: 'sqlite', file, url: `sqlite:${file}` };
  } else if (/^(mysql|mariadb):\/\//.test(databaseUrl)) {
    try {
      const u = new URL(databaseUrl);
      const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
      if (!db)
        problems.push(
          'DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/starchart',
        );
      database = { dialect: 'mysql', url: databaseUrl, database: db };
    } catch {
      problems.push('DATABASE_URL is not a valid URL');
    }
  } else {
    problems.push('DATABASE_URL must start with mysql:// or sqlite:');
  }

  // Jobs: BullMQ on Redis, or the in-process adapter (refused in production: unsafe for several replicas).
  const redisUrl = e.REDIS_URL ?? (isProduction ? 'redis://redis:6379' : undefined);

  // DNS provider.
  const dnsProvider = e.DNS_PROVIDER ?? (isProduction ? 'route53' : 'embedded');
  const accessKeyId = readSecret('AWS_ACCESS_KEY_ID') ?? null;
  const secretAccessKey = readSecret('AWS_SECRET_ACCESS_KEY') ?? null;
  if (dnsProvider === 'route53') {
    need(
      e.AWS_ROUTE53_HOSTED_ZONE_ID,
      'AWS_ROUTE53_HOSTED_ZONE_ID',
      'is required when DNS_PROVIDER=route53',
    );
    if (isProduction || !e.AWS_ROUTE53_ENDPOINT) {
      if (!accessKeyId)
        problems.push('AWS_ACCESS_KEY_ID (secret) is required when DNS_PROVIDER=route53');
      if (!secretAccessKey)
        problems.push('AWS_SECRET_ACCESS_KEY (secret) is required when DNS_PROVIDER=route53');
    }
  }

  // ACME.
  const directoryUrl =
    e.LETS_ENCRYPT_DIRECTORY_URL ??
    (isProduction ? 'https://acme-v02.api.letsencrypt.org/directory' : null);
  const accountKeyPem = readSecret('LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM') ?? null;
  if (isProduction) {
    need(e.LETS_ENCRYPT_ACCOUNT_EMAIL, 'LETS_ENCRYPT_ACCOUNT_EMAIL');
    if (!accountKeyPem)
      problems.push('LETS_ENCRYPT_ACCOUNT_PRIVATE_KEY_PEM (secret) is required in production');
  }
  if (e.ACME_CA_BUNDLE_PATH && !existsSync(e.ACME_CA_BUNDLE_PATH)) {
    problems.push(`ACME_CA_BUNDLE_PATH: file not found (${e.ACME_CA_BUNDLE_PATH})`);
  }

  // Mail.
  const smtpUser = readSecret('NOTIFICATIONS_USERNAME') ?? null;
  const smtpPassword = readSecret('NOTIFICATIONS_PASSWORD') ?? null;
  const from = isProduction
    ? need(e.NOTIFICATIONS_EMAIL_USER, 'NOTIFICATIONS_EMAIL_USER')
    : (e.NOTIFICATIONS_EMAIL_USER ?? 'no-reply@starchart.test');
  const smtpHost = e.SMTP_HOST ?? (isProduction ? 'smtp.office365.com' : undefined);
  if (isProduction) {
    if (!smtpUser) problems.push('NOTIFICATIONS_USERNAME (secret) is required in production');
    if (!smtpPassword) problems.push('NOTIFICATIONS_PASSWORD (secret) is required in production');
  }

  // SAML.
  const idpMetadataPath = isProduction
    ? need(e.SAML_IDP_METADATA_PATH, 'SAML_IDP_METADATA_PATH')
    : e.SAML_IDP_METADATA_PATH;
  if (idpMetadataPath && !existsSync(idpMetadataPath)) {
    problems.push(`SAML_IDP_METADATA_PATH: file not found (${idpMetadataPath})`);
  }

  // Session secret: generated and persisted under DATA_DIR in development; required in production.
  let sessionSecret = readSecret('SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    problems.push('SESSION_SECRET must be at least 32 characters');
  }
  if (sessionSecret === undefined) {
    if (isProduction) {
      problems.push(
        'SESSION_SECRET (secret) is required in production; generated secrets are unsafe for several replicas',
      );
    } else if (problems.length === 0) {
      sessionSecret = generatedDevSecret(e.DATA_DIR, 'SESSION_SECRET');
      secretSources.SESSION_SECRET = 'generated';
    }
  }

  // Earlier session secrets, one per line. A line shorter than a SESSION_SECRET can be is a piece of a
  // value that spans lines (`openssl rand -base64` wraps long output): then the whole counts too, as
  // SESSION_SECRET reads it.
  const previousRaw = readSecret('SESSION_SECRET_PREVIOUS') ?? '';
  const previousLines = previousRaw
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const previousSessionSecrets = [
    ...new Set([
      ...(previousLines.some((l) => l.length < 32) ? [previousRaw] : []),
      ...previousLines.filter((l) => l.length >= 32),
    ]),
  ].filter((v) => v !== sessionSecret);

  if (problems.length > 0) throw new ConfigError(problems);

  const warnings: string[] = [];
  const winstonLevel = WINSTON_LEVELS[e.LOG_LEVEL];
  if (winstonLevel)
    warnings.push(
      `LOG_LEVEL "${e.LOG_LEVEL}" is a winston level (the original's logger); logging at pino's "${winstonLevel}" instead`,
    );

  const config: Config = {
    env: e.NODE_ENV,
    isProduction,
    role: e.ROLE,
    productName: e.PRODUCT_NAME,
    appUrl: appUrl!,
    http: {
      host: e.HOST,
      port: e.PORT,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      trustedProxies: e.TRUSTED_PROXIES,
    },
    logLevel: winstonLevel ?? (e.LOG_LEVEL as LogLevel),
    dataDir: e.DATA_DIR,
    database: database!,
    redis: redisUrl ? { url: redisUrl } : null,
    jobs: {
      removalAgeS: e.JOB_REMOVAL_FREQUENCY_S,
      expirationRepeatS: e.EXPIRATION_REPEAT_FREQUENCY_S,
      reminderScanS: e.REMINDER_SCAN_FREQUENCY_S,
      scheduleCheckMs: e.JOBS_SCHEDULE_CHECK_INTERVAL_S * 1000,
    },
    reminderThresholdsDays: e.REMINDER_THRESHOLDS_DAYS,
    dangerWipe: e.DANGER_DATABASE_WIPE_REINITIALIZE,
    rootDomain: rootDomain!,
    dns: {
      provider: dnsProvider,
      recordLimit: e.USER_DNS_RECORD_LIMIT ?? null,
      namespaceCreatorRoles: e.NAMESPACE_CREATOR_ROLES ?? ['admin', 'faculty'],
      recordLifetimeDays: e.DNS_RECORD_LIFETIME_DAYS,
      clientChallengeLifetimeMs: e.CLIENT_CHALLENGE_LIFETIME_S * 1000,
      checkResolvers: e.DNS_CHECK_RESOLVERS ?? ['1.1.1.1:53', '8.8.8.8:53', '9.9.9.9:53'],
      checksPerMinute: e.DNS_CHECK_PER_MINUTE,
      route53: {
        hostedZoneId: e.AWS_ROUTE53_HOSTED_ZONE_ID ?? null,
        region: e.AWS_REGION,
        endpoint: e.AWS_ROUTE53_ENDPOINT ?? null,
        requestsPerSecond: e.AWS_ROUTE53_REQUESTS_PER_SECOND,
        accessKeyId,
        secretAccessKey,
      },
      updateServer: e.DNS_UPDATE_SERVER ?? dnsProvider === 'embedded',
      embeddedServer: {
        host: e.DNS_SERVER_HOST,
        port: e.DNS_SERVER_PORT,
        udpWorkers: e.DNS_SERVER_UDP_WORKERS,
        nameservers: e.DNS_NAMESERVERS ?? [`ns1.${rootDomain!}`],
        limits: {
          udpMaxPayload: e.DNS_UDP_MAX_PAYLOAD,
          tcpMaxConnections: e.DNS_TCP_MAX_CONNECTIONS,
          tcpMaxConnectionsPerIp: e.DNS_TCP_MAX_CONNECTIONS_PER_IP,
          tcpIdleTimeoutMs: e.DNS_TCP_IDLE_TIMEOUT_S * 1000,
          tcpMaxQueriesPerConnection: e.DNS_TCP_MAX_QUERIES_PER_CONNECTION,
          rrlResponsesPerSecond: e.DNS_RRL_RESPONSES_PER_SECOND,
          rrlSlip: e.DNS_RRL_SLIP,
          cacheMaxBytes: e.DNS_CACHE_MAX_BYTES,
        },
      },
      reconcileIntervalMs: e.DNS_RECONCILE_INTERVAL_S * 1000,
    },
    acme: {
      directoryUrl,
      accountEmail: e.LETS_ENCRYPT_ACCOUNT_EMAIL ?? null,
      accountKeyPem,
      caBundlePath: e.ACME_CA_BUNDLE_PATH ?? null,
      profile: e.LETS_ENCRYPT_PROFILE ?? null,
      dnsResolvers: e.ACME_DNS_RESOLVERS ?? null,
      propagationTimeoutMs: e.ACME_DNS_PROPAGATION_TIMEOUT_S * 1000,
      limits: {
        profile: e.ACME_LIMIT_PROFILE,
        rootDomainOnPsl: e.ROOT_DOMAIN_ON_PSL,
        overrides: e.ACME_LIMIT_OVERRIDES ?? {},
      },
    },
    certificates: {
      keyType: e.CERTIFICATE_KEY_TYPE,
      renewAtRemainingFraction: e.CERTIFICATE_RENEW_REMAINING_PERCENT / 100,
      renewalScanMs: e.CERTIFICATE_RENEWAL_SCAN_FREQUENCY_S * 1000,
    },
    tokens: {
      maxDays: e.API_TOKEN_MAX_DAYS,
      rateLimits: {
        tokenPerMinute: e.API_RATE_LIMIT_TOKEN_PER_MINUTE,
        userPerMinute: e.API_RATE_LIMIT_USER_PER_MINUTE,
        writesPerHour: e.API_RATE_LIMIT_WRITES_PER_HOUR,
      },
    },
    mail: {
      from: from!,
      smtp: smtpHost
        ? {
            host: smtpHost,
            port: e.SMTP_PORT ?? (isProduction ? 587 : 1025),
            requireTls: isProduction,
            user: smtpUser,
            password: smtpPassword,
          }
        : null,
    },
    saml: {
      idpMetadataPath: idpMetadataPath ?? null,
      devIdp: !isProduction && !idpMetadataPath,
      attributes: {
        username: e.SAML_ATTR_USERNAME,
        displayName: e.SAML_ATTR_DISPLAY_NAME,
        email: e.SAML_ATTR_EMAIL,
        groups: e.SAML_ATTR_GROUPS,
      },
      rolePatterns: {
        admin: e.ROLE_ADMIN_GROUP_PATTERN,
        faculty: e.ROLE_FACULTY_GROUP_PATTERN,
        student: e.ROLE_STUDENT_GROUP_PATTERN,
      },
      requireGroup: e.SAML_REQUIRE_GROUP,
      clockSkewMs: e.SAML_CLOCK_SKEW_S * 1000,
    },
    footerLinks: e.FOOTER_LINKS,
    footer: {
      acceptableUsePolicyUrl: e.ACCEPTABLE_USE_POLICY_URL ?? null,
      copyrightNotice: e.COPYRIGHT_NOTICE ?? `© {year} ${e.PRODUCT_NAME}`,
    },
    supportContact: e.SUPPORT_CONTACT,
    sessionSecret: sessionSecret!,
    previousSessionSecrets,
    session: {
      idleTimeoutMs: e.SESSION_IDLE_TIMEOUT_MIN * 60_000,
      absoluteTimeoutMs: e.SESSION_ABSOLUTE_TIMEOUT_H * 3_600_000,
      secureCookie: isProduction,
    },
    warnings,
    secretSources,
  };
  return deepFreeze(config);
}

/**
 * A development-only secret generated once and kept under DATA_DIR so restarts keep sessions; generated
 * under DATA_DIR's lock so processes starting together on a fresh DATA_DIR share one value.
 */
function generatedDevSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, 'dev-secrets.json');
  const read = (): Record<string, string> => {
    if (!existsSync(file)) return {};
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  const existing = read()[name];
  if (existing) return existing;
  return withGenerationLockSync(dataDir, () => {
    const stored = read(); // another process may have written it while we waited for the lock
    const value = stored[name] ?? randomBytes(32).toString('base64url');
    if (!stored[name])
      writeFileAtomic(file, JSON.stringify({ ...stored, [name]: value }, null, 2), 0o600);
    return value;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The CA limits that ACME_LIMIT_OVERRIDES may change (domain/certificates/budget.ts models them). */
export const LIMIT_NAMES = [
  'new-orders-per-account',
  'certificates-per-registered-domain',
  'certificates-per-exact-set',
  'failed-authorizations-per-identifier',
] as const;
export type LimitOverrides = Partial<
  Record<(typeof LIMIT_NAMES)[number], { capacity: number; periodMs: number }>
>;

const PERIOD_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `certificates-per-registered-domain=4000/7d,new-orders-per-account=3000/3h` → overrides. */
function parseLimitOverrides(value: string, ctx: z.RefinementCtx): LimitOverrides {
  const out: LimitOverrides = {};
  for (const item of value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([a-z-]+)=(\d{1,9})\/(\d{1,6})([smhd])$/.exec(item);
    const name = m?.[1] as (typeof LIMIT_NAMES)[number] | undefined;
    if (!m || !name || !(LIMIT_NAMES as readonly string[]).includes(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item.slice(0, 80)}" is not limit=count/period with a limit among ${LIMIT_NAMES.join(', ')} and a period like 7d, 3h, 30m or 60s`,
      });
      return z.NEVER;
    }
    const capacity = Number(m[2]);
    const periodMs = Number(m[3]) * PERIOD_MS[m[4]!]!;
    if (capacity < 1 || periodMs < 1_000) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" needs a count of at least 1 and a period of at least 1s`,
      });
      return z.NEVER;
    }
    out[name] = { capacity, periodMs };
  }
  return out;
}

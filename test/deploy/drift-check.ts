/**
 * Checks that the operator-facing files agree with the configuration schema (src/config.ts ENV_VARS and
 * SECRETS). Each checker takes file text and returns a list of problems (empty = in agreement), so a test
 * can run it on the real files and on deliberately broken copies.
 */
import { parse } from 'yaml';
import { ENV_VARS, SECRETS } from '../../src/config.js';

export const ENV_NAMES = Object.keys(ENV_VARS);
export const SECRET_NAMES = Object.keys(SECRETS);
const KNOWN = new Set([...ENV_NAMES, ...SECRET_NAMES]);

/** Environment variables every app service in a stack file must set (rule: docs/deployment.md §2.3). */
export const STACK_REQUIRED_ENV = [
  // Listed by the original deployment guide (minus SECRETS_OVERRIDE and DANGER_DATABASE_WIPE_REINITIALIZE).
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
  'EXPIRATION_REPEAT_FREQUENCY_S',
  'JOB_REMOVAL_FREQUENCY_S',
  // Set by the original stack files.
  'LETS_ENCRYPT_DIRECTORY_URL',
  'USER_DNS_RECORD_LIMIT',
  // Ours: the role, and choices production would otherwise make silently.
  'NODE_ENV',
  'ROLE',
  'DNS_PROVIDER',
  'AWS_REGION',
  'SMTP_HOST',
  'SHUTDOWN_TIMEOUT_MS',
] as const;

/**
 * Secrets a stack may give its services but need not: SESSION_SECRET_PREVIOUS exists only during a
 * rotation (docs/deployment.md §3.2), and an external secret that does not exist would stop the deploy.
 */
export const STACK_OPTIONAL_SECRETS = ['SESSION_SECRET_PREVIOUS'] as const;
const isOptionalSecret = (n: string) => (STACK_OPTIONAL_SECRETS as readonly string[]).includes(n);
const STACK_SECRET_NAMES = SECRET_NAMES.filter((n) => !isOptionalSecret(n));

/** Never in a stack's environment: refused in production, test-only, or destructive when left on. */
export const STACK_FORBIDDEN_ENV = [
  'SECRETS_OVERRIDE',
  'AWS_ROUTE53_ENDPOINT',
  'DANGER_DATABASE_WIPE_REINITIALIZE',
] as const;

/** Upper-case names the guide may use in commands that are not service configuration. */
const DOC_NON_CONFIG_NAMES = new Set([
  'TAG',
  'CONTAINER_TAG',
  'WEBHOOK_SECRET',
  'DEPLOY_TAG_PREFIX',
  'STARCHART_STACK',
]);

const NAME = /^[A-Z][A-Z0-9_]{2,}$/;

function diff(label: string, found: Iterable<string>, expected: Iterable<string>): string[] {
  const f = new Set(found);
  const e = new Set(expected);
  return [
    ...[...e].filter((n) => !f.has(n)).map((n) => `${label}: ${n} is missing`),
    ...[...f]
      .filter((n) => !e.has(n))
      .map((n) => `${label}: ${n} is not in the configuration schema`),
  ];
}

/** Names in the first cell of markdown table rows under a heading (until the next heading of any level). */
export function tableNamesUnder(markdown: string, heading: RegExp): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && heading.test(l));
  if (start === -1) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break;
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!cell) continue;
    for (const m of cell.matchAll(/`([^`]+)`/g)) if (NAME.test(m[1]!)) names.push(m[1]!);
  }
  return names;
}

/** docs/deployment.md: §2.1 lists exactly ENV_VARS, §2.2 exactly SECRETS, and nothing else names unknown variables. */
export function checkDeploymentDoc(markdown: string): string[] {
  const problems = [
    ...diff(
      'docs/deployment.md "Environment variables" table',
      tableNamesUnder(markdown, /Environment variables/),
      ENV_NAMES,
    ),
    ...diff(
      'docs/deployment.md "Secrets" table',
      tableNamesUnder(markdown, /Secrets$/),
      SECRET_NAMES,
    ),
  ];
  // Every other table's first cell, and NAME=value / NAME: value inside code blocks.
  const mentioned = new Set<string>();
  for (const m of markdown.matchAll(/^\|([^|]*)\|/gm))
    for (const t of m[1]!.matchAll(/`([^`]+)`/g)) if (NAME.test(t[1]!)) mentioned.add(t[1]!);
  for (const block of markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g))
    for (const a of block[1]!.matchAll(/(?<![\w$])([A-Z][A-Z0-9_]{2,})(?:=|: )/g))
      mentioned.add(a[1]!);
  for (const n of mentioned)
    if (!KNOWN.has(n) && !DOC_NON_CONFIG_NAMES.has(n))
      problems.push(`docs/deployment.md: ${n} is not in the configuration schema`);
  return problems;
}

/** .env.example: every variable and secret appears as NAME=... (secrets and defaults may be commented out). */
export function checkEnvExample(text: string): string[] {
  const names = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]{2,})=/gm)].map((m) => m[1]!);
  return diff('.env.example', names, [...ENV_NAMES, ...SECRET_NAMES]);
}

interface StackService {
  image?: string;
  environment?: Record<string, unknown> | string[];
  secrets?: (string | { source: string })[];
}

/** A Swarm stack file: both app services carry the required env and every secret; secrets are external. */
export function checkStackFile(label: string, text: string): string[] {
  const problems: string[] = [];
  const doc = parse(text, { merge: true }) as {
    services?: Record<string, StackService>;
    secrets?: Record<string, { external?: boolean }>;
  };
  const services = Object.entries(doc.services ?? {}).filter(([, s]) =>
    /\/starchart(:|$)/.test(s.image ?? ''),
  );
  if (!services.some(([name]) => name === 'mycustomdomain'))
    problems.push(`${label}: no service "mycustomdomain" running the starchart image`);
  for (const [name, svc] of services) {
    const env = Array.isArray(svc.environment)
      ? Object.fromEntries(svc.environment.map((e) => [e.split('=')[0]!, e.split('=')[1] ?? '']))
      : (svc.environment ?? {});
    const keys = Object.keys(env);
    for (const k of keys) {
      if (SECRETS[k as keyof typeof SECRETS] !== undefined)
        problems.push(`${label} ${name}: secret ${k} must not be in the environment`);
      else if (!ENV_NAMES.includes(k))
        problems.push(`${label} ${name}: ${k} is not in the configuration schema`);
    }
    for (const k of STACK_REQUIRED_ENV)
      if (!keys.includes(k)) problems.push(`${label} ${name}: environment is missing ${k}`);
    for (const k of STACK_FORBIDDEN_ENV)
      if (keys.includes(k)) problems.push(`${label} ${name}: ${k} must not be set in a stack file`);
    const secrets = (svc.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    problems.push(
      ...diff(
        `${label} ${name} secrets`,
        secrets.filter((n) => !isOptionalSecret(n)),
        STACK_SECRET_NAMES,
      ),
    );
  }
  for (const name of SECRET_NAMES) {
    const top = doc.secrets?.[name];
    if (!top) {
      if (!isOptionalSecret(name))
        problems.push(`${label}: top-level secret ${name} is not declared`);
    } else if (top.external !== true) problems.push(`${label}: secret ${name} must be external`);
  }
  for (const name of Object.keys(doc.secrets ?? {}))
    if (!SECRET_NAMES.includes(name))
      problems.push(`${label}: top-level secret ${name} is not in the configuration schema`);
  // Names in comments too (e.g. the commented-out wipe flag) must be real variables.
  for (const m of text.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]{2,}):/gm))
    if (!KNOWN.has(m[1]!)) problems.push(`${label}: comment names unknown variable ${m[1]}`);
  return problems;
}

/**
 * What a personal access token may do (pure rules, shared by the Tokens page, the API, dyndns2,
 * acme-dns and DNS UPDATE): permissions, optionally narrowed to names under the owner's domain, to
 * record types and to source address ranges. Default-deny: a request outside any narrowing is refused
 * with a sentence naming what the token lacks.
 */
import { BlockList, isIP } from 'node:net';
import { RECORD_TYPES, type RecordType, isRecordType } from '../dns-records/types.js';

export const PERMISSIONS = ['records:read', 'records:write', 'certificate:read'] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const isPermission = (v: string): v is Permission =>
  (PERMISSIONS as readonly string[]).includes(v);

export const PERMISSION_LABELS: Record<Permission, string> = {
  'records:read': 'Read DNS records',
  'records:write': 'Create, change and delete DNS records (and ACME challenge values)',
  'certificate:read': 'Download the certificate and its private key',
};

/** Record types a token can be narrowed to: the record types, plus TXT for ACME challenges. */
export const SCOPE_TYPES: readonly RecordType[] = RECORD_TYPES;

export const SCOPE_LIMITS = { names: 20, subnets: 20, nameLength: 80 } as const;

/** A token's narrowing, as stored (JSON columns) and checked. */
export interface TokenScope {
  permissions: Permission[];
  /** Name patterns relative to the owner's domain (`laptop`, `*.lab`, `_acme-challenge.www`); null = all. */
  names: string[] | null;
  types: RecordType[] | null;
  /** CIDR ranges (IPv4 and IPv6); null = from anywhere. */
  subnets: string[] | null;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/** Why a name pattern is not valid, or null. Patterns are one or two labels; `*` stands for one label. */
export function namePatternProblem(pattern: string): string | null {
  if (pattern === '') return 'Enter a name, such as laptop or _acme-challenge.www.';
  if (pattern.length > SCOPE_LIMITS.nameLength)
    return `Names are at most ${SCOPE_LIMITS.nameLength} characters.`;
  if (pattern.endsWith('.')) return `Write "${pattern}" without the dot at the end.`;
  const labels = pattern.split('.');
  if (labels.length > 2)
    return `"${pattern}" has too many parts: names under your domain are one label (laptop), or a challenge name such as _acme-challenge.www.`;
  if (labels.filter((l) => l === '*').length > 1)
    return `"${pattern}" may contain only one * (it stands for one name).`;
  for (const l of labels) {
    if (l === '*') continue;
    if (l.includes('*'))
      return `In "${pattern}", * must stand alone for a whole name, as in *.lab.`;
    if (!LABEL.test(l))
      return `"${pattern}" is not a valid name: use lowercase letters, digits, - and _.`;
  }
  return null;
}

/** True when a relative name (one or two labels) matches a pattern; `*` matches exactly one label. */
export function nameMatches(pattern: string, name: string): boolean {
  const p = pattern.split('.');
  const n = name.split('.');
  if (p.length !== n.length) return false;
  return p.every((l, i) => l === '*' || l === n[i]);
}

/** Parse a CIDR (or a single address) into a canonical `address/prefix`; null when invalid. */
export function parseCidr(raw: string): string | null {
  const [addr, prefixRaw, extra] = raw.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const family = isIP(addr);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  if (prefixRaw !== undefined && !/^\d{1,3}$/.test(prefixRaw)) return null;
  const prefix = prefixRaw === undefined ? max : Number(prefixRaw);
  if (prefix > max) return null;
  return `${addr.toLowerCase()}/${prefix}`;
}

/** Strip an IPv4-mapped IPv6 prefix (::ffff:1.2.3.4 → 1.2.3.4), as Node reports IPv4 on dual-stack sockets. */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

const blockLists = new Map<string, BlockList>();

/** Whether `address` lies in one of the ranges (memoised per range list). */
export function addressAllowed(subnets: readonly string[], address: string): boolean {
  const key = subnets.join(',');
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const s of subnets) {
      const [a, p] = s.split('/') as [string, string];
      list.addSubnet(a, Number(p), isIP(a) === 6 ? 'ipv6' : 'ipv4');
    }
    if (blockLists.size > 10_000) blockLists.clear();
    blockLists.set(key, list);
  }
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

/** Raw narrowing as a form or the API gives it (lists of strings). */
export interface ScopeInput {
  permissions: readonly string[];
  names: readonly string[];
  types: readonly string[];
  subnets: readonly string[];
}

export type ScopeField = 'permissions' | 'names' | 'types' | 'subnets';

/** Validate and normalise a narrowing; `errors` maps each bad field to a sentence. */
export function checkScope(
  input: ScopeInput,
): { ok: true; scope: TokenScope } | { ok: false; errors: Partial<Record<ScopeField, string>> } {
  const errors: Partial<Record<ScopeField, string>> = {};
  const permissions = [...new Set(input.permissions.map((p) => p.trim()).filter(Boolean))];
  const badPermission = permissions.find((p) => !isPermission(p));
  if (badPermission) errors.permissions = `Unknown permission "${badPermission}".`;
  else if (permissions.length === 0) errors.permissions = 'Choose at least one permission.';

  const names = [...new Set(input.names.map((n) => n.trim().toLowerCase()).filter(Boolean))];
  if (names.length > SCOPE_LIMITS.names)
    errors.names = `List at most ${SCOPE_LIMITS.names} names (use * to cover several).`;
  else {
    for (const n of names) {
      const problem = namePatternProblem(n);
      if (problem) {
        errors.names = problem;
        break;
      }
    }
  }

  const types = [...new Set(input.types.map((t) => t.trim().toUpperCase()).filter(Boolean))];
  const badType = types.find((t) => !isRecordType(t));
  if (badType)
    errors.types = `Unknown record type "${badType}"; choose from ${SCOPE_TYPES.join(', ')}.`;

  const subnets: string[] = [];
  if (input.subnets.filter((s) => s.trim()).length > SCOPE_LIMITS.subnets)
    errors.subnets = `List at most ${SCOPE_LIMITS.subnets} address ranges.`;
  else {
    for (const raw of input.subnets.map((s) => s.trim()).filter(Boolean)) {
      const cidr = parseCidr(raw);
      if (!cidr) {
        errors.subnets = `"${raw}" is not an address range: write it like 192.0.2.0/24 or 2001:db8::/48.`;
        break;
      }
      if (!subnets.includes(cidr)) subnets.push(cidr);
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    scope: {
      permissions: permissions as Permission[],
      names: names.length ? names : null,
      types: types.length ? (types as RecordType[]) : null,
      subnets: subnets.length ? subnets : null,
    },
  };
}

/** Why the scope does not allow `permission`, or null. */
export function permissionProblem(scope: TokenScope, permission: Permission): string | null {
  if (scope.permissions.includes(permission)) return null;
  // Writing implies reading records: a token that may change records may see them.
  if (permission === 'records:read' && scope.permissions.includes('records:write')) return null;
  return `This token does not have the ${permission} permission.`;
}

/**
 * Why the scope does not allow this operation on the record `name` (relative to the owner's domain)
 * of `type`, or null. `type` null = any type (e.g. deleting every record at a name needs all types).
 */
export function recordProblem(
  scope: TokenScope,
  permission: 'records:read' | 'records:write',
  name: string,
  type: string | null,
): string | null {
  const p = permissionProblem(scope, permission);
  if (p) return p;
  if (scope.names && !scope.names.some((pattern) => nameMatches(pattern, name)))
    return `This token is limited to the names ${scope.names.join(', ')}; it may not use ${name}.`;
  if (scope.types) {
    if (type === null)
      return `This token is limited to ${scope.types.join(', ')} records; this change would touch every type.`;
    if (!scope.types.includes(type as RecordType))
      return `This token is limited to ${scope.types.join(', ')} records; it may not use ${type} records.`;
  }
  return null;
}

/** The names a narrowed scope can see (for listing): null when unrestricted. */
export const visibleName = (scope: TokenScope, name: string, type: string): boolean =>
  recordProblem(scope, 'records:read', name, type) === null;

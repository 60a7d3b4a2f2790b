/**
 * Record rules shared by pages, the inline validator and jobs. Pure functions: every rejection is a
 * field error with a sentence a student new to DNS can act on.
 */
import { isIPv6 } from 'node:net';
import { Filter } from 'bad-words';
import type { DnsRecordRow } from '../../db/schema.js';
import {
  ACME_CHALLENGE_LABEL,
  DEFAULT_MX_PRIORITY,
  LIMITS,
  type RecordField,
  type RecordForm,
  type RecordInput,
  type RecordType,
  isRecordType,
} from './types.js';

export type FieldErrors = Partial<Record<RecordField, string>>;

// bad-words' own isProfane compiles one RegExp per listed word on every call (~3 ms); the same
// whole-word test as one precompiled alternation costs microseconds.
const PROFANE = new RegExp(
  `\\b(?:${new Filter().list
    .filter((w) => w.trim() !== '')
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .sort((a, b) => b.length - a.length)
    .join('|')})\\b`,
  'i',
);

/** Whole-word profanity check: "my-damn-site" is caught, "damnit" and "my_damn" are not (as the original). */
export function isProfane(label: string): boolean {
  return PROFANE.test(label);
}

const NAME_HELP = 'Names can contain lowercase letters (a-z), numbers (0-9), and - or _.';

/** Why a record name (one label under the user's domain) is not allowed, or null when it is. */
export function nameProblem(
  subdomain: string,
  blocked: ReadonlySet<string> = new Set(),
): string | null {
  const s = subdomain;
  if (s.trim() === '') return 'Enter a name, for example www.';
  if (s !== s.trim()) return 'Remove the spaces around the name.';
  if (s.includes('.'))
    return `Use a single name without dots (you get one level under your domain). ${NAME_HELP}`;
  if (/[A-Z]/.test(s) && /^[A-Za-z0-9_-]+$/.test(s))
    return `Use lowercase letters only, for example ${s.toLowerCase()}.`;
  if (!/^[a-z0-9_-]+$/.test(s))
    return `That name has characters that are not allowed. ${NAME_HELP}`;
  if (s.length < LIMITS.subdomainMin) return 'Use at least 2 characters.';
  if (s.length > LIMITS.subdomainMax) return `Use at most ${LIMITS.subdomainMax} characters.`;
  if (s === ACME_CHALLENGE_LABEL)
    return '_acme-challenge is reserved for your certificate and is managed for you.';
  if (s.startsWith('-')) return 'The name cannot start with a hyphen (-).';
  if (!/[a-z0-9]$/.test(s)) return 'The name must end with a letter or a number.';
  if (/[-_]{2}/.test(s)) return 'Do not put two of - and _ next to each other (like -- or _-).';
  if (isProfane(s) || blocked.has(s)) return 'That name is not available. Please choose another.';
  return null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Expand an IPv6 address to its canonical full form (eight groups of four lowercase hex digits). */
export function canonicalIPv6(v: string): string {
  let addr = v.toLowerCase();
  // Embedded IPv4 tail (::ffff:1.2.3.4) → two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    addr =
      addr.slice(0, -v4[1]!.length) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** Host name check for CNAME/MX values; null when fine. */
export function hostProblem(v: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
    return 'Enter just the host name, without http:// or https://, for example example.com.';
  if (v.includes('/'))
    return 'Enter just the host name, without a path (nothing after a /), for example example.com.';
  if (v.endsWith('.')) return 'Remove the dot at the end of the host name.';
  if (IPV4.test(v) || isIPv6(v) || /^[\d.]+$/.test(v))
    return 'Enter a host name, not an IP address. To point at an IP address, use an A or AAAA record.';
  if (v.length > LIMITS.hostMax) return `Host names are at most ${LIMITS.hostMax} characters.`;
  if (v.includes(':')) return 'Enter just the host name, without a port number.';
  const labels = v.split('.');
  if (labels.length < 2) return 'Enter a full host name with a dot, for example example.com.';
  for (const label of labels) {
    if (label === '') return 'The host name has an empty part (two dots in a row).';
    if (label.length > 63) return 'Each part of the host name can be at most 63 characters.';
    if (label.includes('_')) return 'Host names cannot contain underscores (_).';
    if (!/^[a-z0-9-]+$/i.test(label))
      return 'Host names can contain only letters a-z, numbers and hyphens (use xn-- punycode for other alphabets).';
    if (label.startsWith('-') || label.endsWith('-'))
      return 'A part of the host name cannot start or end with a hyphen.';
  }
  const tld = labels[labels.length - 1]!;
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i.test(tld))
    return 'The last part of the host name (like .com or .ca) must be letters.';
  return null;
}

/** Why a value does not fit its type, or null. */
export function valueProblem(type: RecordType, value: string): string | null {
  if (type !== 'TXT' && value.trim() === '') return 'Enter a value.';
  switch (type) {
    case 'A':
      return IPV4.test(value.trim())
        ? null
        : 'Enter an IPv4 address: four numbers from 0 to 255 separated by dots, like 192.0.2.10.';
    case 'AAAA': {
      const v = value.trim();
      return isIPv6(v) && !v.includes('%') ? null : 'Enter an IPv6 address, like 2001:db8::10.';
    }
    case 'CNAME':
    case 'MX':
      return hostProblem(value.trim());
    case 'TXT': {
      if (value.length === 0) return 'Enter the text for this record.';
      if (value.length > LIMITS.txtMax)
        return `Text records can be at most ${LIMITS.txtMax} characters (this one has ${value.length}).`;
      const presented = txtPresentationLength(value);
      if (presented > LIMITS.txtPresentedMax)
        return `This text is too long for DNS: written out as DNS text strings it takes ${presented} of the ${LIMITS.txtPresentedMax} characters allowed (spaces, quotes, backslashes and non-ASCII characters take several each).`;
      return null;
    }
  }
}

/**
 * Length of a TXT value as the DNS host is sent it (presentation form, as Route53 takes it): the UTF-8
 * bytes in quoted strings of at most 255 bytes separated by spaces, `"` and `\` escaped with a
 * backslash, any other byte outside printable ASCII (space included) as a `\NNN` octal escape. Must
 * agree with encodeTxt in adapters/dns/route53-values.ts (a unit test checks).
 */
export function txtPresentationLength(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  const strings = Math.max(1, Math.ceil(bytes.length / 255));
  let n = strings * 2 + (strings - 1); // quotes, separating spaces
  for (const b of bytes) n += b === 0x22 || b === 0x5c ? 2 : b > 0x20 && b < 0x7f ? 1 : 4;
  return n;
}

/** Stored form of a value: trimmed; host names and IPv6 lower-cased. */
export function normalizeValue(type: RecordType, value: string): string {
  switch (type) {
    case 'A':
      return value.trim();
    case 'AAAA':
      return value.trim().toLowerCase();
    case 'CNAME':
    case 'MX':
      return value.trim().toLowerCase();
    case 'TXT':
      return value;
  }
}

/** Value as the DNS compares it: duplicates are detected on this form. */
export function canonicalValue(type: RecordType, value: string, priority: number | null): string {
  switch (type) {
    case 'AAAA':
      return canonicalIPv6(value.trim());
    case 'MX':
      return `${priority ?? DEFAULT_MX_PRIORITY} ${value.trim().toLowerCase().replace(/\.$/, '')}`;
    case 'CNAME':
      return value.trim().toLowerCase().replace(/\.$/, '');
    case 'A':
      return value.trim();
    case 'TXT':
      return value;
  }
}

/** Empty value for every form field. */
export const emptyForm = (): RecordForm => ({
  subdomain: '',
  type: '',
  value: '',
  priority: '',
  ports: '',
  course: '',
  description: '',
});

/** A stored record as the edit form shows it. */
export function recordToForm(
  r: Pick<
    DnsRecordRow,
    'subdomain' | 'type' | 'value' | 'priority' | 'ports' | 'course' | 'description'
  >,
): RecordForm {
  return {
    subdomain: r.subdomain,
    type: r.type,
    value: r.value,
    priority: r.type === 'MX' && r.priority !== null ? String(r.priority) : '',
    ports: r.ports ?? '',
    course: r.course ?? '',
    description: r.description ?? '',
  };
}

/** Coerce any parsed body into the form shape (non-strings become ''). */
export function toRecordForm(body: Record<string, unknown>): RecordForm {
  const f = emptyForm();
  for (const k of Object.keys(f) as RecordField[]) {
    const v = body[k];
    f[k] = typeof v === 'string' ? v : '';
  }
  return f;
}

/**
 * Check a submitted form against every per-record rule (not the consistency rules, which need the
 * user's other records). Returns the record to store, or the field errors.
 */
export function checkRecordForm(
  form: RecordForm,
  blocked: ReadonlySet<string> = new Set(),
): { ok: true; input: RecordInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const subdomain = form.subdomain;
  const np = nameProblem(subdomain, blocked);
  if (np) errors.subdomain = np;

  const type = form.type.trim().toUpperCase();
  let recordType: RecordType | null = null;
  if (type === '') errors.type = 'Choose a record type.';
  else if (!isRecordType(type)) errors.type = 'Choose one of A, AAAA, CNAME, MX or TXT.';
  else recordType = type;

  if (recordType) {
    const vp = valueProblem(recordType, form.value);
    if (vp) errors.value = vp;
  } else if (form.value.trim() === '') errors.value = 'Enter a value.';

  let priority: number | null = null;
  if (recordType === 'MX') {
    const p = form.priority.trim();
    if (p === '') priority = DEFAULT_MX_PRIORITY;
    else if (!/^\d{1,5}$/.test(p) || Number(p) > 65535)
      errors.priority =
        'Priority is a whole number from 0 to 65535 (lower is tried first); 10 is usual.';
    else priority = Number(p);
  }

  let ports: string | null = null;
  const rawPorts = form.ports.trim();
  if (rawPorts !== '') {
    const parts = rawPorts.split(',').map((p) => p.trim());
    if (
      parts.some((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) ||
      parts.length === 0
    )
      errors.ports = 'Enter port numbers from 1 to 65535 separated by commas, like 8080, 1234.';
    else {
      ports = [...new Set(parts.map(Number))].join(', ');
      if (ports.length > LIMITS.portsMax)
        errors.ports = `Ports can be at most ${LIMITS.portsMax} characters.`;
    }
  }
  const course = form.course.trim();
  if (course.length > LIMITS.courseMax)
    errors.course = `Course can be at most ${LIMITS.courseMax} characters.`;
  const description = form.description.trim();
  if (description.length > LIMITS.descriptionMax)
    errors.description = `Description can be at most ${LIMITS.descriptionMax} characters.`;

  if (Object.keys(errors).length > 0 || !recordType) return { ok: false, errors };
  return {
    ok: true,
    input: {
      subdomain,
      type: recordType,
      value: normalizeValue(recordType, form.value),
      priority,
      ports,
      course: course === '' ? null : course,
      description: description === '' ? null : description,
    },
  };
}

export interface ExistingRecord {
  id: number;
  subdomain: string;
  type: RecordType;
  value: string;
  priority: number | null;
}

/**
 * DNS consistency the original lacked: a CNAME owns its name alone, and one record set holds no
 * duplicate values. `existing` are the user's other records at the same name (excluding the edited one).
 */
export function consistencyProblem(
  input: RecordInput,
  existing: readonly ExistingRecord[],
): FieldErrors | null {
  const same = existing.filter((r) => r.subdomain === input.subdomain);
  if (input.type === 'CNAME' && same.length > 0)
    return {
      subdomain: `A CNAME record must be the only record at its name, and ${input.subdomain} already has ${describe(same)}. Choose another name or remove those first.`,
    };
  const cname = same.find((r) => r.type === 'CNAME');
  if (cname)
    return {
      subdomain: `${input.subdomain} already has a CNAME record, which cannot share its name with other records. Choose another name or remove the CNAME first.`,
    };
  const mine = canonicalValue(input.type, input.value, input.priority);
  const dup = same.find(
    (r) => r.type === input.type && canonicalValue(r.type, r.value, r.priority) === mine,
  );
  if (dup)
    return {
      value: `You already have this exact ${input.type} record for ${input.subdomain}. Each value can appear only once.`,
    };
  return null;
}

function describe(records: readonly ExistingRecord[]): string {
  const types = [...new Set(records.map((r) => r.type))].join('/');
  return records.length === 1
    ? `another record (${types})`
    : `${records.length} other records (${types})`;
}

/**
 * How Route53 spells record values. TXT: the text's UTF-8 bytes in strings of at most 255 bytes, each
 * in double quotes, separated by spaces; inside, `"` and `\` are backslash-escaped and any byte outside
 * printable ASCII (including space) is a three-digit octal escape. MX: "priority host". Others as-is.
 */
import { canonicalIPv6 } from '../../domain/dns-records/rules.js';
import type { RecordType } from '../../domain/dns-records/types.js';

const CHUNK = 255;

/** Encode one TXT value for Route53 ("chunk1" "chunk2" …). */
export function encodeTxt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || (i === 0 && parts.length === 0); i += CHUNK) {
    let out = '"';
    for (const b of bytes.subarray(i, i + CHUNK)) {
      if (b === 0x22) out += '\\"';
      else if (b === 0x5c) out += '\\\\';
      else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\${b.toString(8).padStart(3, '0')}`;
    }
    parts.push(`${out}"`);
    if (bytes.length === 0) break;
  }
  return parts.join(' ');
}

/** Decode a Route53 TXT value (one or more quoted strings, or a bare word) back to text. */
export function decodeTxtStrings(value: string): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  const s = value;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    const bytes: number[] = [];
    const quoted = s[i] === '"';
    if (quoted) i++;
    while (i < s.length) {
      const ch = s[i]!;
      if (quoted && ch === '"') {
        i++;
        break;
      }
      if (!quoted && ch === ' ') break;
      if (ch === '\\' && i + 1 < s.length) {
        const oct = /^[0-7]{3}/.exec(s.slice(i + 1, i + 4));
        if (oct) {
          bytes.push(parseInt(oct[0], 8));
          i += 4;
        } else {
          bytes.push(...Buffer.from(s[i + 1]!, 'utf8'));
          i += 2;
        }
        continue;
      }
      bytes.push(...Buffer.from(ch, 'utf8'));
      i++;
    }
    out.push(Buffer.from(bytes));
  }
  return out;
}

export const decodeTxt = (value: string): string =>
  Buffer.concat(decodeTxtStrings(value)).toString('utf8');

/** Canonical domain value → Route53 value. */
export function encodeValue(type: RecordType, value: string): string {
  switch (type) {
    case 'TXT':
      return encodeTxt(value);
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'MX':
      return value;
  }
}

/** Route53 value → canonical domain value (the form the reconciler compares). */
export function decodeValue(type: RecordType, value: string): string {
  switch (type) {
    case 'TXT':
      return decodeTxt(value);
    case 'AAAA':
      return canonicalIPv6(value);
    case 'CNAME':
      return value.toLowerCase().replace(/\.$/, '');
    case 'MX': {
      const [prio, host] = value.trim().split(/\s+/);
      return `${Number(prio)} ${(host ?? '').toLowerCase().replace(/\.$/, '')}`;
    }
    case 'A':
      return value;
  }
}

/** Route53 names: trailing dot, `*` and other specials as \NNN octal; we only ever need lowercase + dot. */
export const toRoute53Name = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;
export const fromRoute53Name = (name: string) =>
  name
    .replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
    .toLowerCase()
    .replace(/\.$/, '');

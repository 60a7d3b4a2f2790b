/**
 * The one email-address rule, applied where an address enters (sign-in, from the IdP) and where it
 * leaves (outbox delivery). An address is accepted only as a plain `local@domain` in ASCII: a dot-atom
 * local part (RFC 5322 atext) and a DNS host name of at least two labels. That excludes everything a
 * mail library or an SMTP server could read as more than one recipient or as a header: line breaks and
 * other control characters, spaces, commas, semicolons, angle brackets, quotes, parentheses, a second
 * `@`, and look-alike letters from other scripts (issue 16: `a@b\r\nBcc: x@evil` was stored and, given
 * to the mailer, changed the recipients). Internationalised addresses are refused, not converted.
 */

export type EmailAddressCheck = { ok: true; address: string } | { ok: false; reason: string };

const MAX_ADDRESS = 254; // RFC 5321 path limit less the angle brackets
const MAX_LOCAL = 64;
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Check an email address and return it normalised (surrounding whitespace removed, domain in lower
 * case; the local part keeps its case, which only the receiving server may interpret), or the reason
 * it cannot be used, in words for the person it belongs to.
 */
export function normaliseEmailAddress(input: string): EmailAddressCheck {
  const value = input.trim();
  const no = (reason: string): EmailAddressCheck => ({ ok: false, reason });
  if (value === '') return no('it is empty');
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value))
    return no('it contains a line break or another control character');
  if (/\s/.test(value)) return no('it contains a space');
  if (/[^\u0021-\u007e]/.test(value))
    return no(
      'it contains characters other than plain letters, digits and punctuation (for example a letter from another alphabet that looks like a Latin one)',
    );
  if (value.length > MAX_ADDRESS) return no(`it is longer than ${MAX_ADDRESS} characters`);
  const at = value.indexOf('@');
  if (at < 0 || at !== value.lastIndexOf('@')) return no('it does not contain exactly one @');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1).toLowerCase();
  if (local === '' || local.length > MAX_LOCAL || !LOCAL.test(local))
    return no(
      'the part before the @ is empty, too long, or contains characters such as commas, quotes, brackets or two dots in a row',
    );
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1)!))
    return no(`the part after the @ is not a domain name`);
  return { ok: true, address: `${local}@${domain}` };
}

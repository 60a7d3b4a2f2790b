import { describe, expect, it } from 'vitest';
import { normaliseEmailAddress } from '../../src/domain/notifications/email-address.js';
import { HOSTILE_EMAILS, VALID_EMAILS } from '../support/email-corpus.js';

describe('normaliseEmailAddress', () => {
  it.each(HOSTILE_EMAILS.map((v) => [JSON.stringify(v).slice(0, 80), v]))(
    'refuses %s with a reason',
    (_, value) => {
      const r = normaliseEmailAddress(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^(it|the part) /);
    },
  );

  it.each(VALID_EMAILS)('accepts %j as %j', (value, normalised) => {
    expect(normaliseEmailAddress(value)).toEqual({ ok: true, address: normalised });
  });

  it('says what is wrong in plain words', () => {
    const reason = (v: string) => (normaliseEmailAddress(v) as { reason: string }).reason;
    expect(reason('a@b.example\r\nBcc: x@evil.example')).toMatch(/line break/);
    expect(reason('a@b.example, x@evil.example')).toMatch(/space/);
    expect(reason('a,x@evil.example')).toMatch(/commas/);
    expect(reason('a@b@evil.example')).toMatch(/exactly one @/);
    expect(reason('a@ex\u0430mple.edu')).toMatch(/another alphabet/);
    expect(reason('')).toMatch(/empty/);
    expect(reason('a@localhost')).toMatch(/not a domain name/);
  });
});

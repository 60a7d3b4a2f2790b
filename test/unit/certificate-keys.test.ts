/** Private keys at rest and ACME error classification. */
import { createPrivateKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { classify, parseRetryAfter } from '../../src/adapters/ca/acme.js';
import {
  generatePrivateKey,
  openPrivateKey,
  sealPrivateKey,
} from '../../src/domain/certificates/key-box.js';

const SECRET = 'x'.repeat(40);

describe('private keys', () => {
  test('ECDSA P-256 by default, RSA 2048 on request', () => {
    const ec = createPrivateKey(generatePrivateKey('ecdsa-p256'));
    expect(ec.asymmetricKeyType).toBe('ec');
    expect(ec.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const rsa = createPrivateKey(generatePrivateKey('rsa-2048'));
    expect(rsa.asymmetricKeyType).toBe('rsa');
    expect(rsa.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  test('sealed with AES-256-GCM: not plaintext, round-trips, bound to row and secret, tamper-evident', () => {
    const pem = generatePrivateKey('ecdsa-p256');
    const sealed = sealPrivateKey(SECRET, 7, pem);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(sealed).not.toContain(pem.split('\n')[1]!);
    expect(sealPrivateKey(SECRET, 7, pem)).not.toBe(sealed); // fresh IV each time
    expect(openPrivateKey(SECRET, 7, sealed)).toBe(pem);
    expect(() => openPrivateKey(SECRET, 8, sealed)).toThrow();
    expect(() => openPrivateKey('y'.repeat(40), 7, sealed)).toThrow();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0]! ^= 1;
    parts[3] = ct.toString('base64url');
    expect(() => openPrivateKey(SECRET, 7, parts.join('.'))).toThrow();
  });
});

describe('ACME errors by kind', () => {
  const P = 'urn:ietf:params:acme:error:';
  test('rate limits carry Retry-After (seconds or date)', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(1_000_000 + 30_000).toUTCString(), 1_000_000)).toBe(30_000);
    expect(parseRetryAfter(undefined)).toBeNull();
    const e = classify(new Error('x'), {
      status: 429,
      type: `${P}rateLimited`,
      detail: 'too many certificates',
      retryAfterMs: 3_600_000,
    });
    expect(e).toMatchObject({
      kind: 'rateLimited',
      retryAfterMs: 3_600_000,
      message: 'too many certificates',
    });
  });
  test('badNonce, server errors, refusals, network', () => {
    expect(
      classify(new Error('x'), {
        status: 400,
        type: `${P}badNonce`,
        detail: 'n',
        retryAfterMs: null,
      }).kind,
    ).toBe('badNonce');
    expect(
      classify(new Error('x'), { status: 503, type: null, detail: 'busy', retryAfterMs: 5000 }),
    ).toMatchObject({ kind: 'unavailable', retryAfterMs: 5000 });
    expect(
      classify(new Error('x'), {
        status: 403,
        type: `${P}unauthorized`,
        detail: 'no',
        retryAfterMs: null,
      }).kind,
    ).toBe('rejected');
    expect(classify(new Error('ECONNREFUSED'), null)).toMatchObject({
      kind: 'unavailable',
      message: 'ECONNREFUSED',
    });
  });
});

/** Private keys at rest and ACME error classification. */
import { createPrivateKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { classify, parseRetryAfter } from '../../src/adapters/ca/acme.js';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  PrivateKeyUnavailable,
  generatePrivateKey,
  isSealedWithCurrentKey,
  keyRing,
  openPrivateKey,
  sealPrivateKey,
  sealedKeyId,
} from '../../src/domain/certificates/key-box.js';

const SECRET = 'x'.repeat(40);
const OLD = 'o'.repeat(40);
const OLDER = 'p'.repeat(40);

/** A value as stored before key ids existed (`v1.iv.tag.ct`, key from the secret alone). */
function sealV1(secret: string, id: number, pem: string): string {
  const key = Buffer.from(
    hkdfSync('sha256', secret, 'starchart', 'certificate-private-key/v1', 32),
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`certificate:${id}`));
  const ct = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ct]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

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
    const ring = keyRing([SECRET]);
    const pem = generatePrivateKey('ecdsa-p256');
    const sealed = sealPrivateKey(ring, 7, pem);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(sealed).not.toContain(pem.split('\n')[1]!);
    expect(sealPrivateKey(ring, 7, pem)).not.toBe(sealed); // fresh IV each time
    expect(openPrivateKey(ring, 7, sealed)).toBe(pem);
    expect(() => openPrivateKey(ring, 8, sealed)).toThrow(PrivateKeyUnavailable);
    expect(() => openPrivateKey(keyRing(['y'.repeat(40)]), 7, sealed)).toThrow(
      PrivateKeyUnavailable,
    );
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0]! ^= 1;
    parts[4] = ct.toString('base64url');
    expect(() => openPrivateKey(ring, 7, parts.join('.'))).toThrow(PrivateKeyUnavailable);
  });

  test('a key ring: the newest secret encrypts and names its key; older secrets still decrypt what they sealed', () => {
    const pem = generatePrivateKey('ecdsa-p256');
    const before = sealPrivateKey(keyRing([OLD]), 3, pem);
    const rotated = keyRing([SECRET, OLD, OLDER]);
    // The stored value names its key (derived from the secret, not the secret itself).
    const [version, keyId] = before.split('.');
    expect(version).toBe('v2');
    expect(keyId).toBe(keyRing([OLD]).current.id);
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(before).not.toContain(OLD);
    expect(sealedKeyId(before)).toBe(keyId);
    expect(rotated.all.map((k) => k.id)).toHaveLength(3);
    expect(new Set(rotated.all.map((k) => k.id)).size).toBe(3);
    // Old keys decrypt; the current one encrypts.
    expect(openPrivateKey(rotated, 3, before)).toBe(pem);
    expect(isSealedWithCurrentKey(rotated, before)).toBe(false);
    const after = sealPrivateKey(rotated, 3, pem);
    expect(sealedKeyId(after)).toBe(keyRing([SECRET]).current.id);
    expect(isSealedWithCurrentKey(rotated, after)).toBe(true);
    expect(openPrivateKey(keyRing([SECRET]), 3, after)).toBe(pem);
    // Without the old secret: a clear, typed error naming the key it needs.
    const err = (() => {
      try {
        openPrivateKey(keyRing([SECRET]), 3, before);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PrivateKeyUnavailable);
    expect((err as PrivateKeyUnavailable).keyId).toBe(keyId);
    expect((err as Error).message).toContain('SESSION_SECRET');
  });

  test('values stored before key ids (v1) keep decrypting with the current secret, and with an earlier one', () => {
    const pem = generatePrivateKey('ecdsa-p256');
    const legacy = sealV1(SECRET, 9, pem);
    expect(openPrivateKey(keyRing([SECRET]), 9, legacy)).toBe(pem);
    expect(sealedKeyId(legacy)).toBeNull();
    const legacyOld = sealV1(OLD, 9, pem);
    expect(openPrivateKey(keyRing([SECRET, OLD]), 9, legacyOld)).toBe(pem);
    expect(() => openPrivateKey(keyRing([SECRET]), 9, legacyOld)).toThrow(PrivateKeyUnavailable);
    expect(() => openPrivateKey(keyRing([SECRET]), 9, 'v3.x.y.z')).toThrow(
      /unknown private key format/,
    );
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

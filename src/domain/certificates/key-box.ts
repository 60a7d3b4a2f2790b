/**
 * Certificate private keys: a new key per issuance (ECDSA P-256 or RSA 2048), kept encrypted at rest
 * with AES-256-GCM under a key derived (HKDF-SHA256) from SESSION_SECRET. The row id is bound as
 * additional data, so a ciphertext copied onto another row does not decrypt.
 *
 * Key ring (decision 0014): the current SESSION_SECRET encrypts; earlier values (SESSION_SECRET_PREVIOUS)
 * still decrypt, so changing the secret never strands a stored key. A sealed value names its key by id
 * (`v2.<key id>.iv.tag.ciphertext`), so decryption picks the right key without trying each; values
 * written before key ids (`v1.iv.tag.ciphertext`) are tried with the current key first, then the
 * earlier ones. `npm run keys:rotate` re-encrypts everything with the current key.
 */
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

export type KeyType = 'ecdsa-p256' | 'rsa-2048';

/** A fresh private key as PKCS#8 PEM. */
export function generatePrivateKey(type: KeyType): string {
  const { privateKey } =
    type === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A stored key that no key of the ring decrypts (secret changed without keeping the old one) or that was altered. */
export class PrivateKeyUnavailable extends Error {
  constructor(
    readonly certificateId: number,
    readonly keyId: string | null,
  ) {
    super(
      `The private key of certificate ${certificateId} cannot be decrypted with the current or previous SESSION_SECRET${keyId ? ` (it was encrypted with key ${keyId})` : ''}`,
    );
    this.name = 'PrivateKeyUnavailable';
  }
}

interface RingKey {
  /** Public name of the key: derived from the secret, reveals nothing about it. */
  id: string;
  key: Buffer;
}

/** The keys private keys are sealed with: `current` encrypts, every key (current first) decrypts. */
export interface KeyRing {
  current: RingKey;
  all: readonly RingKey[];
}

const derive = (secret: string, info: string, length: number) =>
  Buffer.from(hkdfSync('sha256', secret, 'starchart', info, length));

const rings = new Map<string, KeyRing>();

/** The ring for these secrets, the current one first (memoised: derivation runs once per process). */
export function keyRing(secrets: readonly string[]): KeyRing {
  const unique = [...new Set(secrets)];
  if (unique.length === 0) throw new Error('a key ring needs at least one secret');
  const cacheKey = JSON.stringify(unique);
  let ring = rings.get(cacheKey);
  if (!ring) {
    const all = unique.map((secret) => ({
      // The same derivation as before key ids existed, so v1 values keep decrypting.
      key: derive(secret, 'certificate-private-key/v1', 32),
      id: derive(secret, 'certificate-private-key/key-id', 6).toString('base64url'),
    }));
    ring = { current: all[0]!, all };
    rings.set(cacheKey, ring);
  }
  return ring;
}

/** The ring of a configuration: SESSION_SECRET, then each SESSION_SECRET_PREVIOUS value. */
export const keyRingOf = (config: {
  sessionSecret: string;
  previousSessionSecrets: readonly string[];
}): KeyRing => keyRing([config.sessionSecret, ...config.previousSessionSecrets]);

/** Encrypt a PEM for storage on certificate row `id` with the ring's current key. */
export function sealPrivateKey(ring: KeyRing, id: number, pem: string): string {
  return sealSecret(ring, `certificate:${id}`, pem);
}

/**
 * Encrypt any secret with the ring's current key, bound to `context` (additional data naming where it
 * is stored, e.g. `api-token:ab12`), so a value copied elsewhere does not decrypt.
 */
export function sealSecret(ring: KeyRing, context: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return [
    'v2',
    ring.current.id,
    ...[iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')),
  ].join('.');
}

/** The key id a sealed value names (null for values written before key ids). */
export function sealedKeyId(sealed: string): string | null {
  return sealed.startsWith('v2.') ? (sealed.split('.')[1] ?? null) : null;
}

/** Whether a sealed value is already under the ring's current key (nothing for keys:rotate to do). */
export const isSealedWithCurrentKey = (ring: KeyRing, sealed: string) =>
  sealedKeyId(sealed) === ring.current.id;

function tryOpen(key: Buffer, context: string, iv: string, tag: string, ct: string): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ct, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Decrypt a stored key. Throws PrivateKeyUnavailable when no key of the ring opens it (the secret
 * changed and the old value was not kept in SESSION_SECRET_PREVIOUS) or the value was tampered with.
 */
export function openPrivateKey(ring: KeyRing, id: number, sealed: string): string {
  const parts = sealed.split('.');
  let candidates: readonly RingKey[];
  let rest: string[];
  if (parts[0] === 'v2' && parts.length === 5) {
    // Normally exactly one key has the id; two secrets sharing an id prefix are merely tried both.
    candidates = ring.all.filter((k) => k.id === parts[1]);
    rest = parts.slice(2);
  } else if (parts[0] === 'v1' && parts.length === 4) {
    candidates = ring.all; // current first
    rest = parts.slice(1);
  } else throw new Error(`unknown private key format on certificate ${id}`);
  const [iv, tag, ct] = rest as [string, string, string];
  for (const k of candidates) {
    const pem = tryOpen(k.key, `certificate:${id}`, iv, tag, ct);
    if (pem !== null) return pem;
  }
  throw new PrivateKeyUnavailable(id, sealedKeyId(sealed));
}

/** Decrypt a value sealed by sealSecret with the same context; null when no key of the ring opens it. */
export function openSecret(ring: KeyRing, context: string, sealed: string): string | null {
  const parts = sealed.split('.');
  if (parts[0] !== 'v2' || parts.length !== 5) return null;
  const [iv, tag, ct] = parts.slice(2) as [string, string, string];
  for (const k of ring.all.filter((key) => key.id === parts[1])) {
    const text = tryOpen(k.key, context, iv, tag, ct);
    if (text !== null) return text;
  }
  return null;
}

/** Whether a stored key can be decrypted with the ring (without returning it). */
export function canOpenPrivateKey(ring: KeyRing, id: number, sealed: string): boolean {
  try {
    openPrivateKey(ring, id, sealed);
    return true;
  } catch {
    return false;
  }
}

/**
 * Certificate private keys: a new key per issuance (ECDSA P-256 or RSA 2048), kept encrypted at rest
 * with AES-256-GCM under a key derived (HKDF-SHA256) from SESSION_SECRET. The row id is bound as
 * additional data, so a ciphertext copied onto another row does not decrypt.
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

const derived = new Map<string, Buffer>();
function keyFor(secret: string): Buffer {
  let k = derived.get(secret);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', secret, 'starchart', 'certificate-private-key/v1', 32));
    derived.set(secret, k);
  }
  return k;
}

/** Encrypt a PEM for storage on certificate row `id`. Format `v1.iv.tag.ciphertext` (base64url). */
export function sealPrivateKey(secret: string, id: number, pem: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret), iv);
  cipher.setAAD(Buffer.from(`certificate:${id}`));
  const ct = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ct]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Decrypt a stored key; throws when the secret changed or the value was tampered with. */
export function openPrivateKey(secret: string, id: number, sealed: string): string {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unknown private key format');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secret), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(`certificate:${id}`));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}

/**
 * Re-encrypt every stored certificate private key with the key ring's current key (`npm run
 * keys:rotate`, decision 0014). Run after changing SESSION_SECRET with the old value in
 * SESSION_SECRET_PREVIOUS; once it reports nothing left under an old key, the old value can go.
 */
import type { Db } from '../../db/client.js';
import { findSealedKeys, updateSealedKey } from '../../db/repos/certificates.js';
import {
  type KeyRing,
  PrivateKeyUnavailable,
  isSealedWithCurrentKey,
  openPrivateKey,
  sealPrivateKey,
  sealedKeyId,
} from './key-box.js';

export interface KeyRotationReport {
  /** Keys now sealed with the current key that were not before. */
  reencrypted: number;
  /** Keys that already were. */
  alreadyCurrent: number;
  /** Keys no secret of the ring opens: their owners must request new certificates. */
  unreadable: { certificateId: number; keyId: string | null }[];
}

const PAGE = 200;

/**
 * Re-encrypt each stored key not yet under the ring's current key. A row changed meanwhile (a new key
 * sealed by issuance, which already uses the current key) is left as it is. Idempotent.
 */
export async function rotateCertificateKeys(db: Db, ring: KeyRing): Promise<KeyRotationReport> {
  const report: KeyRotationReport = { reencrypted: 0, alreadyCurrent: 0, unreadable: [] };
  let after = 0;
  for (;;) {
    const rows = await findSealedKeys(db, after, PAGE);
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.id;
      if (isSealedWithCurrentKey(ring, row.private_key_enc)) {
        report.alreadyCurrent++;
        continue;
      }
      let pem: string;
      try {
        pem = openPrivateKey(ring, row.id, row.private_key_enc);
      } catch (err) {
        if (!(err instanceof PrivateKeyUnavailable)) throw err;
        report.unreadable.push({
          certificateId: row.id,
          keyId: sealedKeyId(row.private_key_enc),
        });
        continue;
      }
      const next = sealPrivateKey(ring, row.id, pem);
      if (await updateSealedKey(db, row.id, row.private_key_enc, next)) report.reencrypted++;
    }
  }
  return report;
}

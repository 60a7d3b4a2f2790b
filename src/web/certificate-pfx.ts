/**
 * The user's certificate as a PKCS#12 (.pfx) download, for the certificate page and the API alike:
 * the domain's parts (key, certificate, chain) packaged by the openssl adapter.
 */
import { buildPkcs12 } from '../adapters/ca/pkcs12.js';
import type { User } from '../db/schema.js';
import { getCertificatePart } from '../domain/certificates/certificates.js';

export async function certificatePfx(
  deps: Parameters<typeof getCertificatePart>[0],
  owner: User,
  opts: Parameters<typeof getCertificatePart>[3] = {},
): Promise<{ body: Uint8Array<ArrayBuffer>; filename: string }> {
  // One download is recorded (with the key, which is refused first when it cannot be had).
  const key = await getCertificatePart(deps, owner, 'privateKey', opts);
  const cert = await getCertificatePart(deps, owner, 'certificate', { which: opts.which });
  const chain = await getCertificatePart(deps, owner, 'chain', { which: opts.which });
  const domain = cert.filename.replace(/\.certificate\.pem$/, '');
  const pfx = await buildPkcs12({
    keyPem: key.body,
    certPem: cert.body,
    chainPem: chain.body,
    name: domain,
  });
  return {
    body: new Uint8Array(pfx),
    filename: `${domain}.pfx`,
  };
}

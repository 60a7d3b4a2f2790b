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
): Promise<{ body: Uint8Array<ArrayBuffer>; filename: string }> {
  const key = await getCertificatePart(deps, owner, 'privateKey');
  const cert = await getCertificatePart(deps, owner, 'certificate');
  const chain = await getCertificatePart(deps, owner, 'chain');
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

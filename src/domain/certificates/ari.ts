/**
 * ACME Renewal Information (RFC 9773): a certificate's identifier is
 * `base64url(Authority Key Identifier keyIdentifier) "." base64url(serial number DER bytes)`.
 * It names the certificate in `GET {renewalInfo}/{certID}` and in a new order's `replaces`.
 */

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** The RFC 9773 id of a leaf certificate (PEM); null when it has no Authority Key Identifier. */
export async function ariCertId(leafPem: string): Promise<string | null> {
  // eslint-disable-next-line no-restricted-syntax -- @peculiar/x509 is large and loaded on first use
  const x509 = await import('@peculiar/x509');
  const cert = new x509.X509Certificate(leafPem);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) return null;
  return `${b64url(Buffer.from(aki.keyId, 'hex'))}.${b64url(serialDer(cert.serialNumber))}`;
}

/**
 * The DER content octets of a (positive) serial number given as hex, as RFC 9773 wants them: minimal,
 * with a leading zero byte when the top bit is set (x509 libraries print the number without it).
 */
export function serialDer(hex: string): Buffer {
  let h = hex.replace(/[^0-9a-f]/gi, '').replace(/^(00)+/, '');
  if (h.length % 2) h = `0${h}`;
  if (h === '') h = '00';
  const bytes = Buffer.from(h, 'hex');
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

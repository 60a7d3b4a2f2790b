/** The development IdP's XML signature (xml-crypto), loaded on its first use by dev-idp.ts. */
import { SignedXml } from 'xml-crypto';
import type { SigningKeys } from './dev-idp.js';

/** Sign the (single) Assertion in a Response document, placing the signature after its Issuer. */
export function signAssertionWith(responseXml: string, keys: SigningKeys): string {
  return signElementWith(responseXml, keys, "//*[local-name(.)='Assertion']");
}

/**
 * Sign the element `target` selects (enveloped RSA-SHA256, exclusive c14n), placing the signature after
 * its Issuer. Tests also sign the Response envelope with it, as SimpleSAMLphp does.
 */
export function signElementWith(xml: string, keys: SigningKeys, target: string): string {
  const sig = new SignedXml({
    privateKey: keys.keyPem,
    publicCert: keys.certPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: target,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/**
 * Reads what the SP needs from SAML IdP metadata: entity id, single sign-on and logout endpoints and the
 * signing certificates. Works for SimpleSAMLphp, Entra ID federation metadata and the development IdP.
 */
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  /** Base64 DER certificates (no PEM armour). */
  signingCerts: string[];
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** Parse metadata XML; throws an Error naming what is missing. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { error: (m) => errors.push(m), fatalError: (m) => errors.push(m) },
  }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement)
    throw new Error(`IdP metadata is not valid XML: ${errors[0] ?? 'empty document'}`);
  const sel = (expr: string, node: Node = doc) => xpath.select(expr, node) as Node[];
  const entity = sel(
    "//*[local-name()='EntityDescriptor'][*[local-name()='IDPSSODescriptor']]",
  )[0] as Element | undefined;
  if (!entity) throw new Error('IdP metadata has no EntityDescriptor with an IDPSSODescriptor');
  const entityId = entity.getAttribute('entityID');
  if (!entityId) throw new Error('IdP metadata EntityDescriptor has no entityID');
  const idp = sel("./*[local-name()='IDPSSODescriptor']", entity)[0] as Element;
  const endpoint = (name: string) => {
    const all = sel(`./*[local-name()='${name}']`, idp) as Element[];
    const pick = all.find((e) => e.getAttribute('Binding') === REDIRECT);
    return pick?.getAttribute('Location') ?? null;
  };
  const ssoUrl = endpoint('SingleSignOnService');
  if (!ssoUrl)
    throw new Error('IdP metadata has no SingleSignOnService with the HTTP-Redirect binding');
  const certs = (
    sel(
      "./*[local-name()='KeyDescriptor'][not(@use) or @use='signing']//*[local-name()='X509Certificate']",
      idp,
    ) as Element[]
  )
    .map((e) => (e.textContent ?? '').replace(/\s+/g, ''))
    .filter((c) => c.length > 0);
  if (certs.length === 0) throw new Error('IdP metadata has no signing certificate');
  return {
    entityId,
    ssoUrl,
    sloUrl: endpoint('SingleLogoutService'),
    signingCerts: [...new Set(certs)],
  };
}

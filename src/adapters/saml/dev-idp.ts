/**
 * The built-in development IdP: a real SAML 2.0 identity provider for a few test identities. It signs
 * its responses with xml-crypto using a key and self-signed certificate generated once under DATA_DIR,
 * and the SP consumes its metadata exactly as it would a production IdP's. Never built in production.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import { escapeXml } from '../../escape.js';

const inflateRawAsync = promisify(inflateRaw);
const deflateRawAsync = promisify(deflateRaw);

export interface DevIdentity {
  key: 'student' | 'faculty' | 'admin';
  username: string;
  displayName: string;
  email: string;
  groups: string[];
}

/** The test identities offered on the development sign-in page. */
export const DEV_IDENTITIES: readonly DevIdentity[] = [
  {
    key: 'student',
    username: 'dev.student',
    displayName: 'Dev Student',
    email: 'dev.student@example.edu',
    groups: ['mycustomdomain-dev-students'],
  },
  {
    key: 'faculty',
    username: 'dev.faculty',
    displayName: 'Dev Faculty',
    email: 'dev.faculty@example.edu',
    groups: ['mycustomdomain-dev-faculty'],
  },
  {
    key: 'admin',
    username: 'dev.admin',
    displayName: 'Dev Admin',
    email: 'dev.admin@example.edu',
    groups: ['mycustomdomain-dev-faculty', 'mycustomdomain-dev-admins'],
  },
];

export interface SigningKeys {
  keyPem: string;
  certPem: string;
  /** Base64 DER of the certificate, as metadata carries it. */
  certB64: string;
}

/** Load the development IdP key pair from dataDir, generating it on first use. */
export async function ensureDevIdpKeys(dataDir: string): Promise<SigningKeys> {
  const keyFile = path.join(dataDir, 'dev-idp.key.pem');
  const certFile = path.join(dataDir, 'dev-idp.crt.pem');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    const keys = await generateSigningKeys('Starchart development IdP');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(keyFile, keys.keyPem, { mode: 0o600 });
    writeFileSync(certFile, keys.certPem);
  }
  const certPem = readFileSync(certFile, 'utf8');
  return { keyPem: readFileSync(keyFile, 'utf8'), certPem, certB64: pemBody(certPem) };
}

/** A fresh RSA-2048 key and a ten-year self-signed certificate (also used by tests for rogue IdPs). */
export async function generateSigningKeys(commonName: string): Promise<SigningKeys> {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const pair = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  // Loaded on demand: key generation happens once per data directory, and the module is large.
  // eslint-disable-next-line no-restricted-syntax -- the bundle takes @peculiar/x509's ES module build
  const x509 = await import('@peculiar/x509');
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(8)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${commonName}`,
      notBefore: new Date(Date.now() - 24 * 3_600_000),
      notAfter: new Date(Date.now() + 3650 * 24 * 3_600_000),
      keys: pair,
      signingAlgorithm: alg,
    },
    webcrypto as unknown as Crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem') + '\n';
  return { keyPem, certPem, certB64: pemBody(certPem) };
}

const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

const newId = () => `_${randomBytes(20).toString('hex')}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface IdpEndpoints {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
}

/** Endpoints of the development IdP mounted in the app under /dev-idp. */
export function devIdpEndpoints(appUrl: string): IdpEndpoints {
  return {
    entityId: `${appUrl}/dev-idp/metadata`,
    ssoUrl: `${appUrl}/dev-idp/sso`,
    sloUrl: `${appUrl}/dev-idp/slo`,
  };
}

/** IdP metadata XML (what a real IdP publishes). */
export function idpMetadataXml(endpoints: IdpEndpoints, certB64: string): string {
  const redirect = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escapeXml(endpoints.entityId)}">\n` +
    `  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    `    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n` +
    `    <md:SingleLogoutService Binding="${redirect}" Location="${escapeXml(endpoints.sloUrl)}"/>\n` +
    `    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n` +
    `    <md:SingleSignOnService Binding="${redirect}" Location="${escapeXml(endpoints.ssoUrl)}"/>\n` +
    `  </md:IDPSSODescriptor>\n` +
    `</md:EntityDescriptor>\n`
  );
}

export interface ParsedRequest {
  id: string;
  issuer: string | null;
  acsUrl: string | null;
  kind: 'AuthnRequest' | 'LogoutRequest';
}

/** Decode an HTTP-Redirect binding SAMLRequest (base64 of raw DEFLATE). Throws on garbage. */
export async function parseRedirectRequest(samlRequest: string): Promise<ParsedRequest> {
  const xml = (await inflateRawAsync(Buffer.from(samlRequest, 'base64'))).toString('utf8');
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { error: (m) => errors.push(m), fatalError: (m) => errors.push(m) },
  }).parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (errors.length > 0 || !root) throw new Error('SAMLRequest is not XML');
  const kind = root.localName;
  if (kind !== 'AuthnRequest' && kind !== 'LogoutRequest')
    throw new Error(`unexpected SAML message ${kind}`);
  const id = root.getAttribute('ID');
  if (!id) throw new Error('SAMLRequest has no ID');
  const issuer = (xpath.select("string(./*[local-name()='Issuer'])", root) as string).trim();
  return {
    id,
    kind,
    issuer: issuer || null,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL'),
  };
}

export interface ResponseParams {
  idpEntityId: string;
  /** The SP entity id, used as the Audience. */
  audience: string;
  acsUrl: string;
  inResponseTo: string | null;
  nameId: string;
  attributes: Record<string, string[]>;
  now: number;
  /** Assertion lifetime (default 5 minutes). */
  lifetimeMs?: number;
  /** Overrides for building deliberately broken responses in tests. */
  destination?: string;
  recipient?: string;
  sessionIndex?: string;
  responseId?: string;
  assertionId?: string;
  /** InResponseTo of the SubjectConfirmationData (default: inResponseTo; null: none). */
  subjectInResponseTo?: string | null;
}

/** Build a SAML Response whose Assertion is signed (enveloped RSA-SHA256, exclusive c14n). */
export async function buildSignedResponse(
  params: ResponseParams,
  keys: SigningKeys,
): Promise<string> {
  const xml = buildUnsignedResponse(params);
  return signAssertion(xml, keys);
}

/** The response before signing (tests use it to produce unsigned variants). */
export function buildUnsignedResponse(p: ResponseParams): string {
  const lifetime = p.lifetimeMs ?? 5 * 60_000;
  const issueInstant = iso(p.now);
  const notBefore = iso(p.now - 30_000);
  const notOnOrAfter = iso(p.now + lifetime);
  const irt = p.inResponseTo ? ` InResponseTo="${escapeXml(p.inResponseTo)}"` : '';
  const subjectIrt = p.subjectInResponseTo === undefined ? p.inResponseTo : p.subjectInResponseTo;
  const subjectIrtAttr = subjectIrt ? ` InResponseTo="${escapeXml(subjectIrt)}"` : '';
  const attrs = Object.entries(p.attributes)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
        values
          .map(
            (v) =>
              `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`,
          )
          .join('') +
        `</saml:Attribute>`,
    )
    .join('');
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${escapeXml(p.responseId ?? newId())}" Version="2.0" IssueInstant="${issueInstant}" Destination="${escapeXml(p.destination ?? p.acsUrl)}"${irt}>` +
    `<saml:Issuer>${escapeXml(p.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${escapeXml(p.assertionId ?? newId())}" Version="2.0" IssueInstant="${issueInstant}">` +
    `<saml:Issuer>${escapeXml(p.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" SPNameQualifier="${escapeXml(p.audience)}">${escapeXml(p.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${escapeXml(p.recipient ?? p.acsUrl)}"${subjectIrtAttr}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escapeXml(p.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${issueInstant}" SessionNotOnOrAfter="${iso(p.now + 8 * 3_600_000)}" SessionIndex="${escapeXml(p.sessionIndex ?? newId())}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`
  );
}

/**
 * Sign the (single) Assertion in a Response document, placing the signature after its Issuer.
 * xml-crypto loads on the first signature (dev-idp-signer.ts): starting the development IdP does not
 * need it. (A local module, because a CommonJS package imported dynamically keeps only its default
 * export inside the production bundle.)
 */
export async function signAssertion(responseXml: string, keys: SigningKeys): Promise<string> {
  const { signAssertionWith } = await import('./dev-idp-signer.js');
  return signAssertionWith(responseXml, keys);
}

/** A LogoutResponse for the HTTP-Redirect binding: the SAMLResponse query value (unsigned). */
export async function buildRedirectLogoutResponse(p: {
  idpEntityId: string;
  destination: string;
  inResponseTo: string;
  now: number;
}): Promise<string> {
  const xml =
    `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${iso(p.now)}" Destination="${escapeXml(p.destination)}" InResponseTo="${escapeXml(p.inResponseTo)}">` +
    `<saml:Issuer>${escapeXml(p.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `</samlp:LogoutResponse>`;
  return (await deflateRawAsync(Buffer.from(xml, 'utf8'))).toString('base64');
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SigningKeys,
  buildSignedResponse,
  buildUnsignedResponse,
  devIdpEndpoints,
  generateSigningKeys,
  idpMetadataXml,
  parseRedirectRequest,
  signAssertion,
} from '../../src/adapters/saml/dev-idp.js';
import { signElementWith } from '../../src/adapters/saml/dev-idp-signer.js';
import { parseIdpMetadata } from '../../src/adapters/saml/idp-metadata.js';
import { SamlServiceProvider } from '../../src/adapters/saml/service-provider.js';
import { SignInRejected } from '../../src/ports/identity-provider.js';
import { DIALECTS, type TestDb, createTestDb } from '../support/db.js';

const appUrl = 'http://localhost:8080';
const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** Sign the Response envelope as well (SimpleSAMLphp signs both it and the assertion). */
const signEnvelope = (responseXml: string, k: SigningKeys) =>
  signElementWith(responseXml, k, "/*[local-name(.)='Response']");

let keys: SigningKeys;
let rogue: SigningKeys;
beforeAll(async () => {
  [keys, rogue] = await Promise.all([generateSigningKeys('idp'), generateSigningKeys('rogue')]);
});

describe('parseIdpMetadata', () => {
  it('reads entity id, redirect endpoints and signing certificates', () => {
    const md = parseIdpMetadata(idpMetadataXml(devIdpEndpoints(appUrl), keys.certB64));
    expect(md).toEqual({
      entityId: `${appUrl}/dev-idp/metadata`,
      ssoUrl: `${appUrl}/dev-idp/sso`,
      sloUrl: `${appUrl}/dev-idp/slo`,
      signingCerts: [keys.certB64],
    });
  });

  it('ignores encryption-only keys and reports what is missing', () => {
    const xml = idpMetadataXml(devIdpEndpoints(appUrl), keys.certB64).replace(
      'use="signing"',
      'use="encryption"',
    );
    expect(() => parseIdpMetadata(xml)).toThrow(/no signing certificate/);
    expect(() => parseIdpMetadata('<nope')).toThrow(/not valid XML|IDPSSODescriptor/);
    expect(() =>
      parseIdpMetadata(
        idpMetadataXml(devIdpEndpoints(appUrl), keys.certB64).replace(
          /<md:SingleSignOnService[^>]*\/>/,
          '',
        ),
      ),
    ).toThrow(/SingleSignOnService/);
  });
});

describe.each(DIALECTS)('SamlServiceProvider on %s', (dialect) => {
  let db: TestDb;
  let sp: SamlServiceProvider;
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const idpEntityId = `${appUrl}/dev-idp/metadata`;

  beforeAll(async () => {
    db = await createTestDb(dialect);
    const idp = parseIdpMetadata(idpMetadataXml(devIdpEndpoints(appUrl), keys.certB64));
    sp = new SamlServiceProvider({
      appUrl,
      idp,
      displayName: 'test IdP',
      clockSkewMs: 30_000,
      db: db.db,
      clock,
    });
  });
  afterAll(async () => db.cleanup());

  const newRequestId = async () => {
    const url = new URL(await sp.loginUrl('/somewhere'));
    expect(url.origin + url.pathname).toBe(`${appUrl}/dev-idp/sso`);
    expect(url.searchParams.get('RelayState')).toBe('/somewhere');
    const req = await parseRedirectRequest(url.searchParams.get('SAMLRequest')!);
    expect(req.issuer).toBe(`${appUrl}/sp`);
    expect(req.acsUrl).toBe(`${appUrl}/login/callback`);
    return req.id;
  };
  const params = async (over: Partial<Parameters<typeof buildSignedResponse>[0]> = {}) => ({
    idpEntityId,
    audience: `${appUrl}/sp`,
    acsUrl: `${appUrl}/login/callback`,
    inResponseTo: await newRequestId(),
    nameId: 'jdoe',
    attributes: { sAMAccountName: ['jdoe'], group: ['g1', 'g2'], displayname: ['J Doe'] },
    now: clock.now(),
    ...over,
  });
  const verify = (xml: string) => sp.verifyLoginResponse({ SAMLResponse: b64(xml) });
  const rejected = async (xml: string, pattern: RegExp, kind?: SignInRejected['kind']) => {
    const err = await verify(xml).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SignInRejected);
    expect((err as SignInRejected).reason).toMatch(pattern);
    if (kind) expect((err as SignInRejected).kind).toBe(kind);
  };

  it('accepts a correctly signed, solicited response and returns attributes as lists', async () => {
    const identity = await verify(await buildSignedResponse(await params(), keys));
    expect(identity.nameId).toBe('jdoe');
    expect(identity.sessionIndex).toBeTruthy();
    expect(identity.attributes).toEqual({
      sAMAccountName: ['jdoe'],
      group: ['g1', 'g2'],
      displayname: ['J Doe'],
    });
  });

  it('accepts a response signed on its envelope as well as on its assertion', async () => {
    const xml = signEnvelope(await buildSignedResponse(await params(), keys), keys);
    expect(xml.match(/<ds:Signature[\s>]/g)).toHaveLength(2);
    expect((await verify(xml)).attributes.group).toEqual(['g1', 'g2']);
  });

  it('does not take a signed envelope in place of a signed assertion', async () => {
    await rejected(signEnvelope(buildUnsignedResponse(await params()), keys), /signature/i);
  });

  it('rejects an attribute changed after signing when envelope and assertion are both signed', async () => {
    const xml = signEnvelope(await buildSignedResponse(await params(), keys), keys).replace(
      '>g1<',
      '>mycustomdomain-admins<',
    );
    await rejected(xml, /signature/i);
  });

  it('rejects the same response twice (replay)', async () => {
    const xml = await buildSignedResponse(await params(), keys);
    await verify(xml);
    await rejected(xml, /InResponseTo|already used/);
  });

  it('records assertion ids so a second copy is refused even with a fresh request id', async () => {
    // Same signed assertion re-wrapped for a new request: the assertion id gives it away.
    const first = await buildSignedResponse(await params(), keys);
    await verify(first);
    const rid = await newRequestId();
    const rewrapped = first.replace(
      /(<samlp:Response[^>]*?)InResponseTo="[^"]*"/,
      `$1InResponseTo="${rid}"`,
    );
    await rejected(rewrapped, /./);
  });

  it('rejects an unsigned response', async () => {
    await rejected(buildUnsignedResponse(await params()), /signature/i);
  });

  it('rejects a response signed by a key the metadata does not list', async () => {
    await rejected(await buildSignedResponse(await params(), rogue), /signature/i);
  });

  it('rejects an attribute changed after signing', async () => {
    const xml = (await buildSignedResponse(await params(), keys)).replace(
      '>g1<',
      '>mycustomdomain-admins<',
    );
    await rejected(xml, /signature/i);
  });

  it('rejects a wrong audience', async () => {
    await rejected(
      await buildSignedResponse(await params({ audience: 'https://other.example/sp' }), keys),
      /audience/i,
    );
  });

  it('rejects an expired assertion and one not yet valid (beyond the skew)', async () => {
    await rejected(
      await buildSignedResponse(await params({ now: clock.now() - 10 * 60_000 }), keys),
      /expired|subject confirmation/i,
    );
    await rejected(
      await buildSignedResponse(await params({ now: clock.now() + 10 * 60_000 }), keys),
      /not yet valid|subject confirmation/i,
    );
  });

  it('uses the Clock port for the time window', async () => {
    const xml = await buildSignedResponse(await params(), keys);
    offset = 6 * 60_000; // lifetime 5 min + 30 s skew
    try {
      await rejected(xml, /expired|subject confirmation/i);
    } finally {
      offset = 0;
    }
  });

  it('rejects a wrong Recipient and a wrong Destination', async () => {
    await rejected(
      await buildSignedResponse(await params({ recipient: 'https://evil.example/acs' }), keys),
      /Recipient/,
    );
    await rejected(
      await buildSignedResponse(await params({ destination: 'https://evil.example/acs' }), keys),
      /Destination/,
    );
  });

  it('rejects an assertion from another issuer even when signed with the trusted key', async () => {
    await rejected(
      await buildSignedResponse(
        await params({ idpEntityId: 'https://someone-else.example' }),
        keys,
      ),
      /Issuer/,
    );
  });

  it('rejects responses to requests it never made', async () => {
    await rejected(
      await buildSignedResponse(await params({ inResponseTo: null }), keys),
      /InResponseTo/,
      'unsolicited',
    );
    await rejected(
      await buildSignedResponse(await params({ inResponseTo: '_never-issued-by-this-sp' }), keys),
      /InResponseTo/,
      'unsolicited',
    );
  });

  it('rejects signature wrapping: a forged assertion with the signed one hidden elsewhere', async () => {
    // Each variant gets its own genuine response (a failed attempt consumes the request id).
    const wrap = async (build: (signed: string, forged: string) => string) => {
      const genuine = await buildSignedResponse(
        await params({ attributes: { sAMAccountName: ['jdoe'], group: ['students'] } }),
        keys,
      );
      const signed = genuine.match(/<saml:Assertion[\s\S]*<\/saml:Assertion>/)![0];
      const forged = signed
        .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
        .replace(/ID="[^"]*"/, 'ID="_forged"')
        .replace('>jdoe<', '>admin<')
        .replace('>students<', '>mycustomdomain-admins<');
      return genuine.replace(signed, build(signed, forged));
    };
    // XSW 1: forged assertion in place, the genuine one moved into the response's Extensions.
    await rejected(
      await wrap((signed, forged) => `<samlp:Extensions>${signed}</samlp:Extensions>${forged}`),
      /signature/i,
    );
    // XSW 2: the genuine signed assertion wrapped inside the forged one.
    await rejected(
      await wrap((signed, forged) =>
        forged.replace(
          '</saml:Assertion>',
          `<saml:Advice>${signed}</saml:Advice></saml:Assertion>`,
        ),
      ),
      /signature/i,
    );
    // XSW 3: two assertions side by side.
    await rejected(await wrap((signed, forged) => signed + forged), /multiple assertions/i);
    // XSW 4: forged assertion reusing the genuine ID, genuine one hidden in Extensions.
    await rejected(
      await wrap(
        (signed, forged) =>
          `<samlp:Extensions>${signed}</samlp:Extensions>${forged.replace('ID="_forged"', `ID="${/ID="([^"]*)"/.exec(signed)![1]}"`)}`,
      ),
      /signature/i,
    );
  });

  it('re-signing a tampered assertion with a rogue key does not help', async () => {
    const xml = await signAssertion(buildUnsignedResponse(await params()), rogue);
    await rejected(xml, /signature/i);
  });

  it('rejects garbage', async () => {
    await expect(sp.verifyLoginResponse({})).rejects.toBeInstanceOf(SignInRejected);
    await expect(sp.verifyLoginResponse({ SAMLResponse: '!!!' })).rejects.toBeInstanceOf(
      SignInRejected,
    );
    await expect(sp.verifyLoginResponse({ SAMLResponse: b64('<x/>') })).rejects.toBeInstanceOf(
      SignInRejected,
    );
  });

  it('publishes SP metadata with the original identifiers', () => {
    const xml = sp.spMetadataXml();
    expect(xml).toContain(`entityID="${appUrl}/sp"`);
    expect(xml).toContain(`Location="${appUrl}/login/callback"`);
    expect(xml).toContain(`Location="${appUrl}/logout/callback"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
  });
});

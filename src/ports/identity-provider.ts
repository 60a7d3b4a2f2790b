/**
 * The organisation's identity provider as the sign-in use-cases see it. The SAML adapter implements it
 * for a configured IdP and for the built-in development IdP alike, so both follow one code path.
 */

/** Who the IdP vouched for, after every check passed. Attribute values are always lists. */
export interface VerifiedIdentity {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  attributes: Record<string, string[]>;
}

/** Why a sign-in (or logout) message was refused; `reason` is for logs, never shown verbatim. */
export class SignInRejected extends Error {
  constructor(
    readonly reason: string,
    /** Short category for users and metrics. */
    readonly kind: 'invalid' | 'replay' | 'unsolicited' | 'expired' | 'idp-error' = 'invalid',
  ) {
    super(reason);
    this.name = 'SignInRejected';
  }
}

export interface IdentityProvider {
  /** Human name of the IdP for pages ("Sign out of …"). */
  readonly displayName: string;
  /** Origins the browser is sent to (for the CSP form-action directive). */
  readonly origins: string[];
  /** True when the IdP offers single logout. */
  readonly supportsSingleLogout: boolean;
  /** The SP metadata XML the IdP registration uses. */
  spMetadataXml(): string;
  /** URL that starts sign-in at the IdP; remembers the request id for InResponseTo. */
  loginUrl(relayState: string): Promise<string>;
  /**
   * Verify a POSTed SAMLResponse completely (signature, issuer, audience, destination, recipient, time
   * window, InResponseTo, replay). Returns the identity or throws SignInRejected.
   */
  verifyLoginResponse(form: Record<string, string>): Promise<VerifiedIdentity>;
  /** URL that asks the IdP to end its session too; null when the IdP has no single logout. */
  logoutUrl(who: Omit<VerifiedIdentity, 'attributes'>, relayState: string): Promise<string | null>;
  /** Verify the IdP's LogoutResponse (redirect query or POST form). Throws SignInRejected. */
  verifyLogoutResponse(
    message: Record<string, string>,
    rawQuery: string | null,
  ): Promise<{ success: true }>;
}

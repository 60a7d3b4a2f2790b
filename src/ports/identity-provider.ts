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

/** A verified login response, with the id of the request it answered. */
export interface VerifiedLogin extends VerifiedIdentity {
  inResponseTo: string;
}

/** How long a started sign-in stays answerable (people may take a while at an MFA prompt). */
export const SIGN_IN_TTL_MS = 30 * 60_000;

export type RejectionKind =
  | 'invalid'
  | 'replay'
  | 'unsolicited'
  | 'expired'
  | 'idp-error'
  /** The response answers a request this browser did not start (login CSRF, or another device). */
  | 'other-browser';

/** Why a sign-in (or logout) message was refused; `reason` is for logs, never shown verbatim. */
export class SignInRejected extends Error {
  constructor(
    readonly reason: string,
    /** Short category for users and metrics. */
    readonly kind: RejectionKind = 'invalid',
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
  /**
   * Start sign-in: the URL that sends the browser to the IdP, and the id of the request, remembered
   * for InResponseTo. The caller binds that id to the browser.
   */
  startLogin(relayState: string): Promise<{ url: string; requestId: string }>;
  /**
   * Verify a POSTed SAMLResponse completely (signature, issuer, audience, destination, recipient, time
   * window, InResponseTo, replay). `startedHere` are the request ids this browser started: a response
   * to any other request is refused ('other-browser') before anything is consumed, so the browser that
   * did start it can still use it. Returns the identity or throws SignInRejected.
   */
  verifyLoginResponse(
    form: Record<string, string>,
    startedHere: readonly string[],
  ): Promise<VerifiedLogin>;
  /** URL that asks the IdP to end its session too; null when the IdP has no single logout. */
  logoutUrl(who: Omit<VerifiedIdentity, 'attributes'>, relayState: string): Promise<string | null>;
  /** Verify the IdP's LogoutResponse (redirect query or POST form). Throws SignInRejected. */
  verifyLogoutResponse(
    message: Record<string, string>,
    rawQuery: string | null,
  ): Promise<{ success: true }>;
}

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
import type { DevIdentity } from '../../adapters/saml/dev-idp.js';

const LockIcon = () => (
  <svg
    aria-hidden="true"
    width="48"
    height="48"
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    stroke-width="2"
  >
    <rect x="4" y="11" width="16" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </svg>
);

/** The sign-in page: one button that POSTs (so sign-in cannot be started by a cross-site link). */
export function LoginPage(props: {
  productName: string;
  csrfToken: string;
  redirectTo: string;
  devIdp: boolean;
  error?: string;
}) {
  return (
    <section class="center">
      <div>
        <LockIcon />
        <h1>{props.productName}</h1>
        <p class="lead">Simple, secure DNS records and HTTPS certificates.</p>
        {props.error ? (
          <p class="alert error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <input type="hidden" name="redirectTo" value={props.redirectTo} />
          <button type="submit">Sign In</button>
        </form>
        {props.devIdp ? (
          <p class="hint">
            Development mode: you will choose a test identity on the built-in development IdP.
          </p>
        ) : (
          <p class="hint">You will be sent to your organisation's sign-in page.</p>
        )}
      </div>
    </section>
  );
}

/** The request id a student quotes to support when a sign-in keeps failing. */
function SupportReference(props: { requestId: string }) {
  return (
    <p class="hint">
      If this keeps happening, contact support and quote this reference:{' '}
      <span class="mono">{props.requestId}</span>
    </p>
  );
}

/** A sign-in the SP rejected (bad, expired, replayed or unsolicited response; unsafe return path). */
export function SignInFailed(props: { message: string; requestId: string }) {
  return (
    <section class="center">
      <div>
        <h1>Sign-in failed</h1>
        <p class="lead" role="alert">
          {props.message}
        </p>
        <p>
          <a class="btn" href="/login">
            Try again
          </a>
        </p>
        <SupportReference requestId={props.requestId} />
      </div>
    </section>
  );
}

/**
 * A suspended account's sign-in (issue 19): says what suspension means and whom to contact (the
 * configured SUPPORT_CONTACT, else the administrators) instead of offering to try again.
 */
export function AccountSuspended(props: {
  productName: string;
  contact: { label: string; href: string } | null;
  requestId: string;
}) {
  return (
    <section class="center suspended" id="account-suspended">
      <div>
        <h1>Your account is suspended</h1>
        <p class="lead" role="alert">
          An administrator has suspended your {props.productName} account. You cannot sign in, and
          your DNS records are not published while it is suspended.
        </p>
        <p>
          To find out why, or to ask for the suspension to be lifted,{' '}
          {props.contact ? (
            <>
              contact{' '}
              <a href={props.contact.href} id="support-contact">
                {props.contact.label}
              </a>
            </>
          ) : (
            <>contact the administrators of {props.productName}</>
          )}{' '}
          and quote this reference: <span class="mono">{props.requestId}</span>
        </p>
      </div>
    </section>
  );
}

/**
 * A sign-in answer this browser did not ask for (issue 16, login CSRF): nothing happened; one button
 * starts a fresh sign-in from this browser.
 */
export function SignInNotStartedHere(props: {
  productName: string;
  idpName: string;
  csrfToken: string;
  redirectTo: string;
  requestId: string;
}) {
  return (
    <section class="center">
      <div>
        <h1>Sign in again</h1>
        <p class="lead" role="alert">
          The answer from {props.idpName} belongs to a sign-in that was not started in this browser,
          so you were not signed in to {props.productName}.
        </p>
        <p>
          This happens when sign-in was started on another device or in another browser, when it
          took longer than 30 minutes, or when this browser does not keep cookies from this site. If
          you did not try to sign in just now, someone may have tried to sign you in to their own
          account: you can ignore this page.
        </p>
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <input type="hidden" name="redirectTo" value={props.redirectTo} />
          <p>
            <button type="submit">Start again</button>
          </p>
        </form>
        <SupportReference requestId={props.requestId} />
      </div>
    </section>
  );
}

/** Step two of logout: local session ended; offer the IdP's single logout. */
export function LoggedOutPage(props: {
  productName: string;
  name: string;
  idpName: string;
  canSingleLogout: boolean;
  csrfToken: string;
}) {
  return (
    <section class="center">
      <div>
        <p class="lead">
          <strong>{props.name}</strong>
        </p>
        <h1>You have been signed out of {props.productName}.</h1>
        {props.canSingleLogout ? (
          <>
            <p>
              You may still be signed in at {props.idpName}. To sign out of all other services that
              use it as well, choose "Sign out everywhere".
            </p>
            <form method="post" action="/logout">
              <input type="hidden" name="_csrf" value={props.csrfToken} />
              <input type="hidden" name="everywhere" value="1" />
              <p>
                <button type="submit">Sign out everywhere</button>{' '}
                <a class="btn secondary" href="/login">
                  Back to Sign In
                </a>
              </p>
            </form>
          </>
        ) : (
          <p>
            <a class="btn secondary" href="/login">
              Back to Sign In
            </a>
          </p>
        )}
      </div>
    </section>
  );
}

export function SignedOutEverywhere(props: { idpName: string }) {
  return (
    <section class="center">
      <div>
        <h1>Signed out everywhere</h1>
        <p class="lead">{props.idpName} confirmed that you are signed out.</p>
        <p>
          <a class="btn" href="/login">
            Back to Sign In
          </a>
        </p>
      </div>
    </section>
  );
}

/** Development IdP: pick who to be. */
export function DevIdpPicker(props: {
  identities: readonly DevIdentity[];
  requestId: string;
  relayState: string;
  csrfToken: string;
}) {
  return (
    <>
      <h1>Development sign-in</h1>
      <p class="lead">
        This built-in identity provider exists only outside production. Choose a test identity; you
        will be signed in with a real signed SAML response.
      </p>
      <form method="post" action="/dev-idp/sso">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="requestId" value={props.requestId} />
        <input type="hidden" name="RelayState" value={props.relayState} />
        <div class="cards">
          {props.identities.map((i) => (
            <section class="card" aria-labelledby={`id-${i.key}`}>
              <h2 id={`id-${i.key}`}>{i.displayName}</h2>
              <p class="hint">
                <span class="mono">{i.username}</span> · {i.email}
                <br />
                Groups: {i.groups.join(', ')}
              </p>
              <p>
                <button type="submit" name="identity" value={i.key}>
                  Sign in as {i.displayName}
                </button>
              </p>
            </section>
          ))}
        </div>
      </form>
    </>
  );
}

/** The HTTP-POST binding: a form carrying the SAMLResponse to the ACS, submitted by script or by hand. */
export function AutoPostForm(props: {
  action: string;
  samlResponse: string;
  relayState: string;
  nonce: string;
}) {
  return (
    <section class="center">
      <div>
        <h1>Signing you in…</h1>
        <form id="saml-post" method="post" action={props.action}>
          <input type="hidden" name="SAMLResponse" value={props.samlResponse} />
          <input type="hidden" name="RelayState" value={props.relayState} />
          <button type="submit">Continue</button>
        </form>
        <script
          nonce={props.nonce}
          dangerouslySetInnerHTML={{ __html: "document.getElementById('saml-post').submit();" }}
        />
      </div>
    </section>
  );
}

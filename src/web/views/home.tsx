/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
import type { User } from '../../db/schema.js';

export interface LandingProps {
  productName: string;
  user: User;
  isAdmin: boolean;
  baseDomain: string;
  dnsRecordCount: number;
  hasCertificate: boolean;
}

/** The signed-in landing page: one card per area, as in the original. */
export function HomePage(props: LandingProps) {
  return (
    <>
      <h1>Welcome to {props.productName}!</h1>
      <p class="lead">
        Hello {props.user.display_name}. Your domain is{' '}
        <strong class="mono">{props.baseDomain}</strong>: create DNS records under it for your
        projects, and get a free HTTPS certificate that covers it and every name below it.
      </p>
      <div class="cards">
        {props.isAdmin ? (
          <section class="card" aria-labelledby="card-admin">
            <h2 id="card-admin">Admin</h2>
            <p>Search, view, and manage users, their DNS records and certificates.</p>
            <p>
              <a class="btn" href="/admin">
                Admin
              </a>
            </p>
          </section>
        ) : null}
        <section class="card" aria-labelledby="card-dns">
          <h2 id="card-dns">DNS Records</h2>
          <p>
            Point names like <span class="mono">www.{props.baseDomain}</span> at your servers, mail
            or text records. Records expire unless you renew them. See the{' '}
            <a href="/dns-records/instructions">instructions page</a> to learn more.
          </p>
          <p>
            <a class="btn" href="/dns-records">
              {props.dnsRecordCount === 0 ? 'Create DNS Records' : 'Manage DNS Records'}
            </a>
          </p>
        </section>
        <section class="card" aria-labelledby="card-cert">
          <h2 id="card-cert">Certificate</h2>
          <p>
            One certificate covers <span class="mono">{props.baseDomain}</span> and{' '}
            <span class="mono">*.{props.baseDomain}</span>. Read the{' '}
            <a href="/certificate/information">information page</a> to learn how to use it.
          </p>
          <p>
            <a class="btn" href="/certificate">
              {props.hasCertificate ? 'Manage Certificate' : 'Create Certificate'}
            </a>
          </p>
        </section>
        <section class="card" aria-labelledby="card-tokens">
          <h2 id="card-tokens">Tokens</h2>
          <p>
            Let your own programs update records and renew certificates: scripts, dynamic DNS,
            certbot, lego, Caddy or cert-manager, each with a token limited to what it needs.
          </p>
          <p>
            <a class="btn" href="/tokens">
              Manage Tokens
            </a>
          </p>
        </section>
      </div>
    </>
  );
}

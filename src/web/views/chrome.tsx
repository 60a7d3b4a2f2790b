/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from '../jsx/runtime.js';
import type { ActiveSession } from '../../domain/sessions/sessions.js';

const NAV = [
  { href: '/dns-records', label: 'DNS Records' },
  { href: '/certificate', label: 'Certificate' },
  { href: '/tokens', label: 'Tokens' },
  { href: '/history', label: 'History' },
] as const;

/** Header navigation and user menu for signed-in pages. */
export function SiteHeader(props: { session: ActiveSession; csrfToken: string; path: string }) {
  const { session } = props;
  const showAdmin = session.user.role === 'admin' && !session.impersonating;
  const links = showAdmin ? [...NAV, { href: '/admin', label: 'Admin' }] : NAV;
  const current = (href: string) =>
    props.path === href || props.path.startsWith(`${href}/`) ? 'page' : undefined;
  return (
    <>
      <nav aria-label="Main">
        {links.map((l) => (
          <a href={l.href} aria-current={current(l.href)}>
            {l.label}
          </a>
        ))}
      </nav>
      <div class="who">
        <span id="header-user" title={session.user.username}>
          {session.user.display_name}
        </span>
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <button type="submit" class="link">
            Sign out
          </button>
        </form>
      </div>
    </>
  );
}

/** Shown on every page while an admin acts as someone else. */
export function ImpersonationBanner(props: { session: ActiveSession; csrfToken: string }) {
  const { user, effectiveUser } = props.session;
  return (
    <div class="banner" role="status">
      <div class="bar">
        <strong>
          Impersonating: {effectiveUser.display_name} ({effectiveUser.username})
        </strong>
        <span>
          Pages show and change this person's data. You are signed in as {user.display_name}.
        </span>
        <form method="post" action="/admin/impersonation/stop" class="inline">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <input type="hidden" name="_as" value={String(effectiveUser.id)} />
          <button type="submit" class="small">
            Stop impersonating
          </button>
        </form>
      </div>
    </div>
  );
}

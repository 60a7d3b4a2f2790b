/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
import type { ActiveSession } from '../../domain/sessions/sessions.js';
import { Icon, type IconName } from './icons.js';

const NAV = [
  { href: '/dns-records', label: 'DNS Records', icon: 'globe' },
  { href: '/certificate', label: 'Certificate', icon: 'shield-check' },
  { href: '/namespaces', label: 'Namespaces', icon: 'users' },
  { href: '/tokens', label: 'Tokens', icon: 'key-round' },
  { href: '/history', label: 'History', icon: 'history' },
] as const satisfies readonly { href: string; label: string; icon: IconName }[];

/**
 * Header navigation and user menu for signed-in pages. On phones it folds behind a "Menu" button: a
 * <details>/<summary> pair, so it opens and closes without JavaScript and assistive technology announces
 * it as expanded or collapsed; on wider screens the stylesheet shows its content inline and hides the
 * button.
 */
export function SiteHeader(props: { session: ActiveSession; csrfToken: string; path: string }) {
  const { session } = props;
  const showAdmin = session.user.role === 'admin' && !session.impersonating;
  const links: readonly { href: string; label: string; icon: IconName }[] = showAdmin
    ? [...NAV, { href: '/admin', label: 'Admin', icon: 'user-cog' }]
    : NAV;
  const current = (href: string) =>
    props.path === href || props.path.startsWith(`${href}/`) ? 'page' : undefined;
  return (
    <details class="menu">
      <summary>
        <Icon name="menu" class="when-closed" />
        <Icon name="x" class="when-open" />
        Menu
      </summary>
      <div class="menu-panel">
        <nav aria-label="Main">
          <ul>
            {links.map((l) => (
              <li>
                <a href={l.href} aria-current={current(l.href)}>
                  <Icon name={l.icon} />
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span id="header-user" title={session.user.username}>
            {session.user.display_name}
          </span>
          <form method="post" action="/logout">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="link">
              <Icon name="log-out" />
              Sign out
            </button>
          </form>
        </div>
      </div>
    </details>
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

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { Fragment, h } from './jsx/runtime.js';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppEnv } from './env.js';
import { sendHtml } from './middleware/compression.js';
import { Layout } from './views/layout.js';
import type { Asset } from './static/assets.js';

export interface PageShell {
  productName: string;
  assets: Record<string, Asset>;
  footerLinks: { href: string; label: string }[];
  /** The rest of the footer: the policy link, the copyright line (year filled in per page), the mailbox. */
  footer?: { acceptableUsePolicyUrl: string | null; copyright: () => string; devMailbox: boolean };
  /** Header and banner for the current request (user menu, impersonation); added by later middleware. */
  chrome?: (c: Context<AppEnv>) => { header?: Child; banner?: Child };
}

/** Render a full page through the shared layout. */
export function renderPage(
  c: Context<AppEnv>,
  shell: PageShell,
  title: string,
  body: Child,
  status = 200,
) {
  return sendHtml(c, pageHtml(c, shell, title, body), status);
}

/** A full page through the shared layout, as the HTML document sent (see renderPage). */
export function pageHtml(c: Context<AppEnv>, shell: PageShell, title: string, body: Child): string {
  const chrome = shell.chrome?.(c) ?? {};
  const html = (
    <Layout
      title={title}
      productName={shell.productName}
      nonce={c.get('nonce')}
      assets={shell.assets}
      footerLinks={shell.footerLinks}
      acceptableUsePolicyUrl={shell.footer?.acceptableUsePolicyUrl ?? null}
      copyright={shell.footer?.copyright()}
      devMailbox={shell.footer?.devMailbox ?? false}
      header={chrome.header}
      banner={chrome.banner}
    >
      {body}
    </Layout>
  );
  return `<!doctype html>${html.toString()}`;
}

/**
 * A confirmation page: the whole page, or (a request from app.js, HX-Request) just the question,
 * which app.js shows in a <dialog>. `view(true)` renders the question for the dialog: a lower
 * heading, and Cancel marked data-close.
 */
export function renderConfirmation(
  c: Context<AppEnv>,
  shell: PageShell,
  title: string,
  view: (dialog: boolean) => Child,
  status = 200,
) {
  c.header('Vary', 'HX-Request');
  c.header('Cache-Control', 'no-store');
  if (
    c.req.header('hx-request') === 'true' &&
    c.req.header('hx-history-restore-request') !== 'true'
  )
    return c.html(<>{view(true)}</>, status as 200);
  return renderPage(c, shell, title, view(false), status);
}

/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
import { Icon } from './icons.js';
import type { Child } from 'hono/jsx';
import type { Asset } from '../static/assets.js';

export interface LayoutProps {
  title: string;
  productName: string;
  nonce: string;
  assets: Record<string, Asset>;
  /** Header content to the right (navigation, user menu); empty for public pages. */
  header?: Child;
  banner?: Child;
  footerLinks?: { href: string; label: string }[];
  /** ACCEPTABLE_USE_POLICY_URL; null/undefined = no link. */
  acceptableUsePolicyUrl?: string | null;
  /** The copyright line with the year filled in. */
  copyright?: string;
  /** Link to the development mailbox (outside production only, where the mailbox is mounted). */
  devMailbox?: boolean;
  children?: Child;
}

/** The page shell every view renders into: accessible landmarks, htmx loaded with the CSP nonce. */
export function Layout(props: LayoutProps) {
  const { assets } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>
          {props.title === props.productName
            ? props.title
            : `${props.title} · ${props.productName}`}
        </title>
        <meta name="description" content="Simple, secure DNS records and HTTPS certificates" />
        {/* htmx would inject an inline <style> for request indicators, which the CSP refuses. */}
        <meta name="htmx-config" content='{"includeIndicatorStyles":false}' />
        <meta name="color-scheme" content="light dark" />
        <meta name="theme-color" content="#b30f0e" />
        <link rel="stylesheet" href={assets['app.css']!.url} />
        <link rel="icon" href={assets['favicon-32.png']!.url} sizes="32x32" type="image/png" />
        <link rel="icon" href={assets['favicon.svg']!.url} type="image/svg+xml" />
        <link rel="apple-touch-icon" href={assets['apple-touch-icon.png']!.url} />
        <link rel="manifest" href={assets['app.webmanifest']!.url} />
        <script nonce={props.nonce} src={assets['htmx.min.js']!.url} defer></script>
        <script nonce={props.nonce} src={assets['app.js']!.url} defer></script>
      </head>
      <body hx-boost="false">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site">
          <div class="bar">
            <a class="brand" href="/">
              {props.productName}
            </a>
            {props.header}
          </div>
        </header>
        {props.banner}
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <footer class="site">
          <div class="bar">
            <nav aria-label="Footer">
              <ul>
                {props.acceptableUsePolicyUrl && (
                  <li>
                    <a href={props.acceptableUsePolicyUrl}>Acceptable Use Policy</a>
                  </li>
                )}
                {(props.footerLinks ?? []).map((l) => (
                  <li>
                    <a href={l.href}>{l.label}</a>
                  </li>
                ))}
                {props.devMailbox && (
                  <li>
                    <a href="/dev/mailbox" class="dev">
                      <Icon name="inbox" />
                      Development mailbox
                    </a>
                  </li>
                )}
              </ul>
            </nav>
            <p class="copyright">{props.copyright ?? props.productName}</p>
          </div>
        </footer>
      </body>
    </html>
  );
}

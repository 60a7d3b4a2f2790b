/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
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
        <link rel="stylesheet" href={assets['app.css']!.url} />
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
            {(props.footerLinks ?? []).map((l) => (
              <a href={l.href}>{l.label}</a>
            ))}
            <span>{props.productName}</span>
          </div>
        </footer>
      </body>
    </html>
  );
}

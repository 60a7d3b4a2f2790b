/**
 * Plain-text and simple HTML bodies for every email. Product name and links come from configuration.
 */
import { escapeHtml } from '../../escape.js';

export interface EmailContext {
  productName: string;
  appUrl: string;
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Build an email from a greeting, paragraphs, an optional list and one call to action. */
export function composeEmail(
  ctx: EmailContext,
  parts: {
    subject: string;
    greeting: string;
    paragraphs: string[];
    items?: string[];
    action?: { label: string; path: string };
  },
): EmailContent {
  const link = parts.action ? `${ctx.appUrl}${parts.action.path}` : ctx.appUrl;
  const text = [
    `${parts.greeting},`,
    '',
    ...parts.paragraphs.flatMap((p) => [p, '']),
    ...(parts.items && parts.items.length > 0 ? [...parts.items.map((i) => `  - ${i}`), ''] : []),
    parts.action ? `${parts.action.label}: ${link}` : `${ctx.productName}: ${link}`,
    '',
    `— ${ctx.productName}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1d1f23;line-height:1.5;max-width:36rem">
<p>${escapeHtml(parts.greeting)},</p>
${parts.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${parts.items && parts.items.length > 0 ? `<ul>${parts.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>` : ''}
<p><a href="${escapeHtml(link)}" style="background:#b30f0e;color:#fff;padding:.5rem 1rem;border-radius:6px;text-decoration:none">${escapeHtml(parts.action?.label ?? `Open ${ctx.productName}`)}</a></p>
<p style="color:#5b616b;font-size:.9rem">${escapeHtml(ctx.productName)}</p>
</body></html>`;
  return { subject: `${ctx.productName}: ${parts.subject}`, text, html };
}

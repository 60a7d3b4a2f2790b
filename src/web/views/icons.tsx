/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
/**
 * Icons: Lucide's SVGs (lucide-static, installed from npm) in one fingerprinted sprite served by the
 * app, so no icon font and no CDN. Only the icons named here reach the production bundle (esbuild keeps the
 * named imports of lucide-static's ES module build and drops the other ~2,500), so add a name here when a
 * view needs one, and use them sparingly.
 *
 * Icons are decorative: aria-hidden and focusable="false" (old Edge/IE would otherwise put the SVG in the
 * tab order); the text beside an icon, or the control's aria-label, says what it means. Colour follows
 * the text (currentColor); size and stroke come from the stylesheet (.icon, 1.15em by default).
 */
import {
  Globe,
  History,
  Inbox,
  KeyRound,
  LogOut,
  Menu,
  ShieldCheck,
  UserCog,
  Users,
  X,
} from 'lucide-static';
import { escapeHtml, safe } from '../jsx/runtime.js';
import { fingerprintUrl } from '../static/assets.js';

const SOURCES = {
  globe: Globe,
  history: History,
  inbox: Inbox,
  'key-round': KeyRound,
  'log-out': LogOut,
  menu: Menu,
  'shield-check': ShieldCheck,
  'user-cog': UserCog,
  users: Users,
  x: X,
} as const;

export type IconName = keyof typeof SOURCES;

/**
 * Lucide's shapes without its <svg> wrapper and whitespace: the wrapper's drawing attributes (stroke,
 * fill, width) live in the stylesheet's .icon rule, so each icon costs the page only its paths.
 */
function shapes(svg: string): string {
  return svg
    .replace(/^[\s\S]*?<svg[^>]*>/, '')
    .replace(/<\/svg>[\s\S]*$/, '')
    .replace(/>\s+</g, '><')
    .replace(/\s*\/>/g, '/>')
    .trim();
}

const SHAPES: Record<IconName, string> = Object.fromEntries(
  Object.entries(SOURCES).map(([name, svg]) => [name, shapes(svg)]),
) as Record<IconName, string>;

/**
 * Every icon as a <symbol> in one SVG file (served fingerprinted and cached for a year by
 * static/assets.ts): a page references an icon in a few bytes instead of carrying its paths, which
 * keeps pages such as the records list inside their size budget.
 */
export const ICON_SPRITE = `<svg xmlns="http://www.w3.org/2000/svg">${Object.entries(SHAPES)
  .map(([name, paths]) => `<symbol id="${name}" viewBox="0 0 24 24">${paths}</symbol>`)
  .join('')}</svg>`;
const SPRITE_URL = fingerprintUrl('icons.svg', ICON_SPRITE);

/** An icon from the sprite; `class` adds to "icon" (e.g. "icon when-open"). */
export function Icon(props: { name: IconName; class?: string }) {
  const cls = props.class ? `icon ${props.class}` : 'icon';
  return safe(
    `<svg class="${escapeHtml(cls)}" aria-hidden="true" focusable="false"><use href="${SPRITE_URL}#${props.name}"/></svg>`,
  );
}

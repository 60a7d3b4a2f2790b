import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { dnsLabelFor, roleFromGroups } from '../../src/domain/users/roles.js';
import { safeRedirectPath } from '../../src/web/safe-redirect.js';
import {
  LEGITIMATE_REDIRECTS,
  hostileRedirects,
  offSiteReason,
} from '../support/redirect-corpus.js';

const patterns = {
  admin: '^mycustomdomain(-dev)?-admins$',
  faculty: '^mycustomdomain(-dev)?-faculty$',
  student: '^mycustomdomain(-dev)?-students$',
};

describe('roleFromGroups', () => {
  it('maps groups to the highest role; -dev groups count too', () => {
    expect(roleFromGroups(['mycustomdomain-students'], patterns)).toEqual({
      role: 'student',
      member: true,
    });
    expect(roleFromGroups(['mycustomdomain-dev-faculty'], patterns)).toEqual({
      role: 'faculty',
      member: true,
    });
    expect(roleFromGroups(['mycustomdomain-faculty', 'mycustomdomain-admins'], patterns)).toEqual({
      role: 'admin',
      member: true,
    });
    expect(roleFromGroups(['MyCustomDomain-Admins'], patterns).role).toBe('admin');
  });
  it('does not match groups that merely contain a role name', () => {
    expect(roleFromGroups(['not-mycustomdomain-admins-x'], patterns)).toEqual({
      role: 'student',
      member: false,
    });
    expect(roleFromGroups([], patterns)).toEqual({ role: 'student', member: false });
  });
});

describe('dnsLabelFor', () => {
  it('lower-cases and removes dots, as the original', () => {
    expect(dnsLabelFor('Han.Solo')).toBe('hansolo');
    expect(dnsLabelFor('user1')).toBe('user1');
    expect(dnsLabelFor('a-b')).toBe('a-b');
  });
  it('refuses usernames that cannot be a DNS label', () => {
    expect(dnsLabelFor('under_score')).toBeNull();
    expect(dnsLabelFor('-lead')).toBeNull();
    expect(dnsLabelFor('x'.repeat(64))).toBeNull();
    expect(dnsLabelFor('...')).toBeNull();
    // Letters that lower-case into ASCII: KELVIN SIGN → "k" would claim "kate".
    expect(dnsLabelFor('\u212Aate')).toBeNull();
    expect(dnsLabelFor('k\u0307')).toBeNull();
  });
});

describe('safeRedirectPath', () => {
  const appUrl = 'http://localhost:8080';
  it('keeps the paths of pages unchanged, and an absent value means /', () => {
    for (const path of LEGITIMATE_REDIRECTS) expect(safeRedirectPath(path, appUrl)).toBe(path);
    expect(safeRedirectPath(undefined, appUrl)).toBe('/');
    expect(safeRedirectPath(null, appUrl)).toBe('/');
    expect(safeRedirectPath('', appUrl)).toBe('/');
  });

  it('refuses every value of the generated corpus (dot-segments, encodings, schemes, unicode, ...)', () => {
    const corpus = hostileRedirects();
    expect(corpus.length).toBeGreaterThan(1000);
    const accepted = corpus.filter((v) => safeRedirectPath(v, appUrl) !== null);
    expect(accepted).toEqual([]);
  });

  it('refuses the dot-segment forms browsers collapse into //host (issue 16)', () => {
    for (const v of ['/.//evil.example', '/..//evil.example', '/%2e//evil.example', '/./'])
      expect(safeRedirectPath(v, appUrl)).toBeNull();
  });

  it("whatever it accepts stays on APP_URL's origin, for http and https APP_URLs", () => {
    for (const base of ['http://localhost:8080', 'https://mycustomdomain.example.edu']) {
      for (const v of [...hostileRedirects(), ...LEGITIMATE_REDIRECTS]) {
        const out = safeRedirectPath(v, base);
        if (out !== null) expect([v, offSiteReason(out, base)]).toEqual([v, null]);
      }
    }
  });
});

describe('sign-in configuration', () => {
  const base = {
    NODE_ENV: 'test',
    DATA_DIR: '/tmp/starchart-config-test',
    SESSION_SECRET: 'x'.repeat(40),
    SECRETS_OVERRIDE: '1',
  };
  it('defaults to the original attribute names, role patterns and the development IdP', () => {
    const c = loadConfig(base);
    expect(c.saml.attributes).toEqual({
      username: 'sAMAccountName',
      displayName: 'displayname',
      email: 'email',
      groups: 'group',
    });
    expect(c.saml.rolePatterns).toEqual(patterns);
    expect(c.saml.devIdp).toBe(true);
    expect(c.saml.requireGroup).toBe(false);
    expect(c.saml.clockSkewMs).toBe(60_000);
    expect(c.footerLinks[0]?.label).toBe('GitHub');
  });
  it('parses footer links and rejects bad ones and bad patterns', () => {
    const c = loadConfig({ ...base, FOOTER_LINKS: 'Policy|https://example.edu/aup; Help|/help' });
    expect(c.footerLinks).toEqual([
      { label: 'Policy', href: 'https://example.edu/aup' },
      { label: 'Help', href: '/help' },
    ]);
    expect(() => loadConfig({ ...base, FOOTER_LINKS: 'Bad|javascript:alert(1)' })).toThrow(
      /FOOTER_LINKS/,
    );
    expect(() => loadConfig({ ...base, ROLE_ADMIN_GROUP_PATTERN: '(' })).toThrow(
      /ROLE_ADMIN_GROUP_PATTERN/,
    );
    expect(() => loadConfig({ ...base, SAML_CLOCK_SKEW_S: '9999' })).toThrow(/SAML_CLOCK_SKEW_S/);
  });
  it('cannot run the development IdP in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SECRETS_DIR: '/nonexistent' })).toThrow(
      /SAML_IDP_METADATA_PATH is required in production/,
    );
  });
});

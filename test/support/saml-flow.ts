/**
 * A plain-HTTP "browser" for SAML flows: per-origin cookie jar, manual redirects, and helpers that read
 * HTML forms. It can talk to the app in-process (Hono app.request) and to real servers (SimpleSAMLphp,
 * a running app) with fetch, so the same flow drives tests and the benchmark.
 */

export type InProcessHandler = (path: string, init?: RequestInit) => Promise<Response>;

export class HttpBrowser {
  readonly jar = new Map<string, Map<string, string>>();
  constructor(private readonly inProcess?: { origin: string; handler: InProcessHandler }) {}

  cookies(origin: string): Map<string, string> {
    let m = this.jar.get(origin);
    if (!m) this.jar.set(origin, (m = new Map()));
    return m;
  }

  /** One request, no redirect following; cookies stored and sent per origin. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.cookies(u.origin);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const req = { ...init, headers, redirect: 'manual' as const };
    const res =
      this.inProcess && u.origin === this.inProcess.origin
        ? await this.inProcess.handler(u.pathname + u.search, req)
        : await fetch(url, req);
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '')
        jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /** Follow redirects (GET) until a non-redirect answer; returns it and the final URL. */
  async follow(
    url: string,
    init: RequestInit = {},
    max = 10,
  ): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = url;
    for (let i = 0; i < max && res.status >= 300 && res.status < 400; i++) {
      const loc = res.headers.get('location');
      if (!loc) break;
      current = new URL(loc, current).toString();
      await res.arrayBuffer();
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async postForm(url: string, form: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const attrs = (tag: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g))
    out[m[1]!.toLowerCase()] = decodeEntities(m[3] ?? m[4] ?? '');
  return out;
};

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

/** The forms of an HTML page with their hidden/text input values (first form first). */
export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attrs(m[1]!);
    const fields: Record<string, string> = {};
    for (const i of m[2]!.matchAll(/<input\b[^>]*>/gi)) {
      const ia = attrs(i[0]);
      if (ia.name) fields[ia.name] = ia.value ?? '';
    }
    forms.push({ action: a.action ?? '', method: (a.method ?? 'get').toLowerCase(), fields });
  }
  return forms;
}

/** GET /login, POST its form: returns the IdP URL the app redirected to. */
export async function startSignIn(
  browser: HttpBrowser,
  appUrl: string,
  redirectTo = '/',
): Promise<string> {
  const page = await browser.request(
    `${appUrl}/login?redirectTo=${encodeURIComponent(redirectTo)}`,
  );
  if (page.status !== 200) throw new Error(`GET /login answered ${page.status}`);
  const form = parseForms(await page.text()).find((f) => f.action === '/login');
  if (!form) throw new Error('no sign-in form on /login');
  const res = await browser.postForm(`${appUrl}/login`, form.fields);
  const loc = res.headers.get('location');
  if (res.status !== 303 || !loc) throw new Error(`POST /login answered ${res.status}`);
  return loc;
}

export interface AcsPost {
  acsUrl: string;
  fields: Record<string, string>;
}

/** At SimpleSAMLphp: follow to the login form, submit credentials, return the auto-POST to the ACS. */
export async function loginAtSimpleSamlPhp(
  browser: HttpBrowser,
  idpUrl: string,
  username: string,
  password: string,
): Promise<AcsPost> {
  const { res, url } = await browser.follow(idpUrl);
  let html = await res.text();
  let forms = parseForms(html);
  const login = forms.find((f) => 'AuthState' in f.fields);
  if (login) {
    const action = new URL(login.action || '?', url).toString();
    const posted = await browser.postForm(action, { ...login.fields, username, password });
    const after =
      posted.status >= 300 && posted.status < 400
        ? await browser.follow(new URL(posted.headers.get('location')!, action).toString())
        : { res: posted, url: action };
    html = await after.res.text();
    forms = parseForms(html);
  }
  const post = forms.find((f) => 'SAMLResponse' in f.fields);
  if (!post)
    throw new Error(`SimpleSAMLphp did not return a SAMLResponse form: ${html.slice(0, 400)}`);
  return { acsUrl: new URL(post.action, url).toString(), fields: post.fields };
}

/** Complete a sign-in: start at the app, log in at SimpleSAMLphp, post to the ACS. Returns the ACS answer. */
export async function signInThroughSimpleSamlPhp(
  browser: HttpBrowser,
  appUrl: string,
  username: string,
  password: string,
  redirectTo = '/',
): Promise<Response> {
  const idpUrl = await startSignIn(browser, appUrl, redirectTo);
  const post = await loginAtSimpleSamlPhp(browser, idpUrl, username, password);
  return browser.postForm(post.acsUrl, post.fields);
}

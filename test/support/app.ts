/**
 * An in-memory instance of the web app on a real database (either dialect), plus a cookie-keeping agent
 * that signs in by creating a real session row and adds the CSRF token to state-changing requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../src/config.js';
import {
  type Container,
  type ContainerOptions,
  createContainer,
  prepareSchema,
} from '../../src/container.js';
import type { User } from '../../src/db/schema.js';
import type { Logger } from '../../src/logger.js';
import { createSession } from '../../src/domain/sessions/sessions.js';
import { type WebApp, createApp } from '../../src/web/app.js';
import { SESSION_COOKIE } from '../../src/web/middleware/session.js';
import { type Dialect, silentLogger, uniqueDatabaseConfig } from './db.js';
import { TEST_REDIS_URL } from './env.js';

export interface TestApp {
  config: Config;
  container: Container;
  /** The Hono app itself, e.g. to enumerate its routes. */
  app: WebApp['app'];
  request: (path: string, init?: RequestInit) => Promise<Response>;
  agent: (user?: User) => Promise<Agent>;
  cleanup: () => Promise<void>;
}

export interface TestAppOptions extends ContainerOptions {
  dialect?: Dialect;
  /** Logger for the app (default: silent), e.g. to assert on what operators see. */
  logger?: Logger;
  redis?: boolean;
  env?: Record<string, string>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'starchart-app-'));
  const dbCfg = uniqueDatabaseConfig(options.dialect ?? 'sqlite');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: dbCfg.url,
    ROOT_DOMAIN: 'starchart.test',
    APP_URL: 'http://localhost:8080',
    ...(options.redis ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  });
  const container = await createContainer(config, options.logger ?? silentLogger, {
    ...options,
    redisPrefix: options.redisPrefix ?? `starchart-test-${process.pid}-${Date.now()}`,
  });
  await prepareSchema(container);
  const { app } = createApp(container);
  const request = async (p: string, init?: RequestInit) => app.request(p, init);
  return {
    config,
    container,
    app,
    request,
    agent: async (user?: User) => {
      const agent = new Agent(request);
      if (user) {
        const s = await createSession(
          container.dbh.db,
          {
            secret: config.sessionSecret,
            idleTimeoutMs: config.session.idleTimeoutMs,
            absoluteTimeoutMs: config.session.absoluteTimeoutMs,
          },
          user.id,
          container.clock.now(),
        );
        agent.cookies.set(SESSION_COOKIE, s.cookie);
        agent.csrfToken = s.csrfToken;
      }
      return agent;
    },
    async cleanup() {
      await container.queue.close(1000);
      await container.close();
      await dbCfg.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Minimal browser-like client: keeps cookies, follows nothing, adds _csrf to form posts. */
export class Agent {
  cookies = new Map<string, string>();
  csrfToken: string | null = null;
  constructor(private readonly send: (path: string, init?: RequestInit) => Promise<Response>) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(p: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.send(p, { headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    // Like a browser, later forms carry the token of the page last shown (it changes while an admin
    // acts as someone else: actingCsrfToken).
    if (res.headers.get('content-type')?.includes('text/html')) {
      const token = /name="_csrf" value="([^"]+)"/.exec(await res.clone().text())?.[1];
      if (token) this.csrfToken = token;
    }
    return res;
  }

  /** POST a form; the CSRF token is added unless `csrf: false`. */
  async post(
    p: string,
    form: Record<string, string> = {},
    opts: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const body = new URLSearchParams(form);
    if (opts.csrf !== false && this.csrfToken && !body.has('_csrf'))
      body.set('_csrf', this.csrfToken);
    const res = await this.send(p, {
      method: 'POST',
      body: body.toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: this.cookieHeader(),
        ...opts.headers,
      },
    });
    this.remember(res);
    return res;
  }
}

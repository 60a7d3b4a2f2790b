/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
import { Hono } from 'hono';
import type { Container } from '../../container.js';
import { describeAccount } from '../../domain/users/overview.js';
import type { AppEnv } from '../env.js';
import { requireUser } from '../middleware/session.js';
import { type PageShell, renderPage } from '../render.js';
import { HomePage } from '../views/home.js';

/** The signed-in landing page; anonymous visitors go to /login?redirectTo=/. */
export function homeRoutes(container: Container, shell: PageShell): Hono<AppEnv> {
  const { config } = container;
  const app = new Hono<AppEnv>();
  app.get('/', requireUser, async (c) => {
    const session = c.get('session')!;
    const user = session.effectiveUser;
    const overview = await describeAccount(container.dbh.db, user, config.rootDomain);
    return renderPage(
      c,
      shell,
      config.productName,
      <HomePage
        productName={config.productName}
        user={user}
        isAdmin={session.user.role === 'admin' && !session.impersonating}
        {...overview}
      />,
    );
  });
  return app;
}

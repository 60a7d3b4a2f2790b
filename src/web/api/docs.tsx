/** @jsxRuntime classic */
/** @jsx h */
/** @jsxFrag Fragment */
import { h } from '../jsx/runtime.js';
/** GET /docs/api: the readable API page (public; rendered from the generated OpenAPI document). */
import { Hono } from 'hono';
import type { Container } from '../../container.js';
import type { AppEnv } from '../env.js';
import { type PageShell, renderPage } from '../render.js';
import { ApiDocsPage } from '../views/api-docs.js';
import { buildOpenApi } from './openapi.js';
import { PROBLEMS, type ProblemKind } from './problem.js';

export function apiDocsRoutes(container: Container, shell: PageShell) {
  const { config } = container;
  const doc = buildOpenApi(config.appUrl, config.productName);
  const problems = (Object.keys(PROBLEMS) as ProblemKind[]).map((kind) => ({
    kind,
    ...PROBLEMS[kind],
  }));
  const apiUrl = `${config.appUrl.replace(/\/+$/, '')}/api/v1`;
  const app = new Hono<AppEnv>();
  app.get('/docs/api', (c) =>
    renderPage(
      c,
      shell,
      'API',
      <ApiDocsPage
        productName={config.productName}
        doc={doc}
        problems={problems}
        apiUrl={apiUrl}
      />,
    ),
  );
  return app;
}

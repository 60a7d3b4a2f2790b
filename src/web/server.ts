/**
 * The HTTP server for the web app: @hono/node-server's, with the settings request bodies rely on (see
 * body.ts and middleware/request-body.ts).
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AppEnv } from './env.js';

/** Largest request head (request line and headers) Node accepts; above it Node answers 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Listen on port (0 = any free one) and host; resolves once listening. */
export function serveApp(app: Hono<AppEnv>, port: number, hostname: string): Promise<Server> {
  return new Promise<Server>((resolve) => {
    const server = serve(
      {
        fetch: app.fetch,
        port,
        hostname,
        // Node's own default, stated so a NODE_OPTIONS flag cannot raise it.
        serverOptions: { maxHeaderSize: MAX_HEADER_BYTES },
        // @hono/node-server would otherwise read and drop up to 64 MB of a body left unread after the
        // answer; the app closes such connections itself (closeAfterAnswer), reading almost nothing.
        autoCleanupIncoming: false,
      },
      () => resolve(server),
    ) as Server;
    // Expect: 100-continue — Node would invite the body at once; instead the request goes to the app
    // like any other, and readBody sends the 100 only when a route reads the body. A request refused
    // before that (401, 404, 413 by declared length, 415) is answered without the client sending it.
    server.on('checkContinue', (req, res) => server.emit('request', req, res));
  });
}

/**
 * The HTTP server for the web app: @hono/node-server's, with the settings request bodies rely on (see
 * body.ts and middleware/request-body.ts).
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { bindProblem } from '../errors.js';
import type { AppEnv } from './env.js';

/** Largest request head (request line and headers) Node accepts; above it Node answers 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Listen on port (0 = any free one) and host; resolves once listening, rejects when the port cannot be
 * bound (in use, or privileged) with a StartupError naming PORT.
 */
export function serveApp(app: Hono<AppEnv>, port: number, hostname: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
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
      () => {
        server.off('error', onListenError);
        resolve(server);
      },
    ) as Server;
    // Without a listener Node throws the bind error from the event loop as an uncaught stack trace.
    const onListenError = (err: Error) => {
      server.close();
      reject(bindProblem(err, port, 'PORT') ?? err);
    };
    server.once('error', onListenError);
    // Expect: 100-continue — Node would invite the body at once; instead the request goes to the app
    // like any other, and readBody sends the 100 only when a route reads the body. A request refused
    // before that (401, 404, 413 by declared length, 415) is answered without the client sending it.
    server.on('checkContinue', (req, res) => server.emit('request', req, res));
  });
}

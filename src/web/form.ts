/**
 * The one way routes and middleware read a submitted form. Parsed once per request (the CSRF check and
 * the route share it), limited in size (413 beyond MAX_FORM_BYTES, before anything is buffered when the
 * client declares the length), and for URL-encoded bodies on the Node server read straight from the
 * socket: building a Fetch Request and FormData for them cost about a tenth of a record create.
 * Multipart bodies, and requests without a Node socket (app.request() in tests), go through Hono.
 * Repeated names: the last value wins, as with Hono's parseBody().
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { AppError } from '../errors.js';
import type { AppEnv } from './env.js';

/** Largest accepted form body. The largest legitimate one is a SAML response (tens of KB). */
export const MAX_FORM_BYTES = 1024 * 1024;

export type FormBody = Record<string, string | File>;

const tooLarge = () =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `This form is too large: the limit is ${MAX_FORM_BYTES / 1024} KB. Shorten what you entered and try again.`,
  );

function readLimited(incoming: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/** The request's form fields (empty for a body that is not a form). Throws PAYLOAD_TOO_LARGE. */
export async function readForm(c: Context<AppEnv>): Promise<FormBody> {
  const cached = c.get('form');
  if (cached) return cached;
  const type = c.req.header('content-type') ?? '';
  const urlEncoded = type.startsWith('application/x-www-form-urlencoded');
  if (!urlEncoded && !type.startsWith('multipart/form-data')) {
    const none: FormBody = {};
    c.set('form', none);
    return none;
  }
  const declared = Number(c.req.header('content-length'));
  if (declared > MAX_FORM_BYTES) {
    c.header('Connection', 'close');
    throw tooLarge();
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  let form: FormBody;
  try {
    if (urlEncoded && incoming && !incoming.readableEnded) {
      form = {};
      for (const [k, v] of new URLSearchParams(await readLimited(incoming, MAX_FORM_BYTES)))
        form[k] = v;
    } else {
      // Hono buffers the whole body; the declared length was checked above, and a body without one
      // (chunked) is limited by the server's request timeout.
      form = await c.req.parseBody<FormBody>();
    }
  } catch (err) {
    if (err instanceof AppError) c.header('Connection', 'close');
    throw err;
  }
  c.set('form', form);
  return form;
}

/** Only the string fields (files dropped). */
export async function readFormStrings(c: Context<AppEnv>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(await readForm(c))) if (typeof v === 'string') out[k] = v;
  return out;
}

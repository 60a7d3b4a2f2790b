/**
 * Request bodies at the byte level: the one place a body is read (`readBody`; lint keeps c.req.json(),
 * parseBody() and friends out of src/), its size limit, and what happens to the connection when a body
 * is left unread. A body is read once per request, from the Node socket as it streams, and reading stops
 * with 413 as soon as more than MAX_BODY_BYTES have arrived, whatever the content type, whether or not
 * the client declared a length. Without a Node socket (app.request() in tests) the Fetch body stream is
 * read the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Context } from 'hono';
import { AppError } from '../errors.js';
import type { AppEnv } from './env.js';

/** Largest accepted request body. The largest legitimate one is a SAML response (tens of KB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * After answering a request whose body is still arriving: how long the half-closed connection stays
 * open, unread, before it is destroyed (see lingerThenClose). Go's server waits as long.
 */
export const LINGER_MS = 500;

const EMPTY = Buffer.alloc(0);

type Ctx = Context<AppEnv>;

export const tooLarge = () =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `This form is too large: the limit is ${MAX_BODY_BYTES / 1024} KB. Shorten what you entered and try again.`,
  );

/** Node's request and response under @hono/node-server; null for app.request() in tests. */
export function nodeOf(c: Ctx): { incoming: IncomingMessage; outgoing: ServerResponse } | null {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  return env?.incoming && env.outgoing ? { incoming: env.incoming, outgoing: env.outgoing } : null;
}

/** Whether the request carries a body at all (chunked, or a declared length above zero). */
export function hasBody(c: Ctx): boolean {
  const node = nodeOf(c);
  if (!node) return c.req.raw.body !== null;
  const h = node.incoming.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] ?? '0') !== '0';
}

/** The body's media type, lower-cased, without parameters ('' when none was given). */
export function mediaType(c: Ctx): string {
  const type = c.req.header('content-type') ?? '';
  const semi = type.indexOf(';');
  return (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase();
}

const lingering = new WeakSet<Socket>();

/**
 * Node's server ends a `Connection: close` connection with socket.destroySoon() once the answer is
 * written. If the client is still sending, destroying a socket with unread data makes the kernel send a
 * reset at once, which can discard the answer before the client reads it (a Node client sees EPIPE, a
 * browser "connection reset" instead of the 413). So, for this socket only: half-close after the answer
 * and destroy LINGER_MS later (or at once if the body has in fact all arrived), reading nothing more
 * meanwhile — what Go's server does (golang.org/issue/3595). The request is consumed here and paused at
 * its first chunk, because Node "dumps" a request nobody consumed after the answer, which reads (and
 * drops) everything the client sends, however much, as fast as it arrives.
 */
function lingerThenClose(incoming: IncomingMessage): void {
  const socket = incoming.socket;
  if (lingering.has(socket)) return;
  lingering.add(socket);
  incoming.removeAllListeners('data');
  // Starts consuming unless a reader paused the request (readIncoming at the limit), and stops again.
  incoming.on('data', () => incoming.pause());
  let closing = false;
  socket.destroySoon = function (this: Socket) {
    if (closing) return;
    closing = true;
    this.end();
    if (incoming.complete) return void this.destroy();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    // Drop what the request holds, and stop reading the socket (the HTTP server then stops its
    // handle). After read() has asked for more, which resumes the socket on the next tick.
    incoming.removeAllListeners('data');
    while (incoming.read() !== null);
    process.nextTick(() => this.pause());
  };
}

/**
 * Make the answer to this request close the connection, politely, because its body is (or may be) left
 * unread: a keep-alive connection would make Node read the rest of it, however large, before the next
 * request. Idempotent; cheap. Before the answer's headers are written.
 */
export function closeAfterAnswer(c: Ctx): void {
  const node = nodeOf(c);
  if (!node) {
    if (!c.finalized) c.header('Connection', 'close');
    return;
  }
  if (node.outgoing.headersSent) return;
  node.outgoing.setHeader('Connection', 'close');
  lingerThenClose(node.incoming);
}

function readIncoming(c: Ctx, incoming: IncomingMessage, outgoing: ServerResponse) {
  return new Promise<Buffer>((resolve, reject) => {
    if (incoming.readableEnded) return resolve(EMPTY);
    // Expect: 100-continue — the server holds the body back until a route asks for it (see server.ts).
    if (/100-continue/i.test(incoming.headers.expect ?? '') && !outgoing.headersSent)
      outgoing.writeContinue();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        incoming.pause(); // stop reading: the rest stays in the kernel until the answer is out
        closeAfterAnswer(c);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
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

async function readStream(c: Ctx, stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      closeAfterAnswer(c);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The raw request body, read once (later calls share it), at most MAX_BODY_BYTES. Throws
 * PAYLOAD_TOO_LARGE before reading when the declared length is over, or as soon as more has arrived.
 */
export function readBody(c: Ctx): Promise<Buffer> {
  const cached = c.get('body');
  if (cached) return cached;
  let body: Promise<Buffer>;
  if (!hasBody(c)) body = Promise.resolve(EMPTY);
  else if (Number(c.req.header('content-length')) > MAX_BODY_BYTES) {
    closeAfterAnswer(c);
    body = Promise.reject(tooLarge());
  } else {
    const node = nodeOf(c);
    body = node ? readIncoming(c, node.incoming, node.outgoing) : readStream(c, c.req.raw.body!);
  }
  c.set('body', body);
  return body;
}

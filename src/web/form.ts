/**
 * The one way routes and middleware read a submitted form. Parsed once per request (the CSRF check and
 * the route share it) from the bytes `readBody` allows (MAX_BODY_BYTES, enforced while streaming), with
 * at most MAX_FORM_FIELDS fields. URL-encoded and multipart bodies are forms; any other body is not read
 * and gives no fields. Repeated names: the last value wins, as with Hono's parseBody().
 */
import type { Context } from 'hono';
import { AppError } from '../errors.js';
import { mediaType, readBody } from './body.js';
import type { AppEnv } from './env.js';

export { MAX_BODY_BYTES } from './body.js';

/** Most fields a form may have; ours have a dozen at most. Checked before the body is parsed. */
export const MAX_FORM_FIELDS = 256;

/** The media types routes accept unless they say otherwise (see `accepts`). */
export const FORM_TYPES: readonly string[] = [
  'application/x-www-form-urlencoded',
  'multipart/form-data',
];

export type FormBody = Record<string, string | File>;

const tooManyFields = () =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `This form has too many fields: the limit is ${MAX_FORM_FIELDS}.`,
  );

/** Occurrences of `needle` in `haystack`, counting only up to `stop` (a cheap scan, no parsing). */
function count(haystack: Buffer, needle: string | number, stop: number): number {
  const step = typeof needle === 'number' ? 1 : Buffer.byteLength(needle);
  let n = 0;
  for (
    let i = haystack.indexOf(needle);
    i !== -1 && n <= stop;
    i = haystack.indexOf(needle, i + step)
  )
    n++;
  return n;
}

const AMPERSAND = 0x26;

/** The request's form fields (empty for a body that is not a form). Throws PAYLOAD_TOO_LARGE. */
export async function readForm(c: Context<AppEnv>): Promise<FormBody> {
  const cached = c.get('form');
  if (cached) return cached;
  const type = mediaType(c);
  const form: FormBody = {};
  if (type === 'application/x-www-form-urlencoded') {
    const raw = await readBody(c);
    if (count(raw, AMPERSAND, MAX_FORM_FIELDS) >= MAX_FORM_FIELDS) throw tooManyFields();
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) form[k] = v;
  } else if (type === 'multipart/form-data') {
    const raw = await readBody(c);
    const boundary = /boundary="?([^";]+)"?/i.exec(c.req.header('content-type') ?? '')?.[1];
    if (boundary && count(raw, `--${boundary}`, MAX_FORM_FIELDS + 1) > MAX_FORM_FIELDS + 1)
      throw tooManyFields();
    let data: FormData;
    try {
      data = await new Response(
        new Uint8Array(raw.buffer as ArrayBuffer, raw.byteOffset, raw.length),
        {
          headers: { 'content-type': c.req.header('content-type')! },
        },
      ).formData();
    } catch {
      throw new AppError(
        'INVALID_INPUT',
        'This form could not be read. Reload the page and try again.',
      );
    }
    data.forEach((v, k) => (form[k] = v));
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

/**
 * API errors as RFC 9457 problem details (application/problem+json): a `type` URI per kind of problem,
 * documented on /docs/api, a title, the status, a sentence saying what to do, and per-field `errors`.
 * AppError codes map onto kinds, so domain refusals read the same here as on the pages.
 */
import type { AppErrorCode } from '../../errors.js';

export type ProblemKind =
  | 'invalid-input'
  | 'malformed-json'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'limit-exceeded'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'upstream-unavailable'
  | 'internal';

export const PROBLEMS: Record<ProblemKind, { status: number; title: string; when: string }> = {
  'invalid-input': {
    status: 400,
    title: 'Invalid input',
    when: 'A field, parameter or query value is wrong, missing or unknown; `errors` names each.',
  },
  'malformed-json': {
    status: 400,
    title: 'Malformed JSON',
    when: 'The body is not valid UTF-8 JSON, or is not an object.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    when: 'No token, or a token that is unknown, wrong, expired or revoked, or whose owner is suspended. The answer carries `WWW-Authenticate: Bearer`.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    when: 'The token lacks the permission, name or record type the request needs (the detail says which), or is used from outside its address ranges, or a cross-origin preflight (the API sends no CORS headers).',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    when: 'No such record, certificate or endpoint.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    when: 'The path exists but not with this method; `Allow` lists the methods.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    when: 'The resource is not in a state for this (e.g. the certificate is still being issued, or its key cannot be read).',
  },
  'limit-exceeded': {
    status: 409,
    title: 'Limit exceeded',
    when: 'You have as many records as you may have.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    when: 'The body is larger than 1 MB.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    when: 'Send bodies as `Content-Type: application/json`.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    when: 'The token or your account made too many requests or changes; `Retry-After` says how many seconds to wait.',
  },
  'upstream-unavailable': {
    status: 503,
    title: 'Service unavailable',
    when: 'A service we depend on did not answer; try again later.',
  },
  internal: {
    status: 500,
    title: 'Internal server error',
    when: 'A bug on our side (logged with the request id).',
  },
};

const KIND_OF_CODE: Record<AppErrorCode, ProblemKind> = {
  NOT_FOUND: 'not-found',
  FORBIDDEN: 'forbidden',
  UNAUTHORIZED: 'unauthorized',
  LIMIT_EXCEEDED: 'limit-exceeded',
  INVALID_INPUT: 'invalid-input',
  CONFLICT: 'conflict',
  UPSTREAM_UNAVAILABLE: 'upstream-unavailable',
  PAYLOAD_TOO_LARGE: 'payload-too-large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported-media-type',
  RATE_LIMITED: 'rate-limited',
};
export const kindOfCode = (code: AppErrorCode): ProblemKind => KIND_OF_CODE[code];

/** A refusal the API answers with a problem document (thrown by the pipeline, caught in routes.ts). */
export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors?: Record<string, string>,
    readonly headers: Record<string, string> = {},
    /** For the log line (never a secret). */
    readonly reason: string = kind,
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
  get status(): number {
    return PROBLEMS[this.kind].status;
  }
}

export const problemType = (appUrl: string, kind: ProblemKind) =>
  `${appUrl.replace(/\/+$/, '')}/docs/api#problem-${kind}`;

/** The problem document as JSON text. */
export function problemBody(
  appUrl: string,
  kind: ProblemKind,
  detail: string,
  errors?: Record<string, string>,
): string {
  const p = PROBLEMS[kind];
  return JSON.stringify({
    type: problemType(appUrl, kind),
    title: p.title,
    status: p.status,
    detail,
    ...(errors && Object.keys(errors).length > 0 ? { errors } : {}),
  });
}

export const PROBLEM_JSON = 'application/problem+json';

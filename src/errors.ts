/**
 * Expected failures carry a code; anything else is a bug (logged in full, shown as a generic 500).
 */
export type AppErrorCode =
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED';

const STATUS: Record<AppErrorCode, number> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  LIMIT_EXCEEDED: 409,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  UPSTREAM_UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
};

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Field errors for forms: field name -> human message. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/**
 * A start-up problem the operator fixes by changing a setting (a port already taken): main.ts prints
 * its message as one line and exits 1, with no stack trace.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** The StartupError for a failed bind (`listen`/`bind` errors), or null for any other error. */
export function bindProblem(err: unknown, port: number, setting: string): StartupError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE')
    return new StartupError(`Port ${port} is already in use: set ${setting} to a free port`, {
      cause: err,
    });
  if (code === 'EACCES')
    return new StartupError(
      `Port ${port} needs privileges this process lacks: set ${setting} to a port above 1023`,
      { cause: err },
    );
  return null;
}

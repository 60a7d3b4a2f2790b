import type { ActiveSession } from '../domain/sessions/sessions.js';
import type { Logger } from '../logger.js';
import type { FormBody } from './form.js';

/** Per-request values set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    nonce: string;
    log: Logger;
    /** The signed-in session, or null for anonymous requests. */
    session: ActiveSession | null;
    /** Token every state-changing request must echo (form field _csrf or header X-CSRF-Token). */
    csrfToken: string;
    /** The raw request body, once asked for (see readBody). */
    body?: Promise<Buffer>;
    /** The parsed form body, once read (see readForm). */
    form?: FormBody;
    /** Set when the handler already chose the body's encoding (see sendHtml). */
    encoded?: boolean;
  };
}

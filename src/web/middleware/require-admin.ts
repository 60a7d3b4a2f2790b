/**
 * Admin pages: only a session whose REAL user is an admin passes (an impersonating admin still does,
 * so they can browse /admin and stop impersonating). Everyone else, signed in or not, gets the same
 * 404 as an unknown path, so admin routes are not discoverable.
 */
import { AppError } from '../../errors.js';
import { gatekeeper } from './request-body.js';

export const NOT_FOUND_MESSAGE = 'We could not find what you were looking for.';

export const requireAdmin = gatekeeper(
  (c) => c.get('session')?.user.role !== 'admin',
  () => {
    throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
  },
);

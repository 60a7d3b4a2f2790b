/**
 * How times are written for people (pages and emails): always UTC, always said so when a time of day
 * is shown. One place, so a page and the email about the same event say the same thing.
 */

/** "December 7, 2026" (emails, sentences). */
export const longDate = (ms: number) =>
  new Date(ms).toLocaleDateString('en-CA', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  });

/** "Dec 07, 2026" (cards, tables). */
export const shortDate = (ms: number) =>
  new Date(ms).toLocaleDateString('en-CA', {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    timeZone: 'UTC',
  });

/** "Dec 07, 2026, 14:05 UTC". */
export const shortDateTime = (ms: number) =>
  new Date(ms).toLocaleString('en-CA', {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone: 'UTC',
  }) + ' UTC';

/** "Mon 4 Jan, 10:30 UTC" (near dates, where the weekday helps). */
export const weekdayTime = (ms: number) =>
  new Date(ms).toLocaleString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  }) + ' UTC';

/**
 * How times are written for people (pages and emails): always UTC, always said so when a time of day
 * is shown. One place, so a page and the email about the same event say the same thing.
 *
 * Each format is one Intl.DateTimeFormat made once: `Date#toLocaleDateString(locale, options)` builds a
 * new formatter (locale data, pattern) on every call, which cost more than the rest of the records
 * page's rendering put together (two dates per row). `format` gives the same text.
 */

const formatter = (locale: string, options: Intl.DateTimeFormatOptions) => {
  const f = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
  return (ms: number) => f.format(ms);
};

/** "December 7, 2026" (emails, sentences). */
export const longDate = formatter('en-CA', { year: 'numeric', month: 'long', day: 'numeric' });

/** "Dec 07, 2026" (cards, tables). */
export const shortDate = formatter('en-CA', { year: 'numeric', month: 'short', day: '2-digit' });

const shortDateTimeFormat = formatter('en-CA', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
/** "Dec 07, 2026, 14:05 UTC". */
export const shortDateTime = (ms: number) => `${shortDateTimeFormat(ms)} UTC`;

const weekdayTimeFormat = formatter('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
/** "Mon 4 Jan, 10:30 UTC" (near dates, where the weekday helps). */
export const weekdayTime = (ms: number) => `${weekdayTimeFormat(ms)} UTC`;

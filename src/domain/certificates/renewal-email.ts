/**
 * What the "renewed" email says, by how the replaced certificate's files last left the service: people
 * who downloaded them on the page must install the new files by hand (short steps); automation that
 * fetched them through the API can fetch the new ones; nobody is told to replace what they never took.
 */

import { longDate as date } from '../../time-format.js';

const dateTime = (ms: number) => new Date(ms).toUTCString();

export interface ReplacedCertificate {
  valid_to: number | null;
  downloaded_at: number | null;
  downloaded_via: string | null;
}

/** The paragraphs of the "Your certificate was renewed" email. */
export function renewedEmailParagraphs(input: {
  domain: string;
  /** The new certificate's end of validity. */
  validTo: number;
  replaced: ReplacedCertificate | null;
  /** The REST API's base URL, e.g. https://starchart.example.edu/api/v1. */
  apiBase: string;
}): string[] {
  const { domain, replaced } = input;
  const head = `Your HTTPS certificate for ${domain} and *.${domain} was renewed. The new one is valid until ${dateTime(input.validTo)}.`;
  const oldUntil =
    replaced?.valid_to != null
      ? `The old files keep working until ${dateTime(replaced.valid_to)} and stay downloadable on the certificate page until then (under "Previous certificate").`
      : null;
  if (replaced?.downloaded_via === 'page' && replaced.downloaded_at !== null)
    return [
      head,
      `The certificate files you downloaded on ${date(replaced.downloaded_at)} were replaced by this renewal. Install the new files in place of the old ones:`,
      '1. Open the certificate page (link below) and download the new files: the same ones you used before (for example the Full Chain and the Private Key, or the .pfx file).',
      '2. Put them where the old files are, with the same file names (or upload them where you uploaded the old ones, e.g. AWS Certificate Manager → Reimport).',
      '3. Restart or reload the server that uses them (for example "sudo systemctl reload nginx", or restart your Node.js app).',
      '4. Check in your browser that the site shows the new expiry date.',
      ...(oldUntil ? [oldUntil] : []),
    ];
  if (replaced?.downloaded_via === 'api' && replaced.downloaded_at !== null)
    return [
      head,
      `The previous certificate was last fetched through the API on ${date(replaced.downloaded_at)}. Your automation can fetch the new one the same way: GET ${input.apiBase}/certificate/fullChain and ${input.apiBase}/certificate/privateKey (an If-None-Match with the old ETag now returns the new files). Make sure it reloads your server afterwards.`,
      ...(oldUntil ? [oldUntil] : []),
    ];
  return [
    head,
    'We have no record of the previous certificate files being downloaded, so there is probably nothing to replace. If you copied them from the certificate page, replace them with the new ones in the same way.',
    ...(oldUntil ? [oldUntil] : []),
  ];
}

/** The "renewed" email's paragraphs for each way the replaced certificate's files were fetched. */
import { describe, expect, it } from 'vitest';
import { renewedEmailParagraphs } from '../../src/domain/certificates/renewal-email.js';

const DAY = 86_400_000;
const T = Date.UTC(2027, 2, 14, 9, 30);
const base = {
  domain: 'ada.starchart.test',
  validTo: T + 90 * DAY,
  apiBase: 'https://starchart.example.edu/api/v1',
};

describe('renewed email', () => {
  it('downloaded on the page: the date, numbered steps, and until when the old files work', () => {
    const p = renewedEmailParagraphs({
      ...base,
      replaced: { valid_to: T + 30 * DAY, downloaded_at: T - 20 * DAY, downloaded_via: 'page' },
    }).join('\n');
    expect(p).toContain('The certificate files you downloaded on February 22, 2027 were replaced');
    expect(p).toMatch(/1\. .+\n2\. .+\n3\. .+\n4\. /);
    expect(p).toContain(`keep working until ${new Date(T + 30 * DAY).toUTCString()}`);
    expect(p).toContain(`valid until ${new Date(T + 90 * DAY).toUTCString()}`);
  });

  it('fetched through the API: the endpoint, no steps', () => {
    const p = renewedEmailParagraphs({
      ...base,
      replaced: { valid_to: T + 30 * DAY, downloaded_at: T - DAY, downloaded_via: 'api' },
    }).join('\n');
    expect(p).toContain('GET https://starchart.example.edu/api/v1/certificate/fullChain');
    expect(p).not.toMatch(/^1\. /m);
    expect(p).toContain('keep working until');
  });

  it('never downloaded, or nothing known about the replaced certificate: a short note', () => {
    for (const replaced of [
      { valid_to: T + 30 * DAY, downloaded_at: null, downloaded_via: null },
      null,
    ]) {
      const p = renewedEmailParagraphs({ ...base, replaced });
      expect(p.join('\n')).toContain(
        'no record of the previous certificate files being downloaded',
      );
      expect(p.join('\n')).not.toMatch(/^1\. /m);
      expect(p.length).toBeLessThanOrEqual(3);
    }
    expect(renewedEmailParagraphs({ ...base, replaced: null }).join('\n')).not.toContain(
      'keep working until',
    );
  });
});

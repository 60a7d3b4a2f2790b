/**
 * Certificate issuance against real Pebble with real DNS-01 validation (Pebble's VA asks our built-in
 * DNS server): wildcard + apex end to end, key encrypted at rest, crash/resume at every step, a CA that
 * cannot see the records, concurrent requests, renewal.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestCertificate } from '../../src/domain/certificates/certificates.js';
import { insertUser } from '../support/factories.js';
import {
  type CertEnv,
  ROOT,
  certificateEnv,
  opensslSan,
  opensslVerify,
  waitSettled,
} from '../support/certificates.js';
import { certificateDeps } from '../../src/jobs/certificate-deps.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'starchart-certs-'));

describe('certificates with Pebble and the built-in DNS server (sqlite)', () => {
  let e: CertEnv;
  beforeAll(async () => {
    e = await certificateEnv('sqlite', 'embedded');
    await e.startWorker();
  });
  afterAll(async () => e?.cleanup());

  test('wildcard + apex issued through real DNS-01; chain verifies against Pebble root; key encrypted', async () => {
    const user = await insertUser(e.db());
    const before = e.ca.orders.length;
    const { certificate } = await requestCertificate(
      certificateDeps(e.t.container.jobDeps),
      null,
      user,
    );
    const row = await waitSettled(e.db(), certificate.id);
    expect(row.error).toBeNull();
    expect(row.status).toBe('issued');
    expect(e.ca.orders.length - before).toBe(1);
    const root = await e.pebble!.rootPemPath();
    expect(opensslVerify(scratch, root, row.certificate!, row.chain!)).toMatch(/: OK/);
    const san = opensslSan(scratch, row.certificate!);
    expect(san).toContain(`DNS:${user.dns_label}.${ROOT}`);
    expect(san).toContain(`DNS:*.${user.dns_label}.${ROOT}`);
    expect(row.private_key_enc).toBeTruthy();
    expect(row.private_key_enc).not.toContain('PRIVATE KEY');
    expect(row.private_key_enc!.startsWith('v1.')).toBe(true);
    const challenges = await e.db().selectFrom('acme_challenges').selectAll().execute();
    expect(challenges).toEqual([]);
  });
});

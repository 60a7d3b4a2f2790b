/** Certificate settings in the config schema. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';

const base = () => ({
  NODE_ENV: 'test',
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'starchart-cfg-')),
});

describe('certificate settings', () => {
  test('defaults: ECDSA, a third of the lifetime, derived resolvers, 10 minutes propagation', () => {
    const c = loadConfig(base());
    expect(c.certificates).toEqual({
      keyType: 'ecdsa-p256',
      renewAtRemainingFraction: 0.33,
      renewalScanMs: 3_600_000,
    });
    expect(c.acme.dnsResolvers).toBeNull();
    expect(c.acme.propagationTimeoutMs).toBe(600_000);
    expect(c.acme.directoryUrl).toBeNull();
  });
  test('explicit values and every problem reported by name', () => {
    const c = loadConfig({
      ...base(),
      CERTIFICATE_KEY_TYPE: 'rsa-2048',
      CERTIFICATE_RENEW_REMAINING_PERCENT: '50',
      ACME_DNS_RESOLVERS: '127.0.0.1:5353, [::1]:53',
      ACME_DNS_PROPAGATION_TIMEOUT_S: '30',
    });
    expect(c.certificates.keyType).toBe('rsa-2048');
    expect(c.certificates.renewAtRemainingFraction).toBe(0.5);
    expect(c.acme.dnsResolvers).toEqual(['127.0.0.1:5353', '[::1]:53']);
    expect(c.acme.propagationTimeoutMs).toBe(30_000);
    let message = '';
    try {
      loadConfig({
        ...base(),
        CERTIFICATE_KEY_TYPE: 'dsa',
        ACME_DNS_RESOLVERS: 'ns1.example',
        CERTIFICATE_RENEW_REMAINING_PERCENT: '95',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of [
      'CERTIFICATE_KEY_TYPE',
      'ACME_DNS_RESOLVERS',
      'CERTIFICATE_RENEW_REMAINING_PERCENT',
    ])
      expect(message).toContain(name);
  });
});

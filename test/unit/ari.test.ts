import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ariCertId, serialDer } from '../../src/domain/certificates/ari.js';

describe('RFC 9773 certificate id', () => {
  it('reproduces the RFC example (AKI 69:88:5B…, serial 00:87:65:43:21)', async () => {
    // RFC 9773 §4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 and
    // serial 0x0087654321 give aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE. Build such a certificate with openssl.
    const dir = mkdtempSync(path.join(tmpdir(), 'ari-'));
    const f = (n: string) => path.join(dir, n);
    const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ossl(
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=ca',
      ]),
    );
    ossl(
      ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        f('l.key'),
        '-out',
        f('l.csr'),
        '-subj',
        '/CN=leaf',
      ]),
    );
    writeFileSync(f('ext'), 'authorityKeyIdentifier=keyid\n');
    // openssl takes the AKI from the issuer's SKI: give the CA the RFC's key identifier.
    writeFileSync(
      f('ski.cnf'),
      '[v3]\nsubjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4\nbasicConstraints=critical,CA:TRUE\n',
    );
    ossl(
      ['req', '-x509', '-new', '-key', f('ca.key'), '-out', f('ca3.pem'), '-days', '2'].concat([
        '-subj',
        '/CN=ca',
        '-config',
        f('ski.cnf'),
        '-extensions',
        'v3',
      ]),
    );
    ossl(
      ['x509', '-req', '-in', f('l.csr'), '-CA', f('ca3.pem'), '-CAkey', f('ca.key')].concat([
        '-set_serial',
        '0x0087654321',
        '-days',
        '1',
        '-extfile',
        f('ext'),
        '-out',
        f('leaf.pem'),
      ]),
    );
    expect(await ariCertId(readFileSync(f('leaf.pem'), 'utf8'))).toBe(
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    );
  });

  it('encodes serials as minimal positive DER integers', () => {
    expect(serialDer('87654321').toString('hex')).toBe('0087654321');
    expect(serialDer('0087654321').toString('hex')).toBe('0087654321');
    expect(serialDer('7f01').toString('hex')).toBe('7f01');
    expect(serialDer('1').toString('hex')).toBe('01');
  });
});

/**
 * PKCS#12 (.pfx) bundles, built with the openssl command-line tool: the JavaScript PKCS#12 libraries on
 * npm cannot package ECDSA keys. The key only ever touches a private temporary directory (mode 0700)
 * that is removed at once. The bundle has an empty password, which Windows, IIS and Azure accept.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Build a .pfx from PEM parts. Throws when openssl is missing or rejects the input. */
export async function buildPkcs12(parts: {
  keyPem: string;
  certPem: string;
  chainPem: string;
  name: string;
}): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'starchart-pfx-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const chain = path.join(dir, 'chain.pem');
    const out = path.join(dir, 'bundle.pfx');
    await writeFile(key, parts.keyPem, { mode: 0o600 });
    await writeFile(cert, parts.certPem);
    await writeFile(chain, parts.chainPem);
    await new Promise<void>((resolve, reject) => {
      execFile(
        'openssl',
        [
          'pkcs12',
          '-export',
          '-inkey',
          key,
          '-in',
          cert,
          '-certfile',
          chain,
          '-name',
          parts.name,
          '-passout',
          'pass:',
          '-keypbe',
          'AES-256-CBC',
          '-certpbe',
          'AES-256-CBC',
          '-macalg',
          'sha256',
          '-out',
          out,
        ],
        { timeout: 10_000 },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`openssl pkcs12 failed: ${stderr || err.message}`)) : resolve(),
      );
    });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * config/idp-metadata-dev.xml (the image's default IdP metadata) is what the development IdP in
 * compose.yaml (docker/simplesamlphp) actually serves: same entity id, endpoints and signing certificate.
 * Runs the same SimpleSAMLphp configuration under Debian's simplesamlphp package and `php -S`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Proc, freePort, startProcess, stopProcess, waitFor } from './support.js';

const root = path.resolve(import.meta.dirname, '../..');
const ssp = path.join(root, 'docker/simplesamlphp');
const work = mkdtempSync(path.join(tmpdir(), 'starchart-idp-'));
let php: Proc;
let served: string;

beforeAll(async () => {
  const conf = path.join(work, 'config');
  mkdirSync(conf);
  mkdirSync(path.join(work, 'state'));
  // SimpleSAMLphp needs acl.php and attributemap/ next to config.php; take them from the Debian package.
  cpSync('/etc/simplesamlphp/acl.php', path.join(conf, 'acl.php'));
  cpSync('/etc/simplesamlphp/attributemap', path.join(conf, 'attributemap'), { recursive: true });
  cpSync(path.join(ssp, 'config'), conf, { recursive: true });
  const port = await freePort();
  php = startProcess('php', ['-S', `127.0.0.1:${port}`, '-t', '/usr/share/simplesamlphp/www'], {
    env: {
      PATH: process.env.PATH,
      SIMPLESAMLPHP_CONFIG_DIR: conf,
      IDP_CERT_DIR: `${path.join(ssp, 'cert')}/`,
      IDP_METADATA_DIR: `${path.join(ssp, 'metadata')}/`,
      IDP_STATE_DIR: `${path.join(work, 'state')}/`,
    },
  });
  served = await waitFor(
    'SimpleSAMLphp metadata (install: apt-get install simplesamlphp php-cli php-xml php-mbstring)',
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/saml2/idp/metadata.php`);
      return res.ok ? res.text() : undefined;
    },
    { proc: php, deadlineMs: 20_000 },
  );
});

afterAll(async () => {
  if (php) await stopProcess(php, 5_000);
  rmSync(work, { recursive: true, force: true });
});

const normalise = (xml: string) =>
  xml
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+/g, ' ')
    .trim();

it('the committed development metadata equals what the development IdP serves', () => {
  const committed = readFileSync(path.join(root, 'config/idp-metadata-dev.xml'), 'utf8');
  expect(normalise(committed)).toBe(normalise(served));
  expect(committed).toContain('entityID="http://localhost:8081/saml2/idp/metadata.php"');
  expect(committed).toContain('Location="http://localhost:8081/saml2/idp/SSOService.php"');
  // The certificate in the metadata is the committed development key pair's.
  const cert = readFileSync(path.join(ssp, 'cert/idp.crt'), 'utf8')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  expect(committed.replace(/\s+/g, '')).toContain(
    `<ds:X509Certificate>${cert}</ds:X509Certificate>`,
  );
});

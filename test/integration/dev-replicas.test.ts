/**
 * Two development processes started at once on a fresh DATA_DIR (real child processes of the real entry
 * point) end up with the same generated development secrets: the IdP signing certificate both publish
 * and the session secret both sign cookies with. Without DATA_DIR's generation lock each generated its
 * own, so a sign-in started on one replica failed on the other.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, type Spawned, freePort, spawnTsx, waitForHttp } from '../support/process.js';

const children: Spawned[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

const MAIN = path.join(ROOT, 'src', 'main.ts');

const certificateOf = (metadata: string) =>
  /<(?:ds:)?X509Certificate>([^<]+)</.exec(metadata)?.[1]?.replace(/\s+/g, '');

describe('two development replicas on a fresh DATA_DIR', () => {
  it('share one development IdP key and one session secret', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'starchart-replicas-'));
    const dataDir = path.join(cwd, 'data'); // does not exist yet
    const replicas = await Promise.all(
      [0, 1].map(async () => ({
        port: await freePort(),
        dnsPort: await freePort(),
      })),
    );
    // Started in the same tick.
    const procs = replicas.map((r) =>
      spawnTsx(
        MAIN,
        {
          DATA_DIR: dataDir,
          PORT: String(r.port),
          DNS_SERVER_PORT: String(r.dnsPort),
          APP_URL: 'http://localhost:8080',
          LOG_LEVEL: 'warn',
        },
        cwd,
      ),
    );
    children.push(...procs);
    const urls = replicas.map((r) => `http://127.0.0.1:${r.port}`);
    for (const url of urls)
      expect((await waitForHttp(`${url}/healthcheck`, 90_000)).status).toBe(200);

    // The development IdP: both replicas publish (and sign with) the certificate on disk.
    const published = await Promise.all(
      urls.map(async (u) => certificateOf(await (await fetch(`${u}/dev-idp/metadata`)).text())),
    );
    const onDisk = readFileSync(path.join(dataDir, 'dev-idp.crt.pem'), 'utf8')
      .replace(/-----[^-]+-----/g, '')
      .replace(/\s+/g, '');
    expect(published[0]).toBeDefined();
    expect(published).toEqual([onDisk, onDisk]);

    // The session secret: a cookie signed by one replica verifies on the other (no new one issued).
    const first = await fetch(`${urls[0]}/login`);
    const csrf = first.headers.getSetCookie().find((c) => c.startsWith('__csrf='));
    expect(csrf).toBeDefined();
    const second = await fetch(`${urls[1]}/login`, {
      headers: { cookie: csrf!.split(';')[0]! },
    });
    expect(second.status).toBe(200);
    expect(second.headers.getSetCookie().filter((c) => c.startsWith('__csrf='))).toEqual([]);
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'dev-secrets.json'), 'utf8')) as {
      SESSION_SECRET?: string;
    };
    expect(stored.SESSION_SECRET).toEqual(expect.any(String));

    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) expect((await p.exit).code).toBe(0);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { checkConfiguredProfile } from '../../src/domain/certificates/profile-check.js';
import { CaError, type CaDirectoryInfo } from '../../src/ports/certificate-authority.js';

const dev = (env: Record<string, string> = {}) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-config-'));
  return loadConfig(
    { DATA_DIR: path.join(dir, 'data'), SECRETS_DIR: path.join(dir, 'no-secrets'), ...env },
    { cwd: dir },
  );
};

describe('LETS_ENCRYPT_PROFILE', () => {
  it('is null when unset or blank, the name otherwise', () => {
    expect(dev().acme.profile).toBeNull();
    expect(dev({ LETS_ENCRYPT_PROFILE: '  ' }).acme.profile).toBeNull();
    expect(dev({ LETS_ENCRYPT_PROFILE: 'tlsserver' }).acme.profile).toBe('tlsserver');
    expect(dev({ LETS_ENCRYPT_PROFILE: 'x'.repeat(64) }).acme.profile).toBe('x'.repeat(64));
  });

  it.each(['Shortlived', 'short lived', 'x'.repeat(65), 'tls/server', 'é'])(
    'refuses %j by name',
    (value) => {
      let problems: string[] = [];
      try {
        dev({ LETS_ENCRYPT_PROFILE: value });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        problems = e.problems;
      }
      expect(problems.some((p) => p.startsWith('LETS_ENCRYPT_PROFILE'))).toBe(true);
    },
  );
});

/** A directory stand-in: answers each directoryInfo() from the list (an Error is thrown). */
function directory(...answers: (CaDirectoryInfo | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async directoryInfo() {
      const a = answers[Math.min(calls++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    },
  };
}
const offers = (...names: string[]): CaDirectoryInfo => ({
  renewalInfo: true,
  profiles: Object.fromEntries(names.map((n) => [n, `${n} certificates`])),
});
const noSleep = { sleep: async () => {} };

describe('start-up profile check', () => {
  it('does not ask the CA when no profile is configured', async () => {
    const d = directory(new CaError('unavailable', 'down'));
    expect(
      await checkConfiguredProfile(
        d,
        null,
        'the certificate authority at https://ca.test/dir',
        noSleep,
      ),
    ).toBeNull();
    expect(d.calls).toBe(0);
  });

  it('passes when the directory offers the profile', async () => {
    const d = directory(offers('classic', 'tlsserver'));
    expect(
      await checkConfiguredProfile(
        d,
        'tlsserver',
        'the certificate authority at https://ca.test/dir',
        noSleep,
      ),
    ).toBeNull();
  });

  it('refuses a profile the directory does not advertise, naming the URL and what it offers', async () => {
    await expect(
      checkConfiguredProfile(
        directory(offers('classic', 'tlsserver')),
        'shortlived',
        'the certificate authority at https://ca.test/dir',
        noSleep,
      ),
    ).rejects.toThrow(
      'LETS_ENCRYPT_PROFILE is "shortlived" but the certificate authority at https://ca.test/dir offers: classic, tlsserver',
    );
    await expect(
      checkConfiguredProfile(
        directory(offers()),
        'tlsserver',
        'the certificate authority at https://ca.test/dir',
        noSleep,
      ),
    ).rejects.toThrow('at https://ca.test/dir offers no profiles');
  });

  it('retries an unreadable directory, then decides on what it reads', async () => {
    const slept: number[] = [];
    const d = directory(new CaError('unavailable', 'ECONNREFUSED'), offers('classic'));
    await expect(
      checkConfiguredProfile(d, 'shortlived', 'the certificate authority at https://ca.test/dir', {
        sleep: async (ms) => void slept.push(ms),
      }),
    ).rejects.toThrow(/offers: classic/);
    expect(slept).toEqual([1_000]);
  });

  it('after three failed reads, starts with a warning naming the URL and the error', async () => {
    const slept: number[] = [];
    const d = directory(new CaError('unavailable', 'connect ECONNREFUSED 127.0.0.1:9'));
    const warning = await checkConfiguredProfile(
      d,
      'tlsserver',
      'the certificate authority at https://ca.test/dir',
      {
        sleep: async (ms) => void slept.push(ms),
      },
    );
    expect(d.calls).toBe(3);
    expect(slept).toEqual([1_000, 3_000]);
    expect(warning).toMatch(
      /"tlsserver" could not be checked: the directory of the certificate authority at https:\/\/ca\.test\/dir could not be read after 3 tries \(connect ECONNREFUSED/,
    );
  });
});

/**
 * Start-up check of LETS_ENCRYPT_PROFILE: a profile the CA's directory does not advertise would make
 * every new order fail (`invalidProfile`), so it is a configuration error and the process refuses to
 * start. A directory that cannot be read is not: the CA being briefly unreachable must not take the
 * web pages and the built-in DNS server down with it. After a few tries the check gives up and the
 * process starts with a warning; orders then meet the CA's own answer.
 */
import { CaError, type CertificateAuthority } from '../../ports/certificate-authority.js';

export interface ProfileCheckOptions {
  /** Waits between tries of reading the directory (default 1 s, then 3 s: three tries). */
  retryDelaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

export const PROFILE_CHECK_RETRY_DELAYS_MS = [1_000, 3_000];

/**
 * Throws when `profile` is set and the directory does not offer it; returns a warning (null when all
 * is well) when the directory could not be read. `caName` names the CA in messages
 * (`the certificate authority at {directory URL}`, `the development CA`).
 */
export async function checkConfiguredProfile(
  ca: Pick<CertificateAuthority, 'directoryInfo'>,
  profile: string | null,
  caName: string,
  options: ProfileCheckOptions = {},
): Promise<string | null> {
  if (profile === null) return null;
  const delays = options.retryDelaysMs ?? PROFILE_CHECK_RETRY_DELAYS_MS;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  let lastError: unknown = null;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await sleep(delays[attempt - 1]!);
    let offered: string[];
    try {
      offered = Object.keys((await ca.directoryInfo()).profiles);
    } catch (err) {
      if (!(err instanceof CaError)) throw err;
      lastError = err;
      continue;
    }
    if (offered.includes(profile)) return null;
    throw new Error(
      `LETS_ENCRYPT_PROFILE is "${profile}" but ${caName} ${
        offered.length ? `offers: ${offered.join(', ')}` : 'offers no profiles'
      }`,
    );
  }
  return `LETS_ENCRYPT_PROFILE "${profile}" could not be checked: the directory of ${caName} could not be read after ${
    delays.length + 1
  } tries (${(lastError as Error).message}); starting anyway, orders will fail if the CA does not offer it`;
}

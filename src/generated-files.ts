/**
 * Files generated once under DATA_DIR outside production: the development session secret, the
 * development IdP's signing key, the development CA and the development ACME account key. Two processes
 * started together on a fresh DATA_DIR (two replicas, or the service and a CLI) must end up with the
 * same files, so generation runs under an exclusive lock file in DATA_DIR and re-checks after taking it;
 * each file is written to a temporary name and renamed, so a reader that does not take the lock never
 * sees half a file.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const LOCK_FILE = '.generate.lock';
/** A lock older than this was left by a crashed process (generation takes well under a second). */
const STALE_MS = 120_000;
const WAIT_MS = 60_000;
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function tryLock(file: string): number | null {
  try {
    return openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(file).mtimeMs > STALE_MS) unlinkSync(file);
    } catch {
      /* raced with its owner */
    }
    return null;
  }
}

function lockPath(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return path.join(dataDir, LOCK_FILE);
}

function release(file: string, fd: number) {
  closeSync(fd);
  unlinkSync(file);
}

const timeout = (dataDir: string) =>
  new Error(`Timed out waiting for ${path.join(dataDir, LOCK_FILE)} held by another process`);

/** Run fn (synchronous) holding DATA_DIR's generation lock. */
export function withGenerationLockSync<T>(dataDir: string, fn: () => T): T {
  const file = lockPath(dataDir);
  const deadline = Date.now() + WAIT_MS;
  let fd = tryLock(file);
  while (fd === null) {
    if (Date.now() > deadline) throw timeout(dataDir);
    sleepSync(20);
    fd = tryLock(file);
  }
  try {
    return fn();
  } finally {
    release(file, fd);
  }
}

/** Run fn holding DATA_DIR's generation lock. */
export async function withGenerationLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const file = lockPath(dataDir);
  const deadline = Date.now() + WAIT_MS;
  let fd = tryLock(file);
  while (fd === null) {
    if (Date.now() > deadline) throw timeout(dataDir);
    await new Promise((r) => setTimeout(r, 20));
    fd = tryLock(file);
  }
  try {
    return await fn();
  } finally {
    release(file, fd);
  }
}

/** Write a file whole: to a temporary name beside it, then renamed over it. */
export function writeFileAtomic(file: string, data: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

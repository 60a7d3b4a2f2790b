/**
 * The deploy webhook end to end with the real `webhook` binary (Debian package "webhook") and this
 * repository's hooks.json, called the way CI calls it (webhook/call-webhook.sh). deploy.sh runs against a
 * stand-in `docker` on PATH that records its arguments, so the test sees exactly which commands would run.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proc, freePort, startProcess, stopProcess, waitFor } from './support.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'starchart-webhook-'));
const bin = path.join(work, 'bin');
const dockerLog = path.join(work, 'docker.log');
const SECRET = 'webhook-test-secret-0123456789abcdef';
let webhook: Proc;
let url: string;

/** A stand-in docker CLI: logs its arguments; FAKE_DOCKER_FAIL / FAKE_UPDATE_STATE steer its answers. */
function writeFakeDocker(): void {
  mkdirSync(bin);
  const script = `#!/bin/sh
echo "$*" >> "${dockerLog}"
case "$*" in
  "service inspect --format"*) echo "\${FAKE_UPDATE_STATE:-completed}"; exit 0 ;;
  "service inspect starchart_worker") [ -n "\${FAKE_NO_WORKER:-}" ] && exit 1; exit 0 ;;
  "service inspect"*) exit 0 ;;
  "service update"*) [ -n "\${FAKE_DOCKER_FAIL:-}" ] && { echo "update failed" >&2; exit 1; }; exit 0 ;;
esac
exit 0
`;
  writeFileSync(path.join(bin, 'docker'), script);
  chmodSync(path.join(bin, 'docker'), 0o755);
}

const dockerCalls = () =>
  existsSync(dockerLog) ? readFileSync(dockerLog, 'utf8').trim().split('\n') : [];

function callWebhook(tag: string, secret = SECRET) {
  return spawnSync('bash', [path.join(root, 'webhook/call-webhook.sh'), url, tag], {
    env: { PATH: process.env.PATH, WEBHOOK_SECRET: secret, WEBHOOK_RETRIES: '0' },
    encoding: 'utf8',
  });
}

function runDeploy(env: Record<string, string>) {
  rmSync(dockerLog, { force: true });
  return spawnSync('bash', [path.join(root, 'webhook/deploy.sh')], {
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      STARCHART_DEPLOY_LOCK: path.join(work, 'lock'),
      ...env,
    },
    encoding: 'utf8',
  });
}

beforeAll(async () => {
  writeFakeDocker();
  const port = await freePort();
  url = `http://127.0.0.1:${port}/hooks/deploy`;
  webhook = startProcess(
    'webhook',
    [
      '-hooks',
      path.join(root, 'webhook/hooks.json'),
      '-template',
      '-ip',
      '127.0.0.1',
      '-port',
      String(port),
    ],
    {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        WEBHOOK_SECRET: SECRET,
        STARCHART_WEBHOOK_DIR: path.join(root, 'webhook'),
        STARCHART_DEPLOY_LOCK: path.join(work, 'lock'),
        DEPLOY_TAG_PREFIX: 'staging-sha-',
      },
    },
  );
  await waitFor(
    'webhook listening (install it with: apt-get install webhook)',
    async () => ((await fetch(url, { method: 'GET' })).status === 405 ? true : undefined),
    { proc: webhook, deadlineMs: 20_000 },
  );
});

afterAll(async () => {
  if (webhook) await stopProcess(webhook, 5_000);
  rmSync(work, { recursive: true, force: true });
});

describe('deploy webhook (hooks.json + call-webhook.sh + deploy.sh)', () => {
  it('a correctly signed staging tag updates the web service, then the worker', async () => {
    rmSync(dockerLog, { force: true });
    const r = callWebhook('staging-sha-1a2b3c');
    expect(r.stderr).not.toContain('error');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('deployment started');
    const calls = await waitFor('deploy.sh finished', async () => {
      const c = dockerCalls();
      return c.length >= 6 ? c : undefined;
    });
    expect(calls).toEqual([
      'service inspect starchart_mycustomdomain',
      'service update --with-registry-auth --detach=false --quiet --image ghcr.io/developingspace/starchart:staging-sha-1a2b3c starchart_mycustomdomain',
      'service inspect --format {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}} starchart_mycustomdomain',
      'service inspect starchart_worker',
      'service update --with-registry-auth --detach=false --quiet --image ghcr.io/developingspace/starchart:staging-sha-1a2b3c starchart_worker',
      'service inspect --format {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}} starchart_worker',
    ]);
  });

  it('a wrong signature, an unacceptable tag or a GET runs nothing', async () => {
    rmSync(dockerLog, { force: true });
    const wrong = callWebhook('staging-sha-1a2b3c', 'not-the-secret-0123456789abcdef0123');
    expect(wrong.status).not.toBe(0);
    // Signed correctly, but not a deployable tag: the hook rule refuses it (call-webhook.sh refuses it
    // too, so send it by hand).
    const body = JSON.stringify({ tag: 'latest' });
    const { createHmac } = await import('node:crypto');
    const sig = createHmac('sha256', SECRET).update(body).digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${sig}` },
      body,
    });
    expect(res.status).toBe(403);
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tag: 'staging-sha-1a2b3c' }),
    });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    expect((await fetch(url)).status).toBe(405);
    // Give a wrongly started deploy.sh time to show up before concluding nothing ran.
    await new Promise((r) => setTimeout(r, 500));
    expect(dockerCalls()).toEqual([]);
  });

  it('call-webhook.sh refuses a tag that is not staging-sha-/production-sha-', () => {
    const r = callWebhook('staging-sha-1a2b3c; rm -rf /');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is not a staging-sha-<hex> or production-sha-<hex> tag');
  });
});

describe('deploy.sh fails loudly', () => {
  it("without a tag, with a malformed tag, or with the other environment's tag", () => {
    expect(runDeploy({}).stderr).toContain('DEPLOY FAILED: no TAG given');
    const bad = runDeploy({ TAG: 'staging-sha-XYZ' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("refusing tag 'staging-sha-XYZ'");
    const other = runDeploy({ TAG: 'production-sha-abcdef', DEPLOY_TAG_PREFIX: 'staging-sha-' });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('this host deploys only staging-sha-* tags');
    expect(dockerCalls()).toEqual([]);
  });

  it('when docker service update fails', () => {
    const r = runDeploy({ TAG: 'production-sha-abcdef', FAKE_DOCKER_FAIL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'DEPLOY FAILED: docker service update failed for starchart_mycustomdomain',
    );
    expect(dockerCalls().some((c) => c.includes('starchart_worker'))).toBe(false);
  });

  it('when Swarm rolled the update back', () => {
    const r = runDeploy({ TAG: 'production-sha-abcdef', FAKE_UPDATE_STATE: 'rollback_completed' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("update ended in state 'rollback_completed'");
  });

  it('skips a missing worker service but succeeds for the web service', () => {
    const r = runDeploy({ TAG: 'production-sha-abcdef', FAKE_NO_WORKER: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('service starchart_worker not present; skipping it');
    expect(dockerCalls().filter((c) => c.startsWith('service update'))).toHaveLength(1);
  });
});

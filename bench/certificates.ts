/**
 * Certificate issuance benchmark against real Pebble with real DNS-01 validation (Pebble's VA asks
 * our DNS), for the built-in DNS provider and the fake Route53 (its DNS face):
 *   1. request → issued wall time, one user at a time (median of 20, plus min/max);
 *   2. 100 users requesting at once → time until all are issued.
 * Runs on SQLite (embedded default) unless BENCH_DIALECT=mysql. Prints figures; asserts nothing.
 *   npx tsx bench/certificates.ts
 */
import { requestCertificate } from '../src/domain/certificates/certificates.js';
import { certificateDeps } from '../src/jobs/certificate-deps.js';
import { certificateEnv, waitSettled } from '../test/support/certificates.js';
import type { Dialect } from '../test/support/db.js';
import { insertUser } from '../test/support/factories.js';

const dialect = (process.env.BENCH_DIALECT ?? 'sqlite') as Dialect;
const SINGLE = Number(process.env.BENCH_SINGLE ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 100);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function run(provider: 'embedded' | 'route53') {
  // Pebble has no rate limits: budget nothing, so this measures issuance itself (the queue has its
  // own bench, bench/issuance-queue.ts).
  const e = await certificateEnv(dialect, provider, { env: { ACME_LIMIT_PROFILE: 'none' } });
  try {
    await e.startWorker();
    const deps = certificateDeps(e.t.container.jobDeps);
    // Warm-up: account registration and first TLS connection are not part of a request.
    const warm = await insertUser(e.db());
    await waitSettled(e.db(), (await requestCertificate(deps, null, warm)).certificate.id);

    const times: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const user = await insertUser(e.db());
      const t0 = performance.now();
      const { certificate } = await requestCertificate(deps, null, user);
      const row = await waitSettled(e.db(), certificate.id, 120_000);
      if (row.status !== 'issued') throw new Error(`not issued: ${row.error}`);
      times.push(performance.now() - t0);
    }

    const users = await Promise.all(Array.from({ length: BURST }, () => insertUser(e.db())));
    const t0 = performance.now();
    const ids = await Promise.all(
      users.map(async (u) => (await requestCertificate(deps, null, u)).certificate.id),
    );
    const rows = await Promise.all(ids.map((id) => waitSettled(e.db(), id, 600_000)));
    const burstMs = performance.now() - t0;
    const failed = rows.filter((r) => r.status !== 'issued');
    console.log(
      JSON.stringify({
        provider,
        dialect,
        single: {
          n: SINGLE,
          medianMs: Math.round(median(times)),
          minMs: Math.round(Math.min(...times)),
          maxMs: Math.round(Math.max(...times)),
        },
        burst: {
          users: BURST,
          allIssuedMs: Math.round(burstMs),
          failed: failed.length,
          orders: e.ca.orders.length,
          firstFailure: failed[0]?.error ?? null,
        },
      }),
    );
  } finally {
    await e.cleanup();
  }
}

const providers = (process.env.BENCH_PROVIDERS ?? 'embedded,route53').split(',') as (
  'embedded' | 'route53'
)[];
for (const p of providers) await run(p);

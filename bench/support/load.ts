/**
 * HTTP load for benchmarks. Uses wrk (C, epoll: leaves the server nearly all of the second core) when it
 * is installed (`apt-get install wrk`, done by .ci/services.sh), else autocannon in a child process.
 * POST bodies get a unique `subdomain` suffix per request so every create is a new record.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  headers?: Record<string, string>;
  /** URL-encoded form POSTed on every request; its `subdomain` gets a unique suffix each time. */
  form?: Record<string, string>;
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  rps: number;
  p50: number;
  p99: number;
  /** Responses outside 2xx/3xx. */
  bad: number;
  errors: number;
  requests: number;
}

let wrkAvailable: boolean | undefined;
export function hasWrk(): boolean {
  if (wrkAvailable === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      wrkAvailable = true;
    } catch (e) {
      // wrk --version exits 1 after printing its banner; only a missing binary throws ENOENT.
      wrkAvailable = (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }
  return wrkAvailable;
}

const lua = (s: string) => JSON.stringify(s); // JSON string literals are valid Lua string literals here

export async function load(opts: LoadOptions): Promise<LoadResult> {
  if (!hasWrk()) return autocannonLoad(opts);
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-wrk-'));
  const script = path.join(dir, 'script.lua');
  const headerLines = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`)
    .join('\n');
  const { subdomain = 'r', ...rest } = opts.form ?? {};
  const formBody = new URLSearchParams(rest).toString();
  writeFileSync(
    script,
    `${headerLines}
local counter = 0
local prefix = ${lua(Math.random().toString(36).slice(2, 8))}
local bad = 0
${
  opts.form
    ? `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, ${lua(formBody)} .. "&subdomain=" .. ${lua(subdomain)} .. prefix .. "x" .. counter)
end`
    : ''
}
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%d,\\"seconds\\":%f,\\"p50\\":%f,\\"p99\\":%f,\\"bad\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${opts.connections}`,
      `-d${opts.duration}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      opts.url,
    ],
    { maxBuffer: 1 << 20 },
  );
  const json = /JSON(\{.*\})/.exec(stdout);
  if (!json) throw new Error(`wrk printed no summary:\n${stdout}`);
  const r = JSON.parse(json[1]!) as {
    requests: number;
    seconds: number;
    p50: number;
    p99: number;
    bad: number;
    errors: number;
  };
  return {
    tool: 'wrk',
    rps: r.requests / r.seconds,
    p50: r.p50,
    p99: r.p99,
    bad: r.bad,
    errors: r.errors,
    requests: r.requests,
  };
}

async function autocannonLoad(opts: LoadOptions): Promise<LoadResult> {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'cannon.ts'),
      JSON.stringify({
        url: opts.url,
        connections: opts.connections,
        duration: opts.duration,
        headers: {
          ...opts.headers,
          ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        form: opts.form,
      }),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p99: number; p50: number };
    statusCodeStats?: Record<string, { count: number }>;
    errors: number;
    '4xx': number;
    '5xx': number;
  };
  return {
    tool: 'autocannon',
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r['4xx'] + r['5xx'],
    errors: r.errors,
    requests: r.requests.total,
  };
}

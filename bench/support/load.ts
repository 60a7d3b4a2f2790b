/**
 * HTTP load for benchmarks, from C tools that leave the server nearly all of the second core:
 *
 * - GETs: ApacheBench (`ab -k`, Debian apache2-utils). Its latency percentiles match a packet capture
 *   of the same run. wrk's do not: against a bare Node server doing 1 ms of work per request at 50
 *   connections, tcpdump on lo showed p99 101 ms and 24 responses over 500 ms, while wrk reported p99
 *   890 ms (ab on the same server: p99 75 ms, capture 74 ms). So wrk is used for throughput only.
 * - POSTs: wrk with a Lua script, which gives every request a unique `subdomain` suffix so every create
 *   is a new record (ab can only repeat one body).
 *
 * Both are installed by .ci/services.sh; without them, autocannon runs in a child process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  /**
   * POST as these signed-in users in turn (wrk only): each request carries the next session's cookie
   * and its CSRF token as `_csrf`. Without it every request uses `headers` and `form` as given.
   */
  sessions?: { cookie: string; csrf: string }[];
}

export interface LoadResult {
  tool: 'ab' | 'wrk' | 'autocannon';
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

let abAvailable: boolean | undefined;
function hasAb(): boolean {
  if (abAvailable === undefined) {
    try {
      execFileSync('ab', ['-V'], { stdio: 'ignore' });
      abAvailable = true;
    } catch {
      abAvailable = false;
    }
  }
  return abAvailable;
}

/** What wrk's `done` hook reports (times in milliseconds; `bad`: non-2xx/3xx answers). */
export interface WrkSummary {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  bad: number;
  errors: number;
}

/**
 * Run wrk (one thread) against `url` with a Lua `script` (headers, `request`, …), to which a `done`
 * hook is appended that prints the summary; the script lives in a temporary directory removed after.
 */
export async function runWrk(opts: {
  url: string;
  connections: number;
  seconds: number;
  script: string;
}): Promise<WrkSummary> {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-wrk-'));
  const script = path.join(dir, 'script.lua');
  writeFileSync(
    script,
    `${opts.script}
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%d,\\"seconds\\":%f,\\"p50\\":%f,\\"p99\\":%f,\\"bad\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  try {
    const { stdout } = await run(
      'wrk',
      [
        '-t1',
        `-c${opts.connections}`,
        `-d${opts.seconds}s`,
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
    return JSON.parse(json[1]!) as WrkSummary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function load(opts: LoadOptions): Promise<LoadResult> {
  if (!opts.form && hasAb()) return abLoad(opts);
  if (!hasWrk()) {
    if (opts.sessions) throw new Error('POSTs as many users need wrk (apt-get install wrk)');
    return autocannonLoad(opts);
  }
  const headerLines = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`)
    .join('\n');
  const { subdomain = 'r', ...rest } = opts.form ?? {};
  const formBody = new URLSearchParams(rest).toString();
  const r = await runWrk({
    url: opts.url,
    connections: opts.connections,
    seconds: opts.duration,
    script: `${headerLines}
local counter = 0
local prefix = ${lua(Math.random().toString(36).slice(2, 8))}
local bad = 0
${
  opts.form
    ? `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local sessions = {${(opts.sessions ?? []).map((x) => `{${lua(x.cookie)}, ${lua(x.csrf)}}`).join(', ')}}
request = function()
  counter = counter + 1
  local body = ${lua(formBody)} .. "&subdomain=" .. ${lua(subdomain)} .. prefix .. "x" .. counter
  if #sessions > 0 then
    local s = sessions[(counter % #sessions) + 1]
    wrk.headers["Cookie"] = s[1]
    body = body .. "&_csrf=" .. s[2]
  end
  return wrk.format(nil, nil, nil, body)
end`
    : ''
}
`,
  });
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

/** GET with keep-alive; percentiles are ab's (whole milliseconds). */
async function abLoad(opts: LoadOptions): Promise<LoadResult> {
  const args = ['-k', '-c', String(opts.connections), '-t', String(opts.duration)];
  // -t alone stops after 50,000 requests; ask for more than any run here can make.
  args.push('-n', '100000000');
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
  const { stdout } = await run('ab', [...args, opts.url], { maxBuffer: 1 << 20 });
  const num = (re: RegExp) => {
    const m = re.exec(stdout);
    if (!m) throw new Error(`ab printed no ${String(re)}:\n${stdout}`);
    return Number(m[1]);
  };
  const requests = num(/Complete requests:\s+(\d+)/);
  // Dynamic pages differ in length from the first response (CSP nonces); ab counts that as
  // "Length" failures, which are not errors. Connect, receive and exception failures are.
  const failed =
    /Failed requests:\s+\d+\s+\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)/.exec(
      stdout,
    );
  const errors = failed ? Number(failed[1]) + Number(failed[2]) + Number(failed[3]) : 0;
  const non2xx = /Non-2xx responses:\s+(\d+)/.exec(stdout);
  return {
    tool: 'ab',
    rps: num(/Requests per second:\s+([\d.]+)/),
    p50: num(/^\s+50%\s+(\d+)/m),
    p99: num(/^\s+99%\s+(\d+)/m),
    bad: non2xx ? Number(non2xx[1]) : 0,
    errors,
    requests,
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

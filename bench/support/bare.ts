/**
 * The yardstick beside each HTTP figure: a bare node:http server in its own process that answers every
 * request with bytes captured from the real service (status, headers, and the body as sent on the
 * wire, gzip included). The real/bare ratio is comparable across noisy machines where absolute figures
 * are not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RawResponse {
  status: number;
  /** Response headers minus those the bare server sets itself (date, length, connection). */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const OWN = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

/** One GET without decompression: the bytes as they go on the wire. */
export function rawRequest(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined && !OWN.has(k)) out[k] = v;
          resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
        });
      })
      .on('error', reject);
  });
}

export interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBareServer(
  response: RawResponse,
  pathname: string,
): Promise<BareServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-bare-'));
  const file = path.join(dir, 'response.json');
  writeFileSync(
    file,
    JSON.stringify({
      status: response.status,
      headers: response.headers,
      body: response.body.toString('base64'),
    }),
  );
  const code = `
const http = require('node:http');
const r = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));
const body = Buffer.from(r.body, 'base64');
const headers = { ...r.headers, 'content-length': body.length };
http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(r.status, headers); res.end(body); });
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return {
    url: `http://127.0.0.1:${port}${pathname}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

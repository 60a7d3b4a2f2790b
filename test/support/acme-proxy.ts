/**
 * A test proxy in front of the real Pebble, standing in for what Debian's Pebble 2.4 lacks:
 *
 *  - RFC 9773 renewal information: the directory gains `renewalInfo` (served here), and
 *    `GET {renewalInfo}/{certID}` answers windows the test sets, or by default the last third of the
 *    lifetime of a certificate the proxy saw being downloaded; an unknown id gets a 404 problem.
 *  - Let's Encrypt's profiles: the directory gains `meta.profiles` (a map the test chooses), and a
 *    newOrder naming a profile not in it gets Let's Encrypt's `invalidProfile` problem (400).
 *  - Let's Encrypt's rate-limit answers: once a limit the test sets is reached, newOrder gets HTTP 429
 *    `application/problem+json` `urn:ietf:params:acme:error:rateLimited` with `Retry-After` and a fresh
 *    `Replay-Nonce` (taken from Pebble's newNonce), as Let's Encrypt documents its errors.
 *
 * Everything else goes to Pebble byte for byte with the Host header preserved. Pebble builds every URL
 * it returns (directory, Location, Link) and checks each JWS `url` against the request's Host (its
 * wfe: `relativeEndpoint` and the JWS url check both read `request.Host`; seen by experiment: the
 * directory fetched with `Host: localhost:N` names `https://localhost:N/...`), so clients talking to
 * the proxy get proxy URLs and sign proxy URLs, with no rewriting and no re-signing here.
 *
 * Pebble 2.4 and the new newOrder fields: it accepts `replaces` and `profile` and ignores them (Go's
 * encoding/json drops unknown fields). So a profile changes nothing about the certificate Pebble
 * issues (its lifetime is Pebble's own), and `replaces` is not checked against earlier orders. The
 * proxy records each newOrder payload as sent (decoded from the JWS, never modified) so tests can
 * assert what the client asked for; it does not pretend Pebble honoured it.
 *
 * The proxy's HTTPS certificate comes from the throwaway CA that signed Pebble's listener
 * (pebble.dir/ca.pem and ca.key), so the same ACME_CA_BUNDLE_PATH trusts both. Request bodies and
 * Pebble's answers are buffered up to MAX_BODY_BYTES each (ACME messages are a few KiB); more is
 * refused (413 / 502).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import { ariCertId } from '../../src/domain/certificates/ari.js';
import type { Pebble } from './pebble.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Retry-After of renewal information when the test names none (Let's Encrypt asks for ≥ twice a day). */
export const DEFAULT_RENEWAL_RETRY_AFTER_S = 6 * 3600;
export const LETS_ENCRYPT_PROFILES: Record<string, string> = {
  classic: 'The same profile you know and love',
  tlsserver: 'A 45-day profile for TLS servers',
  shortlived: 'A short-lived (160 hours) profile',
};
const RENEWAL_INFO_PATH = '/renewal-info';

/** A newOrder as the client sent it (the JWS payload, decoded) and what it got back. */
export interface RecordedNewOrder {
  payload: { identifiers?: { type: string; value: string }[]; replaces?: string; profile?: string };
  /** HTTP status the client got: Pebble's (201), or the proxy's 429 / 400. */
  status: number;
  at: number;
}

export interface SeenCertificate {
  certId: string;
  notBefore: number;
  notAfter: number;
  /** The whole chain as downloaded (leaf first). */
  pem: string;
}

export interface AcmeProxy {
  /** The directory clients use (LETS_ENCRYPT_DIRECTORY_URL): `https://127.0.0.1:{port}/dir`. */
  directoryUrl: string;
  /** The RFC 9773 base URL the directory advertises (when renewal information is on). */
  renewalInfoUrl: string;
  /** Same file as Pebble's: trusts Pebble and the proxy. */
  caBundlePath: string;
  /** Every newOrder, in arrival order. */
  newOrders: RecordedNewOrder[];
  /** Certificate ids of every `GET {renewalInfo}/{certID}`, in arrival order (known or not). */
  renewalInfoRequests: string[];
  /** Certificates seen downloaded through the proxy, by RFC 9773 id. */
  certificates: Map<string, SeenCertificate>;
  /** Directory GETs received (including failed ones). */
  readonly directoryRequests: number;
  /** Answer the next `times` directory GETs with this status (a CA outage at start-up). */
  failDirectory(times: number, status?: number): void;
  /** Profiles advertised in `meta.profiles` (null: no `profiles` member, as Pebble 2.4 has none). */
  setProfiles(profiles: Record<string, string> | null): void;
  /** Advertise `renewalInfo` or not (on by default). */
  setRenewalInfo(on: boolean): void;
  /** The suggested window for a certificate id (whether or not the proxy saw it), with Retry-After. */
  setWindow(
    certId: string,
    start: Date | number,
    end: Date | number,
    retryAfterS?: number | null,
    explanationUrl?: string,
  ): void;
  /** Answer `GET {renewalInfo}/{certId}` with exactly this (malformed answers, server errors). */
  setRenewalInfoResponse(
    certId: string,
    response: { status: number; body: string; headers?: Record<string, string> } | null,
  ): void;
  /** Let `n` more newOrders through, then answer 429 with this Retry-After until cleared (null). */
  limitNewOrders(n: number | null, retryAfterS?: number): void;
  /** Answer only the next newOrder with 429 and this Retry-After. */
  rateLimitNext(retryAfterS: number): void;
  stop(): Promise<void>;
}

interface Window {
  start: number;
  end: number;
  retryAfterS: number | null;
  explanationUrl?: string;
}

class TooLarge extends Error {}

function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) {
        stream.destroy();
        reject(new TooLarge(`more than ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(d);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** A key and certificate for 127.0.0.1/localhost from Pebble's throwaway listener CA. */
function proxyCertificate(pebble: Pebble, dir: string): { key: Buffer; cert: Buffer } {
  const f = (n: string) => path.join(dir, n);
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      f('key.pem'),
      '-out',
      f('csr.pem'),
      '-subj',
      '/CN=acme proxy',
    ]),
  );
  writeFileSync(
    f('ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  ossl(
    ['x509', '-req', '-in', f('csr.pem'), '-CA', path.join(pebble.dir, 'ca.pem')].concat([
      '-CAkey',
      path.join(pebble.dir, 'ca.key'),
      '-set_serial',
      `0x${Date.now().toString(16)}`,
      '-days',
      '30',
      '-extfile',
      f('ext.cnf'),
      '-out',
      f('cert.pem'),
    ]),
  );
  return { key: readFileSync(f('key.pem')), cert: readFileSync(f('cert.pem')) };
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

/**
 * Start the proxy in front of `pebble` (which may start before or after; requests are forwarded to
 * its listener as they come). Defaults: renewal information on, Let's Encrypt's three profiles.
 */
export async function startAcmeProxy(
  pebble: Pebble,
  options: { profiles?: Record<string, string> | null; renewalInfo?: boolean } = {},
): Promise<AcmeProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'starchart-acme-proxy-'));
  const { key, cert } = proxyCertificate(pebble, dir);
  const upstream = new URL(pebble.directoryUrl);
  const agent = new https.Agent({ ca: readFileSync(pebble.caBundlePath), keepAlive: true });
  let profiles = options.profiles === undefined ? { ...LETS_ENCRYPT_PROFILES } : options.profiles;
  let renewalInfoOn = options.renewalInfo ?? true;
  const windows = new Map<string, Window>();
  const rawAnswers = new Map<
    string,
    { status: number; body: string; headers?: Record<string, string> }
  >();
  const newOrders: RecordedNewOrder[] = [];
  const renewalInfoRequests: string[] = [];
  const certificates = new Map<string, SeenCertificate>();
  let allowNewOrders: number | null = null;
  let limitRetryAfterS = 60;
  let limitNextRetryAfterS: number | null = null;
  let base = '';
  let directoryRequests = 0;
  let directoryFailures = { times: 0, status: 503 };
  /** Pebble's resource paths, read from its directory on first need. */
  let resources: Promise<{ newOrder: string; newNonce: string }> | null = null;

  /** One request to Pebble with the client's Host (so Pebble's URLs and JWS checks name the proxy). */
  const forward = (
    method: string,
    pathAndQuery: string,
    headers: http.IncomingHttpHeaders,
    body: Buffer | null,
  ) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const outHeaders: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
        const req = https.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method,
            path: pathAndQuery,
            headers: outHeaders,
            agent,
          },
          (res) => {
            readBody(res).then(
              (b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }),
              reject,
            );
          },
        );
        req.on('error', reject);
        req.end(body ?? undefined);
      },
    );

  const pebbleResources = (host: string) =>
    (resources ??= forward('GET', upstream.pathname, { host }, null)
      .then((r) => {
        const d = JSON.parse(r.body.toString('utf8')) as { newOrder: string; newNonce: string };
        return { newOrder: new URL(d.newOrder).pathname, newNonce: new URL(d.newNonce).pathname };
      })
      .catch((err: unknown) => {
        resources = null;
        throw err;
      }));

  const send = (
    res: http.ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ) => {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, 'content-length': String(b.length) });
    res.end(b);
  };

  const problem = async (
    res: http.ServerResponse,
    host: string,
    status: number,
    type: string,
    detail: string,
    extra: Record<string, string> = {},
  ) => {
    const { newNonce } = await pebbleResources(host);
    const nonce = await forward('HEAD', newNonce, { host }, null);
    const headers: Record<string, string> = {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      link: `<${base}${upstream.pathname}>;rel="index"`,
      ...extra,
    };
    const replayNonce = nonce.headers['replay-nonce'];
    if (typeof replayNonce === 'string') headers['replay-nonce'] = replayNonce;
    send(res, status, headers, JSON.stringify({ type, detail, status }));
  };

  async function handleRenewalInfo(req: http.IncomingMessage, res: http.ServerResponse) {
    const certId = decodeURIComponent((req.url ?? '').slice(RENEWAL_INFO_PATH.length + 1));
    renewalInfoRequests.push(certId);
    if (req.method !== 'GET')
      return send(res, 405, { allow: 'GET', 'content-type': 'text/plain' }, 'GET only\n');
    const raw = rawAnswers.get(certId);
    if (raw) return send(res, raw.status, raw.headers ?? {}, raw.body);
    let w = windows.get(certId);
    const seen = certificates.get(certId);
    if (!w && seen) {
      const life = seen.notAfter - seen.notBefore;
      w = {
        start: seen.notBefore + Math.round((life * 2) / 3),
        end: seen.notAfter,
        retryAfterS: DEFAULT_RENEWAL_RETRY_AFTER_S,
      };
    }
    if (!w)
      return send(
        res,
        404,
        { 'content-type': 'application/problem+json' },
        JSON.stringify({
          type: 'urn:ietf:params:acme:error:malformed',
          detail: `no certificate with id ${certId}`,
          status: 404,
        }),
      );
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (w.retryAfterS !== null) headers['retry-after'] = String(w.retryAfterS);
    send(
      res,
      200,
      headers,
      JSON.stringify({
        suggestedWindow: {
          start: new Date(w.start).toISOString(),
          end: new Date(w.end).toISOString(),
        },
        ...(w.explanationUrl ? { explanationURL: w.explanationUrl } : {}),
      }),
    );
  }

  /** The newOrder JWS payload, decoded (null when the body is not a flattened JWS with JSON). */
  const decodePayload = (body: Buffer): RecordedNewOrder['payload'] | null => {
    try {
      const jws = JSON.parse(body.toString('utf8')) as { payload?: string };
      return JSON.parse(
        Buffer.from(jws.payload ?? '', 'base64url').toString('utf8'),
      ) as RecordedNewOrder['payload'];
    } catch {
      return null;
    }
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const host = req.headers.host ?? new URL(base).host;
    const url = req.url ?? '/';
    if (url === RENEWAL_INFO_PATH || url.startsWith(`${RENEWAL_INFO_PATH}/`))
      return handleRenewalInfo(req, res);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof TooLarge) return send(res, 413, {}, 'request too large\n');
      throw err;
    }
    if (req.method === 'POST' && url === (await pebbleResources(host)).newOrder) {
      const payload = decodePayload(body) ?? {};
      const record: RecordedNewOrder = { payload, status: 0, at: Date.now() };
      newOrders.push(record);
      const limited =
        limitNextRetryAfterS !== null
          ? limitNextRetryAfterS
          : allowNewOrders !== null && allowNewOrders <= 0
            ? limitRetryAfterS
            : null;
      if (limited !== null) {
        limitNextRetryAfterS = null;
        record.status = 429;
        const until = new Date(Date.now() + limited * 1000).toISOString();
        return problem(
          res,
          host,
          429,
          'urn:ietf:params:acme:error:rateLimited',
          `too many new orders (test limit) recently: retry after ${until}`,
          { 'retry-after': String(limited) },
        );
      }
      if (payload.profile !== undefined && !(profiles && payload.profile in profiles)) {
        record.status = 400;
        return problem(
          res,
          host,
          400,
          'urn:ietf:params:acme:error:invalidProfile',
          `profile "${payload.profile}" is not offered`,
        );
      }
      if (allowNewOrders !== null) allowNewOrders--;
      const r = await forward(req.method, url, req.headers, body);
      record.status = r.status;
      return relay(res, r);
    }
    const isDirectory = req.method === 'GET' && url === upstream.pathname;
    if (isDirectory) directoryRequests++;
    if (isDirectory && directoryFailures.times > 0) {
      directoryFailures.times--;
      return send(
        res,
        directoryFailures.status,
        { 'content-type': 'application/problem+json' },
        JSON.stringify({
          type: 'urn:ietf:params:acme:error:serverInternal',
          detail: 'the directory is unavailable (test outage)',
          status: directoryFailures.status,
        }),
      );
    }
    const r = await forward(req.method ?? 'GET', url, req.headers, body);
    if (isDirectory && r.status === 200) {
      const d = JSON.parse(r.body.toString('utf8')) as { meta?: Record<string, unknown> };
      const out: Record<string, unknown> = { ...d };
      if (renewalInfoOn) out.renewalInfo = `${base}${RENEWAL_INFO_PATH}`;
      if (profiles) out.meta = { ...d.meta, profiles };
      return relay(res, { ...r, body: Buffer.from(JSON.stringify(out)) });
    }
    const type = r.headers['content-type'] ?? '';
    if (r.status === 200 && type.startsWith('application/pem-certificate-chain')) {
      const pem = r.body.toString('utf8');
      const leafPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
      const certId = leafPem ? await ariCertId(leafPem) : null;
      if (certId && leafPem) {
        const leaf = new X509Certificate(leafPem);
        certificates.set(certId, {
          certId,
          notBefore: leaf.notBefore.getTime(),
          notAfter: leaf.notAfter.getTime(),
          pem,
        });
      }
    }
    return relay(res, r);
  }

  const relay = (
    res: http.ServerResponse,
    r: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
  ) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(r.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'content-length') headers[k] = v;
    headers['content-length'] = String(r.body.length);
    res.writeHead(r.status, headers);
    res.end(r.body);
  };

  const server = https.createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(
          res,
          502,
          { 'content-type': 'text/plain' },
          `acme proxy: ${err instanceof Error ? err.message : String(err)}\n`,
        );
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    directoryUrl: `${base}${upstream.pathname}`,
    renewalInfoUrl: `${base}${RENEWAL_INFO_PATH}`,
    caBundlePath: pebble.caBundlePath,
    newOrders,
    renewalInfoRequests,
    certificates,
    get directoryRequests() {
      return directoryRequests;
    },
    failDirectory(times, status = 503) {
      directoryFailures = { times, status };
    },
    setProfiles(p) {
      profiles = p;
    },
    setRenewalInfo(on) {
      renewalInfoOn = on;
    },
    setWindow(certId, start, end, retryAfterS = DEFAULT_RENEWAL_RETRY_AFTER_S, explanationUrl) {
      windows.set(certId, {
        start: +start,
        end: +end,
        retryAfterS: retryAfterS ?? null,
        explanationUrl,
      });
    },
    setRenewalInfoResponse(certId, response) {
      if (response) rawAnswers.set(certId, response);
      else rawAnswers.delete(certId);
    },
    limitNewOrders(n, retryAfterS = 60) {
      allowNewOrders = n;
      limitRetryAfterS = retryAfterS;
    },
    rateLimitNext(retryAfterS) {
      limitNextRetryAfterS = retryAfterS;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

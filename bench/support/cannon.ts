/**
 * Load generator run as a separate process (so it does not share the server's event loop):
 * `tsx bench/support/cannon.ts '<json options>'` prints autocannon's result as JSON.
 * Options: url, connections, duration, headers, method, and for POST a form whose "subdomain"
 * gets a unique suffix per request.
 */
import autocannon, { type Request } from 'autocannon';

interface Opts {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  method?: 'GET' | 'POST';
  form?: Record<string, string>;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as Opts;
let n = 0;
const prefix = Math.random().toString(36).slice(2, 6);
const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.duration,
  headers: opts.headers,
  method: opts.method ?? 'GET',
  ...(opts.form
    ? {
        requests: [
          {
            setupRequest: (req: Request): Request => {
              const form = {
                ...opts.form!,
                subdomain: `${opts.form!.subdomain}${prefix}${(n++).toString(36)}`,
              };
              return {
                ...req,
                method: 'POST',
                body: new URLSearchParams(form).toString(),
              };
            },
          },
        ],
      }
    : {}),
});
process.stdout.write(JSON.stringify(result));

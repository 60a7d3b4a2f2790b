/**
 * gzip on one long-lived worker thread. Pages are strings; the main thread only posts the string and
 * receives the compressed bytes (transferred, not copied). zlib's own asynchronous API costs the event
 * loop more than that: it encodes the string to a Buffer and builds, drives and destroys a stream with
 * a fresh deflate state per response (about a sixth of the records page's main-thread time).
 *
 * The worker is created on first use, referenced only while a compression is outstanding (it never
 * keeps a process alive), and replaced if it dies; its failures reject, and callers fall back to zlib.
 */
import { Worker } from 'node:worker_threads';

// CommonJS source evaluated in the worker: nothing to locate or bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
parentPort.on('message', ({ id, body, level }) => {
  try {
    const gz = gzipSync(body, { level });
    const out = gz.byteOffset === 0 && gz.byteLength === gz.buffer.byteLength ? gz : new Uint8Array(gz);
    parentPort.postMessage({ id, gz: out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface Reply {
  id: number;
  gz?: Uint8Array<ArrayBuffer>;
  error?: string;
}

class GzipThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (gz: Uint8Array<ArrayBuffer>) => void; reject: (err: Error) => void }
  >();

  gzip(body: string, level: number): Promise<Uint8Array<ArrayBuffer>> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, body, level });
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'gzip' });
    worker.unref();
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.gz) p.resolve(m.gz);
      else p.reject(new Error(`gzip worker: ${m.error ?? 'no output'}`));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`gzip worker exited with ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const thread = new GzipThread();

/** gzip `body` (UTF-8) at `level` on the worker thread. */
export const gzipOffThread = (body: string, level: number) => thread.gzip(body, level);

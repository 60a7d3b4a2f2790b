/**
 * Rendered pages kept per slot (a session's view of one URL), reused while everything they were
 * rendered from is the same. The caller reads its data from the database on every request, as without
 * the cache, and hands it over as `inputs`; the page is rendered again whenever their digest differs.
 * So a page can never be older than the data of the request serving it, whichever replica (or other
 * process) changed that data: nothing here is invalidated, and nothing needs to be. What is saved is
 * the rendering (the layout, the rows, the dates in words).
 *
 * The CSP nonce is fresh on every response: a page is kept split at its nonce and joined with the
 * request's own. Bounded by total size (least recently used pages go first); one cache per app instance.
 */
import { createHash } from 'node:crypto';

interface Entry {
  digest: string;
  parts: string[];
  size: number;
}

export class RenderedPages {
  private readonly entries = new Map<string, Entry>();
  private size = 0;

  /** `maxChars`: the rendered pages kept, in UTF-16 code units summed over all pages. */
  constructor(private readonly maxChars = 2_000_000) {}

  /**
   * The page of `slot` for these inputs: the kept one (with `nonce` in place) when it was rendered
   * from equal inputs, else `render()`'s (kept for next time). `inputs` must hold everything the page
   * shows apart from the nonce; it is compared through its JSON. `digest` names those inputs (an
   * entity tag); null when they are not JSON (a BigInt), and then nothing is kept.
   */
  page(
    slot: string,
    inputs: unknown,
    nonce: string,
    render: () => string,
  ): { html: string; digest: string | null } {
    let digest: string;
    try {
      digest = createHash('sha1').update(JSON.stringify(inputs)).digest('base64url');
    } catch {
      return { html: render(), digest: null };
    }
    const kept = this.entries.get(slot);
    if (kept?.digest === digest) {
      this.entries.delete(slot); // most recently used last
      this.entries.set(slot, kept);
      return { html: kept.parts.join(nonce), digest };
    }
    const html = render();
    this.forget(slot);
    if (html.length <= this.maxChars / 8 && nonce.length >= 16) {
      const entry = { digest, parts: html.split(nonce), size: html.length };
      this.entries.set(slot, entry);
      this.size += entry.size;
      for (const [oldest, e] of this.entries) {
        if (this.size <= this.maxChars) break;
        this.entries.delete(oldest);
        this.size -= e.size;
      }
    }
    return { html, digest };
  }

  private forget(slot: string): void {
    const e = this.entries.get(slot);
    if (!e) return;
    this.entries.delete(slot);
    this.size -= e.size;
  }

  /** Pages kept (tests). */
  get count(): number {
    return this.entries.size;
  }
}

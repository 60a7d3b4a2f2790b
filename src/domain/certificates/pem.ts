/** Splitting a PEM full chain into leaf and intermediates, and reading validity dates. */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Leaf PEM, intermediates PEM (each block on its own lines), and the leaf's validity (epoch ms). */
export function parseChain(fullChain: string): {
  leaf: string;
  chain: string;
  validFrom: number;
  validTo: number;
} {
  const blocks = fullChain.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('the CA returned no certificate');
  const leaf = `${blocks[0]!}\n`;
  const chain = blocks
    .slice(1)
    .map((b) => `${b}\n`)
    .join('');
  const x = new X509Certificate(leaf);
  return { leaf, chain, validFrom: Date.parse(x.validFrom), validTo: Date.parse(x.validTo) };
}

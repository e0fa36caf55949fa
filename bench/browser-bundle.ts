/**
 * Bundle sizes for `npm run bench:browser`: the browser vat's worker entry
 * (and, for context, the page side and the crypto it cannot do without),
 * each built by Vite as an application would (minified ES, the page's worker
 * emitted separately and not counted with the page), then gzipped (level 9).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { capmeshAliases } from '../aliases.js';

export interface BundleSize {
  readonly name: string;
  readonly minified: number;
  readonly gzipped: number;
  /** Bare or `node:` imports left in the output: anything here would not load in a browser. */
  readonly external: readonly string[];
}

async function measure(name: string, entry: string, dir: string): Promise<BundleSize> {
  const outDir = join(dir, name.replace(/\W+/g, '-'));
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: capmeshAliases },
    build: {
      // An application build (not library mode, whose ES output is only whitespace-minified):
      // what an app ships. Exports kept, so an entry of re-exports is not shaken away.
      rollupOptions: { input: entry, preserveEntrySignatures: 'strict', output: { format: 'es', entryFileNames: 'entry.js' } },
      outDir,
      minify: true,
      target: 'es2022',
      sourcemap: false,
      emptyOutDir: true,
      copyPublicDir: false,
      modulePreload: false,
    },
  });
  let minified = 0;
  let gzipped = 0;
  for (const file of readdirSync(outDir)) {
    if (!file.endsWith('.js')) continue;
    const bytes = readFileSync(join(outDir, file));
    minified += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  const external = new Set<string>();
  for (const output of Array.isArray(result) ? result : [result]) {
    for (const chunk of (output as { output?: { type: string; imports?: string[] }[] }).output ?? []) {
      if (chunk.type === 'chunk') for (const i of chunk.imports ?? []) if (!i.startsWith('.') && !i.startsWith('/')) external.add(i);
    }
  }
  return { name, minified, gzipped, external: [...external] };
}

export async function bundleSizes(): Promise<BundleSize[]> {
  // Inside the project, so the temporary entries resolve node_modules.
  mkdirSync('node_modules/.cache', { recursive: true });
  const dir = mkdtempSync(join('node_modules/.cache', 'capmesh-bundle-'));
  try {
    const crypto = join(dir, 'crypto-entry.ts');
    writeFileSync(
      crypto,
      [
        "export { ed25519, x25519 } from '@noble/curves/ed25519.js';",
        "export { sha256, sha512 } from '@noble/hashes/sha2.js';",
        "export { hkdf } from '@noble/hashes/hkdf.js';",
        "export { chacha20poly1305 } from '@noble/ciphers/chacha.js';",
      ].join('\n'),
    );
    const page = join(dir, 'page-entry.ts');
    writeFileSync(page, "export { startBrowserVat } from 'capmesh/browser';\n");
    return [
      await measure('worker entry (src/browser/worker.ts)', 'src/browser/worker.ts', dir),
      await measure('  of which @noble crypto (Ed25519, X25519, SHA-2, HKDF, ChaCha20-Poly1305)', crypto, dir),
      await measure('page side (startBrowserVat, worker excluded)', page, dir),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

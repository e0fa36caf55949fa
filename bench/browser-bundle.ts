/**
 * Bundle sizes for `npm run bench:browser`: the browser vat's worker entry
 * (and, for context, the page side and the noble crypto), each built by Vite
 * as an application would (minified ES, the page's worker emitted separately
 * and not counted with the page), then gzipped (level 9).
 *
 * `minified` / `gzipped` count what a tab loads at start: the entry chunk and
 * the chunks it imports statically. Chunks reached only through a dynamic
 * `import()` (the relay circuit's end-to-end code, the noble fallback) are
 * counted apart in `lazyGzipped` — they load only when used. Records the
 * goal rows `bundle-worker-gz` and `bundle-page-gz` (KiB), and prints the
 * biggest modules of the worker's initial load.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { capmeshAliases } from '../aliases.js';
import { recordGoal } from './goals.js';

export interface BundleSize {
  readonly name: string;
  readonly minified: number;
  readonly gzipped: number;
  /** Bare or `node:` imports left in the output: anything here would not load in a browser. */
  readonly external: readonly string[];
  /** Gzipped bytes of the chunks loaded only through a dynamic `import()`. */
  readonly lazyGzipped: number;
  /** The initial load's modules by rendered (minified) size, biggest first. */
  readonly modules: readonly { readonly id: string; readonly bytes: number }[];
}

interface OutputChunk {
  type: string;
  fileName: string;
  isEntry?: boolean;
  code?: string;
  imports?: string[];
  modules?: Record<string, { renderedLength: number }>;
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
  const chunks = new Map<string, OutputChunk>();
  for (const output of Array.isArray(result) ? result : [result]) {
    for (const chunk of (output as { output?: OutputChunk[] }).output ?? []) if (chunk.type === 'chunk') chunks.set(chunk.fileName, chunk);
  }
  // The initial load: the entry and what it imports statically, transitively.
  const initial = new Set<string>();
  const visit = (fileName: string): void => {
    if (initial.has(fileName) || !chunks.has(fileName)) return;
    initial.add(fileName);
    for (const i of chunks.get(fileName)!.imports ?? []) visit(i);
  };
  for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);
  let minified = 0;
  let gzipped = 0;
  let lazyGzipped = 0;
  const modules: { id: string; bytes: number }[] = [];
  const assets = existsSync(join(outDir, 'assets')) ? readdirSync(join(outDir, 'assets')).map((f) => `assets/${f}`) : [];
  for (const file of assets.concat(readdirSync(outDir))) {
    if (!file.endsWith('.js')) continue;
    const bytes = readFileSync(join(outDir, file));
    const gz = gzipSync(bytes, { level: 9 }).length;
    if (!initial.has(file)) {
      lazyGzipped += gz;
      continue;
    }
    minified += bytes.length;
    gzipped += gz;
    for (const [id, m] of Object.entries(chunks.get(file)?.modules ?? {})) {
      modules.push({ id: id.replace(/^.*node_modules\//, '').replace(process.cwd() + '/', ''), bytes: m.renderedLength });
    }
  }
  modules.sort((a, b) => b.bytes - a.bytes);
  const external = new Set<string>();
  for (const chunk of chunks.values()) for (const i of chunk.imports ?? []) if (!i.startsWith('.') && !i.startsWith('/') && !chunks.has(i)) external.add(i);
  return { name, minified, gzipped, external: [...external], lazyGzipped, modules };
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
    const worker = await measure('worker entry (src/browser/worker.ts), initial load', 'src/browser/worker.ts', dir);
    const noble = await measure('  for scale: all of @noble (Ed25519, X25519, SHA-2, HKDF, ChaCha20-Poly1305)', crypto, dir);
    const pageSide = await measure('page side (startBrowserVat, worker excluded), initial load', page, dir);
    const kib = (n: number): number => Math.round((n / 1024) * 10) / 10;
    recordGoal('bundle-worker-gz', kib(worker.gzipped), `initial load; ${kib(worker.lazyGzipped)} KiB more loads on first relay circuit / noble fallback`);
    recordGoal('bundle-page-gz', kib(pageSide.gzipped));
    console.log(`  worker chunks loaded on demand (relay circuit, noble fallback): ${kib(worker.lazyGzipped)} KiB gz`);
    console.log('  biggest modules of the worker initial load (minified bytes):');
    for (const m of worker.modules.slice(0, 15)) console.log(`    ${String(m.bytes).padStart(7)}  ${m.id}`);
    return [worker, noble, pageSide];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

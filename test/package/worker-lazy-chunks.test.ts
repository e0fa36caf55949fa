import { describe, expect, it } from 'vitest';
import { build } from 'vite';
import { capmeshAliases } from '../../aliases.js';

interface Chunk {
  type: string;
  fileName: string;
  isEntry?: boolean;
  imports?: string[];
  modules?: Record<string, unknown>;
}

/**
 * The worker bundle's initial load (the entry and its static imports) leaves
 * out the relay circuit's end-to-end code and @noble/ciphers: they load with
 * the first circuit (a dynamic import in relay/netlayer.ts). Signalling
 * (relay/client.ts) stays in.
 */
describe('worker bundle: what loads on demand', () => {
  it('keeps the end-to-end circuit code and the AEAD out of the initial load', async () => {
    const result = await build({
      configFile: false,
      logLevel: 'silent',
      resolve: { alias: capmeshAliases },
      build: { write: false, minify: false, target: 'es2022', modulePreload: false, rollupOptions: { input: 'src/browser/worker.ts', output: { format: 'es' } } },
    });
    const chunks = new Map<string, Chunk>();
    for (const output of Array.isArray(result) ? result : [result]) {
      for (const c of (output as { output: Chunk[] }).output) if (c.type === 'chunk') chunks.set(c.fileName, c);
    }
    const initial = new Set<string>();
    const visit = (f: string): void => {
      if (initial.has(f)) return;
      initial.add(f);
      for (const i of chunks.get(f)?.imports ?? []) visit(i);
    };
    for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
    const modulesOf = (files: Iterable<string>): string[] => [...files].flatMap((f) => Object.keys(chunks.get(f)?.modules ?? {}));
    const initialModules = modulesOf(initial);
    const lazyModules = modulesOf([...chunks.keys()].filter((f) => !initial.has(f)));
    expect(initialModules.some((m) => m.endsWith('src/netlayer/relay/client.ts'))).toBe(true);
    for (const lazy of ['src/netlayer/relay/e2e.ts', 'src/netlayer/relay/circuit-handshake.ts', 'src/crypto/aead.ts', '@noble/ciphers/chacha.js']) {
      expect(initialModules.filter((m) => m.endsWith(lazy))).toEqual([]);
      expect(lazyModules.some((m) => m.endsWith(lazy))).toBe(true);
    }
  }, 120_000);
});

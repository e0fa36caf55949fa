import { defineConfig } from 'vite';
import { capmeshAliases } from './aliases.js';

/**
 * The demo app (index.html + demo-app/) and the browser vat's worker.
 * Cross-origin isolation gives the inspector 5 µs timers instead of 100 µs.
 * `CAPMESH_RELAY_URL` (set by `npm start`) tells the app where the relay is.
 * The vat's dependencies are pre-bundled at startup: met first inside the
 * worker, they would make Vite re-optimize and reload the open tabs.
 */
export default defineConfig({
  resolve: { alias: capmeshAliases },
  define: { __CAPMESH_RELAY__: JSON.stringify(process.env.CAPMESH_RELAY_URL ?? '') },
  server: {
    host: '127.0.0.1',
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
  optimizeDeps: {
    include: ['@noble/curves/ed25519.js', '@noble/hashes/sha2.js', '@noble/hashes/hkdf.js', '@noble/ciphers/chacha.js', 'idb-keyval', 'yjs', 'y-protocols/awareness'],
  },
  build: { outDir: 'dist-demo', target: 'es2022' },
});

import { mergeConfig } from 'vite';
import base from '../vite.config.js';

/**
 * The e2e web server: the project's Vite config with nothing that could
 * reload a page behind a test's back. No HMR (an edited source file would
 * otherwise reload every open tab mid-test), and the browser vat's
 * dependencies pre-bundled at startup (a dependency first met inside the
 * worker would otherwise make Vite re-optimize and reload the pages).
 */
export default mergeConfig(base, {
  server: { hmr: false },
  optimizeDeps: {
    include: ['@noble/curves/ed25519.js', '@noble/hashes/sha2.js', '@noble/hashes/hkdf.js', '@noble/ciphers/chacha.js', 'idb-keyval', 'yjs', 'y-protocols/awareness'],
  },
});

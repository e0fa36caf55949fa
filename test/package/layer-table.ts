import type { LayerRule } from './layers.js';

/**
 * DESIGN.md's "Layers and who may import whom" as data, bottom to top: a
 * module may import only the modules listed (each below it, minus what its
 * "must never import" column names), and only the packages listed — the core
 * (`util`, `syrup`, `wire`, `vat`, `captp`) none, so it cannot reach a
 * socket, a file or Node. Change a row only with DESIGN.md's table.
 */
const core = ['src/util', 'src/syrup', 'src/wire', 'src/crypto', 'src/vat', 'src/captp'] as const;
const layers = [...core, 'src/netlayer', 'src/persistence', 'src/mesh', 'src/browser'] as const;

export const LAYER_TABLE: readonly LayerRule[] = [
  {
    module: 'src/util',
    mayImport: [],
    packages: [],
    why: 'util must never import anything else in src/, nor DOM or Node APIs',
  },
  {
    module: 'src/syrup',
    mayImport: ['src/util'],
    packages: [],
    why: 'syrup must never import anything but util',
  },
  {
    module: 'src/wire',
    mayImport: ['src/util', 'src/syrup', { module: 'src/crypto', files: ['src/crypto/forms.ts'] }],
    packages: [],
    why: 'wire must never import the captp runtime, vat, netlayer or crypto implementations (crypto/forms.ts is allowed)',
  },
  {
    module: 'src/crypto',
    mayImport: ['src/util', 'src/syrup'],
    packages: ['@noble/curves', '@noble/hashes', '@noble/ciphers'],
    why: 'crypto must never import anything but util and syrup',
  },
  {
    module: 'src/vat',
    mayImport: ['src/util', 'src/syrup', 'src/crypto'],
    packages: [],
    why: 'vat must never import captp, wire, netlayer or the DOM',
  },
  {
    module: 'src/captp',
    mayImport: ['src/util', 'src/syrup', 'src/wire', 'src/crypto', 'src/vat'],
    packages: [],
    why: 'captp must never import sockets, timers, netlayer, mesh or persistence implementations',
  },
  {
    module: 'src/netlayer',
    mayImport: [
      'src/util',
      'src/syrup',
      'src/crypto',
      { module: 'src/wire', typeOnly: true },
      { module: 'src/vat', files: ['src/vat/index.ts'] },
    ],
    packages: ['node:', 'ws'],
    why: 'a transport never interprets CapTP: netlayer must never import captp, wire decoding or vat internals',
  },
  {
    module: 'src/persistence',
    mayImport: ['src/util', 'src/syrup', 'src/wire', 'src/crypto', 'src/vat'],
    packages: ['idb-keyval', 'node:'],
    why: 'persistence must never import captp, netlayer or mesh',
  },
  {
    module: 'src/mesh',
    mayImport: [...core, 'src/persistence', { module: 'src/netlayer', files: ['src/netlayer/types.ts'] }],
    packages: [],
    why: 'mesh reaches concrete netlayers only through the registry: from netlayer it imports the Netlayer/Connection interfaces alone; never the DOM',
  },
  {
    module: 'src/browser',
    mayImport: ['src/util', 'src/syrup', 'src/crypto', 'src/vat', 'src/netlayer', 'src/persistence', 'src/mesh', { module: 'src/wire', typeOnly: true }],
    packages: [],
    why: 'browser must never import captp or wire internals: it uses the mesh public API',
  },
  {
    module: 'entries',
    mayImport: [...layers],
    packages: [],
    why: 'src/index.ts and the subpath entries (node.ts, browser.ts, testing.ts) re-export the layers, never test-only code or the CLI',
  },
  {
    module: 'src/yjs',
    mayImport: [{ module: 'entries', files: ['src/index.ts'] }],
    packages: ['yjs', 'y-protocols'],
    why: 'capmesh/yjs sits above mesh and browser: it uses the public vat API (the capmesh entry) only',
  },
  {
    module: 'src/testing',
    mayImport: [...layers, 'relay'],
    packages: ['@playwright/test', 'node:'],
    why: 'capmesh/testing/playwright drives pages against a real relay; like the entries it never imports test-only code',
  },
  {
    module: 'src/cli',
    mayImport: [...layers.filter((m) => m !== 'src/browser'), 'relay'],
    packages: ['node:'],
    why: 'the capmesh command is a Node application on top of the layers and the relay',
  },
  {
    module: 'relay',
    mayImport: [
      'src/util',
      'src/syrup',
      'src/wire',
      'src/crypto',
      { module: 'src/netlayer', files: ['src/netlayer/relay/protocol.ts'], typeOnly: true },
    ],
    packages: ['node:', 'ws', 'ioredis'],
    why: 'the relay routes, it does not take part in sessions: it may import syrup, wire, crypto and netlayer types (the relay protocol), never captp',
  },
];

/**
 * The in-process `memory` netlayer: a simulated network of vats for tests
 * (`capmesh/testing`). Links can be held, stepped one message at a time,
 * delayed and cut; every message is logged. Implementation files:
 * `memory/network.ts` (network, delivery loop, log), `memory/netlayer.ts`
 * (the `Netlayer`), `memory/link.ts` (queues and test controls),
 * `memory/connection.ts` (one end).
 */
export {
  DEFAULT_MEMORY_MAX_MESSAGE_BYTES,
  createMemoryNetwork,
  type MemoryNetlayerOptions,
  type MemoryNetwork,
  type MemoryNetworkOptions,
} from './network.js';
export { MEMORY_TRANSPORT } from './netlayer.js';
export type { MemoryLink, MemoryLogEntry } from './link.js';

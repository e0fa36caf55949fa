/**
 * `capmesh/testing`: tools for testing applications built on capmesh. The
 * memory network runs vats in one process with full control over delivery
 * (hold, step, cut, latency, a message log); the manual finalizer lets a
 * test decide when an imported reference counts as collected.
 *
 * @module capmesh/testing
 */
export { createMemoryNetwork, MEMORY_TRANSPORT } from './netlayer/index.js';
export type { MemoryNetwork, MemoryLink, MemoryLogEntry, MemoryNetworkOptions, MemoryNetlayerOptions } from './netlayer/index.js';
export { createManualFinalizer } from './captp/index.js';
export type { ManualFinalizerControl, FinalizerFactory } from './captp/index.js';
export { makeManualScheduler } from './vat/index.js';
export type { ManualScheduler, Scheduler } from './vat/index.js';
export type { ImportFinalizer } from './captp/index.js';

/**
 * `netlayer`: the `Netlayer`/`Connection` contract and its implementations.
 * Never imports `captp`, `vat` or `mesh`.
 */
export type {
  Connection,
  ConnectionCloseReason,
  ConnectionReceiver,
  Netlayer,
  NetlayerAttachment,
  NetlayerBinding,
} from './types.js';

export {
  DEFAULT_MEMORY_MAX_MESSAGE_BYTES,
  MEMORY_TRANSPORT,
  createMemoryNetwork,
} from './memory/index.js';
export type {
  MemoryLink,
  MemoryLogEntry,
  MemoryNetlayerOptions,
  MemoryNetwork,
  MemoryNetworkOptions,
} from './memory/index.js';

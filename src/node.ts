/**
 * `capmesh/node`: what only runs under Node.
 *
 * - `tcpTestingOnlyNetlayer({ host, port, framing })` — plain TCP as the OCapN
 *   test suite speaks it (no encryption, no authentication: tests and interop
 *   checks only).
 * - `fileStore(dir)` — a crash-safe `Store` in a directory, for a vat whose
 *   identity and persistent objects must survive restarts.
 */
export {
  tcpTestingOnlyNetlayer,
  TCP_TESTING_ONLY_TRANSPORT,
  DEFAULT_TCP_MAX_MESSAGE_BYTES,
} from './netlayer/tcp-testing-only.js';
export type { TcpTestingOnlyOptions } from './netlayer/tcp-testing-only.js';
export type { StreamFramingMode } from './netlayer/stream-messages.js';
export { fileStore } from './persistence/file-store.js';
export type { FileStoreOptions } from './persistence/file-store.js';

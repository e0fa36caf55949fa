/**
 * `capmesh/node`: what only runs under Node.
 *
 * - `tcpTestingOnlyNetlayer({ host, port, framing })` — plain TCP as the OCapN
 *   test suite speaks it (no encryption, no authentication: tests and interop
 *   checks only).
 * - `fileStore(dir)` — a crash-safe `Store` in a directory, for a vat whose
 *   identity and persistent objects must survive restarts.
 * - `websocketNetlayer({ host, port })` — the Goblins/Endo-compatible
 *   `websocket` transport (listens and dials); `relayNetlayer({ url })` —
 *   reach and be reached through an untrusted capmesh relay, end-to-end
 *   encrypted; `createRelayClient` for signalling.
 *
 * @module capmesh/node
 */
export {
  tcpTestingOnlyNetlayer,
  TCP_TESTING_ONLY_TRANSPORT,
  DEFAULT_TCP_MAX_MESSAGE_BYTES,
} from './netlayer/tcp/tcp-testing-only.js';
export type { TcpTestingOnlyOptions } from './netlayer/tcp/tcp-testing-only.js';
export type { StreamFramingMode } from './netlayer/tcp/stream-messages.js';
export { fileStore } from './persistence/file-store.js';
export type { FileStoreOptions } from './persistence/file-store.js';
// Relay and WebSocket netlayers (with the `ws` package injected as WebSocket).
export { websocketNetlayer } from './netlayer/websocket/node.js';
export type { WebSocketNetlayer, WebSocketNetlayerOptions } from './netlayer/websocket/node.js';
export type { WebSocketAuth } from './netlayer/websocket/auth.js';
export { WEBSOCKET_TRANSPORT } from './netlayer/websocket/client.js';
export { relayNetlayer, createRelayClient } from './netlayer/relay/node.js';
export { RELAY_TRANSPORT, RelayClient } from './netlayer/relay/index.js';
// Handed out by a RelayClient (`openCircuit`, the `circuit` event) and a relay
// netlayer's connections; only the client and the netlayer make them.
export type { RelayCircuit, RelayConnection } from './netlayer/relay/index.js';
export type {
  RelayNetlayer,
  RelayNetlayerOptions,
  RelayPolicy,
  RelayPolicyDecision,
  RelayClientOptions,
  RelayClientState,
  RelayClientEvents,
  RelayReplacedNotice,
  RelaySignal,
  RelayTurnCredentials,
  RelayCircuitHandler,
} from './netlayer/relay/index.js';
export { NodeWebSocket } from './netlayer/websocket/ws.js';
export type { WebSocketConstructor, WebSocketLike } from './netlayer/websocket/websocket-like.js';
export type { WebSocketConnection } from './netlayer/websocket/connection.js';
export type { Logger } from './util/logger.js';
export type { HandshakeGateOptions, HandshakeGateStats } from './netlayer/relay/handshake-gate.js';

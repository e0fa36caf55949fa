/**
 * The relay netlayer's public names (platform-neutral: pass `WebSocket`, or
 * rely on `globalThis.WebSocket` in browsers and workers; `capmesh/node`
 * re-exports Node flavours with `ws` injected).
 */
export { RELAY_TRANSPORT, relayNetlayer } from './relay-netlayer.js';
export type { RelayNetlayer, RelayNetlayerOptions, RelayPolicy, RelayPolicyDecision } from './relay-netlayer.js';
export { RelayClient } from './relay-client.js';
export type { RelayClientEvents, RelayClientOptions, RelayClientState, RelayLogger, RelayReplacedNotice, RelaySignal } from './relay-client.js';
export { RelayCircuit } from './relay-circuit.js';
export type { RelayCircuitHandler } from './relay-circuit.js';
export { RelayConnection } from './relay-connection.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/**
 * The relay netlayer's public names (platform-neutral: pass `WebSocket`, or
 * rely on `globalThis.WebSocket` in browsers and workers; `capmesh/node`
 * re-exports Node flavours with `ws` injected).
 */
export { RELAY_TRANSPORT, relayNetlayer } from './netlayer.js';
export type { RelayNetlayer, RelayNetlayerOptions, RelayPolicy, RelayPolicyDecision } from './netlayer.js';
export { RelayClient } from './client.js';
export type { RelayClientEvents, RelayClientOptions, RelayClientState, RelayReplacedNotice, RelaySignal, RelayTurnCredentials } from './client.js';
export { RelayCircuit } from './circuit.js';
export type { RelayCircuitHandler } from './circuit.js';
export { RelayConnection } from './connection.js';
export type { WebSocketConstructor, WebSocketLike } from '../websocket/websocket-like.js';

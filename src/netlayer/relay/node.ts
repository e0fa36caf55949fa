import { RelayClient, type RelayClientOptions } from './client.js';
import { relayNetlayer as coreRelayNetlayer, type RelayNetlayer, type RelayNetlayerOptions } from './netlayer.js';
import { NodeWebSocket } from '../websocket/ws.js';

/**
 * Node flavours of the relay netlayer and client: the same code as the
 * browser's, with the `ws` package's WebSocket injected (Node 20 has no global
 * WebSocket). An explicit `WebSocket` option still wins.
 */

/** `relayNetlayer` for Node (see `relay/netlayer.ts`). */
export function relayNetlayer(options: RelayNetlayerOptions): RelayNetlayer {
  return coreRelayNetlayer({ WebSocket: NodeWebSocket, ...options });
}

/** A `RelayClient` for Node (see `relay/client.ts`). */
export function createRelayClient(options: RelayClientOptions): RelayClient {
  return new RelayClient({ WebSocket: NodeWebSocket, ...options });
}

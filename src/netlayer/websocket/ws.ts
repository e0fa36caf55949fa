import { WebSocket as Ws } from 'ws';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/**
 * Node's WebSocket for the netlayers' client side: the `ws` package's
 * `WebSocket` shaped as `WebSocketConstructor`. It keeps `ws`'s `nodebuffer`
 * binary type (no copy per message), turns per-message compression off
 * (capmesh payloads are mostly ciphertext or small records, and inflate bombs
 * are a risk), and always has an `error` listener so a socket error can never
 * become an uncaught exception between handler changes.
 *
 * `maxPayload` bounds what one incoming message may be (ws closes with 1009
 * beyond it). Default 64 MiB.
 */
export function nodeWebSocket(options: { readonly maxPayload?: number } = {}): WebSocketConstructor {
  const maxPayload = options.maxPayload ?? 64 * 1024 * 1024;
  return class NodeWebSocket extends Ws {
    constructor(url: string) {
      super(url, undefined, { perMessageDeflate: false, maxPayload });
      this.on('error', () => {});
    }
  } as unknown as new (url: string) => WebSocketLike;
}

/** The default Node client constructor. */
export const NodeWebSocket: WebSocketConstructor = nodeWebSocket();

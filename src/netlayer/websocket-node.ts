import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { CapmeshError } from '../util/errors.js';
import { assertNonEmptyString } from '../util/assert.js';
import type { PeerLocator } from '../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from './types.js';
import { answerChallenge } from './websocket-auth.js';
import { WEBSOCKET_TRANSPORT, dialWebSocket, type WebSocketDialOptions } from './websocket-client.js';
import { WebSocketConnection } from './websocket-connection.js';
import { closeQuietly, messageBytes, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';
import { nodeWebSocket } from './websocket-ws.js';

export interface WebSocketNetlayerOptions extends WebSocketDialOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The URL others dial (our `url` hint), e.g. `wss://vat.example` behind a TLS proxy. Default `ws://host:port`. */
  readonly url?: string;
  /** Largest incoming message; larger ones close the socket (1009). Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Client constructor for dialling. Default `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * As a listener, also answer the legacy (Goblins ≤ 0.17) challenge: 64 raw
   * bytes, signed with the designator key without any label. Default false:
   * only the typed `<init:peer-auth …>` challenge is answered, and a socket
   * that sends anything else is closed (4002) with nothing signed. (The
   * dialling side's form is `auth`.)
   */
  readonly legacyPeerAuth?: boolean;
}

export interface WebSocketNetlayer extends Netlayer {
  /** Our `url` hint (after `attach`). */
  readonly url: string | undefined;
  /** The port listened on (after `attach`). */
  readonly port: number | undefined;
  /** Open connections (made or accepted). */
  connections(): WebSocketConnection[];
}

/**
 * The `websocket` netlayer for Node: listens on `host:port` with `ws` and
 * dials other websocket peers, wire-compatible with Goblins ≥ 0.18 and Endo
 * (and Goblins ≤ 0.17 with `auth: 'legacy'` as a dialler and
 * `legacyPeerAuth: true` as a listener). The designator is the vat's (base32 of its designator key); the
 * hint is `{ url }`. After peer-auth each OCapN message is one binary
 * WebSocket message, with no framing.
 *
 * An inbound socket must send its challenge within `connectTimeoutMs`; the
 * connection is handed to the vat right after our answer went out. Signing is
 * asynchronous: a socket that sends anything more before our answer, or that
 * closes meanwhile, is dropped; a signer failure closes the socket (1011).
 */
export function websocketNetlayer(options: WebSocketNetlayerOptions = {}): WebSocketNetlayer {
  const host = options.host ?? '127.0.0.1';
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const WebSocket = options.WebSocket ?? nodeWebSocket({ maxPayload: maxMessageBytes });
  const live = new Set<WebSocketConnection>();
  const pending = new Set<WsSocket>();
  /** Every accepted socket until it closed, so `close` can cut the ones that do not finish closing. */
  const accepted = new Set<WsSocket>();
  let server: WebSocketServer | undefined;
  let binding: NetlayerBinding | undefined;
  let url: string | undefined;
  let port: number | undefined;
  let closed = false;
  const onEnded = (connection: WebSocketConnection): void => {
    live.delete(connection);
  };

  const accept = (ws: WsSocket): void => {
    ws.on('error', () => {});
    accepted.add(ws);
    ws.on('close', () => accepted.delete(ws));
    if (closed || binding === undefined) {
      ws.close(1001, 'closing');
      return;
    }
    const socket = ws as unknown as WebSocketLike;
    pending.add(ws);
    const timer = setTimeout(() => {
      pending.delete(ws);
      closeQuietly(socket, 4003, 'no peer-auth challenge in time');
    }, timeoutMs);
    socket.onclose = () => {
      clearTimeout(timer);
      pending.delete(ws);
    };
    socket.onmessage = (event) => {
      clearTimeout(timer);
      let gone = false;
      socket.onclose = () => {
        gone = true;
        pending.delete(ws);
      };
      // An honest dialler waits for our answer: anything sent before it ends the socket.
      socket.onmessage = () => closeQuietly(socket, 4002, 'sent a message before the peer-auth answer');
      const challenge = messageBytes(event.data);
      const answering = challenge === undefined ? Promise.resolve(undefined) : answerChallenge(challenge, binding!.signer);
      void answering.then(
        (answer) => {
          pending.delete(ws);
          if (gone || closed) return;
          socket.onmessage = null;
          socket.onclose = null;
          if (answer === undefined) {
            closeQuietly(socket, 4002, 'expected a peer-auth challenge');
            return;
          }
          socket.send(answer);
          const connection = new WebSocketConnection(socket, { transport: WEBSOCKET_TRANSPORT, outbound: false, remoteLocator: undefined, onEnded });
          live.add(connection);
          try {
            binding!.onConnection(connection);
          } catch (error) {
            connection.close(`the vat refused the connection: ${error instanceof Error ? error.message : String(error)}`);
          }
        },
        () => {
          pending.delete(ws);
          closeQuietly(socket, 1011, 'cannot sign the peer-auth answer');
        },
      );
    };
  };

  return {
    transport: WEBSOCKET_TRANSPORT,
    legacyPeerAuth: options.legacyPeerAuth === true,
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    connections: () => [...live],

    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      if (closed) throw new CapmeshError('DISCONNECTED', 'this websocket netlayer is closed');
      if (binding) throw new CapmeshError('INVALID_ARGUMENT', 'attach was already called on this websocket netlayer');
      assertNonEmptyString(b?.designator, 'binding.designator');
      binding = b;
      const s = new WebSocketServer({ host, port: options.port ?? 0, maxPayload: maxMessageBytes, perMessageDeflate: false, clientTracking: false });
      await new Promise<void>((resolve, reject) => {
        s.once('listening', () => resolve());
        s.once('error', (error: Error) => reject(new CapmeshError('DISCONNECTED', `cannot listen on ${host}:${options.port ?? 0}: ${error.message}`, { cause: error })));
      });
      s.on('error', () => {});
      s.on('connection', accept);
      server = s;
      const address = s.address();
      port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
      url = options.url ?? `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
      return { designator: b.designator, hints: { url } };
    },

    async connect(locator: PeerLocator): Promise<Connection> {
      await null;
      if (closed) throw new CapmeshError('DISCONNECTED', 'this websocket netlayer is closed');
      const connection = await dialWebSocket(WebSocket, locator, { ...options, connectTimeoutMs: timeoutMs, onEnded });
      if (closed) {
        connection.close('the netlayer is closed');
        throw new CapmeshError('DISCONNECTED', 'this websocket netlayer is closed');
      }
      live.add(connection);
      return connection;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const connection of [...live]) connection.close('websocket netlayer closed');
      for (const ws of pending) ws.terminate();
      pending.clear();
      if (server) {
        const s = server;
        const done = new Promise<void>((resolve) => s.close(() => resolve()));
        // Peers that do not finish the closing handshake promptly are cut.
        const grace = setTimeout(() => {
          for (const ws of accepted) ws.terminate();
        }, 500);
        (grace as { unref?: () => void }).unref?.();
        await done;
        clearTimeout(grace);
      }
    },
  };
}

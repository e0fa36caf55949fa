import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { assert, assertInteger } from '../../util/assert.js';
import { CapmeshError } from '../../util/errors.js';
import { assertNonEmptyString } from '../../util/assert.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import { NetlayerState } from '../netlayer-state.js';
import { answerChallenge } from './auth.js';
import { WEBSOCKET_TRANSPORT, dialWebSocket, type WebSocketDialOptions } from './client.js';
import { WebSocketConnection } from './connection.js';
import { closeQuietly, messageBytes, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';
import { nodeWebSocket } from './ws.js';

export interface WebSocketNetlayerOptions extends WebSocketDialOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The URL others dial (our `url` hint), e.g. `wss://vat.example` behind a TLS proxy. Default `ws://host:port`. */
  readonly url?: string;
  /**
   * Largest incoming message, also the `ws` `maxPayload` of the listener and
   * of our dialled sockets: `ws` refuses a frame whose declared length is
   * larger before buffering it and closes the socket (1009). Default 16 MiB.
   */
  readonly maxMessageBytes?: number;
  /**
   * How long an accepted TCP socket has to complete its HTTP upgrade to a
   * WebSocket (also the HTTP server's `headersTimeout`/`requestTimeout`).
   * When it passes the socket is destroyed; no vat ever sees it. Default
   * 10 000 ms. (The next step, the peer-auth challenge, must then arrive
   * within `connectTimeoutMs`, default 10 000 ms, or the socket is closed
   * with 4003.)
   */
  readonly upgradeTimeoutMs?: number;
  /**
   * How long an accepted connection, once peer-auth is answered and it is
   * handed to the vat, waits for the peer's first message (its
   * `op:start-session`). When it passes the connection ends with code
   * `TIMEOUT` (the session sends `op:abort`) and the socket closes with 4003.
   * Until then no session exists, so this also caps idleness before one.
   * Default 10 000 ms.
   */
  readonly firstMessageTimeoutMs?: number;
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
 * Deadlines on inbound sockets, in order: the HTTP upgrade within
 * `upgradeTimeoutMs`, the peer-auth challenge within `connectTimeoutMs`,
 * then (after our answer went out and the connection was handed to the vat)
 * the peer's first message within `firstMessageTimeoutMs`. Messages over
 * `maxMessageBytes` are refused by `ws` at the frame header. Signing is
 * asynchronous: a socket that sends anything more before our answer, or that
 * closes meanwhile, is dropped; a signer failure closes the socket (1011).
 */
export function websocketNetlayer(options: WebSocketNetlayerOptions = {}): WebSocketNetlayer {
  assert(typeof options === 'object' && options !== null, 'options', 'an object', options);
  const host = options.host ?? '127.0.0.1';
  assertNonEmptyString(host, 'options.host');
  if (options.port !== undefined) assertInteger(options.port, 'options.port', 0, 65535);
  if (options.url !== undefined) assertNonEmptyString(options.url, 'options.url');
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  assertInteger(maxMessageBytes, 'options.maxMessageBytes', 1);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  assertInteger(timeoutMs, 'options.connectTimeoutMs', 1);
  const upgradeTimeoutMs = options.upgradeTimeoutMs ?? 10_000;
  assertInteger(upgradeTimeoutMs, 'options.upgradeTimeoutMs', 1);
  const firstMessageTimeoutMs = options.firstMessageTimeoutMs ?? 10_000;
  assertInteger(firstMessageTimeoutMs, 'options.firstMessageTimeoutMs', 1);
  const WebSocket = options.WebSocket ?? nodeWebSocket({ maxPayload: maxMessageBytes });
  const state = new NetlayerState<WebSocketConnection>('websocket');
  const pending = new Set<WsSocket>();
  /** Every accepted socket until it closed, so `close` can cut the ones that do not finish closing. */
  const accepted = new Set<WsSocket>();
  let server: WebSocketServer | undefined;
  let httpServer: HttpServer | undefined;
  let url: string | undefined;
  let port: number | undefined;
  const onEnded = (connection: WebSocketConnection): void => state.forget(connection);

  const accept = (ws: WsSocket, request?: { socket?: { remoteAddress?: string } }): void => {
    const source = request?.socket?.remoteAddress;
    ws.on('error', () => {});
    accepted.add(ws);
    ws.on('close', () => accepted.delete(ws));
    const binding = state.binding;
    if (state.closed || binding === undefined) {
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
      const answering = challenge === undefined ? Promise.resolve(undefined) : answerChallenge(challenge, binding.signer);
      void answering.then(
        (answer) => {
          pending.delete(ws);
          if (gone || state.closed) return;
          socket.onmessage = null;
          socket.onclose = null;
          if (answer === undefined) {
            closeQuietly(socket, 4002, 'expected a peer-auth challenge');
            return;
          }
          socket.send(answer);
          const connection = new WebSocketConnection(socket, {
            transport: WEBSOCKET_TRANSPORT,
            outbound: false,
            remoteLocator: undefined,
            onEnded,
            firstMessageTimeoutMs,
            source,
          });
          state.adoptInbound(connection);
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
    connections: () => state.connections(),

    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      state.bind(b);
      const http = listenerHttpServer(upgradeTimeoutMs);
      const s = new WebSocketServer({ server: http, maxPayload: maxMessageBytes, perMessageDeflate: false, clientTracking: false });
      await new Promise<void>((resolve, reject) => {
        http.once('error', (error: Error) => reject(new CapmeshError('DISCONNECTED', `cannot listen on ${host}:${options.port ?? 0}: ${error.message}`, { cause: error })));
        http.listen(options.port ?? 0, host, () => resolve());
      });
      http.on('error', () => {});
      httpServer = http;
      s.on('error', () => {});
      s.on('connection', accept);
      server = s;
      const address = http.address();
      port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
      url = options.url ?? `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
      return { designator: b.designator, hints: { url } };
    },

    async connect(locator: PeerLocator): Promise<Connection> {
      await null;
      state.assertOpen();
      const connection = await dialWebSocket(WebSocket, locator, { ...options, connectTimeoutMs: timeoutMs, onEnded });
      return state.adoptOutbound(connection);
    },

    async close(): Promise<void> {
      const live = state.shutDown();
      if (live === undefined) return;
      for (const connection of live) connection.close('websocket netlayer closed');
      for (const ws of pending) ws.terminate();
      pending.clear();
      if (server) {
        const s = server;
        const http = httpServer!;
        const done = Promise.all([
          new Promise<void>((resolve) => s.close(() => resolve())),
          new Promise<void>((resolve) => http.close(() => resolve())),
        ]);
        // Sockets still before or in their HTTP upgrade are cut at once.
        http.closeAllConnections();
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

/**
 * The listener's HTTP server: it only upgrades. A plain request gets 426; a
 * socket that has not completed its upgrade within `upgradeTimeoutMs` of
 * being accepted is destroyed (a peer cannot hold sockets by sending nothing
 * or trickling headers). Ownership: the upgraded socket belongs to `ws`.
 */
function listenerHttpServer(upgradeTimeoutMs: number): HttpServer {
  const http = createHttpServer({ requestTimeout: upgradeTimeoutMs, headersTimeout: upgradeTimeoutMs });
  http.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end('WebSocket upgrade required');
  });
  const deadlines = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
  http.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), upgradeTimeoutMs);
    timer.unref?.();
    deadlines.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  // Listeners run in order: this one (added before ws's) clears the deadline as the upgrade starts.
  http.prependListener('upgrade', (req) => clearTimeout(deadlines.get(req.socket as Socket)));
  return http;
}

import { CapmeshError } from '../../util/errors.js';
import { publicKeyOfDesignator } from '../../crypto/index.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import { NetlayerState } from '../netlayer-state.js';
import { checkAnswer, makeChallenge, type WebSocketAuth } from './auth.js';
import { WebSocketConnection } from './connection.js';
import { closeQuietly, defaultWebSocket, messageBytes, openWebSocket, type WebSocketConstructor } from './websocket-like.js';

/** The transport name of websocket locators: `ocapn://<designator>.websocket?url=ws://…`. */
export const WEBSOCKET_TRANSPORT = 'websocket';

export interface WebSocketDialOptions {
  /** `typed` (`init:peer-auth`, Goblins ≥ 0.18 and Endo; default) or `legacy` (Goblins ≤ 0.17). */
  readonly auth?: WebSocketAuth;
  /** Budget for opening the socket and the peer-auth answer. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * Dials the websocket peer at `locator` and authenticates it: opens
 * `hints.url`, sends a challenge, and checks the answer against the key the
 * designator names. Resolves with the connection; rejects with
 * `DISCONNECTED` (its `cause` a `WEBSOCKET_AUTH` error when the peer failed
 * to prove its designator, the message starting with that code).
 */
export async function dialWebSocket(
  WebSocket: WebSocketConstructor,
  locator: PeerLocator,
  options: WebSocketDialOptions & { readonly onEnded: (connection: WebSocketConnection) => void },
): Promise<WebSocketConnection> {
  if (locator?.transport !== WEBSOCKET_TRANSPORT) {
    throw new CapmeshError('INVALID_ARGUMENT', `the websocket netlayer dials only "${WEBSOCKET_TRANSPORT}" locators, got ${JSON.stringify(locator?.transport)}`);
  }
  const publicKey = publicKeyOfDesignator(locator.designator);
  const url = locator.hints?.url;
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) {
    throw new CapmeshError('INVALID_ARGUMENT', 'a websocket locator needs a `url` hint starting with ws:// or wss://');
  }
  const form = options.auth ?? 'typed';
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const challenge = makeChallenge(form);
  let answered!: (connection: WebSocketConnection) => void;
  let failed!: (error: unknown) => void;
  const authenticated = new Promise<WebSocketConnection>((resolve, reject) => {
    answered = resolve;
    failed = reject;
  });
  const socket = await openWebSocket(WebSocket, url, timeoutMs, (s) => {
    s.onmessage = (event) => {
      s.onmessage = null;
      s.onclose = null;
      try {
        const answer = messageBytes(event.data);
        if (answer === undefined) throw new CapmeshError('WEBSOCKET_AUTH', 'the peer-auth answer is a text message');
        checkAnswer(form, challenge, answer, publicKey);
      } catch (error) {
        closeQuietly(s, 4003, 'peer-auth failed');
        failed(error);
        return;
      }
      // Take over the socket in this same event, before any later message.
      answered(new WebSocketConnection(s, { transport: WEBSOCKET_TRANSPORT, outbound: true, remoteLocator: locator, onEnded: options.onEnded }));
    };
    s.onclose = (event) => failed(new CapmeshError('DISCONNECTED', `the socket closed before the peer-auth answer (${event.code})`));
    s.onerror = () => {};
    s.send(challenge);
  });
  const timer = setTimeout(() => {
    closeQuietly(socket, 1000, 'peer-auth timed out');
    failed(new CapmeshError('DISCONNECTED', `no peer-auth answer within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    return await authenticated;
  } catch (error) {
    const code = error instanceof CapmeshError ? error.code : undefined;
    if (code === 'DISCONNECTED') throw error;
    throw new CapmeshError('DISCONNECTED', `${code ?? 'ERROR'}: ${(error as Error).message} (dialling ${url})`, { cause: error, detail: { code } });
  } finally {
    clearTimeout(timer);
  }
}

export interface WebSocketClientNetlayerOptions extends WebSocketDialOptions {
  /** Default `globalThis.WebSocket`. */
  readonly WebSocket?: WebSocketConstructor;
}

/**
 * A dial-only `websocket` netlayer, for vats that cannot accept connections
 * (browser tabs and workers): it reaches Node, Goblins and Endo websocket
 * peers. Its own locator has no hints, so peers cannot dial it back; they
 * answer over the connection it opened. `close` closes what it opened.
 */
export function websocketClientNetlayer(options: WebSocketClientNetlayerOptions = {}): Netlayer {
  const WebSocket = options.WebSocket ?? defaultWebSocket();
  const state = new NetlayerState<WebSocketConnection>('websocket');
  return {
    transport: WEBSOCKET_TRANSPORT,
    async attach(binding: NetlayerBinding): Promise<NetlayerAttachment> {
      state.bind(binding);
      return { designator: binding.designator, hints: {} };
    },
    async connect(locator: PeerLocator): Promise<Connection> {
      await null;
      state.assertOpen();
      const connection = await dialWebSocket(WebSocket, locator, { ...options, onEnded: (c) => state.forget(c) });
      return state.adoptOutbound(connection);
    },
    async close(): Promise<void> {
      for (const connection of state.shutDown() ?? []) connection.close('websocket netlayer closed');
    },
  };
}

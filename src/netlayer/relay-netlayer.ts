import { CapmeshError, isCapmeshError } from '../util/errors.js';
import { assertNonEmptyString } from '../util/assert.js';
import { publicKeyOfDesignator } from '../crypto/index.js';
import type { PeerLocator } from '../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from './types.js';
import { RelayClient, type RelayClientOptions, type RelayLogger } from './relay-client.js';
import { DATA_HEADER_BYTES } from './relay-protocol.js';
import { E2E_CHUNK_OVERHEAD } from './relay-e2e.js';
import { RelayConnection, acceptOverCircuit, dialOverCircuit, type CircuitHandshakeOptions } from './relay-connection.js';
import type { WebSocketConstructor } from './websocket-like.js';

/** The transport name of relay locators: `ocapn://<designator>.relay?url=ws://…`. */
export const RELAY_TRANSPORT = 'relay';

export interface RelayNetlayerOptions {
  /** The home relay, `ws://…` or `wss://…`; it becomes the `url` hint of our locator. */
  readonly url: string;
  /** Default `globalThis.WebSocket`; `capmesh/node` injects `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect backoff (see `RelayClientOptions.reconnect`). */
  readonly reconnect?: RelayClientOptions['reconnect'];
  /** Budget for each step of `connect` (registration, circuit, handshake). Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Client ping interval (0 = off). Default 25 000 ms. */
  readonly heartbeatMs?: number;
  /** Largest message accepted from a peer after reassembly. Default 16 MiB. */
  readonly maxMessageBytes?: number;
  readonly logger?: RelayLogger;
}

export interface RelayNetlayer extends Netlayer {
  /** The home relay URL as given. */
  readonly url: string;
  /** The client registered at the home relay (undefined before `attach`). */
  readonly client: RelayClient | undefined;
  /** Open connections (made or accepted). */
  connections(): RelayConnection[];
  /** Called after any of our connections ended; `connection.closeError` says why when it failed. Returns an unsubscribe function. */
  onConnectionEnded(listener: (connection: RelayConnection) => void): () => void;
}

const quiet: RelayLogger = { debug() {}, info() {}, warn() {} };

function urlKey(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function describe(error: unknown): string {
  return isCapmeshError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

/**
 * The `relay` netlayer: reaches vats through capmesh relays, end-to-end
 * encrypted (`relay-e2e.ts`), the relay seeing only circuit ids and
 * ciphertext.
 *
 * - `attach` registers at the home relay and resolves when registered, or
 *   when the first attempt failed (the client keeps retrying in the
 *   background; `connect` waits for it). Hints: `{ url }`.
 * - `connect(locator)` uses the relay in the locator's `url` hint (the home
 *   relay when absent; another relay gets its own registered client, made on
 *   first use and kept), waits until registered, opens a circuit and runs the
 *   handshake. Any failure rejects with `DISCONNECTED`, whose message starts
 *   with the underlying code (`E2E_HANDSHAKE: …`, `RELAY_REFUSED: …`).
 * - Inbound circuits are handed to the vat only after the handshake proved
 *   the dialler's designator (`provenDesignator`, both ways); the vat's
 *   connection shell aborts a connection whose start-session names another
 *   designator or transport (`IDENTITY_MISMATCH`), so a peer cannot borrow
 *   another vat's identity inside CapTP. This netlayer never decodes CapTP.
 * - When a relay connection drops, its circuits' connections close with kind
 *   `error`; the client reconnects and re-registers, and the vat re-dials
 *   (e.g. on the next `enliven`).
 * - `close` closes every connection and client. Idempotent.
 */
export function relayNetlayer(options: RelayNetlayerOptions): RelayNetlayer {
  assertNonEmptyString(options?.url, 'url');
  const homeKey = urlKey(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const log = options.logger ?? quiet;
  const clients = new Map<string, RelayClient>();
  const live = new Set<RelayConnection>();
  const endedListeners = new Set<(connection: RelayConnection) => void>();
  let binding: NetlayerBinding | undefined;
  let closed = false;

  const onEnded = (connection: RelayConnection): void => {
    live.delete(connection);
    for (const listener of [...endedListeners]) {
      try {
        listener(connection);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  const handshakeOptions = (client: RelayClient): CircuitHandshakeOptions => ({
    transport: RELAY_TRANSPORT,
    identity: { designator: binding!.designator, sign: binding!.signWithDesignatorKey },
    timeoutMs: connectTimeoutMs,
    maxChunkBytes: Math.max(64, client.maxFrameBytes - DATA_HEADER_BYTES - E2E_CHUNK_OVERHEAD),
    maxMessageBytes,
    onEnded,
  });

  const clientFor = (url: string): RelayClient => {
    const key = urlKey(url);
    let client = clients.get(key);
    if (client) return client;
    client = new RelayClient({
      url,
      designator: binding!.designator,
      sign: binding!.signWithDesignatorKey,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
      connectTimeoutMs,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      logger: log,
    });
    const c = client;
    client.on('circuit', (circuit) => {
      if (closed) {
        circuit.close('the netlayer is closed');
        return;
      }
      acceptOverCircuit(circuit, handshakeOptions(c)).then(
        (connection) => {
          if (closed) {
            connection.close('the netlayer is closed');
            return;
          }
          live.add(connection);
          try {
            binding!.onConnection(connection);
          } catch (error) {
            connection.close(`the vat refused the connection: ${describe(error)}`);
          }
        },
        (error: unknown) => log.warn('refused an inbound relay circuit', { from: circuit.peer.slice(0, 12), error: describe(error) }),
      );
    });
    clients.set(key, client);
    return client;
  };

  const netlayer: RelayNetlayer = {
    transport: RELAY_TRANSPORT,
    url: options.url,
    get client() {
      return clients.get(homeKey);
    },
    connections: () => [...live],
    onConnectionEnded(listener) {
      endedListeners.add(listener);
      return () => endedListeners.delete(listener);
    },

    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      if (closed) throw new CapmeshError('DISCONNECTED', 'this relay netlayer is closed');
      if (binding) throw new CapmeshError('INVALID_ARGUMENT', 'attach was already called on this relay netlayer');
      assertNonEmptyString(b?.designator, 'binding.designator');
      binding = b;
      const client = clientFor(options.url);
      await new Promise<void>((resolve, reject) => {
        const settle = (): void => {
          if (client.state === 'connecting') return;
          off();
          if (client.state === 'refused') reject(new CapmeshError('RELAY_REFUSED', `the relay ${options.url} refused our registration`));
          else resolve();
        };
        const off = client.on('state', settle);
        settle();
      });
      return { designator: b.designator, hints: { url: options.url } };
    },

    async connect(locator: PeerLocator): Promise<Connection> {
      await null;
      if (locator?.transport !== RELAY_TRANSPORT) {
        throw new CapmeshError('INVALID_ARGUMENT', `the relay netlayer dials only "${RELAY_TRANSPORT}" locators, got ${JSON.stringify(locator?.transport)}`);
      }
      publicKeyOfDesignator(locator.designator);
      if (closed) throw new CapmeshError('DISCONNECTED', 'this relay netlayer is closed');
      if (!binding) throw new CapmeshError('DISCONNECTED', 'attach this relay netlayer to a vat before connecting');
      const url = locator.hints?.url ?? options.url;
      const client = clientFor(url);
      const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          throw new CapmeshError('DISCONNECTED', `${describe(error)} (while ${what} ${locator.designator.slice(0, 12)}… via ${url})`, {
            cause: error,
            detail: { step: what, code: isCapmeshError(error) ? error.code : undefined },
          });
        }
      };
      await step('registering to reach', () => client.whenRegistered(connectTimeoutMs));
      const circuit = await step('opening a circuit to', () => client.openCircuit(locator.designator, connectTimeoutMs));
      const connection = await step('authenticating', () => dialOverCircuit(circuit, locator, handshakeOptions(client)));
      if (closed) {
        connection.close('the netlayer is closed');
        throw new CapmeshError('DISCONNECTED', 'this relay netlayer is closed');
      }
      live.add(connection);
      return connection;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const connection of [...live]) connection.close('relay netlayer closed');
      for (const client of clients.values()) client.close();
    },
  };
  return netlayer;
}

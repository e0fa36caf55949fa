import { CapmeshError, isCapmeshError } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { Listeners } from '../../util/listeners.js';
import { NetlayerState } from '../netlayer-state.js';
import { loadCryptoBackend, publicKeyOfDesignator } from '../../crypto/index.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import { RelayClient, relayUrlList, type RelayClientOptions, type RelayReplacedNotice } from './client.js';
import { DATA_HEADER_BYTES, normalizeRelayUrl } from './protocol.js';
import { E2E_CHUNK_OVERHEAD } from './e2e-limits.js';
import type { RelayConnection } from './connection.js';
import type { CircuitHandshakeOptions } from './circuit-handshake.js';
import type { WebSocketConstructor } from '../websocket/websocket-like.js';
import { HandshakeGate, type HandshakeGateOptions, type HandshakeGateStats } from './handshake-gate.js';

/** The transport name of relay locators: `ocapn://<designator>.relay?url=ws://…`. */
export const RELAY_TRANSPORT = 'relay';

/** What to do with a relay a peer named (a locator's `url` hint) that is not our home relay. */
export type RelayPolicyDecision = 'dial-only' | 'never';

/** `relayPolicy`: one decision for every foreign relay, or a function of its normalised URL. */
export type RelayPolicy = RelayPolicyDecision | ((url: string) => RelayPolicyDecision);

export interface RelayNetlayerOptions {
  /**
   * The home relay, `ws://…` or `wss://…`: the only relay this netlayer
   * registers at (proves the designator and is reachable); it becomes the
   * `url` hint of our locator. A malformed URL (not `ws:`/`wss:`, not
   * parseable, with credentials) throws `INVALID_ARGUMENT` at construction.
   * An array names the nodes of one relay cluster (`capmesh relay
   * --cluster`): the home client fails over between them (see
   * `RelayClientOptions.url`), a locator naming any of them is dialled
   * through the home client, and our locator's hint is the first.
   */
  readonly url: string | readonly string[];
  /**
   * Relays named by peers (a sturdyref's or handoff's `url` hint other than
   * the home relay): `'dial-only'` (default) connects without registering —
   * the relay learns only our declared designator, nothing signed, and we
   * receive nothing there — and the end-to-end handshake still proves both
   * vats; `'never'` refuses the dial (`RELAY_POLICY`); a function decides
   * per normalised URL.
   */
  readonly relayPolicy?: RelayPolicy;
  /**
   * Dial-only clients kept at once. Default 4. A dial that needs another one
   * first closes an idle one; when none is idle it fails (`RELAY_POLICY`).
   */
  readonly maxForeignRelays?: number;
  /** A dial-only client with no connection or dial in progress is closed after this long. Default 60 000 ms. */
  readonly foreignRelayIdleMs?: number;
  /** Re-registration after `replaced` at the home relay (see `RelayClientOptions.replaceRecovery`). */
  readonly replaceRecovery?: RelayClientOptions['replaceRecovery'];
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
  readonly logger?: Logger;
  /**
   * Admission of inbound end-to-end handshakes (see `relay/handshake-gate.ts`):
   * `perSecond` (20), `burst` (40), `maxPending` (32). A circuit over budget is
   * closed with `RATE_LIMITED: …` before its init is read (no crypto done).
   */
  readonly inboundHandshakes?: HandshakeGateOptions;
}

export interface RelayNetlayer extends Netlayer {
  /** The home relay URL (the first, when `url` was a cluster's list): our locator's hint. */
  readonly url: string;
  /** Every home relay URL given. */
  readonly urls: readonly string[];
  /** The client registered at the home relay (undefined before `attach`). */
  readonly client: RelayClient | undefined;
  /** The dial-only clients at relays peers named (at most `maxForeignRelays`). */
  foreignClients(): RelayClient[];
  /** Called when the home registration was replaced (see the client's `replaced` event). Returns an unsubscribe function. */
  onReplaced(listener: (notice: RelayReplacedNotice) => void): () => void;
  /** Open connections (made or accepted). */
  connections(): RelayConnection[];
  /** Called after any of our connections ended; `connection.closeError` says why when it failed. Returns an unsubscribe function. */
  onConnectionEnded(listener: (connection: RelayConnection) => void): () => void;
  /** Inbound handshakes admitted, refused (rate or pending cap) and in progress. */
  inboundHandshakeStats(): HandshakeGateStats;
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

/** A dial-only client and what keeps it open. */
interface Foreign {
  readonly client: RelayClient;
  /** Dials in progress plus open connections over this client. */
  users: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

function describe(error: unknown): string {
  return isCapmeshError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

/**
 * The `relay` netlayer: reaches vats through capmesh relays, end-to-end
 * encrypted (`relay/e2e.ts`), the relay seeing only circuit ids and
 * ciphertext.
 *
 * - `attach` registers at the home relay and resolves when registered, or
 *   when the first attempt failed (the client keeps retrying in the
 *   background; `connect` waits for it). Hints: `{ url }`.
 * - `connect(locator)` uses the relay in the locator's `url` hint (the home
 *   relay when absent), waits until ready, opens a circuit and runs the
 *   handshake. A relay other than home is a *foreign* relay, named by a peer:
 *   it is used only as `relayPolicy` allows, through a dial-only client (made
 *   on first use, at most `maxForeignRelays`, closed after
 *   `foreignRelayIdleMs` without connections) — we never register there, so
 *   a peer cannot steer us to prove our designator to a relay of its choice.
 *   A failure rejects with the code of what failed, its message saying the
 *   step and peer: `PEER_OFFLINE` at once when the relay says the peer is
 *   not registered there; `RELAY_UNREACHABLE` when we are not registered at
 *   (or cannot reach) the relay within `connectTimeoutMs` or it drops
 *   mid-dial; `RELAY_REFUSED` (other relay refusals), `RELAY_POLICY`,
 *   `E2E_HANDSHAKE`, `INVALID_ARGUMENT` (a malformed `url` hint).
 *   `DISCONNECTED` is kept for a netlayer that is closed or a connection that
 *   was up and dropped.
 * - `replaced` at home is reported (`onReplaced`) and recovered from by the
 *   client (re-registration with backoff); `close` stops it.
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
  const homeUrls = relayUrlList(options?.url);
  const homeUrl = homeUrls[0]!;
  const homeKeys = new Set(homeUrls.map((u) => normalizeRelayUrl(u)));
  const policy: RelayPolicy = options.relayPolicy ?? 'dial-only';
  if (policy !== 'dial-only' && policy !== 'never' && typeof policy !== 'function') {
    throw new CapmeshError('INVALID_ARGUMENT', `relayPolicy is 'dial-only', 'never' or a function, got ${JSON.stringify(policy)}`);
  }
  const maxForeignRelays = options.maxForeignRelays ?? 4;
  const foreignRelayIdleMs = options.foreignRelayIdleMs ?? 60_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const log = options.logger ?? silentLogger;
  let home: RelayClient | undefined;
  /** Dial-only clients by normalised URL, in order of last use (oldest first). */
  const foreign = new Map<string, Foreign>();
  const state = new NetlayerState<RelayConnection>('relay');
  const endedListeners = new Listeners<[connection: RelayConnection]>();
  const replacedListeners = new Listeners<[notice: RelayReplacedNotice]>();
  const gate = new HandshakeGate(options.inboundHandshakes);

  const onEnded = (connection: RelayConnection): void => {
    state.forget(connection);
    endedListeners.emit(connection);
  };

  const handshakeOptions = (client: RelayClient): CircuitHandshakeOptions => ({
    transport: RELAY_TRANSPORT,
    identity: { designator: state.binding!.designator, signer: state.binding!.signer },
    timeoutMs: connectTimeoutMs,
    maxChunkBytes: Math.max(64, client.maxFrameBytes - DATA_HEADER_BYTES - E2E_CHUNK_OVERHEAD),
    maxMessageBytes,
    onEnded,
  });

  const newClient = (url: string | readonly string[], mode: 'register' | 'dial-only'): RelayClient =>
    new RelayClient({
      url,
      designator: state.binding!.designator,
      signer: state.binding!.signer,
      mode,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
      ...(options.replaceRecovery !== undefined ? { replaceRecovery: options.replaceRecovery } : {}),
      connectTimeoutMs,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      logger: log,
    });

  /** Closes a dial-only client and forgets it. */
  const dropForeign = (key: string, why: string): void => {
    const entry = foreign.get(key);
    if (!entry) return;
    foreign.delete(key);
    clearTimeout(entry.idleTimer);
    log.info('closing a dial-only relay client', { url: entry.client.url, why });
    entry.client.close();
  };

  /** One fewer dial or connection over `entry`; at zero the idle timer starts. */
  const release = (key: string, entry: Foreign): void => {
    entry.users--;
    if (entry.users > 0 || foreign.get(key) !== entry) return;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      if (foreign.get(key) === entry && entry.users === 0) dropForeign(key, `idle for ${foreignRelayIdleMs} ms`);
    }, foreignRelayIdleMs);
    unref(entry.idleTimer);
  };

  /**
   * The dial-only client for the foreign relay `key`, made if needed (policy
   * and cap permitting), with one more user. Throws `RELAY_POLICY`.
   */
  const acquireForeign = (url: string, key: string): Foreign => {
    const decision = typeof policy === 'function' ? policy(key) : policy;
    if (decision !== 'dial-only') {
      throw new CapmeshError('RELAY_POLICY', `the relay ${key} was named by a peer, and relayPolicy does not allow dialling it`);
    }
    let entry = foreign.get(key);
    if (entry) {
      foreign.delete(key); // Re-insert: most recently used last.
      foreign.set(key, entry);
    } else {
      if (foreign.size >= maxForeignRelays) {
        const idle = [...foreign].find(([, e]) => e.users === 0);
        if (!idle) throw new CapmeshError('RELAY_POLICY', `already using ${foreign.size} peer-named relays (maxForeignRelays), none idle`);
        dropForeign(idle[0], 'making room for another peer-named relay');
      }
      entry = { client: newClient(url, 'dial-only'), users: 0, idleTimer: undefined };
      foreign.set(key, entry);
    }
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.users++;
    return entry;
  };

  const homeClient = (): RelayClient => {
    if (home) return home;
    const client = newClient(homeUrls, 'register');
    home = client;
    client.on('replaced', (notice) => {
      log.warn('our home relay registration was replaced by a newer one', { url: notice.url, count: notice.count, retryInMs: notice.retryInMs });
      replacedListeners.emit(notice);
    });
    const c = client;
    client.on('circuit', (circuit) => {
      if (state.closed) {
        circuit.close('the netlayer is closed');
        return;
      }
      const admission = gate.admit();
      if ('refused' in admission) {
        log.warn('refused an inbound relay circuit before its handshake', { from: circuit.peer.slice(0, 12), reason: admission.refused });
        circuit.close(`RATE_LIMITED: ${admission.refused}`);
        return;
      }
      const handshake = loadCircuitHandshake().then((m) => m.acceptOverCircuit(circuit, handshakeOptions(c)));
      handshake.then(admission.done, admission.done);
      handshake.then(
        (connection) => state.adoptInbound(connection),
        (error: unknown) => log.warn('refused an inbound relay circuit', { from: circuit.peer.slice(0, 12), error: describe(error) }),
      );
    });
    return client;
  };

  const netlayer: RelayNetlayer = {
    transport: RELAY_TRANSPORT,
    url: homeUrl,
    urls: homeUrls,
    get client() {
      return home;
    },
    foreignClients: () => [...foreign.values()].map((e) => e.client),
    onReplaced(listener) {
      return replacedListeners.add(listener);
    },
    connections: () => state.connections(),
    inboundHandshakeStats: () => gate.stats(),
    onConnectionEnded(listener) {
      return endedListeners.add(listener);
    },

    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      state.bind(b);
      const client = homeClient();
      await new Promise<void>((resolve, reject) => {
        const settle = (): void => {
          if (client.state === 'connecting') return;
          off();
          if (client.state === 'refused') reject(new CapmeshError('RELAY_REFUSED', `the relay ${client.url} refused our registration`));
          else resolve();
        };
        const off = client.on('state', settle);
        settle();
      });
      return { designator: b.designator, hints: { url: homeUrl } };
    },

    async connect(locator: PeerLocator): Promise<Connection> {
      await null;
      if (locator?.transport !== RELAY_TRANSPORT) {
        throw new CapmeshError('INVALID_ARGUMENT', `the relay netlayer dials only "${RELAY_TRANSPORT}" locators, got ${JSON.stringify(locator?.transport)}`);
      }
      publicKeyOfDesignator(locator.designator);
      state.requireBinding();
      const url = locator.hints?.url ?? homeUrl;
      const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          // Keep the underlying code (`PEER_OFFLINE`, `RELAY_UNREACHABLE`, `E2E_HANDSHAKE`, …) so callers need not parse text.
          const code = isCapmeshError(error) ? error.code : 'DISCONNECTED';
          const text = error instanceof Error ? error.message : String(error);
          throw new CapmeshError(code, `${text} (while ${what} ${locator.designator.slice(0, 12)}… via ${url})`, {
            cause: error,
            detail: { step: what },
          });
        }
      };
      const key = await step('checking the relay of', async () => normalizeRelayUrl(url));
      if (homeKeys.has(key)) return dialVia(homeClient(), locator, step, undefined);
      const entry = await step('choosing a relay for', async () => acquireForeign(url, key));
      let connection: RelayConnection;
      try {
        connection = await dialVia(entry.client, locator, step, () => release(key, entry));
      } catch (error) {
        release(key, entry);
        throw error;
      }
      return connection;
    },

    async close(): Promise<void> {
      const live = state.shutDown();
      if (live === undefined) return;
      for (const connection of live) connection.close('relay netlayer closed');
      home?.close();
      for (const key of [...foreign.keys()]) dropForeign(key, 'the netlayer is closed');
    },
  };

  /**
   * Waits until `client` is ready, opens a circuit and runs the handshake.
   * `onEnd` (foreign clients) runs once when the resulting connection ends.
   */
  async function dialVia(
    client: RelayClient,
    locator: PeerLocator,
    step: <T>(what: string, run: () => Promise<T>) => Promise<T>,
    onEnd: (() => void) | undefined,
  ): Promise<RelayConnection> {
    await step('registering to reach', () => client.whenRegistered(connectTimeoutMs));
    const circuit = await step('opening a circuit to', () => client.openCircuit(locator.designator, connectTimeoutMs));
    const base = handshakeOptions(client);
    const connection = await step('authenticating', async () =>
      (await loadCircuitHandshake()).dialOverCircuit(circuit, locator, onEnd ? { ...base, onEnded: (c) => (onEnd(), base.onEnded(c)) } : base),
    );
    return state.adoptOutbound(connection);
  }
  return netlayer;
}

let circuitHandshake: Promise<typeof import('./circuit-handshake.js')> | undefined;

/**
 * The end-to-end circuit handshake and channel (with their X25519 and AEAD,
 * and the synchronous curves: crypto/active-backend.ts), loaded on the
 * first circuit dialled or accepted: a tab that only signals
 * through the relay never loads them. A load that fails rejects that
 * circuit's connect / accept; the next one tries again.
 */
function loadCircuitHandshake(): Promise<typeof import('./circuit-handshake.js')> {
  // The handshake's X25519 and signature checks run on the synchronous curves: they load with it.
  circuitHandshake ??= Promise.all([import('./circuit-handshake.js'), loadCryptoBackend()]).then(([handshake]) => handshake).catch((error: unknown) => {
    circuitHandshake = undefined;
    throw error;
  });
  return circuitHandshake;
}

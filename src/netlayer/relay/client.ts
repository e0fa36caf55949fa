import { CapmeshError } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { EventListeners } from '../../util/listeners.js';
import { assertFunction, assertNonEmptyString } from '../../util/assert.js';
import {
  RELAY_CLOSE,
  NOT_REGISTERED_REASON,
  RELAY_PROTOCOL_VERSION,
  dataFrameCircuit,
  dataFramePayload,
  decodeRelayServerMessage,
  encodeDataFrame,
  encodeRelayMessage,
  isDataFrame,
  normalizeRelayUrl,
  registrationProof,
  TURN_QUERY,
  type RelayClientMessage,
  type RelayServerMessage,
} from './protocol.js';
import { RelayCircuit } from './circuit.js';
import type { DesignatorSigner } from '../../crypto/signer.js';
import { WS_OPEN, closeQuietly, defaultWebSocket, messageBytes, openWebSocket, type WebSocketConstructor, type WebSocketLike } from '../websocket/websocket-like.js';

/**
 * `RelayClient`: one vat's registration at one relay, and the typed API over
 * the relay protocol (`relay/protocol.ts`) that the relay netlayer and the
 * browser's WebRTC broker share: routed **signals** (`signal`/`on('signal')`)
 * and **circuits** (`openCircuit`/`on('circuit')`).
 *
 * Lifecycle: the client connects at once, answers the relay's challenge by
 * signing it — together with the URL it dialled, so the proof is good at
 * this relay only — with the designator key, and reaches `registered`. In
 * `mode: 'dial-only'` it instead declares its designator without signing and
 * reaches `dial-only`: it may open circuits, receives none, and sends no
 * signals. When the socket drops it goes `disconnected` (every circuit
 * closes, every pending open fails) and reconnects after a capped
 * exponential backoff with jitter, then registers again.
 *
 * `replaced` (a newer registration of the same designator took over at the
 * relay) is reported — state `replaced` and the `replaced` event — and, by
 * default, recovered from: the client registers again after a delay that
 * starts at `replaceRecovery.initialDelayMs` and doubles with each
 * consecutive replacement up to `maxDelayMs` (jittered to 50–100 %); the count
 * resets once a registration has lasted twice `maxDelayMs`. The newest
 * registration wins at the relay and the loser is told, so two copies of one
 * vat trade the designator ever more slowly rather than fight; the app stops
 * for good with `close()` (e.g. from a `replaced` listener), or sets
 * `replaceRecovery: false` to make `replaced` final. `refused` and `close()`
 * are final.
 *
 * Liveness: while registered the client sends `ping` every `heartbeatMs`; if
 * nothing at all arrives from the relay for two intervals the socket is
 * dropped (and the client reconnects). The relay pings too (WebSocket pings,
 * answered by the platform).
 *
 * TURN: unless `askForTurn` is false (or in dial-only mode), the client
 * dials with `?capmesh-turn=1`; a relay configured with a TURN server then
 * sends credentials after `registered` and before each expires.
 * `turnCredentials` holds the latest until its lifetime (counted from its
 * arrival, on this machine's clock) ends, across reconnects; the `turn`
 * event reports each. A relay without TURN sends none, and nothing else
 * changes.
 *
 * Listeners are called synchronously from socket events, in arrival order; a
 * listener that throws is reported on a microtask and does not stop others.
 * The relay is untrusted: `from` in a signal and `peer` of a circuit are what
 * the relay says, authenticated only by its registration check.
 */

/**
 * `registered` and `dial-only` are the two ready states (home and dial-only
 * mode). `replaced` is final only with `replaceRecovery: false`.
 */
export type RelayClientState = 'connecting' | 'registered' | 'dial-only' | 'disconnected' | 'replaced' | 'refused' | 'closed';

/** What the `replaced` event reports. */
export interface RelayReplacedNotice {
  /** The relay URL (as given). */
  readonly url: string;
  /** Consecutive replacements so far (1 for the first). */
  readonly count: number;
  /** When the client registers again, in ms; undefined when it will not (`replaceRecovery: false`). */
  readonly retryInMs: number | undefined;
}

/**
 * Short-lived TURN credentials the relay handed us, in the shape of an
 * `RTCIceServer` (`urls`, `username`, `credential`) plus when they lapse.
 */
export interface RelayTurnCredentials {
  readonly urls: readonly string[];
  /** `expiry:designator` (TURN REST API scheme). */
  readonly username: string;
  readonly credential: string;
  /** Local `Date.now()` time after which they are dropped (arrival + the relay's TTL). */
  readonly expiresAt: number;
}

/** A routed signal as received: the sender (as the relay registered it), a kind, opaque bytes. */
export interface RelaySignal {
  readonly from: string;
  readonly kind: string;
  readonly payload: Uint8Array;
}

export interface RelayClientEvents {
  /** The state changed; `reason` says why. */
  state: (state: RelayClientState, reason: string) => void;
  signal: (signal: RelaySignal) => void;
  /** A signal we sent could not be delivered (peer not registered, too large…). */
  undeliverable: (notice: { readonly to: string; readonly kind: string; readonly reason: string }) => void;
  /** A peer opened a circuit to us. Call `circuit.setHandler` (or `close`) at once. */
  circuit: (circuit: RelayCircuit) => void;
  /**
   * A newer registration of our designator took over at the relay (another
   * copy of this vat, or whoever holds its key). Emitted after the state
   * became `replaced` and everything on the old connection was torn down.
   */
  replaced: (notice: RelayReplacedNotice) => void;
  /** Fresh TURN credentials arrived (`turnCredentials` now returns them). */
  turn: (credentials: RelayTurnCredentials) => void;
}

export interface RelayClientOptions {
  /**
   * `ws://…` or `wss://…`; or the URLs of the nodes of one relay cluster
   * (`capmesh relay --cluster`): the client dials the first, and each time
   * the connection is lost (or cannot be made) it dials the next one, in
   * turn, after the `reconnect` backoff. All must be valid (`INVALID_ARGUMENT`).
   */
  readonly url: string | readonly string[];
  /** Our designator (base32 of the designator key). */
  readonly designator: string;
  /** Signs labelled statements with the designator key (here: `<relay:register-proof …>`). */
  readonly signer: DesignatorSigner;
  /** Default: `globalThis.WebSocket` (browsers, workers, Node ≥ 22). Node entries inject `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Backoff between reconnects: starts at `initialDelayMs` (250), doubles, capped at `maxDelayMs` (30 000). `false`: never reconnect. */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number } | false;
  /** Budget for opening the socket and registering, per attempt. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Client ping interval; 0 disables. Default 25 000 ms. */
  readonly heartbeatMs?: number;
  /**
   * `register` (default): prove the designator and be reachable here (a home
   * relay). `dial-only`: declare the designator without signing anything and
   * only open circuits (a relay a peer named; see `relayPolicy`).
   */
  readonly mode?: 'register' | 'dial-only';
  /**
   * After `replaced`, register again after `initialDelayMs` (1 000), doubling
   * per consecutive replacement up to `maxDelayMs` (300 000), jittered to
   * 50–100 %; the count resets after a registration lasted 2 × `maxDelayMs`.
   * `false`: `replaced` is final.
   */
  readonly replaceRecovery?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number } | false;
  /**
   * Ask the relay for TURN credentials (dial with `?capmesh-turn=1`; see
   * `turnCredentials`). Default true; never in dial-only mode.
   */
  readonly askForTurn?: boolean;
  readonly logger?: Logger;
}

interface PendingOpen {
  readonly to: string;
  readonly resolve: (circuit: RelayCircuit) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** `url` with `capmesh-turn=1` added to its query. */
function withTurnQuery(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(TURN_QUERY, '1');
  return parsed.toString();
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

export class RelayClient {
  /** Every URL given (one, or a cluster's). */
  readonly urls: readonly string[];
  #urlIndex = 0;
  readonly designator: string;
  /** `register` or `dial-only` (see `RelayClientOptions.mode`). */
  readonly mode: 'register' | 'dial-only';

  readonly #signer: DesignatorSigner;
  readonly #WebSocket: WebSocketConstructor;
  readonly #reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number } | false;
  readonly #connectTimeoutMs: number;
  readonly #heartbeatMs: number;
  readonly #log: Logger;
  readonly #listeners = new EventListeners<{ [K in keyof RelayClientEvents]: Parameters<RelayClientEvents[K]> }>();
  readonly #replaceRecovery: { readonly initialDelayMs: number; readonly maxDelayMs: number } | false;
  /** Consecutive replacements (reset after a registration lasted 2 × `replaceRecovery.maxDelayMs`). */
  #replacedCount = 0;
  #registeredAt = 0;

  #state: RelayClientState = 'connecting';
  #socket: WebSocketLike | undefined;
  #attempt = 0;
  #maxFrameBytes = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #registerTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #pingCount = 0;
  #nextRequest = 1;
  readonly #pending = new Map<number, PendingOpen>();
  readonly #circuits = new Map<number, RelayCircuit>();
  #registrations = 0;
  /** The URL actually dialled: `url`, plus the TURN query when we ask for credentials. */
  /** Whether our dials ask the relay for TURN credentials (`TURN_QUERY` on the URL). */
  readonly #askForTurn: boolean;
  #turn: RelayTurnCredentials | undefined;
  #turnTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RelayClientOptions) {
    this.urls = relayUrlList(options?.url);
    assertNonEmptyString(options.designator, 'designator');
    assertFunction(options.signer?.signEncoded, 'signer.signEncoded');
    this.designator = options.designator;
    this.mode = options.mode ?? 'register';
    if (this.mode !== 'register' && this.mode !== 'dial-only') throw new CapmeshError('INVALID_ARGUMENT', `mode is 'register' or 'dial-only', got ${JSON.stringify(this.mode)}`);
    this.#replaceRecovery =
      options.replaceRecovery === false
        ? false
        : { initialDelayMs: options.replaceRecovery?.initialDelayMs ?? 1_000, maxDelayMs: options.replaceRecovery?.maxDelayMs ?? 300_000 };
    this.#signer = options.signer;
    this.#WebSocket = options.WebSocket ?? defaultWebSocket();
    this.#reconnect =
      options.reconnect === false
        ? false
        : { initialDelayMs: options.reconnect?.initialDelayMs ?? 250, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#heartbeatMs = options.heartbeatMs ?? 25_000;
    this.#log = options.logger ?? silentLogger;
    this.#askForTurn = this.mode === 'register' && options.askForTurn !== false;
    this.#connect();
  }

  get state(): RelayClientState {
    return this.#state;
  }

  /** The URL dialled now (or last): one of `urls`. */
  get url(): string {
    return this.urls[this.#urlIndex]!;
  }

  /** The relay's frame limit (known once connected; 0 before). */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  /** How many times this client has registered (1 after the first success; +1 per reconnect). */
  get registrations(): number {
    return this.#registrations;
  }

  /** Bytes queued on the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /**
   * The latest TURN credentials from the relay, until they lapse (then
   * undefined until fresh ones come); undefined when the relay gives none.
   */
  get turnCredentials(): RelayTurnCredentials | undefined {
    return this.#turn;
  }

  /** Open circuits. */
  get circuitCount(): number {
    return this.#circuits.size;
  }

  on<K extends keyof RelayClientEvents>(event: K, listener: RelayClientEvents[K]): () => void {
    return this.#listeners.on(event, listener as (...args: Parameters<RelayClientEvents[K]>) => void);
  }

  /** True in the ready state of our mode (`registered`, or `dial-only`). */
  get ready(): boolean {
    return this.#state === 'registered' || this.#state === 'dial-only';
  }

  /**
   * Resolves once ready — `registered`, or `dial-only` in that mode — (at
   * once if already). Rejects with `RELAY_UNREACHABLE` after `timeoutMs`, or when
   * the client reaches a final state (`RELAY_REPLACED` when replaced without
   * recovery, `RELAY_REFUSED`, `DISCONNECTED` for closed). While a replaced
   * client waits to register again it keeps waiting (up to `timeoutMs`).
   */
  whenRegistered(timeoutMs = this.#connectTimeoutMs): Promise<void> {
    if (this.ready) return Promise.resolve();
    const final = this.#finalError();
    if (final) return Promise.reject(final);
    return new Promise((resolve, reject) => {
      const off = this.on('state', () => {
        if (this.ready) done(resolve);
        else {
          const error = this.#finalError();
          if (error) done(() => reject(error));
        }
      });
      const timer = setTimeout(
        () => done(() => reject(new CapmeshError('RELAY_UNREACHABLE', `not registered at the relay ${this.url} within ${timeoutMs} ms (state ${this.#state})`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        off();
        settle();
      };
    });
  }

  /**
   * Sends a signal to `to`. Throws `RELAY_UNREACHABLE` unless registered and
   * `LIMIT` when it would not fit in one relay frame. Delivery is not
   * confirmed; failures come back as `undeliverable`.
   */
  signal(to: string, kind: string, payload: Uint8Array): void {
    assertNonEmptyString(to, 'to');
    assertNonEmptyString(kind, 'kind');
    if (this.mode === 'dial-only') throw new CapmeshError('RELAY_POLICY', `a dial-only relay client (${this.url}) sends no signals`);
    this.#requireRegistered();
    const bytes = encodeRelayMessage({ type: 'signal', peer: to, kind, payload });
    if (bytes.length > this.#maxFrameBytes) {
      throw new CapmeshError('LIMIT', `a ${bytes.length}-byte signal is over the relay's ${this.#maxFrameBytes}-byte frame limit`);
    }
    this.#socket!.send(bytes);
  }

  /**
   * Opens a circuit to the registered designator `to`. Rejects with
   * `RELAY_UNREACHABLE` when not registered, when the socket drops or after
   * `timeoutMs` without an answer; `PEER_OFFLINE` when the relay says `to` is
   * not registered there (`NOT_REGISTERED_REASON`), `RELAY_REFUSED` for any
   * other refusal (too many circuits, a rate); `DISCONNECTED` once `close()`d.
   */
  openCircuit(to: string, timeoutMs = this.#connectTimeoutMs): Promise<RelayCircuit> {
    assertNonEmptyString(to, 'to');
    try {
      this.#requireRegistered();
    } catch (error) {
      return Promise.reject(error);
    }
    const request = this.#nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(request);
        reject(new CapmeshError('RELAY_UNREACHABLE', `the relay did not answer a circuit request to ${to.slice(0, 12)}… within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(request, { to, resolve, reject, timer });
      this.#send({ type: 'open', request, to });
    });
  }

  /** Stops for good: closes the socket and every circuit. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#turnTimer);
    this.#turn = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) closeQuietly(socket, 1000, 'the relay client was closed');
    this.#teardown('the relay client was closed', 'DISCONNECTED');
    this.#setState('closed', 'closed locally');
  }

  // ---- socket lifecycle ----

  #connect(): void {
    this.#setState('connecting', `dialling ${this.url}`);
    openWebSocket(this.#WebSocket, this.#askForTurn ? withTurnQuery(this.url) : this.url, this.#connectTimeoutMs, (socket) => {
      if (this.#state !== 'connecting') closeQuietly(socket, 1000, 'no longer wanted');
      else this.#adopt(socket);
    }).then(
      () => {},
      (error: unknown) => {
        if (this.#state !== 'connecting') return;
        this.#lost(error instanceof Error ? error.message : String(error));
      },
    );
  }

  #adopt(socket: WebSocketLike): void {
    this.#socket = socket;
    this.#lastHeard = Date.now();
    this.#registerTimer = setTimeout(() => {
      if (this.#socket === socket && this.#state === 'connecting') this.#dropSocket('no registration within the connect timeout', 1000);
    }, this.#connectTimeoutMs);
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.#lastHeard = Date.now();
      const bytes = messageBytes(event.data);
      if (bytes === undefined) {
        this.#dropSocket('the relay sent a text message', RELAY_CLOSE.protocol);
        return;
      }
      try {
        this.#receive(bytes);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.#log.warn('relay protocol error', { url: this.url, error: message });
        this.#dropSocket(`protocol error: ${message}`, RELAY_CLOSE.protocol);
      }
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#lost(`the relay closed the connection (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    };
    socket.onerror = () => {
      // A close event follows; that is where recovery happens.
    };
  }

  #receive(bytes: Uint8Array): void {
    if (isDataFrame(bytes)) {
      this.#circuits.get(dataFrameCircuit(bytes))?.arrive(dataFramePayload(bytes));
      return;
    }
    const message = decodeRelayServerMessage(bytes, Math.max(this.#maxFrameBytes, 4096));
    if (message !== undefined) this.#handle(message); // else a kind from a newer relay: ignored
  }

  #handle(m: RelayServerMessage): void {
    switch (m.type) {
      case 'challenge': {
        if (m.version !== RELAY_PROTOCOL_VERSION) {
          throw new CapmeshError('RELAY_PROTOCOL', `the relay speaks ${JSON.stringify(m.version)}, we speak ${RELAY_PROTOCOL_VERSION}`);
        }
        this.#maxFrameBytes = m.maxFrameBytes;
        if (this.mode === 'dial-only') {
          this.#send({ type: 'dial-only', designator: this.designator });
          break;
        }
        // Signing is asynchronous: the answer goes on the socket that asked, if it is still ours.
        const socket = this.#socket;
        const relayUrl = normalizeRelayUrl(this.url);
        this.#signer.signEncoded(registrationProof(m.nonce, this.designator, relayUrl)).then(
          (signature) => {
            if (this.#socket === socket && socket !== undefined) this.#send({ type: 'register', designator: this.designator, relayUrl, signature });
          },
          (error: unknown) => {
            if (this.#socket !== socket) return;
            const message = error instanceof Error ? error.message : String(error);
            this.#log.warn('cannot sign the relay registration', { url: this.url, error: message });
            this.#dropSocket(`cannot sign the registration: ${message}`, RELAY_CLOSE.protocol);
          },
        );
        return;
      }
      case 'registered':
      case 'dial-only-ok': {
        const expected = this.mode === 'dial-only' ? 'dial-only-ok' : 'registered';
        if (m.type !== expected) throw new CapmeshError('RELAY_PROTOCOL', `the relay answered ${m.type} to a ${this.mode} client`);
        if (m.designator !== this.designator) throw new CapmeshError('RELAY_PROTOCOL', 'the relay registered another designator');
        if (this.ready) throw new CapmeshError('RELAY_PROTOCOL', 'the relay said registered twice');
        clearTimeout(this.#registerTimer);
        this.#attempt = 0;
        this.#registrations++;
        this.#registeredAt = Date.now();
        this.#startHeartbeat();
        if (this.mode === 'dial-only') this.#setState('dial-only', `dial-only at ${this.url}`);
        else this.#setState('registered', `registered at ${this.url}`);
        return;
      }
      case 'refused':
        this.#final('refused', `the relay refused the registration: ${m.reason}`);
        return;
      case 'replaced':
        this.#replaced();
        return;
      case 'opened': {
        const pending = this.#takePending(m.request);
        if (!pending) {
          // We gave up waiting: release the circuit.
          this.#send({ type: 'close', circuit: m.circuit, reason: 'the opener gave up' });
          return;
        }
        const circuit = this.#newCircuit(m.circuit, pending.to, true);
        pending.resolve(circuit);
        return;
      }
      case 'open-failed':
        this.#takePending(m.request)?.reject(
          m.reason === NOT_REGISTERED_REASON
            ? new CapmeshError('PEER_OFFLINE', `the peer is not registered at the relay ${this.url}`, { detail: { reason: m.reason } })
            : new CapmeshError('RELAY_REFUSED', `the relay would not open the circuit: ${m.reason}`, { detail: { reason: m.reason } }),
        );
        return;
      case 'incoming': {
        const circuit = this.#newCircuit(m.circuit, m.from, false);
        if (this.mode === 'dial-only') circuit.close('a dial-only client accepts no circuits');
        else if (this.#listeners.count('circuit') === 0) circuit.close('nobody accepts circuits here');
        else this.#listeners.emit('circuit', circuit);
        return;
      }
      case 'closed':
        this.#circuits.get(m.circuit)?.end(`the peer closed the circuit: ${m.reason}`, 'remote');
        return;
      case 'signal':
        if (this.mode === 'dial-only') return; // Nobody can address a dial-only client: a relay that says otherwise is ignored.
        this.#listeners.emit('signal', { from: m.peer, kind: m.kind, payload: m.payload });
        return;
      case 'undeliverable':
        this.#listeners.emit('undeliverable', { to: m.peer, kind: m.kind, reason: m.reason });
        return;
      case 'error':
        this.#log.warn('the relay reported an error', { url: this.url, reason: m.reason });
        return;
      case 'pong':
        return;
      case 'turn':
        if (this.#state !== 'registered') throw new CapmeshError('RELAY_PROTOCOL', 'the relay sent TURN credentials before registering us');
        this.#takeTurn(m.urls, m.username, m.credential, m.ttlSeconds);
        return;
    }
  }

  #takeTurn(urls: readonly string[], username: string, credential: string, ttlSeconds: number): void {
    const lifetimeMs = ttlSeconds * 1000;
    const credentials: RelayTurnCredentials = Object.freeze({ urls: Object.freeze([...urls]), username, credential, expiresAt: Date.now() + lifetimeMs });
    this.#turn = credentials;
    clearTimeout(this.#turnTimer);
    this.#turnTimer = setTimeout(() => {
      if (this.#turn === credentials) this.#turn = undefined;
    }, lifetimeMs);
    unref(this.#turnTimer);
    this.#listeners.emit('turn', credentials);
  }

  #newCircuit(id: number, peer: string, outbound: boolean): RelayCircuit {
    const circuit = new RelayCircuit(id, peer, outbound, {
      send: (payload) => {
        const socket = this.#socket;
        if (socket === undefined || socket.readyState !== WS_OPEN) return false;
        socket.send(encodeDataFrame(id, payload));
        return true;
      },
      close: (reason) => {
        this.#circuits.delete(id);
        this.#send({ type: 'close', circuit: id, reason });
      },
      ended: () => this.#circuits.delete(id),
      bufferedAmount: () => this.bufferedAmount,
    });
    this.#circuits.set(id, circuit);
    return circuit;
  }

  #takePending(request: number): PendingOpen | undefined {
    const pending = this.#pending.get(request);
    if (pending) {
      this.#pending.delete(request);
      clearTimeout(pending.timer);
    }
    return pending;
  }

  #send(message: RelayClientMessage): void {
    const socket = this.#socket;
    if (socket !== undefined && socket.readyState === WS_OPEN) socket.send(encodeRelayMessage(message));
  }

  #startHeartbeat(): void {
    clearInterval(this.#heartbeatTimer);
    if (this.#heartbeatMs <= 0) return;
    this.#heartbeatTimer = setInterval(() => {
      if (!this.ready) return;
      if (Date.now() - this.#lastHeard > 2 * this.#heartbeatMs) {
        this.#dropSocket('the relay stopped answering', 1000);
        return;
      }
      this.#send({ type: 'ping', n: ++this.#pingCount % 0xffff_ffff });
    }, this.#heartbeatMs);
    unref(this.#heartbeatTimer);
  }

  /** Closes the current socket (if any) and cleans up as if it was lost, without scheduling anything. */
  #dropSocket(reason: string, code: number): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) closeQuietly(socket, code, reason);
    this.#teardown(reason);
    if (this.ready || this.#state === 'connecting') this.#lost(reason);
  }

  /** `code`: what pending circuit requests reject with (`RELAY_UNREACHABLE` when the socket went away, `DISCONNECTED` on `close()`). */
  #teardown(reason: string, code: 'RELAY_UNREACHABLE' | 'DISCONNECTED' = 'RELAY_UNREACHABLE'): void {
    clearTimeout(this.#registerTimer);
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    for (const circuit of [...this.#circuits.values()]) circuit.end(`relay connection lost: ${reason}`, 'error');
    this.#circuits.clear();
    for (const [request, pending] of [...this.#pending]) {
      this.#takePending(request);
      pending.reject(new CapmeshError(code, code === 'DISCONNECTED' ? reason : `the relay connection was lost: ${reason}`));
    }
  }

  /** The socket is gone (or never opened): tear down and, unless final, reconnect later. */
  #lost(reason: string): void {
    this.#teardown(reason);
    if (this.#state === 'closed' || this.#state === 'replaced' || this.#state === 'refused') return;
    this.#setState('disconnected', reason);
    if (this.#reconnect === false) return;
    const base = Math.min(this.#reconnect.maxDelayMs, this.#reconnect.initialDelayMs * 2 ** Math.min(this.#attempt, 20));
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    this.#attempt++;
    // A cluster: the next attempt goes to the next node.
    this.#urlIndex = (this.#urlIndex + 1) % this.urls.length;
    this.#log.info('relay connection lost; reconnecting', { url: this.url, reason, delayMs: delay });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state === 'disconnected') this.#connect();
    }, delay);
  }

  /**
   * The relay said a newer registration took over: tear down, report, and —
   * unless recovery is off — register again after the replacement backoff.
   */
  #replaced(): void {
    const recovery = this.#replaceRecovery;
    if (recovery === false) {
      this.#final('replaced', 'a newer connection registered this designator at the relay');
      this.#listeners.emit('replaced', { url: this.url, count: ++this.#replacedCount, retryInMs: undefined });
      return;
    }
    if (Date.now() - this.#registeredAt >= 2 * recovery.maxDelayMs) this.#replacedCount = 0;
    const base = Math.min(recovery.maxDelayMs, recovery.initialDelayMs * 2 ** Math.min(this.#replacedCount, 30));
    const delay = Math.round(base * (0.5 + Math.random() / 2));
    const count = ++this.#replacedCount;
    this.#final('replaced', `a newer connection registered this designator at the relay; registering again in ${delay} ms`);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (this.#state === 'replaced') this.#connect();
    }, delay);
    this.#listeners.emit('replaced', { url: this.url, count, retryInMs: delay });
  }

  #final(state: 'replaced' | 'refused', reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) closeQuietly(socket, 1000, reason);
    this.#teardown(reason);
    this.#setState(state, reason);
    this.#log.warn(reason, { url: this.url });
  }

  #finalError(): CapmeshError | undefined {
    switch (this.#state) {
      case 'replaced':
        return this.#replaceRecovery === false ? new CapmeshError('RELAY_REPLACED', 'a newer connection registered this designator at the relay') : undefined;
      case 'refused':
        return new CapmeshError('RELAY_REFUSED', 'the relay refused our registration');
      case 'closed':
        return new CapmeshError('DISCONNECTED', 'the relay client is closed');
      default:
        return undefined;
    }
  }

  #requireRegistered(): void {
    if (!this.ready) {
      if (this.#state === 'replaced') throw new CapmeshError('RELAY_REPLACED', `a newer connection registered this designator at ${this.url}; not registered now`);
      throw this.#finalError() ?? new CapmeshError('RELAY_UNREACHABLE', `not registered at the relay ${this.url} (state ${this.#state})`);
    }
  }

  #setState(state: RelayClientState, reason: string): void {
    if (this.#state === state && state !== 'connecting') return;
    this.#state = state;
    this.#listeners.emit('state', state, reason);
  }
}

/**
 * `url` as a list: one URL, or a non-empty array of them (a relay cluster's
 * nodes), each a valid relay URL (`normalizeRelayUrl`). Throws
 * `INVALID_ARGUMENT` naming the bad one.
 */
export function relayUrlList(url: unknown): readonly string[] {
  if (Array.isArray(url)) {
    if (url.length === 0) throw new CapmeshError('INVALID_ARGUMENT', 'url must be a relay URL or a non-empty array of them', { detail: { argument: 'url' } });
    url.forEach((u: unknown, i) => {
      assertNonEmptyString(u, `url[${i}]`);
      normalizeRelayUrl(u as string, `url[${i}]`);
    });
    return Object.freeze([...(url as string[])]);
  }
  assertNonEmptyString(url, 'url');
  normalizeRelayUrl(url as string);
  return Object.freeze([url as string]);
}

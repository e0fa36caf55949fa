import { publicKeyOfDesignator, verify } from '../src/crypto/index.js';
import { isCapmeshError } from '../src/util/errors.js';
import {
  MAX_CIRCUIT_ID,
  RELAY_CLOSE,
  RELAY_PROTOCOL_VERSION,
  dataFrameCircuit,
  decodeRelayMessage,
  encodeRelayMessage,
  isDataFrame,
  normalizeRelayUrl,
  registrationProof,
  type RelayClientMessage,
  type RelayServerMessage,
} from '../src/netlayer/relay-protocol.js';
import type { RelayLimits } from './limits.js';
import type { RelayLog } from './log.js';
import type { DropReason, RelayMetrics } from './metrics.js';
import type { RelayPeer } from './peer.js';

/**
 * Test hook that turns the relay into a hostile one: called for every data
 * frame about to be forwarded; the frames it returns are forwarded instead
 * (return `[frame]` to pass it on, `[]` to drop it, a modified copy to tamper,
 * two copies to replay). Never set in production.
 */
export type DataInterceptor = (frame: Uint8Array, circuit: number, from: string, to: string) => readonly Uint8Array[];

/**
 * Test hook, like `DataInterceptor`, for signals (e.g. WebRTC session
 * descriptions): called for every signal about to be delivered; the payloads
 * it returns are delivered instead. Never set in production.
 */
export type SignalInterceptor = (payload: Uint8Array, kind: string, from: string, to: string) => readonly Uint8Array[];

/**
 * Closes a peer's socket with `code` and a reason cut to the 123 bytes a close
 * frame allows (reasons may quote client input); never throws.
 */
export function closeSocket(peer: RelayPeer, code: number, reason: string): void {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  try {
    peer.socket.close(code, text);
  } catch {
    peer.socket.terminate();
  }
}

/**
 * Who the relay is, for registration: the normalised URLs (`normalizeRelayUrl`)
 * a registration proof may name — configured, never taken from a request —
 * and whether dial-only clients are served.
 */
export interface RelayIdentity {
  readonly publicUrls: ReadonlySet<string>;
  readonly allowDialOnly: boolean;
}

interface Circuit {
  readonly id: number;
  readonly a: RelayPeer;
  readonly b: RelayPeer;
}

/**
 * The relay's routing state: who is registered, which circuits exist, and
 * what to do with each message a peer sends. It never looks inside data
 * frames: it checks that the sender is an end of the circuit and forwards the
 * bytes unchanged.
 *
 * Rules:
 * - Until registered (or declared dial-only), a peer may only send
 *   `register`, `dial-only` and `ping` control messages; anything else cuts
 *   the connection.
 * - Registration: the proof must name one of the relay's own public URLs
 *   (`RelayIdentity.publicUrls`) and the signature over
 *   `registrationProof(nonce, designator, url)` must verify under the key the
 *   designator names. The newest good
 *   registration of a designator wins; the older connection gets `replaced`
 *   and is closed, and its circuits close.
 * - A dial-only peer (`dial-only`, allowed unless `allowDialOnly` is off)
 *   may open and close circuits and send data on them; it is not in the
 *   registry, so nobody can open a circuit or signal to it, and it may not
 *   send signals (their `from` would be unproven).
 * - A data frame or `close` for a circuit the sender is not an end of is
 *   refused (dropped, counted as `not_member`, answered with `error`).
 * - Every send to a peer first checks its unsent backlog: if the frame would
 *   take it past `maxBufferedBytes`, the peer is cut off instead (a slow
 *   consumer never grows the relay's memory past the limit).
 */
export class RelayRouter {
  readonly #registry = new Map<string, RelayPeer>();
  readonly #circuits = new Map<number, Circuit>();
  #nextCircuit = 1;

  constructor(
    private readonly limits: RelayLimits,
    private readonly identity: RelayIdentity,
    private readonly metrics: RelayMetrics,
    private readonly log: RelayLog,
    private readonly intercept: DataInterceptor | undefined,
    private readonly interceptSignal?: SignalInterceptor,
  ) {}

  get registeredCount(): number {
    return this.#registry.size;
  }

  get circuitCount(): number {
    return this.#circuits.size;
  }

  /** True when `designator` is registered. */
  isRegistered(designator: string): boolean {
    return this.#registry.has(designator);
  }

  /** A new connection: send the challenge. */
  welcome(peer: RelayPeer): void {
    this.send(peer, { type: 'challenge', version: RELAY_PROTOCOL_VERSION, nonce: peer.nonce, maxFrameBytes: this.limits.maxFrameBytes });
  }

  /** One WebSocket message from `peer`. */
  receive(peer: RelayPeer, bytes: Uint8Array): void {
    if (peer.closed) return;
    if (!peer.bucket.take()) {
      this.cut(peer, 'rate', RELAY_CLOSE.rateLimited, 'message rate limit exceeded');
      return;
    }
    if (isDataFrame(bytes)) {
      // Only a circuit's ends may send on it (checked in #forward); a
      // dial-only peer is an end of the circuits it opened.
      this.#forward(peer, bytes);
      return;
    }
    let message: RelayClientMessage;
    try {
      message = decodeRelayMessage('client', bytes, this.limits.maxFrameBytes);
    } catch (error) {
      this.cut(peer, 'protocol', RELAY_CLOSE.protocol, isCapmeshError(error) ? error.message : 'malformed message');
      return;
    }
    const ready = peer.designator !== undefined || peer.dialOnly !== undefined;
    if (!ready && message.type !== 'register' && message.type !== 'dial-only' && message.type !== 'ping') {
      this.cut(peer, 'protocol', RELAY_CLOSE.protocol, `relay:${message.type} before registering`);
      return;
    }
    switch (message.type) {
      case 'register':
        this.#register(peer, message.designator, message.relayUrl, message.signature);
        return;
      case 'dial-only':
        this.#dialOnly(peer, message.designator);
        return;
      case 'open':
        this.#open(peer, message.request, message.to);
        return;
      case 'close':
        this.#close(peer, message.circuit, message.reason);
        return;
      case 'signal':
        if (peer.designator === undefined) {
          this.cut(peer, 'protocol', RELAY_CLOSE.protocol, 'a dial-only connection may not send signals');
          return;
        }
        this.#signal(peer, message.peer, message.kind, message.payload);
        return;
      case 'ping':
        this.send(peer, { type: 'pong', n: message.n });
        return;
    }
  }

  /** The peer's socket is gone (or is being dropped): forget it and close its circuits. */
  detach(peer: RelayPeer, why: string): void {
    peer.closed = true;
    clearTimeout(peer.registerTimer);
    if (peer.designator !== undefined && this.#registry.get(peer.designator) === peer) this.#registry.delete(peer.designator);
    for (const id of [...peer.circuits]) this.#endCircuit(id, peer, `the peer disconnected (${why})`);
  }

  /** Drops `peer` for `reason`: counts it, logs it, closes the socket (terminates it for a slow consumer). */
  cut(peer: RelayPeer, reason: DropReason, code: number, message: string): void {
    if (peer.closed) return;
    this.metrics.drop(reason);
    this.log.warn('connection cut', { peer: peer.label, remote: peer.remote, reason, detail: message });
    this.detach(peer, reason);
    if (reason === 'slow_consumer' || reason === 'heartbeat') peer.socket.terminate();
    else closeSocket(peer, code, message);
  }

  /** Sends a control message, subject to the backlog limit. */
  send(peer: RelayPeer, message: RelayServerMessage): boolean {
    return this.sendBytes(peer, encodeRelayMessage(message));
  }

  sendBytes(peer: RelayPeer, bytes: Uint8Array): boolean {
    if (peer.closed) return false;
    const socket = peer.socket;
    if (socket.bufferedAmount + bytes.length > this.limits.maxBufferedBytes) {
      this.cut(peer, 'slow_consumer', RELAY_CLOSE.slowConsumer, `more than ${this.limits.maxBufferedBytes} bytes waiting to be read`);
      return false;
    }
    socket.send(bytes);
    const backlog = socket.bufferedAmount;
    if (backlog > this.metrics.peakBufferedBytes) this.metrics.peakBufferedBytes = backlog;
    return true;
  }

  #register(peer: RelayPeer, designator: string, relayUrl: string, signature: Uint8Array): void {
    if (peer.designator !== undefined || peer.dialOnly !== undefined) {
      this.cut(peer, 'protocol', RELAY_CLOSE.protocol, 'this connection is already registered');
      return;
    }
    let key: Uint8Array;
    try {
      key = publicKeyOfDesignator(designator);
    } catch {
      this.#refuse(peer, 'the designator is not base32 of an Ed25519 key');
      return;
    }
    let url: string;
    try {
      url = normalizeRelayUrl(relayUrl);
    } catch {
      this.#refuse(peer, 'the registration names no valid relay URL');
      return;
    }
    if (!this.identity.publicUrls.has(url)) {
      // A proof for another relay: typically one a hostile relay obtained by
      // passing our challenge on to its own client.
      this.#refuse(peer, `the registration is for another relay (${url.slice(0, 100)}), not this one`);
      return;
    }
    if (!verify(key, registrationProof(peer.nonce, designator, url), signature)) {
      this.#refuse(peer, 'the signature does not verify under the designator key');
      return;
    }
    clearTimeout(peer.registerTimer);
    const previous = this.#registry.get(designator);
    if (previous !== undefined && previous !== peer) {
      this.metrics.registrations.replaced++;
      this.log.info('registration replaced', { designator: designator.slice(0, 12), old: previous.label, remote: peer.remote });
      this.send(previous, { type: 'replaced' });
      this.detach(previous, 'replaced');
      closeSocket(previous, RELAY_CLOSE.replaced, 'replaced by a newer registration');
    }
    peer.designator = designator;
    this.#registry.set(designator, peer);
    this.metrics.registrations.ok++;
    this.log.debug('registered', { peer: peer.label, remote: peer.remote });
    this.send(peer, { type: 'registered', designator });
  }

  /** `dial-only designator`: the peer may open circuits under that declared (unproven) designator, and is never reachable here. */
  #dialOnly(peer: RelayPeer, designator: string): void {
    if (peer.designator !== undefined || peer.dialOnly !== undefined) {
      this.cut(peer, 'protocol', RELAY_CLOSE.protocol, 'this connection is already registered');
      return;
    }
    if (!this.identity.allowDialOnly) {
      this.#refuse(peer, 'this relay does not accept dial-only clients');
      return;
    }
    try {
      publicKeyOfDesignator(designator);
    } catch {
      this.#refuse(peer, 'the designator is not base32 of an Ed25519 key');
      return;
    }
    clearTimeout(peer.registerTimer);
    peer.dialOnly = designator;
    this.metrics.registrations.dial_only++;
    this.log.debug('dial-only client', { peer: peer.label, remote: peer.remote });
    this.send(peer, { type: 'dial-only-ok', designator });
  }

  #refuse(peer: RelayPeer, reason: string): void {
    this.metrics.registrations.refused++;
    this.send(peer, { type: 'refused', reason });
    this.cut(peer, 'bad_registration', RELAY_CLOSE.refused, reason);
  }

  #open(peer: RelayPeer, request: number, to: string): void {
    const target = this.#registry.get(to);
    if (target === undefined || target.closed) {
      this.metrics.drop('unknown_peer');
      this.send(peer, { type: 'open-failed', request, reason: 'that designator is not registered here' });
      return;
    }
    if (target === peer) {
      this.send(peer, { type: 'open-failed', request, reason: 'a circuit to yourself is not allowed' });
      return;
    }
    const max = this.limits.maxCircuitsPerConnection;
    if (peer.circuits.size >= max || target.circuits.size >= max) {
      this.metrics.drop('too_many_circuits');
      this.send(peer, { type: 'open-failed', request, reason: `a connection may have at most ${max} circuits` });
      return;
    }
    const id = this.#allocateCircuit();
    this.#circuits.set(id, { id, a: peer, b: target });
    peer.circuits.add(id);
    target.circuits.add(id);
    // The callee learns of the circuit before the caller can send on it.
    if (!this.send(target, { type: 'incoming', circuit: id, from: (peer.designator ?? peer.dialOnly)! })) {
      this.send(peer, { type: 'open-failed', request, reason: 'that designator was just disconnected' });
      return;
    }
    this.send(peer, { type: 'opened', request, circuit: id });
  }

  #allocateCircuit(): number {
    for (;;) {
      const id = this.#nextCircuit;
      this.#nextCircuit = id >= MAX_CIRCUIT_ID ? 1 : id + 1;
      if (!this.#circuits.has(id)) return id;
    }
  }

  #member(peer: RelayPeer, id: number): Circuit | undefined {
    const circuit = this.#circuits.get(id);
    return circuit !== undefined && (circuit.a === peer || circuit.b === peer) ? circuit : undefined;
  }

  #refuseForeign(peer: RelayPeer, id: number): void {
    this.metrics.drop('not_member');
    this.log.warn('refused a frame for a circuit the sender is not an end of', { peer: peer.label, circuit: id });
    this.send(peer, { type: 'error', reason: `circuit ${id} is not yours` });
  }

  #close(peer: RelayPeer, id: number, reason: string): void {
    if (this.#member(peer, id) === undefined) {
      // Closing a circuit that already ended is normal (both ends may close at once).
      if (this.#circuits.has(id)) this.#refuseForeign(peer, id);
      return;
    }
    this.#endCircuit(id, peer, reason);
  }

  /** Removes circuit `id`; tells the end that is not `by`. */
  #endCircuit(id: number, by: RelayPeer, reason: string): void {
    const circuit = this.#circuits.get(id);
    if (circuit === undefined) return;
    this.#circuits.delete(id);
    circuit.a.circuits.delete(id);
    circuit.b.circuits.delete(id);
    const other = circuit.a === by ? circuit.b : circuit.a;
    this.send(other, { type: 'closed', circuit: id, reason: reason.slice(0, 200) });
  }

  #forward(peer: RelayPeer, frame: Uint8Array): void {
    const id = dataFrameCircuit(frame);
    const circuit = this.#member(peer, id);
    if (circuit === undefined) {
      this.#refuseForeign(peer, id);
      return;
    }
    const other = circuit.a === peer ? circuit.b : circuit.a;
    const frames = this.intercept ? this.intercept(frame, id, peer.designatorOrDeclared, other.designatorOrDeclared) : [frame];
    for (const out of frames) {
      if (!this.sendBytes(other, out)) return;
      this.metrics.frames.data++;
      this.metrics.bytes.data += out.length;
    }
  }

  #signal(peer: RelayPeer, to: string, kind: string, payload: Uint8Array): void {
    if (payload.length > this.limits.maxSignalBytes) {
      this.metrics.drop('signal_too_large');
      this.send(peer, { type: 'undeliverable', peer: to, kind, reason: `signals are at most ${this.limits.maxSignalBytes} bytes` });
      return;
    }
    const target = this.#registry.get(to);
    if (target === undefined || target.closed) {
      this.metrics.drop('unknown_peer');
      this.send(peer, { type: 'undeliverable', peer: to, kind, reason: 'that designator is not registered here' });
      return;
    }
    const payloads = this.interceptSignal ? this.interceptSignal(payload, kind, peer.designator!, to) : [payload];
    for (const out of payloads) {
      if (!this.send(target, { type: 'signal', peer: peer.designator!, kind, payload: out })) return;
      this.metrics.frames.signal++;
      this.metrics.bytes.signal += out.length;
    }
  }
}

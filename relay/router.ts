import { publicKeyOfDesignator, verify } from '../src/crypto/index.js';
import { isCapmeshError } from '../src/util/errors.js';
import {
  MAX_CIRCUIT_ID,
  NOT_REGISTERED_REASON,
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
} from '../src/netlayer/relay/protocol.js';
import type { RelayLimits } from './limits.js';
import type { Logger } from '../src/util/logger.js';
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

/**
 * What a relay cluster (relay/cluster/) plugs into the router. The router
 * stays synchronous: `locate` answers from the node's in-memory replica of
 * the cluster directory. Called only for local senders (a stand-in for a
 * peer of another node — `RelayPeer.node` set — is routed locally only, so a
 * message never crosses two node hops).
 */
export interface RouterClusterHooks {
  /** A stand-in for `designator` if another node of the cluster holds it, else undefined. */
  locate(designator: string): RelayPeer | undefined;
  /** `peer` registered here (after the local registry took it). */
  registered(peer: RelayPeer): void;
  /** `peer`'s registration here ended (disconnect, replacement). */
  unregistered(peer: RelayPeer): void;
}

interface Circuit {
  readonly id: number;
  /** The caller (sent `open`). */
  readonly a: RelayPeer;
  /** The callee. */
  readonly b: RelayPeer;
  /** True until the callee sends its first data frame on it. */
  pending: boolean;
  /** Bytes carried, both directions (for `maxCircuitBytes`). */
  bytes: number;
  /** Closes the circuit if the callee has not sent in time; cleared when it does. */
  pendingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Closes the circuit at `maxCircuitDurationMs`. */
  lifeTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Whether `peer` may open circuits and send data frames: the one place that
 * says so. A peer must have registered, or declared itself dial-only (then it
 * still may not send signals, and nobody can reach it).
 */
export function mayOpenCircuits(peer: RelayPeer): boolean {
  return peer.designator !== undefined || peer.dialOnly !== undefined;
}

/**
 * The relay's routing state: who is registered, which circuits exist, and
 * what to do with each message a peer sends. It never looks inside data
 * frames: it checks that the sender is an end of the circuit and forwards the
 * bytes unchanged.
 *
 * Rules:
 * - Until `mayOpenCircuits(peer)` (registered, or declared dial-only), a peer
 *   may only send `register`, `dial-only` and `ping`; anything else — a data
 *   frame included — cuts it (`unregistered`).
 * - Registration: the proof must name one of the relay's own public URLs
 *   (`RelayIdentity.publicUrls`) and the signature over
 *   `registrationProof(nonce, designator, url)` must verify under the key the
 *   designator names. The newest good registration of a designator wins; the
 *   older connection gets `replaced` and is closed, and its circuits close.
 * - A dial-only peer (`dial-only`, allowed unless `allowDialOnly` is off)
 *   may open and close circuits and send data on them; it is not in the
 *   registry, so nobody can open a circuit or signal to it, and it may not
 *   send signals (their `from` would be unproven).
 * - `open` is checked, in order, against: the caller's open rate
 *   (`circuitOpensPerSecond`), its open circuits (`maxCircuitsPerSource`),
 *   circuits per connection on either end (`maxCircuitsPerConnection`),
 *   circuits caller→callee (`maxCircuitsPerPair`), the callee's unanswered
 *   circuits (`maxPendingCircuitsPerTarget`), and last the callee's incoming
 *   rate (`incomingCircuitsPerSecond`, so refused opens do not spend the
 *   callee's tokens). A refusal is `open-failed` with the reason; the caller
 *   stays connected.
 * - A data frame or `close` for a circuit the sender is not an end of is
 *   refused (dropped, counted as `not_member`, answered with `error`).
 * - Forwarded traffic (data frames, signals) costs its sender: when the frame
 *   would take the sender's share of the receiver's unsent bytes past
 *   `maxPairBufferedBytes`, or all forwarded bytes queued to the receiver past
 *   `maxForwardBufferedBytes`, the relay holds the frame and stops reading
 *   from the sender (throttle) until the receiver's socket has taken the
 *   backlog down to half of both; frames keep their order. A sender held
 *   longer than `maxThrottleMs` is cut (`throttled`). The receiver is not cut
 *   for this.
 * - The relay's own messages to a peer (challenge, pong, opened, incoming,
 *   closed…) first check the peer's whole unsent backlog: past
 *   `maxBufferedBytes` the peer is cut as a slow consumer — its own
 *   slowness, since others' traffic to it is held at the lower forward cap.
 */
export class RelayRouter {
  readonly #registry = new Map<string, RelayPeer>();
  readonly #circuits = new Map<number, Circuit>();
  #nextCircuit = 1;
  /** Set by a relay cluster before the first connection; see `RouterClusterHooks`. */
  cluster: RouterClusterHooks | undefined;

  constructor(
    private readonly limits: RelayLimits,
    private readonly identity: RelayIdentity,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
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

  /** The local connection registered as `designator`, if any. */
  localPeer(designator: string): RelayPeer | undefined {
    return this.#registry.get(designator);
  }

  /** Every local registration (for a cluster node re-announcing them). */
  registeredPeers(): IterableIterator<RelayPeer> {
    return this.#registry.values();
  }

  /** Where a message to `designator` from `sender` goes: the local registry, else (local senders only) the cluster. */
  #lookup(designator: string, sender: RelayPeer): RelayPeer | undefined {
    const local = this.#registry.get(designator);
    if (local !== undefined || sender.node !== undefined) return local;
    return this.cluster?.locate(designator);
  }

  /**
   * Ends `previous`'s registration because a newer one took over (here or on
   * another node of the cluster): it gets `replaced` and is closed (4005).
   */
  replace(previous: RelayPeer, by: string): void {
    this.metrics.registrations.replaced++;
    this.log.info('registration replaced', { designator: previous.designator?.slice(0, 12), old: previous.label, by });
    this.send(previous, { type: 'replaced' });
    this.detach(previous, 'replaced');
    closeSocket(previous, RELAY_CLOSE.replaced, 'replaced by a newer registration');
  }

  /** A new connection: send the challenge. */
  welcome(peer: RelayPeer): void {
    this.send(peer, { type: 'challenge', version: RELAY_PROTOCOL_VERSION, nonce: peer.nonce, maxFrameBytes: this.limits.maxFrameBytes });
  }

  /**
   * One WebSocket message from `peer`: charged to its message bucket, then
   * handled — or queued behind earlier messages while the peer is throttled.
   */
  receive(peer: RelayPeer, bytes: Uint8Array): void {
    if (peer.closed) return;
    if (!peer.bucket.take()) {
      this.cut(peer, 'rate', RELAY_CLOSE.rateLimited, 'message rate limit exceeded');
      return;
    }
    if (peer.throttle !== undefined) {
      peer.throttle.queue.push(bytes);
      return;
    }
    this.#handle(peer, bytes);
  }

  #handle(peer: RelayPeer, bytes: Uint8Array): void {
    if (isDataFrame(bytes)) {
      if (!mayOpenCircuits(peer)) {
        this.cut(peer, 'unregistered', RELAY_CLOSE.protocol, 'a data frame before registering');
        return;
      }
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
    if (!mayOpenCircuits(peer) && message.type !== 'register' && message.type !== 'dial-only' && message.type !== 'ping') {
      this.cut(peer, 'unregistered', RELAY_CLOSE.protocol, `relay:${message.type} before registering`);
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
        this.#signal(peer, message.peer, message.kind, message.payload, bytes);
        return;
      case 'ping':
        this.send(peer, { type: 'pong', n: message.n });
        return;
    }
  }

  /** The peer's socket is gone (or is being dropped): forget it, close its circuits, release senders held on it. */
  detach(peer: RelayPeer, why: string): void {
    if (peer.closed) return;
    peer.closed = true;
    clearTimeout(peer.registerTimer);
    if (peer.designator !== undefined && this.#registry.get(peer.designator) === peer) {
      this.#registry.delete(peer.designator);
      this.cluster?.unregistered(peer);
    }
    if (peer.throttle !== undefined) {
      clearTimeout(peer.throttle.timer);
      peer.throttle.on.waiting.delete(peer);
      peer.throttle = undefined;
      // Read again, so the closing handshake completes; what arrives now is ignored (`closed`).
      peer.socket.resume();
    }
    for (const id of [...peer.circuits]) this.#endCircuit(id, peer, `the peer disconnected (${why})`);
    for (const sender of [...peer.waiting]) this.#release(sender);
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

  /** Sends one of the relay's own control messages, subject to the backlog limit. */
  send(peer: RelayPeer, message: RelayServerMessage): boolean {
    return this.sendBytes(peer, encodeRelayMessage(message));
  }

  /** Sends bytes of the relay's own; past `maxBufferedBytes` of backlog the peer is cut instead (its own slowness). */
  sendBytes(peer: RelayPeer, bytes: Uint8Array): boolean {
    if (peer.closed) return false;
    const socket = peer.socket;
    if (socket.bufferedAmount + bytes.length > this.limits.maxBufferedBytes) {
      this.cut(peer, 'slow_consumer', RELAY_CLOSE.slowConsumer, `more than ${this.limits.maxBufferedBytes} bytes waiting to be read`);
      return false;
    }
    socket.send(bytes);
    this.#notePeak(socket.bufferedAmount);
    return true;
  }

  #notePeak(backlog: number): void {
    if (backlog > this.metrics.peakBufferedBytes) this.metrics.peakBufferedBytes = backlog;
  }

  /**
   * Forwards `bytes` from `from` to `to` within the per-pair and per-receiver
   * forward budgets. Returns `held` when they do not fit (the caller throttles
   * `from`), `sent`, or `gone` when `to` is closed. A frame is always admitted
   * when nothing of `from` is queued to `to`, so one frame larger than the
   * budget cannot wait forever.
   */
  #forwardBytes(from: RelayPeer, to: RelayPeer, bytes: Uint8Array): 'sent' | 'held' | 'gone' {
    if (to.closed) return 'gone';
    const n = bytes.length;
    const pair = to.queuedFrom.get(from) ?? 0;
    const overPair = pair + n > this.limits.maxPairBufferedBytes;
    const overForward = to.forwardQueued + n > this.limits.maxForwardBufferedBytes;
    if ((overPair || overForward) && (pair > 0 || to.forwardQueued > 0)) return 'held';
    if (to.socket.bufferedAmount + n > this.limits.maxBufferedBytes && to.forwardQueued > 0) return 'held';
    to.forwardQueued += n;
    to.queuedFrom.set(from, pair + n);
    to.socket.send(bytes, () => this.#written(from, to, n));
    this.#notePeak(to.socket.bufferedAmount);
    return 'sent';
  }

  /** `n` forwarded bytes from `from` left the relay for `to`'s socket: maybe release senders held on `to`. */
  #written(from: RelayPeer, to: RelayPeer, n: number): void {
    to.forwardQueued -= n;
    const left = (to.queuedFrom.get(from) ?? n) - n;
    if (left > 0) to.queuedFrom.set(from, left);
    else to.queuedFrom.delete(from);
    if (to.waiting.size === 0 || to.forwardQueued > this.limits.maxForwardBufferedBytes / 2) return;
    for (const sender of [...to.waiting]) {
      if ((to.queuedFrom.get(sender) ?? 0) <= this.limits.maxPairBufferedBytes / 2) this.#release(sender);
    }
  }

  /** Stops reading from `sender`, keeping `bytes` (the frame that did not fit) first in its queue. */
  #hold(sender: RelayPeer, on: RelayPeer, bytes: Uint8Array): void {
    const max = this.limits.maxThrottleMs;
    const timer =
      max > 0
        ? setTimeout(() => this.cut(sender, 'throttled', RELAY_CLOSE.rateLimited, `held back over ${max} ms: its receiver does not read what it sends`), max)
        : undefined;
    sender.throttle = { on, queue: [bytes], timer };
    on.waiting.add(sender);
    sender.socket.pause();
    this.metrics.throttles++;
    this.log.debug('sender throttled', { peer: sender.label, receiver: on.label, queued: on.forwardQueued });
  }

  /** Resumes `sender`: handles its queued messages in order until done or held again. */
  #release(sender: RelayPeer): void {
    const throttle = sender.throttle;
    if (throttle === undefined) return;
    clearTimeout(throttle.timer);
    throttle.on.waiting.delete(sender);
    sender.throttle = undefined;
    if (sender.closed) return;
    const queue = throttle.queue;
    for (let i = 0; i < queue.length; i++) {
      if (sender.closed) return;
      this.#handle(sender, queue[i]!);
      if (sender.throttle !== undefined) {
        (sender.throttle as { queue: Uint8Array[] }).queue.push(...queue.slice(i + 1));
        return;
      }
    }
    if (!sender.closed) sender.socket.resume();
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
    if (previous !== undefined && previous !== peer) this.replace(previous, peer.remote);
    peer.designator = designator;
    this.#registry.set(designator, peer);
    this.cluster?.registered(peer);
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

  /** Why `peer` may not open a circuit to `target` now, or undefined. Spends no callee token. */
  #openRefusal(peer: RelayPeer, target: RelayPeer): [DropReason, string] | undefined {
    const l = this.limits;
    if (!peer.circuitBuckets.opens.take()) return ['circuit_rate', `at most ${l.circuitOpensPerSecond} new circuits per second (burst ${l.circuitOpenBurst})`];
    if (peer.openedCount >= l.maxCircuitsPerSource) return ['too_many_circuits', `a connection may have opened at most ${l.maxCircuitsPerSource} open circuits`];
    if (peer.circuits.size >= l.maxCircuitsPerConnection || target.circuits.size >= l.maxCircuitsPerConnection) {
      return ['too_many_circuits', `a connection may have at most ${l.maxCircuitsPerConnection} circuits`];
    }
    if ((peer.openedTo.get(target) ?? 0) >= l.maxCircuitsPerPair) return ['pair_circuits', `at most ${l.maxCircuitsPerPair} open circuits to one peer`];
    if (target.pendingIncoming >= l.maxPendingCircuitsPerTarget) {
      return ['pending_circuits', `that peer has ${l.maxPendingCircuitsPerTarget} circuits it has not answered yet`];
    }
    if (!target.circuitBuckets.incoming.take()) {
      return ['circuit_rate', `that peer accepts at most ${l.incomingCircuitsPerSecond} new circuits per second (burst ${l.incomingCircuitBurst})`];
    }
    return undefined;
  }

  #open(peer: RelayPeer, request: number, to: string): void {
    const target = this.#lookup(to, peer);
    if (target === undefined || target.closed) {
      this.metrics.drop('unknown_peer');
      this.send(peer, { type: 'open-failed', request, reason: NOT_REGISTERED_REASON });
      return;
    }
    if (target === peer) {
      this.send(peer, { type: 'open-failed', request, reason: 'a circuit to yourself is not allowed' });
      return;
    }
    const refusal = this.#openRefusal(peer, target);
    if (refusal !== undefined) {
      this.metrics.drop(refusal[0]);
      this.log.debug('circuit refused', { peer: peer.label, to: target.label, reason: refusal[0] });
      this.send(peer, { type: 'open-failed', request, reason: refusal[1] });
      return;
    }
    const id = this.#allocateCircuit();
    const circuit: Circuit = { id, a: peer, b: target, pending: true, bytes: 0, pendingTimer: undefined, lifeTimer: undefined };
    this.#circuits.set(id, circuit);
    peer.circuits.add(id);
    target.circuits.add(id);
    peer.openedTo.set(target, (peer.openedTo.get(target) ?? 0) + 1);
    peer.openedCount++;
    target.pendingIncoming++;
    if (this.limits.pendingCircuitTimeoutMs > 0) {
      circuit.pendingTimer = setTimeout(() => {
        if (!circuit.pending) return;
        this.metrics.drop('pending_timeout');
        this.#endCircuit(id, undefined, `the callee did not answer within ${this.limits.pendingCircuitTimeoutMs} ms`);
      }, this.limits.pendingCircuitTimeoutMs);
    }
    if (this.limits.maxCircuitDurationMs > 0) {
      circuit.lifeTimer = setTimeout(() => {
        this.metrics.drop('circuit_limit');
        this.#endCircuit(id, undefined, `circuits last at most ${this.limits.maxCircuitDurationMs} ms`);
      }, this.limits.maxCircuitDurationMs);
    }
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

  /** Removes circuit `id`; tells the end that is not `by` (both ends when `by` is undefined: the relay ended it). */
  #endCircuit(id: number, by: RelayPeer | undefined, reason: string): void {
    const circuit = this.#circuits.get(id);
    if (circuit === undefined) return;
    this.#circuits.delete(id);
    clearTimeout(circuit.pendingTimer);
    clearTimeout(circuit.lifeTimer);
    const { a, b } = circuit;
    a.circuits.delete(id);
    b.circuits.delete(id);
    const pair = (a.openedTo.get(b) ?? 1) - 1;
    if (pair > 0) a.openedTo.set(b, pair);
    else a.openedTo.delete(b);
    a.openedCount--;
    if (circuit.pending) b.pendingIncoming--;
    const text = reason.slice(0, 200);
    if (by !== a) this.send(a, { type: 'closed', circuit: id, reason: text });
    if (by !== b) this.send(b, { type: 'closed', circuit: id, reason: text });
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
      const result = this.#forwardBytes(peer, other, out);
      if (result === 'held') {
        // Interceptors are test-only; a held frame is retried whole, so hold only un-intercepted traffic.
        this.#hold(peer, other, frame);
        return;
      }
      if (result === 'gone') return;
      if (circuit.pending && peer === circuit.b) {
        circuit.pending = false;
        circuit.b.pendingIncoming--;
        clearTimeout(circuit.pendingTimer);
      }
      circuit.bytes += out.length;
      this.metrics.frames.data++;
      this.metrics.bytes.data += out.length;
      if (this.limits.maxCircuitBytes > 0 && circuit.bytes > this.limits.maxCircuitBytes) {
        this.metrics.drop('circuit_limit');
        this.#endCircuit(id, undefined, `circuits carry at most ${this.limits.maxCircuitBytes} bytes`);
        return;
      }
    }
  }

  /** `raw` is the client's message as received, kept to be handled again if the sender is held. */
  #signal(peer: RelayPeer, to: string, kind: string, payload: Uint8Array, raw: Uint8Array): void {
    if (payload.length > this.limits.maxSignalBytes) {
      this.metrics.drop('signal_too_large');
      this.send(peer, { type: 'undeliverable', peer: to, kind, reason: `signals are at most ${this.limits.maxSignalBytes} bytes` });
      return;
    }
    const target = this.#lookup(to, peer);
    if (target === undefined || target.closed) {
      this.metrics.drop('unknown_peer');
      this.send(peer, { type: 'undeliverable', peer: to, kind, reason: NOT_REGISTERED_REASON });
      return;
    }
    const payloads = this.interceptSignal ? this.interceptSignal(payload, kind, peer.designator!, to) : [payload];
    for (const out of payloads) {
      const result = this.#forwardBytes(peer, target, encodeRelayMessage({ type: 'signal', peer: peer.designator!, kind, payload: out }));
      if (result === 'held') {
        this.#hold(peer, target, raw);
        return;
      }
      if (result === 'gone') return;
      this.metrics.frames.signal++;
      this.metrics.bytes.signal += out.length;
    }
  }
}

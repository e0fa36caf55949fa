import {
  DATA_HEADER_BYTES,
  dataFrameCircuit,
  decodeRelayMessage,
  encodeRelayMessage,
  isDataFrame,
  type RelayClientMessage,
} from '../../src/netlayer/relay/protocol.js';
import { TokenBucket } from '../limits.js';
import type { Logger } from '../../src/util/logger.js';
import { RelayPeer, type RelaySocket } from '../peer.js';
import type { RelayRouter } from '../router.js';
import type { ClusterMetrics } from './metrics.js';
import { encodeNodeMessage, type NodeMessage } from './wire.js';

/** What the bridge needs from the transport between nodes. */
export type PublishToNode = (node: string, bytes: Buffer) => void;

/**
 * A peer of another node, as this node's router sees it: a `RelayPeer` with
 * `node` set, never in the registry, driven through the router like a client
 * connection. What the router sends it goes to the other node; what the
 * other node sends for it is fed to the router as if the stub had sent it.
 */
interface Stub {
  readonly key: string;
  readonly node: string;
  readonly designator: string;
  readonly peer: RelayPeer;
  readonly socket: StubSocket;
  /** Circuits this stub opened here on behalf of its node: their id there → here, and back. */
  readonly fromRemote: Map<number, number>;
  readonly toRemote: Map<number, number>;
  /** For every circuit of the stub here: the designator of its local end. */
  readonly ends: Map<number, string>;
  /** `open`s sent into the router not answered yet: request (= the circuit id on the other node) → target. */
  readonly pendingOpens: Map<number, string>;
}

/** Never runs out: the real limits are charged where the peer really is. */
const unlimited = (): TokenBucket => new TokenBucket(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, () => 0);

/**
 * The stub's `RelaySocket`. `send` hands the router's bytes to the bridge
 * (the router's forward budget sees an empty buffer: what leaves goes to
 * Redis at once). `pause`/`resume` are the router throttling the stub as a
 * sender (its local receiver is full): messages from the other node then
 * wait here in order, and are fed once resumed.
 */
class StubSocket implements RelaySocket {
  readonly bufferedAmount = 0;
  paused = false;
  readonly inbox: NodeMessage[] = [];
  stub: Stub | undefined;

  constructor(private readonly bridge: ClusterBridge) {}

  send(data: Uint8Array, done?: (err?: Error) => void): void {
    if (this.stub !== undefined) this.bridge.fromRouter(this.stub, data);
    if (done !== undefined) queueMicrotask(() => done());
  }
  close(): void {
    if (this.stub !== undefined) this.bridge.forget(this.stub);
  }
  terminate(): void {
    this.close();
  }
  ping(): void {}
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    if (this.stub !== undefined) this.bridge.drain(this.stub);
  }
}

/**
 * Joins this node's `RelayRouter` to the other nodes: routes what local
 * peers send to peers of other nodes, and what other nodes send to local
 * peers, through stubs (see `Stub`). A vat thus reaches any peer of the
 * cluster through its own node, and every limit tied to a peer is charged
 * on the node that peer is connected to (see docs/deploy.md, "Quotas").
 *
 * Ordering: messages from one node to another go out in the order the router
 * produced them and Redis pub/sub keeps the order of one publishing
 * connection, so each circuit's frames arrive in order. Nothing is
 * retransmitted: `dropNode`/`dropAll` end the circuits whose frames may have
 * been lost.
 */
export class ClusterBridge {
  readonly #stubs = new Map<string, Stub>();
  #nextId = -1;

  constructor(
    private readonly self: string,
    private readonly router: RelayRouter,
    private readonly publish: PublishToNode,
    private readonly metrics: ClusterMetrics,
    private readonly log: Logger,
    private readonly maxFrameBytes: number,
  ) {}

  get stubCount(): number {
    return this.#stubs.size;
  }

  /** The stub for `designator` on `node`, made on first use. */
  stub(node: string, designator: string): RelayPeer {
    return this.#stub(node, designator).peer;
  }

  #stub(node: string, designator: string): Stub {
    const key = `${node}\n${designator}`;
    let stub = this.#stubs.get(key);
    if (stub === undefined) {
      const socket = new StubSocket(this);
      const peer = new RelayPeer(this.#nextId--, socket, `node:${node}`, new Uint8Array(0), unlimited(), { opens: unlimited(), incoming: unlimited() });
      peer.designator = designator;
      peer.node = node;
      stub = { key, node, designator, peer, socket, fromRemote: new Map(), toRemote: new Map(), ends: new Map(), pendingOpens: new Map() };
      socket.stub = stub;
      this.#stubs.set(key, stub);
    }
    return stub;
  }

  /** Forgets the stub of `designator` on `node` (it moved or left): its circuits here end, their local ends are told. */
  drop(node: string, designator: string, why: string): void {
    const stub = this.#stubs.get(`${node}\n${designator}`);
    if (stub !== undefined) this.#end(stub, why);
  }

  /** Forgets every stub of `node` (it died). */
  dropNode(node: string, why: string): void {
    for (const stub of [...this.#stubs.values()]) if (stub.node === node) this.#end(stub, why);
  }

  /** Forgets every stub (Redis was lost: frames in flight may be gone, so the circuits cannot go on). */
  dropAll(why: string): void {
    for (const stub of [...this.#stubs.values()]) this.#end(stub, why);
  }

  #end(stub: Stub, why: string): void {
    this.#stubs.delete(stub.key);
    stub.socket.stub = undefined;
    this.router.detach(stub.peer, why);
  }

  /** The router closed the stub (e.g. held too long as a sender): it is gone here. */
  forget(stub: Stub): void {
    if (this.#stubs.get(stub.key) === stub) this.#end(stub, 'closed by the router');
  }

  #send(stub: Stub, m: Omit<NodeMessage, 'node' | 'sentAt'>): void {
    const bytes = encodeNodeMessage({ ...m, node: this.self, sentAt: Date.now() });
    this.metrics.sent[m.kind]++;
    this.metrics.bytesSent += bytes.length;
    this.publish(stub.node, bytes);
  }

  /** The router sent `bytes` to `stub`: carry it to the stub's node. */
  fromRouter(stub: Stub, bytes: Uint8Array): void {
    if (isDataFrame(bytes)) {
      const id = dataFrameCircuit(bytes);
      const end = stub.ends.get(id);
      if (end === undefined) return;
      const remote = stub.toRemote.get(id);
      this.#send(stub, { kind: 'data', from: end, circuit: remote ?? id, mine: remote === undefined, payload: bytes.subarray(DATA_HEADER_BYTES) });
      return;
    }
    const m = decodeRelayMessage('server', bytes, Number.MAX_SAFE_INTEGER);
    switch (m.type) {
      case 'incoming':
        // A local peer opened a circuit to the stub's designator.
        stub.ends.set(m.circuit, m.from);
        this.#send(stub, { kind: 'open', from: m.from, to: stub.designator, circuit: m.circuit, mine: true, payload: new Uint8Array(0) });
        return;
      case 'opened': {
        const target = stub.pendingOpens.get(m.request);
        stub.pendingOpens.delete(m.request);
        if (target === undefined) return;
        stub.fromRemote.set(m.request, m.circuit);
        stub.toRemote.set(m.circuit, m.request);
        stub.ends.set(m.circuit, target);
        return;
      }
      case 'open-failed': {
        const target = stub.pendingOpens.get(m.request);
        stub.pendingOpens.delete(m.request);
        if (target === undefined) return;
        this.#send(stub, { kind: 'close', from: target, circuit: m.request, mine: false, reason: m.reason, payload: new Uint8Array(0) });
        return;
      }
      case 'closed': {
        const end = stub.ends.get(m.circuit);
        stub.ends.delete(m.circuit);
        if (end === undefined) return;
        const remote = stub.toRemote.get(m.circuit);
        if (remote !== undefined) {
          stub.toRemote.delete(m.circuit);
          stub.fromRemote.delete(remote);
        }
        this.#send(stub, { kind: 'close', from: end, circuit: remote ?? m.circuit, mine: remote === undefined, reason: m.reason, payload: new Uint8Array(0) });
        return;
      }
      case 'signal':
        this.#send(stub, { kind: 'signal', from: m.peer, to: stub.designator, signalKind: m.kind, circuit: 0, mine: true, payload: m.payload });
        return;
      case 'undeliverable':
        // The stub's own signal (from its node) found nobody here.
        this.#send(stub, { kind: 'undeliverable', from: stub.designator, to: m.peer, signalKind: m.kind, reason: m.reason, circuit: 0, mine: true, payload: new Uint8Array(0) });
        return;
      default:
        return; // challenge, pong, error, replaced: nothing for the other node
    }
  }

  /** A message another node sent to this one. */
  receive(m: NodeMessage, bytes: number): void {
    this.metrics.received[m.kind]++;
    this.metrics.bytesReceived += bytes;
    this.metrics.observeLatency((Date.now() - m.sentAt) / 1000);
    if (m.kind === 'undeliverable') {
      const local = this.router.localPeer(m.from);
      if (local === undefined || m.to === undefined) return this.#dropped();
      this.router.send(local, { type: 'undeliverable', peer: m.to, kind: m.signalKind ?? '', reason: m.reason ?? '' });
      return;
    }
    const creates = m.kind === 'open' || m.kind === 'signal';
    const stub = creates ? this.#stub(m.node, m.from) : this.#stubs.get(`${m.node}\n${m.from}`);
    if (stub === undefined) return this.#dropped();
    stub.socket.inbox.push(m);
    this.drain(stub);
  }

  #dropped(): void {
    this.metrics.dropped++;
  }

  /** Feeds the stub's waiting messages to the router, in order, until it is throttled. */
  drain(stub: Stub): void {
    const inbox = stub.socket.inbox;
    while (inbox.length > 0 && !stub.socket.paused && !stub.peer.closed) {
      const bytes = this.#toClient(stub, inbox.shift()!);
      if (bytes !== undefined) this.router.receive(stub.peer, bytes);
    }
  }

  /** A message from the stub's node, as the client message the stub sends this router; undefined when it no longer applies. */
  #toClient(stub: Stub, m: NodeMessage): Uint8Array | undefined {
    const local = (): number | undefined => (m.mine ? stub.fromRemote.get(m.circuit) : m.circuit);
    let message: RelayClientMessage;
    switch (m.kind) {
      case 'open':
        if (m.to === undefined) return this.#none();
        stub.pendingOpens.set(m.circuit, m.to);
        message = { type: 'open', request: m.circuit, to: m.to };
        break;
      case 'data': {
        const id = local();
        if (id === undefined || !stub.ends.has(id) || m.payload.length + DATA_HEADER_BYTES > this.maxFrameBytes) return this.#none();
        const frame = new Uint8Array(DATA_HEADER_BYTES + m.payload.length);
        new DataView(frame.buffer).setUint32(1, id);
        frame.set(m.payload, DATA_HEADER_BYTES);
        return frame;
      }
      case 'close': {
        const id = local();
        if (id === undefined || !stub.ends.has(id)) return this.#none();
        stub.ends.delete(id);
        const remote = stub.toRemote.get(id);
        if (remote !== undefined) {
          stub.toRemote.delete(id);
          stub.fromRemote.delete(remote);
        }
        message = { type: 'close', circuit: id, reason: m.reason ?? '' };
        break;
      }
      case 'signal':
        if (m.to === undefined || m.signalKind === undefined) return this.#none();
        message = { type: 'signal', peer: m.to, kind: m.signalKind, payload: m.payload };
        break;
      default:
        return this.#none();
    }
    return encodeRelayMessage(message);
  }

  #none(): undefined {
    this.#dropped();
    return undefined;
  }

  /** Logs and counts a message that could not be decoded. */
  malformed(error: unknown): void {
    this.#dropped();
    this.log.warn('malformed message from another node', { error: error instanceof Error ? error.message : String(error) });
  }
}

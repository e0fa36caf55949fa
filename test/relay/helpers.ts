import { WebSocket } from 'ws';
import { afterEach } from 'vitest';
import { designatorOf, generateKeyPair, sign, type DesignatorSigner, type KeyPair } from '../../src/crypto/index.js';
import { testSigner } from '../crypto/test-signer.js';
import {
  dataFrameCircuit,
  dataFramePayload,
  decodeRelayMessage,
  encodeDataFrame,
  encodeRelayMessage,
  isDataFrame,
  normalizeRelayUrl,
  registrationProof,
  type RelayClientMessage,
  type RelayServerMessage,
} from '../../src/netlayer/relay/protocol.js';
import { RelayClient, type RelayClientOptions } from '../../src/netlayer/relay/client.js';
import { NodeWebSocket } from '../../src/netlayer/websocket/ws.js';
import { messageBytes } from '../../src/netlayer/websocket/websocket-like.js';
import { silentLogger, type RelayOptions, type RelayServer } from '../../relay/index.js';
import { startRelayWithTestHooks, type RelayTestHooks } from '../../relay/server.js';

/** Everything a test opened; closed after each test. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A relay on a free loopback port, closed after the test. */
/** A relay on a free port, closed after the test; takes the test-only traffic hooks too. */
export async function testRelay(options: RelayOptions & RelayTestHooks = {}): Promise<RelayServer> {
  const { interceptData, interceptSignal, ...relayOptions } = options;
  const relay = await startRelayWithTestHooks({ port: 0, log: silentLogger, ...relayOptions }, { interceptData, interceptSignal });
  onCleanup(() => relay.close());
  return relay;
}

export interface Identity {
  readonly keys: KeyPair;
  readonly designator: string;
  /** Raw signing, for tests that forge or hand-build registrations. */
  readonly sign: (message: Uint8Array) => Uint8Array;
  /** What a RelayClient or an end-to-end handshake signs with. */
  readonly signer: DesignatorSigner;
}

export function identity(): Identity {
  const keys = generateKeyPair();
  return { keys, designator: designatorOf(keys.publicKey), sign: (m) => sign(keys.secretKey, m), signer: testSigner(keys) };
}

/**
 * A `register` message answering `nonce`, naming the relay URL `relayUrl`
 * (normalised) as dialled, for `designator` (default `who`'s), signed by `who`.
 */
export function registerMessage(who: Identity, nonce: Uint8Array, relayUrl: string, designator = who.designator): RelayClientMessage {
  const url = normalizeRelayUrl(relayUrl);
  return { type: 'register', designator, relayUrl: url, signature: who.sign(registrationProof(nonce, designator, url)) };
}

/** A RelayClient over `ws`, closed after the test. */
export function relayClient(url: string, who: Identity = identity(), options: Partial<RelayClientOptions> = {}): RelayClient {
  const client = new RelayClient({ url, designator: who.designator, signer: who.signer, WebSocket: NodeWebSocket, reconnect: false, ...options });
  onCleanup(() => client.close());
  return client;
}

export type Received = { readonly data: { circuit: number; payload: Uint8Array } } | { readonly control: RelayServerMessage };

/**
 * A hand-driven relay client on a raw `ws` socket: every message is queued
 * and `next()` awaits the next one, so tests see exactly what the relay sends.
 */
export class RawClient {
  readonly socket: WebSocket;
  readonly #queue: Received[] = [];
  readonly #waiters: ((m: Received) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  challenge: Extract<RelayServerMessage, { type: 'challenge' }> | undefined;
  /** The URL this client dialled. */
  readonly url: string;

  private constructor(socket: WebSocket, url: string) {
    this.socket = socket;
    this.url = url;
    socket.on('error', () => {});
    socket.on('message', (data: unknown) => {
      const bytes = messageBytes(data)!;
      const item: Received = isDataFrame(bytes)
        ? { data: { circuit: dataFrameCircuit(bytes), payload: dataFramePayload(bytes).slice() } }
        : { control: decodeRelayMessage('server', bytes, 1 << 24) };
      const waiter = this.#waiters.shift();
      if (waiter) waiter(item);
      else this.#queue.push(item);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  }

  /** Connects and reads the challenge. */
  static async connect(url: string, options: { maxPayload?: number; localAddress?: string; headers?: Record<string, string> } = {}): Promise<RawClient> {
    const socket = new WebSocket(url, undefined, {
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 1 << 26,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    const client = new RawClient(socket, url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    onCleanup(() => socket.terminate());
    const first = await client.control();
    if (first.type !== 'challenge') throw new Error(`expected a challenge, got ${first.type}`);
    client.challenge = first;
    return client;
  }

  /** Connects and registers as `who`. */
  static async registered(url: string, who: Identity, options: { localAddress?: string } = {}): Promise<RawClient> {
    const client = await RawClient.connect(url, options);
    client.register(who);
    const reply = await client.control();
    if (reply.type !== 'registered') throw new Error(`registration failed: ${JSON.stringify(reply)}`);
    return client;
  }

  /** Sends `register` for `who`, signed over this connection's challenge and the URL it dialled. */
  register(who: Identity): void {
    this.send(registerMessage(who, this.challenge!.nonce, this.url));
  }

  send(message: RelayClientMessage): void {
    this.socket.send(encodeRelayMessage(message));
  }

  sendData(circuit: number, payload: Uint8Array): void {
    this.socket.send(encodeDataFrame(circuit, payload));
  }

  next(): Promise<Received> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async control(): Promise<RelayServerMessage> {
    const m = await this.next();
    if (!('control' in m)) throw new Error(`expected a control message, got data on circuit ${m.data.circuit}`);
    return m.control;
  }

  async data(): Promise<{ circuit: number; payload: Uint8Array }> {
    const m = await this.next();
    if (!('data' in m)) throw new Error(`expected data, got ${JSON.stringify(m.control.type)}`);
    return m.data;
  }

  /** Messages received and not yet read. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Opens a circuit to `to`; returns its id (after the relay confirmed). */
  async open(to: string, request = 1): Promise<number> {
    this.send({ type: 'open', request, to });
    const reply = await this.control();
    if (reply.type !== 'opened') throw new Error(`open failed: ${JSON.stringify(reply)}`);
    return reply.circuit;
  }
}

/** Resolves when `predicate` holds after one of the client's state changes (or at once). */
export function clientState(client: RelayClient, state: RelayClient['state']): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

/** Fetches a relay HTTP endpoint. */
export async function httpGet(relay: RelayServer, path: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`http://127.0.0.1:${relay.port}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

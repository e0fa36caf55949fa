import { connect as netConnect, type Socket } from 'node:net';
import { generateKeyPair, publicIdOf, sessionIdOf, sign, signLocation, type KeyPair } from '../../../src/crypto/index.js';
import { createMessageReader, frameMessage, type MessageReader } from '../../../src/netlayer/tcp/stream-messages.js';
import { decode } from '../../../src/syrup/decode.js';
import { Sym, SyrupRecord, type SyrupValue } from '../../../src/syrup/types.js';
import { utf8Encode } from '../../../src/util/bytes.js';
import {
  descriptorFromSyrup,
  descriptorToSyrup,
  encodeOp,
  exportDesc,
  importObject,
  locatorToSyrup,
  opFromRecord,
  type DeliverOp,
  type Dialect,
  type Op,
  type PeerLocator,
  type TargetDesc,
} from '../../../src/wire/index.js';
import { suiteSwiss, type SuiteObjectName } from '../../../src/cli/test-peer-objects.js';
import { parsePeerUri } from '../../../src/mesh/uri.js';
import { suiteRefuses } from './forms.js';

/**
 * The OCapN test suite's side of one connection, hand-rolled: a TCP socket,
 * our framing reader and wire codec, and the suite's habits — its first answer
 * position and its first exported resolver are both 0, it skips messages it
 * is not waiting for, it re-listens when a promise resolves to a promise.
 *
 * Every message the peer sends is kept as its raw record *and* its decoded op,
 * so scenarios can assert the exact label each suite revision expects.
 */
export interface Received {
  readonly record: SyrupRecord;
  readonly op: Op;
}

export interface SuiteSide {
  /** What the suite side writes (and expects the peer under test to write). */
  readonly dialect: Dialect;
  readonly framing: 'none' | 'syrup';
}

export class ConnectionClosed extends Error {
  constructor(readonly received: readonly Received[]) {
    super('the peer closed the connection');
  }
}

export class RawSession {
  readonly location: PeerLocator;
  readonly side: SuiteSide;
  private readonly socket: Socket;
  private readonly reader: MessageReader;
  private readonly queue: Received[] = [];
  private waiter: { resolve: (r: Received) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: Error | undefined;
  /** Every message received, in order, including the ones a wait skipped. */
  readonly log: Received[] = [];
  /** Resolves when the peer's side of the stream ends (or the socket closes). */
  readonly closed: Promise<void>;
  keyPair: KeyPair | undefined;
  /** The peer's session public key, once its start-session arrived through `setupSession` or `takeHello`. */
  peerKey: Uint8Array | undefined;
  private nextImport = 0;
  private nextAnswerPos = 0;

  constructor(socket: Socket, location: PeerLocator, side: SuiteSide) {
    this.socket = socket;
    this.location = location;
    this.side = side;
    this.reader = createMessageReader(side.framing, { maxMessageBytes: 16 << 20 });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.ended = true;
        this.waiter?.reject(new ConnectionClosed(this.log));
        this.waiter = undefined;
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
  }

  /** Dials the peer at `uri` (an `ocapn://…tcp-testing-only?host&port` URI) as `location`. */
  static async dial(uri: string, location: PeerLocator, side: SuiteSide): Promise<RawSession> {
    const peer = parsePeerUri(uri);
    const socket = netConnect({ host: peer.hints!['host']!, port: Number(peer.hints!['port']) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawSession(socket, location, side);
  }

  private onData(chunk: Uint8Array): void {
    try {
      for (const bytes of this.reader.push(chunk)) {
        const record = decode(bytes);
        if (!(record instanceof SyrupRecord)) throw new Error('the peer sent a message that is not a record');
        const refusal = suiteRefuses(record, this.side.dialect);
        if (refusal !== undefined) throw new Error(`this suite revision cannot read what the peer sent: ${refusal}`);
        const received = { record, op: opFromRecord(record) };
        this.log.push(received);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(received);
        } else {
          this.queue.push(received);
        }
      }
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.waiter?.reject(this.failure);
      this.waiter = undefined;
      this.socket.destroy();
    }
  }

  /** The next message; rejects with `ConnectionClosed` once the stream ended and nothing is queued. */
  next(): Promise<Received> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new ConnectionClosed(this.log));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Reads until a message matches (others are skipped, as the suite does). */
  async expect<T extends Op['op']>(
    kinds: T | readonly T[],
    where: (op: Extract<Op, { op: T }>, r: Received) => boolean = () => true,
  ): Promise<Received & { op: Extract<Op, { op: T }> }> {
    const wanted: readonly string[] = typeof kinds === 'string' ? [kinds] : kinds;
    for (;;) {
      const r = await this.next();
      if (wanted.includes(r.op.op) && where(r.op as Extract<Op, { op: T }>, r)) {
        return r as Received & { op: Extract<Op, { op: T }> };
      }
    }
  }

  /** Reads until a deliver addressed to our export `position`. */
  expectDeliverTo(position: number): Promise<Received & { op: DeliverOp }> {
    return this.expect('deliver', (op) => op.to.type === 'export' && op.to.position === position);
  }

  send(op: Op): void {
    for (const bytes of encodeOp(op, this.side.dialect)) this.socket.write(frameMessage(this.side.framing, bytes));
  }

  /** Sends our start-session: signed for `location` (or over `signedBytes`, to forge a bad signature), with `version`. */
  sendHello(options: { version?: string; keyPair?: KeyPair; badSignature?: boolean } = {}): KeyPair {
    const keyPair = options.keyPair ?? generateKeyPair();
    this.keyPair = keyPair;
    const locationSig = options.badSignature
      ? sign(keyPair.secretKey, utf8Encode('i am invalid'))
      : signLocation(keyPair.secretKey, locatorToSyrup(this.location));
    this.send({
      op: 'start-session',
      captpVersion: options.version ?? this.side.dialect.captpVersion,
      sessionPubkey: keyPair.publicKey,
      location: this.location,
      locationSig,
    });
    return keyPair;
  }

  /** Reads until the peer's start-session and remembers its key. */
  async takeHello(): Promise<Received & { op: Extract<Op, { op: 'start-session' }> }> {
    const hello = await this.expect('start-session');
    this.peerKey = hello.op.sessionPubkey;
    return hello;
  }

  /** `setup_session`: our hello, then the peer's. */
  async setupSession(version?: string): Promise<void> {
    this.sendHello(version === undefined ? {} : { version });
    await this.takeHello();
  }

  /** The Public ID of a session key. */
  static sideId(publicKey: Uint8Array): Uint8Array {
    return publicIdOf(publicKey);
  }

  /** Our Public ID in this session (the suite's `our_side_id`); needs our hello sent. */
  ourSideId(): Uint8Array {
    if (!this.keyPair) throw new Error('no hello of ours was sent on this session');
    return publicIdOf(this.keyPair.publicKey);
  }

  /** The peer's Public ID in this session (`their_side_id`); needs its hello read. */
  theirSideId(): Uint8Array {
    if (!this.peerKey) throw new Error('the peer’s hello has not been read on this session');
    return publicIdOf(this.peerKey);
  }

  /** The Session ID both sides compute from the two Public IDs (the suite's `session.id`). */
  sessionId(): Uint8Array {
    return sessionIdOf(this.ourSideId(), this.theirSideId());
  }

  /** A fresh export position of ours, handed to the peer as `desc:import-object` (0, 1, 2… as the suite does). */
  nextImportObject(): number {
    return this.nextImport++;
  }

  nextAnswer(): number {
    return this.nextAnswerPos++;
  }

  /** Fire-and-forget in the suite side's dialect (`op:deliver-only` or `op:deliver … f f`). */
  sendOnly(to: TargetDesc, args: readonly SyrupValue[]): void {
    this.send({ op: 'deliver', to, args, answerPos: null, resolveMe: null });
  }

  /** A deliver with a fresh resolver (and an answer position when `pipeline`); returns both. */
  ask(to: TargetDesc, args: readonly SyrupValue[], pipeline = false): { resolver: number; answer: number | null } {
    const answer = pipeline ? this.nextAnswer() : null;
    const resolver = this.nextImportObject();
    this.send({ op: 'deliver', to, args, answerPos: answer, resolveMe: importObject(resolver) });
    return { resolver, answer };
  }

  /** `fetch_object`: the object's export position at the peer (or, pipelined, the answer position of the fetch). */
  async fetch(name: SuiteObjectName): Promise<number> {
    const { resolver } = this.ask(exportDesc(0), [new Sym('fetch'), suiteSwiss(name)]);
    const r = await this.expectResolution(resolver);
    const [verb, value] = (r.op as DeliverOp).args;
    if (!(verb instanceof Sym) || verb.name !== 'fulfill') throw new Error(`fetch of ${name} did not fulfill`);
    const desc = descriptorFromSyrup(value as SyrupValue);
    if (desc?.type !== 'import-object') throw new Error(`fetch of ${name} gave no object`);
    return desc.position;
  }

  fetchPipelined(name: SuiteObjectName): number {
    return this.ask(exportDesc(0), [new Sym('fetch'), suiteSwiss(name)], true).answer!;
  }

  /**
   * `expect_promise_resolution`: reads until our resolver `position` is told
   * `fulfill`/`break`; a fulfilment with a promise is listened to (in our
   * dialect's listen form) until it settles to something else.
   */
  async expectResolution(position: number): Promise<Received & { op: DeliverOp }> {
    let resolver = position;
    for (;;) {
      const r = await this.expectDeliverTo(resolver);
      const [verb, value] = r.op.args;
      if (!(verb instanceof Sym) || (verb.name !== 'fulfill' && verb.name !== 'break')) {
        throw new Error(`expected fulfill or break at our resolver ${resolver}, got ${String(verb)}`);
      }
      const desc = verb.name === 'fulfill' ? descriptorFromSyrup(value as SyrupValue) : undefined;
      if (desc?.type !== 'import-promise') return r;
      resolver = this.nextImportObject();
      this.send({ op: 'listen', to: exportDesc(desc.position), listenDesc: importObject(resolver) });
    }
  }

  /** Writes `bytes` as one message in our framing, whatever they hold (for hostile input). */
  sendRawMessage(bytes: Uint8Array): void {
    this.socket.write(frameMessage(this.side.framing, bytes));
  }

  /** Stops reading the socket (the peer's output backs up), until `resumeReading`. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** `CapTPSession.close`: abort, then close the socket. */
  close(): void {
    if (!this.socket.destroyed && !this.ended) {
      try {
        this.send({ op: 'abort', reason: 'session closed' });
      } catch {
        // the peer may already be gone
      }
    }
    this.socket.end();
    this.socket.destroy();
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

/** `desc:import-object N` as a Syrup value (an argument). */
export function importArg(position: number): SyrupValue {
  return descriptorToSyrup(importObject(position));
}

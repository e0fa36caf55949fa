import { connect as netConnect, type Socket } from 'node:net';
import { createMessageReader, type StreamFramingMode } from '../../src/netlayer/tcp/stream-messages.js';
import { decodeOp, exportDesc, type Op } from '../../src/wire/index.js';
import { Sym, type SyrupValue } from '../../src/syrup/types.js';
import { RawSession } from '../conformance/harness/raw-session.js';

/**
 * Hostile and well-behaved raw TCP clients for the transport abuse suite.
 *
 * `hostileClient` opens one socket, writes `first` (if any) once connected,
 * and records every op the peer sends (decoded with our framing reader and
 * wire codec) until the socket closes; `closed` resolves then with what it
 * saw and how long the socket lived. It never answers anything.
 */
export interface HostileResult {
  /** Ops received, in order. */
  readonly ops: readonly Op[];
  /** Milliseconds from `connect` until the socket closed. */
  readonly livedMs: number;
  /** True when bytes arrived that were not whole, decodable messages. */
  readonly unreadable: boolean;
}

export interface HostileClient {
  readonly socket: Socket;
  readonly closed: Promise<HostileResult>;
}

export async function hostileClient(port: number, framing: StreamFramingMode, first?: string | Uint8Array): Promise<HostileClient> {
  const socket = netConnect({ host: '127.0.0.1', port });
  const reader = createMessageReader(framing, { maxMessageBytes: 1 << 20 });
  const ops: Op[] = [];
  let unreadable = false;
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const bytes of reader.push(chunk)) ops.push(decodeOp(bytes));
    } catch {
      unreadable = true;
    }
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const connectedAt = Date.now();
  const closed = new Promise<HostileResult>((resolve) => {
    socket.once('close', () => resolve({ ops, livedMs: Date.now() - connectedAt, unreadable: unreadable || reader.buffered > 0 }));
  });
  if (first !== undefined) socket.write(first);
  return { socket, closed };
}

/** The reason of the op:abort among `ops`, or undefined when there is none. */
export function abortReason(ops: readonly Op[]): string | undefined {
  const abort = ops.find((op) => op.op === 'abort');
  return abort?.op === 'abort' ? abort.reason : undefined;
}

/**
 * A well-behaved session asking the echo object over and over, one question
 * at a time, until `stop()`; `stop` waits for one more answer after it was
 * called and resolves with when each answer arrived. Any wrong or missing
 * answer rejects `stop`.
 */
export interface Asker {
  stop(): Promise<readonly number[]>;
}

export async function keepAsking(session: RawSession): Promise<Asker> {
  const echo = await session.fetch('echoGc');
  const answeredAt: number[] = [];
  let stopping = false;
  let stoppedAt = Infinity;
  const loop = (async (): Promise<void> => {
    for (let n = 0; ; n++) {
      const args: SyrupValue[] = [new Sym('ping'), BigInt(n)];
      const { resolver } = session.ask(exportDesc(echo), args);
      const r = await session.expectResolution(resolver);
      const [verb, value] = r.op.args;
      if (!(verb instanceof Sym) || verb.name !== 'fulfill') throw new Error(`echo ${n} did not fulfill`);
      if (!Array.isArray(value) || value[1] !== BigInt(n)) throw new Error(`echo ${n} answered ${String(value)}`);
      const now = Date.now();
      answeredAt.push(now);
      if (stopping && now >= stoppedAt) return;
    }
  })();
  return {
    async stop() {
      stopping = true;
      stoppedAt = Date.now();
      await loop;
      return answeredAt;
    },
  };
}
